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
# Which module defines each top-level command: a run imports only its own module, so the
# exam's first screen does not wait for cryptography, statistics or the admin store.
COMMAND_HOME = {
    "bank": "bank",
    "rubric": "rubric",
    "form": "form",
    "sit": "delivery",
    "demo": "delivery",
    "exam": "delivery",
    "panel": "panel",
    "results": "results",
    "admin": "admin",
    "standard": "standard",
}

EXIT_PROBLEMS = 1  # the input was read and has flaws (lint findings)
EXIT_ERROR = 2  # the command could not do its job (bad input, wrong key, missing file)


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
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
    parser = build_parser((home,) if home else COMMAND_MODULES)
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
