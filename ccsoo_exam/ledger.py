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

# The heartbeat commits consumed time every few seconds. A step between two takes much
# longer than that means the process did not run: it was stopped (SIGSTOP, a debugger), its
# VM was paused, or the machine slept. Such a step is charged one heartbeat at most (the
# time the candidate may really have had before the stop) and the rest is logged as a stall.
HEARTBEAT_SECONDS = 5.0
STALL_SECONDS = 3 * HEARTBEAT_SECONDS


def boot_clock() -> float | None:
    """Seconds since boot including suspend (CLOCK_BOOTTIME), where the platform has it.

    CLOCK_MONOTONIC stands still while the machine is suspended, CLOCK_BOOTTIME does not,
    so the difference tells a suspend from a stopped process. It also measures an outage
    across a restart of the program (not of the machine), which the wall clock cannot do
    honestly: the wall clock can be set back or forward while the program is down.
    """
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is None:
        return None
    return time.clock_gettime(boottime)


def boot_identity() -> str:
    """This boot's id (Linux), so an outage is measured on the boot clock only within one boot."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""


@dataclass(frozen=True)
class Interruption:
    """What the resume screen tells the proctor about the time the program was down."""

    seconds: float | None  # on the boot clock; None when the machine itself restarted
    since: str  # wall time of the last saved event, for the log
    state: str  # the sitting's state when it stopped: in-progress, paused, checked-in

    def describe(self) -> str:
        if self.seconds is None:
            return "the machine restarted since the last saved event (length not measurable); logged"
        return f"{format_clock(self.seconds)} since the last saved event (logged)"


@dataclass(frozen=True)
class Stall:
    """Time the process did not run, found between two takes, and not charged."""

    seconds: float  # not charged to the candidate
    charged: float  # what was charged for the step (at most one heartbeat)
    cause: str  # "stopped" (process or VM paused) or "suspended" (the machine slept)

    def describe(self) -> str:
        what = "the machine was suspended" if self.cause == "suspended" else "the exam program was stopped"
        return f"{what} for {format_clock(self.seconds + self.charged)}; {format_clock(self.seconds)} not charged"


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

    def __init__(
        self,
        allowance: TimeAllowance,
        consumed: float = 0.0,
        clock: Clock = time.monotonic,
        *,
        boot: Callable[[], float | None] = lambda: None,
        heartbeat: float = HEARTBEAT_SECONDS,
        stall_after: float = STALL_SECONDS,
    ) -> None:
        self.allowance = allowance
        self.consumed = consumed
        self.clock = clock
        self.boot = boot
        self.heartbeat = heartbeat
        self.stall_after = stall_after
        self.paused = True
        self._mark = clock()
        self._boot_mark = boot()
        self.stalls: list[Stall] = []  # found by take(), kept until the recorder logs them

    def start(self) -> None:
        """Start (or resume) counting from now."""
        self._mark = self.clock()
        self._boot_mark = self.boot()
        self.paused = False

    def _step(self) -> tuple[float, Stall | None]:
        """The time to charge since the last take, and the stall it hides, if any."""
        if self.paused:
            return 0.0, None
        raw = max(0.0, self.clock() - self._mark)
        if raw > self.stall_after:
            charged = min(raw, self.heartbeat)
            return charged, Stall(raw - charged, charged, "stopped")
        boot_now = self.boot()
        if boot_now is not None and self._boot_mark is not None:
            slept = (boot_now - self._boot_mark) - raw
            if slept > self.stall_after:
                return raw, Stall(slept, 0.0, "suspended")
        return raw, None

    def pending(self) -> float:
        """Time elapsed since the last take, not yet recorded (a stall charged at most a heartbeat)."""
        return self._step()[0]

    def take(self) -> float:
        """Fold the pending time into ``consumed`` and return it; a stall is kept in ``stalls``."""
        delta, stall = self._step()
        if stall is not None:
            self.stalls.append(stall)
        self.consumed += delta
        self._mark = self.clock()
        self._boot_mark = self.boot()
        return delta

    def snapshot(self) -> tuple[float, float, float | None, int]:
        return self.consumed, self._mark, self._boot_mark, len(self.stalls)

    def restore(self, snapshot: tuple[float, float, float | None, int]) -> None:
        """Undo a take whose commit failed: the time is still owed to the ledger."""
        self.consumed, self._mark, self._boot_mark, count = snapshot
        del self.stalls[count:]

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
