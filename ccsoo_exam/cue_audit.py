"""The structural-cue audit of a set of banks: figures, failures and per-item guidance.

Thresholds apply to the figures over all banks given: with 250 items the chance spread
of a rule's hit rate is about 2.7 points, so 30% is a real cue, while one 50-item bank
(spread about 6 points) only earns a warning above 40%. Per-item notes are guidance for
the rules that fail, not failures on their own: any item has some shape, and a bank can
pass only when no shape tracks the key across many items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ccsoo_exam.bank import LETTERS, Bank, Item
from ccsoo_exam.cues import CHANCE, OptionShape, adjusted, item_shapes
from ccsoo_exam.duplicates import THRESHOLD, Pair, similar_pairs
from ccsoo_exam.errors import Problem
from ccsoo_exam.testwise import RULES, CrossValidation, Rule, credit, cross_validate, picked

HIT_MAX = 0.30  # any rule or the model above this over all banks fails
BANK_WARN = 0.40  # one bank above this is a warning
RANK_LOW, RANK_HIGH = 0.15, 0.35  # each length rank should hold about a quarter of the keys
# One bank linted alone (an author at work on one module) is judged at the per-bank level:
# 30% on 50 items is under two chance spreads, so it would fail cue-free banks by luck.
# Between the two levels it gets a warning; the 30% judgement is over all banks together.
BANK_RANK_LOW, BANK_RANK_HIGH = 0.10, 0.40
MIN_ITEMS = 8  # fewer items than this say nothing about cues
ALL = "all banks"


@dataclass(frozen=True)
class Figure:
    """A hit rate (or share) per bank and over all banks given."""

    per_bank: dict[str, float]  # keyed by bank path
    overall: float


@dataclass(frozen=True)
class FeatureShare:
    """How often (or how much) keys carry a feature, against distractors."""

    name: str
    keys: float
    distractors: float


@dataclass(frozen=True)
class Audit:
    banks: tuple[Bank, ...]
    rules: dict[str, Figure]
    model: Figure | None
    model_method: str
    ranks: tuple[Figure, ...]  # share of keys at length rank 1, 2, ... (as many ranks as the most options)
    features: dict[str, tuple[FeatureShare, ...]]  # bank id (or ALL) -> shares
    duplicates: tuple[Pair, ...]  # pairs at or above THRESHOLD
    failures: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    guidance: list[Problem] = field(default_factory=list)
    # Chance over the items: the mean of 1/k for k options (0.25 when every item has four),
    # and for each length rank the share of keys that guessing alone would put there.
    chance: float = CHANCE
    rank_chance: tuple[float, ...] = (CHANCE,) * 4

    @property
    def whole(self) -> bool:
        """Judged as a whole (several banks) rather than as one bank on its own."""
        return len(self.banks) > 1

    @property
    def hit_max(self) -> float:
        return adjusted(HIT_MAX if self.whole else BANK_WARN, self.chance)

    @property
    def rank_band(self) -> tuple[float, float]:
        """The band for a rank that guessing fills at the items' chance level (15-35% at four options)."""
        return self.band_for(self.chance)

    def band_for(self, expected: float, *, whole: bool | None = None) -> tuple[float, float]:
        judged_whole = self.whole if whole is None else whole
        low, high = (RANK_LOW, RANK_HIGH) if judged_whole else (BANK_RANK_LOW, BANK_RANK_HIGH)
        return max(0.0, adjusted(low, expected)), adjusted(high, expected)

    @property
    def failing_rules(self) -> list[str]:
        return [name for name, f in self.rules.items() if f.overall > self.hit_max + 1e-9]


# Shares of keys against distractors: (name, value of one option's shape).
_SHARES: tuple[tuple[str, object], ...] = (
    ("longest (rank 1)", lambda s: s.rank_share[0]),
    ("second-longest (rank 2)", lambda s: s.rank_share[1]),
    ("third-longest (rank 3)", lambda s: s.rank_share[2]),
    ("shortest (last rank)", lambda s: s.rank_share[-1]),
    ("mean relative length", lambda s: s.relative_length),
    ("mean parts", lambda s: s.parts),
    ("list (3+ parts)", lambda s: float(s.has_list)),
    ("numbered parts", lambda s: float(s.numbered > 0)),
    ("justification tail", lambda s: float(s.tail)),
    ("hedge", lambda s: float(s.hedges > 0)),
    ("absolute", lambda s: float(s.absolutes > 0)),
    ("mean stem overlap (words)", lambda s: s.overlap),
    ("misfit with stem", lambda s: float(s.misfit)),
    ("ends with a full stop", lambda s: float(s.period)),
    ("mean oddness", lambda s: s.oddness),
)


