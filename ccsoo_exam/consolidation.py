"""The chair's consolidated sheet: one candidate's panel result per criterion, sealed.

After the panelists' sheets are imported into one database, the chair reads each
panelist's level per criterion, moderates every criterion on which panelists differ by
more than the rubric's threshold (a level and a reason), and seals the consolidated
sheet. Sealing stores a SHA-256 over a canonical JSON of what was consolidated: the
rubric file digest, the candidate, the chair, the sealed sheets counted (by id and seal
hash), each criterion's panelist levels, mean, moderated level with its reason and final
level, the final percentage and the decision. Pure: the store keeps it, the chair screen
shows it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ccsoo_exam.aggregation import NO_SCORES, CandidateResult
from ccsoo_exam.rubric import Rubric


@dataclass(frozen=True)
class Consolidation:
    """A sealed consolidated sheet as stored."""

    consolidation_id: str
    rubric_id: str
    rubric_digest: str
    candidate_id: str
    chair: str
    content: str  # canonical JSON
    seal_hash: str
    sealed_at: str

    def verifies(self) -> bool:
        return hashlib.sha256(self.content.encode("utf-8")).hexdigest() == self.seal_hash


def consolidation_problems(result: CandidateResult, pending: tuple[str, ...] = ()) -> list[str]:
    """Why this candidate's consolidated sheet cannot be sealed yet (empty when it can)."""
    problems = []
    if result.decision == NO_SCORES or not result.scores:
        problems.append("no finalised, counted scoresheet for this candidate yet")
    waiting = tuple(dict.fromkeys((*result.pending, *pending)))
    if waiting:
        problems.append(f"sheets not finalised yet: {', '.join(waiting)}")
    if result.unresolved:
        problems.append("criteria still to moderate: " + ", ".join(d.criterion_id for d in result.unresolved))
    return problems


def consolidated_content(rubric: Rubric, result: CandidateResult, chair: str, at: str) -> str:
    """The canonical JSON that the consolidated sheet's seal covers."""
    flagged = {d.criterion_id for d in result.discrepancies}
    criteria = []
    for criterion in rubric.criteria:
        moderated = result.moderated.get(criterion.id)
        criteria.append(
            {
                "criterion_id": criterion.id,
                "levels": {s.panelist: s.levels[criterion.id] for s in result.scores},
                "mean": result.criterion_means.get(criterion.id),
                "discrepancy": criterion.id in flagged,
                "moderated": None
                if moderated is None
                else {
                    "level": moderated.level,
                    "reason": moderated.reason,
                    "moderator": moderated.moderator,
                    "moderated_at": moderated.moderated_at,
                },
                "final": result.final_levels.get(criterion.id),
            }
        )
    content = {
        "rubric_id": rubric.id,
        "rubric_digest": rubric.digest,
        "candidate_id": result.candidate_id,
        "chair": chair,
        "sealed_at": at,
        "sheets": {s.sheet_id: s.panelist for s in result.scores},
        "recused": list(result.recused),
        "criteria": criteria,
        "final": result.final,
        "decision": result.decision,
        "shortfalls": list(result.shortfalls),
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def seal_content(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()
