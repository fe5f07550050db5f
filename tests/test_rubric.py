"""Rubric format: the sample rubric, and malformed rubrics reported at their lines with suggestions."""

from __future__ import annotations

import hashlib
import itertools
import re

import pytest

from ccsoo_exam.cli import main
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.rubric import load_rubric, rubric_from_bytes
from tests.conftest import ROOT

SAMPLE = ROOT / "rubrics" / "executive-presentation.yaml"

MINI = """\
rubric: mini
title: Mini rubric
scale:
  1: Low
  2: Mid
  3: High
phases:
  - id: talk
    title: Talk
    minutes: 10
  - id: qa
    title: Questions
    minutes: 5
pass_rule:
  weighted_percentage: 50
  minimum_level: 2
moderation:
  discrepancy_threshold: 1
criteria:
  - id: a
    phase: talk
    title: Criterion A
    weight: 2
    levels:
      1: a low
      2: a mid
      3: a high
  - id: b
    phase: qa
    title: Criterion B
    weight: 1
    minimum_level: 3
    levels:
      1: b low
      2: b mid
      3: b high
"""


def problems_of(write, text: str) -> list[str]:
    path = write("rubric.yaml", text)
    with pytest.raises(CcsooError) as caught:
        load_rubric(path)
    return [str(p) for p in caught.value.problems]


def test_sample_rubric_covers_source_000() -> None:
    rubric = load_rubric(SAMPLE)
    assert [(p.id, p.minutes) for p in rubric.phases] == [("presentation", 30), ("discussion", 30)]
    assert [c.id for c in rubric.criteria_in("presentation")] == [
        "service-excellence-frameworks",
        "process-optimization-strategies",
        "customer-experience-innovation",
        "executive-communication",
    ]
    assert [c.id for c in rubric.criteria_in("discussion")] == [
        "cross-functional-leadership",
        "stakeholder-alignment",
        "technology-and-human-capital",
    ]
    assert [(p.value, p.label) for p in rubric.scale] == [
        (1, "Insufficient"),
        (2, "Developing"),
        (3, "Competent"),
        (4, "Strong"),
        (5, "Exemplary"),
    ]
    assert rubric.digest == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    for criterion in rubric.criteria:
        texts = list(criterion.descriptors.values())
        assert list(criterion.descriptors) == [1, 2, 3, 4, 5]
        # Distinct, and long enough to name something observable rather than a bare adjective.
        assert len(set(texts)) == 5 and all(len(t) >= 60 for t in texts), criterion.id


def test_minimum_level_and_weights_of_mini(write) -> None:
    rubric = load_rubric(write("mini.yaml", MINI))
    assert rubric.minimum_for(rubric.criterion("a")) == 2  # the pass rule's default
    assert rubric.minimum_for(rubric.criterion("b")) == 3  # the criterion's own
    assert (rubric.lowest, rubric.highest, rubric.discrepancy_threshold) == (1, 3, 1)
    assert rubric.pass_rule.weighted_percentage == 50


def test_missing_descriptor_for_a_level(write) -> None:
    text = MINI.replace("      2: b mid\n", "")
    [problem] = problems_of(write, text)
    assert problem.endswith(":34: criterion b has no descriptor for level 2; describe every level of the scale")


def test_weights_must_be_positive(write) -> None:
    problems = problems_of(write, MINI.replace("weight: 2", "weight: 0").replace("weight: 1", "weight: -1"))
    assert len(problems) == 2
    assert "criterion a 'weight' must be more than 0" in problems[0]
    assert "criterion b 'weight' must be between 0 and 1000, not -1" in problems[1]


def test_unknown_phase_suggests_the_nearest(write) -> None:
    [problem] = problems_of(write, MINI.replace("phase: talk", "phase: tlak"))
    assert ":21: criterion a 'phase' must be one of talk, qa, not 'tlak' did you mean 'talk'?" in problem


def test_typo_in_field_name_suggests_the_field(write) -> None:
    typo, missing = problems_of(write, MINI.replace("    weight: 2", "    wieght: 2"))
    assert typo.endswith(":20: criterion a is missing required field 'weight'") or missing.endswith(
        ":23: unknown field 'wieght' in criterion a; did you mean 'weight'?"
    )
    assert {typo.split(":", 1)[1], missing.split(":", 1)[1]} == {
        "20: criterion a is missing required field 'weight'",
        "23: unknown field 'wieght' in criterion a; did you mean 'weight'?",
    }


