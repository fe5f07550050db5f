"""Turning finalised scoresheets into panel results, decisions and reliability figures.

For each candidate: every counted panelist's weighted percentage, the panel mean and
spread, the criteria on which panelists differ by more than the rubric's discrepancy
threshold, the moderated final score when a moderator has recorded one, and the decision
against the pass rule. A sheet counts when it is sealed, its seal verifies, it was scored
against this very rubric file and no conflict of interest was declared on it.

Decision rule (docs/panel.md): each criterion's final level is the moderated level when
the chair (moderator) has recorded one for that criterion, else the panel mean level. A
criterion on which panelists differ by more than the threshold has no final level until
it is moderated, so there is no decision until every flagged criterion is. The final score
is the weighted percentage of the final levels, and the candidate passes when the final
levels meet the rubric's pass rule (overall percentage, each phase's percentage, minimum
levels: ``Rubric.shortfalls``). An older whole-score moderation (``--score``), when one is
recorded, still sets the final score; the phase and minimum rules still apply to the levels.

Reliability across candidates: ICC(A,k) (two-way random, absolute agreement, mean of k
panelists) on the weighted percentages, and Krippendorff's alpha, interval on the
percentages and ordinal on the criterion levels, from ``ccsoo_exam.stats``.
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.rubric import EPSILON, Rubric
from ccsoo_exam.scoresheet import (
    Note,
    Scoresheet,
    TimerEvent,
    check_person,
    timer_record,
    verify_seal,
    weighted_percentage,
)
from ccsoo_exam.stats import alpha_band, icc, icc_band, krippendorff_alpha
from ccsoo_exam.text import has_control, visible

PASS, FAIL, MODERATE, NO_SCORES = "pass", "fail", "moderation needed", "no scores"
MAX_REASON = 2000


@dataclass(frozen=True)
class Moderation:
    """A moderator's final score for a candidate, with the reason, for the record."""

    moderation_id: str
    rubric_id: str
    candidate_id: str
    score: float
    reason: str
    moderator: str
    moderated_at: str


def check_moderation(moderation: Moderation) -> Moderation:
    """Return the moderation cleaned up, or raise with every problem found."""
    problems = []
    if not (isinstance(moderation.score, (int, float)) and math.isfinite(moderation.score)):
        problems.append(Problem("--score", None, "the moderated score must be a number from 0 to 100"))
    elif not 0 <= moderation.score <= 100:
        problems.append(
            Problem("--score", None, f"the moderated score must be from 0 to 100, not {moderation.score:g}")
        )
    reason, moderator = _reason_and_moderator(moderation.reason, moderation.moderator, "a moderation", problems)
    return Moderation(
        moderation.moderation_id,
        moderation.rubric_id,
        moderation.candidate_id,
        float(moderation.score),
        reason,
        moderator,
        moderation.moderated_at,
    )


@dataclass(frozen=True)
class CriterionModeration:
    """The chair's moderated level for one criterion of one candidate, with the reason."""

    moderation_id: str
    rubric_id: str
    candidate_id: str
    criterion_id: str
    level: int
    reason: str
    moderator: str
    moderated_at: str


def check_criterion_moderation(rubric: Rubric, moderation: CriterionModeration) -> CriterionModeration:
    """Return the moderation cleaned up, or raise with every problem found."""
    problems = []
    try:
        rubric.criterion(moderation.criterion_id)
    except KeyError:
        ids = ", ".join(c.id for c in rubric.criteria)
        problems.append(
            Problem("--criterion", None, f"rubric {rubric.id} has no criterion '{moderation.criterion_id}' ({ids})")
        )
    if not (isinstance(moderation.level, int) and rubric.lowest <= moderation.level <= rubric.highest):
        problems.append(Problem("--level", None, f"the level must be on the scale {rubric.lowest}-{rubric.highest}"))
    reason, moderator = _reason_and_moderator(moderation.reason, moderation.moderator, "a moderated level", problems)
    return replace(moderation, reason=reason, moderator=moderator)


@dataclass(frozen=True)
class PanelistScore:
    sheet_id: str
    panelist: str
    percentage: float
    levels: Mapping[str, int]
    notes: tuple[Note, ...] = ()
    sealed_at: str | None = None


@dataclass(frozen=True)
class Discrepancy:
    """A criterion on which the highest and lowest panelist levels differ by more than the threshold."""

    criterion_id: str
    levels: tuple[tuple[str, int], ...]  # (panelist, level), by panelist

    @property
    def difference(self) -> int:
        values = [level for _, level in self.levels]
        return max(values) - min(values)


