"""``ccsoo-exam standard``: modified-Angoff standard setting (import, rate, report, adopt).

Thin commands over psychometrics/angoff.py (the figures), psychometrics/standard.py (the
adopted standard in the exam definition) and store/standard.py (ratings and the audit table).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccsoo_exam.cli.keys import add_key_options, exam_key
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.exam import ExamDefinition, load_exam
from ccsoo_exam.inputs import read_input

if TYPE_CHECKING:
    from ccsoo_exam.item_analysis import KeyedItem
    from ccsoo_exam.psychometrics.angoff import AngoffReport

DEFAULT_EXAM = "question_banks/exam.yaml"
MAX_CSV_BYTES = 20_000_000
EXIT_ERROR = 2


def register(commands: argparse._SubParsersAction) -> None:
    top = commands.add_parser(
        "standard",
        help="standard setting (modified Angoff): import or rate, report, adopt the cut",
        description=(
            "Modified-Angoff standard setting: judges rate each item (the probability that a minimally competent "
            "candidate answers it correctly); the report gives every form's cut; adopt records it in the exam "
            "definition. Rules and formulas: docs/admin.md."
        ),
    )
    sub = top.add_subparsers(dest="standard_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser, db_help: str = "admin database") -> None:
        p.add_argument("--db", required=True, metavar="ADMIN_DB", help=db_help)
        p.add_argument("--exam", default=DEFAULT_EXAM, metavar="FILE", help="exam definition (default: %(default)s)")
        add_key_options(p)

    p = sub.add_parser(
        "import",
        help="import judges' ratings or Hofstee judgements from CSV",
        description=(
            "Import Angoff ratings (header judge,item,rating,round; rating 0-1 or 0-100, round 1 when omitted), a "
            "judge's database from 'standard rate --db JUDGE_DB', or Hofstee judgements (header "
            "judge,min_cut,max_cut,min_fail,max_fail, all percent). CSV items are checked against the exam package "
            "(key needed). Every bad row is reported at its line; when any row is bad "
            "nothing is imported. Importing a file again replaces the same judge/item/round ratings."
        ),
    )
    common(p, "admin database (created if missing)")
    p.add_argument("file", metavar="FILE.csv", help="UTF-8 CSV with a header line, or a judge's ratings database")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser(
        "rate",
        help="the judges' rating screen (sign in, rate each item, resume after a crash)",
        description=(
            "A terminal screen for one judge: sign in, then rate each item 0-100. Item content is shown only after "
            "the exam key unlocks the package. Each rating is committed as it is entered; signing in again resumes. "
            "In round 2 the screen shows the round-1 mean and, once results exist, the item's p-value."
        ),
    )
    p.add_argument("--db", required=True, metavar="PATH", help="database to hold the ratings (the admin database)")
    p.add_argument("--exam", default=DEFAULT_EXAM, metavar="FILE", help="exam definition (default: %(default)s)")
    p.add_argument("--round", type=int, default=1, choices=range(1, 10), metavar="N", help="rating round (1-9)")
    p.set_defaults(handler=cmd_rate)

    p = sub.add_parser(
        "report",
        help="per-item means, the cut of the bank and of each form, its standard error, agreement, Hofstee",
        description=(
            "The Angoff report: per item the judges' mean and SD; the cut of the whole bank, of the blueprint form and "
            "of every form sat (the sum of its items' mean ratings); the standard error of the cut across judges; "
            "inter-judge agreement (ICC, Kendall's W); and, when results and Hofstee judgements exist, the Hofstee "
            "compromise check."
        ),
    )
    common(p)
    p.add_argument("--round", type=int, metavar="N", help="use ratings up to this round (default: the latest)")
    p.add_argument("--rounding", choices=("up", "nearest"), default="up", help="raw-cut rounding (default up)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser(
        "adopt",
        help="record the Angoff standard in the exam definition and the audit table",
        description=(
            "Adopt the current Angoff ratings as the exam's standard: rewrites only the 'standard:' section of the "
            "exam definition (method, date, who, cut, rounding rule, each item's mean rating), keeping every other "
            "line, and records the adoption in the admin database. From then on the receipt, 'admin decisions' and "
            "rescoring use each sitting's form cut."
        ),
    )
    common(p)
    p.add_argument("--by", required=True, metavar="NAME", help="who adopted it (kept for audit)")
    p.add_argument("--round", type=int, metavar="N", help="use ratings up to this round (default: the latest)")
    p.add_argument("--rounding", choices=("up", "nearest"), default="up", help="raw-cut rounding (default up)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="adoption date (default today, UTC)")
    p.add_argument("--basis", metavar="TEXT", help="a sentence on the study (panel, dates), kept in the definition")
    p.set_defaults(handler=cmd_adopt)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _package(args: argparse.Namespace) -> tuple[ExamDefinition, dict[str, KeyedItem], Any]:
    from ccsoo_exam.item_analysis import package_keys
    from ccsoo_exam.package import open_banks

    definition = load_exam(args.exam)
    package = open_banks(definition, exam_key(args))
    return definition, package_keys(package.banks), package


def cmd_import(args: argparse.Namespace) -> int:
    from ccsoo_exam.psychometrics.angoff_csv import parse_csv
    from ccsoo_exam.rescoring import resolve_item
    from ccsoo_exam.store import admin as admin_store
    from ccsoo_exam.store import standard as store

    if _is_sqlite(args.file):
        return _import_database(args)
    data = read_input(args.file, MAX_CSV_BYTES, what="ratings CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CcsooError(Problem(args.file, line, "is not UTF-8 text; save the ratings as CSV UTF-8")) from None
    definition, keys, _ = _package(args)
    try:
        ratings, hofstee = parse_csv(text, args.file, lambda name: resolve_item(name, keys))
    except CcsooError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{args.file}: nothing imported; fix the rows above and import again", file=sys.stderr)
        return EXIT_ERROR
    conn = admin_store.open_admin(args.db)
    try:
        source = f"csv:{Path(args.file).name}"
        if ratings:
            count = store.save_ratings(conn, definition.exam, ratings, source, utc_now())
            judges = len({r.judge for r in ratings})
            rounds = sorted({r.round for r in ratings})
            print(f"{args.db}: {count} ratings by {judges} judges (round {', '.join(map(str, rounds))}) imported")
        else:
            count = store.save_hofstee(conn, definition.exam, hofstee, source, utc_now())
            print(f"{args.db}: Hofstee judgements of {count} judges imported")
    finally:
        conn.close()
    return 0


def _is_sqlite(path: str) -> bool:
    from ccsoo_exam.inputs import not_regular

    if not_regular(path) is not None:
        return False  # read_input words the problem
    with open(path, "rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def _import_database(args: argparse.Namespace) -> int:
    """Ratings a judge entered with 'standard rate --db JUDGE_DB' on their own machine."""
    from ccsoo_exam.store import admin as admin_store
    from ccsoo_exam.store import standard as store
    from ccsoo_exam.store.database import connect

    definition = load_exam(args.exam)
    if Path(args.file).resolve() == Path(args.db).resolve():
        raise CcsooError(Problem(args.file, None, "is the admin database itself; name a judge's database"))
    source = connect(args.file, readonly=True)
    try:
        if not source.execute("SELECT 1 FROM sqlite_master WHERE name = 'angoff_ratings'").fetchone():
            raise CcsooError(
                Problem(args.file, None, "holds no Angoff ratings; give a CSV or a 'standard rate' database")
            )
        ratings = store.load_ratings(source, definition.exam)
    finally:
        source.close()
    if not ratings:
        raise CcsooError(Problem(args.file, None, f"has no ratings for {definition.exam}; check the exam"))
    conn = admin_store.open_admin(args.db)
    try:
        count = store.save_ratings(conn, definition.exam, ratings, f"db:{Path(args.file).name}", utc_now())
    finally:
        conn.close()
    print(f"{args.db}: {count} ratings by {len({r.judge for r in ratings})} judges imported from {args.file}")
    return 0


def _build_report(
    args: argparse.Namespace, definition: ExamDefinition, keys: dict[str, KeyedItem], rounding: str
) -> AngoffReport:
    from ccsoo_exam.store import admin as admin_store
    from ccsoo_exam.store import standard as store

    conn = admin_store.open_existing(args.db)
    try:
        modules = {name: k.module for name, k in keys.items()}
        report = store.angoff_report_from(conn, definition, modules, round_=args.round, rounding=rounding)
    finally:
        conn.close()
    if report is None:
        raise CcsooError(
            Problem(args.db, None, f"has no Angoff ratings for {definition.exam}; run 'standard import' or 'rate'")
        )
    return report


def cmd_report(args: argparse.Namespace) -> int:
    from ccsoo_exam.psychometrics.angoff import report_dict

    definition, keys, _ = _package(args)
    report = _build_report(args, definition, keys, args.rounding)
    if args.format == "json":
        print(json.dumps(report_dict(report), indent=2, ensure_ascii=False))
    else:
        print(_text(report, definition))
    return 0


def _f(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _text(report: AngoffReport, definition: ExamDefinition) -> str:
    lines = [
        f"{definition.title}: modified-Angoff standard, round {report.round}, {len(report.judges)} judges "
        f"({', '.join(report.judges)})",
        "",
        f"{'item':<24} {'mod':>3} {'n':>3} {'mean':>6} {'SD':>6} {'round 1':>8}",
    ]
    for i in report.items:
        lines.append(
            f"{i.item:<24} {i.module:>3} {i.judges:>3} {i.mean:6.3f} {_f(i.sd, 3):>6} "
            f"{_f(i.round1_mean, 3) if i.round1_mean is not None else '':>8}"
        )
    lines += [
        "",
        f"Cut of the whole bank: {report.bank_cut:.2f} of {report.bank_items} rated items",
        f"Cut of the blueprint form: {report.expected_cut:.2f} of {report.form_items} items "
        f"({100 * report.expected_cut / max(1, report.form_items):.1f}%); standard error across judges "
        f"{_f(report.cut_se)} (SD of the judges' cuts / sqrt({len(report.judges)}))",
        "Judges' cuts of the blueprint form: " + ", ".join(f"{j} {_f(c)}" for j, c in report.judge_cuts),
        f"Agreement ({report.agreement_basis}): ICC(A,1) {_f(report.icc_single, 3)}, ICC(A,k) "
        f"{_f(report.icc_average, 3)}, Kendall's W {_f(report.kendall_w, 3)}",
    ]
    if report.forms:
        cuts = [f.raw_cut for f in report.forms]
        lines.append(
            f"Forms sat: {len(report.forms)}; raw cuts {min(cuts)}-{max(cuts)} (rounding '{report.rounding}': "
            "the sum of the form's item ratings, made whole)"
        )
        for f in report.forms[:10]:
            lines.append(f"  form {f.form}: {f.sittings} sittings, {f.items} items, cut {f.exact:.2f} -> {f.raw_cut}")
        if len(report.forms) > 10:
            lines.append(f"  ... {len(report.forms) - 10} more forms (all of them in --format json)")
    else:
        lines.append("No results yet: form cuts appear once sittings are merged.")
    h = report.hofstee
    if h is not None:
        lines += [
            "",
            f"Hofstee check ({h.judges} judges): acceptable cut {h.min_cut:.1f}-{h.max_cut:.1f}%, acceptable fail "
            f"rate {h.min_fail:.1f}-{h.max_fail:.1f}%",
            f"  compromise cut {h.cut_percent:.1f}% (fail rate {h.fail_at_cut:.1f}%); "
            f"Angoff cut {h.angoff_percent:.1f}% fails {h.angoff_fail:.1f}%: "
            + ("within the judges' bounds" if h.consistent else "OUTSIDE the bounds"),
        ]
    lines += [f"warning: {w}" for w in report.warnings]
    return "\n".join(lines)


def cmd_adopt(args: argparse.Namespace) -> int:
    from ccsoo_exam.psychometrics.standard import AdoptedStandard, replace_section, standard_yaml
    from ccsoo_exam.store import admin as admin_store
    from ccsoo_exam.store import standard as store

    by = " ".join((args.by or "").split())
    if not by:
        raise CcsooError(Problem("--by", None, "name who adopts the standard; it is kept for audit"))
    date = args.date or datetime.now(UTC).date().isoformat()
    try:
        datetime.strptime(date, "%Y-%m-%d")
    except ValueError:
        raise CcsooError(Problem("--date", None, f"'{date}' is not a date; write YYYY-MM-DD")) from None
    definition, keys, _ = _package(args)
    report = _build_report(args, definition, keys, args.rounding)
    if report.unrated:
        print(
            f"warning: {len(report.unrated)} items have no rating; their forms count them at the module mean",
            file=sys.stderr,
        )
    standard = AdoptedStandard(
        "modified-angoff",
        date,
        by,
        round(report.expected_cut, 2),
        args.rounding,
        {i.item: round(i.mean, 4) for i in report.items},
        report.round,
        len(report.judges),
        report.cut_se,
        " ".join((args.basis or "").split()),
    )
    path = Path(args.exam)
    original = path.read_bytes()
    updated = replace_section(original.decode("utf-8"), standard_yaml(standard)).encode("utf-8")
    _replace_checked(path, updated)
    conn = admin_store.open_existing(args.db)
    try:
        number = store.record_standard(
            conn,
            definition.exam,
            standard,
            str(path.resolve()),
            hashlib.sha256(original).hexdigest(),
            hashlib.sha256(updated).hexdigest(),
            utc_now(),
        )
    finally:
        conn.close()
    print(
        f"{args.exam}: adopted the modified-Angoff standard #{number} by {by} on {date}: cut {standard.cut:.2f} of "
        f"{report.form_items} on the blueprint form (SE {_f(report.cut_se)}); each form's raw cut is the sum of its "
        f"items' ratings, rounded {args.rounding}"
    )
    return 0


def _replace_checked(path: Path, data: bytes) -> None:
    """Write ``data`` beside ``path``, check it loads as an exam definition, then swap it in atomically."""
    fd, temp = tempfile.mkstemp(prefix=".exam-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            load_exam(temp)
        except CcsooError as error:
            raise CcsooError(
                Problem(
                    str(path),
                    None,
                    f"the rewritten definition would not load ({error.problems[0].message}); left unchanged",
                )
            ) from None
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def cmd_rate(args: argparse.Namespace) -> int:
    from ccsoo_exam.ui.standard.app import make_app

    definition = load_exam(args.exam)
    app = make_app(definition, args.db, args.round)
    app.run()
    return 0
