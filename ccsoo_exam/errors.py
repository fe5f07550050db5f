"""The one family of errors that reaches users.

Every problem names the file and line it is about and says what to do, so the CLI can
print ``path:line: message`` lines and the UI can show the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccsoo_exam.text import literal_line


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        # Messages may quote outside text (a file name, a key, a roster name): never let it act on a terminal.
        where = f"{self.path}:{self.line}" if self.line else self.path
        return literal_line(f"{where}: {self.message}")


class CcsooError(Exception):
    """An error written for the user: one or more located problems."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("ccsoo-exam", None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class VaultError(CcsooError):
    """An encrypted bank could not be opened (wrong key, damage, tampering)."""


class WrongKeyError(VaultError):
    """The exam key is not the one the file was sealed with (the file itself is intact)."""


class DamagedFileError(VaultError):
    """The file is truncated, damaged or altered; the key may well be right."""


class StoreError(CcsooError):
    """The results database cannot be used (locked, read-only, full, foreign)."""
