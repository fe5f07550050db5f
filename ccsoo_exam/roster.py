"""The candidate roster: a CSV the administrator writes, checked row by row before anything is stored.

Format (docs/admin.md): a header line, then one candidate per line::

    candidate_id,name,degree,years_senior_management,route,accommodations
    C-2026-0001,Ada Lovelace,MBA,12,exam,extra time 25%

``accommodations`` may be left out of the header. An optional ``group`` column (e.g. the
language of the sitting, or a region) names the candidate's group for the Mantel-Haenszel DIF
analysis in ``admin items``; it is never shown to candidates. An extra-time accommodation is written
as a percentage (``extra time 25%``): the exam's check-in reads the first ``<number>%``
and multiplies the candidate's time by ``1 + number/100``. Every bad row is reported at
its line, and the roster is all or nothing, so a half-imported roster never reaches a
check-in desk.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass

from ccsoo_exam.eligibility import DEGREE_LEVELS, Eligibility, assess, degree_level
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.text import text_problem

REQUIRED = ("candidate_id", "name", "degree", "years_senior_management", "route")
OPTIONAL = ("accommodations", "group")
MAX_GROUP = 60
ROUTES = ("panel", "exam")
# Same shape as the id the proctor types at check-in (ui/exam/checkin.py).
CANDIDATE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
# The exam's check-in (store/checkin_roster.py) reads extra time with exactly this pattern.
EXTRA_TIME = re.compile(r"(\d+)\s*%")
MAX_EXTRA_PERCENT = 200
MAX_NAME = 120
MAX_ACCOMMODATIONS = 300
MAX_YEARS = 70
MAX_ROWS = 100_000


@dataclass(frozen=True)
class RosterEntry:
    """One candidate as the roster states them, with the eligibility the rules give."""

    candidate_id: str
    name: str
    degree: str  # one of eligibility.DEGREE_LEVELS
    years_senior_management: int
    route: str  # "panel" or "exam"
    accommodations: str
    eligibility: Eligibility
    line: int
    group: str = ""

    @property
    def extra_time_percent(self) -> int:
        return extra_time_percent(self.accommodations) or 0


def extra_time_percent(accommodations: str) -> int | None:
    """The extra-time percentage check-in will apply, or None when there is none."""
    match = EXTRA_TIME.search(accommodations)
    return int(match.group(1)) if match else None


def parse_roster(text: str, path: str) -> list[RosterEntry]:
    """Check a roster CSV (already decoded) and return its candidates, or raise with every bad row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[Problem] = []
    try:
        header = next(reader)
    except StopIteration:
        raise CcsooError(
            Problem(path, None, f"the roster is empty; start with the header {','.join(REQUIRED)}")
        ) from None
    except csv.Error as exc:
        raise CcsooError(Problem(path, 1, f"cannot read the header: {exc}")) from None
    columns = [c.strip().lower() for c in header]
    known = REQUIRED + OPTIONAL
    for column in columns:
        if column not in known:
            close = difflib.get_close_matches(column, known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"known columns: {', '.join(known)}"
            problems.append(Problem(path, 1, f"unknown column '{column}'; {hint}"))
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(Problem(path, 1, f"the header lacks the column(s) {', '.join(missing)}"))
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        problems.append(Problem(path, 1, f"column(s) {', '.join(repeated)} appear twice in the header"))
    if problems:
        raise CcsooError(problems)

    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    line = reader.line_num
    while True:
        start = line + 1  # a quoted field may span lines; report the line the row starts on
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(path, reader.line_num, f"cannot read this row: {exc}"))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            problems.append(
                Problem(
                    path, start, f"has {len(row)} fields but the header has {len(columns)}; check for a stray comma"
                )
            )
            continue
        entry = _entry(dict(zip(columns, (cell.strip() for cell in row), strict=True)), path, start, problems)
        if entry is None:
            continue
        if entry.candidate_id in seen:
            problems.append(
                Problem(path, start, f"candidate_id '{entry.candidate_id}' repeats line {seen[entry.candidate_id]}")
            )
            continue
        seen[entry.candidate_id] = start
        entries.append(entry)
        if len(entries) > MAX_ROWS:
            problems.append(Problem(path, start, f"more than {MAX_ROWS:,} candidates; is this the right file?"))
            break
    if not entries and not problems:
        problems.append(Problem(path, None, "the roster has a header but no candidates"))
    if problems:
        raise CcsooError(problems)
    return entries


def _entry(cells: dict[str, str], path: str, line: int, problems: list[Problem]) -> RosterEntry | None:
    found: list[str] = []
    for column, value in cells.items():
        # Line breaks and tabs inside a quoted cell fold to spaces below; every other control is refused.
        if (problem := text_problem(value.replace("\r\n", "\n"))) is not None:
            found.append(f"{column} {problem}")
    if found:
        problems.extend(Problem(path, line, message) for message in found)
        return None
    candidate_id = cells["candidate_id"]
    if not CANDIDATE_ID.fullmatch(candidate_id):
        found.append(
            f"candidate_id '{candidate_id}' must be 1-40 letters, digits, '-', '_' or '.' (letter or digit first)"
            if candidate_id
            else "candidate_id is empty"
        )
    name = " ".join(cells["name"].split())
    if not name:
        found.append("name is empty")
    elif len(name) > MAX_NAME:
        found.append(f"name is {len(name)} characters; keep it under {MAX_NAME}")
    level = degree_level(cells["degree"])
    if level is None:
        found.append(
            f"degree '{cells['degree']}' is not recognised; write doctorate/PhD/DBA, master/MBA/MSc/MA, "
            "bachelor/BA/BSc, or other/none"
        )
    years_text = cells["years_senior_management"]
    years: int | None = None
    if not re.fullmatch(r"\d{1,3}", years_text):
        found.append(f"years_senior_management must be a whole number of years, not '{years_text}'")
    elif int(years_text) > MAX_YEARS:
        found.append(f"years_senior_management {years_text} is more than {MAX_YEARS}; check the figure")
    else:
        years = int(years_text)
    route = cells["route"].lower()
    if route not in ROUTES:
        found.append(f"route must be 'panel' (executive presentation) or 'exam' (80-item exam), not '{cells['route']}'")
    accommodations = " ".join(cells.get("accommodations", "").split())
    if len(accommodations) > MAX_ACCOMMODATIONS:
        found.append(f"accommodations is {len(accommodations)} characters; keep it under {MAX_ACCOMMODATIONS}")
    elif "%" in accommodations:
        percent = extra_time_percent(accommodations)
        if percent is None:
            found.append("accommodations mentions '%' but not as extra time like 'extra time 25%'")
        elif not 1 <= percent <= MAX_EXTRA_PERCENT:
            found.append(f"extra time {percent}% must be from 1% to {MAX_EXTRA_PERCENT}%")
    group = " ".join(cells.get("group", "").split())
    if len(group) > MAX_GROUP:
        found.append(f"group is {len(group)} characters; keep it under {MAX_GROUP}")
    problems.extend(Problem(path, line, message) for message in found)
    if found:
        return None
    assert level in DEGREE_LEVELS and years is not None
    return RosterEntry(candidate_id, name, level, years, route, accommodations, assess(level, years), line, group)
