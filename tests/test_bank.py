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
    options: {A: a, B: b, C: c}
    key: E
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
    assert f"{path}:8: item X1 'options' must have exactly A, B, C, D (missing D)" in joined
    assert f"{path}:9: item X1 'key' must be one of A, B, C, D, not 'E'" in joined
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
