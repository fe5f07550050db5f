"""Scoresheet rules: weighted percentage, what may change, which change undo reverts, the seal hash."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from ccsoo_exam.rubric import Rubric, rubric_from_bytes
from ccsoo_exam.scoresheet import (
    LEVEL,
    NOTE,
    OPEN,
    UNDO,
    Change,
    Lap,
    Note,
    Scoresheet,
    ScoresheetError,
    TimerEvent,
    canonical_content,
    check_late_conflict,
    check_level,
    check_note,
    restore_laps,
    running_since,
    seal_hash,
    seal_problems,
    stop_timers,
    toggle_timer,
    undo_target,
    verify_seal,
    wall_seconds,
    weighted_percentage,
)
from tests.test_rubric import MINI


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return rubric_from_bytes(MINI.encode(), "mini.yaml")


def sheet(rubric: Rubric, **levels: int) -> Scoresheet:
    return Scoresheet(
        "s1", rubric.id, rubric.digest, "C1", "Ann", "2025-05-01T09:00:00Z", False, "", MappingProxyType(levels)
    )


def test_weighted_percentage_by_hand(rubric: Rubric) -> None:
    # Scale 1-3, weights a=2, b=1: a level maps to (level - 1) / 2.
    assert weighted_percentage(rubric, {}) is None
    assert weighted_percentage(rubric, {"a": 3}) == pytest.approx(100.0)
    assert weighted_percentage(rubric, {"a": 2}) == pytest.approx(50.0)
    assert weighted_percentage(rubric, {"a": 3, "b": 2}) == pytest.approx((2 * 1 + 1 * 0.5) / 3 * 100)  # 83.33
    assert weighted_percentage(rubric, {"a": 1, "b": 3}) == pytest.approx(100 / 3)
    assert weighted_percentage(rubric, {"a": 1, "b": 1}) == 0.0


def test_level_checks(rubric: Rubric) -> None:
    check_level(rubric, sheet(rubric), "a", 3)
    with pytest.raises(ScoresheetError, match="not on the scale 1-3"):
        check_level(rubric, sheet(rubric), "a", 4)
    with pytest.raises(ScoresheetError, match="no criterion 'zz'"):
        check_level(rubric, sheet(rubric), "zz", 1)
    with pytest.raises(ScoresheetError, match="declare any conflict"):
        check_level(rubric, replace(sheet(rubric), conflict=None), "a", 1)
    with pytest.raises(ScoresheetError, match="conflict of interest was declared"):
        check_level(rubric, replace(sheet(rubric), conflict=True), "a", 1)
    with pytest.raises(ScoresheetError, match="finalised"):
        check_level(rubric, replace(sheet(rubric), seal_hash="x"), "a", 1)
    with pytest.raises(ScoresheetError, match="open it with the same rubric file"):
        check_level(rubric, replace(sheet(rubric), rubric_digest="0" * 64), "a", 1)


def test_note_checks(rubric: Rubric) -> None:
    assert check_note(rubric, sheet(rubric), "a", "  clear framing  ") == "clear framing"
    with pytest.raises(ScoresheetError, match="empty"):
        check_note(rubric, sheet(rubric), "a", "   ")
    with pytest.raises(ScoresheetError, match="under 2000"):
        check_note(rubric, sheet(rubric), "a", "x" * 2001)


def test_seal_requires_every_criterion_unless_recused(rubric: Rubric) -> None:
    assert seal_problems(rubric, sheet(rubric, a=2)) == ["1 criteria not scored yet: Criterion B"]
    assert seal_problems(rubric, sheet(rubric, a=2, b=3)) == []
    assert seal_problems(rubric, replace(sheet(rubric), conflict=None)) == ["declare any conflict of interest first"]
    assert seal_problems(rubric, replace(sheet(rubric), conflict=True)) == []
    assert seal_problems(rubric, replace(sheet(rubric, a=1, b=1), seal_hash="x")) == ["this sheet is already finalised"]


def test_seal_hash_is_canonical_and_detects_tampering(rubric: Rubric) -> None:
    notes = (Note(3, "a", "named SERVQUAL", "2025-05-01T09:05:00Z"), Note(5, "b", "vague", "2025-05-01T09:40:00Z"))
    one = replace(sheet(rubric, a=2, b=3), notes=notes)
    two = replace(sheet(rubric, b=3, a=2), notes=tuple(reversed(notes)))  # other insertion order, same content
    assert canonical_content(one) == canonical_content(two)
    sealed = replace(one, seal_hash=seal_hash(one), sealed_at="2025-05-01T10:00:00Z")
    assert verify_seal(sealed)
    assert not verify_seal(replace(sealed, levels=MappingProxyType({"a": 3, "b": 3})))
    assert not verify_seal(replace(sealed, notes=notes[:1]))
    assert not verify_seal(replace(sealed, conflict=True))
    assert not verify_seal(replace(sealed, rubric_digest="0" * 64))
    assert not verify_seal(one)  # never sealed
    # Where and when it was stored is not content: the same sheet verifies in any database.
    assert verify_seal(replace(sealed, sealed_at="later", created_at="elsewhere"))


def test_undo_walks_back_through_level_and_note_changes() -> None:
    log = [
        Change(1, OPEN, "t"),
        Change(2, LEVEL, "t", "a", None, 2),
        Change(3, LEVEL, "t", "a", 2, 3),
        Change(4, NOTE, "t", "a", text="n"),
    ]
    assert undo_target(log).seq == 4
    log.append(Change(5, UNDO, "t", "a", undoes=4))
    assert undo_target(log).seq == 3
    log.append(Change(6, UNDO, "t", "a", undoes=3))
    assert undo_target(log).seq == 2
    log.append(Change(7, LEVEL, "t", "a", None, 1))
    assert undo_target(log).seq == 7  # a new change is undone first
    log += [Change(8, UNDO, "t", undoes=7), Change(9, UNDO, "t", undoes=2)]
    assert undo_target(log) is None
    assert undo_target([Change(1, OPEN, "t")]) is None


def test_toggle_timer_switches_phase_as_one_stop_and_one_start() -> None:
    laps = {"talk": Lap(), "qa": Lap()}
    laps, events = toggle_timer(laps, "talk", 10.0)
    assert events == (TimerEvent("talk", "start", 0.0),) and laps["talk"].running
    laps, events = toggle_timer(laps, "qa", 70.5)
    assert events == (TimerEvent("talk", "stop", 60.5), TimerEvent("qa", "start", 0.0))
    assert laps == {"talk": Lap(60.5), "qa": Lap(0.0, 70.5)}
    laps, events = toggle_timer(laps, "qa", 80.5)
    assert events == (TimerEvent("qa", "stop", 10.0),) and laps["qa"] == Lap(10.0)
    laps, events = toggle_timer(laps, "talk", 100.0)
    assert events == (TimerEvent("talk", "start", 60.5),) and laps["talk"].elapsed(101.0) == 61.5
    stopped, stops = stop_timers(laps, 110.0)
    assert stops == (TimerEvent("talk", "stop", 70.5),) and not any(lap.running for lap in stopped.values())
    assert stop_timers(stopped, 200.0) == (stopped, ())


def test_restore_laps_runs_on_by_the_wall_clock_and_keeps_stops_exact() -> None:
    events = [
        TimerEvent("talk", "start", 0.0, "2025-05-01T10:00:00Z", 1),
        TimerEvent("talk", "stop", 1234.75, "2025-05-01T10:20:35Z", 2),
        TimerEvent("qa", "start", 0.0, "2025-05-01T10:21:00Z", 3),
        TimerEvent("qa", "stop", 90.0, "2025-05-01T10:22:30Z", 4),
        TimerEvent("qa", "start", 90.0, "2025-05-01T10:30:00Z", 5),
        TimerEvent("gone", "start", 0.0, "2025-05-01T10:00:00Z", 6),  # a phase no longer in the rubric
    ]
    assert set(running_since(events)) == {"qa", "gone"}
    laps = restore_laps(["talk", "qa"], reversed(events), "2025-05-01T10:45:00Z", 5.0)
    assert set(laps) == {"talk", "qa"}
    assert laps["talk"] == Lap(1234.75) and laps["talk"].elapsed(1e6) == 1234.75
    assert laps["qa"].running and laps["qa"].elapsed(5.0) == 90.0 + 15 * 60
    assert laps["qa"].elapsed(65.0) == 90.0 + 16 * 60  # then the monotonic clock counts
    # A wall clock set back while the program was down takes no time off.
    assert restore_laps(["qa"], events[4:5], "2025-05-01T09:00:00Z", 0.0)["qa"].elapsed(0.0) == 90.0


def test_wall_seconds() -> None:
    assert wall_seconds("2025-05-01T10:00:00Z", "2025-05-01T10:31:15Z") == 31 * 60 + 15
    assert wall_seconds("2025-05-01T10:00:00+02:00", "2025-05-01T08:00:30Z") == 30
    assert wall_seconds("2025-05-01T10:00:00Z", "2025-05-01T09:00:00Z") == 0.0
    assert wall_seconds("t1", "2025-05-01T09:00:00Z") == 0.0


def test_late_conflict_checks(rubric: Rubric) -> None:
    scoring = sheet(rubric, a=2)
    check_late_conflict(scoring, "knows the candidate")
    with pytest.raises(ScoresheetError, match="describe"):
        check_late_conflict(scoring, "")
    with pytest.raises(ScoresheetError, match="answer the conflict of interest question"):
        check_late_conflict(replace(scoring, conflict=None), "x")
    with pytest.raises(ScoresheetError, match="already declared"):
        check_late_conflict(replace(scoring, conflict=True, conflict_reason="x"), "y")
    with pytest.raises(ScoresheetError, match="finalised"):
        check_late_conflict(replace(scoring, seal_hash="0" * 64), "x")
