"""Certification decisions from route, eligibility and results."""

from __future__ import annotations

from ccsoo_exam.aggregation import FAIL, MODERATE, NO_SCORES, PASS
from ccsoo_exam.certification import (
    CERTIFIED,
    NOT_CERTIFIED,
    PENDING,
    PENDING_REVIEW,
    ExamResult,
    PanelResult,
    RosterFacts,
    decide,
    decide_all,
)
from ccsoo_exam.eligibility import ELIGIBLE, NOT_ELIGIBLE, REVIEW


def person(route: str = "exam", eligibility: str = ELIGIBLE) -> RosterFacts:
    return RosterFacts("C-1", "Ada", route, eligibility, "because")


PASSED = ExamResult("s1", 60, 80, True)
FAILED = ExamResult("s1", 40, 80, False)


def test_exam_route() -> None:
    assert decide(person(), "C-1", PASSED, None).decision == CERTIFIED
    failed = decide(person(), "C-1", FAILED, None)
    assert failed.decision == NOT_CERTIFIED and "40/80" in failed.reason
    assert decide(person(), "C-1", None, None).decision == PENDING
    # A panel result does not decide an exam-route candidate.
    assert decide(person(), "C-1", None, PanelResult("r", 90.0, PASS)).decision == PENDING


def test_panel_route_uses_the_panel_decision() -> None:
    panel = person("panel")
    assert decide(panel, "C-1", None, PanelResult("r", 80.0, PASS)).decision == CERTIFIED
    assert decide(panel, "C-1", None, PanelResult("r", 30.0, FAIL)).decision == NOT_CERTIFIED
    assert decide(panel, "C-1", None, PanelResult("r", None, MODERATE)).decision == PENDING
    assert decide(panel, "C-1", None, PanelResult("r", None, NO_SCORES)).decision == PENDING
    assert decide(panel, "C-1", PASSED, None).decision == PENDING


def test_eligibility_comes_first() -> None:
    refused = decide(person(eligibility=NOT_ELIGIBLE), "C-1", PASSED, None)
    assert refused.decision == NOT_CERTIFIED and refused.reason == "not eligible: because"
    assert decide(person(eligibility=REVIEW), "C-1", PASSED, None).decision == PENDING_REVIEW


def test_everyone_with_a_result_or_a_roster_line_is_decided() -> None:
    decisions = decide_all([person()], {"C-1": PASSED, "C-9": FAILED}, {})
    assert [(d.candidate_id, d.decision) for d in decisions] == [("C-1", CERTIFIED), ("C-9", PENDING)]
    assert "not on the roster" in decisions[1].reason and decisions[1].exam_raw == 40
