"""A sitting in progress: the form's item content joined to its durable record.

The UI talks to this object only. It keeps an in-memory mirror of the responses, so what
the screen shows as saved is what is on disk: a change reaches the mirror when its commit
returns, or, for the candidate's own keys, while it commits, for the screen to draw. Then
the screen writes nothing to the terminal until the commit returned, and a failed commit
puts the mirror back before it is raised (``_proposed``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from ccsoo_exam.bank import Item
from ccsoo_exam.chain import sitting_receipt
from ccsoo_exam.form import Form
from ccsoo_exam.ledger import STALL_SECONDS, Clock, Interruption, Ledger, boot_identity
from ccsoo_exam.scoring import Score, score
from ccsoo_exam.store.database import checkpoint
from ccsoo_exam.store.sittings import (
    HeadSigner,
    ResponseState,
    SittingRecord,
    SittingRecorder,
    WallClock,
    load_responses,
    load_signatures,
    load_sitting,
)

if TYPE_CHECKING:
    from ccsoo_exam.package import ExamPackage


# How often the heartbeat also checkpoints the log into the database file.
CHECKPOINT_SECONDS = 120.0


class LiveSitting:
    def __init__(
        self,
        conn: sqlite3.Connection,
        package: ExamPackage,
        sitting_id: str,
        clock: Clock,
        wall_clock: WallClock,
        signer: HeadSigner | None = None,
        *,
        boot: Callable[[], float | None] = lambda: None,
        stall_after: float = STALL_SECONDS,
    ) -> None:
        self.conn = conn
        self.package = package
        self.definition = package.definition
        self.record = load_sitting(conn, sitting_id)
        self.responses: list[ResponseState] = load_responses(conn, sitting_id)
        self.ledger = Ledger(self.record.allowance, self.record.consumed, clock, boot=boot, stall_after=stall_after)
        self._checkpointed_at = clock()
        self.recorder = SittingRecorder(conn, self.record, self.ledger, wall_clock, signer)
        self.position = self.record.position
        self.warnings_given = set(self.record.warnings_given)
        self.timer_hidden = self.record.timer_hidden
        self.result: Score | None = None
        self.scale = _scale_of(self)

    @property
    def sitting_id(self) -> str:
        return self.record.sitting_id

    @property
    def count(self) -> int:
        return len(self.responses)

    def item(self, position: int) -> Item:
        entry = self.responses[position].item
        return self.package.banks[entry.bank].item(entry.item_id)

    def current(self) -> ResponseState:
        return self.responses[self.position]

    def answered(self) -> int:
        return sum(r.answer is not None for r in self.responses)

    def flagged(self) -> int:
        return sum(r.flagged for r in self.responses)

    def receipt_code(self) -> str:
        """The candidate's receipt: from the terminal's signature over the last event when it is signed."""
        signed = load_signatures(self.conn, self.sitting_id).get(self.record.event_count)
        return sitting_receipt(self.record.chain_head, signed[1] if signed else None)

    def refresh_record(self) -> SittingRecord:
        self.record = load_sitting(self.conn, self.sitting_id)
        return self.record

    # Each change commits first and updates the mirror only when the commit returned.

    def start(self) -> None:
        self.recorder.start()
        self.refresh_record()
        self.checkpoint()

    def checkpoint(self) -> bool:
        """Fold the write-ahead log into the database file (check-in, start, every few minutes, submit)."""
        self._checkpointed_at = self.ledger.clock()
        return checkpoint(self.conn)

    # The candidate's changes take ``during``: the screen, drawing the change while it commits.

    def answer(self, position: int, shown: str | None, during: Callable[[], None] | None = None) -> ResponseState:
        """Choose the option shown as ``shown`` (None clears); choosing a struck option un-strikes it."""
        state = self.responses[position]
        authored = state.item.authored(shown) if shown else None
        struck = state.struck - {authored} if authored else state.struck
        proposed = replace(state, answer=authored, struck=struck)
        self._proposed(
            position, proposed, position, during, lambda d: self.recorder.answer(position, authored, struck, d)
        )
        return self.responses[position]

    def toggle_flag(self, position: int, during: Callable[[], None] | None = None) -> ResponseState:
        state = self.responses[position]
        proposed = replace(state, flagged=not state.flagged)
        self._proposed(
            position, proposed, self.position, during, lambda d: self.recorder.flag(position, proposed.flagged, d)
        )
        return self.responses[position]

    def toggle_strike(self, position: int, shown: str, during: Callable[[], None] | None = None) -> ResponseState:
        state = self.responses[position]
        struck = frozenset(state.struck ^ {state.item.authored(shown)})
        proposed = replace(state, struck=struck)
        self._proposed(position, proposed, self.position, during, lambda d: self.recorder.strike(position, struck, d))
        return self.responses[position]

    def navigate(self, position: int, during: Callable[[], None] | None = None) -> None:
        if position != self.position:
            state = self.responses[position]
            self._proposed(position, state, position, during, lambda d: self.recorder.navigate(position, d))
        elif during is not None:
            during()

    def _proposed(
        self,
        position: int,
        state: ResponseState,
        moved_to: int,
        during: Callable[[], None] | None,
        commit: Callable[[Callable[[], None] | None], object],
    ) -> None:
        """Commit a change to one response (and the current position) and put it in the mirror.

        Without ``during`` the mirror changes when the commit returned. With it, the mirror
        holds the change while the commit runs, for ``during`` to draw; if the commit fails
        (the recorder's sequence did not move) the mirror is put back before the error goes on.
        """
        before = self.position, self.responses[position]

        def propose() -> None:
            self.position, self.responses[position] = moved_to, state
            during()  # type: ignore[misc]

        seq = self.recorder.seq
        try:
            commit(None if during is None else propose)
        except BaseException:
            if self.recorder.seq == seq:
                self.position, self.responses[position] = before
            raise
        if during is None:
            self.position, self.responses[position] = moved_to, state

    def heartbeat(self) -> None:
        self.recorder.heartbeat()
        if self.ledger.clock() - self._checkpointed_at >= CHECKPOINT_SECONDS:
            self.checkpoint()

    def warn(self, minutes: int) -> None:
        self.warnings_given.add(minutes)
        self.recorder.warning(minutes, frozenset(self.warnings_given))

    def set_timer_hidden(self, hidden: bool) -> None:
        self.recorder.hide_timer(hidden)
        self.timer_hidden = hidden

    def pause(self, reason: str) -> None:
        self.recorder.pause(reason)
        self.refresh_record()

    def resume(self, reason: str = "") -> None:
        self.recorder.resume(reason)
        self.refresh_record()

    def tool(self, name: str, action: str) -> None:
        """Log a tool's use (calculator open/close, read-aloud): never its content."""
        self.recorder.tool(name, action)

    def extend(self, minutes: float, reason: str) -> None:
        self.recorder.extend(minutes, reason)

    def incident(self, note: str) -> None:
        self.recorder.incident(note)

    def replace_pin(self, pin_hash: str, note: str) -> None:
        self.recorder.replace_pin(pin_hash, note)
        self.refresh_record()

    def log_gap(self, now: datetime) -> Interruption:
        """After a restart: log how long the program was down. The candidate's clock did not run.

        Measured on the boot clock when this is the boot of the last commit; a changed wall
        clock would otherwise turn a 6-second outage into a day.
        """
        record = self.record
        since = record.last_event_time
        wall = max(0.0, (now - datetime.fromisoformat(since)).total_seconds())
        boot_now = self.ledger.boot()
        seconds: float | None = None
        if record.boot_seconds is not None and boot_now is not None and record.boot_id == boot_identity():
            seconds = max(0.0, boot_now - record.boot_seconds)
        self.recorder.gap(seconds, since, wall)
        return Interruption(seconds, since, record.status)

    def submit(self, reason: str) -> Score:
        answers = {r.position: r.answer for r in self.responses}
        result = score(_form_of(self), self.package.banks, answers, self.record.cut_score, self.scale)
        self.recorder.submit(result, reason)
        self.result = result
        self.refresh_record()
        self.checkpoint()
        return result


def _scale_of(live: LiveSitting) -> tuple[list[float], float] | None:
    """The form's difficulties and the ability cut, when the package is calibrated.

    A calibration that cannot be read here leaves the scaled score out rather than stopping
    the submission: the raw cut recorded at check-in still decides the pass.
    """
    path = live.definition.calibration_path
    if path is None:
        return None
    from ccsoo_exam.calibration import form_difficulties, load_calibration
    from ccsoo_exam.errors import CcsooError

    try:
        calibration = load_calibration(path)
    except CcsooError:
        return None
    items = [(r.item.bank, r.item.item_id) for r in live.responses]
    labels = dict(live.definition.assembly.labels)
    return form_difficulties(live.package.banks, items, calibration, labels), float(calibration.ability_cut)


def _form_of(live: LiveSitting) -> Form:
    return Form(live.record.form_seed, tuple(r.item for r in live.responses))
