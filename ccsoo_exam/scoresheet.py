"""Scoresheets: one panelist's levels and notes for one candidate against one rubric.

The sheet is a frozen value; the store persists it and its append-only change log. This
module holds the rules that do not depend on storage: what a change may do, which change
an undo reverts, the weighted percentage, when a sheet may be sealed, and the seal hash
(SHA-256 over a canonical JSON of the sheet's content) that makes a finalised sheet
tamper-evident wherever it is copied.

It also holds the phase timer's rules (``Lap``, ``toggle_timer``, ``restore_laps``). The
timer's starts and stops are stored beside the sheet so a reopened sheet shows the right
elapsed time, but they are not part of what the seal covers: the seal is over what the
panelist decided, and the timer only helps them judge time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.rubric import Rubric
from ccsoo_exam.text import has_control

# Kinds of entry in a sheet's change log. Only level and note changes can be undone; the
# rest (opening, declaring a conflict, sealing, undo itself) are facts about the session.
OPEN, CONFLICT, LEVEL, NOTE, UNDO, SEAL = "open", "conflict", "level", "note", "undo", "seal"
VOID, REOPEN = "void", "reopen"
UNDOABLE = (LEVEL, NOTE)
MAX_NOTE = 2000
MAX_NAME = 80
# Kinds of phase timer event. Only one phase's timer runs at a time, so moving the timer to
# the next phase is a stop of the old phase and a start of the new one, recorded together.
TIMER_START, TIMER_STOP = "start", "stop"


class ScoresheetError(CcsooError):
    """A change the sheet does not allow (sealed, conflicted, off the scale, unknown criterion)."""


@dataclass(frozen=True)
class Note:
    """A timestamped note on one criterion; ``seq`` is the change that wrote it."""

    seq: int
    criterion_id: str
    text: str
    noted_at: str


@dataclass(frozen=True)
class Change:
    """One entry of a sheet's append-only change log."""

    seq: int
    kind: str
    at: str
    criterion_id: str | None = None
    old_level: int | None = None
    new_level: int | None = None
    text: str = ""
    undoes: int | None = None


@dataclass(frozen=True)
class Scoresheet:
    """The current content of a sheet. ``conflict`` is None until the panelist declares."""

    sheet_id: str
    rubric_id: str
    rubric_digest: str
    candidate_id: str
    panelist: str
    created_at: str
    conflict: bool | None = None
    conflict_reason: str = ""
    levels: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    notes: tuple[Note, ...] = ()
    seal_hash: str | None = None
    sealed_at: str | None = None
    # A sheet opened by mistake (a mistyped candidate id) and never scored can be voided with
    # a reason: it stays in the database and its log, and counts nowhere.
    voided_at: str | None = None
    void_reason: str = ""

    @property
    def sealed(self) -> bool:
        return self.seal_hash is not None

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    def notes_for(self, criterion_id: str) -> tuple[Note, ...]:
        return tuple(n for n in self.notes if n.criterion_id == criterion_id)