def _feature_shares(shaped: Sequence[tuple[Item, tuple[OptionShape, ...]]]) -> tuple[FeatureShare, ...]:
    out = []
    for name, value in _SHARES:
        keys = [value(s) for item, shapes in shaped for s in shapes if s.letter == item.key]  # type: ignore[operator]
        others = [value(s) for item, shapes in shaped for s in shapes if s.letter != item.key]  # type: ignore[operator]
        out.append(FeatureShare(name, _mean(keys), _mean(others)))
    return tuple(out)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def run_audit(banks: Sequence[Bank]) -> Audit:
    """Audit the banks together: every figure per bank and over all of them."""
    # The same file given twice would only duplicate itself.
    banks = tuple({b.path: b for b in banks}.values())
    shaped = {b.path: [(item, item_shapes(item)) for item in b.items] for b in banks}
    every = [pair for b in banks for pair in shaped[b.path]]

    def figure(per_item: dict[str, list[float]]) -> Figure:
        flat = [c for values in per_item.values() for c in values]
        return Figure({name: _mean(values) for name, values in per_item.items()}, _mean(flat))

    credits = {
        rule.name: {
            b.path: [credit(picked(shapes, rule.score), item.key) for item, shapes in shaped[b.path]] for b in banks
        }
        for rule in RULES
    }
    rules = {name: figure(per_bank) for name, per_bank in credits.items()}
    width = max((len(item.options) for item, _ in every), default=4)
    ranks = tuple(
        figure({b.path: [_share(_key_shape(item, shapes), r) for item, shapes in shaped[b.path]] for b in banks})
        for r in range(width)
    )
    chance = _mean([1 / len(item.options) for item, _ in every]) if every else CHANCE
    rank_chance = tuple(
        _mean([1 / len(item.options) if r < len(item.options) else 0.0 for item, _ in every]) for r in range(width)
    )
    cv: CrossValidation | None = None
    if len(every) >= MIN_ITEMS:
        cv = cross_validate({b.path: list(b.items) for b in banks})
    features = {b.path: _feature_shares(shaped[b.path]) for b in banks}
    features[ALL] = _feature_shares(every)
    audit = Audit(
        banks=banks,
        rules=rules,
        model=figure(cv.credit) if cv else None,
        model_method=cv.method if cv else "not run: too few items",
        ranks=ranks,
        features=features,
        duplicates=tuple(similar_pairs(banks, THRESHOLD)),
        chance=chance,
        rank_chance=rank_chance if every else (CHANCE,) * 4,
    )
    if len(every) >= MIN_ITEMS:
        _judge(audit, shaped)
    else:
        _judge_duplicates(audit)
    return audit


def _share(shape: OptionShape, rank: int) -> float:
    return shape.rank_share[rank] if rank < len(shape.rank_share) else 0.0


def _key_shape(item: Item, shapes: Sequence[OptionShape]) -> OptionShape:
    return shapes[LETTERS.index(item.key)]


def _where(audit: Audit) -> str:
    return audit.banks[0].path if len(audit.banks) == 1 else ALL


def _judge(audit: Audit, shaped: dict[str, list[tuple[Item, tuple[OptionShape, ...]]]]) -> None:
    where = _where(audit)
    n = sum(len(b.items) for b in audit.banks)
    limit = audit.hit_max
    whole_max = adjusted(HIT_MAX, audit.chance)
    alone = (
        "" if audit.whole else f" (one bank alone fails above {limit:.0%}; over all banks the limit is {whole_max:.0%})"
    )

    def judge(value: float, what: str, fix: str) -> None:
        if value > limit + 1e-9:
            audit.failures.append(
                Problem(
                    where,
                    None,
                    f"{what} finds the key in {value:.1%} of {n} items{alone}; keep it at or under {limit:.0%}: {fix}",
                )
            )
        elif value > whole_max + 1e-9:
            audit.warnings.append(
                Problem(
                    where,
                    None,
                    f"warning: {what} finds the key in {value:.1%} of {n} items; over all banks "
                    f"it must be at or under {whole_max:.0%}: {fix}",
                )
            )

    for rule in RULES:
        fig = audit.rules[rule.name]
        judge(fig.overall, f"test-wise rule '{rule.name}' (pick {rule.picks})", f"{rule.fix} (items below)")
        _warn_banks(audit, fig, f"test-wise rule '{rule.name}'")
    if audit.model is not None:
        judge(
            audit.model.overall,
            f"the test-wise model ({audit.model_method})",
            "shape still predicts the key, see the rules",
        )
        _warn_banks(audit, audit.model, "the test-wise model")
    for r, fig in enumerate(audit.ranks, start=1):
        low, high = audit.band_for(audit.rank_chance[r - 1])
        whole_low, whole_high = audit.band_for(audit.rank_chance[r - 1], whole=True)
        if not low - 1e-9 <= fig.overall <= high + 1e-9:
            audit.failures.append(
                Problem(
                    where,
                    None,
                    f"the key is the option of length rank {r} (1 = longest) in {fig.overall:.1%} of {n} items; "
                    f"keep each rank between {low:.0%} and {high:.0%} by varying where keys fall in length",
                )
            )
        elif not whole_low - 1e-9 <= fig.overall <= whole_high + 1e-9:
            audit.warnings.append(
                Problem(
                    where,
                    None,
                    f"warning: the key is the option of length rank {r} in {fig.overall:.1%} of {n} items; over all "
                    f"banks each rank must hold {whole_low:.0%}-{whole_high:.0%}",
                )
            )
    _judge_duplicates(audit)
    _guide(audit, shaped)


