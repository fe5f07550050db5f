"""The layers point one way: the domain runs without Textual or SQLite."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import ccsoo_exam
import ccsoo_exam.interchange
import ccsoo_exam.psychometrics

DOMAIN = sorted(
    [f"ccsoo_exam.{m.name}" for m in pkgutil.iter_modules(ccsoo_exam.__path__) if not m.ispkg and m.name != "__main__"]
    + [f"ccsoo_exam.psychometrics.{m.name}" for m in pkgutil.iter_modules(ccsoo_exam.psychometrics.__path__)]
    # Domain packages grouped by concept (DESIGN: interchange/, ...): every module in them too.
    + ["ccsoo_exam.interchange"]
    + [f"ccsoo_exam.interchange.{m.name}" for m in pkgutil.iter_modules(ccsoo_exam.interchange.__path__)]
)


def test_domain_modules_do_not_load_textual_or_sqlite() -> None:
    assert "ccsoo_exam.vault" in DOMAIN and "ccsoo_exam.bank" in DOMAIN
    assert "ccsoo_exam.psychometrics.angoff" in DOMAIN and "ccsoo_exam.psychometrics.report" in DOMAIN
    assert "ccsoo_exam.interchange.qti" in DOMAIN
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


def test_the_exam_start_path_defers_cryptography_and_admin_code() -> None:
    # The first screen must not wait for the KDF library, statistics or the admin store.
    code = (
        "import sys\n"
        "from ccsoo_exam.cli import COMMAND_HOME, build_parser\n"
        "build_parser((COMMAND_HOME['demo'],))\n"
        "import ccsoo_exam.ui.exam.app\n"
        "loaded = [m for m in ('cryptography', 'ccsoo_exam.stats', 'ccsoo_exam.store.admin', 'ccsoo_exam.vault')"
        " if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
