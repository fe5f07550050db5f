"""Modified-Angoff standard setting: judges' ratings in, per-item means and every form's cut out.

Each judge rates each item: the probability (0-1; a file may use 0-100) that a *minimally
competent candidate* answers it correctly (Angoff 1971; "modified": probabilities rather than
yes/no, with a second round in which judges see the round-1 mean and the item's p-value,
Cizek & Bunch 2007, ch. 6). From the ratings of the chosen round (default: the latest round;
for each judge and item the rating of the latest round up to it):

* per item: the number of judges, the mean rating and its SD (n - 1 divisor);
* the cut of the whole bank (the sum of every item's mean rating), and of the expected
  blueprint form (per module: items drawn x the module's mean rating);
* each form's cut: the sum of the mean ratings of the items on it (``standard.py`` makes it a
  whole number), so a harder form asks for fewer items correct;
* the standard error of the cut: each judge's own cut of the expected form, SD / sqrt(judges)
  (Hambleton & Pitoniak 2006, "Setting performance standards", in Educational Measurement 4th ed.);
* inter-judge agreement over the items every judge rated: ICC(A,1) and ICC(A,k) (two-way,
  absolute agreement; ``stats.icc``) and Kendall's W with the tie correction (Kendall & Babington
  Smith 1939; W = chi2_Friedman / (m (n - 1)));
* the Hofstee (1983) compromise: each judge's lowest and highest acceptable cut (percent correct)
  and fail rate (percent); the compromise cut is where the observed fail-rate curve F(c) (share
  of sittings scoring below c percent) meets the line from (k_min, f_max) to (k_max, f_min).
  The check says whether the Angoff cut lies inside the judges' acceptable box.

Pure and stdlib-only. ``report_dict`` gives the same figures as JSON-ready data; reading the
ratings from CSV is in ``angoff_csv.py``.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.psychometrics.standard import whole_cut
from ccsoo_exam.stats import icc


@dataclass(frozen=True)
class Rating:
    judge: str
    item: str  # "bank/item"
    rating: float  # 0-1
    round: int = 1


@dataclass(frozen=True)
class HofsteeJudgement:
    judge: str
    min_cut: float  # percent correct, 0-100
    max_cut: float
    min_fail: float  # percent of candidates, 0-100
    max_fail: float


@dataclass(frozen=True)
class ItemStandard:
    item: str
    module: int
    judges: int
    mean: float
    sd: float  # NaN with one judge
    round1_mean: float | None


@dataclass(frozen=True)
class FormCut:
    form: str  # a short fingerprint of the form's item set
    items: int
    sittings: int
    exact: float
    raw_cut: int


@dataclass(frozen=True)
class Hofstee:
    judges: int
    min_cut: float  # mean of the judges' values, percent
    max_cut: float
    min_fail: float
    max_fail: float
    cut_percent: float  # the compromise cut
    fail_at_cut: float  # observed percent failing at the compromise cut
    angoff_percent: float
    angoff_fail: float  # observed percent failing the Angoff form cuts
    consistent: bool  # the Angoff cut and its fail rate lie within the judges' bounds


@dataclass(frozen=True)
class AngoffReport:
    exam: str
    round: int
    judges: tuple[str, ...]
    items: tuple[ItemStandard, ...]
    unrated: tuple[str, ...]  # package items nobody rated in this round
    bank_cut: float  # sum of every rated item's mean
    bank_items: int
    expected_cut: float  # expected blueprint form
    form_items: int
    judge_cuts: tuple[tuple[str, float], ...]
    cut_se: float  # NaN with one judge
    icc_single: float | None
    icc_average: float | None
    kendall_w: float | None
    agreement_basis: str
    forms: tuple[FormCut, ...]
    hofstee: Hofstee | None
    rounding: str
    warnings: tuple[str, ...]


# --- the report ------------------------------------------------------------------------


def effective(ratings: Iterable[Rating], round_: int | None = None) -> tuple[int, dict[tuple[str, str], float]]:
    """(round used, (judge, item) -> the rating of the latest round up to it)."""
    every = list(ratings)
    if not every:
        raise CcsooError(Problem("ratings", None, "no Angoff ratings yet; import a CSV or rate with 'standard rate'"))
    chosen = round_ or max(r.round for r in every)
    best: dict[tuple[str, str], Rating] = {}
    for r in every:
        if r.round <= chosen and ((k := (r.judge, r.item)) not in best or best[k].round < r.round):
            best[k] = r
    if not best:
        raise CcsooError(Problem("--round", None, f"no ratings in round {chosen} or before"))
    return chosen, {k: r.rating for k, r in best.items()}


def angoff_report(
    exam: str,
    ratings: Iterable[Rating],
    modules: Mapping[str, int],
    blueprint: Mapping[int, int],
    forms: Sequence[Sequence[str]] = (),
    hofstee: Sequence[HofsteeJudgement] = (),
    scores: Sequence[tuple[int, int]] = (),
    *,
    round_: int | None = None,
    rounding: str = "up",
) -> AngoffReport:
    """The Angoff figures. ``modules``: bank/item -> module for the package's items; ``blueprint``:
    module -> items drawn; ``forms``: each submitted sitting's scored items; ``scores``: each
    sitting's (raw, scored items), in the same order as ``forms``, for the Hofstee check."""
    every = list(ratings)
    chosen, table = effective(every, round_)
    round1 = defaultdict(list)
    for r in every:
        if r.round == 1:
            round1[r.item].append(r.rating)
    by_item: dict[str, dict[str, float]] = defaultdict(dict)
    for (judge, item), value in table.items():
        by_item[item][judge] = value
    judges = tuple(sorted({j for j, _ in table}))
    warnings: list[str] = []
    unknown = sorted(set(by_item) - set(modules))
    if unknown:
        warnings.append(f"{len(unknown)} rated items are not in the package (e.g. {unknown[0]}); left out")
    items = []
    for name in sorted(set(by_item) & set(modules), key=lambda n: (modules[n], n)):
        values = list(by_item[name].values())
        items.append(
            ItemStandard(
                name,
                modules[name],
                len(values),
                statistics.fmean(values),
                statistics.stdev(values) if len(values) > 1 else math.nan,
                statistics.fmean(round1[name]) if round1.get(name) else None,
            )
        )
    means = {i.item: i.mean for i in items}
    unrated = tuple(sorted(set(modules) - set(means)))
    if unrated:
        warnings.append(f"{len(unrated)} package items have no rating; a form's cut counts them at the module mean")
    module_mean = {m: statistics.fmean(v) for m, v in _group(means, modules).items()}
    expected = sum(drawn * module_mean.get(m, 0.0) for m, drawn in blueprint.items())
    judge_cuts = tuple((j, _judge_cut(j, table, modules, blueprint)) for j in judges)
    cuts = [c for _, c in judge_cuts if not math.isnan(c)]
    se = statistics.stdev(cuts) / math.sqrt(len(cuts)) if len(cuts) > 1 else math.nan
    if len(judges) < 2:
        warnings.append("one judge: no standard error of the cut and no agreement; a panel needs 8-15 judges")
    elif len(judges) < 8:
        warnings.append(f"{len(judges)} judges: fewer than the 8-15 usually recommended (Hurtz & Hertz 1999)")
    icc1, icck, w, basis = _agreement(items, by_item, judges)

    def rate(name: str) -> float:
        return means.get(name, module_mean.get(modules.get(name, 0), expected / max(1, sum(blueprint.values()))))

    form_cuts = _forms(forms, rate, rounding)
    check = _hofstee_check(hofstee, forms, scores, rate, rounding, expected, sum(blueprint.values()))
    if hofstee and check is None:
        warnings.append("Hofstee judgements present but no results yet: the compromise needs observed scores")
    return AngoffReport(
        exam,
        chosen,
        judges,
        tuple(items),
        unrated,
        sum(means.values()),
        len(means),
        expected,
        sum(blueprint.values()),
        judge_cuts,
        se,
        icc1,
        icck,
        w,
        basis,
        form_cuts,
        check,
        rounding,
        tuple(warnings),
    )