def utc_now() -> str:
    """Wall-clock time for stamps and the audit trail, ISO-8601 UTC to the second (never used for timing)."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def check_person(value: str, what: str) -> str:
    """A panelist name or candidate id as typed: trimmed, one line, not empty, not huge."""
    text = " ".join(value.split())
    if not text:
        raise ScoresheetError(Problem(what, None, f"the {what} is empty; type it"))
    if has_control(text):
        raise ScoresheetError(Problem(what, None, f"the {what} contains control characters; type it as plain text"))
    if len(text) > MAX_NAME:
        raise ScoresheetError(Problem(what, None, f"the {what} is {len(text)} characters; keep it under {MAX_NAME}"))
    return text


def _refuse(sheet: Scoresheet, message: str) -> ScoresheetError:
    return ScoresheetError(Problem(f"sheet {sheet.sheet_id[:8]}", None, message))


def check_editable(sheet: Scoresheet) -> None:
    """Raise unless levels and notes may still change on this sheet."""
    if sheet.voided:
        raise _refuse(sheet, f"this sheet was voided ({sheet.void_reason}); it cannot be scored")
    if sheet.sealed:
        raise _refuse(sheet, "this sheet is finalised (sealed); it cannot be changed")
    if sheet.conflict is None:
        raise _refuse(sheet, "declare any conflict of interest before scoring")
    if sheet.conflict:
        raise _refuse(sheet, "a conflict of interest was declared; this sheet is not scored")


def _check_criterion(rubric: Rubric, sheet: Scoresheet, criterion_id: str) -> None:
    try:
        rubric.criterion(criterion_id)
    except KeyError:
        raise _refuse(sheet, f"rubric {rubric.id} has no criterion '{criterion_id}'") from None


def check_level(rubric: Rubric, sheet: Scoresheet, criterion_id: str, level: int) -> None:
    """Raise unless ``level`` may be set on ``criterion_id`` of this sheet."""
    check_editable(sheet)
    check_rubric(rubric, sheet)
    _check_criterion(rubric, sheet, criterion_id)
    if not rubric.lowest <= level <= rubric.highest:
        raise _refuse(sheet, f"level {level} is not on the scale {rubric.lowest}-{rubric.highest}")


def check_note(rubric: Rubric, sheet: Scoresheet, criterion_id: str, text: str) -> str:
    """Return the note as it will be stored, or raise if it may not be added."""
    check_editable(sheet)
    _check_criterion(rubric, sheet, criterion_id)
    cleaned = text.strip()
    if not cleaned:
        raise _refuse(sheet, "the note is empty; type something or press escape")
    if has_control(cleaned):
        raise _refuse(sheet, "the note contains control characters; type it as plain text")
    if len(cleaned) > MAX_NOTE:
        raise _refuse(sheet, f"the note is {len(cleaned)} characters; keep it under {MAX_NOTE}")
    return cleaned


def check_void(sheet: Scoresheet, reason: str) -> str:
    """Return the reason as it will be stored, or raise unless this sheet may be voided."""
    if sheet.sealed:
        raise _refuse(sheet, "this sheet is finalised (sealed); it cannot be voided")
    if sheet.voided:
        raise _refuse(sheet, "this sheet is already voided")
    if sheet.levels or sheet.notes:
        raise _refuse(
            sheet, "this sheet has scores or notes; only an unscored sheet can be voided (undo them first, or finalise)"
        )
    cleaned = " ".join(reason.split())
    if not cleaned:
        raise _refuse(sheet, "say why the sheet is voided (e.g. 'mistyped candidate id')")
    if has_control(cleaned):
        raise _refuse(sheet, "the reason contains control characters; type it as plain text")
    if len(cleaned) > MAX_NOTE:
        raise _refuse(sheet, f"the reason is {len(cleaned)} characters; keep it under {MAX_NOTE}")
    return cleaned


def check_late_conflict(sheet: Scoresheet, reason: str) -> None:
    """Raise unless a conflict found during scoring may be declared on this sheet now."""
    if sheet.sealed:
        raise _refuse(sheet, "this sheet is finalised (sealed); a conflict can no longer be declared on it")
    if sheet.conflict is None:
        raise _refuse(sheet, "no declaration yet: answer the conflict of interest question instead")
    if sheet.conflict:
        raise _refuse(sheet, "a conflict of interest was already declared")
    if not reason:
        raise _refuse(sheet, "describe the conflict of interest")
    if has_control(reason):
        raise _refuse(sheet, "the description contains control characters; type it as plain text")


def check_rubric(rubric: Rubric, sheet: Scoresheet) -> None:
    """Raise if the sheet was opened against another rubric or another version of its file."""
    if sheet.rubric_id != rubric.id or sheet.rubric_digest != rubric.digest:
        raise _refuse(
            sheet,
            f"this sheet was scored against rubric {sheet.rubric_id} ({sheet.rubric_digest[:12]}), "
            f"not {rubric.id} ({rubric.digest[:12]}); open it with the same rubric file",
        )


def undo_target(changes: Sequence[Change]) -> Change | None:
    """The change an undo would revert: the latest level or note change not already undone."""
    undone = {c.undoes for c in changes if c.kind == UNDO}
    for change in reversed(changes):
        if change.kind in UNDOABLE and change.seq not in undone:
            return change
    return None


def weighted_percentage(rubric: Rubric, levels: Mapping[str, int]) -> float | None:
    """sum(w * (level - lowest) / (highest - lowest)) / sum(w) * 100 over the scored criteria.

    None when nothing is scored yet. Unscored criteria are left out of both sums, so the
    running total on screen is the percentage of what has been judged so far.
    """
    return rubric.percentage(levels)


def unscored(rubric: Rubric, sheet: Scoresheet) -> tuple[str, ...]:
    return tuple(c.id for c in rubric.criteria if c.id not in sheet.levels)


def seal_problems(rubric: Rubric, sheet: Scoresheet) -> list[str]:
    """Why this sheet cannot be sealed yet (empty when it can)."""
    if sheet.sealed:
        return ["this sheet is already finalised"]
    if sheet.voided:
        return ["this sheet was voided"]
    if sheet.conflict is None:
        return ["declare any conflict of interest first"]
    if sheet.rubric_id != rubric.id or sheet.rubric_digest != rubric.digest:
        return [f"this sheet belongs to rubric {sheet.rubric_id} ({sheet.rubric_digest[:12]}), not this rubric file"]
    if sheet.conflict:
        return []  # a recusal is sealed without scores
    missing = unscored(rubric, sheet)
    if missing:
        titles = ", ".join(rubric.criterion(m).title for m in missing)
        return [f"{len(missing)} criteria not scored yet: {titles}"]
    return []


def canonical_content(sheet: Scoresheet) -> bytes:
    """The sheet's content as canonical JSON: sorted keys, no whitespace, UTF-8.

    Covers what a panelist decided (rubric id and file digest, candidate, panelist,
    conflict, levels, notes with their times), not where or when it was stored, so the
    same sheet hashes the same in every database it is copied to. The phase timer's
    events are left out on purpose: they record how long the candidate took, not a score,
    and a sheet's scores hash the same whether or not anyone used the timer.
    """
    content = {
        "sheet_id": sheet.sheet_id,
        "rubric_id": sheet.rubric_id,
        "rubric_digest": sheet.rubric_digest,
        "candidate_id": sheet.candidate_id,
        "panelist": sheet.panelist,
        "conflict": bool(sheet.conflict),
        "conflict_reason": sheet.conflict_reason,
        "levels": dict(sorted(sheet.levels.items())),
        "notes": [[n.criterion_id, n.noted_at, n.text] for n in sorted(sheet.notes, key=lambda n: n.seq)],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal_hash(sheet: Scoresheet) -> str:
    """SHA-256 (hex) of the canonical content."""
    return hashlib.sha256(canonical_content(sheet)).hexdigest()


def seal_message(sheet: Scoresheet, log: Sequence[Change]) -> bytes:
    """What a panelist machine signs at the seal: the sheet's content, its seal time and its whole log.

    The plain seal hash can be recomputed by anyone who edits a sheet; this signature only by
    the machine's key, and it covers the change log, so an edited and re-sealed sheet fails.
    """
    entries = [[c.seq, c.kind, c.at, c.criterion_id, c.old_level, c.new_level, c.text, c.undoes] for c in log]
    body = json.dumps(entries, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    digest = hashlib.sha256(canonical_content(sheet) + b"|" + str(sheet.sealed_at).encode() + b"|" + body)
    return f"ccsoo-exam panel seal v1|{sheet.sheet_id}|{digest.hexdigest()}".encode()


def verify_seal(sheet: Scoresheet) -> bool:
    """True when the sheet is sealed and its content still matches the stored hash."""
    return sheet.seal_hash is not None and sheet.seal_hash == seal_hash(sheet)


# --- the phase timer --------------------------------------------------------------------


@dataclass(frozen=True)
class TimerEvent:
    """A phase timer started or stopped.

    ``elapsed`` is the phase's time in seconds when it happened: what was banked from
    earlier runs for a start, the total for a stop. It is measured on the monotonic clock,
    so a stopped timer is restored to the fraction of a second. ``at`` is the wall clock
    (ISO-8601 UTC), the only time that still means something after a restart.
    """

    phase_id: str
    kind: str
    elapsed: float
    at: str = ""
    seq: int = 0


@dataclass(frozen=True)
class Lap:
    """One phase's timing: seconds banked from earlier runs, and when the current run began (monotonic)."""

    banked: float = 0.0
    started: float | None = None

    @property
    def running(self) -> bool:
        return self.started is not None

    def elapsed(self, now: float) -> float:
        return self.banked + (now - self.started if self.started is not None else 0.0)

    def start(self, now: float) -> Lap:
        return self if self.started is not None else replace(self, started=now)

    def pause(self, now: float) -> Lap:
        return self if self.started is None else Lap(self.elapsed(now), None)