@dataclass(frozen=True)
class CandidateResult:
    candidate_id: str
    scores: tuple[PanelistScore, ...]
    recused: tuple[str, ...]  # panelists who declared a conflict of interest
    pending: tuple[str, ...]  # panelists whose sheet is not finalised (or does not verify)
    mean: float | None
    spread: float | None  # highest minus lowest panelist percentage
    criterion_means: Mapping[str, float]
    below_minimum: tuple[str, ...]
    discrepancies: tuple[Discrepancy, ...]
    moderation: Moderation | None
    final: float | None
    decision: str
    moderated: Mapping[str, CriterionModeration] = field(default_factory=lambda: MappingProxyType({}))
    # Empty until every flagged criterion is moderated.
    final_levels: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    shortfalls: tuple[str, ...] = ()  # why the final levels fail the pass rule

    @property
    def unresolved(self) -> tuple[Discrepancy, ...]:
        """Flagged criteria that still need a moderated level."""
        return tuple(d for d in self.discrepancies if d.criterion_id not in self.moderated)


@dataclass(frozen=True)
class Coefficient:
    """A reliability figure, or why it could not be computed."""

    name: str
    value: float | None
    band: str
    basis: str
    low: float | None = None  # 95% confidence interval, where one is defined (ICC)
    high: float | None = None


@dataclass(frozen=True)
class PanelReport:
    rubric_id: str
    rubric_digest: str
    candidates: tuple[CandidateResult, ...]
    reliability: tuple[Coefficient, ...]
    warnings: tuple[str, ...]


def aggregate(
    rubric: Rubric,
    sheets: Iterable[Scoresheet],
    moderations: Iterable[Moderation] = (),
    criterion_moderations: Iterable[CriterionModeration] = (),
) -> tuple[tuple[CandidateResult, ...], tuple[str, ...]]:
    """Results per candidate (sorted by id), and warnings about sheets left out."""
    warnings: list[str] = []
    by_candidate: dict[str, list[Scoresheet]] = defaultdict(list)
    for sheet in sheets:
        if sheet.rubric_id != rubric.id or sheet.voided:
            continue
        if sheet.rubric_digest != rubric.digest:
            warnings.append(
                f"sheet {sheet.sheet_id} ({sheet.panelist} on {sheet.candidate_id}) was scored against another "
                f"version of rubric {rubric.id} ({sheet.rubric_digest[:12]}); left out"
            )
            continue
        by_candidate[sheet.candidate_id].append(sheet)
    latest: dict[str, Moderation] = {}
    for m in sorted(moderations, key=lambda m: (m.moderated_at, m.moderation_id)):
        if m.rubric_id == rubric.id:
            latest[m.candidate_id] = m
    results = []
    per_criterion: dict[str, dict[str, CriterionModeration]] = defaultdict(dict)
    for cm in sorted(criterion_moderations, key=lambda m: (m.moderated_at, m.moderation_id)):
        if cm.rubric_id == rubric.id:
            per_criterion[cm.candidate_id][cm.criterion_id] = cm
    for candidate_id in sorted(by_candidate):
        result, notes = _candidate(
            rubric, candidate_id, by_candidate[candidate_id], latest.get(candidate_id), per_criterion[candidate_id]
        )
        results.append(result)
        warnings.extend(notes)
    return tuple(results), tuple(warnings)


