"""``ccsoo-exam results export``: one table of a results database as CSV or JSON."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.store import export
from ccsoo_exam.store.database import connect

PROGRESS_ROWS = 100_000  # exports smaller than this finish before a bar would be read


def register(commands: argparse._SubParsersAction) -> None:
    results = commands.add_parser(
        "results",
        help="export results (sittings, responses, panel scores, decisions)",
        description="Read a results database (an administrator's merged one, or a single terminal's).",
    )
    sub = results.add_subparsers(dest="results_command", metavar="ACTION", required=True)
    p = sub.add_parser(
        "export",
        help="write one table as CSV or JSON",
        description=(
            "Write one table of a results database as CSV (header line, one row per line) or JSON (an array of "
            "objects). Tables: responses (default; one row per sitting and question, with the answer as the "
            "AUTHORED option letter and the letter as shown), sittings (scores, module subscores, receipt codes), "
            "candidates (the roster), panel (one row per sheet and criterion), moderations, decisions (run "
            "'admin decisions' first). Columns are listed in docs/admin.md and only ever appended to. "
            "The database is opened read-only."
        ),
    )
    p.add_argument("--db", metavar="PATH", required=True, help="results database to read")
    p.add_argument("--format", choices=export.FORMATS, default="csv", help="output format (default csv)")
    p.add_argument(
        "--table", choices=tuple(export.TABLES), default="responses", help="what to export (default responses)"
    )
    p.add_argument("-o", "--output", metavar="OUT", help="file to write (default: standard output)")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser(
        "metadata",
        help="write Datasette metadata describing every table and column",
        description=(
            "Write a Datasette metadata.json describing every table and column of the results database, so that "
            "'datasette ADMIN_DB --metadata metadata.json' shows what each column means. The database is opened "
            "read-only; tables this version does not know are listed as not described."
        ),
    )
    p.add_argument("--db", metavar="PATH", required=True, help="results database to describe")
    p.add_argument("-o", "--output", metavar="OUT", help="file to write (default: standard output)")
    p.set_defaults(handler=cmd_metadata)

    p = sub.add_parser(
        "report",
        help="candidates' score reports as PDF",
        description=(
            "Write the candidate's score report as a PDF: name and id, exam, date, pass/fail, the score as the exam "
            "definition allows (show_score), a performance band per module (below, near or above the standard) with "
            "a caution on short subscores, the receipt code and how to verify it. Never any item content. One "
            "candidate (--candidate ID -o FILE.pdf, their latest submitted sitting of the exam) or everyone with a "
            "submitted sitting (--all -o DIR, one CANDIDATE.pdf each)."
        ),
    )
    p.add_argument("--db", metavar="ADMIN_DB", required=True, help="admin (or terminal) database")
    p.add_argument(
        "--exam", default="question_banks/exam.yaml", metavar="PATH", help="exam definition (default: %(default)s)"
    )
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--candidate", metavar="ID", help="the candidate's id")
    who.add_argument("--all", action="store_true", help="every candidate with a submitted sitting of the exam")
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="FILE.pdf (--candidate) or a directory (--all)")
    p.set_defaults(handler=cmd_report)


def cmd_export(args: argparse.Namespace) -> int:
    from ccsoo_exam.cli import progress

    conn = connect(args.db, readonly=True)
    writer = export.export_csv if args.format == "csv" else export.export_json
    try:
        total = export.count_rows(conn, args.table, args.db) if progress.wanted(1, 0) else 0
        with progress.bar(f"exporting {args.table}", total, PROGRESS_ROWS) as advance:
            count = write_output(args.output, lambda out: writer(conn, out, args.table, args.db, advance))
    finally:
        conn.close()
    if args.output:
        print(f"{args.output}: {count} {args.table} rows ({args.format})", file=sys.stderr)
    return 0


def cmd_metadata(args: argparse.Namespace) -> int:
    import json

    from ccsoo_exam.store import catalog

    if not Path(args.db).is_file():
        raise CcsooError(Problem(args.db, None, "database not found; check the path"))
    conn = connect(args.db, readonly=True)
    try:
        tables = catalog.schema(conn)
    finally:
        conn.close()
    if not tables:
        raise CcsooError(Problem(args.db, None, "has no tables; is this a ccsoo-exam results database?"))
    metadata = catalog.datasette_metadata(tables, catalog.database_name(args.db))

    def write(out: IO[str]) -> int:
        out.write(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
        return len(tables)

    write_output(args.output, write)
    for name in catalog.undescribed(tables):
        print(f"{args.db}: {name} is not described by this version of ccsoo-exam", file=sys.stderr)
    if args.output:
        print(f"{args.output}: Datasette metadata for {len(tables)} tables of {args.db}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ccsoo_exam.exam import load_exam
    from ccsoo_exam.reports import score_report
    from ccsoo_exam.store import reporting

    definition = load_exam(args.exam)
    if not Path(args.db).is_file():
        raise CcsooError(Problem(args.db, None, "database not found; check the path"))
    conn = connect(args.db, readonly=True)  # a terminal's database is read, never migrated
    try:
        sittings = reporting.candidate_results(conn, definition.exam, None if args.all else args.candidate)
    finally:
        conn.close()
    if not sittings:
        who = f"candidate {args.candidate} has no" if args.candidate else "nobody has a"
        raise CcsooError(
            Problem(args.db, None, f"{who} submitted sitting of {definition.exam}; check the id and --exam")
        )
    font = score_report.find_font()
    if font is None:
        print(score_report.NO_FONT_MESSAGE, file=sys.stderr)
    if args.all:
        folder = Path(args.output)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CcsooError(Problem(args.output, None, f"cannot create the directory: {exc.strerror}")) from None
        targets = [(s, folder / f"{score_report.file_stem(s.candidate_id)}.pdf") for s in sittings]
    else:
        targets = [(sittings[-1], Path(args.output))]
    for sitting, target in targets:
        rendered = score_report.render(definition, sitting, font)
        write_output(str(target), lambda out, data=rendered.data: out.write(data), binary=True)
        if rendered.missing:
            print(
                f"{target}: the font cannot show {rendered.missing!r} (printed as '?'); install a font that covers "
                f"them (e.g. fonts-droid-fallback) or set {score_report.FONT_ENV}",
                file=sys.stderr,
            )
    where = args.output if args.all else str(targets[0][1])
    print(f"{where}: {len(targets)} score report{'s' if len(targets) != 1 else ''} written", file=sys.stderr)
    return 0


def write_output(target: str | None, write: Callable[[Any], int], *, binary: bool = False) -> int:
    """Run ``write`` on standard output, or on a temporary file renamed over ``target`` once complete."""
    if not target:
        return write(sys.stdout)
    path = Path(target)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        if binary:
            with open(temporary, "wb") as binary_handle:
                count = write(binary_handle)
        else:
            with open(temporary, "w", encoding="utf-8", newline="") as handle:
                count = write(handle)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CcsooError(Problem(target, None, f"cannot write: {exc.strerror}; check the directory exists")) from None
    except BaseException:
        temporary.unlink(missing_ok=True)  # never leave half an export that looks complete
        raise
    return count
