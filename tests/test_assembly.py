"""Constrained form assembly: every constraint holds, forms are unique for their seed, errors are clear."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccsoo_exam.assembly import FormModel
from ccsoo_exam.bank import bank_from_bytes
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.exam import AssemblyRules, BlueprintEntry, ExamDefinition
from ccsoo_exam.form import assemble_form, rebuild_form
from ccsoo_exam.simulation import simulate
from tests.conftest import bank_yaml

TOPICS = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon")
LABELS = ("easy", "medium", "medium", "hard", "medium", "easy", "hard")
VALUE = {"easy": -1, "medium": 0, "hard": 1}


def varied_bank(module: int, count: int, enemies: dict[str, list[str]] | None = None, labels=LABELS):
    """A bank whose items spread over uneven topics and all three difficulty labels."""
    text = bank_yaml(f"ccsoo-m{module}", module, count)
    topic_of = iter(TOPICS[min(len(TOPICS) - 1, int(math.sqrt(n * 1.3)) % len(TOPICS))] for n in range(count))
    label_of = iter(labels[n % len(labels)] for n in range(count))
    text = re.sub(r"topic: Strategy", lambda _: f"topic: {next(topic_of)}", text)
    text = re.sub(r"difficulty: medium", lambda _: f"difficulty: {next(label_of)}", text)
    for item, others in (enemies or {}).items():
        text = text.replace(f"  - id: {item}\n", f"  - id: {item}\n    enemies: [{', '.join(others)}]\n")
    return bank_from_bytes(text.encode(), f"m{module}.yaml")


ENEMIES = {
    "T1-003": ["T1-004", "T2-003"],  # within module 1 and across to module 2
    "T2-010": ["T3-010"],
    "T3-001": ["T1-001", "T2-001"],
    "T1-020": ["T2-021", "T3-022"],
}


def definition(draw: int = 12, *, tolerance: str = "0.05", cap: str | None = "0.6", **rules) -> ExamDefinition:
    assembly = AssemblyRules(
        topic_quotas=True,
        target_is_bank_mean=True,
        difficulty_tolerance=Fraction(tolerance),
        exposure_cap=Fraction(cap) if cap else None,
        line=1,
    )
    return ExamDefinition(
        exam="ccsoo-test",
        title="t",
        duration_minutes=180,
        item_count=3 * draw,
        blueprint=tuple(BlueprintEntry(f"ccsoo-m{m}", m, f"m{m}.bank", draw) for m in (1, 2, 3)),
        cut_score=2 * draw,
        time_warnings=(),
        navigation="free",
        shuffle_options=True,
        show_score=True,
        path="exam.yaml",
        assembly=replace(assembly, **rules),
    )


BANKS = {
    f"ccsoo-m{m}": varied_bank(m, 30, {k: v for k, v in ENEMIES.items() if k.startswith(f"T{m}")}) for m in (1, 2, 3)
}
MODEL = FormModel(definition(), BANKS)


def independent_problems(form_items: list[tuple[str, str]], exam: ExamDefinition, banks) -> list[str]:
    """The constraints re-derived here from the banks, not from the model under test."""
    problems = []
    chosen = {(b, i) for b, i in form_items}
    for entry in exam.blueprint:
        bank = banks[entry.bank]
        mine = [item for item in bank.items if (bank.id, item.id) in chosen]
        if len(mine) != entry.items:
            problems.append(f"{bank.id}: {len(mine)} items")
        for topic in {i.topic for i in bank.items}:
            share = sum(i.topic == topic for i in bank.items) * entry.items / len(bank.items)
            got = sum(i.topic == topic for i in mine)
            if not math.floor(share) <= got <= math.ceil(share):
                problems.append(f"{bank.id}: topic {topic} has {got}, share {share:.2f}")
        target = sum(VALUE[i.difficulty] for i in bank.items) / len(bank.items)
        mean = sum(VALUE[i.difficulty] for i in mine) / len(mine)
        if abs(mean - target) > float(exam.assembly.difficulty_tolerance) + 1e-12:
            problems.append(f"{bank.id}: mean difficulty {mean:.3f} vs {target:.3f}")
    ids = {i for _, i in chosen}
    for bank in banks.values():
        for item in bank.items:
            if item.id in ids:
                problems.extend(f"enemies {item.id} {e}" for e in item.enemies if e in ids)
    return problems


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**62))
def test_every_form_meets_every_constraint(seed: int) -> None:
    form = assemble_form(definition(), BANKS, seed, model=MODEL)
    assert independent_problems([(i.bank, i.item_id) for i in form.items], definition(), BANKS) == []
    assert MODEL.violations(MODEL.select(seed)) == []


def test_enemies_never_share_a_form_even_across_modules() -> None:
    pairs = {(a, b) for a, bs in ENEMIES.items() for b in bs}
    together = {a: 0 for a, _ in pairs}
    for seed in range(60):
        ids = {i.item_id for i in assemble_form(definition(), BANKS, seed, model=MODEL).items}
        assert not [(a, b) for a, b in pairs if a in ids and b in ids]
        for a, _ in pairs:
            together[a] += a in ids
    assert all(count > 0 for count in together.values())  # the enemies are drawn, just never together


def test_without_the_enemy_links_they_do_meet() -> None:
    # The test above could pass by luck if the pairs never met anyway: without the links they do.
    plain = {f"ccsoo-m{m}": varied_bank(m, 30) for m in (1, 2, 3)}
    model = FormModel(definition(), plain)
    met = 0
    for seed in range(60):
        ids = {model.slots[i].item_id for i in model.select(seed)}
        met += any(a in ids and b in ids for a, bs in ENEMIES.items() for b in bs)
    assert met > 0


def test_same_seed_same_form_and_digest_and_rebuild_checks_it() -> None:
    exam = definition()
    form = assemble_form(exam, BANKS, 2026)
    again = assemble_form(exam, BANKS, 2026)
    assert form == again and form.digest == again.digest
    assert rebuild_form(exam, BANKS, 2026, form.digest) == form
    with pytest.raises(CcsooError, match=r"rebuilds form .* not the recorded 0000"):
        rebuild_form(exam, BANKS, 2026, "0000" + form.digest[4:])
    assert assemble_form(exam, BANKS, 2027).digest != form.digest


def test_constrained_form_is_pinned() -> None:
    # Pinned: topic quotas, difficulty target and enemies all bind here. A change of solver,
    # solver version or platform must not change it (the form is the unique optimum).
    assert assemble_form(definition(), BANKS, 42).digest == PINNED_CONSTRAINED


PINNED_CONSTRAINED = "a82804620aec8723"


def brute_force(model: FormModel, weights) -> list[tuple[int, tuple[int, ...]]]:
    """Every feasible form with its weight, by enumeration (tiny banks only)."""
    spans = [list(span) for span in model.module_ranges]
    found = []
    for parts in itertools.product(
        *(itertools.combinations(span, spec.draw) for span, spec in zip(spans, model.modules, strict=True))
    ):
        chosen = tuple(sorted(i for part in parts for i in part))
        if not model.violations(chosen):
            found.append((int(sum(weights[i] for i in chosen)), chosen))
    return found


TINY = {f"ccsoo-m{m}": varied_bank(m, 9, {"T1-002": ["T2-002"]} if m == 1 else None) for m in (1, 2)}


def tiny_definition() -> ExamDefinition:
    exam = definition(3, tolerance="0.34")
    return replace(exam, item_count=6, blueprint=exam.blueprint[:2])


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 99])
def test_the_form_is_the_unique_optimum(seed: int) -> None:
    model = FormModel(tiny_definition(), TINY)
    _, weights = model.ranking(seed)
    forms = brute_force(model, weights)
    best = max(w for w, _ in forms)
    optimal = [c for w, c in forms if w == best]
    assert len(optimal) == 1
    assert model.select(seed) == optimal[0]


def test_a_tie_draws_again_from_the_same_seed(monkeypatch) -> None:
    model = FormModel(tiny_definition(), TINY)
    real = model.ranking
    calls = []

    def ranking(seed: int, round_: int = 0):
        calls.append(round_)
        order, weights = real(seed, round_)
        return (order, np.ones(len(weights))) if round_ == 0 else (order, weights)  # round 0: all forms tie

    monkeypatch.setattr(model, "ranking", ranking)
    _, second = real(5, 1)
    forms = brute_force(model, second)
    best = max(w for w, _ in forms)
    assert model.select(5) == next(c for w, c in forms if w == best)
    assert calls == [0, 1]


def test_a_real_tie_in_the_sample_package_is_resolved_the_same_way_every_time() -> None:
    # Seed found by simulation: two swaps in module 5 weigh exactly the same in round 0
    # (401297 + 541935 = 495921 + 447311). A solver that broke the tie its own way would
    # make this form depend on the platform; the redraw makes it the seed's.
    from ccsoo_exam.exam import load_exam
    from ccsoo_exam.package import open_banks
    from tests.conftest import DEMO_KEY, ROOT

    exam = load_exam(str(ROOT / "question_banks" / "exam.yaml"))
    model = FormModel(exam, open_banks(exam, DEMO_KEY).banks)
    seed = 2492773437805313454
    _, weights = model.ranking(seed)
    first = model._solve(weights)
    rival = model._solve(weights, exclude=first)
    if sum(weights[i] for i in rival) != sum(weights[i] for i in first):
        pytest.skip("the sample banks changed: this seed no longer ties")
    chosen = model.select(seed)
    assert chosen == model.select(seed) and not model.violations(chosen)
    assert chosen == model._solve(model.ranking(seed, 1)[1])  # round 1's optimum, not either tied one


def test_exposure_stays_under_the_cap_over_many_forms() -> None:
    report = simulate(MODEL, 300)
    assert report.violations == ()
    _, share = report.max_exposure
    assert share <= 0.6
    # Exposure is a share of forms: per module the shares add up to the items drawn.
    assert sum(report.exposure.values()) == pytest.approx(36)
    assert report.expected_sd < 0.5
    assert min(report.exposure.values()) > 0.1  # the random objective uses the whole bank


def test_simulate_counts_a_form_that_breaks_a_constraint(monkeypatch) -> None:
    model = FormModel(definition(), BANKS)
    bad = tuple(range(12)) + tuple(range(30, 42)) + tuple(range(60, 72))  # first items: quotas broken
    monkeypatch.setattr(model, "select", lambda seed: bad)
    report = simulate(model, 3)
    assert len([v for v in report.violations if v.startswith("form")]) >= 3
    assert any("exposure cap" in v for v in report.violations)  # the same items on every form


def test_exposure_cap_below_the_bank_average_is_refused() -> None:
    with pytest.raises(CcsooError, match=r"module 1 \(bank ccsoo-m1\): the exposure cap 0.30 is below 12/30 = 0.40"):
        FormModel(definition(cap="0.3"), BANKS)


def test_an_unreachable_difficulty_target_names_module_and_constraint() -> None:
    labels = ("medium",) * 9 + ("hard",)  # bank mean 0.1: four items can only average 0 or 0.25
    banks = {f"ccsoo-m{m}": varied_bank(m, 10, labels=labels) for m in (1, 2, 3)}
    exam = definition(4, tolerance="0", topic_quotas=False, cap=None)
    with pytest.raises(CcsooError) as info:
        assemble_form(exam, banks, 1)
    assert len(info.value.problems) == 1
    message = str(info.value)
    assert "module 1 (bank ccsoo-m1): no form of 4 items meets the difficulty target (mean +0.100 +- 0.000" in message
    assert "tolerance" in message


def test_enemies_within_a_bank_that_leave_no_form_are_named() -> None:
    ids = [f"T2-{n:03d}" for n in range(1, 7)]
    links = {i: [j for j in ids if j != i] for i in ids}  # six items, every pair enemies, draw two
    banks = {
        "ccsoo-m1": varied_bank(1, 6),
        "ccsoo-m2": varied_bank(2, 6, links),
        "ccsoo-m3": varied_bank(3, 6),
    }
    exam = definition(2, topic_quotas=False, target_is_bank_mean=False, cap=None)
    with pytest.raises(CcsooError, match=r"module 2 \(bank ccsoo-m2\): the enemy pairs within the bank"):
        assemble_form(exam, banks, 3)


def test_enemies_across_modules_that_leave_no_form_are_named() -> None:
    links = {f"T1-{n:03d}": [f"T2-{k:03d}" for k in range(1, 4)] for n in range(1, 4)}
    banks = {"ccsoo-m1": varied_bank(1, 3, links), "ccsoo-m2": varied_bank(2, 3), "ccsoo-m3": varied_bank(3, 3)}
    exam = definition(1, topic_quotas=False, target_is_bank_mean=False, cap=None)
    with pytest.raises(CcsooError, match="enemy pairs across modules leave no form"):
        assemble_form(exam, banks, 3)


def sample_copy(tmp_path, replace_text: tuple[str, str]) -> str:
    from tests.conftest import ROOT

    source = ROOT / "question_banks"
    for bank in [*source.glob("module*.bank"), source / "release.manifest"]:
        (tmp_path / bank.name).write_bytes(bank.read_bytes())
    text = (source / "exam.yaml").read_text()
    assert replace_text[0] in text
    (tmp_path / "exam.yaml").write_text(text.replace(*replace_text))
    return str(tmp_path / "exam.yaml")


def test_form_simulate_json_on_the_sample_package(tmp_path, capsys) -> None:
    import json

    from ccsoo_exam.cli import main
    from tests.conftest import ROOT

    exam = sample_copy(tmp_path, ("exposure_cap: 0.5", "exposure_cap: 0.95"))
    key = str(ROOT / "question_banks" / "demo.key")
    assert main(["form", "simulate", "--exam", exam, "-n", "30", "--format", "json", "--key-file", key]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["forms"] == 30 and data["violations"] == 0
    assert data["expected_score"]["sd"] < 0.5
    from ccsoo_exam.bank import load_bank

    items = sum(len(load_bank(str(f)).items) for f in (ROOT / "question_banks" / "source").glob("module*.yaml"))
    assert sum(h["items"] for h in data["exposure"]["histogram"]) == items  # every item of the five banks
    assert all(t["forms_without"] == 0 for t in data["topics"] if t["quota"][0] > 0)
    assert 0 < data["exposure"]["max"] <= 0.95


def test_an_infeasible_sample_definition_is_one_line_without_traceback(tmp_path, capsys) -> None:
    from ccsoo_exam.cli import main
    from tests.conftest import ROOT

    exam = sample_copy(tmp_path, ("target: bank", "target: 0.9"))
    key = str(ROOT / "question_banks" / "demo.key")
    assert main(["form", "simulate", "--exam", exam, "-n", "5", "--key-file", key]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "module 1 (bank ccsoo-m1): no form of 16 items meets the difficulty target (mean +0.900" in err