def _warn_banks(audit: Audit, fig: Figure, what: str) -> None:
    if len(audit.banks) < 2:
        return
    for bank in audit.banks:
        if fig.per_bank[bank.path] > adjusted(BANK_WARN, audit.chance) + 1e-9:
            audit.warnings.append(
                Problem(
                    bank.path,
                    None,
                    f"warning: {what} finds the key in {fig.per_bank[bank.path]:.1%} of this bank's items "
                    f"(over {adjusted(BANK_WARN, audit.chance):.0%})",
                )
            )


def _judge_duplicates(audit: Audit) -> None:
    known = {item.id for bank in audit.banks for item in bank.items}
    for bank in audit.banks:
        for item in bank.items:
            for enemy in item.enemies:
                if enemy not in known:
                    # Likely a typo, or a bank left off the command line: either way nothing is kept apart.
                    audit.warnings.append(
                        Problem(
                            bank.path,
                            item.line,
                            f"warning: item {item.id} declares enemy {enemy}, which is in none of the banks given",
                        )
                    )
    for pair in audit.duplicates:
        if pair.declared:
            continue
        audit.failures.append(
            Problem(
                pair.first_bank.path,
                pair.first.line,
                f"item {pair.first.id} and item {pair.second.id} ({pair.second_bank.path}:{pair.second.line}) "
                f"look like the same point (similarity {pair.score:.2f}, threshold {THRESHOLD:.2f}); rewrite one "
                f"to test something different, or declare them with 'enemies: [{pair.second.id}]'",
            )
        )


def _guide(audit: Audit, shaped: dict[str, list[tuple[Item, tuple[OptionShape, ...]]]]) -> None:
    """One line per item that feeds a rule over 30%, naming each cue it shows.

    Over 30% rather than over the failing level: an author linting one module needs to
    see what would fail once all banks are judged together.
    """
    failing = [rule for rule in RULES if audit.rules[rule.name].overall > adjusted(HIT_MAX, audit.chance) + 1e-9]
    if not failing:
        return
    for bank in audit.banks:
        for item, shapes in shaped[bank.path]:
            cues = []
            for rule in failing:
                picks = picked(shapes, rule.score)
                # A pick of one or two options that holds the key gives the candidate at least even odds.
                if item.key in picks and len(picks) <= 2:
                    cues.append(describe(rule, item, shapes, picks))
            if cues:
                audit.guidance.append(Problem(bank.path, item.line, f"{item.id}: " + " | ".join(cues)))


_BINARY = (
    ("a list", lambda s: s.has_list),
    ("a justification tail", lambda s: s.tail),
    ("a hedge", lambda s: s.hedges > 0),
    ("an absolute", lambda s: s.absolutes > 0),
    ("a full stop", lambda s: s.period),
    ("numbered parts", lambda s: s.numbered > 0),
)


def _unlike(key: OptionShape, others: Sequence[OptionShape]) -> str:
    """What sets the key apart: features it alone has, or alone lacks."""
    notes = []
    for label, has in _BINARY:
        if all(has(o) != has(key) for o in others):
            notes.append(f"the only one {'with' if has(key) else 'without'} {label}")
    mean = sum(o.relative_length for o in others) / len(others)
    if abs(key.relative_length - mean) >= 0.25:
        notes.append("much longer" if key.relative_length > mean else "much shorter")
    return f" ({', '.join(notes)})" if notes else ""


