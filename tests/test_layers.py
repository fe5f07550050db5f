"""The layers point one way: the domain runs without Textual or SQLite."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import ccsoo_exam

DOMAIN = sorted(
    f"ccsoo_exam.{m.name}" for m in pkgutil.iter_modules(ccsoo_exam.__path__) if not m.ispkg and m.name != "__main__"
)


def test_domain_modules_do_not_load_textual_or_sqlite() -> None:
    assert "ccsoo_exam.vault" in DOMAIN and "ccsoo_exam.bank" in DOMAIN
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in DOMAIN)
        + "bad = [m for m in ('textual', 'sqlite3', 'sqlite_utils', 'rich') if m in sys.modules]\n"
        + "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_author_commands_do_not_pay_for_textual() -> None:
    code = "import sys\nfrom ccsoo_exam.cli import build_parser\nbuild_parser()\nassert 'textual' not in sys.modules\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
