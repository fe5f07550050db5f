"""The per-sitting event hash chain and the receipt code derived from it.

Each event's hash covers the previous hash, its sequence number, kind, payload, time and
consumed seconds, so deleting, reordering or editing any event after the fact breaks
every later hash. The receipt code the candidate takes away is a short form of the
chain head: it ties the paper slip to exactly this history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over a phone


@dataclass(frozen=True)
class Event:
    seq: int
    kind: str
    payload: str  # canonical JSON
    wall_time: str
    consumed: float
    prev_hash: str
    hash: str


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, seq: int, kind: str, payload: str, wall_time: str, consumed: float) -> str:
    text = f"{prev_hash}|{seq}|{kind}|{payload}|{wall_time}|{consumed:.3f}"
    return hashlib.sha256(text.encode()).hexdigest()


def make_event(prev_hash: str, seq: int, kind: str, payload: dict[str, Any], wall_time: str, consumed: float) -> Event:
    body = canonical(payload)
    return Event(
        seq,
        kind,
        body,
        wall_time,
        round(consumed, 3),
        prev_hash,
        event_hash(prev_hash, seq, kind, body, wall_time, round(consumed, 3)),
    )


def first_break(events: Iterable[Event]) -> tuple[int, str] | None:
    """The first event whose link or hash does not hold, with the reason; None if intact."""
    previous = GENESIS
    expected_seq = 1
    for event in events:
        if event.seq != expected_seq:
            return event.seq, f"expected event {expected_seq}, found {event.seq} (events missing or reordered)"
        if event.prev_hash != previous:
            return event.seq, "does not link to the previous event"
        if (
            event_hash(event.prev_hash, event.seq, event.kind, event.payload, event.wall_time, event.consumed)
            != event.hash
        ):
            return event.seq, "contents do not match its hash (edited after the fact)"
        previous = event.hash
        expected_seq += 1
    return None


def verify_chain(events: list[Event], head: object, event_count: object) -> tuple[int, str] | None:
    """First fault of a stored sitting's chain: a broken link, or a head/count that disagrees."""
    broken = first_break(events)
    if broken is not None or not events:
        return broken
    last = events[-1]
    if last.hash != head:
        return last.seq, "the sitting's recorded chain head does not match its last event"
    if event_count != last.seq:
        return last.seq, f"the sitting records {event_count} events but {last.seq} are chained"
    return None


def receipt_code(head: str) -> str:
    """Eight characters from the chain head, grouped as XXXX-XXXX."""
    number = int(head[:20], 16)
    chars = []
    for _ in range(8):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    code = "".join(chars)
    return f"{code[:4]}-{code[4:]}"


# Events a terminal signs (``signing.py``) and merge requires signed: every change of a response,
# the check-in and the submission. Kept here, free of cryptography, for the store and the receipt.
SIGNED_KINDS = frozenset({"check-in", "answer", "flag", "strike", "submit"})


def head_message(sitting_id: str, seq: int, event_hash: str) -> bytes:
    """What a terminal signs: this sitting's chain, up to and including event ``seq``."""
    return f"ccsoo-exam chain head v1|{sitting_id}|{seq}|{event_hash}".encode()


def signed_receipt(signature: bytes) -> str:
    """The candidate's receipt code, from the terminal's signature over the submit event.

    Anyone can recompute a chain head; only the terminal's key makes this signature, so a
    receipt cannot be produced for a forged result.
    """
    return receipt_code(hashlib.sha256(signature).hexdigest())


def sitting_receipt(head: str, last_signature: bytes | None) -> str:
    """A sitting's receipt: from the signature over its last event when signed, else from its head."""
    return signed_receipt(last_signature) if last_signature else receipt_code(head)
