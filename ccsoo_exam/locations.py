"""Where ccsoo-exam keeps its files: one small module, one environment override."""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA = "CCSOO_EXAM_DATA"


def data_dir() -> Path:
    """$CCSOO_EXAM_DATA, else $XDG_DATA_HOME/ccsoo-exam, else ~/.local/share/ccsoo-exam (not created here)."""
    if os.environ.get(ENV_DATA):
        return Path(os.environ[ENV_DATA])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ccsoo-exam"


def sample_package() -> Path:
    """The sample exam package shipped beside the code (question_banks/ at the project root)."""
    return Path(__file__).resolve().parent.parent / "question_banks"
