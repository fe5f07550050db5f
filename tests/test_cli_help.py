"""`ccsoo-exam --help` lists every command without importing any command module (or Textual, or cryptography)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from ccsoo_exam.cli import COMMAND_MODULES, COMMANDS, build_parser

ROOT = Path(__file__).resolve().parent.parent


def registered() -> dict[str, str]:
    """Every top-level command and its help as the command modules themselves register them."""
    parser = build_parser(COMMAND_MODULES)
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {choice.dest: choice.help for choice in action._choices_actions}


def test_static_table_matches_the_modules() -> None:
    assert {name: help_text for name, (_, help_text) in COMMANDS.items()} == registered()


def test_help_lists_every_command_and_imports_no_command_module() -> None:
    probe = (
        "import contextlib, io, json, sys\n"
        "from ccsoo_exam.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "from ccsoo_exam.cli import COMMAND_MODULES\n"
        "commands = {f'ccsoo_exam.cli.{name}' for name in COMMAND_MODULES}\n"
        "loaded = [m for m in sys.modules if m.startswith(('textual', 'cryptography')) or m in commands]\n"
        "print(json.dumps({'help': out.getvalue(), 'loaded': loaded}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
    )
    result = json.loads(done.stdout)
    assert result["loaded"] == [], f"--help imported {result['loaded']}"
    for name, help_text in registered().items():
        assert name in result["help"], f"{name} missing from --help"
        assert help_text.split()[0] in result["help"]


def test_a_command_still_gets_its_own_options(capsys) -> None:
    from ccsoo_exam.cli import main

    try:
        main(["bank", "--help"])
    except SystemExit as stop:
        assert stop.code == 0
    assert "lint" in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys) -> None:
    from ccsoo_exam.cli import EXIT_ERROR, main

    assert main([]) == EXIT_ERROR
    assert "demo" in capsys.readouterr().out


def test_unknown_command_names_the_real_ones(capsys) -> None:
    from ccsoo_exam.cli import main

    try:
        main(["nonsense"])
    except SystemExit as stop:
        assert stop.code == 2
    assert "admin" in capsys.readouterr().err