def test_duplicate_criterion_id(write) -> None:
    [problem] = problems_of(write, MINI.replace("id: b\n", "id: a\n"))
    assert problem.endswith("criterion id 'a' is used twice (first at line 20)")


def test_every_problem_reported_in_one_run(write) -> None:
    text = (
        MINI.replace("  3: High\n", "  4: High\n")
        .replace("discrepancy_threshold: 1", "discrepancy_threshold: 9")
        .replace("pass_rule:\n  weighted_percentage: 50", "pass_rule:\n  weighted_percentage: 150")
        .replace("titel", "x")
        .replace("title: Talk", "titel: Talk")
    )
    problems = problems_of(write, text)
    joined = "\n".join(problems)
    assert "scale levels must be consecutive, not 1, 2, 4" in joined
    assert "unknown field 'titel' in phase 1; did you mean 'title'?" in joined
    assert "'weighted_percentage' must be between 0 and 100, not 150" in joined
    assert "'discrepancy_threshold' (levels) must be between 0 and" in joined
    assert len(problems) >= 4
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines)


def test_descriptor_for_a_level_off_the_scale(write) -> None:
    [problem] = problems_of(write, MINI.replace("      3: b high\n", "      3: b high\n      7: b beyond\n"))
    assert problem.endswith(":37: criterion b has a descriptor for level '7', which is not on the scale (1-3)")


def test_phase_without_criteria(write) -> None:
    [problem] = problems_of(write, MINI.replace("phase: qa", "phase: talk"))
    assert problem.endswith(":7: phase 'qa' has no criteria; add some or remove the phase")


def test_hostile_yaml_is_refused_before_validation(write) -> None:
    text = MINI.replace("title: Mini rubric", "title: &t Mini rubric").replace("title: Talk", "title: *t")
    problems = problems_of(write, text)
    assert any("aliases (*name) are not allowed" in p for p in problems)


def test_digest_is_of_the_exact_bytes() -> None:
    data = MINI.encode()
    assert rubric_from_bytes(data, "x").digest == hashlib.sha256(data).hexdigest()
    assert rubric_from_bytes(data + b"# comment\n", "x").digest != rubric_from_bytes(data, "x").digest


def test_cli_validate(write, capsys) -> None:
    good = write("good.yaml", MINI)
    bad = write("bad.yaml", MINI.replace("weight: 2", "weight: heavy"))
    assert main(["rubric", "validate", str(SAMPLE), good]) == 0
    out = capsys.readouterr().out
    assert "ok, rubric executive-presentation, scale 1-5, 7 criteria, total weight 100" in out
    assert "pass rule agrees with the labels: level 3 (Competent) everywhere passes; level 2 everywhere fails" in out
    assert main(["rubric", "validate", good, bad, "missing.yaml"]) == 2
    captured = capsys.readouterr()
    assert f"{bad}:23: criterion a 'weight' must be a number, not 'heavy'" in captured.err
    assert "missing.yaml: file not found; check the path" in captured.err
    assert "Traceback" not in captured.err
    assert f"{good}: ok" in captured.out


# --- the pass rule agrees with the level labels (issue 13) ------------------------------


def _profiles(rubric) -> list[dict[str, int]]:
    levels = [p.value for p in rubric.scale]
    ids = [c.id for c in rubric.criteria]
    return [dict(zip(ids, combo, strict=True)) for combo in itertools.product(levels, repeat=len(ids))]


def _phase_mean_level(rubric, profile: dict[str, int], phase_id: str) -> float:
    # Worked out here from the weights, independently of Rubric.percentage.
    criteria = [c for c in rubric.criteria if c.phase == phase_id]
    return sum(c.weight * profile[c.id] for c in criteria) / sum(c.weight for c in criteria)


