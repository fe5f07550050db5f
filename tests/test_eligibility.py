"""Eligibility under source 000: Master's + 10 years; Bachelor's + 15 years case by case."""

from __future__ import annotations

import pytest

from ccsoo_exam.eligibility import (
    BACHELOR,
    DOCTORATE,
    ELIGIBLE,
    MASTER,
    NOT_ELIGIBLE,
    OTHER,
    REVIEW,
    assess,
    degree_level,
)


@pytest.mark.parametrize(
    ("level", "years", "status"),
    [
        (MASTER, 10, ELIGIBLE),
        (MASTER, 9, NOT_ELIGIBLE),
        (DOCTORATE, 10, ELIGIBLE),
        (DOCTORATE, 3, NOT_ELIGIBLE),
        (BACHELOR, 15, REVIEW),
        (BACHELOR, 30, REVIEW),
        (BACHELOR, 14, NOT_ELIGIBLE),
        (OTHER, 40, NOT_ELIGIBLE),
    ],
)
def test_rules_at_their_boundaries(level: str, years: int, status: str) -> None:
    assert assess(level, years).status == status


def test_each_outcome_gives_its_reason() -> None:
    assert "10 required" in assess(MASTER, 12).reason
    assert "at least 10" in assess(MASTER, 9).reason and "9 years" in assess(MASTER, 9).reason
    assert "case by case" in assess(BACHELOR, 16).reason
    assert "at least 15" in assess(BACHELOR, 14).reason
    assert "Master's degree" in assess(OTHER, 20).reason
    assert "1 year " in assess(MASTER, 1).reason


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("PhD", DOCTORATE),
        ("DBA", DOCTORATE),
        ("Doctorate", DOCTORATE),
        ("MBA", MASTER),
        ("M.Sc.", MASTER),
        ("Master's", MASTER),
        ("ma", MASTER),
        ("Bachelor", BACHELOR),
        ("B.A.", BACHELOR),
        ("BSc", BACHELOR),
        ("none", OTHER),
        ("Other", OTHER),
        ("high school", None),
        ("", None),
    ],
)
def test_degree_names(text: str, level: str | None) -> None:
    assert degree_level(text) == level


def test_nonsense_is_refused() -> None:
    with pytest.raises(ValueError):
        assess("diploma-ish", 10)
    with pytest.raises(ValueError):
        assess(MASTER, -1)
