"""Reading judges' Angoff ratings and Hofstee judgements from CSV, every bad row at its line.

Two files, told apart by their header:

* ratings: ``judge,item,rating[,round]`` -- rating 0-1, or 0-100 (a file with any rating above 1
  is read as 0-100, an optional trailing ``%`` allowed); round 1 when the column is left out;
* Hofstee judgements: ``judge,min_cut,max_cut,min_fail,max_fail`` -- percent correct, percent failing.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.psychometrics.angoff import HofsteeJudgement, Rating

RATING_HEADER = ("judge", "item", "rating", "round")
HOFSTEE_HEADER = ("judge", "min_cut", "max_cut", "min_fail", "max_fail")
MAX_ROUND = 9


def parse_csv(
    text: str, path: str, resolve: Callable[[str], str] | None = None
) -> tuple[list[Rating], list[HofsteeJudgement]]:
    """Ratings (header ``judge,item,rating[,round]``) or Hofstee judgements (``judge,min_cut,...``).

    ``resolve`` turns an item as written into ``bank/item`` or raises ``CcsooError``. A file on
    0-100 (any rating above 1) is divided by 100. Every bad row is reported at its line.
    """
    reader = csv.reader(io.StringIO(text))
    problems: list[Problem] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise CcsooError(Problem(path, None, "is empty; give a CSV with a header line")) from None
    except csv.Error as exc:
        raise CcsooError(Problem(path, 1, f"is not readable CSV ({exc})")) from None
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, [c.strip() for c in row]))
    except csv.Error as exc:
        raise CcsooError(Problem(path, reader.line_num, f"is not readable CSV ({exc}); fix the quoting")) from None
    if tuple(header[:4]) == RATING_HEADER or tuple(header) == RATING_HEADER[:3]:
        ratings = _ratings(rows, len(header), path, resolve, problems)
        hofstee: list[HofsteeJudgement] = []
    elif tuple(header) == HOFSTEE_HEADER:
        ratings, hofstee = [], _hofstee(rows, path, problems)
    else:
        raise CcsooError(
            Problem(
                path,
                1,
                f"unknown header '{','.join(header)}'; write 'judge,item,rating,round' for Angoff ratings or "
                "'judge,min_cut,max_cut,min_fail,max_fail' for Hofstee judgements",
            )
        )
    if problems:
        raise CcsooError(problems)
    if not ratings and not hofstee:
        raise CcsooError(Problem(path, 2, "has a header but no rows; add the judges' ratings"))
    return ratings, hofstee


Rows = list[tuple[int, list[str]]]


def _ratings(
    rows: Rows, width: int, path: str, resolve: Callable[[str], str] | None, problems: list[Problem]
) -> list[Rating]:
    parsed: list[tuple[int, str, str, float, int]] = []
    for line, row in rows:
        if len(row) != width:
            problems.append(Problem(path, line, f"has {len(row)} fields, the header {width}; one rating per line"))
            continue
        judge, item, value = row[0], row[1], row[2].rstrip("%").strip()
        rnd = row[3] if width > 3 else "1"
        if not judge:
            problems.append(Problem(path, line, "the judge is empty; write the judge's name or id"))
            continue
        try:
            number = float(value)
        except ValueError:
            problems.append(Problem(path, line, f"rating '{row[2]}' is not a number; write 0-1 or 0-100"))
            continue
        if not math.isfinite(number) or not 0 <= number <= 100:
            problems.append(Problem(path, line, f"rating {row[2]} is out of range; write 0-1 or 0-100"))
            continue
        if not rnd.isdigit() or not 1 <= int(rnd) <= MAX_ROUND:
            problems.append(Problem(path, line, f"round '{rnd}' must be a whole number from 1 to {MAX_ROUND}"))
            continue
        if resolve is not None:
            try:
                item = resolve(item)
            except CcsooError as error:
                problems.append(Problem(path, line, error.problems[0].message))
                continue
        parsed.append((line, judge, item, number, int(rnd)))
    scale = 100.0 if any(p[3] > 1 for p in parsed) else 1.0
    seen: dict[tuple[str, str, int], int] = {}
    ratings = []
    for line, judge, item, number, rnd in parsed:
        key = (judge, item, rnd)
        if key in seen:
            problems.append(
                Problem(path, line, f"{judge} rated {item} in round {rnd} already on line {seen[key]}; keep one")
            )
            continue
        seen[key] = line
        ratings.append(Rating(judge, item, number / scale, rnd))
    return ratings


def _hofstee(rows: Rows, path: str, problems: list[Problem]) -> list[HofsteeJudgement]:
    found = []
    judges: set[str] = set()
    for line, row in rows:
        if len(row) != 5 or not row[0]:
            problems.append(Problem(path, line, "needs judge,min_cut,max_cut,min_fail,max_fail"))
            continue
        try:
            values = [float(v.rstrip("%")) for v in row[1:]]
        except ValueError:
            problems.append(Problem(path, line, "the cuts and fail rates must be numbers (percent, 0-100)"))
            continue
        if not all(0 <= v <= 100 for v in values) or values[0] > values[1] or values[2] > values[3]:
            problems.append(
                Problem(path, line, "need 0 <= min_cut <= max_cut <= 100 and 0 <= min_fail <= max_fail <= 100")
            )
            continue
        if row[0] in judges:
            problems.append(Problem(path, line, f"{row[0]} appears twice; keep one line per judge"))
            continue
        judges.add(row[0])
        found.append(HofsteeJudgement(row[0], *values))
    return found
