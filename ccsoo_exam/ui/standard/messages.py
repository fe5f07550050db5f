"""Messages of the rating screens, named for what happened."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class RatingSaved(Message):
    """A rating was committed (the screen says "saved" only after this)."""

    item: str
    rating: float
