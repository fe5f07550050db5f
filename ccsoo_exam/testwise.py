"""Test-wise guessing: rules and a model that pick an option from its shape alone.

Each rule scores the options of an item (3 to 5 of them) from their structural features
(see `cues`) and picks the highest; a tie among t options that includes the key counts
1/t, so a rule that cannot tell options apart scores exactly chance (1/k for k options:
25% for the four-option CCSOO banks). The model is a
conditional logit over the same features, scored only on banks it was not fitted on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ccsoo_exam.bank import LETTERS, Item
from ccsoo_exam.cues import OptionShape, item_shapes

Score = Callable[[OptionShape], float]


@dataclass(frozen=True)
class Rule:
    """One test-wise heuristic: the options it picks score highest."""

    name: str
    picks: str  # what a candidate applying it chooses, for the report
    score: Score
    fix: str  # how an author takes the cue away


RULES: tuple[Rule, ...] = (
    Rule(
        "longest",
        "the longest option",
        lambda s: s.rank_share[0],
        "lengthen a distractor past the key",
    ),
    Rule(
        "second-longest",
        "the second-longest option",
        lambda s: s.rank_share[1],
        "vary where the key falls in length; make it the longest or shortest in some items",
    ),
    Rule(
        "third-longest",
        "the third-longest option",
        lambda s: s.rank_share[2],
        "vary where the key falls in length",
    ),
    Rule(
        "shortest",
        "the shortest option",
        lambda s: s.rank_share[-1],
        "shorten a distractor below the key",
    ),
    Rule(
        "middle-length",
        "the option closest to the item's mean length",
        lambda s: -abs(s.relative_length - 1.0),
        "let a distractor sit at the item's typical length",
    ),
    Rule(
        "most-parts",
        "the option with the most parts (and, with, commas, lists)",
        lambda s: s.parts,
        "give a distractor the same multi-part structure, or state the key as one idea",
    ),
    Rule(
        "fewest-parts",
        "the option with the fewest parts",
        lambda s: -s.parts,
        "join two ideas in a distractor as the key does not",
    ),
    Rule(
        "no-tail",
        "the option without a justification tail (because, so that, since)",
        lambda s: -float(s.tail),
        "give the key a justification too, or drop the distractors' tails",
    ),
    Rule(
        "tail",
        "the option with a justification tail",
        lambda s: float(s.tail),
        "give a distractor a justification too, or drop the key's",
    ),
    Rule(
        "hedged",
        "the most hedged option (may, usually, where, unless)",
        lambda s: s.hedges,
        "qualify a distractor as carefully as the key",
    ),
    Rule(
        "no-absolute",
        "the option without absolutes (always, never, all, only)",
        lambda s: -s.absolutes,
        "remove the absolutes from distractors, or let the key carry one where it is true",
    ),
    Rule(
        "most-overlap",
        "the option that repeats most words of the stem",
        lambda s: s.overlap,
        "let a distractor echo the stem as much, or reword the key",
    ),
    Rule(
        "least-overlap",
        "the option that repeats fewest words of the stem",
        lambda s: -s.overlap,
        "let the key echo the stem as the distractors do",
    ),
    Rule(
        "fits-stem",
        "an option that reads on grammatically from the stem",
        lambda s: -float(s.misfit),
        "make every option continue the stem (a/an, singular/plural, 'to')",
    ),
    Rule(
        "odd-one-out",
        "the option whose shape is most unlike the other three",
        lambda s: s.oddness,
        "give the key's distinctive shape (length, list, tail, hedge, full stop) to a distractor",
    ),
    Rule(
        "most-typical",
        "the option whose shape is most like the other three",
        lambda s: -s.oddness,
        "make one distractor the typical one",
    ),
)


def picked(shapes: Sequence[OptionShape], score: Score) -> list[str]:
    """The letters a rule picks: every option tied at the top score."""
    scores = [score(s) for s in shapes]
    top = max(scores)
    return [s.letter for s, v in zip(shapes, scores, strict=True) if abs(v - top) <= 1e-9]


def credit(picks: Sequence[str], key: str) -> float:
    """A guess among tied options is a fair draw: 1/k when the key is among the k."""
    return 1 / len(picks) if key in picks else 0.0


# The model's features, one row per option. Differences within an item are all a
# conditional logit can use, so item-level constants (stem length...) would add nothing.
FEATURES: tuple[str, ...] = (
    "relative_length",
    "rank_1",
    "rank_2",
    "rank_3",
    "parts",
    "has_list",
    "numbered",
    "tail",
    "hedges",
    "absolutes",
    "overlap",
    "misfit",
    "period",
    "oddness",
)


def feature_row(s: OptionShape) -> list[float]:
    return [
        s.relative_length,
        s.rank_share[0],
        s.rank_share[1],
        s.rank_share[2],
        min(s.parts, 5),
        float(s.has_list),
        float(s.numbered > 0),
        float(s.tail),
        min(s.hedges, 2),
        min(s.absolutes, 2),
        min(s.overlap, 6),
        float(s.misfit),
        float(s.period),
        s.oddness,
    ]


def design(items: Sequence[Item]) -> tuple[np.ndarray, np.ndarray]:
    """Features as an (items, options, features) array and each item's key as an option index.

    Items have 3 to 5 options; an item with fewer than the most has NaN rows for the options
    it lacks, which the model treats as options nobody can pick.
    """
    width = max((len(item.options) for item in items), default=len(LETTERS) - 1)
    x = np.full((len(items), width, len(FEATURES)), np.nan)
    for i, item in enumerate(items):
        for j, shape in enumerate(item_shapes(item)):
            x[i, j] = feature_row(shape)
    y = np.array([LETTERS.index(item.key) for item in items], dtype=int)
    return x, y


def _present(x: np.ndarray) -> np.ndarray:
    """Which (item, option) cells are real options rather than padding."""
    return ~np.isnan(x[..., 0])


@dataclass(frozen=True)
class Model:
    """A fitted conditional logit: option utility = standardised features @ weights."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    def utilities(self, x: np.ndarray) -> np.ndarray:
        u = (np.nan_to_num((x - self.mean) / self.scale)) @ self.weights
        return np.where(_present(x), u, -np.inf)


