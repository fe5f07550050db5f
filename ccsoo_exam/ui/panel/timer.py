"""The phase timer: started and paused by the panelist, showing overrun once past the phase's minutes.

The clock is injected (``time.monotonic`` in use), so tests move time forward without
sleeping. The widget only shows laps: the scoring screen records each start and stop in
the store before handing the new laps down, and restores them from the store when a
sheet is reopened (see ``ccsoo_exam.scoresheet.restore_laps``). Nothing on the sheet is
computed from the timer; it helps the panelist judge "within the 30 minutes".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.text import Text
from textual.widgets import Static

from ccsoo_exam.rubric import Phase
from ccsoo_exam.scoresheet import Lap
from ccsoo_exam.ui.panel.messages import PhaseOverrun

Clock = Callable[[], float]


def clock_text(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


class PhaseTimer(Static):
    """Shows ``mm:ss / mm:00`` for the current phase, and ``+mm:ss over`` in warning style once overrun.

    Attributes down: ``show_phase(phase)`` and ``show_laps(laps)``. It posts ``PhaseOverrun``.
    """

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

    def show_laps(self, laps: Mapping[str, Lap]) -> None:
        """Show these laps (already saved by the screen)."""
        self.laps = {p.id: laps.get(p.id, Lap()) for p in self.phases}
        self.tick()

    @property
    def running_phase(self) -> str | None:
        return next((pid for pid, lap in self.laps.items() if lap.running), None)

    def elapsed(self, phase_id: str | None = None) -> float:
        return self.laps[phase_id or self.phase.id].elapsed(self.clock())

    def overrun(self) -> float:
        return max(0.0, self.elapsed() - self.phase.minutes * 60)

    def describe(self) -> str:
        """The timer as shown, in words a test or a screen reader can check."""
        lap = self.laps[self.phase.id]
        elapsed = lap.elapsed(self.clock())
        limit = self.phase.minutes * 60
        state = "running" if lap.running else ("paused" if elapsed else "not started")
        if elapsed > limit:
            return f"+{clock_text(elapsed - limit)} over ({state})"
        return f"{clock_text(elapsed)} / {clock_text(limit)} ({state})"

    def tick(self) -> None:
        lap = self.laps[self.phase.id]
        over = lap.elapsed(self.clock()) > self.phase.minutes * 60
        self.set_class(lap.running and not over, "-running")
        self.set_class(over, "-overrun")
        if over and self.phase.id not in self._overrun_told:
            self._overrun_told.add(self.phase.id)
            self.post_message(PhaseOverrun(self.phase.id))
        self.update(Text(self.describe()))