def test_sample_pass_rule_agrees_with_the_labels_over_every_profile() -> None:
    rubric = load_rubric(SAMPLE)
    standard = rubric.pass_rule.standard_level
    assert standard is not None and rubric.label(standard) == "Competent"
    ids = [c.id for c in rubric.criteria]
    assert rubric.passes(dict.fromkeys(ids, standard))  # Competent everywhere passes (was 50% < 65%)
    assert not rubric.passes(dict.fromkeys(ids, standard - 1))  # Developing everywhere fails
    # The example: Exemplary on the presentation, Developing on all the discussion criteria.
    carried = {c.id: 5 if c.phase == "presentation" else 2 for c in rubric.criteria}
    assert not rubric.passes(carried)
    profiles = _profiles(rubric)
    assert len(profiles) == 5**7  # exhaustive: every level profile of the sample rubric
    verdicts = {tuple(p.values()): rubric.passes(p) for p in profiles}
    passing = 0
    for profile in profiles:
        key = tuple(profile.values())
        if not verdicts[key]:
            continue
        passing += 1
        for phase in rubric.phases:
            # No profile passes while a phase's criteria as a whole fall short of the standard.
            assert _phase_mean_level(rubric, profile, phase.id) >= standard, (profile, phase.id)
        assert min(profile.values()) >= 2 and profile["executive-communication"] >= 3
        # Monotone: raising any one level of a passing profile never makes it fail.
        for index, level in enumerate(key):
            if level < rubric.highest:
                assert verdicts[(*key[:index], level + 1, *key[index + 1 :])], (profile, ids[index])
    assert 0 < passing < len(profiles)


def test_mini_pass_rule_without_phase_rule(write) -> None:
    rubric = load_rubric(write("mini.yaml", MINI))
    assert rubric.pass_rule.phase_percentage is None and rubric.pass_rule.standard_level is None
    assert rubric.passes({"a": 3, "b": 3}) and not rubric.passes({"a": 3, "b": 2})  # b's own minimum 3
    assert rubric.shortfalls({"a": 2}) == ("not scored: b",)


def test_standard_level_that_fails_is_refused(write) -> None:
    text = MINI.replace("  minimum_level: 2\n", "  minimum_level: 2\n  standard_level: 2\n", 1)
    [problem] = problems_of(write, text)
    assert ":14: 'pass_rule': level 2 (Mid) on every criterion is the standard, but it fails" in problem
    assert "Criterion B level 2 < minimum 3" in problem


def test_level_below_the_standard_that_passes_is_refused(write) -> None:
    text = MINI.replace(
        "weighted_percentage: 50\n  minimum_level: 2\n", "weighted_percentage: 0\n  standard_level: 2\n"
    )
    text = text.replace("    minimum_level: 3\n", "")
    [problem] = problems_of(write, text)
    assert "level 1 (Low) on every criterion is below the standard (Mid) but passes" in problem


def test_phase_percentage_must_be_reached_by_each_phase(write) -> None:
    text = MINI.replace("  minimum_level: 2\n", "  phase_percentage: 50\n", 1).replace("    minimum_level: 3\n", "")
    rubric = load_rubric(write("mini.yaml", text))
    # a (weight 2) at High, b (weight 1) at Low: 66.7% overall, but the qa phase has 0%.
    assert rubric.percentage({"a": 3, "b": 1}) == pytest.approx(200 / 3)
    assert rubric.shortfalls({"a": 3, "b": 1}) == ("Questions 0.0% < 50%",)
    assert rubric.passes({"a": 2, "b": 2})


NEGATIVE = re.compile(r"\b(no|not|none|never|without|cannot|fails?|only)\b", re.IGNORECASE)


def test_sample_descriptors_are_nested_and_positive() -> None:
    rubric = load_rubric(SAMPLE)
    for criterion in rubric.criteria:
        for level, text in criterion.descriptors.items():
            assert not NEGATIVE.search(text), (criterion.id, level, text)
            if level > rubric.lowest:
                # Each level includes the one below and adds something observable after "and".
                assert text.startswith(f"Does all of level {level - 1}"), (criterion.id, level)
                added = text[len(f"Does all of level {level - 1}") :]
                assert len(added.split()) >= 6, (criterion.id, level)


def test_sample_evidence_admits_consultants_and_advisers() -> None:
    source = SAMPLE.read_text(encoding="utf-8")
    assert "an operation the candidate ran" not in source
    rubric = load_rubric(SAMPLE)
    evidence = " ".join(text for c in rubric.criteria for text in (c.guidance, *c.descriptors.values()))
    assert evidence.count("led or advised") >= 5
    assert "consultant" in evidence and "adviser" in evidence
