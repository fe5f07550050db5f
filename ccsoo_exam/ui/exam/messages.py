"""Messages the exam widgets post upward, named for what happened."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from ccsoo_exam.errors import StoreError


@dataclass
class OptionClicked(Message):
    """The candidate clicked an option (mouse is optional; keys do the same)."""

    index: int


@dataclass
class SaveFailed(Message):
    """A change could not be committed: the screen kept its last saved state."""

    error: StoreError


class SubmitConfirmed(Message):
    """The candidate confirmed that the exam should be submitted now."""
