"""Candidate delivery figures, each as a ratio to a baseline measured in the same run.

- start to first screen vs `python -c "import textual.app"`           (target <= 2.0x)
- answering keypress (commit + redraw) vs the same key on an empty app (target <= 1.3x)
- durable answer commit p99 (target < 5 ms), beside a bare INSERT+COMMIT
- peak RSS through a full 80-question sitting, real unlock included  (target < 120 MB)

Run: python benchmarks/bench_delivery.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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
    app.screen.query_one("#pin", Input).value = "2468"
    app.screen.query_one("#pin", Input).focus()
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.screen.query_one("#candidate", Input).value = "C-1"
    app.screen.query_one("#continue", Button).press()
    await pilot.pause()
    app.screen.query_one("#accept", Checkbox).value = True
    await pilot.pause()
    app.screen.query_one("#start", Button).press()
    await pilot.pause()
    for n in range(80):
        await pilot.press("abcd"[n % 4], "f" if n % 7 == 0 else "n", "n")
    await pilot.press("r", "escape", "s", "y")
    await pilot.pause()
    assert type(app.screen).__name__ == "ReceiptScreen", app.screen
    app.exit()
app.run(headless=True, size=(80, 24), auto_pilot=sitting)
print(peak_mb())
"""
)


def best_of(runs: int, command: list[str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def startup(tmp: Path) -> None:
    # Compare like with like: Textual's modules are byte-compiled when pip installs them, so
    # compile ours too (an editable install, or PYTHONDONTWRITEBYTECODE, would leave them as source).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "ccsoo_exam")], check=True)
    exam = str(ROOT / "question_banks" / "exam.yaml")
    baseline = best_of(7, [sys.executable, "-c", "import textual.app"])
    ours = best_of(7, [sys.executable, "-c", STARTUP_PROBE, str(tmp / "startup.db"), exam])
    print(
        f"start to first screen: {ours * 1000:.0f} ms vs import textual.app {baseline * 1000:.0f} ms "
        f"-> {ours / baseline:.2f}x [target <= 2.0x]"
    )


async def keypress_costs(tmp: Path, presses: int = 300) -> tuple[tuple[float, float], tuple[float, float]]:
    from textual.app import App, ComposeResult
    from textual.widgets import Button, Checkbox, Input, Static

    from ccsoo_exam.exam import load_exam
    from ccsoo_exam.package import open_banks
    from ccsoo_exam.store.database import connect
    from ccsoo_exam.store.sittings import MIGRATIONS
    from ccsoo_exam.ui.exam.app import make_app
    from ccsoo_exam.ui.exam.unlock import Unlocked

    class Empty(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("", id="s")

        def on_key(self, event) -> None:  # the same work a key does: update a widget, redraw
            self.query_one("#s", Static).update(event.key)

    async def timed(app, keys, prepare=None) -> tuple[float, float]:
        """Median wall time and median CPU time of one press, Pilot waits included in wall only."""
        async with app.run_test(size=(80, 24)) as pilot:
            if prepare:
                await prepare(app, pilot)
            for key in keys[:20]:
                await pilot.press(key)  # warm up
            wall, cpu = [], []
            for key in keys:
                start, start_cpu = time.perf_counter(), time.process_time()
                await pilot.press(key)
                wall.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            return statistics.median(wall), statistics.median(cpu)

    keys = ["b", "c"] * (presses // 2)
    empty = await timed(Empty(), keys)
    definition = load_exam(str(ROOT / "question_banks" / "exam.yaml"))
    package = open_banks(definition, (ROOT / "question_banks" / "demo.key").read_text().strip())
    conn = connect(tmp / "keys.db", MIGRATIONS)

    async def into_sitting(app, pilot) -> None:
        app._unlocked(Unlocked(package, "2468"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.screen.query_one("#candidate", Input).value = "C-1"
        app.screen.query_one("#continue", Button).press()
        await pilot.pause()
        app.screen.query_one("#accept", Checkbox).value = True
        await pilot.pause()
        app.screen.query_one("#start", Button).press()
        await pilot.pause()

    exam = await timed(make_app(definition, conn, timers=False), keys, into_sitting)
    answers = conn.execute("SELECT count(*) FROM events WHERE kind = 'answer'").fetchone()[0]
    assert answers >= presses, "every press must have committed an answer"
    return empty, exam


def commits(tmp: Path, n: int = 1000) -> None:
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
        proctor_pin=hash_pin("2468"),
    )
    live = LiveSitting(
        conn, package, sid, time.monotonic, __import__("ccsoo_exam.store.sittings", fromlist=["utc_now"]).utc_now
    )
    live.start()
    ours = []
    for i in range(n):
        start = time.perf_counter()
        live.answer(i % 80, "ABCD"[i % 4])
        ours.append(time.perf_counter() - start)
    bare_conn = sqlite3.connect(tmp / "bare.db", isolation_level=None)
    bare_conn.execute("PRAGMA journal_mode = WAL")
    bare_conn.execute("PRAGMA synchronous = FULL")
    bare_conn.execute("CREATE TABLE t (a INTEGER, b TEXT)")
    bare = []
    for i in range(n):
        start = time.perf_counter()
        bare_conn.execute("BEGIN IMMEDIATE")
        bare_conn.execute("INSERT INTO t VALUES (?, ?)", (i, "x"))
        bare_conn.execute("COMMIT")
        bare.append(time.perf_counter() - start)

    def pct(values: list[float], q: float) -> float:
        return sorted(values)[int(q * (len(values) - 1))] * 1000

    print(
        f"durable answer commit: p50 {pct(ours, 0.5):.2f} ms, p99 {pct(ours, 0.99):.2f} ms [target p99 < 5 ms]; "
        f"bare INSERT+COMMIT p50 {pct(bare, 0.5):.2f} ms, p99 {pct(bare, 0.99):.2f} ms "
        f"-> p99 ratio {pct(ours, 0.99) / pct(bare, 0.99):.2f}x"
    )


def memory(tmp: Path) -> None:
    exam = str(ROOT / "question_banks" / "exam.yaml")
    key = (ROOT / "question_banks" / "demo.key").read_text().strip()
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(tmp / "memory.db"), exam, key],
        check=True,
        capture_output=True,
        text=True,
    )
    peak = float(out.stdout.strip().splitlines()[-1])
    baseline = subprocess.run(
        [sys.executable, "-c", PEAK + "import textual.app; print(peak_mb())"],
        check=True,
        capture_output=True,
        text=True,
    )
    print(
        f"peak RSS through a full 80-question sitting (real unlock): {peak:.0f} MB [target < 120 MB]; "
        f"import textual.app alone: {float(baseline.stdout):.0f} MB"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        startup(tmp)
        empty, exam = asyncio.run(keypress_costs(tmp))
        print(
            f"answering keypress (commit + redraw), wall: {exam[0] * 1000:.2f} ms "
            f"vs empty app {empty[0] * 1000:.2f} ms "
            f"-> {exam[0] / empty[0]:.2f}x [target <= 1.3x]"
        )
        print(
            f"answering keypress, CPU only (no harness waits): {exam[1] * 1000:.2f} ms vs empty app "
            f"{empty[1] * 1000:.2f} ms -> {exam[1] / empty[1]:.2f}x"
        )
        commits(tmp)
        memory(tmp)


if __name__ == "__main__":
    os.environ.pop("TEXTUAL", None)
    main()
