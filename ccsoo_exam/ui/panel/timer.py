"""The phase timer: started and paused by the panelist, showing overrun once past the phase's minutes.

The clock is injected (``time.monotonic`` in use), so tests move time forward without
sleeping. Timing is view state: it helps the panelist judge "within the 30 minutes", and
nothing on the sheet is computed from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from rich.text import Text
from textual.widgets import Static

from ccsoo_exam.rubric import Phase
from ccsoo_exam.ui.panel.messages import PhaseOverrun

Clock = Callable[[], float]


@dataclass(frozen=True)
class Lap:
    """One phase's timing: seconds banked from earlier runs, and when the current run began."""

    banked: float = 0.0
    started: float | None = None

    def elapsed(self, now: float) -> float:
        return self.banked + (now - self.started if self.started is not None else 0.0)

    def start(self, now: float) -> Lap:
        return self if self.started is not None else replace(self, started=now)

    def pause(self, now: float) -> Lap:
        return self if self.started is None else Lap(self.elapsed(now), None)


def clock_text(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


class PhaseTimer(Static):
    """Shows ``mm:ss / mm:00`` for the current phase, and ``+mm:ss over`` in warning style once overrun."""

    DEFAULT_CSS = """
    PhaseTimer { width: auto; padding: 0 1; }
    PhaseTimer.-running { color: $success; }
    PhaseTimer.-overrun { color: $warning; text-style: bold; }
    """

    def __init__(self, phases: tuple[Phase, ...], clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.phases = phases
        self.clock = clock
        self.laps: dict[str, Lap] = {p.id: Lap() for p in phases}
        self.phase = phases[0]
        self._overrun_told: set[str] = set()

    def on_mount(self) -> None:
        # The interval only redraws; the time shown is always read from the clock.
        self.set_interval(1.0, self.tick)
        self.tick()

    def show_phase(self, phase: Phase) -> None:
        self.phase = phase
        self.tick()

    def toggle(self) -> bool:
        """Start the current phase's timer (pausing any other), or pause it. Returns True if now running."""
        now = self.clock()
        lap = self.laps[self.phase.id]
        if lap.started is not None:
            self.laps[self.phase.id] = lap.pause(now)
        else:
            self.laps = {pid: other.pause(now) for pid, other in self.laps.items()}
            self.laps[self.phase.id] = lap.start(now)
        self.tick()
        return self.laps[self.phase.id].started is not None

    def elapsed(self) -> float:
        return self.laps[self.phase.id].elapsed(self.clock())

    def overrun(self) -> float:
        return max(0.0, self.elapsed() - self.phase.minutes * 60)

    def describe(self) -> str:
        """The timer as shown, in words a test or a screen reader can check."""
        lap = self.laps[self.phase.id]
        elapsed = lap.elapsed(self.clock())
        limit = self.phase.minutes * 60
        state = "running" if lap.started is not None else ("paused" if elapsed else "not started")
        if elapsed > limit:
            return f"+{clock_text(elapsed - limit)} over ({state})"
        return f"{clock_text(elapsed)} / {clock_text(limit)} ({state})"

    def tick(self) -> None:
        lap = self.laps[self.phase.id]
        over = lap.elapsed(self.clock()) > self.phase.minutes * 60
        self.set_class(lap.started is not None and not over, "-running")
        self.set_class(over, "-overrun")
        if over and self.phase.id not in self._overrun_told:
            self._overrun_told.add(self.phase.id)
            self.post_message(PhaseOverrun(self.phase.id))
        self.update(Text(self.describe()))