def _candidate(
    rubric: Rubric,
    candidate_id: str,
    sheets: list[Scoresheet],
    moderation: Moderation | None,
    moderated: Mapping[str, CriterionModeration] | None = None,
) -> tuple[CandidateResult, list[str]]:
    moderated = dict(moderated or {})
    warnings = []
    scores: list[PanelistScore] = []
    recused: list[str] = []
    pending: list[str] = []
    for sheet in sorted(sheets, key=lambda s: (s.panelist, s.sheet_id)):
        if not sheet.sealed:
            pending.append(sheet.panelist)
            continue
        if not verify_seal(sheet):
            pending.append(sheet.panelist)
            warnings.append(f"sheet {sheet.sheet_id} ({sheet.panelist} on {candidate_id}) does not match its seal hash")
            continue
        if sheet.conflict:
            recused.append(sheet.panelist)
            continue
        percentage = weighted_percentage(rubric, sheet.levels)
        assert percentage is not None  # sealing requires every criterion scored
        scores.append(
            PanelistScore(sheet.sheet_id, sheet.panelist, percentage, sheet.levels, sheet.notes, sheet.sealed_at)
        )

    mean = spread = None
    criterion_means: dict[str, float] = {}
    discrepancies: list[Discrepancy] = []
    below: list[str] = []
    if scores:
        percentages = [s.percentage for s in scores]
        mean = math.fsum(percentages) / len(percentages)
        spread = max(percentages) - min(percentages)
        for criterion in rubric.criteria:
            levels = tuple((s.panelist, s.levels[criterion.id]) for s in scores)
            values = [level for _, level in levels]
            criterion_means[criterion.id] = math.fsum(values) / len(values)
            if max(values) - min(values) > rubric.discrepancy_threshold:
                discrepancies.append(Discrepancy(criterion.id, levels))

    flagged = {d.criterion_id for d in discrepancies}
    final_levels: dict[str, float] = {}
    shortfalls: tuple[str, ...] = ()
    if scores and flagged <= set(moderated):
        final_levels = {
            c.id: float(moderated[c.id].level) if c.id in moderated else criterion_means[c.id] for c in rubric.criteria
        }
        shortfalls = rubric.shortfalls(final_levels)
        for criterion in rubric.criteria:
            minimum = rubric.minimum_for(criterion)
            if minimum is not None and final_levels[criterion.id] < minimum - EPSILON:
                below.append(criterion.id)
    elif scores:
        for criterion in rubric.criteria:
            minimum = rubric.minimum_for(criterion)
            if criterion.id not in flagged and minimum is not None and criterion_means[criterion.id] < minimum:
                below.append(criterion.id)

    if not scores:
        final: float | None = None
        decision = NO_SCORES
    elif moderation is not None:
        # A whole-score moderation from before moderation was tied to criteria: the score is
        # the moderator's, but the levels (moderated where a criterion was, else the panel
        # means) must still clear the phase and minimum rules.
        final = moderation.score
        profile = final_levels or {
            c.id: float(moderated[c.id].level) if c.id in moderated else criterion_means[c.id] for c in rubric.criteria
        }
        level_rules = tuple(reason for reason in rubric.shortfalls(profile) if not reason.startswith("weighted "))
        below = [
            c.id for c in rubric.criteria if (m := rubric.minimum_for(c)) is not None and profile[c.id] < m - EPSILON
        ]
        total_ok = final >= rubric.pass_rule.weighted_percentage - EPSILON
        shortfalls = (
            level_rules
            if total_ok
            else (f"moderated {final:.1f}% < {rubric.pass_rule.weighted_percentage:g}%", *level_rules)
        )
        decision = PASS if not shortfalls else FAIL
    elif not final_levels:
        final = None
        decision = MODERATE
    else:
        final = rubric.percentage(final_levels)
        decision = FAIL if shortfalls else PASS
    result = CandidateResult(
        candidate_id,
        tuple(scores),
        tuple(recused),
        tuple(pending),
        mean,
        spread,
        MappingProxyType(criterion_means),
        tuple(below),
        tuple(discrepancies),
        moderation,
        final,
        decision,
        MappingProxyType(moderated),
        MappingProxyType(final_levels),
        shortfalls,
    )
    return result, warnings


MIN_ICC_CANDIDATES = 5


def reliability(rubric: Rubric, results: Sequence[CandidateResult]) -> tuple[Coefficient, ...]:
    """ICC(A,k) and Krippendorff's alpha over the counted sheets of all candidates."""
    return (_icc(results), _alpha_percentages(results), _alpha_levels(rubric, results))


