"""Small inline SVG charts for the HTML report: no scripts, no fonts to fetch, escaped text.

Every mark carries its figure in ``data-*`` attributes (and a ``<title>`` tooltip), so a reader
can hover for the number and a test can check the chart against the JSON outputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
FLAGGED = "#b3261e"
PLAIN = "#1f5fa8"
MUTED = "#8a8f98"


def _attrs(values: Mapping[str, object]) -> str:
    return "".join(f' {name}="{escape(str(value), quote=True)}"' for name, value in values.items())


def _figure(value: float | None, digits: int = 3) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _svg(width: int, height: int, label: str, chart: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"'
        f'{_attrs({"aria-label": label, "data-chart": chart})} class="chart">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def histogram(bins: Sequence[tuple[int, int, int]], cut: float, top: int, label: str) -> str:
    """Bars of score counts over 0..top, with the cut as a vertical line."""
    height, left, bottom, right = 240, 44, 34, 12
    plot_w, plot_h = WIDTH - left - right, height - bottom - 12
    peak = max((count for _, _, count in bins), default=0) or 1
    scale = plot_w / (top + 1)
    body = [f'<line x1="{left}" y1="{12 + plot_h}" x2="{WIDTH - right}" y2="{12 + plot_h}" stroke="#333"/>']
    for low, high, count in bins:
        x = left + low * scale
        w = max(1.0, (high - low + 1) * scale - 2)
        h = plot_h * count / peak
        body.append(
            f'<rect x="{x:.1f}" y="{12 + plot_h - h:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{PLAIN}"'
            + _attrs({"data-low": low, "data-high": high, "data-count": count})
            + f"><title>{low}-{high}: {count}</title></rect>"
        )
        body.append(f'<text x="{x + w / 2:.1f}" y="{height - 18}" font-size="10" text-anchor="middle">{low}</text>')
    cx = left + cut * scale
    body.append(
        f'<line x1="{cx:.1f}" y1="6" x2="{cx:.1f}" y2="{12 + plot_h}" stroke="{FLAGGED}" stroke-width="2"'
        f' stroke-dasharray="5 3"{_attrs({"data-cut": f"{cut:g}"})}><title>cut {cut:g}</title></line>'
    )
    body.append(f'<text x="{cx + 4:.1f}" y="18" font-size="11" fill="{FLAGGED}">cut {escape(f"{cut:g}")}</text>')
    body.append(f'<text x="{left + plot_w / 2}" y="{height - 2}" font-size="11" text-anchor="middle">raw score</text>')
    body.append(f'<text x="4" y="16" font-size="11">{peak}</text>')
    return _svg(WIDTH, height, label, "score-distribution", body)


@dataclass(frozen=True)
class Point:
    item: str
    p_value: float
    discrimination: float | None
    flagged: bool


def scatter(points: Sequence[Point], label: str) -> str:
    """Items by p-value (x, 0-1) and corrected item-total correlation (y, -1..1); flagged items as crosses."""
    height, left, bottom, top_pad, right = 320, 44, 34, 10, 12
    plot_w, plot_h = WIDTH - left - right, height - bottom - top_pad

    def x(p: float) -> float:
        return left + plot_w * p

    def y(r: float) -> float:
        return top_pad + plot_h * (1 - (r + 1) / 2)

    body = []
    for r in (-1.0, -0.5, 0.0, 0.2, 0.5, 1.0):
        colour = "#333" if r == 0 else "#ddd"
        body.append(f'<line x1="{left}" y1="{y(r):.1f}" x2="{WIDTH - right}" y2="{y(r):.1f}" stroke="{colour}"/>')
        body.append(f'<text x="{left - 4}" y="{y(r) + 4:.1f}" font-size="10" text-anchor="end">{r:g}</text>')
    for p in (0.0, 0.2, 0.5, 0.95, 1.0):
        body.append(f'<line x1="{x(p):.1f}" y1="{top_pad}" x2="{x(p):.1f}" y2="{top_pad + plot_h}" stroke="#eee"/>')
        body.append(f'<text x="{x(p):.1f}" y="{height - 18}" font-size="10" text-anchor="middle">{p:g}</text>')
    body.append(f'<text x="{left + plot_w / 2}" y="{height - 2}" font-size="11" text-anchor="middle">p-value</text>')
    body.append(f'<text x="4" y="{top_pad + 8}" font-size="11">r_it</text>')
    for point in points:
        data = {
            "data-item": point.item,
            "data-p": _figure(point.p_value),
            "data-r": _figure(point.discrimination),
            "data-flagged": int(point.flagged),
        }
        r = 0.0 if point.discrimination is None or math.isnan(point.discrimination) else point.discrimination
        shown = _figure(point.discrimination, 2) or "n/a"
        tip = f"<title>{escape(point.item)}: p {_figure(point.p_value, 2)}, r {shown}</title>"
        cx, cy = x(point.p_value), y(r)
        if point.flagged:
            body.append(
                f'<path d="M{cx - 4:.1f} {cy - 4:.1f}L{cx + 4:.1f} {cy + 4:.1f}'
                f'M{cx - 4:.1f} {cy + 4:.1f}L{cx + 4:.1f} {cy - 4:.1f}" stroke="{FLAGGED}" stroke-width="2"'
                f' class="point"{_attrs(data)}>{tip}</path>'
            )
        else:
            body.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{PLAIN}" class="point"{_attrs(data)}>{tip}</circle>'
            )
    return _svg(WIDTH, height, label, "item-scatter", body)


def option_bars(item: str, shares: Mapping[str, float], key: str) -> str:
    """One item's option shares as small horizontal bars; the key's bar is filled, distractors outlined."""
    row, width, left = 14, 220, 30
    options = list(shares)
    body = []
    for n, option in enumerate(options):
        share = shares[option]
        y = n * row
        keyed = option in key
        name = "omit" if option == "-" else option
        body.append(f'<text x="0" y="{y + 10}" font-size="10">{escape(name)}{" *" if keyed else ""}</text>')
        fill = PLAIN if keyed else "#fff"
        stroke = PLAIN if keyed else MUTED
        body.append(
            f'<rect x="{left}" y="{y + 2}" width="{max(0.5, (width - left - 40) * share):.1f}" height="{row - 4}"'
            f' fill="{fill}" stroke="{stroke}"'
            + _attrs({"data-item": item, "data-option": option, "data-share": _figure(share), "data-key": int(keyed)})
            + f"><title>{escape(name)}: {100 * share:.0f}%</title></rect>"
        )
        body.append(f'<text x="{width - 36}" y="{y + 10}" font-size="10">{100 * share:.0f}%</text>')
    return _svg(width, row * len(options), f"options of {item}", "option-shares", body)


def value_bars(
    rows: Sequence[tuple[str, float, Mapping[str, object]]], top: float, label: str, chart: str, line: float | None
) -> str:
    """Labelled horizontal bars (label, value, data attributes) on 0..top, with an optional reference line."""
    row, left, right = 26, 120, 60
    height = row * len(rows) + 20
    plot_w = WIDTH - left - right
    body = []
    for n, (name, value, data) in enumerate(rows):
        y = 4 + n * row
        w = plot_w * (value / top if top else 0)
        body.append(f'<text x="0" y="{y + 15}" font-size="11">{escape(name)}</text>')
        body.append(
            f'<rect x="{left}" y="{y + 3}" width="{max(0.5, w):.1f}" height="{row - 8}" fill="{PLAIN}"{_attrs(data)}>'
            f"<title>{escape(name)}: {value:.2f}</title></rect>"
        )
        body.append(f'<text x="{left + w + 4:.1f}" y="{y + 15}" font-size="11">{value:.2f}</text>')
    if line is not None:
        lx = left + plot_w * (line / top if top else 0)
        body.append(
            f'<line x1="{lx:.1f}" y1="0" x2="{lx:.1f}" y2="{height - 14}" stroke="{FLAGGED}" stroke-dasharray="5 3"'
            f"{_attrs({'data-standard': f'{line:g}'})}/>"
        )
        body.append(
            f'<text x="{lx:.1f}" y="{height - 2}" font-size="10" fill="{FLAGGED}" text-anchor="middle">'
            f"standard {line:.1f}</text>"
        )
    return _svg(WIDTH, height, label, chart, body)
