"""``form simulate``: assemble many forms and report what a psychometrician checks before going live.

Over N forms from seeds derived by SHA-256 (the same forms on every run and machine):
constraint violations (re-checked in exact integers, independently of the solver), topic
coverage, item exposure against the cap, and the spread of the expected raw score of a
candidate of average ability by the difficulties in use (Rasch difficulties once calibrated,
the author labels' logits before).
"""

from __future__ import annotations

import hashlib
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ccsoo_exam.assembly import FormModel


@dataclass(frozen=True)
class TopicCoverage:
    module: int
    topic: str
    available: int
    quota: tuple[int, int]  # (low, high); (0, draw) when quotas are off
    fewest: int
    most: int
    forms_without: int


@dataclass(frozen=True)
class SimulationReport:
    forms: int
    basis: str
    ability: float
    violations: tuple[str, ...]  # every violation found, "form k: ..." (constraints) or "item ...: exposure"
    exposure_cap: float | None
    exposure: dict[str, float]  # "bank/item" -> share of forms
    expected: tuple[float, ...]  # per form
    coverage: tuple[TopicCoverage, ...]
    seconds_per_form: float  # median

    @property
    def expected_sd(self) -> float:
        return statistics.pstdev(self.expected) if len(self.expected) > 1 else 0.0

    @property
    def max_exposure(self) -> tuple[str, float]:
        name = max(self.exposure, key=lambda k: (self.exposure[k], k))
        return name, self.exposure[name]

    def exposure_histogram(self, width: float = 0.05) -> list[tuple[float, float, int]]:
        top = max(self.exposure.values(), default=0.0)
        bins = max(1, math.ceil(top / width + 1e-9)) if top else 1
        counts = [0] * (bins + 1)
        for share in self.exposure.values():
            counts[min(bins, int(share / width + 1e-9))] += 1
        return [(k * width, (k + 1) * width, c) for k, c in enumerate(counts) if c or k < bins]

    def as_dict(self) -> dict[str, Any]:
        name, share = self.max_exposure
        shares = sorted(self.exposure.values())
        return {
            "forms": self.forms,
            "difficulties": self.basis,
            "ability": round(self.ability, 4),
            "violations": len(self.violations),
            "violation_details": list(self.violations[:50]),
            "expected_score": {
                "mean": round(statistics.fmean(self.expected), 4),
                "sd": round(self.expected_sd, 4),
                "min": round(min(self.expected), 4),
                "max": round(max(self.expected), 4),
            },
            "exposure": {
                "cap": self.exposure_cap,
                "max": round(share, 4),
                "max_item": name,
                "median": round(statistics.median(shares), 4),
                "min": round(shares[0], 4),
                "never_used": sum(1 for s in shares if s == 0),
                "histogram": [
                    {"low": round(lo, 2), "high": round(hi, 2), "items": n} for lo, hi, n in self.exposure_histogram()
                ],
            },
            "topics": [
                {
                    "module": c.module,
                    "topic": c.topic,
                    "available": c.available,
                    "quota": list(c.quota),
                    "fewest": c.fewest,
                    "most": c.most,
                    "forms_without": c.forms_without,
                }
                for c in self.coverage
            ],
            "seconds_per_form": round(self.seconds_per_form, 5),
        }


def simulation_seed(base: int, k: int) -> int:
    """The k-th simulated form's seed: 62 bits, like a live sitting's."""
    return int.from_bytes(hashlib.sha256(f"simulate:{base}:{k}".encode()).digest()[:8], "big") >> 2


def simulate(
    model: FormModel,
    forms: int,
    *,
    ability: float = 0.0,
    base_seed: int = 0,
    clock: Callable[[], float] = time.perf_counter,
) -> SimulationReport:
    counts = [0] * len(model.slots)
    violations: list[str] = []
    expected: list[float] = []
    timings: list[float] = []
    per_topic: dict[tuple[int, str], list[int]] = {}
    topics = sorted({(s.module, s.topic) for s in model.slots})
    for k in range(forms):
        start = clock()
        chosen = model.select(simulation_seed(base_seed, k))
        timings.append(clock() - start)
        violations.extend(f"form {k}: {v}" for v in model.violations(chosen))
        expected.append(model.expected_score(chosen, ability))
        tally: dict[tuple[int, str], int] = dict.fromkeys(topics, 0)
        for index in chosen:
            counts[index] += 1
            slot = model.slots[index]
            tally[(slot.module, slot.topic)] += 1
        for key, n in tally.items():
            per_topic.setdefault(key, []).append(n)
    exposure = {f"{s.bank}/{s.item_id}": counts[i] / forms for i, s in enumerate(model.slots)}
    cap = model.definition.assembly.exposure_cap
    if cap is not None:
        violations.extend(
            f"item {name}: on {share:.1%} of forms, over the exposure cap {float(cap):.0%}"
            for name, share in sorted(exposure.items())
            if share > cap
        )
    coverage = []
    for spec in model.modules:
        quotas = {q.topic: q for q in spec.topics}
        for module, topic in topics:
            if module != spec.module:
                continue
            seen = per_topic.get((module, topic), [0])
            quota = quotas.get(topic)
            available = sum(1 for s in model.slots if s.module == module and s.topic == topic)
            coverage.append(
                TopicCoverage(
                    module,
                    topic,
                    available,
                    (quota.low, quota.high) if quota else (0, spec.draw),
                    min(seen),
                    max(seen),
                    sum(1 for n in seen if n == 0),
                )
            )
    return SimulationReport(
        forms,
        model.basis,
        ability,
        tuple(violations),
        float(cap) if cap is not None else None,
        exposure,
        tuple(expected),
        tuple(coverage),
        statistics.median(timings) if timings else 0.0,
    )
