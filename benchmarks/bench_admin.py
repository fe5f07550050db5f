"""Administration benchmark: export, item analysis and KR-20 against a plain sqlite3 CSV dump; merging.

Targets (docs/admin.md, DESIGN.md "Performance targets"):

* With 10,000 sittings x 80 responses, ``results export`` to CSV and to JSON, item analysis and
  KR-20 each take at most 3x the time of ``sqlite3 DB -csv "SELECT * FROM responses"`` on the same rows.
* Merging 1,000 terminal databases (one sitting each, valid chains) takes under 30 s.

Synthetic data with a fixed seed: candidate ability and item difficulty/discrimination follow a
three-parameter logistic model (with guessing), so the items correlate as on a real test and KR-20 is sensible.
Wrong answers favour one "attractive" distractor per item. Option orders are shuffled per
sitting, as in delivery. Ratios are measured in one run on this machine; absolute times vary.

Run: python benchmarks/bench_admin.py [--sittings 10000] [--terminals 1000]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import math
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from ccsoo_exam.chain import GENESIS, make_event
from ccsoo_exam.cli import main
from ccsoo_exam.item_analysis import KeyedItem, analyse, score_rows
from ccsoo_exam.psychometrics.report import psychometric_report
from ccsoo_exam.stats import kr20
from ccsoo_exam.store import admin, export, sittings
from ccsoo_exam.store.database import connect

EXAM = "ccsoo-bench"
LETTERS = "ABCD"
MODULES = 5
PER_MODULE = 16
CUT = 56


def package_keys(
    rng: random.Random,
) -> tuple[list[tuple[str, int, str]], dict[str, KeyedItem], list[tuple[float, float]]]:
    """80 items (bank, module, item id), their keys, and 2PL parameters (discrimination, difficulty)."""
    items, keys, params = [], {}, []
    for module in range(1, MODULES + 1):
        for n in range(1, PER_MODULE + 1):
            bank, item_id = f"ccsoo-m{module}", f"M{module}-{n:03d}"
            items.append((bank, module, item_id))
            keys[f"{bank}/{item_id}"] = KeyedItem(module, rng.choice(LETTERS))
            params.append((rng.uniform(0.3, 1.3), rng.gauss(0.0, 1.0)))
    return items, keys, params


def sitting_row(sitting_id: str, candidate: str, raw: int, head: str, events: int) -> tuple:
    now = "2026-03-01T09:00:00.000+00:00"
    return (
        sitting_id,
        EXAM,
        "CCSOO benchmark",
        "f" * 64,
        candidate,
        f"Candidate {candidate}",
        "1",
        "d" * 16,
        80,
        CUT,
        10800.0,
        1.0,
        0.0,
        9000.0,
        "submitted",
        79,
        0,
        "",
        "pin",
        now,
        now,
        now,
        "candidate",
        raw,
        round(100 * raw / 80, 2),
        int(raw >= CUT),
        "{}",
        head,
        events,
        now,
    )


SITTING_COLUMNS = (
    "sitting_id, exam_id, exam_title, package_fingerprint, candidate_id, candidate_name, form_seed, form_digest, "
    "item_count, cut_score, base_seconds, multiplier, extension_seconds, consumed_seconds, status, position, "
    "timer_hidden, warnings_given, proctor_pin, created_at, started_at, submitted_at, submit_reason, raw_score, "
    "percent, passed, module_scores, chain_head, event_count, updated_at"
)


def answers_for(
    rng: random.Random, keys: list[str], params: list[tuple[float, float]], theta: float
) -> list[str | None]:
    out: list[str | None] = []
    for key, (a, b) in zip(keys, params, strict=True):
        # Three-parameter logistic: a quarter of the weakest still guess the key.
        if rng.random() < 0.25 + 0.75 / (1 + math.exp(-1.7 * a * (theta - b))):
            out.append(key)
        elif rng.random() < 0.02:
            out.append(None)
        else:
            wrong = [x for x in LETTERS if x != key]
            out.append(wrong[0] if rng.random() < 0.5 else rng.choice(wrong))  # wrong[0]: the attractive one
    return out


def build_admin_db(path: str, count: int, rng: random.Random, items, keys, params) -> None:
    conn = admin.open_admin(path)
    conn.execute("PRAGMA synchronous = OFF")  # building test data only; the code under test runs as shipped
    key_letters = [keys[f"{b}/{i}"].key for b, _, i in items]
    conn.execute("BEGIN")
    for n in range(count):
        sitting_id = str(uuid.UUID(int=rng.getrandbits(128)))
        answers = answers_for(rng, key_letters, params, rng.gauss(0, 1))
        raw = sum(a == k for a, k in zip(answers, key_letters, strict=True))
        conn.execute(
            f"INSERT INTO sittings ({SITTING_COLUMNS}) VALUES ({', '.join('?' * 30)})",
            sitting_row(sitting_id, f"C-{n:05d}", raw, "0" * 64, 0),
        )
        rows = []
        for position, ((bank, module, item_id), answer) in enumerate(zip(items, answers, strict=True)):
            order = "".join(rng.sample(LETTERS, 4))
            rows.append(
                (
                    sitting_id,
                    position,
                    bank,
                    module,
                    item_id,
                    order,
                    answer,
                    0,
                    "",
                    None if answer is None else "2026-03-01T09:10:00.000+00:00",
                )
            )
        conn.executemany(
            "INSERT INTO responses (sitting_id, position, bank_id, module, item_id, option_order, answer, flagged, "
            "struck, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def build_terminal(path: str, rng: random.Random, items, keys, params, candidate: str) -> None:
    """One terminal database with one submitted sitting whose event chain is valid."""
    conn = connect(path, sittings.MIGRATIONS)
    conn.execute("PRAGMA synchronous = OFF")
    key_letters = [keys[f"{b}/{i}"].key for b, _, i in items]
    answers = answers_for(rng, key_letters, params, rng.gauss(0, 1))
    raw = sum(a == k for a, k in zip(answers, key_letters, strict=True))
    sitting_id = str(uuid.UUID(int=rng.getrandbits(128)))
    events = []
    head, seq, clock = GENESIS, 0, 0.0

    def add(kind: str, payload: dict) -> None:
        nonlocal head, seq, clock
        seq += 1
        clock += 1.5
        event = make_event(head, seq, kind, payload, f"2026-03-01T09:{seq // 60:02d}:{seq % 60:02d}.000+00:00", clock)
        events.append(event)
        head = event.hash

    add("check-in", {"candidate": candidate})
    add("start", {})
    for position, answer in enumerate(answers):
        if answer is not None:
            add("answer", {"position": position, "answer": answer})
    add(
        "submit",
        {"reason": "candidate", "raw": raw, "percent": round(100 * raw / 80, 2), "passed": raw >= CUT, "modules": "{}"},
    )
    conn.execute("BEGIN")
    conn.execute(
        f"INSERT INTO sittings ({SITTING_COLUMNS}) VALUES ({', '.join('?' * 30)})",
        sitting_row(sitting_id, candidate, raw, head, seq),
    )
    conn.executemany(
        "INSERT INTO responses (sitting_id, position, bank_id, module, item_id, option_order, answer) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (sitting_id, p, b, m, i, "".join(rng.sample(LETTERS, 4)), a)
            for p, ((b, m, i), a) in enumerate(zip(items, answers, strict=True))
        ],
    )
    conn.executemany(
        "INSERT INTO events (sitting_id, seq, kind, payload, wall_time, consumed_seconds, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(sitting_id, e.seq, e.kind, e.payload, e.wall_time, e.consumed, e.prev_hash, e.hash) for e in events],
    )
    conn.execute("COMMIT")
    conn.close()


def timed(label: str, action) -> float:
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    print(f"  {label:<44} {elapsed:7.3f} s", flush=True)
    return elapsed


def baseline(db: str) -> tuple[float, str]:
    if shutil.which("sqlite3"):

        def run() -> None:
            with open(os.devnull, "wb") as sink:
                subprocess.run(["sqlite3", db, "-csv", "SELECT * FROM responses"], stdout=sink, check=True)

        return timed("baseline: sqlite3 -csv SELECT * FROM responses", run), "sqlite3 CLI"

    def fallback() -> None:  # no sqlite3 CLI here: Python's sqlite3 module into csv.writer instead
        conn = sqlite3.connect(db)
        with open(os.devnull, "w", newline="") as sink:
            csv.writer(sink).writerows(conn.execute("SELECT * FROM responses"))
        conn.close()

    return timed("baseline (fallback): python sqlite3 + csv.writer", fallback), "Python sqlite3 + csv (no sqlite3 CLI)"


def main_bench() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sittings", type=int, default=10_000)
    parser.add_argument("--terminals", type=int, default=1_000)
    args = parser.parse_args()
    rng = random.Random(20260301)
    items, keys, params = package_keys(rng)
    with tempfile.TemporaryDirectory(prefix="ccsoo-bench-") as folder:
        db = str(Path(folder) / "admin.db")
        start = time.perf_counter()
        build_admin_db(db, args.sittings, rng, items, keys, params)
        print(f"built {args.sittings:,} sittings x 80 responses in {time.perf_counter() - start:.1f} s")

        base, how = baseline(db)
        conn = connect(db, readonly=True)

        def export_csv() -> None:
            with open(os.devnull, "w", encoding="utf-8", newline="") as sink:
                export.export_csv(conn, sink, "responses")

        def export_json() -> None:
            with open(os.devnull, "w", encoding="utf-8", newline="") as sink:
                export.export_json(conn, sink, "responses")

        analysis_box = []
        matrix_box = []
        figures = {
            "results export --format csv (responses)": timed("results export --format csv (responses)", export_csv),
            "results export --format json (responses)": timed("results export --format json (responses)", export_json),
            "item analysis (load + per-item + summary)": timed(
                "item analysis (load + per-item + summary)",
                lambda: analysis_box.append(analyse(admin.submitted_answers(conn, EXAM), keys)),
            ),
            "admin items figures (analysis + psychometric report)": timed(
                "admin items figures (analysis + psychometric report)",
                lambda: psychometric_report(analyse(admin.submitted_answers(conn, EXAM), keys), keys, CUT),
            ),
            "KR-20 (load matrix + kr20)": timed(
                "KR-20 (load matrix + kr20)",
                lambda: matrix_box.append(
                    kr20(score_rows(admin.submitted_answers(conn, EXAM), {k: v.key for k, v in keys.items()}).scores)
                ),
            ),
        }
        conn.close()
        summary = analysis_box[0].summary
        print(f"  (KR-20 {matrix_box[0]:.3f}, mean {summary.mean:.1f}, SD {summary.sd:.2f}, SEM {summary.sem:.2f})")
        print(f"\nratios to the baseline ({how}, {base:.3f} s); target <= 3.0x")
        worst = 0.0
        for label, seconds in figures.items():
            ratio = seconds / base
            worst = max(worst, ratio)
            print(f"  {label:<44} {ratio:5.2f}x  {'ok' if ratio <= 3 else 'OVER TARGET'}")

        terminals = Path(folder) / "terminals"
        terminals.mkdir()
        start = time.perf_counter()
        paths = []
        for n in range(args.terminals):
            path = str(terminals / f"terminal-{n:04d}.db")
            build_terminal(path, rng, items, keys, params, f"T-{n:04d}")
            paths.append(path)
        print(f"\nbuilt {args.terminals:,} terminal databases in {time.perf_counter() - start:.1f} s")
        into = str(Path(folder) / "merged.db")
        status: list[int] = []
        with contextlib.redirect_stdout(io.StringIO()):
            merge_time = timed(
                "admin merge (1 transaction per file)",
                lambda: status.append(main(["admin", "merge", *paths, "--into", into])),
            )
        print(
            f"  admin merge {args.terminals:,} terminal databases       {merge_time:7.3f} s  "
            f"{'ok' if merge_time < 30 else 'OVER TARGET'} (target < 30 s), exit status {status[0]}"
        )
        merged = sqlite3.connect(into).execute("SELECT COUNT(*) FROM sittings").fetchone()[0]
        print(f"  merged sittings: {merged:,}")
    return 0 if worst <= 3 and merge_time < 30 and status[0] == 0 else 1


if __name__ == "__main__":
    sys.exit(main_bench())