def _group(values: Mapping[str, float], modules: Mapping[str, int]) -> dict[int, list[float]]:
    grouped: dict[int, list[float]] = defaultdict(list)
    for name, value in values.items():
        grouped[modules[name]].append(value)
    return grouped


def _judge_cut(
    judge: str, table: Mapping[tuple[str, str], float], modules: Mapping[str, int], blueprint: Mapping[int, int]
) -> float:
    own = {item: v for (j, item), v in table.items() if j == judge and item in modules}
    grouped = _group(own, modules)
    if any(m not in grouped for m in blueprint):
        return math.nan  # this judge rated no item of some module
    return sum(drawn * statistics.fmean(grouped[m]) for m, drawn in blueprint.items())


def _agreement(
    items: Sequence[ItemStandard], by_item: Mapping[str, Mapping[str, float]], judges: Sequence[str]
) -> tuple[float | None, float | None, float | None, str]:
    complete = [[by_item[i.item][j] for j in judges] for i in items if len(by_item[i.item]) == len(judges)]
    basis = f"{len(complete)} items rated by all {len(judges)} judges"
    if len(judges) < 2 or len(complete) < 2:
        return None, None, None, f"not computable: {basis}"
    try:
        single, average = icc(complete, "A,1"), icc(complete, "A,k")
    except ValueError as exc:
        return None, None, None, f"not computable: {exc}; {basis}"
    return single, average, kendall_w(complete), basis


