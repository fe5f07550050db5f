"""``ccsoo-exam form``: check form assembly before a package goes live (``form simulate``)."""

from __future__ import annotations

import argparse
import json

from ccsoo_exam.cli.keys import add_key_options, exam_key
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.exam import load_exam

DEFAULT_EXAM = "question_banks/exam.yaml"
EXIT_PROBLEMS = 1
MAX_FORMS = 1_000_000


def register(commands: argparse._SubParsersAction) -> None:
    form = commands.add_parser(
        "form",
        help="simulate form assembly: constraints, topic coverage, exposure, score spread",
        description="Tools for the forms the exam assembles for each candidate (docs/formats.md, 'assembly').",
    )
    sub = form.add_subparsers(dest="form_command", metavar="ACTION", required=True)
    p = sub.add_parser(
        "simulate",
        help="assemble N forms and report violations, topic coverage, exposure and expected-score spread",
        description=(
            "Assemble N forms exactly as terminals do (seeds derived from --seed by SHA-256, so a run is repeatable) "
            "and report: constraint violations (re-checked independently of the solver), topic coverage per module, "
            "item exposure against the cap (max and distribution), and the SD, min and max across forms of the "
            "expected raw score of a candidate of average ability, by the difficulties in use. Needs the exam key "
            "to open the banks. Exit status 0: no violations; 1: violations found; 2: the forms cannot be built."
        ),
    )
    p.add_argument("--exam", default=DEFAULT_EXAM, metavar="PATH", help="exam definition (default: %(default)s)")
    p.add_argument("-n", "--forms", type=int, default=1000, metavar="N", help="forms to assemble (default 1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="base of the simulated seeds (default 0)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    add_key_options(p)
    p.set_defaults(handler=cmd_simulate)


def cmd_simulate(args: argparse.Namespace) -> int:
    from ccsoo_exam.form import form_model
    from ccsoo_exam.package import open_banks
    from ccsoo_exam.simulation import simulate

    if not 1 <= args.forms <= MAX_FORMS:
        raise CcsooError(Problem("-n", None, f"the number of forms must be between 1 and {MAX_FORMS:,}"))
    definition = load_exam(args.exam)
    package = open_banks(definition, exam_key(args))
    model = form_model(definition, package.banks)
    ability = float(model.calibration.mean_ability) if model.calibration else 0.0
    report = simulate(model, args.forms, ability=ability, base_seed=args.seed)
    if args.format == "json":
        print(json.dumps({"exam": definition.exam, **report.as_dict()}, indent=2, ensure_ascii=False))
    else:
        _print(definition.exam, report)
    return EXIT_PROBLEMS if report.violations else 0


def _print(exam: str, report) -> None:  # type: ignore[no-untyped-def]
    data = report.as_dict()
    score, exposure = data["expected_score"], data["exposure"]
    lines = [
        f"{exam}: {report.forms} simulated forms (difficulties: {report.basis})",
        f"violations: {len(report.violations)}",
        *(f"  {v}" for v in report.violations[:20]),
        *([f"  ... and {len(report.violations) - 20} more"] if len(report.violations) > 20 else []),
        f"expected raw score at ability {report.ability:+.2f}: mean {score['mean']:.2f}, SD {score['sd']:.3f}, "
        f"min {score['min']:.2f}, max {score['max']:.2f}",
        f"exposure: max {exposure['max']:.1%} ({exposure['max_item']}), median {exposure['median']:.1%}, "
        f"min {exposure['min']:.1%}, never used {exposure['never_used']}"
        + (f"; cap {exposure['cap']:.0%}" if exposure["cap"] is not None else "; no cap set"),
    ]
    if report.forms < 1000:
        # An exposure share over N forms has a sampling error of about sqrt(p(1-p)/N).
        noise = (0.25 / report.forms) ** 0.5
        lines.append(
            f"  (over {report.forms} forms an exposure share is uncertain by about +-{noise:.0%}; "
            "verify the cap over 1,000 forms or more)"
        )
    for bin_ in exposure["histogram"]:
        lines.append(f"  {bin_['low']:4.0%}-{bin_['high']:<4.0%} {bin_['items']:4d} items")
    lines.append("topic coverage (items per form: quota, fewest-most, forms without the topic):")
    for topic in data["topics"]:
        low, high = topic["quota"]
        lines.append(
            f"  M{topic['module']} {topic['topic'][:44]:44} {topic['available']:3d} in bank  quota {low}-{high}  "
            f"seen {topic['fewest']}-{topic['most']}  without {topic['forms_without']}"
        )
    lines.append(f"assembly: {1000 * report.seconds_per_form:.1f} ms per form (median)")
    print("\n".join(lines))
