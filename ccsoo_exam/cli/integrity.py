"""``ccsoo-exam admin enrol-terminal | verify-receipts | resume-code``: integrity and recovery.

Kept beside ``cli/admin.py`` (which registers them) so that the security commands read as
one story: terminals enrolled with their own signing keys, receipts checked against the
merged results, and the proctor's forgotten PIN answered offline with the exam key.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from ccsoo_exam.cli.keys import add_key_options, exam_key
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.exam import load_exam
from ccsoo_exam.keyfile import new_key_file
from ccsoo_exam.pin import normalise_code
from ccsoo_exam.text import text_problem

DEFAULT_EXAM = "question_banks/exam.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "enrol-terminal",
        help="give a terminal its own signing key and register it",
        description=(
            "Create a terminal's Ed25519 signing key (--key-out, written readable only by you: install it on the "
            "terminal for the exam user and pass it to 'sit --terminal-key') or take an existing one (--from-key, "
            "e.g. the demo's), and register its public key in ADMIN_DB. Merge accepts only sittings signed by "
            "an enrolled terminal."
        ),
    )
    p.add_argument("--db", required=True, metavar="ADMIN_DB", help="admin database (created if missing)")
    p.add_argument("--name", required=True, metavar="NAME", help="the terminal's name, e.g. room2-desk4")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--key-out", metavar="PATH", help="write a new private key here (must not exist)")
    source.add_argument("--from-key", metavar="PATH", help="register the public half of this existing key")
    p.set_defaults(handler=cmd_enrol_terminal)

    p = sub.add_parser(
        "verify-receipts",
        help="check receipt codes against the merged results",
        description=(
            "Check receipt codes recorded by proctors or presented by candidates against the merged results in "
            "ADMIN_DB. FILE.csv has a header line with the columns candidate_id and receipt. Each receipt must "
            "be the code of one of that candidate's merged, submitted sittings (derived from the terminal's "
            "signature over the submission). Exit status 0: all match; 1: some do not; 2: unreadable input."
        ),
    )
    p.add_argument("--db", required=True, metavar="ADMIN_DB", help="admin database")
    p.add_argument("file", metavar="FILE.csv", help="receipts to check: columns candidate_id and receipt")
    p.set_defaults(handler=cmd_verify_receipts)

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
    from ccsoo_exam.pin import resume_code

    challenge = normalise_code(args.challenge)
    if len(challenge) != 8:
        raise CcsooError(
            Problem("CHALLENGE", None, "a challenge is 8 letters and digits (XXXX-XXXX); read it again from the screen")
        )
    secret = proctor_secret(load_exam(args.exam), exam_key(args))
    print(f"resume code for challenge {challenge[:4]}-{challenge[4:]}: {resume_code(secret, challenge)}")
    return 0


def cmd_enrol_terminal(args: argparse.Namespace) -> int:
    from ccsoo_exam.signing import load_signer
    from ccsoo_exam.store import admin as store

    name = " ".join(args.name.split())
    if not name or text_problem(name, newline=False, tab=False):
        raise CcsooError(Problem("--name", None, "give the terminal a plain one-line name"))
    if args.key_out:
        path = Path(args.key_out)
        if path.exists():
            raise CcsooError(Problem(str(path), None, "already exists; choose a new file for the new key"))
        new_key_file(path)
    else:
        path = Path(args.from_key)
    signer = load_signer(path)
    conn = store.open_admin(args.db)
    try:
        store.enrol_terminal(
            conn, name, signer.key_id, signer.public_key, datetime.now(UTC).isoformat(timespec="seconds")
        )
    finally:
        conn.close()
    print(f"{args.db}: terminal '{name}' enrolled (key {signer.key_id})")
    if args.key_out:
        print(
            f"{path}: install on the terminal, owned by the exam user and readable only by it (mode 600); "
            f"run 'ccsoo-exam sit --terminal-key PATH'"
        )
    return 0


def cmd_verify_receipts(args: argparse.Namespace) -> int:
    from ccsoo_exam.store import admin as store

    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CcsooError(Problem(args.file, None, "file not found; check the path")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CcsooError(Problem(args.file, None, f"cannot read it as UTF-8 text ({type(exc).__name__})")) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if "candidate_id" not in header or "receipt" not in header:
        raise CcsooError(Problem(args.file, 1, "the header must name the columns candidate_id and receipt"))
    who, code = header.index("candidate_id"), header.index("receipt")
    conn = store.open_existing(args.db)
    try:
        receipts = store.submitted_receipts(conn)
    finally:
        conn.close()
    problems: list[Problem] = []
    checked = 0
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        checked += 1
        if len(row) <= max(who, code):
            problems.append(Problem(args.file, line, "has fewer columns than the header; fix the row"))
            continue
        candidate, receipt = row[who].strip(), normalise_code(row[code])
        known = receipts.get(candidate)
        if not known:
            problems.append(
                Problem(args.file, line, f"candidate {candidate} has no merged, submitted result; merge their terminal")
            )
        elif receipt not in {normalise_code(r) for r in known}:
            problems.append(
                Problem(
                    args.file,
                    line,
                    f"receipt {row[code].strip()} does not match candidate {candidate}'s merged result: "
                    "the slip or the result is not genuine; investigate before certifying",
                )
            )
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{args.file}: {checked} receipts checked, {checked - len(problems)} match")
    return 1 if problems else 0
