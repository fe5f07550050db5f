"""``ccsoo-exam results export``: one table of a results database as CSV or JSON."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.store import export
from ccsoo_exam.store.database import connect


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


def cmd_export(args: argparse.Namespace) -> int:
    conn = connect(args.db, readonly=True)
    try:
        if args.format == "csv":
            count = write_output(args.output, lambda out: export.export_csv(conn, out, args.table, args.db))
        else:
            count = write_output(
                args.output, lambda out: export.write_json(out, args.table, export.batches(conn, args.table, args.db))
            )
    finally:
        conn.close()
    if args.output:
        print(f"{args.output}: {count} {args.table} rows ({args.format})", file=sys.stderr)
    return 0


def write_output(target: str | None, write: Callable[[IO[str]], int]) -> int:
    """Run ``write`` on standard output, or on a temporary file renamed over ``target`` once complete."""
    if not target:
        return write(sys.stdout)
    path = Path(target)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
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
