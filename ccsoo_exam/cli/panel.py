"""``ccsoo-exam panel``: live scoring, the panel report, moderation and merging panel files.

Textual is imported only when the scoring screen is opened, so the report and moderation
commands start quickly and run where no terminal UI is available.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sqlite3
import sys
from pathlib import Path

import ccsoo_exam
from ccsoo_exam.aggregation import panel_report, report_as_dict, report_as_text
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.inputs import not_regular, read_input
from ccsoo_exam.locations import ENV_DATA, data_dir
from ccsoo_exam.rubric import Rubric, load_rubric
from ccsoo_exam.scoresheet import utc_now
from ccsoo_exam.store import scoresheets as store
from ccsoo_exam.store.database import ProcessLock

DEFAULT_RUBRIC = Path("rubrics") / "executive-presentation.yaml"
# Shared with 'admin merge' (docs/admin.md): 1 = something was reported and left out, 2 = could not run.
EXIT_PROBLEMS = 1
MAX_ROSTER_BYTES = 1024 * 1024


def register(commands: argparse._SubParsersAction) -> None:
    panel = commands.add_parser(
        "panel",
        help="live panel scoring of the executive presentation",
        description=(
            "Open the panel scoring screen: identify yourself, pick the candidate, declare any conflict of "
            "interest, then score each rubric criterion live; every change is saved at once. "
            "Subcommands print the panel report, record a moderated score, or merge panelists' files."
        ),
        epilog=f"Default database: ${ENV_DATA}/panel.db, else $XDG_DATA_HOME/ccsoo-exam/panel.db, "
        "else ~/.local/share/ccsoo-exam/panel.db.",
    )
    panel.add_argument("--rubric", metavar="FILE", help=f"rubric to score against (default {DEFAULT_RUBRIC})")
    panel.add_argument("--db", metavar="PATH", help="panel database (default: see below)")
    panel.add_argument("--roster", metavar="FILE.csv", help="candidates to offer: a CSV with candidate_id,name columns")
    panel.add_argument(
        "--machine-key",
        metavar="PATH",
        help="this machine's seal signing key (default: panel-machine.key beside the database; created if missing)",
    )
    panel.set_defaults(handler=cmd_panel)
    sub = panel.add_subparsers(dest="panel_command", metavar="ACTION")

    p = sub.add_parser(
        "report",
        help="print results, discrepancies, decisions and reliability",
        description=(
            "Aggregate finalised sheets per candidate: each panelist's weighted percentage, the panel mean and "
            "spread, discrepancy flags, moderated final scores and the decision against the pass rule; then "
            "ICC(A,k) and Krippendorff's alpha with their interpretation bands. Recused (conflict) and "
            "unfinalised sheets are listed but not counted."
        ),
    )
    p.add_argument("--db", metavar="PATH", required=True, help="panel database (a panelist's or a merged one)")
    p.add_argument("--rubric", metavar="FILE", help="rubric file (default: the one stored with the sheets)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser(
        "moderate",
        help="record a moderated level for a criterion (or, older form, a final score)",
        description=(
            "Record the moderator's level for one criterion of a candidate (--criterion ID --level N), with the "
            "reason: the criterion's final level becomes that level. A candidate with a discrepancy has a decision "
            "once every flagged criterion is moderated. The older form --score PCT sets the final score itself. "
            "The latest moderation counts; earlier ones stay in the database for the record."
        ),
    )
    p.add_argument("--db", metavar="PATH", required=True, help="panel database")
    p.add_argument("--candidate", metavar="ID", required=True, help="candidate id")
    p.add_argument("--criterion", metavar="ID", help="criterion id to moderate (with --level)")
    p.add_argument("--level", metavar="N", help="the moderated level of that criterion")
    p.add_argument("--score", metavar="PCT", help="older form: the final weighted percentage, 0-100")
    p.add_argument("--reason", metavar="TEXT", required=True, help="why this score (kept for audit)")
    p.add_argument("--moderator", metavar="NAME", required=True, help="who moderated")
    p.add_argument("--rubric", metavar="FILE", help="rubric file (default: the one stored with the sheets)")
    p.set_defaults(handler=cmd_moderate)

    p = sub.add_parser(
        "chair",
        help="the chair's consolidation: progress, discrepancies, moderation per criterion, sealing",
        description=(
            "Open the chair's screen on a merged panel database (see 'panel import'): for each candidate, every "
            "panelist's progress, the consolidated sheet per criterion with discrepancies marked '!', moderation "
            "of a criterion (m: a level and a reason) and sealing the consolidated sheet (f)."
        ),
    )
    p.add_argument("--db", metavar="MERGED_DB", required=True, help="merged panel database")
    p.add_argument("--rubric", metavar="FILE", help="rubric file (default: the one stored with the sheets)")
    p.set_defaults(handler=cmd_chair)

    p = sub.add_parser(
        "import",
        help="merge panelists' databases into one",
        description=(
            "Copy finalised sheets (with their change logs and rubric files) and moderations from each SOURCE "
            "into the --db database by their stable ids. Importing the same file twice changes nothing; a sheet "
            "that differs from the one already there is reported, never overwritten. Exit status 0: all imported; "
            "1: a conflict or a skipped sheet (unfinalised or altered), as 'admin merge'; 2: a file could not be "
            "read. Voided sheets are not imported and are not a problem."
        ),
    )
    p.add_argument("--db", metavar="PATH", required=True, help="target database (created if missing)")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="panelists' panel.db files")
    p.set_defaults(handler=cmd_import)


def default_db() -> Path:
    return data_dir() / "panel.db"


def _rubric_path(given: str | None) -> str:
    if given:
        return given
    if DEFAULT_RUBRIC.exists():
        return str(DEFAULT_RUBRIC)
    # Run from elsewhere in a source checkout: use the checkout's sample rubric.
    beside = Path(ccsoo_exam.__file__).resolve().parent.parent / DEFAULT_RUBRIC
    return str(beside) if beside.exists() else str(DEFAULT_RUBRIC)


def load_roster_csv(path: str) -> list[tuple[str, str]]:
    """Read (candidate_id, name) rows from a CSV with a header naming at least those two columns."""
    data = read_input(path, MAX_ROSTER_BYTES, what="roster")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CcsooError(Problem(path, None, "roster is not UTF-8 text; save it as UTF-8 CSV")) from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in ("candidate_id", "name") if c not in columns]
    if missing:
        raise CcsooError(
            Problem(path, 1, f"the header needs the columns candidate_id,name (missing {', '.join(missing)})")
        )
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    rows: list[tuple[str, str]] = []
    for record in reader:
        line = reader.line_num
        clean = {(k or "").strip(): (v or "").strip() for k, v in record.items() if isinstance(v, str)}
        candidate_id = clean.get("candidate_id", "")
        if not candidate_id:
            problems.append(Problem(path, line, "candidate_id is empty"))
            continue
        if candidate_id in seen:
            problems.append(Problem(path, line, f"candidate_id '{candidate_id}' repeats line {seen[candidate_id]}"))
            continue
        seen[candidate_id] = line
        rows.append((candidate_id, clean.get("name", "")))
    if problems:
        raise CcsooError(problems)
    return rows


def cmd_panel(args: argparse.Namespace) -> int:
    rubric = load_rubric(_rubric_path(args.rubric))
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Without a terminal Textual waits for input that never comes; say so instead of hanging.
        raise CcsooError("live panel scoring needs an interactive terminal; run it in a console, not through a pipe")
    roster = load_roster_csv(args.roster) if args.roster else []
    db = Path(args.db) if args.db else default_db()
    key = Path(args.machine_key) if args.machine_key else db.with_name("panel-machine.key")
    if not key.exists():
        # A new machine gets its key now; the administrator enrols it ('admin enrol-terminal --from-key')
        # before importing its sheets, and sheets sealed by an unenrolled key are refused then.
        from ccsoo_exam.keyfile import new_key_file

        key.parent.mkdir(parents=True, exist_ok=True)
        new_key_file(key)
        print(f"ccsoo-exam panel: created this machine's seal key {key}; have the administrator enrol it")
    from ccsoo_exam.signing import load_signer

    signer = load_signer(key)
    print(
        f"ccsoo-exam panel: scoring against {rubric.id}; sheets are saved in {db}; seals signed by key {signer.key_id}"
    )
    with ProcessLock(db):
        from ccsoo_exam.ui.panel import make_panel_app  # Textual only for the screen

        make_panel_app(str(db), rubric, roster=roster, signer=signer).run()
    print(f"ccsoo-exam panel: all changes are saved in {db}")
    return 0


def _require_file(path: str) -> None:
    # Opening a missing path would create an empty database; a typo should say so instead.
    reason = not_regular(path)
    if reason is not None:
        raise CcsooError(Problem(path, None, "database not found; check the path" if "not found" in reason else reason))


def _report_rubric(conn: sqlite3.Connection, given: str | None, db: str) -> Rubric:
    if given:
        return load_rubric(given)
    stored = store.stored_rubrics(conn)
    if not stored:
        raise CcsooError(Problem(db, None, "has no scoresheets yet"))
    ids = {r.id for r in stored}
    if len(stored) > 1:
        versions = ", ".join(f"{r.id} ({r.digest[:12]})" for r in stored)
        what = "rubrics" if len(ids) > 1 else "versions of the rubric"
        raise CcsooError(
            Problem(db, None, f"holds sheets for several {what}: {versions}; choose one with --rubric FILE")
        )
    return stored[0]


def cmd_report(args: argparse.Namespace) -> int:
    _require_file(args.db)
    conn = store.open_existing(args.db)
    try:
        rubric = _report_rubric(conn, args.rubric, args.db)
        sheets = store.list_sheets(conn, rubric.id)
        report = panel_report(
            rubric, sheets, store.moderations(conn, rubric.id), store.criterion_moderations(conn, rubric.id)
        )
        timers = {s.sheet_id: store.timer_events(conn, s.sheet_id) for s in sheets}
    finally:
        conn.close()
    if args.format == "json":
        print(json.dumps(report_as_dict(report, rubric, timers), indent=2, ensure_ascii=False))
    else:
        print(report_as_text(report, rubric, timers))
    return 0


def cmd_chair(args: argparse.Namespace) -> int:
    _require_file(args.db)
    conn = store.open_existing(args.db)
    try:
        rubric = _report_rubric(conn, args.rubric, args.db)
    except CcsooError:
        conn.close()
        raise
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        conn.close()
        raise CcsooError("the chair's screen needs an interactive terminal; run it in a console, not through a pipe")
    with ProcessLock(Path(args.db)):
        from ccsoo_exam.ui.panel import make_chair_app  # Textual only for the screen

        make_chair_app(args.db, rubric, conn=conn).run()
    print(f"ccsoo-exam panel chair: all changes are saved in {args.db}")
    return 0


def cmd_moderate(args: argparse.Namespace) -> int:
    if args.criterion is not None or args.level is not None:
        return _moderate_criterion(args)
    if args.score is None:
        raise CcsooError(Problem("--criterion", None, "give --criterion ID --level N (or the older --score PCT)"))
    try:
        score = float(args.score)
    except ValueError:
        raise CcsooError(Problem("--score", None, f"must be a number from 0 to 100, not '{args.score}'")) from None
    if not math.isfinite(score):
        raise CcsooError(Problem("--score", None, "must be a number from 0 to 100"))
    _require_file(args.db)
    conn = store.open_existing(args.db)
    try:
        rubric = _report_rubric(conn, args.rubric, args.db)
        moderation = store.record_moderation(
            conn, rubric.id, args.candidate, score, args.reason, args.moderator, utc_now()
        )
    finally:
        conn.close()
    print(
        f"{args.candidate}: moderated to {moderation.score:g}% by {moderation.moderator} ({moderation.moderation_id})"
    )
    return 0


def _moderate_criterion(args: argparse.Namespace) -> int:
    if args.score is not None:
        raise CcsooError(Problem("--score", None, "give either --criterion and --level, or --score, not both"))
    if args.criterion is None or args.level is None:
        raise CcsooError(Problem("--criterion", None, "a moderated level needs both --criterion ID and --level N"))
    try:
        level = int(args.level)
    except ValueError:
        raise CcsooError(Problem("--level", None, f"must be a level number, not '{args.level}'")) from None
    _require_file(args.db)
    conn = store.open_existing(args.db)
    try:
        rubric = _report_rubric(conn, args.rubric, args.db)
        m = store.record_criterion_moderation(
            conn, rubric, args.candidate, args.criterion, level, args.reason, args.moderator, utc_now()
        )
    finally:
        conn.close()
    title = rubric.criterion(m.criterion_id).title
    print(f"{m.candidate_id}: {title} moderated to {m.level} {rubric.label(m.level)} by {m.moderator}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    for source in args.sources:
        _require_file(source)
        if Path(source).resolve() == Path(args.db).resolve():
            raise CcsooError(Problem(source, None, "is the target database itself; name another file"))
    failed = False
    for source, report in store.import_files(args.db, args.sources):
        print(f"{source}: {report.summary()}")
        for problem in report.problems:
            print(problem, file=sys.stderr)
        # The same rule as 'admin merge': a skipped sheet is as much a problem as a conflict.
        failed = failed or bool(report.problems)
    return EXIT_PROBLEMS if failed else 0