def _icc(results: Sequence[CandidateResult]) -> Coefficient:
    # ICC(A,k) needs the same k panelists on every candidate (the judges are a factor of the
    # model). Panels vary between sessions, so use the largest group of candidates that
    # share one panel; ties go to the larger panel, then to the panel's names for stability.
    groups: Counter[tuple[str, ...]] = Counter(
        tuple(sorted(s.panelist for s in r.scores)) for r in results if len(r.scores) >= 2
    )
    name = "ICC(A,k)"
    if not groups:
        return Coefficient(name, None, "", "not computable: no candidate has two or more counted sheets")
    panel, count = max(groups.items(), key=lambda item: (item[1], len(item[0]), item[0]))
    table = [
        [s.percentage for s in sorted(r.scores, key=lambda s: s.panelist)]
        for r in results
        if tuple(sorted(s.panelist for s in r.scores)) == panel
    ]
    basis = f"{count} candidates scored by the same {len(panel)} panelists ({', '.join(panel)}), weighted %"
    try:
        value = icc(table, "A,k")
    except ValueError as exc:
        return Coefficient(name, None, "", f"not computable: {exc}; {basis}")
    low = high = None
    try:
        from ccsoo_exam.psychometrics.reliability import icc_interval

        interval = icc_interval(table)
        low, high = interval.average_low, interval.average_high
    except ValueError:
        pass  # no interval for a degenerate table; the value stands alone
    if count < MIN_ICC_CANDIDATES:
        # An ICC from 2-4 candidates can land anywhere; its confidence interval spans most of
        # [-1, 1], so no descriptive band ("excellent" on 2 candidates) is given.
        band = f"not banded: {count} candidates, fewer than {MIN_ICC_CANDIDATES}"
        return Coefficient(name, value, band, basis, low, high)
    return Coefficient(name, value, icc_band(value), basis, low, high)


def _alpha(name: str, rows: list[list[float | int | None]], level: str, basis: str) -> Coefficient:
    try:
        value = krippendorff_alpha(rows, level)
    except ValueError as exc:
        return Coefficient(name, None, "", f"not computable: {exc}")
    return Coefficient(name, value, alpha_band(value), basis)


def _alpha_percentages(results: Sequence[CandidateResult]) -> Coefficient:
    panelists = sorted({s.panelist for r in results for s in r.scores})
    index = {p: i for i, p in enumerate(panelists)}
    rows: list[list[float | int | None]] = [[None] * len(results) for _ in panelists]
    for u, result in enumerate(results):
        for s in result.scores:
            rows[index[s.panelist]][u] = s.percentage
    basis = f"{len(results)} candidates x {len(panelists)} panelists, weighted %, missing sheets allowed"
    return _alpha("alpha (interval)", rows or [[]], "interval", basis)


def _alpha_levels(rubric: Rubric, results: Sequence[CandidateResult]) -> Coefficient:
    panelists = sorted({s.panelist for r in results for s in r.scores})
    index = {p: i for i, p in enumerate(panelists)}
    width = len(results) * len(rubric.criteria)
    rows: list[list[float | int | None]] = [[None] * width for _ in panelists]
    for u, result in enumerate(results):
        base = u * len(rubric.criteria)
        for s in result.scores:
            row = rows[index[s.panelist]]
            for c, criterion in enumerate(rubric.criteria):
                row[base + c] = s.levels[criterion.id]
    basis = f"{width} candidate x criterion units, levels {rubric.lowest}-{rubric.highest}"
    return _alpha("alpha (ordinal)", rows or [[]], "ordinal", basis)


def panel_report(
    rubric: Rubric,
    sheets: Iterable[Scoresheet],
    moderations: Iterable[Moderation] = (),
    criterion_moderations: Iterable[CriterionModeration] = (),
) -> PanelReport:
    """Everything ``ccsoo-exam panel report`` prints, for one rubric."""
    results, warnings = aggregate(rubric, sheets, moderations, criterion_moderations)
    return PanelReport(rubric.id, rubric.digest, results, reliability(rubric, results), warnings)


