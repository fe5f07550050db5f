"""Shared fixtures: small synthetic banks and a fast KDF-free exam key cache."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_KEY = (ROOT / "question_banks" / "demo.key").read_text().strip()


def bank_yaml(bank_id: str = "ccsoo-m1", module: int = 1, count: int = 20, prefix: str = "T") -> str:
    """A valid bank whose keys rotate over A-D and whose options are equal length."""
    lines = [f"bank: {bank_id}", f"module: {module}", "title: Sample module", "items:"]
    for n in range(1, count + 1):
        key = "ABCD"[n % 4]
        lines += [
            f"  - id: {prefix}{module}-{n:03d}",
            "    kind: scenario",
            f"    stem: Which response best serves case number {n} of module {module}?",
            "    options:",
            *(f"      {letter}: Response {letter} for case {n:03d}" for letter in "ABCD"),
            f"    key: {key}",
            "    rationale: >-",
            f"      {key} is right for this case. "
            + " ".join(f"Option {x} is wrong because it misses the point." for x in "ABCD" if x != key),
            "    topic: Strategy",
            "    difficulty: medium",
            '    source: "000: module scope"',
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def write(tmp_path: Path):
    """Write text (dedented) to a file in tmp_path and return its path as a string."""

    def _write(name: str, text: str | bytes) -> str:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8")
        return str(path)

    return _write
