"""Proctor PINs: stored only as a salted, slow hash; compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import os

_ROUNDS = 100_000
MIN_LENGTH = 4


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _ROUNDS)
    return f"pbkdf2-sha256${_ROUNDS}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        scheme, rounds, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2-sha256":
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(rounds))
    return hmac.compare_digest(candidate.hex(), digest)


def pin_problem(pin: str) -> str | None:
    """Why a new PIN is unacceptable, or None."""
    if len(pin) < MIN_LENGTH or not pin.isdigit():
        return f"the proctor PIN must be at least {MIN_LENGTH} digits"
    return None
