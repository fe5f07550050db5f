"""The cue audit as text tables for `bank lint` and `bank inspect`."""

from __future__ import annotations

from pathlib import Path

from ccsoo_exam.cue_audit import ALL, BANK_WARN, Audit, Figure, adjusted
from ccsoo_exam.duplicates import THRESHOLD


def _columns(audit: Audit) -> list[str]:
    return [Path(b.path).stem[:10] for b in audit.banks]


def _row(label: str, fig: Figure, audit: Audit, limit: tuple[float, float]) -> str:
    low, high = limit
    cells = []
    for bank in audit.banks:
        value = fig.per_bank[bank.path]
        mark = "!" if len(audit.banks) > 1 and value > adjusted(BANK_WARN, audit.chance) + 1e-9 else " "
        cells.append(f"{value:9.1%}{mark}")
    fail = "  FAIL" if not low - 1e-9 <= fig.overall <= high + 1e-9 else ""
    return f"  {label:<16}" + "".join(cells) + f"{fig.overall:9.1%}{fail}"


def render(audit: Audit, full: bool = True) -> list[str]:
    """Rule and model hit rates, key-length ranks, and (in full) feature shares and duplicates."""
    n = sum(len(b.items) for b in audit.banks)
    # Two standard deviations of an uninformative rule's hit rate: what noise alone can do.
    chance = audit.chance  # 25% when every item has four options; 1/k on average otherwise
    spread = 2 * (chance * (1 - chance) / max(n, 1)) ** 0.5
    bank_warn = adjusted(BANK_WARN, chance)
    header = f"  {'':<16}" + "".join(f"{c:>10} " for c in _columns(audit)) + f"{'overall':>9}"
    lines = [
        f"structural-cue audit over {len(audit.banks)} bank(s), {n} items "
        f"(chance {chance:.0%}; fail above {audit.hit_max:.0%} overall; '!' = bank above {bank_warn:.0%})",
        f"test-wise rules: share of items where the rule picks the key (ties split; chance alone {chance:.0%} "
        f"+/- {spread:.1%})",
        header,
    ]
    lines += [_row(name, fig, audit, (0.0, audit.hit_max)) for name, fig in audit.rules.items()]
    if audit.model is not None:
        lines.append(_row("model", audit.model, audit, (0.0, audit.hit_max)))
    lines.append(f"  model: conditional logit on shape features, {audit.model_method}")
    low, high = audit.rank_band
    lines.append(f"key length rank (1 = longest; each should hold {low:.0%}-{high:.0%} of keys)")
    lines.append(header)
    lines += [
        _row(f"rank {r}", fig, audit, audit.band_for(audit.rank_chance[r - 1]))
        for r, fig in enumerate(audit.ranks, start=1)
    ]
    if full:
        lines.append("features over all banks: keys against distractors (shares, or means where named)")
        lines.append(f"  {'feature':<28}{'keys':>8}{'distractors':>13}")
        for share in audit.features[ALL]:
            lines.append(f"  {share.name:<28}{share.keys:8.2f}{share.distractors:13.2f}")
    declared = sum(p.declared for p in audit.duplicates)
    lines.append(
        f"near-duplicate pairs (similarity >= {THRESHOLD:.2f}): {len(audit.duplicates)}, {declared} declared as enemies"
    )
    if full:
        for pair in audit.duplicates:
            state = "enemies" if pair.declared else "UNDECLARED"
            lines.append(f"  {pair.score:.2f}  {pair.first.id:<10} {pair.second.id:<10} {state}")
    return lines
