"""Recompute the arithmetic of numeric exam items.

An item may carry a ``calculation`` mapping with ``expression`` (plain arithmetic
over numbers and the workforce functions below), ``value`` (the result the
author worked out), optional ``tolerance`` (absolute; default 0.5% of value)
and ``shows`` (text that must appear in the keyed option). The expression is
evaluated through a tiny AST walker, never ``eval``, so bank content cannot
run code in the test process.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable


def erlang_c(agents: float, traffic: float) -> float:
    """Probability that a contact waits (Erlang C), for N agents and A erlangs."""
    n = int(agents)
    if n <= traffic:
        return 1.0
    term = 1.0
    total = 1.0  # sum_{k=0}^{n-1} A^k / k!, built iteratively to avoid overflow
    for k in range(1, n):
        term *= traffic / k
        total += term
    last = term * traffic / n * n / (n - traffic)
    return last / (total + last)


def service_level(agents: float, traffic: float, aht: float, target: float) -> float:
    """Share of contacts answered within ``target`` seconds (Erlang C)."""
    if agents <= traffic:
        return 0.0
    return 1.0 - erlang_c(agents, traffic) * math.exp(-(agents - traffic) * target / aht)


def asa(agents: float, traffic: float, aht: float) -> float:
    """Average speed of answer in seconds (Erlang C)."""
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht / (agents - traffic)


def agents_for_service_level(traffic: float, aht: float, target: float, goal: float) -> int:
    """Fewest agents whose Erlang C service level reaches ``goal`` (0-1)."""
    n = max(1, math.floor(traffic) + 1)
    while service_level(n, traffic, aht, target) < goal:
        n += 1
    return n


FUNCTIONS: dict[str, Callable[..., float]] = {
    "erlang_c": erlang_c,
    "service_level": service_level,
    "asa": asa,
    "agents_for_service_level": agents_for_service_level,
    "ceil": math.ceil,
    "floor": math.floor,
    "round": round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
}

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


def evaluate(expression: str) -> float:
    """Evaluate an item's arithmetic expression; raise ValueError on anything else."""
    return _eval(ast.parse(expression, mode="eval").body)


def _eval(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left), _eval(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _eval(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and not node.keywords
    ):
        return FUNCTIONS[node.func.id](*(_eval(arg) for arg in node.args))
    raise ValueError(f"not allowed in a calculation: {ast.dump(node)[:60]}")


def check(calculation: dict[str, str], key_option: str) -> list[str]:
    """Return the problems with one item's calculation (empty when it holds)."""
    problems = []
    value = float(calculation["value"])
    got = evaluate(calculation["expression"])
    tolerance = float(calculation.get("tolerance") or abs(value) * 0.005 or 1e-9)
    if abs(got - value) > tolerance:
        problems.append(f"expression gives {got:.6g}, item says {value:.6g}")
    shows = calculation.get("shows", "")
    if shows not in key_option:
        problems.append(f"keyed option does not show {shows!r}")
    return problems


if __name__ == "__main__":
    import sys

    for expr in sys.argv[1:]:
        print(expr, "=", evaluate(expr))