def report_as_dict(
    report: PanelReport, rubric: Rubric, timers: Mapping[str, Sequence[TimerEvent]] | None = None
) -> dict[str, object]:
    """A JSON-ready form of the report (stable keys, numbers rounded only for display elsewhere)."""
    return {
        "rubric": {"id": rubric.id, "title": rubric.title, "sha256": rubric.digest},
        "criteria": [
            {"id": c.id, "title": c.title, "phase": c.phase, "weight": c.weight, "minimum_level": rubric.minimum_for(c)}
            for c in rubric.criteria
        ],
        "pass_rule": {
            "weighted_percentage": rubric.pass_rule.weighted_percentage,
            "minimum_level": rubric.pass_rule.minimum_level,
            "standard_level": rubric.pass_rule.standard_level,
            "phase_percentage": rubric.pass_rule.phase_percentage,
            "criterion_minimums": {c.id: c.minimum_level for c in rubric.criteria if c.minimum_level is not None},
        },
        "discrepancy_threshold": rubric.discrepancy_threshold,
        "candidates": [
            {
                "candidate_id": r.candidate_id,
                "panelists": [
                    {
                        "panelist": s.panelist,
                        "sheet_id": s.sheet_id,
                        "percentage": s.percentage,
                        "levels": dict(s.levels),
                        "sealed_at": s.sealed_at,
                        "notes": [
                            {"criterion_id": n.criterion_id, "noted_at": n.noted_at, "text": n.text}
                            for n in sorted(s.notes, key=lambda n: n.seq)
                        ],
                        "timer": [
                            {"phase_id": pid, "seconds": secs, "running": running}
                            for pid, secs, running in timer_record(rubric, (timers or {}).get(s.sheet_id, ()))
                        ],
                    }
                    for s in r.scores
                ],
                "recused": list(r.recused),
                "pending": list(r.pending),
                "mean": r.mean,
                "spread": r.spread,
                "criterion_means": dict(r.criterion_means),
                "below_minimum": list(r.below_minimum),
                "discrepancies": [
                    {"criterion_id": d.criterion_id, "difference": d.difference, "levels": dict(d.levels)}
                    for d in r.discrepancies
                ],
                "moderation": None
                if r.moderation is None
                else {
                    "score": r.moderation.score,
                    "reason": r.moderation.reason,
                    "moderator": r.moderation.moderator,
                    "moderated_at": r.moderation.moderated_at,
                },
                "criterion_moderations": {
                    cid: {
                        "level": m.level,
                        "reason": m.reason,
                        "moderator": m.moderator,
                        "moderated_at": m.moderated_at,
                    }
                    for cid, m in r.moderated.items()
                },
                "final_levels": dict(r.final_levels),
                "shortfalls": list(r.shortfalls),
                "final": r.final,
                "decision": r.decision,
            }
            for r in report.candidates
        ],
        "reliability": [
            {"name": c.name, "value": c.value, "band": c.band, "basis": c.basis, "ci95": [c.low, c.high]}
            for c in report.reliability
        ],
        "warnings": list(report.warnings),
    }


def _wrap(text: str, indent: str, width: int = 80) -> list[str]:
    return textwrap.wrap(
        visible(text), width, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False
    ) or [indent.rstrip()]


