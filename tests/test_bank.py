"""Bank format validation: valid banks load exactly; every problem is reported at its line."""

from __future__ import annotations

import pytest

from ccsoo_exam.bank import load_bank
from ccsoo_exam.errors import CcsooError
from tests.conftest import bank_yaml


def problems_of(path: str) -> list[str]:
    with pytest.raises(CcsooError) as info:
        load_bank(path)
    return [str(p) for p in info.value.problems]


def test_valid_bank_loads_with_items_in_order(write) -> None:
    bank = load_bank(write("b.yaml", bank_yaml(count=5)))
    assert bank.id == "ccsoo-m1" and bank.module == 1
    assert [i.id for i in bank.items] == [f"T1-{n:03d}" for n in range(1, 6)]
    assert bank.items[0].key == "B" and bank.items[0].kind == "scenario"


def test_option_text_that_yaml_11_would_coerce_survives(write) -> None:
    text = bank_yaml(count=1).replace("Response A for case 001", "no").replace("Response B for case 001", "010")
    text = text.replace("Response C for case 001", "2024-01-01").replace("Response D for case 001", "yes")
    item = load_bank(write("b.yaml", text)).items[0]
    assert dict(item.options) == {"A": "no", "B": "010", "C": "2024-01-01", "D": "yes"}


def test_every_problem_reported_in_one_run_with_lines(write) -> None:
    path = write(
        "bad.yaml",
        """
bank: Bad Id
modul: 1
title: X
items:
  - id: X1
    stem: ""
    options: {A: a, B: b}
    key: F
    rationale: r
    topic: t
    difficulty: trivial
    sorce: x
  - not a mapping
""",
    )
    found = problems_of(path)
    joined = "\n".join(found)
    assert f"{path}:2: 'bank' must be lowercase" in joined
    assert f"{path}:3: unknown field 'modul' in the bank; did you mean 'module'?" in joined
    assert "missing required field 'module'" in joined
    assert f"{path}:7: item X1 'stem' is empty" in joined
    assert (
        f"{path}:8: item X1 'options' must have 3 to 5 letters from A with none skipped (A-C, A-D or A-E; missing C)"
        in joined
    )
    assert f"{path}:9: item X1 'key' must be one of A, B, C, D, E, not 'F'" in joined
    assert "not 'trivial'" in joined
    assert "did you mean 'source'?" in joined
    assert f"{path}:14: item 2 must be a mapping" in joined
    assert len(found) >= 9


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("module: 1", "module: 6", "between 1 and 5"),
        ("module: 1", "module: one", "whole number"),
        ("items:", "items: []\nx:", "unknown field 'x'"),
        ("    key: B\n", "    key: [B]\n", "must be text"),
        ("Response B for case 001", "Response A for case 001", "same text"),
    ],
)
def test_wrong_types_and_values(write, old: str, new: str, message: str) -> None:
    path = write("b.yaml", bank_yaml(count=2).replace(old, new, 1))
    assert any(message in p for p in problems_of(path))


def test_duplicate_item_ids(write) -> None:
    path = write("b.yaml", bank_yaml(count=2).replace("T1-002", "T1-001"))
    assert any("used twice" in p for p in problems_of(path))


def test_top_level_must_be_a_mapping(write) -> None:
    assert "must be a mapping" in problems_of(write("b.yaml", "- a\n- b\n"))[0]


def test_enemies_are_item_ids_and_never_the_item_itself(write) -> None:
    text = bank_yaml(count=2).replace("    topic:", "    enemies: [M5-027, T1-002]\n    topic:", 1)
    bank = load_bank(write("b.yaml", text))
    assert bank.items[0].enemies == ("M5-027", "T1-002") and bank.items[1].enemies == ()
    bad = bank_yaml(count=1).replace("    topic:", "    enemies: [T1-001, 'not an id!']\n    topic:", 1)
    found = problems_of(write("bad.yaml", bad))
    assert any("lists itself" in p for p in found) and any("'not an id!' is not an item id" in p for p in found)


def _bank_with_options(write, options: str, key: str) -> str:
    return write(
        "k.yaml",
        f"""\
bank: ccsoo-k
module: 1
title: T
items:
  - id: K1
    stem: "Which one?"
    options: {options}
    key: {key}
    rationale: r
    topic: t
    difficulty: easy
    source: s
""",
    )


def test_three_and_five_options_load_with_their_own_letters(write) -> None:
    three = load_bank(_bank_with_options(write, "{A: one, B: two, C: three}", "C")).items[0]
    assert three.letters == ("A", "B", "C") and three.key == "C"
    five = load_bank(_bank_with_options(write, "{A: a1, B: b2, C: c3, D: d4, E: e5}", "E")).items[0]
    assert five.letters == ("A", "B", "C", "D", "E") and five.options["E"] == "e5"


def test_a_key_outside_the_items_letters_and_gaps_are_refused(write) -> None:
    joined = "\n".join(problems_of(_bank_with_options(write, "{A: one, B: two, C: three}", "D")))
    assert "item K1 'key' must be one of A, B, C, not 'D'" in joined
    joined = "\n".join(problems_of(_bank_with_options(write, "{A: a, B: b, D: d}", "A")))
    assert "with none skipped (A-C, A-D or A-E; missing C; unexpected 'D')" in joined
    six = "{A: a, B: b, C: c, D: d, E: e, F: f}"
    assert "unexpected 'F'" in "\n".join(problems_of(_bank_with_options(write, six, "A")))


def test_import_placeholders_are_refused_until_filled(write) -> None:
    path = write(
        "p.yaml",
        """\
bank: ccsoo-p
module: "TODO: the module number, 1-5"
title: "TODO: the module title"
items:
  - id: "P1"
    stem: "Which one?"
    options: {A: "a", B: "b", C: "c"}
    key: "A"
    rationale: "TODO: why A is right and each other option wrong"
    topic: "TODO: topic"
    difficulty: "TODO: easy, medium or hard"
    source: "TODO: the source document"
""",
    )
    found = problems_of(path)
    assert f"{path}:2: the bank 'module' is a placeholder from import; fill it in" in found
    assert f"{path}:3: the bank 'title' is a placeholder from import; fill it in" in found
    for line, field in ((9, "rationale"), (10, "topic"), (11, "difficulty"), (12, "source")):
        assert f"{path}:{line}: item P1 '{field}' is a placeholder from import; fill it in" in found
    assert len(found) == 6, found  # one line per placeholder, no echo from the field's own check
