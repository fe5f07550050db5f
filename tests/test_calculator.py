"""The candidate's calculator: exact decimal arithmetic, percent, memory and errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ccsoo_exam.calculator import ERROR, Calculator


def run(*keys: str) -> Calculator:
    calc = Calculator()
    for key in keys:
        calc.press(key)
    return calc


def typed(number: str) -> list[str]:
    return list(number)


def test_four_functions_are_exact_decimals() -> None:
    assert run("0", ".", "1", "+", "0", ".", "2", "=").display == "0.3"
    assert run("7", "-", "1", "0", "=").display == "-3"
    assert run("1", "2", "*", "1", "2", "=").display == "144"
    assert run("1", "/", "3", "=").display == "0.3333333333"
    assert run("1", "0", "/", "4", "=").display == "2.5"


def test_chained_operations_work_left_to_right_and_show_the_pending_step() -> None:
    calc = run("2", "+", "3", "*")
    assert calc.display == "5" and calc.pending == "5 *"
    calc.press("4")
    calc.press("=")
    assert calc.display == "20" and calc.pending == ""


def test_division_by_zero_shows_error_until_a_digit_or_clear() -> None:
    calc = run("5", "/", "0", "=")
    assert calc.display == ERROR and calc.pending == ""
    calc.press("+")
    assert calc.display == ERROR, "an operator after an error does nothing"
    calc.press("8")
    assert calc.display == "8"
    assert run("5", "/", "0", "=", "C").display == "0"
    assert run("5", "/", "0", "+").display == ERROR, "a chained operator divides first"


def test_percent_as_on_a_desk_calculator() -> None:
    assert run("2", "0", "0", "+", "1", "0", "%", "=").display == "220"
    assert run("2", "0", "0", "-", "1", "0", "%", "=").display == "180"
    assert run("2", "0", "0", "*", "1", "0", "%", "=").display == "20"
    assert run("1", "5", "%").display == "0.15"
    assert run("2", "0", "0", "+", "1", "0", "%", "+", "5", "=").display == "225"


def test_memory_adds_subtracts_recalls_and_clears() -> None:
    calc = run("1", "2", "M+", "C", "3", "M+", "C", "5", "M-", "C")
    assert calc.memory == Decimal(10) and calc.display == "0", "clear keeps memory"
    calc.press("MR")
    assert calc.display == "10"
    calc = run("4", "M+", "C", "6", "+", "MR", "+", "1", "=")
    assert calc.display == "11", "a recalled number is an operand like a typed one"
    calc.press("MC")
    calc.press("MR")
    assert calc.display == "0"


def test_entry_editing_sign_and_limits() -> None:
    assert run("1", "2", "3", "back").display == "12"
    assert run("1", ".", ".", "5").display == "1.5"
    assert run("4", "sign").display == "-4"
    assert run("4", "sign", "sign").display == "4"
    assert run(*["9"] * 20).display == "9" * 16, "the display holds 16 digits"
    assert run(*["9"] * 16, "*", *["9"] * 16, "=").display == ERROR, "a result too long is an error, not a wrong number"
    assert run("5", "=", "=").display == "5"
    assert run("2", "-", "2", "=").display == "0"


@given(
    st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["+", "-", "*"]),
)
def test_results_match_decimal_arithmetic(left: Decimal, right: Decimal, operator: str) -> None:
    calc = Calculator()
    for number in (left, right):
        text = format(abs(number), "f")
        for key in text:
            calc.press(key)
        if number < 0:
            calc.press("sign")
        if number is left:
            calc.press(operator)
    calc.press("=")
    expected = {"+": left + right, "-": left - right, "*": left * right}[operator]
    assert Decimal(calc.display) == expected


def test_the_exam_definition_says_whether_a_calculator_is_allowed(tmp_path) -> None:
    import pytest

    from ccsoo_exam.errors import CcsooError
    from ccsoo_exam.exam import load_exam
    from tests.exam_fixtures import EXAM_PATH

    assert load_exam(EXAM_PATH).calculator == "basic", "34 sample items need arithmetic"
    source = Path(EXAM_PATH).read_text(encoding="utf-8")
    without = tmp_path / "without.yaml"
    without.write_text(source.replace("calculator: basic\n", ""), encoding="utf-8")
    assert load_exam(str(without)).calculator == "none", "no calculator unless the definition allows one"
    scientific = tmp_path / "scientific.yaml"
    scientific.write_text(source.replace("calculator: basic", "calculator: scientific"), encoding="utf-8")
    with pytest.raises(CcsooError) as raised:
        load_exam(str(scientific))
    assert "'calculator' must be one of basic, none" in str(raised.value.problems[0].message)
