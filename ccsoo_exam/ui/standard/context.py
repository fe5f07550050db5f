"""What the rating screens share: the store, the exam, the round, the clocks."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from ccsoo_exam.exam import ExamDefinition


@dataclass
class RatingContext:
    conn: sqlite3.Connection
    definition: ExamDefinition
    db_path: str
    round: int
    wall: Callable[[], str]
    open_package: Callable[[ExamDefinition, str], object]  # (definition, exam key) -> ExamPackage
