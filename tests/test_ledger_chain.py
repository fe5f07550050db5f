"""Time and integrity primitives: the ledger, the hash chain and its receipt code."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from ccsoo_exam.chain import GENESIS, first_break, make_event, receipt_code, verify_chain
from ccsoo_exam.ledger import Ledger, TimeAllowance, format_clock
from tests.exam_fixtures import FakeClock


def test_three_hours_in_microseconds() -> None:
    clock = FakeClock()
    ledger = Ledger(TimeAllowance(180 * 60), clock=clock)
    ledger.start()
    for _ in range(180 * 12):
        clock.advance(5)
        ledger.take()
    assert ledger.consumed == 180 * 60 and ledger.expired and ledger.remaining == 0


def test_pause_stops_the_clock_and_extensions_and_multiplier_apply() -> None:
    clock = FakeClock()
    ledger = Ledger(TimeAllowance(3600, multiplier=1.25), clock=clock, stall_after=math.inf)
    ledger.start()
    clock.advance(600)
    ledger.pause()
    clock.advance(10_000)
    assert ledger.remaining == 4500 - 600
    ledger.start()
    ledger.extend(300)
    clock.advance(100)
    assert ledger.remaining == 4500 + 300 - 700


def test_restore_undoes_a_take_whose_commit_failed() -> None:
    clock = FakeClock()
    ledger = Ledger(TimeAllowance(100), clock=clock)
    ledger.start()
    clock.advance(7)
    snap = ledger.snapshot()
    ledger.take()
    ledger.restore(snap)
    assert ledger.consumed == 0 and ledger.pending() == 7


@given(st.lists(st.tuples(st.floats(0, 100), st.booleans()), max_size=60))
def test_consumed_equals_unpaused_elapsed_time(steps: list[tuple[float, bool]]) -> None:
    clock = FakeClock()
    ledger = Ledger(TimeAllowance(10**6), clock=clock, stall_after=math.inf)
    ledger.start()
    expected = 0.0
    running = True
    for seconds, toggle in steps:
        clock.advance(seconds)
        if running:
            expected += seconds
        if toggle:
            (ledger.pause if running else ledger.start)()
            running = not running
        else:
            ledger.take()
    ledger.take()
    assert abs(ledger.consumed - expected) < 1e-6
    assert ledger.remaining == max(0.0, 10**6 - ledger.consumed)


def test_clock_format_rounds_up_until_truly_zero() -> None:
    assert format_clock(0.2) == "0:00:01" and format_clock(0) == "0:00:00" and format_clock(10800) == "3:00:00"


def chain(n: int) -> list:
    events, head = [], GENESIS
    for seq in range(1, n + 1):
        event = make_event(
            head, seq, "answer", {"position": seq, "answer": "B"}, f"2026-11-22T09:00:{seq:02d}", seq * 1.5
        )
        events.append(event)
        head = event.hash
    return events


def test_intact_chain_and_each_kind_of_tampering() -> None:
    from dataclasses import replace

    events = chain(10)
    assert first_break(events) is None
    edited = events.copy()
    edited[4] = replace(edited[4], payload='{"answer":"C","position":5}')
    assert first_break(edited) == (5, "contents do not match its hash (edited after the fact)")
    assert first_break(events[:3] + events[4:])[0] == 5  # a deleted event
    swapped = events.copy()
    swapped[2], swapped[3] = swapped[3], swapped[2]
    assert first_break(swapped)[0] == 4


def test_receipt_code_is_short_readable_and_tied_to_the_head() -> None:
    a, b = chain(3)[-1].hash, chain(4)[-1].hash
    code = receipt_code(a)
    assert len(code) == 9 and code[4] == "-" and not set(code) & set("01IO")
    assert code != receipt_code(b) and code == receipt_code(a)


def test_an_event_with_a_valid_hash_but_the_wrong_link_is_caught() -> None:
    from dataclasses import replace

    events = chain(6)
    # Re-made with a correct hash of its own, but pointing at a history that is not this one:
    # only the link check can see it.
    forged = make_event("f" * 64, 4, events[3].kind, {"answer": "D", "position": 9}, events[3].wall_time, 1.0)
    relinked = [*events[:3], forged, *[replace(e) for e in events[4:]]]
    assert first_break(relinked) == (4, "does not link to the previous event")


def test_head_and_count_must_agree_with_the_chain() -> None:
    events = chain(5)
    assert verify_chain(events, events[-1].hash, 5) is None
    # A truncated history (last events deleted) still links perfectly: the recorded head
    # and count are what reveal it.
    assert verify_chain(events[:3], events[-1].hash, 5) == (
        3,
        "the sitting's recorded chain head does not match its last event",
    )
    assert verify_chain(events[:3], events[2].hash, 5) == (3, "the sitting records 5 events but 3 are chained")
