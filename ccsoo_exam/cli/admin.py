"""``ccsoo-exam admin``: merge result files, the roster, item analysis, rescoring, certification decisions.

Thin commands: each parses its arguments and calls the store (ccsoo_exam/store/admin.py,
export.py) and the pure rules (roster, item_analysis, rescoring, certification). Tables
are drawn with rich, imported only by the commands that draw them.
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ccsoo_exam.certification import ExamResult, PanelResult, RosterFacts, decide_all
from ccsoo_exam.cli.keys import add_key_options, exam_key
from ccsoo_exam.cli.results import write_output
from ccsoo_exam.errors import CcsooError, Problem, StoreError
from ccsoo_exam.exam import ExamDefinition, load_exam
from ccsoo_exam.inputs import read_input
from ccsoo_exam.item_analysis import ItemAnalysis, KeyedItem, analyse, histogram, package_keys
from ccsoo_exam.rescoring import ACCEPT, DROP, KeyChange, RescoreResult, accepted_letters, rescore, resolve_item
from ccsoo_exam.roster import parse_roster
from ccsoo_exam.store import admin as store
from ccsoo_exam.store import export
from ccsoo_exam.store.database import connect

DEFAULT_EXAM = "question_banks/exam.yaml"
MAX_ROSTER_BYTES = 10_000_000
EXIT_PROBLEMS = 1
EXIT_ERROR = 2


def register(commands: argparse._SubParsersAction) -> None:
    admin = commands.add_parser(
        "admin",
        help="merge results, roster, item analysis, rescoring, certification decisions",
        description="Administrator's tools over an admin database (a merge of terminal and panel databases).",
    )
    sub = admin.add_subparsers(dest="admin_command", metavar="ACTION", required=True)

    p = sub.add_parser(
        "merge",
        help="merge terminal and panel databases into an admin database",
        description=(
            "Merge terminal and panel databases into ADMIN_DB (created if missing). Each sitting's event chain is "
            "verified first; a broken sitting is reported at its event and not imported. Merging a file twice "
            "changes nothing; a sitting already merged with other contents is reported as a conflict and the "
            "merged copy kept. Exit status 0: all merged; 1: conflicts or broken sittings; 2: unreadable files."
        ),
    )
    p.add_argument("sources", nargs="+", metavar="DB", help="terminal or panel database files")
    p.add_argument("--into", required=True, metavar="ADMIN_DB", help="the administrator's database")
    p.set_defaults(handler=cmd_merge)

    roster = sub.add_parser(
        "roster",
        help="import, install or show the candidate roster",
        description="The candidate roster: identity, degree, years of senior management, route, accommodations.",
    )
    rsub = roster.add_subparsers(dest="roster_command", metavar="ACTION", required=True)
    p = rsub.add_parser(
        "import",
        help="replace the roster from a CSV file",
        description=(
            "Check a roster CSV (header: candidate_id,name,degree,years_senior_management,route[,accommodations]) "
            "and make it the admin database's roster, with each candidate's eligibility under source 000. Every "
            "bad row is reported at its line; when any row is bad nothing is imported. Format: docs/admin.md."
        ),
    )
    p.add_argument("file", metavar="FILE.csv", help="the roster, UTF-8 CSV with a header line")
    p.add_argument("--db", required=True, metavar="ADMIN_DB", help="the administrator's database (created if missing)")
    p.set_defaults(handler=cmd_roster_import)
    p = rsub.add_parser(
        "install",
        help="copy the roster into a terminal or panel database",
        description=(
            "Copy the admin roster into a terminal's or panelist's database (created if missing), so check-in "
            "offers only rostered candidates and applies their extra time."
        ),
    )
    p.add_argument("--db", required=True, metavar="TERMINAL_DB", help="terminal or panel database to receive it")
    p.add_argument(
        "--from", dest="admin_db", required=True, metavar="ADMIN_DB", help="admin database holding the roster"
    )
    p.set_defaults(handler=cmd_roster_install)
    p = rsub.add_parser(
        "show", help="print the roster", description="Print the roster with each candidate's eligibility."
    )
    p.add_argument("--db", required=True, metavar="ADMIN_DB", help="admin (or terminal) database")
    p.set_defaults(handler=cmd_roster_show)

    p = sub.add_parser(
        "items",
        help="item analysis: p-values, discrimination, option shares, flags, KR-20",
        description=(
            "Classical item analysis of the submitted sittings of one exam: per item the p-value, corrected "
            "item-total correlation, share choosing each option, and flags; for the test the mean, SD, KR-20 and "
            "SEM, with a histogram of raw scores. Reads the keys from the encrypted package (exam key needed); "
            "applied rescorings are taken into account."
        ),
    )
    p.add_argument("--db", required=True, metavar="ADMIN_DB", help="admin database")
    p.add_argument("--exam", default=DEFAULT_EXAM, metavar="PATH", help="exam definition (default: %(default)s)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    add_key_options(p)
    p.set_defaults(handler=cmd_items)

    p = sub.add_parser(
        "rescore",
        help="drop an item or accept another key after a challenge (dry run unless --apply)",
        description=(
            "Rescore every submitted sitting of the exam with an item dropped or an additional key accepted, on top "
            "of rescorings already applied. Lists whose pass/fail changes and who lies within one SEM of the cut. "
            "Nothing is stored unless --apply is given; applying records who, why and when, and keeps every "
            "sitting's original score."
        ),
    )
    p.add_argument("--db", required=True, metavar="ADMIN_DB", help="admin database")
    p.add_argument("--exam", default=DEFAULT_EXAM, metavar="PATH", help="exam definition (default: %(default)s)")
    p.add_argument(
        "--item",
        required=True,
        metavar="ID",
        help="the challenged item: bank/item, or an item id unique in the package",
    )
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument("--drop", action="store_true", help="drop the item from every score")
    action.add_argument(
        "--accept", metavar="LETTER", help="also count this authored letter (one of the item's A-C/A-D/A-E) as correct"
    )
    p.add_argument("--reason", metavar="TEXT", help="why (required with --apply; kept for audit)")
    p.add_argument("--by", metavar="NAME", help="who decided (required with --apply)")
    p.add_argument("--apply", action="store_true", help="record the rescoring (default: dry run)")
    add_key_options(p)
    p.set_defaults(handler=cmd_rescore)

    p = sub.add_parser(
        "decisions",
        help="certification decision per candidate",
        description=(
            "Decide certification for every candidate on the roster or with a result: route, eligibility, exam or "
            "panel result and the decision with its reason (rules in docs/admin.md). The decisions are stored in "
            "the admin database (replacing the previous run) and printed, or written as CSV/JSON."
        ),
    )
    p.add_argument("--db", required=True, metavar="ADMIN_DB", help="admin database")
    p.add_argument("--format", choices=("text", *export.FORMATS), default="text", help="output format (default text)")
    p.add_argument("-o", "--output", metavar="OUT", help="file to write (default: standard output)")
    p.set_defaults(handler=cmd_decisions)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _console() -> Any:
    from rich.console import Console  # only the commands that draw tables pay for rich

    # Piped into a file or a pager, rich would assume 80 columns and crop the reasons; give it room.
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)


# --- merge --------------------------------------------------------------------------------


def cmd_merge(args: argparse.Namespace) -> int:
    into = Path(args.into).resolve()
    conn = store.open_admin(args.into)
    unreadable = problems = 0
    totals = [0, 0, 0, 0]
    try:
        for source in args.sources:
            if Path(source).resolve() == into:
                print(
                    Problem(source, None, "is the admin database itself; name a terminal or panel file"),
                    file=sys.stderr,
                )
                unreadable += 1
                continue
            try:
                report = store.merge_file(conn, source, utc_now())
            except StoreError as error:
                for problem in error.problems:
                    print(problem, file=sys.stderr)
                unreadable += 1
                continue
            print(f"{source}: {report.summary()}")
            for problem in report.problems:
                print(problem, file=sys.stderr)
            problems += len(report.problems)
            totals = [
                a + b
                for a, b in zip(
                    totals,
                    (len(report.added), len(report.unchanged), len(report.conflicts), len(report.broken)),
                    strict=True,
                )
            ]
    finally:
        conn.close()
    print(
        f"{args.into}: {len(args.sources)} files, {totals[0]} sittings added, {totals[1]} already merged, "
        f"{totals[2]} conflicts, {totals[3]} broken, {unreadable} unreadable"
    )
    return EXIT_ERROR if unreadable else EXIT_PROBLEMS if problems else 0


# --- roster -------------------------------------------------------------------------------


def cmd_roster_import(args: argparse.Namespace) -> int:
    data = read_input(args.file, MAX_ROSTER_BYTES, what="roster")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CcsooError(Problem(args.file, line, "is not UTF-8 text; save the roster as CSV UTF-8")) from None
    try:
        entries = parse_roster(text, args.file)
    except CcsooError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{args.file}: nothing imported; fix the rows above and import again", file=sys.stderr)
        return EXIT_ERROR
    conn = store.open_admin(args.db)
    try:
        store.replace_roster(conn, entries)
    finally:
        conn.close()
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.eligibility.status] = counts.get(entry.eligibility.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"{args.db}: roster of {len(entries)} candidates imported from {args.file} ({summary})")
    return 0


def cmd_roster_install(args: argparse.Namespace) -> int:
    if Path(args.db).resolve() == Path(args.admin_db).resolve():
        raise CcsooError(Problem(args.db, None, "is the admin database itself; name a terminal or panel database"))
    conn = store.open_existing(args.admin_db)
    try:
        count = store.install_roster(conn, args.db)
    finally:
        conn.close()
    print(f"{args.db}: roster of {count} candidates installed from {args.admin_db}")
    return 0


def cmd_roster_show(args: argparse.Namespace) -> int:
    from rich.table import Table

    conn = connect(args.db, readonly=True)
    try:
        rows = store.roster_rows(conn)
    finally:
        conn.close()
    if not rows:
        raise CcsooError(Problem(args.db, None, "has no roster; import one with 'admin roster import FILE.csv'"))
    table = Table(title=f"Roster: {len(rows)} candidates")
    for column in ("candidate", "name", "degree", "years", "route", "accommodations", "eligibility", "reason"):
        table.add_column(column, justify="right" if column == "years" else "left")
    for r in rows:
        table.add_row(
            r["candidate_id"],
            r["name"],
            r["degree"] or "",
            str(r["years_senior_management"] or 0),
            r["route"] or "",
            r["accommodations"] or "",
            r["eligibility"] or "",
            r["eligibility_reason"] or "",
        )
    _console().print(table)
    return 0


# --- item analysis ------------------------------------------------------------------------


def _open_package(args: argparse.Namespace) -> tuple[ExamDefinition, dict[str, KeyedItem], str]:
    from ccsoo_exam.package import open_banks

    definition = load_exam(args.exam)
    package = open_banks(definition, exam_key(args))
    return definition, package_keys(package.banks), package.fingerprint


def cmd_items(args: argparse.Namespace) -> int:
    definition, keys, _ = _open_package(args)
    conn = store.open_existing(args.db)
    try:
        accepted = accepted_letters(keys, store.applied_changes(conn, definition.exam))
        analysis = analyse(store.submitted_answers(conn, definition.exam), keys, accepted)
    finally:
        conn.close()
    if args.format == "json":
        print(json.dumps(_analysis_dict(definition, analysis), indent=2, ensure_ascii=False))
    else:
        _print_analysis(definition, analysis)
    return 0


def _number(value: float, digits: int = 3) -> float | None:
    return None if math.isnan(value) else round(value, digits)


def _analysis_dict(definition: ExamDefinition, analysis: ItemAnalysis) -> dict[str, Any]:
    s = analysis.summary
    return {
        "exam": definition.exam,
        "basis": analysis.basis,
        "summary": {
            "candidates": s.n_candidates,
            "items": s.n_items,
            "mean": _number(s.mean),
            "sd": _number(s.sd),
            "kr20": _number(s.kr20),
            "sem": _number(s.sem),
        },
        "items": [
            {
                "item": r.item,
                "module": r.module,
                "key": r.key,
                "n": r.n,
                "p_value": _number(r.p_value),
                "item_total": _number(r.item_total),
                "shares": {k: _number(v) for k, v in r.shares.items()},
                "flags": list(r.flags),
            }
            for r in analysis.items
        ],
        "histogram": [
            {"low": low, "high": high, "count": count}
            for low, high, count in histogram(analysis.totals, definition.item_count)
        ],
    }


def _print_analysis(definition: ExamDefinition, analysis: ItemAnalysis) -> None:
    from rich.table import Table

    console = _console()
    s = analysis.summary
    summary = Table(title=f"{definition.title}: test summary ({analysis.basis})")
    for column in ("candidates", "items", "mean", "SD", "KR-20", "SEM"):
        summary.add_column(column, justify="right")
    summary.add_row(
        str(s.n_candidates), str(s.n_items), f"{s.mean:.2f}", f"{s.sd:.2f}", _fixed(s.kr20), _fixed(s.sem, 2)
    )
    console.print(summary)
    items = Table(title="Items (shares of the candidates given each item; authored letters)")
    # Items have 3 to 5 options: a column per letter any item uses, blank where an item has no such option.
    letters = ["A", "B", "C", "D", "E"][: max((len(r.shares) - 1 for r in analysis.items), default=4)]
    for column in ("item", "mod", "key", "n", "p", "r_it", *letters, "omit"):
        items.add_column(column, justify="left" if column == "item" else "right", no_wrap=True)
    items.add_column("flags")
    for r in analysis.items:
        items.add_row(
            r.item,
            str(r.module),
            r.key or "-",
            str(r.n),
            f"{r.p_value:.2f}",
            _fixed(r.item_total, 2),
            *(f"{100 * r.shares[letter]:.0f}%" if letter in r.shares else "" for letter in (*letters, "-")),
            "; ".join(r.flags) or "ok",
        )
    console.print(items)
    flagged = sum(1 for r in analysis.items if r.flags)
    console.print(f"{flagged} of {len(analysis.items)} items flagged")
    console.print()
    console.print(f"Raw scores of {s.n_candidates} candidates (cut {definition.cut_score} of {definition.item_count}):")
    bins = histogram(analysis.totals, definition.item_count)
    peak = max(count for _, _, count in bins) or 1
    for low, high, count in bins:
        bar = "#" * math.ceil(40 * count / peak) if count else ""
        cut = "  <- cut" if low <= definition.cut_score <= high else ""
        console.print(f"{low:3d}-{high:<3d} {count:6d} {bar}{cut}", markup=False)


def _fixed(value: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


# --- rescoring ----------------------------------------------------------------------------


def cmd_rescore(args: argparse.Namespace) -> int:
    if args.apply:
        missing = [flag for flag, value in (("--reason", args.reason), ("--by", args.by)) if not (value or "").strip()]
        if missing:
            raise CcsooError(
                Problem(" and ".join(missing), None, "an applied rescoring records who decided it and why")
            )
    definition, keys, fingerprint = _open_package(args)
    bank_id, item_id = resolve_item(args.item, keys).split("/", 1)
    change = (
        KeyChange(bank_id, item_id, DROP)
        if args.drop
        else KeyChange(bank_id, item_id, ACCEPT, args.accept.strip().upper())
    )
    conn = store.open_existing(args.db)
    try:
        applied = store.applied_changes(conn, definition.exam)
        result = rescore(
            store.submitted_answers(conn, definition.exam),
            keys,
            applied,
            change,
            store.current_scores(conn, definition.exam),
        )
        _print_rescore(definition, result, applied, dry_run=not args.apply)
        if args.apply:
            rescoring_id = store.record_rescoring(
                conn,
                definition.exam,
                change,
                result,
                reason=" ".join(args.reason.split()),
                by=args.by.strip(),
                at=utc_now(),
                package_fingerprint=fingerprint,
            )
            print(f"recorded rescoring #{rescoring_id} by {args.by.strip()}; original scores are kept")
    finally:
        conn.close()
    return 0


def _print_rescore(
    definition: ExamDefinition, result: RescoreResult, applied: list[KeyChange], *, dry_run: bool
) -> None:
    from rich.table import Table

    console = _console()
    mode = "DRY RUN, nothing is stored" if dry_run else "applying"
    console.print(f"{definition.exam}: {result.change.describe()} ({mode})", markup=False)
    if applied:
        console.print("on top of: " + "; ".join(c.describe() for c in applied), markup=False)
    console.print(
        f"{len(result.sittings)} sittings rescored; KR-20 {_fixed(result.kr20)}, SEM {_fixed(result.sem, 2)} raw points"
    )

    def listing(title: str, sittings: tuple) -> None:
        table = Table(title=f"{title}: {len(sittings)}")
        for column in ("candidate", "sitting", "before", "after", "cut", "result"):
            table.add_column(column, justify="left" if column in ("candidate", "sitting", "result") else "right")
        for s in sorted(sittings, key=lambda s: (s.candidate_id, s.sitting_id)):
            verdict = ("pass" if s.after.passed else "fail") + (
                f" (was {'pass' if s.before.passed else 'fail'})" if s.changed else ""
            )
            table.add_row(
                s.candidate_id,
                s.sitting_id[:8],
                f"{s.before.raw}/{s.before.total}",
                f"{s.after.raw}/{s.after.total}",
                f"{s.cut_raw:.1f}",
                verdict,
            )
        console.print(table)

    listing("Pass/fail changes", result.changed)
    listing("Within one SEM of the cut after rescoring", result.near_cut)
    if dry_run:
        console.print("Run again with --apply --reason TEXT --by NAME to record this rescoring.")


# --- decisions ----------------------------------------------------------------------------


def cmd_decisions(args: argparse.Namespace) -> int:
    conn = store.open_existing(args.db)
    try:
        decisions = decide_all(_roster_facts(conn), _exam_results(conn), _panel_results(conn))
        store.save_decisions(conn, decisions, utc_now())
        late = store.unrescored_sittings(conn)
        if late:
            print(
                f"{args.db}: {late} submitted sittings were merged after the latest rescoring and keep their terminal "
                "score; rescore again to include them",
                file=sys.stderr,
            )
        if args.format == "text":
            _print_decisions(decisions)
        else:
            writer = export.write_csv if args.format == "csv" else export.write_json
            write_output(args.output, lambda out: writer(out, "decisions", export.batches(conn, "decisions", args.db)))
    finally:
        conn.close()
    return 0


def _roster_facts(conn: sqlite3.Connection) -> list[RosterFacts]:
    return [
        RosterFacts(r["candidate_id"], r["name"], r["route"], r["eligibility"], r["eligibility_reason"])
        for r in store.roster_rows(conn)
    ]


def _exam_results(conn: sqlite3.Connection) -> dict[str, ExamResult]:
    return {c: ExamResult(*values) for c, values in store.latest_exam_results(conn).items()}


def _panel_results(conn: sqlite3.Connection) -> dict[str, PanelResult]:
    from ccsoo_exam.aggregation import FAIL, PASS, panel_report
    from ccsoo_exam.store import scoresheets

    results: dict[str, PanelResult] = {}
    for rubric in scoresheets.stored_rubrics(conn):
        report = panel_report(
            rubric, scoresheets.list_sheets(conn, rubric.id), scoresheets.moderations(conn, rubric.id)
        )
        for r in report.candidates:
            known = results.get(r.candidate_id)
            # A decided result (pass/fail) wins over a pending one from another rubric version.
            if known is None or (known.decision not in (PASS, FAIL) and r.decision in (PASS, FAIL)):
                results[r.candidate_id] = PanelResult(rubric.id, r.final, r.decision)
    return results


def _print_decisions(decisions: list) -> None:
    from rich.table import Table

    table = Table(title=f"Certification decisions: {len(decisions)} candidates")
    for column in ("candidate", "name", "route", "eligibility", "exam", "panel", "decision", "reason"):
        table.add_column(column)
    for d in decisions:
        exam = f"{d.exam_raw}/{d.exam_total}" if d.exam_raw is not None else ""
        panel = f"{d.panel_final:.1f}% {d.panel_decision}" if d.panel_final is not None else (d.panel_decision or "")
        table.add_row(d.candidate_id, d.name, d.route or "", d.eligibility or "", exam, panel, d.decision, d.reason)
    _console().print(table)
    counts: dict[str, int] = {}
    for d in decisions:
        counts[d.decision] = counts.get(d.decision, 0) + 1
    _console().print(", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
