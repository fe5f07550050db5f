"""Every benchmark in quick mode: small sizes, loose margins, so a gross regression fails the build.

These are the real benchmark scripts, run as CI runs them; each exits 1 when a figure misses
its quick-mode margin. Deselect with ``-m "not benchmark"``; the full figures are the README's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = [
    "bench_unlock",
    "bench_stats",
    "bench_panel",
    "bench_forms",
    "bench_delivery",
    "bench_admin",
    "bench_terminal",
]

pytestmark = pytest.mark.benchmark


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_quick_mode_meets_its_margins(name: str) -> None:
    if name == "bench_terminal" and shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("TEXTUAL")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, (
        f"{name} --quick failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
    )
    assert f"{name}: PASS" in done.stdout, done.stdout[-2000:]


def test_a_missed_target_fails_the_benchmark() -> None:
    """The verdict machinery itself: a miss is printed and turns into exit status 1."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from verdict import Figure, Verdict, percentile

    verdict = Verdict("probe")
    verdict.check("fast enough", 0.2, 0.5, "0.2 s")
    assert verdict.status() == 0
    verdict.check("too slow", 0.7, 0.5, "0.7 s")
    assert verdict.status() == 1 and verdict.missed == ["too slow"]
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == pytest.approx(9.1)
    assert Figure.of([3.0, 1.0, 2.0]).median == 2.0
