"""What every benchmark shares: repeated figures, their median and spread, and a verdict that can fail.

A benchmark measures each figure several times (interleaved with its baseline where it has
one), reports the median with the spread, checks it against its target and, at the end,
exits 1 if any target was missed. ``--quick`` runs small sizes with looser margins: it is
what CI runs to catch a gross regression in a few seconds, not a measurement to quote.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile by linear interpolation between the closest ranks (q in [0, 1])."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Figure:
    """Repeated measurements of one thing, in seconds (or any unit the caller keeps)."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float]) -> Figure:
        if not values:
            raise ValueError("a figure needs at least one measurement")
        return cls(tuple(values))

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p90(self) -> float:
        return percentile(self.values, 0.9)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def describe(self, scale: float = 1000.0, unit: str = "ms") -> str:
        return (
            f"median {self.median * scale:7.2f} {unit}  p90 {self.p90 * scale:7.2f} {unit}  "
            f"range {self.low * scale:.2f}-{self.high * scale:.2f} {unit}  n={len(self.values)}"
        )


def ratio_spread(ours: Sequence[float], baseline: Sequence[float]) -> tuple[float, float]:
    """Lowest and highest ratio of paired measurements (round by round), to show how stable a ratio is."""
    pairs = [a / b for a, b in zip(ours, baseline, strict=False) if b > 0]
    return (min(pairs), max(pairs)) if pairs else (float("nan"), float("nan"))


@dataclass
class Verdict:
    """Targets checked so far; ``status()`` is the exit status of the benchmark."""

    name: str
    quick: bool = False
    missed: list[str] = field(default_factory=list)
    checked: int = 0

    def check(self, label: str, value: float, limit: float, text: str) -> bool:
        """Print one target's outcome; ``text`` says the measured value and the limit in the caller's units."""
        self.checked += 1
        met = value <= limit
        print(f"  {'ok    ' if met else 'MISSED'} {label}: {text}", flush=True)
        if not met:
            self.missed.append(label)
        return met

    def require(self, label: str, condition: bool, text: str) -> bool:
        """A condition that must hold for the figures to mean anything (a sanity check, not a target)."""
        return self.check(label, 0.0 if condition else 1.0, 0.0, text)

    def status(self) -> int:
        mode = "quick mode, gross-regression margins" if self.quick else "full mode"
        if self.missed:
            print(f"{self.name}: FAIL ({mode}): {len(self.missed)} of {self.checked} missed: {', '.join(self.missed)}")
            return 1
        print(f"{self.name}: PASS ({mode}): all {self.checked} targets met")
        return 0


def arguments(description: str, argv: Sequence[str] | None = None, **extra: dict) -> argparse.Namespace:
    """The command line every benchmark takes: ``--quick``, and any extra options the caller names."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and looser margins, a few seconds: what CI runs"
    )
    for name, options in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", **options)
    return parser.parse_args(argv)
