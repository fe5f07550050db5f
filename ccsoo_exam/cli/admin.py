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

from ccsoo_exam.certification import CommitteeDecision, ExamResult, PanelResult, RosterFacts, decide_all
from ccsoo_exam.cli import integrity, layout, output
from ccsoo_exam.cli.keys import add_key_options, exam_key
from ccsoo_exam.cli.results import write_output
from ccsoo_exam.errors import CcsooError, Problem, StoreError
from ccsoo_exam.exam import ExamDefinition, load_exam
from ccsoo_exam.inputs import read_input
from ccsoo_exam.item_analysis import ItemAnalysis, KeyedItem, analyse, histogram, package_keys
from ccsoo_exam.rescoring import (
    ACCEPT,
    CREDIT,
    DROP,
    KeyChange,
    PolicyEffect,
    RescoreResult,
    accepted_letters,
    compare_policies,
    rescore,
    resolve_item,
)
from ccsoo_exam.roster import parse_roster
from ccsoo_exam.store import admin as store
from ccsoo_exam.store import export
from ccsoo_exam.store.database import connect
from ccsoo_exam.text import visible

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
            "merged copy kept. Exit status 0: all merged; 1: a conflict, a broken sitting or a skipped panel sheet "
            "(as 'panel import'); 2: a file could not be read."
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

    eligibility = sub.add_parser(
        "eligibility",
        help="record the committee's case-by-case eligibility decisions",
        description=(
            "Candidates with a Bachelor's degree and at least 15 years of senior management are considered case by "
            "case (source 000). The committee's decision is recorded here, with who decided and why; it is kept "
            "in the audit log (table eligibility_decisions, never changed; a later decision supersedes an earlier "
            "one) and applied by 'admin decisions'."
        ),
    )
    esub = eligibility.add_subparsers(dest="eligibility_command", metavar="ACTION", required=True)
    p = esub.add_parser(
        "decide",
        help="record the committee's decision for a candidate under case-by-case review",
        description=(
            "Record the committee's decision (eligible or not-eligible) for a candidate whose roster eligibility is "
            "'case-by-case review'. Audit-logged with --by, --reason and the time; shown by 'admin decisions'."
        ),
    )
    p.add_argument("--db", required=True, metavar="ADMIN_DB", help="admin database holding the roster")
    p.add_argument("--candidate", required=True, metavar="ID", help="candidate id on the roster")
    p.add_argument("--decision", required=True, choices=("eligible", "not-eligible"), help="the committee's decision")
    p.add_argument("--reason", required=True, metavar="TEXT", help="why (kept for audit)")
    p.add_argument("--by", required=True, metavar="NAME", help="who decided (the committee or its chair)")
    p.set_defaults(handler=cmd_eligibility_decide)
    p = esub.add_parser(
        "log",
        help="print every committee decision recorded",
        description="Print the audit log of case-by-case eligibility decisions, oldest first.",
    )
    p.add_argument("--db", required=True, metavar="ADMIN_DB", help="admin database")
    p.set_defaults(handler=cmd_eligibility_log)

    p = sub.add_parser(
        "items",
        help="item analysis: p-values, discrimination, option shares, flags, KR-20",
        description=(
            "Classical item analysis of the finished sittings of one exam: per item the p-value, corrected "
            "item-total correlation, SD, discriminative efficiency, upper/lower 27% discrimination, share and "
            "point-biserial of each option, and flags; for the test the mean, median, SD, skewness, kurtosis, "
            "KR-20, SEM, error ratio and random-guess score; KR-20 per module and whether subscores can be "
            "reported; the conditional SEM at the cut; decision consistency and accuracy (Livingston-Lewis); "
            "Mantel-Haenszel DIF when the roster has a group column; with a histogram of raw scores. Sittings "
            "ended by the proctor or never submitted are left out unless --include-all. Reads the keys from the "
            "encrypted package (exam key needed); applied rescorings are taken into account. Formulas and "
            "sources: docs/admin.md."
        ),
    )
    p.add_argument("--db", required=True, metavar="ADMIN_DB", help="admin database")
    p.add_argument("--exam", default=DEFAULT_EXAM, metavar="PATH", help="exam definition (default: %(default)s)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    p.add_argument(
        "--include-all",
        action="store_true",
        help="include sittings ended by the proctor and sittings never submitted (left out by default)",
    )
    add_key_options(p)
    p.set_defaults(handler=cmd_items)

    p = sub.add_parser(
        "report",
        help="the results report as one self-contained HTML file",
        description=(
            "Write one HTML file (no network, no scripts, charts as inline SVG, printable) with the score "
            "distribution and the cut, item analysis (p against discrimination, option shares, flags), module "
            "subscores, the spread of form difficulty, the standard-setting result, panel reliability and the "
            "certification decisions. Reads the keys from the encrypted package (exam key needed)."
        ),
    )
    p.add_argument("--db", required=True, metavar="ADMIN_DB", help="admin database")
    p.add_argument("--exam", default=DEFAULT_EXAM, metavar="PATH", help="exam definition (default: %(default)s)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="HTML file to write")
    add_key_options(p)
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser(
        "calibrate",
        help="Rasch calibration: item difficulties for form assembly, per-form raw cuts and scaled scores",
        description=(
            "Calibrate the items of the submitted sittings with the Rasch model (JML, (L-1)/L bias correction; "
            "keys after applied rescorings, dropped items left out). Writes the calibration file (difficulties, "
            "SEs, infit/outfit, the ability cut and mean ability; no candidate data) beside the exam definition, "
            "for the package to carry to terminals, and a JSON report for the administrator with every "
            "candidate's ability and each form's test characteristic curve and raw cut. The ability cut is carried "
            "over from the definition's raw cut on the average form unless --ability-cut sets it. Format: "
            "docs/formats.md."
        ),
    )
    p.add_argument("--db", required=True, metavar="ADMIN_DB", help="admin database")
    p.add_argument("--exam", default=DEFAULT_EXAM, metavar="PATH", help="exam definition (default: %(default)s)")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="calibration file to write (default: the one the definition names, else calibration.yaml beside it)",
    )
    p.add_argument(
        "--report", metavar="FILE.json", help="administrator's report (default: ADMIN_DB with .calibration.json)"
    )
    p.add_argument("--ability-cut", type=float, metavar="LOGITS", help="the cut on the ability scale")
    add_key_options(p)
    p.set_defaults(handler=cmd_calibrate)

    p = sub.add_parser(
        "rescore",
        help="drop an item, accept another key or credit everyone after a challenge (dry run unless --apply)",
        description=(
            "Rescore every submitted sitting of the exam with an item dropped, an additional key accepted or the item "
            "credited to everyone, on top of rescorings already applied, optionally protecting passes. Lists whose "
            "pass/fail changes and who lies within one SEM of the cut; the dry run also compares every policy. "
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
    action.add_argument(
        "--credit-all", action="store_true", help="count the item correct for everyone whose form held it"
    )
    p.add_argument(
        "--protect-passes",
        action="store_true",
        help="no candidate who currently passes fails through this rescoring (they keep the pass)",
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

    integrity.register(sub)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _console() -> Any:
    # Every layout fits 80 columns without cutting anything (see layout.py), so a pipe gets 80 too;
    # markup off: names are printed as written.
    return output.console(soft_wrap=False, width=None if sys.stdout.isatty() else layout.WIDTH)


# --- merge --------------------------------------------------------------------------------


PROGRESS_FILES = 20  # merging fewer files is over before a bar would be read


def cmd_merge(args: argparse.Namespace) -> int:
    from ccsoo_exam.cli import progress

    into = Path(args.into).resolve()
    conn = store.open_admin(args.into)
    unreadable = problems = 0
    totals = [0, 0, 0, 0]
    try:
        with progress.bar("merging", len(args.sources), PROGRESS_FILES, "files") as advance:
            problems, unreadable, totals = _merge_all(conn, args.sources, into, advance)
    finally:
        conn.close()
    print(
        f"{args.into}: {len(args.sources)} files, {totals[0]} sittings added, {totals[1]} already merged, "
        f"{totals[2]} conflicts, {totals[3]} broken, {unreadable} unreadable"
    )
    return EXIT_ERROR if unreadable else EXIT_PROBLEMS if problems else 0


def _merge_all(conn: sqlite3.Connection, sources: list[str], into: Path, advance: Any) -> tuple[int, int, list[int]]:
    """Merge each file in turn, printing its outcome; returns (problems, unreadable files, sitting totals)."""
    from ccsoo_exam.cli import progress

    unreadable = problems = 0
    totals = [0, 0, 0, 0]
    itself = {source for source in sources if Path(source).resolve() == into}
    # Verified ahead (in worker processes for a large merge), written and reported in argument order.
    outcomes = store.merge_files(conn, [source for source in sources if source not in itself], utc_now)
    try:
        for source in progress.track(sources, advance, every=1):
            if source in itself:
                print(
                    Problem(source, None, "is the admin database itself; name a terminal or panel file"),
                    file=sys.stderr,
                )
                unreadable += 1
                continue
            report = next(outcomes)
            if isinstance(report, StoreError):
                for problem in report.problems:
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
        outcomes.close()
    return problems, unreadable, totals


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

    conn = connect(args.db, readonly=True)
    try:
        rows = store.roster_rows(conn)
    finally:
        conn.close()
    if not rows:
        raise CcsooError(Problem(args.db, None, "has no roster; import one with 'admin roster import FILE.csv'"))
    print(f"Roster: {len(rows)} candidates")
    print("\n".join(layout.roster_lines(rows)))
    return 0


# --- case-by-case eligibility ----------------------------------------------------------


def cmd_eligibility_decide(args: argparse.Namespace) -> int:
    from ccsoo_exam.eligibility import ELIGIBLE, NOT_ELIGIBLE

    decision = ELIGIBLE if args.decision == "eligible" else NOT_ELIGIBLE
    conn = store.open_existing(args.db)
    try:
        recorded = store.record_eligibility_decision(conn, args.candidate, decision, args.reason, args.by, utc_now())
    finally:
        conn.close()
    message = (
        f"{recorded.candidate_id}: {recorded.decision} by committee decision #{recorded.decision_id} "
        f"({recorded.decided_by}, {recorded.decided_at}); run 'admin decisions' to apply it"
    )
    print("\n".join(layout.wrapped(message, first="")))
    return 0


def cmd_eligibility_log(args: argparse.Namespace) -> int:
    conn = store.open_existing(args.db)
    try:
        log = store.eligibility_decisions(conn)
    finally:
        conn.close()
    print(f"Case-by-case eligibility decisions: {len(log)}")
    for d in log:
        print("\n".join(layout.wrapped(f"#{d.decision_id} {d.decided_at} {d.candidate_id}: {d.decision}", first="")))
        print("\n".join(layout.wrapped(f"by {d.decided_by}: {d.reason}")))
    return 0


# --- item analysis ------------------------------------------------------------------------


def _open_package(args: argparse.Namespace) -> tuple[ExamDefinition, dict[str, KeyedItem], str]:
    from ccsoo_exam.package import open_banks

    definition = load_exam(args.exam)
    package = open_banks(definition, exam_key(args))
    return definition, package_keys(package.banks), package.fingerprint


def cmd_items(args: argparse.Namespace) -> int:
    from ccsoo_exam.psychometrics.report import psychometric_report
    from ccsoo_exam.store import standard as standard_store

    definition, keys, _ = _open_package(args)
    conn = store.open_existing(args.db)
    try:
        accepted = accepted_letters(keys, store.applied_changes(conn, definition.exam))
        where = store.EVERY if args.include_all else store.FINISHED
        analysis = _analyse(conn, definition, keys, where=where)
        proctor_ended, unfinished = store.excluded_sittings(conn, definition.exam)
        groups = store.candidate_groups(conn)
        standard = standard_store.adopted_standard(conn, definition.exam) or definition.standard
    finally:
        conn.close()
    cut = _analysis_cut(definition, analysis, accepted, standard)
    report = psychometric_report(analysis, keys, cut, groups)
    if args.include_all:
        selection = (
            f"all {analysis.summary.n_candidates} sittings, including {proctor_ended} ended by the proctor and "
            f"{unfinished} never submitted (--include-all)"
        )
    else:
        selection = (
            f"{analysis.summary.n_candidates} finished sittings; left out: {proctor_ended} ended by the proctor, "
            f"{unfinished} never submitted (--include-all includes them)"
        )
    if args.format == "json":
        data = _analysis_dict(definition, analysis)
        data.update(_report_json(report, selection, standard is not None))
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        _print_analysis(definition, analysis, report, selection, standard is not None)
    return 0


PROGRESS_SITTINGS = 2000  # smaller analyses finish before a bar would be read


def _analyse(
    conn: sqlite3.Connection,
    definition: ExamDefinition,
    keys: dict[str, KeyedItem],
    forms: list[str] | None = None,
    where: str | None = None,
) -> ItemAnalysis:
    """Item analysis of the exam's submitted sittings (rescorings applied), with a progress bar when large.

    ``forms``, when given, receives each analysed sitting's form (its items joined with ','), in order.
    """
    from ccsoo_exam.cli import progress

    accepted = accepted_letters(keys, store.applied_changes(conn, definition.exam))
    total = store.count_submitted(conn, definition.exam) if progress.wanted(1, 0) else 0
    # Item statistics leave out proctor-ended sittings unless asked (--include-all).
    rows = store.submitted_answers(conn, definition.exam, where or store.FINISHED)
    if forms is not None:
        rows = _noting_forms(rows, forms)
    with progress.bar("item analysis", total, PROGRESS_SITTINGS, "sittings") as advance:
        return analyse(progress.track(rows, advance), keys, accepted)


def _noting_forms(rows: Any, forms: list[str]) -> Any:
    for row in rows:
        forms.append(row.items)
        yield row


def cmd_report(args: argparse.Namespace) -> int:
    from collections import Counter

    from ccsoo_exam.reports import admin_report, html
    from ccsoo_exam.store import reporting

    definition, keys, _ = _open_package(args)
    conn = store.open_existing(args.db)
    try:
        forms: list[str] = []
        analysis = _analyse(conn, definition, keys, forms)
        results = reporting.submitted_results(conn, definition.exam)
        decisions = reporting.decisions(conn)
        panels = reporting.panel_reports(conn)
        rescorings = reporting.rescorings(conn, definition.exam)
    finally:
        conn.close()
    by_form: dict[str, tuple[int, float]] = {}
    for items, total in zip(forms, analysis.totals, strict=True):
        key = ",".join(sorted(items.split(",")))  # a form's difficulty is its set of items, in any order
        count, raw = by_form.get(key, (0, 0.0))
        by_form[key] = (count + 1, raw + total)
    del forms
    report = admin_report.AdminReport(
        exam_id=definition.exam,
        title=definition.title,
        item_count=definition.item_count,
        cut_score=definition.cut_score,
        cut_basis=definition.cut_score_basis,
        generated_at=utc_now(),
        database=Path(args.db).name,
        analysis=analysis,
        histogram=histogram(analysis.totals, definition.item_count),
        modules=admin_report.module_summaries(results, definition.cut_score / definition.item_count),
        forms=admin_report.form_summaries(by_form, analysis),
        decisions=decisions,
        panels=panels,
        rescorings=rescorings,
        passed=sum(1 for r in results if r.passed),
        scored=len(results),
    )
    text = html.render(report)
    write_output(args.output, lambda out: out.write(text))
    counts = Counter(bool(r.flags) for r in analysis.items)
    print(
        f"{args.output}: report of {analysis.summary.n_candidates} sittings, {len(analysis.items)} items "
        f"({counts[True]} flagged), {len(by_form)} forms",
        file=sys.stderr,
    )
    return 0


def _analysis_cut(definition: ExamDefinition, analysis: ItemAnalysis, accepted: dict[str, str], standard: Any) -> float:
    """The cut in raw points of the scored items: mean form cut under a standard, else cut_score scaled."""
    scored = analysis.scored
    assert scored is not None
    if standard is not None:
        cuts = [
            standard.form_cut(scored.columns[c] for c in cols if accepted.get(scored.columns[c], "x"))
            for cols in scored.positions
        ]
        return sum(cuts) / len(cuts)
    return definition.cut_score * analysis.summary.n_items / definition.item_count


def _report_json(report: Any, selection: str, by_standard: bool) -> dict[str, Any]:
    from ccsoo_exam.psychometrics.report import item_dict, report_dict

    data = report_dict(report)
    data["sittings"] = selection
    data["cut_basis"] = "mean form cut of the adopted standard" if by_standard else "cut_score scaled to scored items"
    data["item_extras"] = {name: item_dict(extra) for name, extra in report.extras.items()}
    return data


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


def _print_analysis(
    definition: ExamDefinition, analysis: ItemAnalysis, report: Any, selection: str, by_standard: bool
) -> None:
    from rich.table import Table

    from ccsoo_exam.psychometrics.reliability import MIN_ITEM_N

    console = _console()
    s = analysis.summary
    d = report.distribution
    console.print(f"Sittings: {selection}", markup=False)
    # Label-value pairs wrapped to 80 columns: a table of eleven figures would crop them.
    console.print(visible(f"{definition.title}: test summary ({analysis.basis})"), markup=False, highlight=False)
    figures = [
        ("candidates", str(s.n_candidates)),
        ("items scored", str(s.n_items)),
        ("mean", f"{s.mean:.2f}"),
        ("median", f"{d.median:.1f}"),
        ("SD", _fixed(d.sd, 2)),
        ("skew", _fixed(d.skewness, 2)),
        ("kurtosis", _fixed(d.kurtosis, 2)),
        ("KR-20", _fixed(s.kr20)),
        ("SEM", _fixed(s.sem, 2)),
        ("error ratio", "n/a" if math.isnan(d.error_ratio) else f"{100 * d.error_ratio:.1f}%"),
        ("guess score", f"{d.random_guess_score:.1f}"),
    ]
    line = "  ".join(f"{name} {value}" for name, value in figures)
    console.print("\n".join(layout.wrapped(line, layout.WIDTH)), markup=False, highlight=False)
    console.print("(SD, skewness and kurtosis with the n - 1 and k-statistic corrections Moodle uses; KR-20 and SEM")
    console.print(" with population variances; guess score: a blind guesser's expected raw score)")
    cut_basis = "mean form cut of the adopted standard" if by_standard else "cut_score scaled to the scored items"
    console.print(
        f"Cut {report.cut:.2f} of {report.scored_items} ({cut_basis}); conditional SEM at the cut "
        f"{_fixed(report.csem_at_cut, 2)} raw points (Lord's binomial error model)",
        markup=False,
    )
    dq = report.decision
    if dq is None:
        console.print("Decision consistency and accuracy: not computable (KR-20 undefined or no score variance)")
    else:
        console.print(
            f"Decision accuracy {dq.accuracy:.3f} (false pass {dq.false_pass:.3f}, false fail {dq.false_fail:.3f}), "
            f"consistency {dq.consistency:.3f}, kappa {_fixed(dq.kappa)} (Livingston-Lewis, effective length "
            f"{dq.effective_length})",
            markup=False,
        )
    console.print("Modules (subscores: reportable when KR-20 >= 0.70 and PRMSE adds value over the total)")
    for m in report.modules:
        line = (
            f"module {m.module}: {m.items} items  KR-20 {_fixed(m.kr20)}  SEM {_fixed(m.sem, 2)}  "
            f"PRMSE sub {_fixed(m.prmse_subscore)}  total {_fixed(m.prmse_total)}  "
            + ("report: yes, " if m.reportable else "report: no, ")
            + m.reason
        )
        console.print("\n".join(layout.wrapped(line, layout.WIDTH)), markup=False, highlight=False)
    console.print()
    console.print("Items (shares of the candidates given each item; authored letters; ! flags)")
    console.print("\n".join(layout.items_lines(analysis.items)), markup=False, highlight=False, soft_wrap=True)
    console.print()
    console.print("Item statistics: SD, discriminative efficiency (DE), D27 (p in the top 27% minus the bottom 27%),")
    console.print("and each option's point-biserial with the rest score")
    for r in analysis.items:
        x = report.extras[r.item]
        de = "n/a" if math.isnan(x.discriminative_efficiency) else f"{100 * x.discriminative_efficiency:.0f}%"
        pbis = " ".join(f"{letter} {_fixed(x.option_pbis[letter], 2)}" for letter in x.option_pbis)
        line = f"{visible(r.item)}  SD {_fixed(x.sd, 2)}  DE {de}  D27 {_fixed(x.upper_lower, 2)}  {pbis}"
        console.print("\n".join(layout.wrapped(line, layout.WIDTH)), markup=False, highlight=False)
        if r.n < MIN_ITEM_N:
            console.print(f"    ! small n ({r.n} < {MIN_ITEM_N}): unstable", markup=False, highlight=False)
    if report.dif_groups:
        dif = Table(title=f"Mantel-Haenszel DIF (groups: {', '.join(report.dif_groups)}; matched on total score)")
        for column in ("item", "reference", "focal", "n ref", "n focal", "MH D-DIF", "chi2", "ETS"):
            dif.add_column(column, justify="left" if column in ("item", "reference", "focal") else "right")
        for name, r in report.dif:
            if r.category in ("B", "C", "too few"):
                dif.add_row(
                    name,
                    r.reference,
                    r.focal,
                    str(r.n_reference),
                    str(r.n_focal),
                    _fixed(r.delta, 2),
                    _fixed(r.chi2, 2),
                    r.category,
                )
        console.print(dif)
        shown = sum(1 for _, r in report.dif if r.category != "A")
        console.print(f"{len(report.dif) - shown} item comparisons in ETS category A (negligible) not listed")
    for warning in report.warnings:
        console.print(f"warning: {warning}", markup=False)
    flagged = sum(1 for r in analysis.items if r.flags)
    console.print(f"{flagged} of {len(analysis.items)} items flagged")
    console.print()
    cut_raw = math.ceil(round(report.cut, 6))
    console.print(f"Raw scores of {s.n_candidates} candidates (cut {report.cut:.2f} of {s.n_items}):")
    bins = histogram(analysis.totals, definition.item_count)
    peak = max(count for _, _, count in bins) or 1
    for low, high, count in bins:
        bar = "#" * math.ceil(40 * count / peak) if count else ""
        cut = "  <- cut" if low <= cut_raw <= high else ""
        console.print(f"{low:3d}-{high:<3d} {count:6d} {bar}{cut}", markup=False)


def _fixed(value: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


# --- calibration --------------------------------------------------------------------------


def cmd_calibrate(args: argparse.Namespace) -> int:
    from ccsoo_exam.calibrate import calibrate, calibration_yaml
    from ccsoo_exam.package import open_banks

    definition = load_exam(args.exam)
    package = open_banks(definition, exam_key(args))
    keys = package_keys(package.banks)
    if args.ability_cut is not None and not -10 <= args.ability_cut <= 10:
        raise CcsooError(Problem("--ability-cut", None, "must be between -10 and 10 logits"))
    conn = store.open_existing(args.db)
    try:
        accepted = accepted_letters(keys, store.applied_changes(conn, definition.exam))
        at = utc_now()
        run = calibrate(
            definition,
            package.banks,
            store.submitted_answers(conn, definition.exam),
            keys,
            accepted,
            at=at,
            ability_cut=args.ability_cut,
        )
    finally:
        conn.close()
    target = (
        Path(args.output) if args.output else definition.calibration_path or definition.directory / "calibration.yaml"
    )
    report_path = Path(args.report) if args.report else Path(args.db).with_suffix(".calibration.json")
    target.write_text(calibration_yaml(run, at), encoding="utf-8")
    report_path.write_text(json.dumps(run.report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    r = run.report
    fits = [i for i in r["items"] if i["infit"] is not None and not 0.7 <= i["infit"] <= 1.3]
    print(
        f"{target}: {len(r['items'])} items calibrated from {r['candidates']} sittings "
        f"(bias correction {r['bias_correction']}, {r['iterations']} iterations); ability cut {r['ability_cut']:+.3f} "
        f"({r['ability_cut_basis']}), mean ability {r['mean_ability']:+.3f}"
    )
    cuts = sorted({f["raw_cut"] for f in r["forms"]})
    print(
        f"{report_path}: abilities of {len(r['persons'])} candidates, "
        f"{len(r['forms'])} forms (raw cuts {cuts[0]}-{cuts[-1]})"
    )
    if fits:
        print(f"{len(fits)} items with infit outside 0.7-1.3: " + ", ".join(i["item"] for i in fits[:10]))
    if definition.calibration_path is None or definition.calibration_path.resolve() != target.resolve():
        print(
            f"to use it, name it in {definition.path}: 'assembly:' then 'calibration: {target.name}' "
            "(forms, raw cuts and scaled scores then follow the calibration)"
        )
    return 0


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
    if args.drop:
        change = KeyChange(bank_id, item_id, DROP)
    elif args.credit_all:
        change = KeyChange(bank_id, item_id, CREDIT)
    else:
        change = KeyChange(bank_id, item_id, ACCEPT, args.accept.strip().upper())
    conn = store.open_existing(args.db)
    try:
        from ccsoo_exam.store import standard as standard_store

        standard = standard_store.adopted_standard(conn, definition.exam) or definition.standard
        applied = store.applied_changes(conn, definition.exam)
        rows = list(store.submitted_answers(conn, definition.exam))
        current = store.current_scores(conn, definition.exam)
        result = rescore(rows, keys, applied, change, current, standard=standard, protect_passes=args.protect_passes)
        _print_rescore(definition, result, applied, dry_run=not args.apply)
        if not args.apply:
            accept = change.letter if change.action == ACCEPT else None
            _print_policies(
                compare_policies(rows, keys, applied, change.item, current, standard=standard, accept=accept)
            )
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
    from rich.text import Text

    console = _console()
    mode = "DRY RUN, nothing is stored" if dry_run else "applying"
    console.print(f"{definition.exam}: {result.change.describe()} ({mode})", markup=False)
    if applied:
        console.print("on top of: " + "; ".join(c.describe() for c in applied), markup=False)
    console.print(
        f"{len(result.sittings)} sittings rescored; KR-20 {_fixed(result.kr20)}, SEM {_fixed(result.sem, 2)} raw points"
    )
    console.print(
        f"effect: {result.pass_to_fail} pass -> fail, {result.fail_to_pass} fail -> pass"
        + (f"; passes protected: {len(result.protected)} kept their pass" if result.protect_passes else "")
    )

    def listing(title: str, sittings: tuple) -> None:
        table = Table(title=f"{title}: {len(sittings)}", box=None, padding=(0, 1))
        for column in ("candidate", "sitting", "before", "after", "cut", "result"):
            table.add_column(
                column, justify="left" if column in ("candidate", "sitting", "result") else "right", overflow="fold"
            )
        for s in sorted(sittings, key=lambda s: (s.candidate_id, s.sitting_id)):
            verdict = ("pass" if s.after.passed else "fail") + (
                f" (was {'pass' if s.before.passed else 'fail'})" if s.changed else ""
            )
            table.add_row(
                Text(visible(s.candidate_id)),
                s.sitting_id[:8],
                f"{s.before.raw}/{s.before.total}",
                f"{s.after.raw}/{s.after.total}",
                f"{s.cut_raw:.1f}",
                verdict,
            )
        console.print(table)

    listing("Pass/fail changes", result.changed)
    if result.protect_passes:
        listing("Protected passes (would fail; keep the pass)", result.protected)
    listing("Within one SEM of the cut after rescoring", result.near_cut)
    if dry_run:
        console.print("Run again with --apply --reason TEXT --by NAME to record this rescoring.")


def _print_policies(effects: list[PolicyEffect]) -> None:
    from rich.table import Table

    table = Table(title="Every policy for this item (dry run)")
    for column in ("policy", "pass -> fail", "fail -> pass", "passes protected"):
        table.add_column(column, justify="left" if column == "policy" else "right")
    for e in effects:
        table.add_row(e.policy, str(e.pass_to_fail), str(e.fail_to_pass), str(e.protected))
    _console().print(table)


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
    committee = store.latest_eligibility_decisions(conn)

    def decided(candidate_id: str) -> CommitteeDecision | None:
        d = committee.get(candidate_id)
        return None if d is None else CommitteeDecision(d.decision, d.reason, d.decided_by, d.decided_at)

    return [
        RosterFacts(
            r["candidate_id"],
            r["name"],
            r["route"],
            r["eligibility"],
            r["eligibility_reason"],
            decided(r["candidate_id"]),
        )
        for r in store.roster_rows(conn)
    ]


def _exam_results(conn: sqlite3.Connection) -> dict[str, ExamResult]:
    """Each candidate's latest sitting; under an adopted standard it passes on its own form's cut."""
    from ccsoo_exam.store import standard as standard_store

    by_standard = standard_store.standard_results(conn)
    results = {}
    for candidate, (sitting_id, raw, total, passed) in store.latest_exam_results(conn).items():
        cut = None
        if sitting_id in by_standard:
            cut, passed = by_standard[sitting_id]
        results[candidate] = ExamResult(sitting_id, raw, total, passed, cut)
    return results


def _panel_results(conn: sqlite3.Connection) -> dict[str, PanelResult]:
    import json as _json

    from ccsoo_exam.aggregation import FAIL, PASS, panel_report
    from ccsoo_exam.store import scoresheets

    results: dict[str, PanelResult] = {}
    for rubric in scoresheets.stored_rubrics(conn):
        report = panel_report(
            rubric,
            scoresheets.list_sheets(conn, rubric.id),
            scoresheets.moderations(conn, rubric.id),
            scoresheets.criterion_moderations(conn, rubric.id),
        )
        for r in report.candidates:
            result = PanelResult(rubric.id, r.final, r.decision)
            sealed = scoresheets.consolidation(conn, rubric, r.candidate_id)
            if sealed is not None and sealed.verifies():
                # The chair's sealed consolidated sheet is the panel's outcome for this candidate.
                content = _json.loads(sealed.content)
                result = PanelResult(rubric.id, content["final"], content["decision"])
            known = results.get(r.candidate_id)
            # A decided result (pass/fail) wins over a pending one from another rubric version.
            if known is None or (known.decision not in (PASS, FAIL) and result.decision in (PASS, FAIL)):
                results[r.candidate_id] = result
    return results


def _print_decisions(decisions: list) -> None:
    print(f"Certification decisions: {len(decisions)} candidates")
    print("\n".join(layout.decisions_lines(decisions)))
    counts: dict[str, int] = {}
    for d in decisions:
        counts[d.decision] = counts.get(d.decision, 0) + 1
    print(", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
