"""Messages the exam widgets post upward, named for what happened."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class OptionClicked(Message):
    """The candidate clicked an option (mouse is optional; keys do the same)."""

    index: int


@dataclass
class QuestionPicked(Message):
    """The candidate picked a question to go to, from the navigator or review list."""

    position: int


@dataclass
class ProctorAction(Message):
    """The proctor chose something from the PIN-protected menu."""

    action: str
    minutes: float = 0.0
    text: str = ""
