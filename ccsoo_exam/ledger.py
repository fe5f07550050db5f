"""The consumed-time ledger: how much of a candidate's time has gone.

Remaining time is ``allowance + extensions - consumed``; ``consumed`` grows only by
monotonic-clock deltas measured while the sitting runs and is not paused. The wall
clock never decides time: a changed system clock, a suspended laptop or a crash cannot
take time from the candidate, and the clock stands still while the program is down.
The clock is injected, so tests run three hours in microseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True)
class TimeAllowance:
    """The time a sitting has: base duration times accommodation, plus extensions."""

    base_seconds: float
    multiplier: float = 1.0
    extension_seconds: float = 0.0

    @property
    def total(self) -> float:
        return self.base_seconds * self.multiplier + self.extension_seconds


class Ledger:
    """Accumulates consumed time from an injected monotonic clock.

    ``consumed`` is the persisted figure; ``take()`` returns the time elapsed since the
    last take and folds it in, which is what a heartbeat or an answer commit records.
    """

    def __init__(self, allowance: TimeAllowance, consumed: float = 0.0, clock: Clock = time.monotonic) -> None:
        self.allowance = allowance
        self.consumed = consumed
        self.clock = clock
        self.paused = True
        self._mark = clock()

    def start(self) -> None:
        """Start (or resume) counting from now."""
        self._mark = self.clock()
        self.paused = False

    def pending(self) -> float:
        """Time elapsed since the last take, not yet recorded."""
        if self.paused:
            return 0.0
        return max(0.0, self.clock() - self._mark)

    def take(self) -> float:
        """Fold the pending time into ``consumed`` and return it."""
        delta = self.pending()
        self.consumed += delta
        self._mark = self.clock()
        return delta

    def snapshot(self) -> tuple[float, float]:
        return self.consumed, self._mark

    def restore(self, snapshot: tuple[float, float]) -> None:
        """Undo a take whose commit failed: the time is still owed to the ledger."""
        self.consumed, self._mark = snapshot

    def pause(self) -> float:
        delta = self.take()
        self.paused = True
        return delta

    def extend(self, seconds: float) -> None:
        self.allowance = TimeAllowance(
            self.allowance.base_seconds, self.allowance.multiplier, self.allowance.extension_seconds + seconds
        )

    @property
    def remaining(self) -> float:
        return max(0.0, self.allowance.total - self.consumed - self.pending())

    @property
    def expired(self) -> bool:
        return self.remaining <= 0.0


def format_clock(seconds: float) -> str:
    """H:MM:SS, rounding up so the display reaches 0:00:00 only when time is truly up."""
    whole = int(-(-seconds // 1)) if seconds > 0 else 0
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
