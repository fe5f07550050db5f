"""Who may be assessed for the CCSOO certification (source 000, "Certification Eligibility Criteria").

* A Master's degree (or higher) and at least 10 years at a senior management level: eligible.
* A Bachelor's degree and at least 15 years at a senior management level: considered case by
  case, so the candidate goes to review rather than being accepted or refused by a program.
* Anything else: not eligible.

Every outcome carries its reason in words, because the candidate and the certifying body
both need to see why, and a bare status cannot be appealed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ELIGIBLE = "eligible"
REVIEW = "case-by-case review"
NOT_ELIGIBLE = "not eligible"
STATUSES = (ELIGIBLE, REVIEW, NOT_ELIGIBLE)

DOCTORATE, MASTER, BACHELOR, OTHER = "doctorate", "master", "bachelor", "other"
DEGREE_LEVELS = (DOCTORATE, MASTER, BACHELOR, OTHER)

MASTER_YEARS = 10
BACHELOR_YEARS = 15

# Spellings accepted for each level, compared after lowercasing and dropping dots,
# apostrophes and spaces ("M.Sc." -> "msc", "Master's" -> "masters").
DEGREE_NAMES: dict[str, str] = {
    **dict.fromkeys(("doctorate", "doctoral", "doctor", "phd", "dba", "edd", "dphil"), DOCTORATE),
    **dict.fromkeys(("master", "masters", "mba", "emba", "msc", "ma", "ms", "mphil"), MASTER),
    **dict.fromkeys(("bachelor", "bachelors", "ba", "bsc", "bs", "bcom", "bba"), BACHELOR),
    **dict.fromkeys(("other", "none", "no degree", "nodegree", "diploma"), OTHER),
}

_IGNORED = re.compile(r"[.'’\s]")


@dataclass(frozen=True)
class Eligibility:
    """The outcome of the eligibility rules for one candidate, with the reason in words."""

    status: str
    reason: str


def degree_level(text: str) -> str | None:
    """The degree level for an authored degree name, or None when it is not recognised."""
    return DEGREE_NAMES.get(_IGNORED.sub("", text.strip().lower()))


def assess(level: str, years: int) -> Eligibility:
    """Apply the source 000 rules to a degree level (see ``DEGREE_LEVELS``) and years of senior management."""
    if level not in DEGREE_LEVELS:
        raise ValueError(f"unknown degree level {level!r}")
    if years < 0:
        raise ValueError("years of senior management cannot be negative")
    plural = "year" if years == 1 else "years"
    if level in (DOCTORATE, MASTER):
        degree = "a doctorate" if level == DOCTORATE else "a Master's degree"
        if years >= MASTER_YEARS:
            return Eligibility(ELIGIBLE, f"{degree} and {years} {plural} of senior management (10 required)")
        return Eligibility(
            NOT_ELIGIBLE, f"{degree} but {years} {plural} of senior management; at least {MASTER_YEARS} are required"
        )
    if level == BACHELOR:
        if years >= BACHELOR_YEARS:
            return Eligibility(
                REVIEW,
                f"a Bachelor's degree and {years} {plural} of senior management: "
                "may be considered case by case (15 years required)",
            )
        return Eligibility(
            NOT_ELIGIBLE,
            f"a Bachelor's degree needs at least {BACHELOR_YEARS} years of senior management "
            f"(case by case); {years} {plural} recorded",
        )
    return Eligibility(NOT_ELIGIBLE, "a Master's degree (or a Bachelor's with 15 years, case by case) is required")
