"""Certification decisions: per candidate, the route, eligibility, result and the decision.

Rules (docs/admin.md), applied in this order:

1. A candidate with results but no roster entry: ``pending`` (eligibility unknown).
2. Not eligible under source 000: ``not certified``, with the eligibility reason.
3. Bachelor's degree with 15+ years (case-by-case review): ``pending review`` until the
   committee records its decision (``admin eligibility decide``); then the candidate is
   eligible or not eligible by that decision, and rules 2, 4 and 5 apply.
4. Eligible, exam route: the latest submitted sitting's current score (after any applied
   rescoring) against its cut (the form's cut under an adopted standard, see
   psychometrics/standard.py; else the definition's cut_score) decides -- passed:
   ``certified``; failed: ``not certified``; none yet: ``pending``.
5. Eligible, panel route: the panel decision (from the moderated score when a moderator has
   recorded one, see aggregation.py) -- pass: ``certified``; fail: ``not certified``;
   moderation needed, no finalised scores or no sheets yet: ``pending``.

Pure: the store gathers the facts, this module only applies the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ccsoo_exam.aggregation import FAIL, MODERATE, PASS
from ccsoo_exam.eligibility import ELIGIBLE, NOT_ELIGIBLE, REVIEW

CERTIFIED, NOT_CERTIFIED, PENDING_REVIEW, PENDING = "certified", "not certified", "pending review", "pending"
DECISIONS = (CERTIFIED, NOT_CERTIFIED, PENDING_REVIEW, PENDING)


@dataclass(frozen=True)
class RosterFacts:
    candidate_id: str
    name: str
    route: str  # "panel" or "exam"
    eligibility: str
    eligibility_reason: str
    committee: CommitteeDecision | None = None


@dataclass(frozen=True)
class CommitteeDecision:
    """The committee's case-by-case decision: eligible or not eligible, who, when and why."""

    decision: str
    reason: str
    decided_by: str
    decided_at: str


def with_committee(roster: RosterFacts) -> RosterFacts:
    """The roster facts with a case-by-case review resolved by the committee's decision, if any."""
    c = roster.committee
    if roster.eligibility != REVIEW or c is None:
        return roster
    reason = f"committee decision by {c.decided_by} on {c.decided_at[:10]}: {c.reason} (case-by-case review: "
    reason += f"{roster.eligibility_reason})"
    return RosterFacts(roster.candidate_id, roster.name, roster.route, c.decision, reason, c)


@dataclass(frozen=True)
class ExamResult:
    sitting_id: str
    raw: int
    total: int
    passed: bool
    cut: int | None = None  # the sitting's form cut under an adopted standard (None: the definition's cut)


@dataclass(frozen=True)
class PanelResult:
    rubric_id: str
    final: float | None
    decision: str  # aggregation.PASS, FAIL, MODERATE or NO_SCORES


@dataclass(frozen=True)
class Decision:
    candidate_id: str
    name: str
    route: str | None
    eligibility: str | None
    eligibility_reason: str | None
    sitting_id: str | None
    exam_raw: int | None
    exam_total: int | None
    exam_passed: bool | None
    panel_rubric: str | None
    panel_final: float | None
    panel_decision: str | None
    decision: str
    reason: str


def decide(
    roster: RosterFacts | None, candidate_id: str, exam: ExamResult | None, panel: PanelResult | None
) -> Decision:
    """The certification decision for one candidate from what is known about them."""

    def made(decision: str, reason: str) -> Decision:
        return Decision(
            candidate_id,
            roster.name if roster else "",
            roster.route if roster else None,
            roster.eligibility if roster else None,
            roster.eligibility_reason if roster else None,
            exam.sitting_id if exam else None,
            exam.raw if exam else None,
            exam.total if exam else None,
            exam.passed if exam else None,
            panel.rubric_id if panel else None,
            panel.final if panel else None,
            panel.decision if panel else None,
            decision,
            reason,
        )

    if roster is not None:
        roster = with_committee(roster)
    if roster is None:
        return made(PENDING, "not on the roster: import the roster with their degree and years first")
    if roster.eligibility == NOT_ELIGIBLE:
        return made(NOT_CERTIFIED, f"not eligible: {roster.eligibility_reason}")
    if roster.eligibility == REVIEW:
        return made(
            PENDING_REVIEW,
            f"eligibility needs case-by-case review: {roster.eligibility_reason}; record the committee's decision "
            "with 'admin eligibility decide'",
        )
    if roster.eligibility != ELIGIBLE:
        return made(PENDING, f"unknown eligibility {roster.eligibility!r}: re-import the roster")
    if roster.route == "exam":
        if exam is None:
            return made(PENDING, "eligible; no submitted exam sitting yet")
        score = f"{exam.raw}/{exam.total}" + (f", form cut {exam.cut}" if exam.cut is not None else "")
        if exam.passed:
            return made(CERTIFIED, f"eligible and passed the exam ({score})")
        return made(NOT_CERTIFIED, f"eligible but did not pass the exam ({score})")
    if panel is None:
        return made(PENDING, "eligible; no panel scoresheets yet")
    final = "" if panel.final is None else f" ({panel.final:.1f}%)"
    if panel.decision == PASS:
        return made(CERTIFIED, f"eligible and passed the panel assessment{final}")
    if panel.decision == FAIL:
        return made(NOT_CERTIFIED, f"eligible but did not pass the panel assessment{final}")
    if panel.decision == MODERATE:
        return made(PENDING, "eligible; the panel's scores differ beyond the threshold and need moderation")
    return made(PENDING, f"eligible; panel result: {panel.decision}")


def decide_all(
    roster: Iterable[RosterFacts], exams: Mapping[str, ExamResult], panels: Mapping[str, PanelResult]
) -> list[Decision]:
    """Decisions for everyone on the roster and everyone with a result, sorted by candidate id."""
    by_id = {r.candidate_id: r for r in roster}
    everyone = sorted(set(by_id) | set(exams) | set(panels))
    return [decide(by_id.get(c), c, exams.get(c), panels.get(c)) for c in everyone]
