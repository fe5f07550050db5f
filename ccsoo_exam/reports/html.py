"""The administrator's report as one self-contained HTML file.

No scripts, no external fonts, stylesheets or images: charts are inline SVG (``reports.svg``),
the style sheet is inline, and a Content-Security-Policy forbids every fetch, so the file
opens the same on an office machine without network and prints legibly (print CSS). Every
piece of outside text (names, ids, item ids, reasons) goes through ``html.escape``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from html import escape

from ccsoo_exam.reports import svg
from ccsoo_exam.reports.admin_report import AdminReport, spread

_CSS = """
:root { --ink: #1b1f24; --muted: #5b6470; --rule: #d0d5dc; --flag: #b3261e; --accent: #1f5fa8; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1000px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; border-bottom: 2px solid var(--rule);
     padding-bottom: 4px; margin-top: 32px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.meta, .note { color: var(--muted); } .none { font-style: italic; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--rule); padding: 3px 6px; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.flags { color: var(--flag); } .chart { width: 100%; height: auto; max-width: 640px; display: block; }
td svg.chart { width: 220px; }
.figures { display: flex; flex-wrap: wrap; gap: 8px 24px; margin: 8px 0; padding: 0; list-style: none; }
.figures li b { display: block; font-size: 18px; }
nav ol { columns: 2; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  nav { display: none; }
  h2 { break-after: avoid; }
  section { break-inside: auto; } figure, svg, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  @page { margin: 15mm; }
}
"""
MAX_FORM_BARS = 40  # more forms than this are drawn as a histogram of their expected scores
MAX_FORM_ROWS = 200
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[int] = (), raw: bool = False
) -> str:
    """A table; cells are escaped unless ``raw`` (then the caller has escaped them)."""
    head = "".join(f"<th{' class=n' if i in numeric else ''}>{_e(h)}</th>" for i, h in enumerate(headers))
    body = []
    for row in rows:
        cells = "".join(
            f"<td{' class=n' if i in numeric else ''}>{cell if raw else _e(cell)}</td>" for i, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figures(pairs: Iterable[tuple[str, str]]) -> str:
    return '<ul class="figures">' + "".join(f"<li>{_e(k)}<b>{_e(v)}</b></li>" for k, v in pairs) + "</ul>"


def render(report: AdminReport) -> str:
    """The whole report as an HTML document (a string)."""
    sections = [
        ("summary", "Test summary", _summary(report)),
        ("distribution", "Score distribution and the cut", _distribution(report)),
        ("items", "Item analysis", _items(report)),
        ("modules", "Module subscores", _modules(report)),
        ("forms", "Form difficulty", _forms(report)),
        ("standard", "Standard setting", _standard(report)),
        ("panel", "Panel reliability", _panel(report)),
        ("decisions", "Certification decisions", _decisions(report)),
    ]
    nav = "".join(f'<li><a href="#{key}">{_e(title)}</a></li>' for key, title, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{_e(title)}</h2>{html}</section>' for key, title, html in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(report.title)}: results report</title><style>{_CSS}</style></head>"
        f'<body><header><h1>{_e(report.title)}</h1><p class="meta">Exam <code>{_e(report.exam_id)}</code> · '
        f"results database {_e(report.database)} · generated {_e(report.generated_at)}</p></header>"
        f"<nav><ol>{nav}</ol></nav>{body}</body></html>\n"
    )


def _summary(report: AdminReport) -> str:
    s = report.analysis.summary
    html = _figures(
        [
            ("candidates", str(s.n_candidates)),
            ("items", str(s.n_items)),
            ("mean", _num(s.mean, 2)),
            ("SD", _num(s.sd, 2)),
            ("KR-20", _num(s.kr20)),
            ("SEM", _num(s.sem, 2)),
        ]
    )
    html += (
        f'<p id="summary-figures" data-candidates="{s.n_candidates}" data-mean="{_num(s.mean)}" '
        f'data-sd="{_num(s.sd)}" data-kr20="{_num(s.kr20)}" data-sem="{_num(s.sem)}">'
        f'Basis: {_e(report.analysis.basis)}. <span data-passed="{report.passed}">{report.passed}</span> of '
        f"{report.scored} submitted sittings pass on their current score (cut {report.cut_score} of "
        f"{report.item_count}).</p>"
    )
    if report.rescorings:
        html += "<h3>Applied rescorings (key challenges)</h3>" + _table(
            ("item", "action", "letter", "reason", "by", "at"), report.rescorings
        )
    return html


def _distribution(report: AdminReport) -> str:
    label = f"Raw scores of {report.analysis.summary.n_candidates} candidates; cut {report.cut_score}"
    chart = svg.histogram(report.histogram, report.cut_score, report.item_count, label)
    rows = [(f"{low}-{high}", str(count)) for low, high, count in report.histogram]
    return f"<figure>{chart}</figure>" + _table(("raw score", "candidates"), rows, numeric=(1,))


def _items(report: AdminReport) -> str:
    items = report.analysis.items
    points = [
        svg.Point(r.item, r.p_value, None if math.isnan(r.item_total) else r.item_total, bool(r.flags)) for r in items
    ]
    flagged = sum(1 for r in items if r.flags)
    html = (
        f"<p>{len(items)} items, {flagged} flagged (crosses). p: the share choosing the key; r_it: the corrected "
        "item-total correlation. Bars: the share choosing each authored option (* the key).</p>"
        f"<figure>{svg.scatter(points, 'Items: p-value against discrimination')}</figure>"
    )
    rows = []
    for r in items:
        rows.append(
            (
                f"<code>{_e(r.item)}</code>",
                _e(r.module),
                _e(r.key or "-"),
                _e(r.n),
                _num(r.p_value, 2),
                _num(r.item_total, 2),
                svg.option_bars(r.item, r.shares, r.key),
                '<span class="flags">' + "<br>".join(_e(f) for f in r.flags) + "</span>" if r.flags else "ok",
            )
        )
    return html + _table(("item", "module", "key", "n", "p", "r_it", "options", "flags"), rows, (3, 4, 5), raw=True)


def _modules(report: AdminReport) -> str:
    if not report.modules:
        return '<p class="none">No module subscores recorded.</p>'
    top = max(m.items for m in report.modules)
    standards = {round(m.standard, 6) for m in report.modules}
    line = report.modules[0].standard if len(standards) == 1 else None
    bars = [
        (
            f"module {m.module}",
            m.mean,
            {"data-module": m.module, "data-mean": f"{m.mean:.3f}", "data-items": m.items, "data-sittings": m.sittings},
        )
        for m in report.modules
    ]
    chart = svg.value_bars(bars, top, "Mean items correct per module", "module-subscores", line)
    rows = [
        (
            str(m.module),
            str(m.items),
            str(m.sittings),
            f"{m.mean:.2f}",
            f"{m.sd:.2f}",
            f"{m.standard:.1f}",
            f"{100 * m.at_or_above / m.sittings:.0f}%",
        )
        for m in report.modules
    ]
    return (
        f"<figure>{chart}</figure>"
        + _table(("module", "items", "sittings", "mean", "SD", "standard", "at or above"), rows, (1, 2, 3, 4, 5, 6))
        + '<p class="note">The standard is the cut applied to each module (cut / items x module items). '
        "Subscores rest on few items and are less reliable than the total.</p>"
    )


def _forms(report: AdminReport) -> str:
    forms = report.forms
    bars = [
        (f.label, f.expected, {"data-form": f.label, "data-expected": f"{f.expected:.3f}", "data-sittings": f.sittings})
        for f in forms
    ]
    top = max((f.items for f in forms), default=report.item_count)
    html = ""
    if report.calibration:
        html += "<h3>Calibration</h3>" + _table(("", ""), report.calibration)
    else:
        html += (
            '<p class="none" id="no-calibration">No calibration recorded (no Rasch calibration of this exam): '
            "form difficulty is shown as each form's classical expected raw score, the sum of its items' "
            "p-values.</p>"
        )
    band = spread(forms)
    if band is None:
        html += f"<p>{len(forms)} form{'s' if len(forms) != 1 else ''} delivered: no spread to report.</p>"
    else:
        low, high, sd = band
        html += (
            f'<p id="form-spread" data-forms="{len(forms)}" data-low="{low:.3f}" data-high="{high:.3f}" '
            f'data-sd="{sd:.3f}">{len(forms)} forms; expected raw score from {low:.2f} to {high:.2f} '
            f"(range {high - low:.2f}, SD {sd:.2f}).</p>"
        )
    if len(forms) > MAX_FORM_BARS:
        # Forms drawn per candidate: one bar each would be unreadable; count them by expected score.
        counts = Counter(math.floor(f.expected) for f in forms)
        bins = [(low, low, counts.get(low, 0)) for low in range(min(counts), max(counts) + 1)]
        label = f"Forms by expected raw score ({len(forms)} forms)"
        html += (
            "<figure>"
            + svg.histogram(bins, report.cut_score, top, label).replace(
                'data-chart="score-distribution"', 'data-chart="form-difficulty"'
            )
            + "</figure>"
        )
    elif forms:
        html += "<figure>" + svg.value_bars(bars, top, "Expected raw score per form", "form-difficulty", None)
        html += "</figure>"
    if forms:
        shown = forms[:MAX_FORM_ROWS]
        html += _table(
            ("form", "sittings", "items", "expected raw", "observed mean raw"),
            [(f.label, str(f.sittings), str(f.items), f"{f.expected:.2f}", f"{f.mean_raw:.2f}") for f in shown],
            (1, 2, 3, 4),
        )
        if len(forms) > len(shown):
            html += f'<p class="note">The table lists the first {len(shown)} of {len(forms)} forms.</p>'
    return html


def _standard(report: AdminReport) -> str:
    html = ""
    if report.standard_setting:
        html += _table(("", ""), report.standard_setting)
    else:
        html += '<p class="none" id="no-standard-setting">No standard-setting study recorded.</p>'
    html += (
        f"<p>Cut in use: <b>{report.cut_score}</b> of {report.item_count} items correct "
        f"({100 * report.cut_score / report.item_count:.1f}%).</p>"
    )
    if report.cut_basis:
        html += f"<p>Basis recorded in the exam definition: {_e(report.cut_basis)}</p>"
    return html


def _panel(report: AdminReport) -> str:
    if not report.panels:
        return '<p class="none">No panel scoresheets in this database.</p>'
    html = ""
    for rubric, panel in report.panels:
        counts = Counter(r.decision for r in panel.candidates)
        html += f"<h3>{_e(rubric.title)} (<code>{_e(rubric.id)}</code>)</h3>"
        html += (
            f"<p>{len(panel.candidates)} candidates: "
            + _e(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none")
            + "</p>"
        )
        rows = [
            (
                _e(c.name),
                f'<span data-coefficient="{_e(c.name)}" data-value="{_num(c.value, 4)}">{_num(c.value)}</span>',
                _e(c.band),
                _e(c.basis),
            )
            for c in panel.reliability
        ]
        html += _table(("coefficient", "value", "reading", "basis"), rows, (1,), raw=True)
        for warning in panel.warnings:
            html += f'<p class="note">{_e(warning)}</p>'
    return html


def _decisions(report: AdminReport) -> str:
    if not report.decisions:
        return '<p class="none">No decisions recorded: run <code>ccsoo-exam admin decisions</code> first.</p>'
    counts = Counter(d.decision for d in report.decisions)
    bars = [(k, float(n), {"data-decision": k, "data-count": n}) for k, n in sorted(counts.items())]
    chart = svg.value_bars(bars, max(counts.values()), "Decisions", "decisions", None)
    rows = [(d.candidate_id, d.name, d.route, d.decision, d.reason, d.decided_at) for d in report.decisions]
    return f"<figure>{chart}</figure>" + _table(("candidate", "name", "route", "decision", "reason", "decided"), rows)
