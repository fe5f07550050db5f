"""Item-writing flaws: each check fires on the flaw and stays quiet on a clean bank."""

from __future__ import annotations

from ccsoo_exam.bank import load_bank
from ccsoo_exam.lint import lint_bank, summarise
from tests.conftest import bank_yaml


def flaws(write, text: str) -> list[str]:
    return [str(p) for p in lint_bank(load_bank(write("b.yaml", text)))]


def test_clean_bank_has_no_flaws(write) -> None:
    assert flaws(write, bank_yaml(count=20)) == []


def test_all_of_the_above(write) -> None:
    text = bank_yaml(count=20).replace("Response D for case 003", "All of the above")
    assert any("'All of the above'" in f for f in flaws(write, text))


def test_negative_stem_needs_capitals(write) -> None:
    lower = bank_yaml(count=20).replace(
        "Which response best serves case number 5", "Which response does not serve case 5"
    )
    upper = bank_yaml(count=20).replace(
        "Which response best serves case number 5", "Which response does NOT serve case 5"
    )
    assert any("stem is negative ('not')" in f for f in flaws(write, lower))
    assert flaws(write, upper) == []


def test_duplicate_stems(write) -> None:
    text = bank_yaml(count=20).replace("case number 7 of", "case number 6 of")
    assert any("repeats the stem of item T1-006" in f for f in flaws(write, text))


def test_rationale_must_answer_each_distractor(write) -> None:
    text = bank_yaml(count=20).replace("Option C is wrong because it misses the point. Option D", "Option D", 1)
    assert any("does not say why Option C is wrong" in f for f in flaws(write, text))


def test_key_letter_balance(write) -> None:
    text = bank_yaml(count=20)
    for n in (4, 8, 12, 16, 20):  # these items are keyed A; move them to B
        text = text.replace(f"T1-{n:03d}\n", f"T1-{n:03d}\n", 1)
    text = text.replace("    key: A\n", "    key: B\n").replace("      A is right", "      B is right")
    found = flaws(write, text)
    assert any("key A is the answer to 0 of 20 items" in f for f in found)
    assert any("key B is the answer to 10 of 20 items (50%)" in f for f in found)


def test_key_longest_too_often(write) -> None:
    text = bank_yaml(count=20)
    bank = load_bank(write("b.yaml", text))
    for item in bank.items[:8]:
        text = text.replace(
            f"Response {item.key} for case {item.id[-3:]}", f"Response {item.key} for case {item.id[-3:]} in full"
        )
    found = flaws(write, text)
    assert any("longest option in 8 of 20 items (40%)" in f for f in found)
    assert summarise(load_bank(write("b.yaml", text))).key_longest == 8


def test_absolutes_only_in_distractors_are_a_cue(write) -> None:
    text = bank_yaml(count=20)
    bank = load_bank(write("b.yaml", text))
    for item in bank.items[:9]:
        wrong = next(letter for letter in "ABCD" if letter != item.key)
        text = text.replace(
            f"Response {wrong} for case {item.id[-3:]}", f"Response {wrong} always, for case {item.id[-3:]}"
        )
    found = flaws(write, text)
    assert any("appear in 15% of distractors but 0% of keys" in f for f in found)
    balanced = text
    for item in bank.items[9:14]:
        balanced = balanced.replace(
            f"Response {item.key} for case {item.id[-3:]}", f"Response {item.key} in every case {item.id[-3:]}"
        )
    assert not any("absolute words" in f for f in flaws(write, balanced))
