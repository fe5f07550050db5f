"""Candidate delivery figures, each beside a baseline measured in the same run.

- start to first screen (headless) vs `python -c "import textual.app"`, interleaved, median (target <= 2.0x)
- durable answer commit p99 (target < 5 ms), beside a bare INSERT+COMMIT on the same disk
- peak RSS through a full 80-question sitting, real unlock included  (target < 120 MB)

Keys as the candidate feels them are measured in a real terminal by bench_terminal.py (a Pilot
press sleeps longer than the work it would time). Exit status 1 on a miss. ``--quick`` (CI):
3 start-up pairs (<= 3x), 200 commits interleaved with bare ones (p99 < 15 ms: a shared disk's
fsync varies tenfold), a 20-question sitting (< 150 MB).

Run: python benchmarks/bench_delivery.py [--quick]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from verdict import Figure, Verdict, arguments, ratio_spread  # noqa: E402

STARTUP_PROBE = """
# What `ccsoo-exam demo` does up to its first screen, headless (the real command needs a tty):
# the CLI parser for the command, the exam definition, the lock and database, the app.
import sys, time
from pathlib import Path
from ccsoo_exam.cli import COMMAND_HOME, build_parser
build_parser((COMMAND_HOME["demo"],)).parse_args(["demo"])
from ccsoo_exam.exam import load_exam
from ccsoo_exam.store.database import ProcessLock
from ccsoo_exam.store.database import connect
from ccsoo_exam.store.sittings import MIGRATIONS
from ccsoo_exam.ui.exam.app import make_app
definition = load_exam(sys.argv[2])
ProcessLock(Path(sys.argv[1])).acquire()
conn = connect(Path(sys.argv[1]), MIGRATIONS)
app = make_app(definition, conn, timers=False)
async def first_screen(pilot):
    assert type(app.screen).__name__ == "UnlockScreen"
    app.exit()
app.run(headless=True, size=(80, 24), auto_pilot=first_screen)
"""

PEAK = """
def peak_mb():
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec from the parent process.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""

MEMORY_PROBE = (
    PEAK
    + """
import asyncio, sys
from pathlib import Path
from ccsoo_exam.exam import load_exam
from ccsoo_exam.store.database import connect
from ccsoo_exam.store.sittings import MIGRATIONS
from ccsoo_exam.ui.exam.app import make_app
from textual.widgets import Button, Checkbox, Input
conn = connect(Path(sys.argv[1]), MIGRATIONS)
app = make_app(load_exam(sys.argv[2]), conn, timers=False)
async def sitting(pilot):
    app.screen.query_one("#key", Input).value = sys.argv[3]
    app.screen.query_one("#pin", Input).value = sys.argv[5]
    app.screen.query_one("#again", Input).value = sys.argv[5]
    app.screen.query_one("#again", Input).focus()
    await pilot.press("enter")
    while type(app.screen).__name__ == "UnlockScreen":
        await app.workers.wait_for_complete()
        await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.screen.query_one("#candidate", Input).value = "C-1"
    app.screen.query_one("#name", Input).value = "Bench Candidate"
    app.screen.query_one("#continue", Button).press()
    await pilot.pause()
    app.screen.query_one("#identity", Checkbox).value = True
    app.screen.query_one("#accept", Checkbox).value = True
    await pilot.pause()
    app.screen.query_one("#start", Button).press()
    await pilot.pause()
    for n in range(int(sys.argv[4])):
        await pilot.press("abcd"[n % 4], "f" if n % 7 == 0 else "n", "n")
    await pilot.press("r", "r", "s", "y")  # R opens the review and R closes it
    await pilot.pause()
    assert type(app.screen).__name__ == "ReceiptScreen", app.screen
    app.exit()
app.run(headless=True, size=(80, 24), auto_pilot=sitting)
print(peak_mb())
"""
)


