"""Terminal keys: each candidate terminal signs its chain heads with its own enrolled Ed25519 key.

A hash chain without a secret proves nothing to someone who can run SHA-256: they rewrite
every event and recompute every hash. A signature they cannot recompute without the
terminal's private key, which only the exam user on that terminal can read. The admin's
registry (``terminals`` table) holds the public keys; merge accepts a sitting only when
each answer-changing event and the submission carry a valid signature by an enrolled key.

The receipt code a candidate takes away is derived from the signature over the submit
event (``signed_receipt``): it cannot be computed for a forged result without the key.

``cryptography`` is imported only here, and this module only at unlock or by admin
commands: the exam's first screen does not wait for it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ccsoo_exam.chain import SIGNED_KINDS, Event, head_message, signed_receipt
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.keyfile import new_key_file
from ccsoo_exam.scoresheet import Change, Scoresheet, seal_message

__all__ = ["SIGNED_KINDS", "Signer", "head_message", "load_signer", "new_key_file", "signed_receipt", "verify"]


@dataclass(frozen=True)
class Signer:
    """A terminal's private key, loaded at unlock."""

    key_id: str
    public_key: str  # hex of the 32 raw bytes
    _private: Ed25519PrivateKey

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)


def key_id(public_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def load_signer(path: Path) -> Signer:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CcsooError(
            Problem(
                str(path),
                None,
                "no terminal key: enrol this terminal with 'ccsoo-exam admin enrol-terminal' and install its key here",
            )
        ) from None
    except OSError as exc:
        raise CcsooError(Problem(str(path), None, f"cannot read the terminal key ({exc.strerror})")) from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise CcsooError(Problem(str(path), None, "is not a terminal key file (damaged?); enrol again")) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise CcsooError(Problem(str(path), None, "is not an Ed25519 terminal key; enrol again"))
    return _signer(private)


def verify(public_hex: str, message: bytes, signature: bytes) -> bool:
    try:
        _public_key(public_hex).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@functools.lru_cache(maxsize=64)
def _public_key(public_hex: str) -> Ed25519PublicKey:
    # A merge verifies about 80 signatures a sitting under one terminal's key: parsing the key
    # each time was a quarter of the work. A malformed key raises ValueError, never cached.
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))


def _signer(private: Ed25519PrivateKey) -> Signer:
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    return Signer(key_id(public), public, private)


def signature_fault(
    sitting_id: str,
    events: Sequence[Event],
    signatures: Mapping[int, tuple[str, bytes]],
    enrolled: Mapping[str, str],
) -> str | None:
    """Why a sitting's signatures do not vouch for its chain, worded after 'sitting <id>'; None if they do.

    Every check-in, answer, flag, strike and submit event must be signed, by one terminal key
    that is enrolled (``enrolled``: key id -> public key hex), over this sitting's chain head.
    """
    if not signatures:
        return "is not signed by any terminal (made without an enrolled terminal key); not accepted"
    keys = {key for key, _ in signatures.values()}
    if len(keys) > 1:
        return f"is signed by {len(keys)} different terminal keys; a sitting belongs to one terminal"
    (key,) = keys
    public = enrolled.get(key)
    if public is None:
        return (
            f"is signed by terminal key {key}, which is not enrolled in this admin database; "
            "enrol the terminal with 'ccsoo-exam admin enrol-terminal' if it is one of yours"
        )
    by_seq = {event.seq: event for event in events}
    for seq in sorted(signatures):
        if seq not in by_seq:
            return f"has a signature for event {seq}, which is not in its chain (events removed)"
    for event in events:
        if event.kind not in SIGNED_KINDS:
            continue
        signed = signatures.get(event.seq)
        if signed is None:
            return f"event {event.seq} ({event.kind}) is not signed by the terminal"
        if not verify(public, head_message(sitting_id, event.seq, event.hash), signed[1]):
            return (
                f"event {event.seq} ({event.kind}): the terminal's signature does not verify "
                "(the chain was rewritten, or the signature forged)"
            )
    return None


def seal_fault(
    sheet: Scoresheet, log: Sequence[Change], signed: tuple[str, bytes] | None, enrolled: Mapping[str, str]
) -> str | None:
    """Why a sealed sheet's signature does not vouch for it (worded after 'sheet ...'), or None."""
    if signed is None:
        return "is not signed by a panelist machine (sealed without an enrolled key)"
    key, signature = signed
    public = enrolled.get(key)
    if public is None:
        return (
            f"is signed by machine key {key}, which is not enrolled here; enrol the panelist's machine with "
            "'ccsoo-exam admin enrol-terminal --db THIS_DB' if it is one of yours"
        )
    if not verify(public, seal_message(sheet, log), signature):
        return "has a seal signature that does not verify (the sheet or its log was changed after sealing)"
    return None
