"""The ``ccsoo-exam`` command line: thin commands over the domain, store and UI.

Each command module adds its subcommands with ``register(subparsers)``; a command
returns an exit status. Every user-facing error is a ``CcsooError`` and is printed as
``path:line: message`` lines on stderr, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ccsoo_exam import __version__
from ccsoo_exam.cli import output
from ccsoo_exam.errors import CcsooError

# Imported lazily by name so that `ccsoo-exam bank ...` never pays for Textual.
COMMAND_MODULES = ("bank", "rubric", "form", "delivery", "panel", "results", "admin", "standard")
# Every top-level command: the module that defines it and its one-line help. A run imports
# only its own module, so the exam's first screen does not wait for cryptography, statistics
# or the admin store; `ccsoo-exam --help` imports none (tests/test_cli_help.py keeps the
# lines here equal to the ones each module registers).
COMMANDS = {
    "bank": ("bank", "author tools for question banks"),
    "rubric": ("rubric", "author tools for panel rubrics"),
    "form": ("form", "simulate form assembly: constraints, topic coverage, exposure, score spread"),
    "sit": ("delivery", "deliver the exam to a candidate on this terminal"),
    "demo": ("delivery", "sit the sample CCSOO exam with the demo key"),
    "exam": ("delivery", "check an exam definition against its package"),
    "panel": ("panel", "live panel scoring of the executive presentation"),
    "results": ("results", "export results (sittings, responses, panel scores, decisions)"),
    "admin": ("admin", "merge results, roster, item analysis, rescoring, certification decisions"),
    "standard": ("standard", "standard setting (modified Angoff): import or rate, report, adopt the cut"),
}
COMMAND_HOME = {name: module for name, (module, _) in COMMANDS.items()}

EXIT_PROBLEMS = 1  # the input was read and has flaws (lint findings)
EXIT_ERROR = 2  # the command could not do its job (bad input, wrong key, missing file)


def build_parser(modules: Sequence[str] | None = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The parser with the commands of ``modules``; with None, every command by name and help only,
    none of their modules imported (for ``--help``, ``--version`` and a mistyped command)."""
    parser = argparse.ArgumentParser(
        prog="ccsoo-exam",
        description=(
            "Deliver and score the Certified Chief Service Operations Officer (CCSOO) assessments: "
            "the timed multiple-choice exam, live panel scoring of the executive presentation, "
            "and the authoring and administration around them."
        ),
        epilog="Run 'ccsoo-exam COMMAND --help' for the options of each command.",
    )
    parser.add_argument("--version", action="version", version=f"ccsoo-exam {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    if modules is None:
        for name, (_, help_text) in COMMANDS.items():
            commands.add_parser(name, help=help_text, add_help=False)
        return parser
    for name in modules:
        try:
            module = importlib.import_module(f"ccsoo_exam.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"ccsoo_exam.cli.{name}":
                continue  # a command group not present in this build
            raise
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), None)
    home = COMMAND_HOME.get(command or "")
    parser = build_parser((home,) if home else None)
    args = parser.parse_args(words)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_ERROR
    saved = output.install()  # whatever a command prints, outside text never acts on the terminal
    try:
        return int(args.handler(args) or 0)
    except CcsooError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("ccsoo-exam: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as error:
        # A file problem no command anticipated still gets one line, never a traceback.
        where = error.filename or "ccsoo-exam"
        print(f"{where}: {error.strerror or error}; check the path and permissions", file=sys.stderr)
        return EXIT_ERROR
    finally:
        output.restore(saved)