def toggle_timer(laps: Mapping[str, Lap], phase_id: str, now: float) -> tuple[dict[str, Lap], tuple[TimerEvent, ...]]:
    """Pause ``phase_id``'s timer if it runs, else start it and stop any other.

    Returns the new laps and the events to record (without ``at``), so the caller can
    commit the events first and show the new laps only once they are saved.
    """
    lap = laps[phase_id]
    if lap.running:
        return {**laps, phase_id: lap.pause(now)}, (TimerEvent(phase_id, TIMER_STOP, lap.elapsed(now)),)
    paused, stops = stop_timers(laps, now)
    paused[phase_id] = lap.start(now)
    return paused, (*stops, TimerEvent(phase_id, TIMER_START, lap.banked))


def stop_timers(laps: Mapping[str, Lap], now: float) -> tuple[dict[str, Lap], tuple[TimerEvent, ...]]:
    """Stop every running timer (as a sheet is sealed): the new laps and the stop events to record."""
    stops = tuple(TimerEvent(pid, TIMER_STOP, lap.elapsed(now)) for pid, lap in laps.items() if lap.running)
    return {pid: lap.pause(now) for pid, lap in laps.items()}, stops


def running_since(events: Iterable[TimerEvent]) -> dict[str, TimerEvent]:
    """The start event of each phase whose timer the log leaves running."""
    latest: dict[str, TimerEvent] = {}
    for event in sorted(events, key=lambda e: e.seq):
        latest[event.phase_id] = event
    return {pid: event for pid, event in latest.items() if event.kind == TIMER_START}