def kendall_w(table: Sequence[Sequence[float]]) -> float | None:
    """Kendall's coefficient of concordance of the columns (judges) ranking the rows (items),
    with mid-ranks for ties and the tie correction: W = 12 S / (m^2 (n^3 - n) - m sum T)."""
    n, m = len(table), len(table[0])
    ranks = [[0.0] * m for _ in range(n)]
    tie_sum = 0.0
    for j in range(m):
        column = sorted(range(n), key=lambda i: table[i][j])
        start = 0
        while start < n:
            end = start
            while end + 1 < n and table[column[end + 1]][j] == table[column[start]][j]:
                end += 1
            for k in range(start, end + 1):
                ranks[column[k]][j] = (start + end) / 2 + 1
            t = end - start + 1
            tie_sum += t**3 - t
            start = end + 1
    totals = [sum(row) for row in ranks]
    mean = m * (n + 1) / 2
    s = sum((t - mean) ** 2 for t in totals)
    denominator = m * m * (n**3 - n) - m * tie_sum
    return 12 * s / denominator if denominator > 0 else None


def _form_id(items: Sequence[str]) -> str:
    return hashlib.sha256(",".join(sorted(items)).encode()).hexdigest()[:12]


def _forms(forms: Sequence[Sequence[str]], rate: Callable[[str], float], rounding: str) -> tuple[FormCut, ...]:
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for items in forms:
        counts[tuple(sorted(items))] += 1
    cuts = []
    for items, n in counts.items():
        exact = sum(rate(i) for i in items)
        cuts.append(FormCut(_form_id(items), len(items), n, exact, whole_cut(exact, rounding)))
    return tuple(sorted(cuts, key=lambda f: (-f.sittings, f.form)))


def _hofstee_check(
    judgements: Sequence[HofsteeJudgement],
    forms: Sequence[Sequence[str]],
    scores: Sequence[tuple[int, int]],
    rate: Callable[[str], float],
    rounding: str,
    expected: float,
    form_items: int,
) -> Hofstee | None:
    if not judgements or not scores:
        return None
    k_min = statistics.fmean(h.min_cut for h in judgements)
    k_max = statistics.fmean(h.max_cut for h in judgements)
    f_min = statistics.fmean(h.min_fail for h in judgements)
    f_max = statistics.fmean(h.max_fail for h in judgements)
    percents = sorted(100.0 * raw / total for raw, total in scores if total)

    def fail_rate(cut: float) -> float:  # percent of sittings scoring below the cut (percent correct)
        return 100.0 * bisect.bisect_left(percents, cut - 1e-9) / len(percents)

    def line(cut: float) -> float:
        if k_max == k_min:
            return f_min
        return f_max - (f_max - f_min) * (cut - k_min) / (k_max - k_min)

    # F rises and the line falls with the cut: the first grid point where F reaches the line.
    steps = 2000
    compromise = k_max
    for s in range(steps + 1):
        c = k_min + (k_max - k_min) * s / steps
        if fail_rate(c) >= line(c):
            compromise = c
            break
    fails = sum(
        1 for items, (raw, _) in zip(forms, scores, strict=True) if raw < whole_cut(sum(map(rate, items)), rounding)
    )
    angoff_fail = 100.0 * fails / len(scores)
    angoff_percent = 100.0 * expected / form_items if form_items else math.nan
    inside = k_min <= angoff_percent <= k_max and f_min <= angoff_fail <= f_max
    return Hofstee(
        len(judgements),
        k_min,
        k_max,
        f_min,
        f_max,
        compromise,
        fail_rate(compromise),
        angoff_percent,
        angoff_fail,
        inside,
    )


def report_dict(report: AngoffReport, *, all_forms: bool = True) -> dict[str, object]:
    """The report as JSON-ready data (NaN as null)."""

    def clean(value: object) -> object:
        if isinstance(value, float):
            return None if math.isnan(value) else round(value, 4)
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    data = asdict(report)
    data["judge_cuts"] = [{"judge": j, "cut": c} for j, c in report.judge_cuts]
    if not all_forms:
        data["forms"] = data["forms"][:20]
    data["form_cut_range"] = (
        [min(f.raw_cut for f in report.forms), max(f.raw_cut for f in report.forms)] if report.forms else None
    )
    return clean(data)  # type: ignore[return-value]
