"""``ccsoo-exam admin resume-code``: integrity and recovery commands of the administrator.

Kept beside ``cli/admin.py`` (which registers them) so that the security commands read as
one story: the proctor's forgotten PIN answered offline with the exam key.
"""

from __future__ import annotations

import argparse

from ccsoo_exam.cli.keys import add_key_options, exam_key
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.exam import load_exam

DEFAULT_EXAM = "question_banks/exam.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "resume-code",
        help="answer a terminal's PIN challenge with a one-time resume code",
        description=(
            "When a proctor has forgotten or mistyped the PIN, the terminal's PIN prompt shows a challenge "
            "(XXXX-XXXX). Read it over the phone; this command answers with the resume code, derived from the "
            "exam key, that opens the proctor menu once and lets the proctor set a new PIN. Both the code's use "
            "and the new PIN are recorded in the sitting's event log. No network is needed."
        ),
    )
    p.add_argument("challenge", metavar="CHALLENGE", help="the challenge the terminal shows, e.g. K7PQ-3MZX")
    p.add_argument("--exam", default=DEFAULT_EXAM, metavar="PATH", help="exam definition (default: %(default)s)")
    add_key_options(p)
    p.set_defaults(handler=cmd_resume_code)


def cmd_resume_code(args: argparse.Namespace) -> int:
    from ccsoo_exam.package import proctor_secret
    from ccsoo_exam.pin import normalise_code, resume_code

    challenge = normalise_code(args.challenge)
    if len(challenge) != 8:
        raise CcsooError(
            Problem("CHALLENGE", None, "a challenge is 8 letters and digits (XXXX-XXXX); read it again from the screen")
        )
    secret = proctor_secret(load_exam(args.exam), exam_key(args))
    print(f"resume code for challenge {challenge[:4]}-{challenge[4:]}: {resume_code(secret, challenge)}")
    return 0
