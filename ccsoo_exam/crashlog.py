"""What an unexpected error leaves behind: a line per frame in a log only the exam user can read.

The exception's own text is left out on purpose: an error raised while a question is on
screen can quote decrypted stems, options or keys, and the log outlives the sitting. The
type and the frames (file, line, function) are what a developer needs to find the bug.
"""

from __future__ import annotations

import os
import traceback
from datetime import UTC, datetime
from pathlib import Path


def write_crash(path: Path | None, error: BaseException) -> None:
    """Append a content-free report of ``error``; never raises (the caller is already failing)."""
    if path is None:
        return
    when = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [f"{when} unexpected {type(error).__module__}.{type(error).__qualname__} (message withheld)"]
    for frame in traceback.extract_tb(error.__traceback__):
        lines.append(f"  {frame.filename}:{frame.lineno} in {frame.name}")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    except OSError:
        pass  # no log is better than a second failure on the candidate's screen
