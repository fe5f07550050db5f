"""What happens on the panel screens, as small messages named for the event.

Widgets post these upward; the screen decides what they mean for the sheet (usually one
store call), then hands the new sheet back down as an attribute.
"""

from __future__ import annotations

from textual.message import Message


class CriterionHighlighted(Message):
    """The panelist moved to another criterion."""

    def __init__(self, criterion_id: str) -> None:
        self.criterion_id = criterion_id
        super().__init__()


class LevelBrowsed(Message):
    """The panelist moved the level cursor to read another descriptor (nothing is scored)."""

    def __init__(self, criterion_id: str, level: int | None) -> None:
        self.criterion_id = criterion_id
        self.level = level
        super().__init__()


class LevelChosen(Message):
    """The panelist set a level on a criterion (number key, or enter on the browsed level)."""

    def __init__(self, criterion_id: str, level: int) -> None:
        self.criterion_id = criterion_id
        self.level = level
        super().__init__()


class PhaseOverrun(Message):
    """A phase's running timer passed the rubric's minutes for it."""

    def __init__(self, phase_id: str) -> None:
        self.phase_id = phase_id
        super().__init__()


class Said(Message):
    """A widget has something to tell the panelist; the screen shows it on its status line."""

    def __init__(self, text: str, severity: str = "information") -> None:
        self.text = text
        self.severity = severity
        super().__init__()
