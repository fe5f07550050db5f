"""Rubrics: what a panel scores, on which scale, and what passes.

A rubric is authored as YAML (see docs/panel.md): phases with their minutes, criteria that
each belong to a phase and carry a weight and one observable descriptor per level of a
shared scale, a pass rule and the discrepancy threshold that calls for moderation.
Parsing returns frozen dataclasses; every problem in a file is reported together, each at
its line. The rubric's identity on a scoresheet is its id plus the SHA-256 of the file's
bytes, so a sheet always says exactly which text its panelist read.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import abc
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType

from ccsoo_exam.inputs import read_input
from ccsoo_exam.safeyaml import MAX_BYTES, Mapping, Node, load_bytes
from ccsoo_exam.schema import Checker

RUBRIC_FIELDS = ("rubric", "title", "scale", "phases", "criteria", "pass_rule", "moderation")
RUBRIC_OPTIONAL = ("version", "description")
PHASE_FIELDS = ("id", "title", "minutes")
CRITERION_FIELDS = ("id", "phase", "title", "weight", "levels")
CRITERION_OPTIONAL = ("minimum_level", "guidance")
PASS_FIELDS = ("weighted_percentage",)
PASS_OPTIONAL = ("minimum_level", "standard_level", "phase_percentage")
MODERATION_FIELDS = ("discrepancy_threshold",)

RUBRIC_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")
PART_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")
# Levels are chosen with the number keys, so a scale lives within the digits 0-9.
LOWEST_LEVEL, HIGHEST_LEVEL = 0, 9
MAX_CRITERIA = 60
# Mean levels and percentages are floats; a profile exactly at a cut must not fail by rounding.
EPSILON = 1e-9


@dataclass(frozen=True)
class Level:
    """One point of the shared scale, e.g. 3 "Competent"."""

    value: int
    label: str


@dataclass(frozen=True)
class Phase:
    """A timed part of the assessment (the presentation, the panel discussion and Q&A)."""

    id: str
    title: str
    minutes: int


@dataclass(frozen=True)
class Criterion:
    """One scored criterion: its phase, weight and a descriptor for every level of the scale."""

    id: str
    phase: str
    title: str
    weight: float
    descriptors: MappingProxyType[int, str]
    minimum_level: int | None = None
    guidance: str = ""
    line: int = 0


@dataclass(frozen=True)
class PassRule:
    """Pass when the final weighted percentage reaches ``weighted_percentage``, every phase's
    criteria taken together reach ``phase_percentage`` (when set), and no criterion's final
    level is below its minimum (the criterion's own, else this one).

    ``standard_level`` is the scale point whose label says the candidate meets the standard
    (e.g. 3 "Competent"); when set, the rubric is refused unless that level on every
    criterion passes and one level below on every criterion fails.
    """

    weighted_percentage: float
    minimum_level: int | None = None
    standard_level: int | None = None
    phase_percentage: float | None = None


@dataclass(frozen=True)
class Rubric:
    """A validated rubric, in file order."""

    id: str
    title: str
    scale: tuple[Level, ...]
    phases: tuple[Phase, ...]
    criteria: tuple[Criterion, ...]
    pass_rule: PassRule
    discrepancy_threshold: int
    version: str = ""
    description: str = ""
    digest: str = ""
    path: str = ""
    source: bytes = field(default=b"", repr=False)

    @property
    def lowest(self) -> int:
        return self.scale[0].value

    @property
    def highest(self) -> int:
        return self.scale[-1].value

    def label(self, level: int) -> str:
        for point in self.scale:
            if point.value == level:
                return point.label
        raise KeyError(level)

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def phase(self, phase_id: str) -> Phase:
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)

    def criteria_in(self, phase_id: str) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.phase == phase_id)

    def minimum_for(self, criterion: Criterion) -> int | None:
        """The lowest acceptable level for a criterion, if the pass rule sets one."""
        if criterion.minimum_level is not None:
            return criterion.minimum_level
        return self.pass_rule.minimum_level

    def percentage(self, levels: abc.Mapping[str, float], criteria: Iterable[Criterion] | None = None) -> float | None:
        """sum(w * (level - lowest) / (highest - lowest)) / sum(w) * 100 over the scored ``criteria``.

        Levels may be fractional (a panel's mean level). None when none of them is scored.
        """
        span = self.highest - self.lowest
        numerator = denominator = 0.0
        for criterion in self.criteria if criteria is None else criteria:
            level = levels.get(criterion.id)
            if level is None:
                continue
            numerator += criterion.weight * (level - self.lowest) / span
            denominator += criterion.weight
        return None if denominator == 0 else numerator / denominator * 100

    def shortfalls(self, levels: abc.Mapping[str, float]) -> tuple[str, ...]:
        """Why a complete profile of final levels fails the pass rule, in words; empty when it passes."""
        rule = self.pass_rule
        reasons: list[str] = []
        missing = [c.id for c in self.criteria if c.id not in levels]
        if missing:
            return (f"not scored: {', '.join(missing)}",)
        total = self.percentage(levels)
        assert total is not None
        if total < rule.weighted_percentage - EPSILON:
            reasons.append(f"weighted {total:.1f}% < {rule.weighted_percentage:g}%")
        if rule.phase_percentage is not None:
            for phase in self.phases:
                share = self.percentage(levels, self.criteria_in(phase.id))
                if share is not None and share < rule.phase_percentage - EPSILON:
                    reasons.append(f"{phase.title} {share:.1f}% < {rule.phase_percentage:g}%")
        for criterion in self.criteria:
            minimum = self.minimum_for(criterion)
            if minimum is not None and levels[criterion.id] < minimum - EPSILON:
                reasons.append(f"{criterion.title} level {levels[criterion.id]:.2g} < minimum {minimum}")
        return tuple(reasons)

    def passes(self, levels: abc.Mapping[str, float]) -> bool:
        """True when a complete profile of final levels meets the pass rule."""
        return not self.shortfalls(levels)


def load_rubric(path: str | os.PathLike[str]) -> Rubric:
    """Load and validate a rubric file; the digest covers exactly the bytes parsed."""
    name = str(path)
    data = _read(name)
    return rubric_from_bytes(data, name)


def rubric_from_bytes(data: bytes, name: str) -> Rubric:
    """Validate a rubric held in memory (e.g. the copy a results database keeps)."""
    return parse_rubric(load_bytes(data, name), name, data)


def _read(name: str) -> bytes:
    # The same guards as safeyaml.load_path, but keeping the bytes: the digest must be of
    # the very text that was validated, not of a second read that may differ.
    return read_input(name, MAX_BYTES, what="rubric file", allow_empty=True)


def parse_rubric(root: Node, path: str, source: bytes = b"") -> Rubric:
    """Check a parsed rubric document, reporting every problem at its line."""
    check = Checker(path)
    top = check.mapping(root, "a rubric file")
    if top is None:
        check.raise_if_any()
        raise AssertionError("unreachable")
    check.fields(top, "the rubric", RUBRIC_FIELDS, RUBRIC_OPTIONAL)
    rubric_id = check.text(top.get("rubric"), "'rubric' (the rubric id)", max_len=60)
    if rubric_id is not None and not RUBRIC_ID.fullmatch(rubric_id):
        check.error(
            top.keys["rubric"], "'rubric' must be lowercase letters, digits and '-', e.g. executive-presentation"
        )
    title = check.text(top.get("title"), "'title'", max_len=200)
    version = _optional_text(check, top, "version", 40)
    description = _optional_text(check, top, "description", 4000)
    scale = _parse_scale(check, top.get("scale"))
    phases = _parse_phases(check, top.get("phases"))
    levels = tuple(point.value for point in scale)
    pass_rule = _parse_pass_rule(check, top.get("pass_rule"), levels)
    threshold = _parse_moderation(check, top.get("moderation"), levels)
    before = len(check.problems)
    criteria = _parse_criteria(check, top.get("criteria"), phases, levels)
    clean = len(check.problems) == before  # a criterion dropped for its own problem is not a phase problem
    for phase in phases:
        if clean and criteria and not any(c.phase == phase.id for c in criteria):
            check.error(top.keys.get("phases"), f"phase '{phase.id}' has no criteria; add some or remove the phase")
    check.raise_if_any()
    assert rubric_id and title and pass_rule and threshold is not None
    rubric = Rubric(
        rubric_id,
        title,
        scale,
        phases,
        criteria,
        pass_rule,
        threshold,
        version or "",
        description or "",
        hashlib.sha256(source).hexdigest() if source else "",
        path,
        source,
    )
    _check_standard(check, rubric, top)
    check.raise_if_any()
    return rubric


def _check_standard(check: Checker, rubric: Rubric, top: Mapping) -> None:
    """The pass rule must agree with the label that says "meets the standard"."""
    standard = rubric.pass_rule.standard_level
    if standard is None:
        return
    line = top.keys.get("pass_rule")
    label = rubric.label(standard)
    at_standard = rubric.shortfalls({c.id: standard for c in rubric.criteria})
    if at_standard:
        check.error(
            line,
            f"'pass_rule': level {standard} ({label}) on every criterion is the standard, but it fails "
            f"({'; '.join(at_standard)}); lower the percentages or minimums",
        )
    if standard > rubric.lowest and rubric.passes({c.id: standard - 1 for c in rubric.criteria}):
        check.error(
            line,
            f"'pass_rule': level {standard - 1} ({rubric.label(standard - 1)}) on every criterion is below the "
            f"standard ({label}) but passes; raise weighted_percentage",
        )


def _optional_text(check: Checker, node: Mapping, key: str, max_len: int) -> str | None:
    value = node.get(key)
    return check.text(value, f"'{key}'", max_len=max_len) if value is not None else ""


def _parse_scale(check: Checker, node: Node | None) -> tuple[Level, ...]:
    if node is None:
        return ()
    scale = check.mapping(node, "'scale' (level: label lines, e.g. '1: Insufficient')")
    if scale is None:
        return ()
    points: list[Level] = []
    for key, value in scale.entries.items():
        line = scale.keys[key]
        if not re.fullmatch(r"\d", key.strip()):
            check.error(
                line, f"scale level '{key}' must be a single digit {LOWEST_LEVEL}-{HIGHEST_LEVEL} (a number key)"
            )
            continue
        label = check.text(value, f"the label of scale level {key}", max_len=40)
        if label is not None:
            points.append(Level(int(key), label))
    points.sort(key=lambda p: p.value)
    values = [p.value for p in points]
    if len(scale.entries) < 2:
        check.error(scale.line, "'scale' needs at least two levels")
    elif values and values != list(range(values[0], values[0] + len(values))):
        check.error(scale.line, f"scale levels must be consecutive, not {', '.join(map(str, values))}")
    return tuple(points)


def _parse_phases(check: Checker, node: Node | None) -> tuple[Phase, ...]:
    if node is None:
        return ()
    entries = check.sequence(node, "'phases'")
    if entries is None:
        return ()
    if not entries.items:
        check.error(entries.line, "'phases' is empty; list the timed parts of the assessment")
    phases: list[Phase] = []
    for number, item in enumerate(entries.items, start=1):
        where = f"phase {number}"
        phase = check.mapping(item, where)
        if phase is None:
            continue
        check.fields(phase, where, PHASE_FIELDS)
        phase_id = check.text(phase.get("id"), f"{where} 'id'", max_len=60)
        if phase_id is not None and not PART_ID.fullmatch(phase_id):
            check.error(phase.keys["id"], f"{where} id '{phase_id}' may use only lowercase letters, digits, '-', '_'")
            phase_id = None
        title = check.text(phase.get("title"), f"{where} 'title'", max_len=80)
        minutes = check.integer(phase.get("minutes"), f"{where} 'minutes'", 1, 600)
        if phase_id and any(p.id == phase_id for p in phases):
            check.error(phase.line, f"phase id '{phase_id}' is used twice; each phase needs its own id")
            continue
        if phase_id and title and minutes:
            phases.append(Phase(phase_id, title, minutes))
    return tuple(phases)


def _parse_pass_rule(check: Checker, node: Node | None, levels: tuple[int, ...]) -> PassRule | None:
    if node is None:
        return None
    rule = check.mapping(node, "'pass_rule'")
    if rule is None:
        return None
    check.fields(rule, "'pass_rule'", PASS_FIELDS, PASS_OPTIONAL)
    percentage = check.number(rule.get("weighted_percentage"), "'pass_rule' 'weighted_percentage'", 0, 100)
    minimum = standard = phase = None
    if rule.get("minimum_level") is not None:
        minimum = _level(check, rule.get("minimum_level"), "'pass_rule' 'minimum_level'", levels)
    if rule.get("standard_level") is not None:
        standard = _level(check, rule.get("standard_level"), "'pass_rule' 'standard_level'", levels)
    if rule.get("phase_percentage") is not None:
        phase = check.number(rule.get("phase_percentage"), "'pass_rule' 'phase_percentage'", 0, 100)
    return PassRule(percentage, minimum, standard, phase) if percentage is not None else None


def _parse_moderation(check: Checker, node: Node | None, levels: tuple[int, ...]) -> int | None:
    if node is None:
        return None
    moderation = check.mapping(node, "'moderation'")
    if moderation is None:
        return None
    check.fields(moderation, "'moderation'", MODERATION_FIELDS)
    span = (levels[-1] - levels[0]) if levels else HIGHEST_LEVEL
    # A threshold equal to the whole span could never be exceeded, so it would never flag anything.
    return check.integer(
        moderation.get("discrepancy_threshold"), "'moderation' 'discrepancy_threshold' (levels)", 0, max(span - 1, 0)
    )


def _level(check: Checker, node: Node | None, where: str, levels: tuple[int, ...]) -> int | None:
    value = check.integer(node, where, LOWEST_LEVEL, HIGHEST_LEVEL)
    if value is not None and levels and value not in levels:
        check.error(
            node.line if node else None, f"{where} {value} is not a level of the scale ({levels[0]}-{levels[-1]})"
        )
        return None
    return value


def _parse_criteria(
    check: Checker, node: Node | None, phases: tuple[Phase, ...], levels: tuple[int, ...]
) -> tuple[Criterion, ...]:
    if node is None:
        return ()
    entries = check.sequence(node, "'criteria'")
    if entries is None:
        return ()
    if not entries.items:
        check.error(entries.line, "'criteria' is empty; a rubric needs at least one criterion")
    if len(entries.items) > MAX_CRITERIA:
        check.error(entries.line, f"{len(entries.items)} criteria; keep a rubric to {MAX_CRITERIA} or fewer")
    phase_ids = [p.id for p in phases]
    criteria: list[Criterion] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(entries.items, start=1):
        criterion = _parse_criterion(check, item, number, phase_ids, levels)
        if criterion is None:
            continue
        if criterion.id in seen:
            check.error(
                criterion.line, f"criterion id '{criterion.id}' is used twice (first at line {seen[criterion.id]})"
            )
            continue
        seen[criterion.id] = criterion.line
        criteria.append(criterion)
    return tuple(criteria)


def _parse_criterion(
    check: Checker, node: Node, number: int, phase_ids: list[str], levels: tuple[int, ...]
) -> Criterion | None:
    where = f"criterion {number}"
    item = check.mapping(node, where)
    if item is None:
        return None
    before = len(check.problems)
    criterion_id = check.text(item.get("id"), f"{where} 'id'", max_len=60)
    if criterion_id is not None:
        if not PART_ID.fullmatch(criterion_id):
            check.error(
                item.keys["id"], f"{where} id '{criterion_id}' may use only lowercase letters, digits, '-', '_'"
            )
        where = f"criterion {criterion_id}"
    check.fields(item, where, CRITERION_FIELDS, CRITERION_OPTIONAL)
    phase = None
    if item.get("phase") is not None:
        # Without valid phases there is nothing to check against; that problem is reported already.
        phase = check.choice(item.get("phase"), f"{where} 'phase'", phase_ids) if phase_ids else None
    title = check.text(item.get("title"), f"{where} 'title'", max_len=80)
    weight = check.number(item.get("weight"), f"{where} 'weight'", 0, 1000)
    if weight is not None and weight <= 0:
        check.error(
            item.keys["weight"], f"{where} 'weight' must be more than 0; remove the criterion instead of weighting it 0"
        )
        weight = None
    minimum = None
    if item.get("minimum_level") is not None:
        minimum = _level(check, item.get("minimum_level"), f"{where} 'minimum_level'", levels)
    guidance = ""
    if item.get("guidance") is not None:
        guidance = check.text(item.get("guidance"), f"{where} 'guidance'", max_len=2000) or ""
    descriptors = _parse_descriptors(check, item.get("levels"), where, levels)
    if len(check.problems) > before or phase is None:
        return None
    assert criterion_id and title and weight and descriptors is not None
    return Criterion(criterion_id, phase, title, weight, descriptors, minimum, guidance, item.line)


def _parse_descriptors(
    check: Checker, node: Node | None, where: str, levels: tuple[int, ...]
) -> MappingProxyType[int, str] | None:
    if node is None:
        return None
    table = check.mapping(node, f"{where} 'levels'")
    if table is None:
        return None
    descriptors: dict[int, str] = {}
    for key, value in table.entries.items():
        line = table.keys[key]
        if not re.fullmatch(r"\d", key.strip()) or (levels and int(key) not in levels):
            scale = f"{levels[0]}-{levels[-1]}" if levels else "the scale"
            check.error(line, f"{where} has a descriptor for level '{key}', which is not on the scale ({scale})")
            continue
        text = check.text(value, f"{where} level {key} descriptor", max_len=1200)
        if text is not None:
            descriptors[int(key)] = text
    missing = [str(level) for level in levels if str(level) not in table.entries]
    if missing:
        check.error(
            table.line, f"{where} has no descriptor for level {', '.join(missing)}; describe every level of the scale"
        )
    return MappingProxyType(dict(sorted(descriptors.items())))
