"""Constrained form assembly: each linear-on-the-fly form is the optimum of a small MIP.

One binary variable per item of the package (1 = on the form). Constraints, from the
blueprint and the exam definition's ``assembly:`` section:

* per module, exactly the blueprint's count;
* per topic, between floor and ceil of (topic's share of the bank x count), when topic quotas are on;
* per module, the sum of the drawn items' difficulties within ``count x (target +- tolerance)``;
* per pair of enemy items (in any banks), at most one of the two.

The objective maximises seed-driven weights, so that every form is a different random draw
from the forms that meet the constraints, and no item is favoured: that is the exposure
control LOFT allows (forms are built independently on each terminal), with a static check that
the cap is reachable at all (a module drawing n of N items puts each item on n/N of the forms on
average) and ``form simulate`` to verify it.

Why HiGHS through ``scipy.optimize.milp``: scipy is already a dependency (nothing new to vet or
install on a terminal), HiGHS is a maintained, exact branch-and-bound MIP solver that runs
single-threaded and deterministically, and at 200-250 binaries a form solves in milliseconds.

Reproducibility does not rest on the solver's tie-breaking. Every coefficient is an integer
(difficulties in hundredths of a logit, weights derived from SHA-256 of seed and item), so a
solution is feasible or not with no rounding question, and the weights are distinct; after the
solve a second MIP, with that form excluded, finds the best *other* form, which must weigh less.
Should two forms tie (two swaps of equal total weight: about one form in a thousand), the seed
draws fresh weights until one round's optimum is unique. Either way the form is a mathematical
function of (seed, banks, definition, calibration), not of the solver, its version or the
platform; ``form.rebuild_form`` re-checks a rebuilt form against its recorded digest.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

from ccsoo_exam.bank import Bank
from ccsoo_exam.calibration import Calibration
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.exam import ExamDefinition

# Difficulties enter the model in hundredths of a logit, as integers: far finer than any
# calibration's standard error (0.05-0.15 logits), and coarse enough to keep the search short.
STEPS = 100
WEIGHT_BITS = 12  # random part of each weight; the rank below it makes weights distinct
MAX_ROUNDS = 20  # fresh draws after ties; each round ties with probability about 1/1000
TIME_LIMIT = 20.0  # seconds: a definition that takes longer is reported, not waited on forever


@dataclass(frozen=True)
class Slot:
    """One item of the package as assembly sees it."""

    bank: str
    module: int
    item_id: str
    topic: str
    difficulty: int  # hundredths of a logit, as the model holds it
    calibrated: bool
    logits: float = 0.0  # the difficulty in use, unrounded


@dataclass(frozen=True)
class TopicQuota:
    topic: str
    available: int
    low: int
    high: int


@dataclass(frozen=True)
class ModuleSpec:
    bank: str
    module: int
    draw: int
    size: int
    topics: tuple[TopicQuota, ...]  # empty when topic quotas are off
    difficulty_bounds: tuple[int, int] | None  # on the sum of the drawn items' difficulty steps
    target: Fraction | None  # logits, per item
    tolerance: Fraction

    @property
    def label(self) -> str:
        return f"module {self.module} (bank {self.bank})"


# HiGHS options beyond milp's named ones, which scipy passes to HiGHS verbatim (with a warning
# we expect). Feasibility jump, a start-up heuristic, finds nothing here the root LP does not,
# and skipping it saves about a quarter of each solve; it cannot change which form is optimal.
_HIGHS_EXTRA = {"mip_heuristic_run_feasibility_jump": False}


def _milp(c: np.ndarray, integrality: np.ndarray, bounds: Bounds, constraints: LinearConstraint | None) -> object:
    """HiGHS through scipy, exact: no relative gap, so "optimal" means optimal."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Unrecognized options detected", category=RuntimeWarning)
        return milp(
            c,
            integrality=integrality,
            bounds=bounds,
            constraints=constraints,
            options={"mip_rel_gap": 0.0, "time_limit": TIME_LIMIT, **_HIGHS_EXTRA},
        )


def _weight(weights: np.ndarray, chosen: Sequence[int]) -> int:
    return int(sum(int(weights[i]) for i in chosen))


