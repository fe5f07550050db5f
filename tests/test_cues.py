"""The structural-cue audit: each cue is seen, each rule and the model catch it, clean banks pass."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from types import MappingProxyType

import numpy as np
import pytest

from ccsoo_exam import testwise
from ccsoo_exam.bank import LETTERS as ALL_LETTERS
from ccsoo_exam.bank import Bank, Item
from ccsoo_exam.cli import main
from ccsoo_exam.cue_audit import ALL, run_audit
from ccsoo_exam.cues import content_words, item_shapes, misfit, parts
from ccsoo_exam.duplicates import THRESHOLD, similar_pairs
from ccsoo_exam.lint import lint_bank
from ccsoo_exam.testwise import RULES, credit, cross_validate, picked

LETTERS = ALL_LETTERS[:4]  # the helpers below build four-option items, as the CCSOO banks have


def item(
    n: int, options: list[str], key: str = "A", stem: str = "", module: int = 1, enemies: tuple[str, ...] = ()
) -> Item:
    rationale = f"{key} is right. " + " ".join(
        f"Option {x} is wrong because it fails." for x in LETTERS[: len(options)] if x != key
    )
    return Item(
        id=f"T{module}-{n:03d}",
        stem=stem or f"Which response best serves situation {n}?",
        options=MappingProxyType(dict(zip(LETTERS, options, strict=False))),
        key=key,
        rationale=rationale,
        topic="Strategy",
        difficulty="medium",
        source="000: scope",
        kind="scenario",
        line=n,
        enemies=enemies,
    )


def bank(items: list[Item], module: int = 1) -> Bank:
    return Bank(f"ccsoo-m{module}", module, "Sample", tuple(items), path=f"module{module}.yaml")


def cued_bank(key_text: str, other_text: str, count: int = 20, module: int = 1) -> Bank:
    """Every key carries a shape no distractor has; keys rotate over the letters."""
    items = []
    for n in range(1, count + 1):
        key = LETTERS[n % 4]
        options = [(key_text if x == key else other_text).format(n=n, x=x) for x in LETTERS]
        items.append(item(n, options, key, module=module))
    return bank(items, module)


# Four option shapes, each the key in a quarter of the items: no shape tracks the key.
# {w} is a word of the item's own, so that items do not read as duplicates of each other.
TEMPLATES = (
    "Review the {w} plan",
    "Set a {w} target, assign an owner and report progress monthly",
    "Escalate {w} to the board, because the risk is high",
    "Pilot a {w} change where demand may allow it",
)


def own_words(n: int) -> str:
    return " ".join(f"{stem}{n}" for stem in ("kappa", "sigma", "omega"))


def balanced_bank(count: int = 40, module: int = 1, prefix: int = 0) -> Bank:
    items = []
    for n in range(1, count + 1):
        shift = (n // 4) % 4
        order = [TEMPLATES[(i + shift) % 4] for i in range(4)]
        key = LETTERS[order.index(TEMPLATES[n % 4])]
        w = own_words(n + prefix)
        stem = f"Which response best serves {w}?"
        items.append(item(n + prefix, [t.format(w=w) for t in order], key, stem=stem, module=module))
    return bank(items, module)


def shape(options: list[str], stem: str = "Which is best?", key: str = "A"):
    return item_shapes(item(1, options, key, stem=stem))


# --- features -----------------------------------------------------------------------------


def test_length_rank_with_ties_shares_the_ranks() -> None:
    s = shape(["x" * 10, "x" * 20, "x" * 20, "x" * 5])
    assert [o.rank for o in s] == [3, 1.5, 1.5, 4]
    assert s[1].rank_share == (0.5, 0.5, 0.0, 0.0)
    assert s[3].rank_share == (0.0, 0.0, 0.0, 1.0)
    assert s[0].relative_length == pytest.approx(10 / 13.75)
    assert sum(o.rank_share[0] for o in s) == pytest.approx(1.0)


def test_parts_count_conjunctions_commas_and_numbering() -> None:
    assert parts("Review the plan") == (1, 0)
    assert parts("Review the plan, retrain the team and report monthly")[0] == 3
    assert parts("Review the plan with the team")[0] == 2
    assert parts("Pay $1,200,000 now")[0] == 1  # a thousands comma is not a list
    assert parts("(1) review (2) retrain (3) report") == (3, 3)
    assert parts("First review the plan, then retrain; finally report")[0] >= 3
    # The tail's own clauses are the tail cue, not a list.
    assert parts("Review the plan, because costs, risks and delays rise")[0] == 1


def test_justification_tail_hedge_and_absolute() -> None:
    s = shape(
        [
            "Cut staff so that costs fall",
            "Cut staff where demand may allow it",
            "Always cut all staff",
            "Cut staff in stages",
        ]
    )
    assert (s[0].tail, s[0].tail_word) == (True, "so that")
    assert not any(o.tail for o in s[1:])
    assert s[1].hedges == 2 and s[0].hedges == 0
    assert s[2].absolutes == 2 and s[3].absolutes == 0


def test_stem_overlap_uses_stemmed_content_words() -> None:
    s = shape(
        ["Track the escalations by channel", "Hire more agents", "Buy a new platform", "Publish a survey"],
        stem="Escalated contacts rose in every channel. What should the COO do?",
    )
    assert s[0].overlap == 2  # escalat(ed/ions) and channel; stopwords and 'COO' do not count
    assert s[1].overlap == 0
    assert content_words("The team's escalations") == content_words("team escalation")


def test_grammatical_fit_with_an_open_stem() -> None:
    assert misfit("The first thing to commission is an", "review of the queue")
    assert not misfit("The first thing to commission is an", "audit of the queue")
    assert misfit("The first thing to commission is a", "audit of the queue")
    assert misfit("The two measures that matter are", "A single index")
    assert not misfit("Which is best?", "review of the queue")  # a question expects any answer


def test_odd_one_out_is_the_option_unlike_the_rest() -> None:
    s = shape(
        [
            "Cut staff in stages",
            "Cut staff in phases",
            "Cut staff so that costs fall",
            "Cut staff on Monday",
        ]
    )
    assert max(s, key=lambda o: o.oddness).letter == "C"
    assert picked(s, next(r for r in RULES if r.name == "odd-one-out").score) == ["C"]


def test_full_stop_is_a_shape_feature() -> None:
    s = shape(["Cut staff.", "Cut staff", "Hire staff", "Move staff"])
    assert [o.period for o in s] == [True, False, False, False]


# --- rules, ties and the audit ------------------------------------------------------------


def test_ties_split_credit() -> None:
    assert credit(["A", "B"], "A") == 0.5
    assert credit(["A", "B", "C", "D"], "C") == 0.25
    assert credit(["A", "B"], "D") == 0.0
    same = shape(["Same text", "Same text", "Same text", "Same text"])
    for rule in RULES:
        assert picked(same, rule.score) == list(LETTERS), rule.name


# Distractor texts carry {x} (their letter) so that the four options differ.
CUES = {
    "longest": ("Review case {n}{x} and the full plan in detail now", "Review case {n}{x} now"),
    "shortest": ("Review {n}{x}", "Review case {n}{x} in full detail"),
    "most-parts": ("Review case {n}{x}, retrain staff and report monthly", "Review case {n}{x} in full detail now"),
    "no-tail": ("Review case {n}{x} in full detail now", "Review case {n}{x} now, because it helps"),
    "tail": ("Review case {n}{x} now, because it helps", "Review case {n}{x} in full detail now"),
    "hedged": ("Review case {n}{x} where it may help", "Review case {n}{x} in the detail now"),
    "no-absolute": ("Review case {n}{x} in full detail", "Always review case {n}{x} in full"),
    "odd-one-out": ("Review case {n}{x} now.", "Review case {n}{x} now"),
}


@pytest.mark.parametrize("rule_name", sorted(CUES))
def test_each_cue_makes_its_rule_and_the_audit_fail(rule_name: str) -> None:
    audit = run_audit([cued_bank(*CUES[rule_name])])
    assert audit.rules[rule_name].overall == 1.0
    assert rule_name in audit.failing_rules
    assert any(f"rule '{rule_name}'" in str(p) for p in audit.failures)
    # Guidance names each item and the cue, so an author knows what to rewrite.
    assert len(audit.guidance) == 20 and audit.guidance[0].message.startswith("T1-001: key")


def test_stem_overlap_cue() -> None:
    items = []
    for n in range(1, 21):
        key = LETTERS[n % 4]
        stem = f"Backlog of refunds grew in region {n}. What now?"
        options = [f"Clear the refund backlog in region {n}" if x == key else f"Hire more agents {x}" for x in LETTERS]
        items.append(item(n, options, key, stem=stem))
    audit = run_audit([bank(items)])
    assert audit.rules["most-overlap"].overall == 1.0
    assert "most-overlap" in audit.failing_rules


def test_grammar_cue() -> None:
    items = []
    for n in range(1, 21):
        key = LETTERS[n % 4]
        options = [f"audit of queue {n}" if x == key else f"review of queue {n}" for x in LETTERS]
        items.append(item(n, options, key, stem=f"For case {n}, the first thing to commission is an"))
    audit = run_audit([bank(items)])
    assert audit.rules["fits-stem"].overall == 1.0


def test_a_balanced_bank_passes_the_audit() -> None:
    clean = balanced_bank()
    audit = run_audit([clean])
    for name, figure in audit.rules.items():
        assert figure.overall == pytest.approx(0.25), name
    assert all(0.15 <= r.overall <= 0.35 for r in audit.ranks)
    assert audit.model is not None and audit.model.overall <= 0.30
    assert audit.failures == [] and audit.duplicates == ()
    assert lint_bank(clean) == []


def test_key_length_rank_outside_the_band_fails() -> None:
    # Keys always second-longest, between the longest distractor and the other two.
    items = []
    for n in range(1, 21):
        key = LETTERS[n % 4]
        lengths = dict(zip((x for x in LETTERS if x != key), (10, 15, 30), strict=True))
        lengths[key] = 22
        items.append(item(n, [f"{n:03d}" + "x" * lengths[x] for x in LETTERS], key))
    audit = run_audit([bank(items)])
    assert audit.ranks[1].overall == 1.0 and audit.ranks[0].overall == 0.0
    messages = [p.message for p in audit.failures]
    assert any("length rank 2 (1 = longest) in 100.0%" in m for m in messages)
    assert any("length rank 1 (1 = longest) in 0.0%" in m for m in messages)


def test_one_bank_alone_is_judged_at_the_per_bank_level() -> None:
    # 3 items whose key alone has a tail, 17 where all options look alike: 'tail' finds 36%.
    items = []
    for n in range(1, 21):
        key = LETTERS[n % 4]
        tail = "Act on {n}{x} now, because it helps" if n <= 3 else "Act on {n}{x} now"
        items.append(item(n, [(tail if x == key else "Act on {n}{x} now").format(n=n, x=x) for x in LETTERS], key))
    alone = run_audit([bank(items)])
    assert alone.rules["tail"].overall == pytest.approx(0.3625)
    assert not any("rule 'tail'" in p.message for p in alone.failures)
    assert any("warning: test-wise rule 'tail'" in p.message for p in alone.warnings)
    assert [p.message.split(":")[0] for p in alone.guidance] == ["T1-001", "T1-002", "T1-003"]
    together = run_audit([bank(items), balanced_bank(20, module=2)])
    assert together.rules["tail"].overall > 0.30
    assert any("rule 'tail'" in p.message for p in together.failures)


def test_per_bank_warning_only_with_several_banks() -> None:
    cued = cued_bank(*CUES["tail"], module=2)
    audit = run_audit([balanced_bank(40, 1), balanced_bank(40, 3), balanced_bank(40, 4), cued])
    assert audit.rules["tail"].per_bank["module2.yaml"] == 1.0
    assert any(p.path == "module2.yaml" and "rule 'tail'" in p.message for p in audit.warnings)
    assert audit.features[ALL][0].name.startswith("longest")


# --- the model --------------------------------------------------------------------------


def test_model_never_sees_the_module_it_is_scored_on(monkeypatch) -> None:
    calls: list[set[str]] = []
    real = testwise.design

    def spy(items):
        calls.append({i.id for i in items})
        return real(items)

    monkeypatch.setattr(testwise, "design", spy)
    banks = {f"m{m}": list(balanced_bank(12, m).items) for m in (1, 2, 3)}
    cv = cross_validate(banks)
    assert cv is not None and cv.method.startswith("leave one bank out")
    # design() is called for the training set, then for the held-out module, fold by fold.
    for (training, held_out), module in zip(zip(calls[::2], calls[1::2], strict=True), banks, strict=True):
        assert held_out == {i.id for i in banks[module]}
        assert not training & held_out
        assert training == {i.id for m, items in banks.items() if m != module for i in items}


def test_model_learns_a_cue_from_other_modules_only() -> None:
    # Modules 1-4 key the long option. In module 5 the long option is a distractor, and it
    # alone is hedged, a cue no other module shows. Held out, module 5 is judged by what
    # modules 1-4 taught (pick the long one) and scores nothing; a model that had seen
    # module 5 would have learned that its hedge marks a distractor, and score.
    long_text, plain = "Review case {n}{x} and the full plan in detail now", "Review case {n}{x} now"
    banks = {f"m{m}": list(cued_bank(long_text, plain, module=m).items) for m in (1, 2, 3, 4)}
    decoy_text = "Review case {n}{x} and the full plan where it may help"
    decoys = []
    for n in range(1, 21):
        key, decoy = LETTERS[n % 4], LETTERS[(n + 1) % 4]
        decoys.append(item(n, [(decoy_text if x == decoy else plain).format(n=n, x=x) for x in LETTERS], key, module=5))
    banks["m5"] = decoys
    cv = cross_validate(banks)
    assert cv is not None
    assert np.mean(cv.credit["m1"]) == 1.0
    assert np.mean(cv.credit["m5"]) == 0.0
    seen = testwise.fit(*testwise.design([i for items in banks.values() for i in items]))
    assert np.mean(testwise.model_credit(seen, *testwise.design(decoys))) > 0.3


def test_model_on_one_bank_falls_back_to_k_fold_and_says_so() -> None:
    audit = run_audit([cued_bank(*CUES["most-parts"], count=40)])
    assert "5-fold by item within one bank" in audit.model_method
    assert audit.model is not None and audit.model.overall == 1.0
    assert any("test-wise model" in p.message for p in audit.failures)
    assert cross_validate({"m1": list(cued_bank(*CUES["tail"], count=6).items)}) is None


def test_fit_recovers_the_direction_of_a_cue() -> None:
    x, y = testwise.design(list(cued_bank(*CUES["tail"], count=20).items))
    model = testwise.fit(x, y)
    assert model.weights[testwise.FEATURES.index("tail")] > 0.2
    fresh = item(99, ["Act now", "Act now, because it helps", "Act later", "Act soon"], "B")
    hx, hy = testwise.design([fresh])
    assert testwise.model_credit(model, hx, hy) == [1.0]


# --- near-duplicates --------------------------------------------------------------------


def test_near_duplicates_across_banks_fail_unless_declared() -> None:
    stem_a = "A retailer's queue misses service level at peak while the afternoon is idle. What should the COO do?"
    stem_b = "A bank's service level is missed at peak while afternoons are idle. What should the COO do?"
    key_text = "Offer scheduled callbacks that move peak workload into idle afternoon intervals"
    other = ["Hire staff {x}", "Raise the target {x}", "Close the queue {x}"]

    def pair_bank(module: int, stem: str, enemies: tuple[str, ...] = ()) -> Bank:
        filler = balanced_bank(12, module, prefix=100 * module).items
        twin = item(1, [key_text, *(o.format(x=module) for o in other)], "A", stem, module, enemies)
        return Bank(f"ccsoo-m{module}", module, "Sample", (twin, *filler), path=f"module{module}.yaml")

    audit = run_audit([pair_bank(1, stem_a), pair_bank(2, stem_b)])
    found = [p for p in audit.duplicates if {p.first.id, p.second.id} == {"T1-001", "T2-001"}]
    assert found and found[0].score >= THRESHOLD and not found[0].declared
    assert any("item T1-001 and item T2-001" in p.message and "enemies: [T2-001]" in p.message for p in audit.failures)
    declared = run_audit([pair_bank(1, stem_a), pair_bank(2, stem_b, enemies=("T1-001",))])
    assert [p.declared for p in declared.duplicates if p.first.id == "T1-001"] == [True]
    assert not any("T1-001" in p.message for p in declared.failures)


def test_an_enemy_that_is_nowhere_is_a_warning() -> None:
    lonely = item(1, ["Act now", "Act later", "Act soon", "Wait"], enemies=("T9-999",))
    audit = run_audit([bank([lonely, *balanced_bank(12, prefix=10).items])])
    assert [p.message for p in audit.warnings if "T9-999" in p.message] == [
        "warning: item T1-001 declares enemy T9-999, which is in none of the banks given"
    ]
    assert not any("T9-999" in p.message for p in audit.failures)


def test_house_style_alone_is_not_a_duplicate() -> None:
    # Items that share every word but their case number share nothing that weighs.
    assert similar_pairs([balanced_bank(40)]) == []


# --- command line -------------------------------------------------------------------------


def _write_bank(write, name: str, b: Bank) -> str:
    lines = [f"bank: {b.id}", f"module: {b.module}", "title: Sample", "items:"]
    for i in b.items:
        lines += [f"  - id: {i.id}", f"    stem: {json.dumps(i.stem)}", "    options:"]
        lines += [f"      {x}: {json.dumps(i.options[x])}" for x in LETTERS]
        lines += [
            f"    key: {i.key}",
            f"    rationale: {json.dumps(i.rationale)}",
            "    topic: Strategy",
            "    difficulty: medium",
            '    source: "000: scope"',
        ]
    return write(name, "\n".join(lines) + "\n")


def test_cli_lint_fails_a_cued_bank_and_names_items(write, capsys) -> None:
    path = _write_bank(write, "cued.yaml", cued_bank(*CUES["no-tail"]))
    assert main(["bank", "lint", path]) == 1
    captured = capsys.readouterr()
    assert "test-wise rule 'no-tail'" in captured.err
    assert re.search(rf"{re.escape(path)}:\d+: T1-001: .*key has no justification tail", captured.err)
    assert "no-tail" in captured.out and "FAIL" in captured.out


def test_cli_lint_passes_a_balanced_bank_and_reports_json(write, capsys) -> None:
    path = _write_bank(write, "clean.yaml", balanced_bank())
    assert main(["bank", "lint", path]) == 0
    assert "structural-cue audit over 1 bank(s), 40 items" in capsys.readouterr().out
    assert main(["bank", "lint", "--format", "json", path]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True
    assert report["audit"]["rules"]["longest"]["overall"] == 0.25
    assert set(report["audit"]["key_length_rank"]) == {"1", "2", "3", "4"}
    assert report["audit"]["model"]["method"].startswith("5-fold")


def test_cli_json_reports_failures(write, capsys) -> None:
    path = _write_bank(write, "cued.yaml", cued_bank(*CUES["hedged"]))
    assert main(["bank", "lint", "--format", "json", path]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is False
    assert any("rule 'hedged'" in f["message"] for f in report["audit"]["failures"])


def test_cli_inspect_summarises_the_audit_and_coverage(write, capsys) -> None:
    path = _write_bank(write, "clean.yaml", balanced_bank())
    assert main(["bank", "inspect", path]) == 0
    out = capsys.readouterr().out
    assert "structural-cue audit" in out and "rank 1" in out and "model" in out
    assert "coverage by topic over all banks (1 topics, 40 items)" in out
    assert "40  Strategy  (M1 40)" in out


def test_cli_bad_input_is_one_line_and_no_traceback(write, capsys) -> None:
    good = _write_bank(write, "clean.yaml", balanced_bank())
    bad = write("bad.yaml", "bank: x\n")
    assert main(["bank", "lint", good, bad, "missing.yaml"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{bad}:1: the bank is missing required field 'module'" in err
    assert "missing.yaml" in err


def test_author_commands_other_than_lint_do_not_load_the_model() -> None:
    # validate, encrypt and decrypt stay quick: numpy comes in only when lint or inspect runs.
    code = "import sys\nimport ccsoo_exam.cli.bank\nassert 'numpy' not in sys.modules\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