def timed_run(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def startup(tmp: Path, pairs: int, limit: float, verdict: Verdict) -> None:
    # Compare like with like: Textual's modules are byte-compiled when pip installs them, so
    # compile ours too (an editable install, or PYTHONDONTWRITEBYTECODE, would leave them as source).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "ccsoo_exam")], check=True)
    exam = str(ROOT / "question_banks" / "exam.yaml")
    baseline_command = [sys.executable, "-c", "import textual.app"]
    baseline, ours = [], []
    for n in range(pairs + 1):  # the first pair warms the page cache and is not counted
        pair = (
            timed_run(baseline_command),
            timed_run([sys.executable, "-c", STARTUP_PROBE, str(tmp / f"startup-{n}.db"), exam]),
        )
        if n:
            baseline.append(pair[0])
            ours.append(pair[1])
    low, high = ratio_spread(ours, baseline)
    ratio = Figure.of(ours).median / Figure.of(baseline).median
    print(f"start to first screen (headless)  {Figure.of(ours).describe()}")
    print(f"import textual.app                {Figure.of(baseline).describe()}")
    verdict.check("start", ratio, limit, f"{ratio:.2f}x [<= {limit}x]; per-pair ratios {low:.2f}-{high:.2f}x")


def commits(tmp: Path, n: int, quick: bool, verdict: Verdict) -> None:
    import sqlite3

    from ccsoo_exam.exam import load_exam
    from ccsoo_exam.form import assemble_form
    from ccsoo_exam.package import open_banks
    from ccsoo_exam.pin import hash_pin
    from ccsoo_exam.store.database import connect
    from ccsoo_exam.store.live import LiveSitting
    from ccsoo_exam.store.sittings import MIGRATIONS, create_sitting

    definition = load_exam(str(ROOT / "question_banks" / "exam.yaml"))
    package = open_banks(definition, (ROOT / "question_banks" / "demo.key").read_text().strip())
    conn = connect(tmp / "commit.db", MIGRATIONS)
    form = assemble_form(definition, package.banks, 1)
    sid = create_sitting(
        conn,
        exam_id=definition.exam,
        exam_title="t",
        package_fingerprint=package.fingerprint,
        candidate_id="C",
        candidate_name="",
        form=form,
        cut_score=56,
        base_seconds=10800,
        multiplier=1.0,
        proctor_pin=hash_pin("246810", package.proctor_secret),
    )
    live = LiveSitting(
        conn, package, sid, time.monotonic, __import__("ccsoo_exam.store.sittings", fromlist=["utc_now"]).utc_now
    )
    live.start()
    bare_conn = sqlite3.connect(tmp / "bare.db", isolation_level=None)
    bare_conn.execute("PRAGMA journal_mode = WAL")
    bare_conn.execute("PRAGMA synchronous = FULL")
    bare_conn.execute("CREATE TABLE t (a INTEGER, b TEXT)")
    ours, bare = [], []
    for i in range(n):  # interleaved: a slow moment of the shared disk hits both
        start = time.perf_counter()
        live.answer(i % 80, "ABCD"[i % 4])
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        bare_conn.execute("BEGIN IMMEDIATE")
        bare_conn.execute("INSERT INTO t VALUES (?, ?)", (i, "x"))
        bare_conn.execute("COMMIT")
        bare.append(time.perf_counter() - start)

    def pct(values: list[float], q: float) -> float:
        return sorted(values)[int(q * (len(values) - 1))] * 1000

    ratio = pct(ours, 0.99) / pct(bare, 0.99)
    print(
        f"durable answer commit ({n}): p50 {pct(ours, 0.5):.2f} ms, p99 {pct(ours, 0.99):.2f} ms; "
        f"bare INSERT+COMMIT p50 {pct(bare, 0.5):.2f} ms, p99 {pct(bare, 0.99):.2f} ms -> p99 ratio {ratio:.2f}x"
    )
    # The target is absolute (DESIGN.md: p99 under 5 ms on local disk); the bare commit is context.
    # Quick mode allows 3x: a shared CI disk's fsync varies tenfold from one minute to the next.
    p99, limit = pct(ours, 0.99), 15.0 if quick else 5.0
    verdict.check("commit p99", p99, limit, f"{p99:.2f} ms [< {limit:.0f} ms]; {ratio:.2f}x the bare commit's p99")


def memory(tmp: Path, questions: int, verdict: Verdict, quick: bool = False) -> None:
    from ccsoo_exam.cli.delivery import DEMO_PIN

    exam = str(ROOT / "question_banks" / "exam.yaml")
    key = (ROOT / "question_banks" / "demo.key").read_text().strip()
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(tmp / "memory.db"), exam, key, str(questions), DEMO_PIN],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        verdict.require("sitting completes", False, f"the {questions}-question sitting failed:\n{out.stderr[-2000:]}")
        return
    peak = float(out.stdout.strip().splitlines()[-1])
    baseline = subprocess.run(
        [sys.executable, "-c", PEAK + "import textual.app; print(peak_mb())"],
        check=True,
        capture_output=True,
        text=True,
    )
    print(
        f"peak RSS through a {questions}-question sitting (real unlock); import textual.app alone: "
        f"{float(baseline.stdout):.0f} MB"
    )
    limit = 150.0 if quick else 120.0  # quick: a gross regression only
    verdict.check("peak RSS", peak, limit, f"{peak:.1f} MB [< {limit:.0f} MB]")


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    verdict = Verdict("bench_delivery", quick=args.quick)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        startup(tmp, 3 if args.quick else 9, 3.0 if args.quick else 2.0, verdict)
        commits(tmp, 200 if args.quick else 1000, args.quick, verdict)
        memory(tmp, 20 if args.quick else 80, verdict, args.quick)
    return verdict.status()


if __name__ == "__main__":
    os.environ.pop("TEXTUAL", None)
    raise SystemExit(main())
