"""A sitting re-derived from its event chain, and every stored field checked against it.

The ``sittings`` and ``responses`` rows are conveniences beside the chain: anyone with
sqlite3 can edit them without touching a hash. So merge trusts none of them. The check-in
event records who sat, the accommodation, the package, the cut and the whole form (every
item and its option order); the submit event records the score; every answer, flag,
strike, pause, extension and warning is an event. ``row_conflicts`` replays the chain and
names each stored field that disagrees, with the event that says otherwise.

Pure: rows come in as plain dicts, events as ``chain.Event``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ccsoo_exam.chain import Event
from ccsoo_exam.form import Form, FormItem
from ccsoo_exam.scoresheet import CONFLICT, LEVEL, NOTE, SEAL, UNDO, Change, Scoresheet


@dataclass(frozen=True)
class Conflict:
    """One stored field that the chain contradicts."""

    field: str
    seq: int  # the event that says otherwise (0: no event records it)
    stored: object
    derived: object

    def describe(self) -> str:
        if not self.seq:  # not an event's word against the row: the row disagrees with itself
            return f"field '{self.field}' holds {self.stored!r}, inconsistent with {self.derived} (edited)"
        source = f"event {self.seq}"
        return (
            f"field '{self.field}' holds {self.stored!r} but {source} records {self.derived!r} "
            "(edited outside the exam)"
        )


@dataclass
class _Response:
    item: FormItem
    answer: str | None = None
    flagged: bool = False
    struck: frozenset[str] = frozenset()
    seq: int = 1  # the last event that set this response


@dataclass
class Derived:
    """What the chain says a sitting is; ``sources`` names the event behind each field."""

    fields: dict[str, object] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    responses: list[_Response] = field(default_factory=list)

    def set(self, name: str, value: object, seq: int) -> None:
        self.fields[name] = value
        self.sources[name] = seq


class ChainProblem(ValueError):
    """The chain itself lacks what a sitting needs (e.g. a check-in from an older version)."""


CHECK_IN_FIELDS = (
    "candidate",
    "name",
    "exam",
    "title",
    "seed",
    "form",
    "multiplier",
    "package",
    "cut",
    "base",
    "items",
)


def check_in_payload(
    *,
    candidate_id: str,
    candidate_name: str,
    exam_id: str,
    exam_title: str,
    form: Form,
    multiplier: float,
    package_fingerprint: str,
    cut_score: int,
    base_seconds: float,
) -> dict[str, Any]:
    """Everything the sittings row claims at check-in, for the first event of the chain."""
    return {
        "candidate": candidate_id,
        "name": candidate_name,
        "exam": exam_id,
        "title": exam_title,
        "seed": str(form.seed),
        "form": form.digest,
        "multiplier": multiplier,
        "package": package_fingerprint,
        "cut": cut_score,
        "base": base_seconds,
        "items": [[i.bank, i.module, i.item_id, "".join(i.option_order)] for i in form.items],
    }


def derive(events: Sequence[Event]) -> Derived:
    """Replay a verified chain into the fields and responses it implies."""
    if not events or events[0].kind != "check-in":
        raise ChainProblem("the chain does not start with a check-in event")
    first = events[0]
    payload = json.loads(first.payload)
    missing = [name for name in CHECK_IN_FIELDS if name not in payload]
    if missing:
        raise ChainProblem(
            f"event 1: the check-in does not record {', '.join(missing)} (written by an older ccsoo-exam); "
            "it cannot be verified"
        )
    d = Derived()
    items = tuple(
        FormItem(position, str(bank), int(module), str(item), tuple(str(order)))
        for position, (bank, module, item, order) in enumerate(payload["items"])
    )
    if Form(int(payload["seed"]), items).digest != payload["form"]:
        raise ChainProblem("event 1: the check-in's items do not match its form digest")
    for name, column in (
        ("candidate", "candidate_id"),
        ("name", "candidate_name"),
        ("exam", "exam_id"),
        ("title", "exam_title"),
        ("seed", "form_seed"),
        ("form", "form_digest"),
        ("multiplier", "multiplier"),
        ("package", "package_fingerprint"),
        ("cut", "cut_score"),
        ("base", "base_seconds"),
    ):
        d.set(column, payload[name], 1)
    d.set("item_count", len(items), 1)
    d.set("created_at", first.wall_time, 1)
    d.responses = [_Response(item) for item in items]
    status, extension, position, warnings, hidden = "checked-in", 0.0, 0, set(), False
    d.set("started_at", None, 1)
    for name in ("submitted_at", "submit_reason", "raw_score", "percent", "passed", "module_scores", "scaled_score"):
        d.set(name, None, 1)
    sources = {"status": 1, "extension_seconds": 1, "position": 1, "warnings_given": 1, "timer_hidden": 1}
    for event in events[1:]:
        body = json.loads(event.payload)
        kind, seq = event.kind, event.seq
        if kind in ("answer", "flag", "strike"):
            at = int(body["position"])
            if not 0 <= at < len(d.responses):
                raise ChainProblem(f"event {seq}: position {at} is not on the form")
            response = d.responses[at]
            response.seq = seq
            if kind == "answer":
                response.answer = body.get("answer")
                if response.answer:
                    response.struck = response.struck - {response.answer}
                position, sources["position"] = at, seq
            elif kind == "flag":
                response.flagged = bool(body["flagged"])
            else:
                response.struck = frozenset(body["struck"])
        elif kind == "start":
            status, sources["status"] = "in-progress", seq
            d.set("started_at", event.wall_time, seq)
        elif kind == "navigate":
            position, sources["position"] = int(body["position"]), seq
        elif kind == "pause":
            status, sources["status"] = "paused", seq
        elif kind == "resume":
            status, sources["status"] = "in-progress", seq
        elif kind == "extend":
            extension, sources["extension_seconds"] = extension + float(body["minutes"]) * 60, seq
        elif kind == "warning":
            warnings.add(int(body["minutes"]))
            sources["warnings_given"] = seq
        elif kind == "timer":
            hidden, sources["timer_hidden"] = bool(body["hidden"]), seq
        elif kind == "submit":
            status, sources["status"] = "submitted", seq
            d.set("submitted_at", event.wall_time, seq)
            d.set("submit_reason", body["reason"], seq)
            d.set("raw_score", body["raw"], seq)
            d.set("percent", body["percent"], seq)
            d.set("passed", bool(body["passed"]), seq)
            d.set("module_scores", body["modules"], seq)
            d.set("scaled_score", body.get("scaled"), seq)  # calibrated packages only
    last = events[-1]
    d.set("status", status, sources["status"])
    d.set("extension_seconds", extension, sources["extension_seconds"])
    d.set("position", position, sources["position"])
    d.set("warnings_given", frozenset(warnings), sources["warnings_given"])
    d.set("timer_hidden", hidden, sources["timer_hidden"])
    d.set("consumed_seconds", last.consumed, last.seq)
    d.set("updated_at", last.wall_time, last.seq)
    return d


def row_conflicts(
    row: Mapping[str, object], responses: Sequence[Mapping[str, object]], events: Sequence[Event]
) -> list[Conflict]:
    """Every stored field of a sitting and its responses that its chain contradicts."""
    d = derive(events)
    found: list[Conflict] = []
    for name, derived in d.fields.items():
        if name not in row:
            continue
        stored = row[name]
        if not _same(name, stored, derived):
            found.append(Conflict(name, d.sources[name], stored, _shown(derived)))
    found.extend(_score_consistency(row))
    by_position = {int(r["position"]): r for r in responses}  # type: ignore[call-overload]
    if sorted(by_position) != list(range(len(d.responses))) or len(responses) != len(d.responses):
        found.append(Conflict("responses", 1, f"{len(responses)} rows", f"{len(d.responses)} form positions"))
    for response in d.responses:
        stored_row = by_position.get(response.item.position)
        if stored_row is None:
            continue
        where = f"responses[{response.item.position}]."
        expected = {
            "bank_id": (response.item.bank, 1),
            "module": (response.item.module, 1),
            "item_id": (response.item.item_id, 1),
            "option_order": ("".join(response.item.option_order), 1),
            "answer": (response.answer, response.seq),
            "flagged": (int(response.flagged), response.seq),
            "struck": ("".join(sorted(response.struck)), response.seq),
        }
        for column, (derived, seq) in expected.items():
            if column in stored_row and stored_row[column] != derived:
                found.append(Conflict(where + column, seq, stored_row[column], derived))
    return found


_TIMES = ("started_at", "submitted_at")
_NUMBERS = ("consumed_seconds", "extension_seconds", "base_seconds", "multiplier", "percent")
_FLAGS = ("passed", "timer_hidden")


def _same(name: str, stored: object, derived: object) -> bool:
    if name == "warnings_given":
        parts = [w for w in str(stored or "").split(",") if w]
        return all(p.isdigit() for p in parts) and frozenset(int(p) for p in parts) == derived
    if name in _TIMES:
        return _close_in_time(stored, derived)
    if stored is None or derived is None:
        return stored is None and derived is None
    if name in _NUMBERS:
        try:
            return abs(float(stored) - float(derived)) <= 0.0015  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    if name in _FLAGS:
        return stored in (0, 1) and bool(stored) == bool(derived)
    if name == "form_seed":
        return str(stored) == str(derived)
    return isinstance(stored, type(derived)) and stored == derived


def _close_in_time(stored: object, derived: object) -> bool:
    # The row's time and its event's are read from the clock a moment apart (the same commit).
    if stored is None or derived is None:
        return stored is None and derived is None
    try:
        gap = datetime.fromisoformat(str(stored)) - datetime.fromisoformat(str(derived))
    except ValueError:
        return False
    return abs(gap.total_seconds()) <= 1.0


def _shown(value: object) -> object:
    if isinstance(value, frozenset):
        return ",".join(str(v) for v in sorted(value))
    return value


def _score_consistency(row: Mapping[str, object]) -> list[Conflict]:
    """The score fields must agree with each other, whatever the events say."""
    raw, items, cut = row.get("raw_score"), row.get("item_count"), row.get("cut_score")
    if row.get("status") != "submitted" or not isinstance(raw, int) or not isinstance(items, int):
        return []
    found = []
    try:
        modules = json.loads(str(row.get("module_scores") or "{}"))
        correct = sum(int(v[0]) for v in modules.values())
        drawn = sum(int(v[1]) for v in modules.values())
    except (ValueError, TypeError, IndexError, AttributeError):
        return [Conflict("module_scores", 0, row.get("module_scores"), "a module -> [correct, items] mapping")]
    if correct != raw or drawn != items:
        found.append(Conflict("module_scores", 0, row.get("module_scores"), f"raw_score {raw} of item_count {items}"))
    if isinstance(cut, int) and bool(row.get("passed")) != (raw >= cut):
        found.append(Conflict("passed", 0, row.get("passed"), f"raw_score {raw} against cut_score {cut}"))
    return found


# -- panel scoresheets -------------------------------------------------------------------


def sheet_conflicts(sheet: Scoresheet, log: Sequence[Change], rubric_source: bytes | None) -> list[str]:
    """Where a sheet's stored content disagrees with its change log, its seal or its rubric bytes.

    Levels, notes and the conflict declaration are replayed from the append-only log (undo
    included); the seal change must carry the stored seal hash and time; the stored rubric
    file must still hash to the digest the sheet names.
    """
    found: list[str] = []
    if rubric_source is None:
        found.append(f"its rubric file (digest {sheet.rubric_digest[:12]}) is missing")
    elif hashlib.sha256(rubric_source).hexdigest() != sheet.rubric_digest:
        found.append(f"the stored rubric file no longer hashes to its digest {sheet.rubric_digest[:12]} (edited)")
    levels: dict[str, int] = {}
    notes: dict[int, tuple[str, str, str]] = {}
    conflict: bool | None = None
    reason = ""
    seal: Change | None = None
    by_seq = {c.seq: c for c in log}
    for change in log:
        if change.kind == CONFLICT:
            conflict, reason = bool(change.new_level), change.text
            if change.old_level == 0:  # declared late: the sheet ends as a recusal, without levels or notes
                levels.clear()
                notes.clear()
        elif change.kind == LEVEL and change.criterion_id is not None:
            _set_level(levels, change.criterion_id, change.new_level)
        elif change.kind == NOTE and change.criterion_id is not None:
            notes[change.seq] = (change.criterion_id, change.text, change.at)
        elif change.kind == UNDO and change.undoes in by_seq:
            target = by_seq[change.undoes]
            if target.kind == LEVEL and target.criterion_id is not None:
                _set_level(levels, target.criterion_id, target.old_level)
            elif target.kind == NOTE:
                notes.pop(target.seq, None)
        elif change.kind == SEAL:
            seal = change
    if dict(sheet.levels) != levels:
        stored = dict(sorted(sheet.levels.items()))
        found.append(f"its levels {stored} are not those its change log records {dict(sorted(levels.items()))}")
    stored_notes = {n.seq: (n.criterion_id, n.text, n.noted_at) for n in sheet.notes}
    if stored_notes != notes:
        found.append("its notes are not those its change log records")
    if sheet.conflict != conflict or (sheet.conflict_reason or "") != (reason or ""):
        found.append("its conflict-of-interest declaration is not the one its change log records")
    if seal is None:
        found.append("its change log has no seal")
    else:
        if seal.text != sheet.seal_hash:
            found.append(f"its seal hash is not the one its seal change {seal.seq} records")
        if seal.at != sheet.sealed_at:
            found.append(
                f"sealed_at {sheet.sealed_at!r} is not the time its seal change {seal.seq} records ({seal.at!r})"
            )
    return found


def _set_level(levels: dict[str, int], criterion_id: str, level: int | None) -> None:
    if level is None:
        levels.pop(criterion_id, None)
    else:
        levels[criterion_id] = level
