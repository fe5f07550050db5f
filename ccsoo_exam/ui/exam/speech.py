"""Read-aloud through a local speech engine (espeak-ng), never blocking the exam.

The text goes to the engine on its standard input, from a thread: nothing of the item
appears on a command line, and the event loop never waits for the engine to start or to
finish. A new request, or the same key again, stops what is being said.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Sequence

ESPEAK = ("espeak-ng", "--stdin", "-s", "150")


def speech_command() -> tuple[str, ...] | None:
    """The speech engine's command where one is installed, else None (read-aloud not offered)."""
    return ESPEAK if shutil.which(ESPEAK[0]) else None


class Speaker:
    """Says one text at a time through ``command`` (the text on its standard input)."""

    def __init__(self, command: Sequence[str]) -> None:
        self.command = tuple(command)
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def speaking(self) -> bool:
        with self._lock:
            return self._process is not None and self._process.poll() is None

    def say(self, text: str) -> threading.Thread:
        """Start saying ``text`` (stopping anything already being said); returns at once."""
        self.stop()
        thread = threading.Thread(target=self._run, args=(text,), daemon=True, name="read-aloud")
        thread.start()
        return thread

    def stop(self) -> None:
        with self._lock:
            process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()

    def _run(self, text: str) -> None:
        try:
            process = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError:
            return  # the engine went away: read-aloud says nothing, the exam goes on
        with self._lock:
            self._process = process
        try:
            assert process.stdin is not None
            process.stdin.write(text.encode("utf-8"))
            process.stdin.close()
        except OSError:
            pass  # stopped while the text was being written
        process.wait()


def spoken_item(number: int, count: int, stem: str, options: Sequence[tuple[str, str]]) -> str:
    """What read-aloud says: the question number, the stem and each option with its letter."""
    lines = [f"Question {number} of {count}.", stem]
    lines.extend(f"Option {letter}. {text}" for letter, text in options)
    return "\n".join(lines)
