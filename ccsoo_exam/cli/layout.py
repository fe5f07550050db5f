"""Administrator's tables laid out for an 80-column terminal, in plain text.

Rich tables shrink columns to fit and then cut cells short with an ellipsis, which at 80
columns hid every item flag and the option shares. These layouts never cut anything: short
figures go in fixed columns, and long text (flags, reasons, names) goes on lines of its own,
wrapped at the width with an indent, one block per row. Outside text (names, reasons,
accommodations) is printed as it is, with control characters replaced (``visible``), and
never interpreted as markup.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Sequence

from ccsoo_exam.text import visible

WIDTH = 80


def wrapped(text: str, width: int = WIDTH, indent: str = "  ", first: str | None = None) -> list[str]:
    """``text`` wrapped at ``width``: the first line starts with ``first`` (default ``indent``)."""
    lead = indent if first is None else first
    return textwrap.wrap(
        visible(text),
        width=width,
        initial_indent=lead,
        subsequent_indent=indent + "  ",
        break_long_words=True,
        break_on_hyphens=False,
    ) or [lead.rstrip()]


def _fixed(value: float, digits: int) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def items_lines(rows: Sequence, width: int = WIDTH) -> list[str]:
    """Item analysis: one line of figures per item, then its flags on lines of their own."""
    # Items have 3 to 5 options: a column per letter any item uses, blank where an item lacks it.
    most = max((len(r.shares) - 1 for r in rows), default=4)
    letters = (*("A", "B", "C", "D", "E")[: max(most, 3)], "-")
    numbers = "{mod:>3} {key:>3} {n:>5} {p:>5} {r:>5} " + " ".join(f"{{s{i}:>4}}" for i in range(len(letters)))
    blank = {f"s{i}": "" for i in range(len(letters))}
    figures_width = len(numbers.format(mod="", key="", n="", p="", r="", **blank))
    item_width = max([4, *(len(visible(r.item)) for r in rows)])
    item_width = min(item_width, max(4, width - figures_width - 1))
    header = f"{'item':<{item_width}} " + numbers.format(
        mod="mod",
        key="key",
        n="n",
        p="p",
        r="r_it",
        **{f"s{i}": ("omit" if x == "-" else x) for i, x in enumerate(letters)},
    )
    lines = [header.rstrip(), "-" * min(width, len(header.rstrip()))]
    for r in rows:
        item = visible(r.item)
        figures = numbers.format(
            mod=r.module,
            key=r.key or "-",
            n=r.n,
            p=_fixed(r.p_value, 2),
            r=_fixed(r.item_total, 2),
            **{f"s{i}": f"{100 * r.shares[x]:.0f}%" if x in r.shares else "" for i, x in enumerate(letters)},
        )
        if len(item) > item_width:
            lines.append(item[:width])
            lines.extend(item[i : i + width] for i in range(width, len(item), width))
            lines.append(f"{'':<{item_width}} {figures}".rstrip())
        else:
            lines.append(f"{item:<{item_width}} {figures}".rstrip())
        for flag in r.flags:
            lines.extend(wrapped(flag, width, indent="    ", first="    ! "))
    return lines


def roster_lines(rows: Iterable, width: int = WIDTH) -> list[str]:
    """The roster, one block per candidate: id and name, facts, then eligibility with its reason."""
    lines: list[str] = []
    for r in rows:
        lines.extend(wrapped(f"{r['candidate_id']}  {r['name']}", width, indent="", first=""))
        facts = (
            f"{r['degree'] or '?'} degree; {r['years_senior_management'] or 0} years of senior management; "
            f"route {r['route'] or '?'}"
        )
        if r["accommodations"]:
            facts += f"; accommodations: {r['accommodations']}"
        lines.extend(wrapped(facts, width))
        lines.extend(wrapped(f"{r['eligibility'] or '?'}: {r['eligibility_reason'] or ''}", width))
    return lines


def decisions_lines(decisions: Iterable, width: int = WIDTH) -> list[str]:
    """Certification decisions, one block per candidate: the decision first, then what it rests on."""
    lines: list[str] = []
    for d in decisions:
        lines.extend(wrapped(f"{d.candidate_id}  {d.name}: {d.decision.upper()}", width, indent="", first=""))
        exam = f"exam {d.exam_raw}/{d.exam_total}" if d.exam_raw is not None else "no exam result"
        if d.panel_final is not None:
            panel = f"panel {d.panel_final:.1f}% {d.panel_decision}"
        else:
            panel = f"panel {d.panel_decision}" if d.panel_decision else "no panel result"
        lines.extend(
            wrapped(f"route {d.route or '?'}; {d.eligibility or 'eligibility unknown'}; {exam}; {panel}", width)
        )
        if d.eligibility_reason:
            lines.extend(wrapped(f"eligibility: {d.eligibility_reason}", width))
        lines.extend(wrapped(f"reason: {d.reason}", width))
    return lines