def restore_laps(phase_ids: Iterable[str], events: Iterable[TimerEvent], wall_now: str, now: float) -> dict[str, Lap]:
    """Each phase's lap as the stored events leave it, on this process's monotonic clock ``now``.

    A stopped phase gets exactly the seconds recorded at its stop. A running phase kept
    running while the program was down (the presentation goes on in the room while the
    laptop restarts), so it gets the seconds banked before its start plus the wall-clock
    time since that start; from here on the monotonic clock takes over again. Monotonic
    readings from before a restart mean nothing now, so none are stored.
    """
    laps = {pid: Lap() for pid in phase_ids}
    for event in sorted(events, key=lambda e: e.seq):
        if event.phase_id not in laps:
            continue
        if event.kind == TIMER_START:
            laps[event.phase_id] = Lap(event.elapsed + wall_seconds(event.at, wall_now), now)
        else:
            laps[event.phase_id] = Lap(event.elapsed)
    return laps


def wall_seconds(start: str, end: str) -> float:
    """Seconds from one ISO-8601 stamp to a later one.

    Never negative: a wall clock set back while the program was down must not take time
    off a phase. A stamp that cannot be read counts as no time rather than stopping a
    reopened sheet from showing at all.
    """
    first, last = _stamp(start), _stamp(end)
    if first is None or last is None:
        return 0.0
    return max(0.0, (last - first).total_seconds())


def _stamp(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def timer_record(rubric: Rubric, events: Iterable[TimerEvent]) -> tuple[tuple[str, float, bool], ...]:
    """(phase_id, seconds, still running) for each phase whose timer was used, in rubric order.

    Seconds are those recorded at the phase's last stop; a phase whose last event is a start
    (a sheet not finalised yet) shows the seconds banked before that start, flagged running.
    """
    latest: dict[str, TimerEvent] = {}
    for event in sorted(events, key=lambda e: e.seq):
        latest[event.phase_id] = event
    return tuple(
        (phase.id, latest[phase.id].elapsed, latest[phase.id].kind == TIMER_START)
        for phase in rubric.phases
        if phase.id in latest
    )
