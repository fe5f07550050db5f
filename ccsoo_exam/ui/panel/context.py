"""What every panel screen needs, handed in explicitly: the store, the rubric, the roster and the clocks."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from ccsoo_exam.rubric import Rubric
from ccsoo_exam.store.scoresheets import SealSigner


@dataclass(frozen=True)
class PanelContext:
    conn: sqlite3.Connection
    rubric: Rubric
    db_path: str
    roster: tuple[tuple[str, str], ...]  # (candidate_id, name)
    clock: Callable[[], float]  # monotonic seconds, for the phase timer
    wall: Callable[[], str]  # ISO-8601 UTC, for stamps
    signer: SealSigner | None = None  # this machine's enrolled key: signs each seal
