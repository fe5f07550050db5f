"""Shared pieces for exam delivery tests: the opened sample package, clocks, an app factory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ccsoo_exam.exam import load_exam
from ccsoo_exam.package import ExamPackage, open_banks
from ccsoo_exam.store.database import connect
from ccsoo_exam.store.sittings import MIGRATIONS
from tests.conftest import DEMO_KEY, ROOT

EXAM_PATH = str(ROOT / "question_banks" / "exam.yaml")
PIN = "246810"
_PACKAGE: list[ExamPackage] = []


def sample_package() -> ExamPackage:
    """Opened once per test run: the KDF is deliberately slow."""
    if not _PACKAGE:
        _PACKAGE.append(open_banks(load_exam(EXAM_PATH), DEMO_KEY))
    return _PACKAGE[0]


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeWallClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def forms_checked(app) -> None:
    """Wait for the check, begun at unlock, that the package builds forms.

    Check-in waits for it as well; a test that checks in waits first, so that what it asserts
    next does not depend on how quickly this machine loads the solver.
    """
    await app._form_check().wait()


def open_db(path: Path):
    return connect(path, MIGRATIONS)
