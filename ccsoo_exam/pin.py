"""Proctor PINs: a keyed hash, a lock-out after wrong guesses, and a resume code for a forgotten PIN.

* A PIN is at least 6 digits. It is stored as HMAC-SHA256 under a secret derived from the
  exam key (``ExamPackage.proctor_secret``), so a copy of the results database alone
  cannot test guesses offline: without the exam key every guess needs the memory-hard KDF
  first. The hash never leaves the terminal (merge does not copy it).
* ``PinGuard`` counts wrong entries: after ``FREE_ATTEMPTS`` the menu locks for a delay that
  doubles with each further wrong entry, so the 10^6 space cannot be walked at the console.
* A forgotten PIN: the terminal shows a random ``challenge``; the administrator, who has the
  exam key, answers with ``resume_code(secret, challenge)`` (``ccsoo-exam admin resume-code``).
  The code opens the proctor menu once and a new PIN is set. Nothing needs a network.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass

MIN_LENGTH = 6
MAX_LENGTH = 12
FREE_ATTEMPTS = 5
FIRST_LOCK_SECONDS = 30.0
MAX_LOCK_SECONDS = 30 * 60.0
_SCHEME = "hmac-sha256"
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # as receipt codes: no 0/O, 1/I


def hash_pin(pin: str, secret: bytes, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hmac.new(secret, salt + pin.encode(), hashlib.sha256).hexdigest()
    return f"{_SCHEME}${salt.hex()}${digest}"


def check_pin(pin: str, stored: str, secret: bytes) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
        salt_bytes = bytes.fromhex(salt)
    except ValueError:
        return False
    if scheme != _SCHEME:
        return False
    candidate = hmac.new(secret, salt_bytes + pin.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(candidate, digest)


def pin_problem(pin: str, again: str | None = None) -> str | None:
    """Why a new PIN is unacceptable (``again`` is the confirmation), or None."""
    if not pin.isdigit() or not MIN_LENGTH <= len(pin) <= MAX_LENGTH:
        return f"the proctor PIN must be {MIN_LENGTH} to {MAX_LENGTH} digits"
    if len(set(pin)) == 1 or pin in "0123456789012345" or pin in "9876543210987654":
        return "the proctor PIN must not be one digit repeated or a run such as 123456"
    if again is not None and again != pin:
        return "the two PINs differ; type the same PIN twice"
    return None


# -- resume codes ------------------------------------------------------------------------


def new_challenge() -> str:
    """Eight random characters (40 bits), grouped XXXX-XXXX, read aloud over a phone."""
    return _group(_encode(os.urandom(5), 8))


def resume_code(secret: bytes, challenge: str) -> str:
    """The one answer to ``challenge`` under this package's proctor secret."""
    normal = normalise_code(challenge)
    digest = hmac.new(secret, f"ccsoo-exam resume code|{normal}".encode(), hashlib.sha256).digest()
    return _group(_encode(digest[:6], 8))


def check_resume_code(secret: bytes, challenge: str, code: str) -> bool:
    return hmac.compare_digest(normalise_code(resume_code(secret, challenge)), normalise_code(code))


def normalise_code(code: str) -> str:
    """Upper case, letters and digits only: 'k7pq 3mzx' and 'K7PQ-3MZX' are the same code."""
    return "".join(char for char in code.upper() if char.isascii() and char.isalnum())


def _encode(data: bytes, length: int) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return "".join(chars)


def _group(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


# -- lock-out ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    wrong: int  # wrong entries in a row, this one included
    locked_for: float  # seconds until the next entry is taken (0 when open)


class PinGuard:
    """Wrong entries in a row and the lock they earn; the clock is injected (monotonic)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.wrong = 0
        self.locked_until = 0.0

    def remaining_lock(self) -> float:
        return max(0.0, self.locked_until - self.clock())

    def record(self, accepted: bool) -> Verdict:
        """Record one entry already checked. Call ``remaining_lock`` first: a locked guard takes none."""
        if accepted:
            self.wrong = 0
            self.locked_until = 0.0
            return Verdict(True, 0, 0.0)
        self.wrong += 1
        if self.wrong >= FREE_ATTEMPTS:
            delay = min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (self.wrong - FREE_ATTEMPTS))
            self.locked_until = self.clock() + delay
        return Verdict(False, self.wrong, self.remaining_lock())