def describe(rule: Rule, item: Item, shapes: Sequence[OptionShape], picks: Sequence[str]) -> str:
    """The cue in the author's terms: what the key looks like next to its distractors."""
    key = _key_shape(item, shapes)
    others = [s for s in shapes if s.letter != item.key]
    alone = len(picks) == 1
    shared = "" if alone else f" (shared with {', '.join(p for p in picks if p != item.key)})"
    name = rule.name
    if name in ("longest", "second-longest", "third-longest", "shortest"):
        lengths = ", ".join(f"{s.letter} {s.chars}{'*' if s.letter == item.key else ''}" for s in shapes)
        tied = [s.letter for s in others if s.chars == key.chars]
        if tied:
            low = int(key.rank - len(tied) / 2)
            position = f"ties {', '.join(tied)} for length ranks {low}-{low + len(tied)}"
        else:
            position = f"is the {name.replace('-', ' ')} option"
        text = f"key {position} (characters, key starred: {lengths})"
    elif name == "middle-length":
        text = f"key is the option closest to the mean length{shared}"
    elif name == "most-parts":
        most = max(s.parts for s in others)
        if most == 1:
            shape = f"the only option with a list ({key.parts} parts)" if key.has_list else "the only two-part option"
            text = f"key is {shape}{shared} and distractors state one idea: give a distractor the same structure"
        else:
            text = (
                f"key has the most parts{shared}, {key.parts} against at most {most} in distractors: "
                "give a distractor the same structure"
            )
    elif name == "fewest-parts":
        text = f"key states one idea ({key.parts} part){shared} where distractors join several"
    elif name == "no-tail":
        tails = ", ".join(f"{s.letter} '{s.tail_word}'" for s in others if s.tail)
        text = f"key has no justification tail{shared} while distractors do ({tails}): justify the key or drop theirs"
    elif name == "tail":
        text = f"key is the option with a justification tail ('{key.tail_word}'){shared}"
    elif name == "hedged":
        text = f"key is the most hedged option ({key.hedges} hedge words){shared}"
    elif name == "no-absolute":
        text = f"key is free of absolutes{shared} while distractors carry them"
    elif name == "most-overlap":
        text = f"key repeats the most stem words ({key.overlap}){shared}"
    elif name == "least-overlap":
        text = f"key repeats the fewest stem words ({key.overlap}){shared}"
    elif name == "fits-stem":
        text = f"key reads on from the stem{shared} where distractors do not (a/an, agreement)"
    elif name == "odd-one-out":
        text = f"key's shape is unlike the other three{shared}{_unlike(key, others)}"
    else:
        text = f"key's shape is the most typical of the four{shared}"
    return text


def as_dict(audit: Audit) -> dict[str, object]:
    """The audit's figures as plain data, for `--format json`."""

    def fig(f: Figure) -> dict[str, object]:
        return {"overall": round(f.overall, 4), "per_bank": {k: round(v, 4) for k, v in f.per_bank.items()}}

    rule_info = {rule.name: rule for rule in RULES}
    return {
        "items": sum(len(b.items) for b in audit.banks),
        "banks": [{"path": b.path, "bank": b.id, "module": b.module, "items": len(b.items)} for b in audit.banks],
        "thresholds": {
            "hit_max": audit.hit_max,
            "chance": round(audit.chance, 4),
            "hit_max_all_banks": round(adjusted(HIT_MAX, audit.chance), 4),
            "bank_warn": BANK_WARN,
            "rank_low": audit.rank_band[0],
            "rank_high": audit.rank_band[1],
            "duplicate": THRESHOLD,
        },
        "rules": {
            name: {"picks": rule_info[name].picks, "fix": rule_info[name].fix, **fig(f)}
            for name, f in audit.rules.items()
        },
        "model": {"method": audit.model_method, **(fig(audit.model) if audit.model else {})},
        "key_length_rank": {str(r): fig(f) for r, f in enumerate(audit.ranks, start=1)},
        "features": {
            where: [
                {"feature": s.name, "keys": round(s.keys, 4), "distractors": round(s.distractors, 4)} for s in shares
            ]
            for where, shares in audit.features.items()
        },
        "near_duplicates": [
            {
                "items": [p.first.id, p.second.id],
                "banks": [p.first_bank.path, p.second_bank.path],
                "similarity": p.score,
                "declared": p.declared,
            }
            for p in audit.duplicates
        ],
        "failures": [_problem(p) for p in audit.failures],
        "warnings": [_problem(p) for p in audit.warnings],
        "guidance": [_problem(p) for p in audit.guidance],
    }


def _problem(p: Problem) -> dict[str, object]:
    return {"path": p.path, "line": p.line, "message": p.message}