def _minutes(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def timer_text(rubric: Rubric, events: Sequence[TimerEvent]) -> str:
    """A sheet's phase timers as recorded: each phase's time against its minutes, overruns marked."""
    parts = []
    for phase_id, seconds, running in timer_record(rubric, events):
        phase = rubric.phase(phase_id)
        over = seconds - phase.minutes * 60
        part = f"{phase.title} {_minutes(seconds)} of {phase.minutes:02d}:00"
        if over > 0:
            part += f" (+{_minutes(over)} over)"
        if running:
            part += " (still running)"
        parts.append(part)
    return "; ".join(parts) if parts else "not used"


def candidate_lines(r: CandidateResult, rubric: Rubric, timers: Mapping[str, Sequence[TimerEvent]]) -> list[str]:
    """One candidate's block of the text report: criterion by criterion, then each panelist's notes and timer."""
    mean = "-" if r.mean is None else f"{r.mean:.1f}%"
    spread = "-" if r.spread is None else f"{r.spread:.1f}"
    final = "-" if r.final is None else f"{r.final:.1f}%"
    lines = [visible(f"{r.candidate_id}: {r.decision.upper()}  final {final}  mean {mean}  spread {spread}")]
    flagged = {d.criterion_id: d for d in r.discrepancies}
    for criterion in rubric.criteria:
        mark = "!" if criterion.id in flagged else " "
        lines.extend(_wrap(f"{mark} {criterion.title} (weight {criterion.weight:g}, {criterion.phase})", "  "))
        if not r.scores:
            continue
        cells = [f"{s.panelist} {s.levels[criterion.id]} {rubric.label(s.levels[criterion.id])}" for s in r.scores]
        cells.append(f"mean {r.criterion_means[criterion.id]:.2f}")
        moderated = r.moderated.get(criterion.id)
        if moderated is not None:
            cells.append(
                f"moderated to {moderated.level} {rubric.label(moderated.level)} by {moderated.moderator} "
                f"at {moderated.moderated_at}: {moderated.reason}"
            )
        elif criterion.id in flagged:
            cells.append(f"differ by {flagged[criterion.id].difference}: to moderate")
        lines.extend(_wrap(" · ".join(cells), "      "))
    for s in r.scores:
        lines.extend(_wrap(f"{s.panelist}: {s.percentage:.1f}%, finalised {s.sealed_at or '-'}", "  "))
        lines.extend(_wrap(f"timer: {timer_text(rubric, timers.get(s.sheet_id, ()))}", "      "))
        for note in sorted(s.notes, key=lambda n: n.seq):
            title = rubric.criterion(note.criterion_id).title
            lines.extend(_wrap(f"note on {title} at {note.noted_at}: {note.text}", "      "))
    for panelist in r.recused:
        lines.extend(_wrap(f"{panelist}: recused (conflict of interest declared; not counted)", "  "))
    for panelist in r.pending:
        lines.extend(_wrap(f"{panelist}: sheet not finalised; not counted", "  "))
    for d in r.discrepancies:
        detail = ", ".join(f"{p} {level}" for p, level in d.levels)
        lines.extend(_wrap(f"discrepancy on {d.criterion_id}: {detail} (differ by {d.difference})", "  "))
    for criterion_id in r.below_minimum:
        minimum = rubric.minimum_for(rubric.criterion(criterion_id))
        level = r.final_levels.get(criterion_id, r.criterion_means.get(criterion_id, 0.0))
        lines.extend(_wrap(f"below minimum on {criterion_id}: level {level:.2f} < {minimum}", "  "))
    for reason in r.shortfalls:
        lines.extend(_wrap(f"does not meet the pass rule: {reason}", "  "))
    if r.moderation is not None:
        m = r.moderation
        lines.extend(_wrap(f"moderated to {m.score:.1f}% by {m.moderator} at {m.moderated_at}: {m.reason}", "  "))
    return lines


def report_as_text(
    report: PanelReport, rubric: Rubric, timers: Mapping[str, Sequence[TimerEvent]] | None = None
) -> str:
    """The report as plain text for a terminal or a printout; ``timers`` are each sheet's timer events."""
    rule = rubric.pass_rule
    lines = [
        f"Panel report: {rubric.title} ({rubric.id}, sha256 {rubric.digest[:12]})",
        f"Pass rule: final >= {rule.weighted_percentage:g}%"
        + (f", each phase >= {rule.phase_percentage:g}%" if rule.phase_percentage is not None else "")
        + (
            f", every criterion's final level >= its minimum (default {rule.minimum_level})"
            if rule.minimum_level
            else ""
        )
        + f"; moderation when panelists differ by more than {rubric.discrepancy_threshold} level(s) on a criterion",
        "",
    ]
    counts = Counter(r.decision for r in report.candidates)
    for r in report.candidates:
        lines.extend(candidate_lines(r, rubric, timers or {}))
    if not report.candidates:
        lines.append("No scoresheets for this rubric yet.")
    lines.append("")
    lines.append("Decisions: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    lines.append("Reliability (ICC bands: Koo & Li 2016; alpha: Krippendorff >= 0.800 reliable, >= 0.667 tentative):")
    for c in report.reliability:
        if c.value is None:
            lines.append(f"  {c.name}: {c.basis}")
        else:
            ci = f", 95% CI {c.low:.2f} to {c.high:.2f}" if c.low is not None and c.high is not None else ""
            lines.append(f"  {c.name} = {c.value:.3f}{ci} ({c.band}); {c.basis}")
    for warning in report.warnings:
        lines.append(f"warning: {warning}")
    # Readable at 80 columns: a longer line wraps, keeping its indent (plus two for the rest).
    fitted: list[str] = []
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        fitted.extend(_wrap(line.strip(), indent) if len(line) > 80 else [line])
    return "\n".join(fitted)


def _reason_and_moderator(reason: str, moderator: str, what: str, problems: list[Problem]) -> tuple[str, str]:
    """The moderator's reason (one line, plain text, bounded) and name, checked alike for every moderation.

    Raises with every problem found so far when any is wrong.
    """
    reason = " ".join(reason.split())
    if not reason:
        problems.append(Problem("--reason", None, f"{what} needs the moderator's reason"))
    elif has_control(reason):
        problems.append(Problem("--reason", None, "the reason contains control characters; type plain text"))
    elif len(reason) > MAX_REASON:
        problems.append(
            Problem("--reason", None, f"the reason is {len(reason)} characters; keep it under {MAX_REASON}")
        )
    try:
        moderator = check_person(moderator, "moderator name")
    except CcsooError as error:
        problems.extend(error.problems)
    if problems:
        raise CcsooError(problems)
    return reason, moderator