class FormModel:
    """The constraint structure of one exam definition over one package, built once, solved per seed."""

    def __init__(
        self, definition: ExamDefinition, banks: Mapping[str, Bank], calibration: Calibration | None = None
    ) -> None:
        self.definition = definition
        self.calibration = calibration
        rules = definition.assembly
        problems: list[Problem] = []
        slots: list[Slot] = []
        specs: list[ModuleSpec] = []
        for entry in definition.blueprint:
            bank = banks.get(entry.bank)
            if bank is None:
                problems.append(Problem(definition.path, None, f"bank '{entry.bank}' is not in the package"))
                continue
            if len(bank.items) < entry.items:
                problems.append(
                    Problem(
                        definition.path,
                        None,
                        f"bank '{entry.bank}' has {len(bank.items)} items but the blueprint draws {entry.items}; "
                        "add items or lower the share",
                    )
                )
                continue
            start = len(slots)
            for item in bank.items:
                value = calibration.difficulty(bank.id, item.id) if calibration else None
                logits = value if value is not None else rules.label_value(item.difficulty)
                slots.append(
                    Slot(
                        bank.id,
                        bank.module,
                        item.id,
                        item.topic,
                        round(logits * STEPS),
                        value is not None,
                        float(logits),
                    )
                )
            mine = slots[start:]
            specs.append(self._module_spec(entry.bank, entry.module, entry.items, mine, problems))
        if problems:
            raise CcsooError(problems)
        self.slots = tuple(slots)
        self.modules = tuple(specs)
        self.enemies = self._enemy_pairs(banks)
        self._build_rows()

    # -- structure ------------------------------------------------------------------------

    def _module_spec(
        self, bank: str, module: int, draw: int, mine: Sequence[Slot], problems: list[Problem]
    ) -> ModuleSpec:
        rules = self.definition.assembly
        size = len(mine)
        quotas: list[TopicQuota] = []
        if rules.topic_quotas:
            counts: dict[str, int] = {}
            for slot in mine:
                counts[slot.topic] = counts.get(slot.topic, 0) + 1
            for topic in sorted(counts):
                share = Fraction(counts[topic] * draw, size)
                quotas.append(TopicQuota(topic, counts[topic], math.floor(share), math.ceil(share)))
        bounds = None
        target = None
        if rules.has_difficulty:
            target = Fraction(sum(s.difficulty for s in mine), size * STEPS) if rules.target_is_bank_mean else None
            target = target if target is not None else rules.difficulty_target
            assert target is not None
            centre = draw * target * STEPS
            spread = draw * rules.difficulty_tolerance * STEPS
            bounds = (math.ceil(centre - spread), math.floor(centre + spread))
        cap = rules.exposure_cap
        if cap is not None:
            where = f"{self.definition.path}:{rules.line}" if rules.line else self.definition.path
            if Fraction(draw, size) > cap:
                problems.append(
                    Problem(
                        where,
                        None,
                        f"module {module} (bank {bank}): the exposure cap {float(cap):.2f} is below {draw}/{size} = "
                        f"{draw / size:.2f}, the share of forms every item must average when {draw} of {size} are "
                        "drawn; raise 'assembly: exposure_cap' or add items to the bank",
                    )
                )
            # A topic quota never forces more: floor(share) / available <= draw / size for every topic.
        return ModuleSpec(bank, module, draw, size, tuple(quotas), bounds, target, rules.difficulty_tolerance)

    def _enemy_pairs(self, banks: Mapping[str, Bank]) -> tuple[tuple[int, int], ...]:
        where: dict[str, list[int]] = {}
        for index, slot in enumerate(self.slots):
            where.setdefault(slot.item_id, []).append(index)
        pairs: set[tuple[int, int]] = set()
        problems = []
        for index, slot in enumerate(self.slots):
            item = banks[slot.bank].item(slot.item_id)
            for enemy in item.enemies:
                found = where.get(enemy, [])
                if len(found) > 1:
                    problems.append(
                        Problem(
                            banks[slot.bank].path,
                            item.line,
                            f"item {slot.item_id} lists enemy {enemy}, an id used in more than one bank; "
                            "make item ids unique across the package",
                        )
                    )
                for other in found:
                    pairs.add((min(index, other), max(index, other)))
        if problems:
            raise CcsooError(problems)
        # An enemy outside the package (a retired item, another exam) cannot share a form: nothing to do.
        return tuple(sorted(pairs))

    def _build_rows(self) -> None:
        rows: list[tuple[str, dict[int, int], float, float]] = []
        index = 0
        self.module_ranges: list[range] = []
        for spec in self.modules:
            span = range(index, index + spec.size)
            self.module_ranges.append(span)
            rows.append((f"{spec.label}: items drawn", dict.fromkeys(span, 1), spec.draw, spec.draw))
            for quota in spec.topics:
                members = {i: 1 for i in span if self.slots[i].topic == quota.topic}
                rows.append((f"{spec.label}: topic quota '{quota.topic}'", members, quota.low, quota.high))
            if spec.difficulty_bounds is not None:
                low, high = spec.difficulty_bounds
                coefficients = {i: self.slots[i].difficulty for i in span if self.slots[i].difficulty}
                rows.append((f"{spec.label}: difficulty target", coefficients, low, high))
            index += spec.size
        for a, b in self.enemies:
            rows.append((f"enemies {self.slots[a].item_id} and {self.slots[b].item_id}", {a: 1, b: 1}, -np.inf, 1))
        self.row_names = [r[0] for r in rows]
        data, cols, pointer = [], [], [0]
        for _, coefficients, _, _ in rows:
            for column, value in sorted(coefficients.items()):
                cols.append(column)
                data.append(value)
            pointer.append(len(cols))
        self.matrix = csr_array(
            (np.array(data, dtype=float), np.array(cols, dtype=np.int64), np.array(pointer, dtype=np.int64)),
            shape=(len(rows), len(self.slots)),
        )
        self.lower = np.array([r[2] for r in rows], dtype=float)
        self.upper = np.array([r[3] for r in rows], dtype=float)
        self._integrality = np.ones(len(self.slots))
        self._bounds = Bounds(np.zeros(len(self.slots)), np.ones(len(self.slots)))

    # -- one form ---------------------------------------------------------------------------

    def ranking(self, seed: int, round_: int = 0) -> tuple[list[int], np.ndarray]:
        """The seed's SHA-256 order of the items, and the distinct integer weights that follow it.

        Round 0 is the form's draw; later rounds are fresh draws from the same seed, used only
        when a round's optimum is not unique.
        """
        tag = "pick" if round_ == 0 else f"pick-{round_}"
        digests = [hashlib.sha256(f"{seed}:{tag}:{s.bank}:{s.item_id}".encode()).digest() for s in self.slots]
        order = sorted(range(len(self.slots)), key=digests.__getitem__)
        k = len(self.slots)
        weights = np.zeros(k)
        for rank, index in enumerate(order):
            noise = int.from_bytes(digests[index][:2], "big") >> (16 - WEIGHT_BITS)
            # Decreasing along the ranking, random in its top bits: distinct integers, exact in floats.
            weights[index] = ((1 << WEIGHT_BITS) - noise) * k + (k - rank)
        return order, weights

    def select(self, seed: int) -> tuple[int, ...]:
        """The item indices of the seed's form: the unique optimum of the seed's weights.

        Uniqueness is checked by solving again with the optimum excluded: the best other form
        must weigh less. Weights are integers, so "less" is at least 1, far above the solver's
        tolerances (a cut at the optimum's own weight would not be: HiGHS can call a problem
        cut exactly at its optimum infeasible). In the rare tie (about one form in a thousand,
        two swaps of equal total weight), the seed draws fresh weights (round 1, 2, ...) until a
        round's optimum is unique, so the form is still a function of the seed alone.
        """
        for round_ in range(MAX_ROUNDS):
            _, weights = self.ranking(seed, round_)
            chosen = self._solve(weights)
            if chosen is None:
                self.diagnose()
                raise CcsooError(Problem(self.definition.path, None, "no form meets the assembly constraints"))
            while True:
                best = _weight(weights, chosen)
                rival = self._solve(weights, exclude=chosen)
                if rival is None or _weight(weights, rival) < best:
                    return chosen  # no other form reaches this weight
                if _weight(weights, rival) == best:
                    break  # a tie: draw again
                chosen = rival  # the first solve stopped short of the optimum; go on from the better one
        raise CcsooError(
            Problem(self.definition.path, None, f"no unique form in {MAX_ROUNDS} draws for seed {seed}; report this")
        )

    def _solve(
        self,
        weights: np.ndarray,
        *,
        exclude: Sequence[int] = (),
    ) -> tuple[int, ...] | None:
        matrix, lower, upper = self.matrix, self.lower, self.upper
        if exclude:
            from scipy.sparse import vstack

            row = np.zeros(len(self.slots))
            row[list(exclude)] = 1
            matrix = vstack([matrix, csr_array(row[None, :])]).tocsr()
            lower = np.append(lower, -np.inf)
            upper = np.append(upper, len(exclude) - 1)
        result = _milp(-weights, self._integrality, self._bounds, LinearConstraint(matrix, lower, upper))
        if result.status == 1:
            raise CcsooError(
                Problem(
                    self.definition.path,
                    None,
                    f"form assembly did not finish within {TIME_LIMIT:.0f} s; loosen the 'assembly:' constraints",
                )
            )
        if result.x is None or result.status != 0:
            return None
        chosen = tuple(int(i) for i in np.flatnonzero(np.round(result.x) == 1))
        if self.violations(chosen):
            # A solver tolerance let through a point that is not a form: say so rather than guess.
            raise CcsooError(
                Problem(self.definition.path, None, "the MIP solver returned a point that is not a form; report this")
            )
        return chosen

    # -- exact checks -------------------------------------------------------------------------

    def violations(self, chosen: Sequence[int]) -> list[str]:
        """Every constraint this selection breaks, checked in exact integers from the items themselves."""
        picked = set(chosen)
        found = []
        for spec, span in zip(self.modules, self.module_ranges, strict=True):
            mine = [self.slots[i] for i in span if i in picked]
            if len(mine) != spec.draw:
                found.append(f"{spec.label}: {len(mine)} items drawn, not {spec.draw}")
            for quota in spec.topics:
                count = sum(s.topic == quota.topic for s in mine)
                if not quota.low <= count <= quota.high:
                    found.append(
                        f"{spec.label}: topic '{quota.topic}' has {count} items, outside {quota.low}..{quota.high}"
                    )
            if spec.difficulty_bounds is not None:
                total = sum(s.difficulty for s in mine)
                low, high = spec.difficulty_bounds
                if not low <= total <= high:
                    found.append(f"{spec.label}: mean difficulty {total / STEPS / max(len(mine), 1):+.3f} off target")
        for a, b in self.enemies:
            if a in picked and b in picked:
                found.append(f"enemy items {self.slots[a].item_id} and {self.slots[b].item_id} on one form")
        return found

    def expected_score(self, chosen: Sequence[int], theta: float) -> float:
        """Expected raw score of a candidate of ability ``theta`` (Rasch) on this selection."""
        return math.fsum(1.0 / (1.0 + math.exp(self.slots[i].logits - theta)) for i in chosen)

    @property
    def basis(self) -> str:
        calibrated = sum(s.calibrated for s in self.slots)
        if calibrated == len(self.slots):
            return "calibrated Rasch difficulties"
        if calibrated:
            return f"Rasch difficulties for {calibrated} items, author labels for {len(self.slots) - calibrated}"
        labels = ", ".join(f"{k} {float(v):+g}" for k, v in self.definition.assembly.labels)
        return f"author labels as logits ({labels})"

    # -- an infeasible definition ---------------------------------------------------------------

    def diagnose(self) -> None:
        """Raise one clear problem naming the module and the constraint no form can meet."""
        where = self.definition.path
        rules = self.definition.assembly
        for spec, span in zip(self.modules, self.module_ranges, strict=True):
            rows = [i for i, name in enumerate(self.row_names) if name.startswith(spec.label + ":")]
            inside = [i for i, (a, b) in enumerate(self.enemies) if a in span and b in span]
            stages = [
                ("items drawn", "items drawn"),
                ("topic quota", "topic quotas"),
                ("difficulty target", "difficulty target"),
            ]
            active: list[int] = []
            for key, label in stages:
                active += [i for i in rows if key in self.row_names[i]]
                if not self._feasible(active, span):
                    raise CcsooError(Problem(where, rules.line, self._explain(spec, label)))
            enemy_rows = [len(self.row_names) - len(self.enemies) + i for i in inside]
            if not self._feasible(active + enemy_rows, span):
                raise CcsooError(
                    Problem(
                        where,
                        rules.line,
                        f"{spec.label}: the enemy pairs within the bank leave no form of {spec.draw} items that also "
                        "meets its topic quotas and difficulty target; drop enemy links or add items",
                    )
                )
        raise CcsooError(
            Problem(
                where,
                rules.line,
                "enemy pairs across modules leave no form that meets every module's constraints; "
                "drop enemy links between banks or add items",
            )
        )

    def _feasible(self, rows: list[int], span: range) -> bool:
        columns = list(span)
        matrix = self.matrix[rows][:, columns] if rows else csr_array((0, len(columns)))
        constraints = LinearConstraint(matrix, self.lower[rows], self.upper[rows]) if rows else None
        result = _milp(np.zeros(len(columns)), np.ones(len(columns)), Bounds(0, 1), constraints)
        return result.status == 0

    def _explain(self, spec: ModuleSpec, constraint: str) -> str:
        if constraint == "difficulty target":
            assert spec.target is not None
            together = " together with the topic quotas" if spec.topics else ""
            return (
                f"{spec.label}: no form of {spec.draw} items meets the difficulty target (mean "
                f"{float(spec.target):+.3f} +- {float(spec.tolerance):.3f} logits){together}; "
                "widen 'assembly: difficulty: tolerance', move the target, or rebalance the bank"
            )
        if constraint == "topic quotas":
            return f"{spec.label}: the topic quotas cannot be met with {spec.draw} items; check the bank's topics"
        return f"{spec.label}: cannot draw {spec.draw} items from {spec.size}"
