"""The candidate's basic calculator: four functions, percent and memory, in exact decimals.

Pure and synchronous: the screen sends key names to ``Calculator.press`` and shows
``display`` and ``pending``. Arithmetic is ``decimal.Decimal``, so 0.1 + 0.2 is 0.3, as on a
desk calculator; a division by zero, or a result too long for the display, shows "Error"
until the next digit or clear. Nothing here is ever saved as an answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext

ERROR = "Error"
MAX_DIGITS = 16  # what the display holds; longer entries are refused, longer results are an error
PLACES = Decimal("1e-10")  # results are rounded to ten decimal places, then trailing zeros dropped
OPERATORS = ("+", "-", "*", "/")
KEYS = (*"0123456789", ".", *OPERATORS, "%", "=", "C", "back", "sign", "M+", "M-", "MR", "MC")


def format_number(value: Decimal) -> str:
    """A result as the display shows it: plain digits, no exponent, no trailing zeros, never -0."""
    with localcontext() as context:
        context.prec = 40
        rounded = value.quantize(PLACES)
        text = format(rounded.normalize(), "f")
    if text in ("-0", "0.0", "-0.0"):
        return "0"
    if len(text.lstrip("-").replace(".", "")) > MAX_DIGITS:
        raise OverflowError(text)
    return text


def apply(left: Decimal, operator: str, right: Decimal) -> Decimal:
    """One of the four functions; ZeroDivisionError for a division by zero."""
    with localcontext() as context:
        context.prec = 34
        context.traps[DivisionByZero] = True
        if operator == "+":
            return left + right
        if operator == "-":
            return left - right
        if operator == "*":
            return left * right
        if right == 0:
            raise ZeroDivisionError
        return left / right


@dataclass
class Calculator:
    """A desk calculator's state: the entry or result shown, one pending operation, and memory."""

    display: str = "0"
    memory: Decimal = field(default=Decimal(0))
    accumulator: Decimal | None = None
    operator: str | None = None
    typing: bool = False  # the display is an entry being typed, not a result

    @property
    def error(self) -> bool:
        return self.display == ERROR

    @property
    def pending(self) -> str:
        """The operation waiting for its second number, e.g. "12 +", or ""."""
        if self.accumulator is None or self.operator is None:
            return ""
        return f"{format_number(self.accumulator)} {self.operator}"

    def value(self) -> Decimal:
        return Decimal(0) if self.error else Decimal(self.display)

    def press(self, key: str) -> None:
        """Apply one key (see ``KEYS``); unknown keys are ignored."""
        if key == "C":
            self.display, self.accumulator, self.operator, self.typing = "0", None, None, False
        elif self.error and key not in ("MC", "MR") and not key.isdigit() and key != ".":
            return  # after an error only a digit, MR, MC or C starts again
        elif key.isdigit() or key == ".":
            self._type(key)
        elif key == "back":
            if self.typing:
                self.display = self.display[:-1] or "0"
                if self.display == "-":
                    self.display = "0"
        elif key == "sign":
            if self.display != "0":
                self.display = self.display[1:] if self.display.startswith("-") else "-" + self.display
        elif key in OPERATORS:
            chained = self.operator is not None and self.typing and self.accumulator is not None
            if chained and not self._show(lambda: apply(self.accumulator, self.operator, self.value())):  # type: ignore[arg-type]
                return  # "Error": a chained division by zero
            self.accumulator, self.operator, self.typing = self.value(), key, False
        elif key == "=":
            if self.operator is not None and self.accumulator is not None:
                left, operator = self.accumulator, self.operator
                self.accumulator, self.operator = None, None
                self._show(lambda: apply(left, operator, self.value()))
            self.typing = False
        elif key == "%":
            self._percent()
        elif key in ("M+", "M-"):
            self.memory = self.memory + self.value() if key == "M+" else self.memory - self.value()
            self.typing = False
        elif key == "MR":
            self._show(lambda: self.memory, entry=True)
        elif key == "MC":
            self.memory = Decimal(0)

    def _type(self, key: str) -> None:
        if self.error or not self.typing:
            if self.error:
                self.accumulator, self.operator = None, None
            self.display, self.typing = "0", True
        if key == "." and "." in self.display:
            return
        if len(self.display.lstrip("-").replace(".", "")) >= MAX_DIGITS:
            return
        self.display = key if self.display == "0" and key != "." else self.display + key

    def _percent(self) -> None:
        """As on a desk calculator: 200 + 10 % is 200 + 20; 200 * 10 % is 200 * 0.1; alone, 10 % is 0.1."""
        entry = self.value()
        if self.accumulator is not None and self.operator in ("+", "-"):
            base = self.accumulator
            self._show(lambda: base * entry / 100, entry=True)
        else:
            self._show(lambda: entry / 100, entry=True)

    def _show(self, compute: object, entry: bool = False) -> bool:
        """Put a result on the display; "Error" for division by zero or a result that does not fit.

        ``entry``: the number stands as the second operand (MR, %), as if typed."""
        try:
            result = compute()  # type: ignore[operator]
            self.display = format_number(result)
        except (ZeroDivisionError, DivisionByZero, InvalidOperation, OverflowError):
            self.display, self.accumulator, self.operator = ERROR, None, None
            self.typing = False
            return False
        self.typing = entry
        return True
