"""Property tests: whatever an outsider's file holds, the loaders answer with CcsooError or a value.

Any other exception would reach the user as a traceback, which the product promises never to show.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ccsoo_exam.bank import bank_from_bytes
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.roster import parse_roster
from ccsoo_exam.rubric import rubric_from_bytes

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = (ROOT / "rubrics" / "executive-presentation.yaml").read_bytes()
BANK = (ROOT / "question_banks" / "source" / "module1.yaml").read_bytes()
ROSTER = (
    "candidate_id,name,degree,years_senior_management,route,accommodations\n"
    "C-1,Ada Lovelace,MBA,12,exam,extra time 25%\n"
    'C-2,"Hopper, Grace",Bachelor,16,panel,\n'
)


def mutate(data: bytes, cuts: list[tuple[int, int, bytes]]) -> bytes:
    """Apply a few splices: the near-misses real authors produce, not only random noise."""
    for start, length, insert in cuts:
        start %= max(len(data), 1)
        data = data[:start] + insert + data[start + length :]
    return data


SPLICES = st.lists(
    st.tuples(
        st.integers(0, 10**6),
        st.integers(0, 40),
        st.sampled_from([b"", b":", b"- ", b"\t", b"&a ", b"*a", b"\n  ", b"!!", b"{", b"]", b"0", b"\xff"]),
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(SPLICES)
def test_mangled_rubrics_fail_cleanly(cuts: list[tuple[int, int, bytes]]) -> None:
    with contextlib.suppress(CcsooError):
        rubric_from_bytes(mutate(RUBRIC, cuts), "r.yaml")


@settings(max_examples=150, deadline=None)
@given(SPLICES)
def test_mangled_banks_fail_cleanly(cuts: list[tuple[int, int, bytes]]) -> None:
    with contextlib.suppress(CcsooError):
        bank_from_bytes(mutate(BANK, cuts), "b.yaml")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10), st.text(',"\n\r%x9 -é', max_size=4)), max_size=4))
def test_mangled_rosters_fail_cleanly(cuts: list[tuple[int, int, str]]) -> None:
    text = ROSTER
    for start, length, insert in cuts:
        start %= len(text)
        text = text[:start] + insert + text[start + length :]
    with contextlib.suppress(CcsooError):
        parse_roster(text, "r.csv")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_roster_text_fails_cleanly(text: str) -> None:
    with contextlib.suppress(CcsooError):
        parse_roster(text, "r.csv")