RIDGE = 1.0  # an L2 penalty keeps 14 weights sane on ~200 training items


def fit(x: np.ndarray, y: np.ndarray, ridge: float = RIDGE) -> Model:
    """Maximum penalised likelihood by damped Newton steps; the objective is strictly concave."""
    present = _present(x)
    flat = x[present]
    mean = flat.mean(axis=0)
    scale = flat.std(axis=0)
    scale[scale < 1e-9] = 1.0  # a constant feature carries nothing; keep it at zero weight
    z = np.nan_to_num((x - mean) / scale)  # padding: zero features, and -inf utility below
    rows = np.arange(len(y))
    absent = np.where(present, 0.0, -np.inf)

    def objective(w: np.ndarray) -> float:
        u = z @ w + absent
        top = u.max(axis=1)
        log_sum = top + np.log(np.exp(u - top[:, None]).sum(axis=1))
        return float((u[rows, y] - log_sum).sum() - 0.5 * ridge * w @ w)

    w = np.zeros(x.shape[-1])
    current = objective(w)
    for _ in range(100):
        u = z @ w + absent
        p = np.exp(u - u.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        expected = np.einsum("io,iof->if", p, z)
        grad = (z[rows, y] - expected).sum(axis=0) - ridge * w
        centred = z - expected[:, None, :]
        hess = np.einsum("io,iof,iog->fg", p, centred, centred) + ridge * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        # Halve the step until it improves the fit: a full Newton step can overshoot
        # when one cue separates keys from distractors perfectly.
        t = 1.0
        while t > 1e-6 and objective(w + t * step) < current - 1e-12:
            t /= 2
        w = w + t * step
        current = objective(w)
        if np.abs(t * step).max() < 1e-8:
            break
    return Model(mean, scale, w)


def model_credit(model: Model, x: np.ndarray, y: np.ndarray) -> list[float]:
    """Per held-out item, the credit the model's top pick earns (ties split)."""
    u = model.utilities(x)
    out = []
    for row, key in zip(u, y, strict=True):
        top = np.flatnonzero(row >= row.max() - 1e-9)
        out.append(1 / len(top) if key in top else 0.0)
    return out


Fitter = Callable[[np.ndarray, np.ndarray], Model]


@dataclass(frozen=True)
class CrossValidation:
    method: str  # how folds were formed, said in the report
    credit: dict[str, list[float]]  # group -> credit each of its items earned when held out, in order
    folds: tuple[tuple[str, ...], ...]  # item ids held out together


def cross_validate(groups: dict[str, Sequence[Item]], fitter: Fitter = fit, k: int = 5) -> CrossValidation | None:
    """Hold out one group (module) at a time; with one group, k folds of its items.

    Returns None when there are too few items to fit anything.
    """
    groups = {name: list(items) for name, items in groups.items() if items}
    if len(groups) >= 2:
        method = f"leave one bank out ({len(groups)} banks)"
        folds = list(groups.values())
    else:
        items = next(iter(groups.values()), [])
        if len(items) < 2 * k:
            return None
        method = f"{k}-fold by item within one bank (give all banks to hold out whole modules)"
        folds = [items[i::k] for i in range(k)]
    earned: list[list[float]] = []
    for i, held_out in enumerate(folds):
        training = [item for j, fold in enumerate(folds) if j != i for item in fold]
        model = fitter(*design(training))
        earned.append(model_credit(model, *design(held_out)))
    if len(groups) >= 2:
        credit = dict(zip(groups, earned, strict=True))
    else:
        # Put each item's credit back in bank order.
        name, items = next(iter(groups.items()))
        by_position = [0.0] * len(items)
        for i, fold_credit in enumerate(earned):
            for j, c in enumerate(fold_credit):
                by_position[i + j * k] = c
        credit = {name: by_position}
    return CrossValidation(method, credit, tuple(tuple(item.id for item in fold) for fold in folds))
