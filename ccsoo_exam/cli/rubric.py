"""``ccsoo-exam rubric``: validate and summarise panel rubrics."""

from __future__ import annotations

import argparse
import sys

from ccsoo_exam.errors import CcsooError
from ccsoo_exam.rubric import load_rubric


def register(commands: argparse._SubParsersAction) -> None:
    rubric = commands.add_parser(
        "rubric",
        help="author tools for panel rubrics",
        description="Author tools for the rubrics panelists score the executive presentation against.",
    )
    sub = rubric.add_subparsers(dest="rubric_command", metavar="ACTION", required=True)
    p = sub.add_parser(
        "validate",
        help="check rubric files against the format",
        description=(
            "Check rubric files against the rubric format (docs/panel.md): phases, criteria, a descriptor for "
            "every level of the scale, positive weights, the pass rule and the discrepancy threshold. Every "
            "problem is printed as path:line on stderr; the exit status is 2 if any file has a problem."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(handler=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    failed = False
    for path in args.files:
        try:
            rubric = load_rubric(path)
        except CcsooError as error:
            failed = True
            for problem in error.problems:
                print(problem, file=sys.stderr)
            continue
        weight = sum(c.weight for c in rubric.criteria)
        phases = ", ".join(f"{p.id} {p.minutes} min ({len(rubric.criteria_in(p.id))} criteria)" for p in rubric.phases)
        print(
            f"{path}: ok, rubric {rubric.id}, scale {rubric.lowest}-{rubric.highest}, "
            f"{len(rubric.criteria)} criteria, total weight {weight:g}; {phases}; sha256 {rubric.digest[:12]}"
        )
        standard = rubric.pass_rule.standard_level
        if standard is not None:
            # Checked while loading: the rubric is refused unless both statements hold.
            below = f"; level {standard - 1} everywhere fails" if standard > rubric.lowest else ""
            print(
                f"{path}: pass rule agrees with the labels: level {standard} ({rubric.label(standard)}) "
                f"everywhere passes{below}"
            )
    return 2 if failed else 0
