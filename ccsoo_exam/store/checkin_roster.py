"""The roster as check-in sees it: who may sit here, their name, route and extra time.

The administrator installs the ``candidates`` table into the terminal's database
(``admin roster install``); a terminal without it checks candidates in by typed id.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

EXTRA_TIME = re.compile(r"(\d+)\s*%")


@dataclass(frozen=True)
class RosterEntry:
    candidate_id: str
    name: str
    multiplier: float  # 1.25 for "extra time 25%"
    route: str  # "exam" or "panel"; "" when the roster does not say
    eligibility: str


def read_roster(conn: sqlite3.Connection) -> dict[str, RosterEntry]:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'candidates'").fetchone():
        return {}
    roster = {}
    for row in conn.execute("SELECT * FROM candidates"):
        keys = row.keys()

        def text(column: str, row: sqlite3.Row = row, keys: list[str] = keys) -> str:
            return str(row[column] or "") if column in keys else ""

        match = EXTRA_TIME.search(text("accommodations"))
        percent = int(match.group(1)) if match else 0
        multiplier = 1 + percent / 100 if 0 < percent <= 200 else 1.0
        candidate = str(row["candidate_id"])
        roster[candidate] = RosterEntry(candidate, text("name"), multiplier, text("route"), text("eligibility"))
    return roster
