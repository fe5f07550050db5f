"""Signed results: a rewritten chain, an unenrolled key, an unsigned sitting, receipts checked.

The forger here has the terminal's database and sqlite3 and can run SHA-256: every test
edits the chain and recomputes every hash so the chain and the rows hold together, as the
attack in issue 11 did. Only the terminal's key, which they do not have, stops them.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from ccsoo_exam.chain import event_hash, receipt_code, signed_receipt
from ccsoo_exam.cli import main
from ccsoo_exam.keyfile import new_key_file
from ccsoo_exam.signing import load_signer
from ccsoo_exam.store import admin, sittings
from ccsoo_exam.store.database import connect
from tests.admin_data import all_correct, correct_on, enrolled, small_package, terminal_db

AT = "2026-03-03T12:00:00Z"


@pytest.fixture
def terminal(tmp_path: Path) -> tuple[str, dict[str, str]]:
    definition, banks = small_package()
    path = str(tmp_path / "t1.db")
    return path, terminal_db(path, definition, banks, {"C-1": correct_on(2)})


def rewrite_chain(path: str, sitting_id: str) -> None:
    """Forge a perfect score: every answer event gets the key, every hash is recomputed, every row agrees."""
    definition, banks = small_package()
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM events WHERE sitting_id = ? ORDER BY seq", (sitting_id,)).fetchall()
    items = json.loads(rows[0]["payload"])["items"]
    keys = {position: banks[bank].item(item).key for position, (bank, _m, item, _o) in enumerate(items)}
    previous = "0" * 64
    answered = {int(json.loads(r["payload"])["position"]) for r in rows if r["kind"] == "answer"}
    for row in rows:
        payload = json.loads(row["payload"])
        if row["kind"] == "answer":
            payload["answer"] = keys[int(payload["position"])]
        if row["kind"] == "submit":
            raw = len(answered)
            payload.update(raw=raw, percent=round(100.0 * raw / len(items), 2), passed=raw >= definition.cut_score)
            per_module: dict[str, list[int]] = {}
            for position, (_bank, module, _item, _order) in enumerate(items):
                tally = per_module.setdefault(str(module), [0, 0])
                tally[0] += position in answered
                tally[1] += 1
            payload["modules"] = json.dumps(per_module)
        body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        new_hash = event_hash(previous, row["seq"], row["kind"], body, row["wall_time"], row["consumed_seconds"])
        conn.execute(
            "UPDATE events SET payload = ?, prev_hash = ?, hash = ? WHERE sitting_id = ? AND seq = ?",
            (body, previous, new_hash, sitting_id, row["seq"]),
        )
        if row["kind"] == "submit":
            conn.execute(
                "UPDATE sittings SET raw_score = ?, percent = ?, passed = ?, module_scores = ? WHERE sitting_id = ?",
                (payload["raw"], payload["percent"], int(payload["passed"]), payload["modules"], sitting_id),
            )
        previous = new_hash
    for position in answered:
        conn.execute(
            "UPDATE responses SET answer = ? WHERE sitting_id = ? AND position = ?",
            (keys[position], sitting_id, position),
        )
    conn.execute("UPDATE sittings SET chain_head = ? WHERE sitting_id = ?", (previous, sitting_id))
    conn.commit()
    conn.close()


def test_a_genuine_signed_sitting_merges(tmp_path: Path, terminal) -> None:
    path, ids = terminal
    report = admin.merge_file(enrolled(admin.open_admin(str(tmp_path / "admin.db"))), path, AT)
    assert report.added == (ids["C-1"],) and not report.problems


def test_a_chain_rewritten_with_recomputed_hashes_is_refused(tmp_path: Path, terminal) -> None:
    path, ids = terminal
    rewrite_chain(path, ids["C-1"])
    conn = connect(path, sittings.MIGRATIONS)
    assert sittings.verify_sitting(conn, ids["C-1"]) is None, "the forgery holds together as a hash chain"
    assert conn.execute("SELECT raw_score FROM sittings").fetchone()[0] == 8  # a forged 8 of 8
    conn.close()
    report = admin.merge_file(enrolled(admin.open_admin(str(tmp_path / "admin.db"))), path, AT)
    assert report.added == ()
    (problem,) = report.broken
    assert "the terminal's signature does not verify (the chain was rewritten, or the signature forged)" in str(problem)


def test_a_sitting_signed_by_an_unenrolled_key_is_refused(tmp_path: Path, terminal) -> None:
    """The forger re-signs their rewritten chain with a key of their own."""
    path, ids = terminal
    rewrite_chain(path, ids["C-1"])
    new_key_file(tmp_path / "forger.key")
    forger = load_signer(tmp_path / "forger.key")
    conn = sqlite3.connect(path)
    for seq, event_hash_ in conn.execute("SELECT seq, hash FROM events WHERE sitting_id = ?", (ids["C-1"],)).fetchall():
        message = sittings.head_message(ids["C-1"], seq, event_hash_)
        conn.execute(
            "UPDATE signatures SET key_id = ?, signature = ? WHERE sitting_id = ? AND seq = ?",
            (forger.key_id, forger.sign(message), ids["C-1"], seq),
        )
    conn.commit()
    conn.close()
    report = admin.merge_file(enrolled(admin.open_admin(str(tmp_path / "admin.db"))), path, AT)
    assert report.added == ()
    assert f"is signed by terminal key {forger.key_id}, which is not enrolled" in str(report.broken[0])


def test_an_unsigned_or_partly_signed_sitting_is_refused(tmp_path: Path, terminal) -> None:
    path, _ids = terminal
    partly = str(tmp_path / "partly.db")
    shutil.copy(path, partly)
    raw = sqlite3.connect(partly)
    raw.execute("DELETE FROM signatures WHERE seq = (SELECT MAX(seq) FROM signatures)")  # the submission's
    raw.commit()
    raw.close()
    raw = sqlite3.connect(path)
    raw.execute("DELETE FROM signatures")
    raw.commit()
    raw.close()
    conn = enrolled(admin.open_admin(str(tmp_path / "admin.db")))
    unsigned = admin.merge_file(conn, path, AT)
    assert unsigned.added == () and "is not signed by any terminal" in str(unsigned.broken[0])
    report = admin.merge_file(conn, partly, AT)
    assert report.added == () and "(submit) is not signed by the terminal" in str(report.broken[0])


def test_an_admin_database_without_the_terminal_enrolled_refuses_it(tmp_path: Path, terminal) -> None:
    path, _ids = terminal
    report = admin.merge_file(admin.open_admin(str(tmp_path / "admin.db")), path, AT)
    assert report.added == () and "which is not enrolled in this admin database" in str(report.broken[0])


def test_the_receipt_comes_from_the_signature_and_verify_receipts_checks_it(tmp_path: Path, capsys) -> None:
    definition, banks = small_package()
    path = str(tmp_path / "t1.db")
    ids = terminal_db(path, definition, banks, {"C-1": all_correct, "C-2": correct_on(3)})
    db = str(tmp_path / "admin.db")
    enrolled(admin.open_admin(db)).close()
    assert main(["admin", "merge", path, "--into", db]) == 0
    conn = connect(db, admin.MIGRATIONS)
    head, count = conn.execute("SELECT chain_head, event_count FROM sittings WHERE candidate_id = 'C-1'").fetchone()
    signature = sittings.load_signatures(conn, ids["C-1"])[count][1]
    genuine = signed_receipt(signature)
    assert genuine != receipt_code(head), "a receipt anyone can compute from the events would prove nothing"
    c2 = admin.submitted_receipts(conn)["C-2"][0]
    conn.close()
    slips = tmp_path / "slips.csv"
    slips.write_text(f"candidate_id,receipt\nC-1,{genuine.lower()}\nC-2,{c2}\n")
    capsys.readouterr()
    assert main(["admin", "verify-receipts", "--db", db, str(slips)]) == 0
    assert "2 receipts checked, 2 match" in capsys.readouterr().out
    slips.write_text(f"candidate_id,receipt\nC-1,{receipt_code(head)}\nC-2,{genuine}\nC-9,{genuine}\n")
    assert main(["admin", "verify-receipts", "--db", db, str(slips)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{slips}:2: receipt {receipt_code(head)} does not match candidate C-1's merged result")
    assert err[1].startswith(f"{slips}:3: receipt {genuine} does not match candidate C-2's")
    assert err[2] == f"{slips}:4: candidate C-9 has no merged, submitted result; merge their terminal"


def test_the_terminal_shows_the_signed_receipt(tmp_path: Path) -> None:
    from ccsoo_exam.store.live import LiveSitting
    from tests.admin_data import terminal_signer
    from tests.exam_fixtures import FakeClock, FakeWallClock, open_db, sample_package

    package = sample_package()
    conn = open_db(tmp_path / "r.db")
    from ccsoo_exam.form import assemble_form

    form = assemble_form(package.definition, package.banks, 3)
    sitting_id = sittings.create_sitting(
        conn,
        exam_id=package.definition.exam,
        exam_title=package.definition.title,
        package_fingerprint=package.fingerprint,
        candidate_id="C-1",
        candidate_name="Ada",
        form=form,
        cut_score=56,
        base_seconds=10800,
        multiplier=1.0,
        proctor_pin="x",
        signer=terminal_signer(),
    )
    live = LiveSitting(conn, package, sitting_id, FakeClock(), FakeWallClock(), terminal_signer())
    live.start()
    live.answer(0, "A")
    live.submit("candidate")
    assert live.receipt_code() == signed_receipt(live.recorder.last_signature or b"")
    assert live.receipt_code() != receipt_code(live.record.chain_head)


def test_enrol_terminal_writes_a_private_key_only_its_owner_reads(tmp_path: Path, capsys) -> None:
    db, key = str(tmp_path / "admin.db"), tmp_path / "desk4.key"
    assert main(["admin", "enrol-terminal", "--db", db, "--name", "room2-desk4", "--key-out", str(key)]) == 0
    assert os.stat(key).st_mode & 0o777 == 0o600
    signer = load_signer(key)
    assert admin.enrolled_terminals(admin.open_admin(db)) == {signer.key_id: signer.public_key}
    assert main(["admin", "enrol-terminal", "--db", db, "--name", "room2-desk4", "--from-key", str(key)]) == 2
    assert "is already enrolled" in capsys.readouterr().err
    assert main(["admin", "enrol-terminal", "--db", db, "--name", "other", "--key-out", str(key)]) == 2
    assert "already exists" in capsys.readouterr().err


async def test_the_panel_app_signs_the_seal_with_the_machines_key(tmp_path: Path) -> None:
    from ccsoo_exam.rubric import load_rubric
    from ccsoo_exam.signing import seal_fault
    from ccsoo_exam.store import scoresheets
    from tests.admin_data import terminal_signer
    from tests.test_panel_ui import SIZE, new_app, score_all_and_finalise, start_scoring

    rubric = load_rubric(Path(__file__).resolve().parent.parent / "rubrics" / "executive-presentation.yaml")
    app = new_app(tmp_path / "panel.db", rubric, signer=terminal_signer())
    async with app.run_test(size=SIZE) as pilot:
        await start_scoring(pilot)
        await score_all_and_finalise(pilot, rubric)
    conn = scoresheets.open_store(str(tmp_path / "panel.db"))
    (sheet,) = scoresheets.list_sheets(conn)
    assert sheet.sealed
    signed = scoresheets.seal_signature(conn, sheet.sheet_id)
    enrolled_keys = {terminal_signer().key_id: terminal_signer().public_key}
    assert seal_fault(sheet, scoresheets.changes(conn, sheet.sheet_id), signed, enrolled_keys) is None
