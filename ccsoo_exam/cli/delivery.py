"""``ccsoo-exam sit`` and ``ccsoo-exam demo``: candidate delivery on this terminal."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ccsoo_exam.cli.keys import add_key_options, exam_key
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.exam import ExamDefinition, load_exam
from ccsoo_exam.locations import data_dir, sample_package

DEMO_PIN = "246810"


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "sit",
        help="deliver the exam to a candidate on this terminal",
        description=(
            "Deliver the timed exam on this terminal. The proctor unlocks the package with the exam key and "
            "sets a PIN; ctrl+o then opens the proctor menu (pause, add time, incident, end). Answers are "
            "saved to the results database the moment they are chosen; after a crash, run the same command "
            "again and the proctor resumes the sitting."
        ),
    )
    p.add_argument(
        "--exam", default="question_banks/exam.yaml", metavar="PATH", help="exam definition (default: %(default)s)"
    )
    p.add_argument(
        "--db",
        metavar="PATH",
        help=(
            "results database (default: DATA_DIR/results.db; DATA_DIR is $CCSOO_EXAM_DATA or ~/.local/share/ccsoo-exam)"
        ),
    )
    p.add_argument(
        "--terminal-key",
        metavar="PATH",
        help=(
            "this terminal's private signing key, from 'admin enrol-terminal' (default: DATA_DIR/terminal.key); "
            "readable only by the exam user"
        ),
    )
    p.set_defaults(handler=cmd_sit)

    p = commands.add_parser(
        "demo",
        help="sit the sample CCSOO exam with the demo key",
        description=(
            f"Run the full sample exam (80 questions, 3 hours) on the sample package. The first screen shows the demo "
            f"exam key and proctor PIN ({DEMO_PIN}); ctrl+o opens the proctor menu, which is how the demo ends. The "
            "demo database lives in the per-user data directory; its path is printed."
        ),
    )
    p.add_argument("--db", metavar="PATH", help="demo database (default: DATA_DIR/demo.db)")
    p.set_defaults(handler=cmd_demo)

    exam = commands.add_parser(
        "exam",
        help="check an exam definition against its package",
        description="Checks on an exam definition and the encrypted package beside it.",
    )
    actions = exam.add_subparsers(dest="exam_command", metavar="ACTION", required=True)
    p = actions.add_parser(
        "validate",
        help="check that the package can deliver this exam",
        description=(
            "Open the package with the exam key (release manifest, every bank) and check the definition against "
            "it: every bank present and released, each blueprint share within its bank, forms assemble under "
            "every rule, cut and counts consistent. 'sit' runs the same checks (the shares and counts at unlock, "
            "form assembly while the candidate is checked in) and creates no sitting unless they pass. Problems "
            "are printed as path:line; exit status 2 if any."
        ),
    )
    p.add_argument(
        "--exam", default="question_banks/exam.yaml", metavar="PATH", help="exam definition (default: %(default)s)"
    )
    add_key_options(p)
    p.set_defaults(handler=cmd_exam_validate)


def cmd_exam_validate(args: argparse.Namespace) -> int:
    from ccsoo_exam.package import open_banks, package_problems

    definition = load_exam(args.exam)
    package = open_banks(definition, exam_key(args))
    problems = package_problems(package)
    if problems:
        raise CcsooError(problems)
    items = sum(len(b.items) for b in package.banks.values())
    print(
        f"{args.exam}: ok, release {package.release}, {len(package.banks)} banks ({items} items), "
        f"forms of {definition.item_count} items, cut {definition.cut_score}"
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    package = sample_package()
    exam = package / "exam.yaml"
    key_file = package / "demo.key"
    if not exam.exists() or not key_file.exists():
        raise CcsooError(
            Problem(str(package), None, "the sample package is missing; run from a full ccsoo-exam checkout")
        )
    db = Path(args.db) if args.db else data_dir() / "demo.db"
    terminal_key = db.with_name("demo-terminal.key")
    definition = load_exam(str(exam))
    _need_a_terminal()
    if not terminal_key.exists():
        # The demo enrols itself: a key of its own; 'admin enrol-terminal --from-key' registers it for merging.
        from ccsoo_exam.keyfile import new_key_file

        terminal_key.parent.mkdir(parents=True, exist_ok=True)
        new_key_file(terminal_key)
        print(f"ccsoo-exam: demo terminal key created: {terminal_key}", file=sys.stderr)
    return deliver(
        definition,
        db,
        terminal_key,
        demo_key=key_file.read_text(encoding="utf-8").strip(),
        demo_pin=DEMO_PIN,
    )


def cmd_sit(args: argparse.Namespace) -> int:
    db = Path(args.db) if args.db else data_dir() / "results.db"
    terminal_key = Path(args.terminal_key) if args.terminal_key else data_dir() / "terminal.key"
    definition = load_exam(args.exam)
    _need_a_terminal()
    if not terminal_key.is_file():
        raise CcsooError(
            Problem(
                str(terminal_key),
                None,
                "no terminal key: enrol this terminal first ('ccsoo-exam admin enrol-terminal --db ADMIN_DB "
                "--name NAME --key-out PATH') and pass --terminal-key PATH",
            )
        )
    return deliver(definition, db, terminal_key)


def _need_a_terminal() -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CcsooError("the exam needs an interactive terminal; run it in a console, not through a pipe")


def deliver(
    definition: ExamDefinition,
    db: Path,
    terminal_key: Path,
    demo_key: str | None = None,
    demo_pin: str | None = None,
) -> int:
    # Textual reads TEXTUAL_* settings at import: some would auto-press keys, take screenshots or open devtools.
    for name in [n for n in os.environ if n.upper().startswith("TEXTUAL")]:
        del os.environ[name]
    from ccsoo_exam.store.checkin_roster import read_roster
    from ccsoo_exam.store.database import ProcessLock, connect
    from ccsoo_exam.store.sittings import MIGRATIONS
    from ccsoo_exam.ui.exam.app import make_app

    print(f"ccsoo-exam: results database {db}", file=sys.stderr)
    with ProcessLock(db):
        conn = connect(db, MIGRATIONS, verify=True)  # a damaged file is reported before the exam starts
        try:
            app = make_app(
                definition,
                conn,
                roster=read_roster(conn),
                demo_key=demo_key,
                demo_pin=demo_pin,
                database=str(db),
                terminal_key=terminal_key,
                error_log=db.parent / "exam-errors.log",  # content-free, readable only by the exam user
            )
            app.run()
        finally:
            conn.close()
    if app.crashes:
        from ccsoo_exam.ui.exam.app import CrashApp

        CrashApp(str(db.parent / "exam-errors.log")).run()
        print(f"ccsoo-exam: {app.outcome}; results database {db}", file=sys.stderr)
        return 3
    print(f"ccsoo-exam: {app.outcome}; results database {db}", file=sys.stderr)
    return 0
