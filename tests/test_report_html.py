"""``admin report``: one self-contained HTML file whose charts carry the same numbers as the JSON outputs.

The browser tests load the file in real headless Chromium (tests/browser.py): no console
error, no request but the file itself, and the figures read back from the rendered SVG equal
``admin items --format json`` and ``results export --format json``. Without Chromium they are
skipped with the reason; CI (.ci/run) installs it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ccsoo_exam.cli import main
from tests import browser
from tests.report_data import HOSTILE_NAME, HOSTILE_REASON, ReportData, build

needs_chromium = pytest.mark.skipif(
    browser.chromium() is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does)"
)

# Everything the charts say, read from the rendered DOM.
READ_CHARTS = """JSON.stringify({
  bins: [...document.querySelectorAll('[data-chart="score-distribution"] rect')].map(e => ({
      low: +e.dataset.low, high: +e.dataset.high, count: +e.dataset.count})),
  cut: document.querySelector('[data-cut]').dataset.cut,
  points: [...document.querySelectorAll('[data-chart="item-scatter"] .point')].map(e => ({
      item: e.dataset.item, p: e.dataset.p, r: e.dataset.r, flagged: e.dataset.flagged})),
  shares: [...document.querySelectorAll('[data-chart="option-shares"] rect')].map(e => ({
      item: e.dataset.item, option: e.dataset.option, share: e.dataset.share, key: e.dataset.key})),
  modules: [...document.querySelectorAll('[data-chart="module-subscores"] rect')].map(e => ({
      module: +e.dataset.module, mean: +e.dataset.mean, items: +e.dataset.items})),
  decisions: [...document.querySelectorAll('[data-chart="decisions"] rect')].map(e => ({
      decision: e.dataset.decision, count: +e.dataset.count})),
  coefficients: [...document.querySelectorAll('[data-coefficient]')].map(e => ({
      name: e.dataset.coefficient, value: e.dataset.value})),
  summary: Object.assign({}, document.getElementById('summary-figures').dataset),
  scripts: document.querySelectorAll('script').length,
  images: document.querySelectorAll('img, iframe, object, embed, link[rel=stylesheet]').length,
  text: document.body.innerText,
})"""


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> ReportData:
    return build(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def report(data: ReportData) -> Path:
    target = data.folder / "report.html"
    assert main(["admin", "report", "--db", data.db, *data.key, "-o", str(target)]) == 0
    return target


def _json_of(capsys, argv: list[str]):
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_the_file_is_self_contained_and_escapes_outside_text(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    # The only URL is the SVG namespace (a name, never fetched); links stay inside the page.
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) == {"http://www.w3.org/2000/svg"}
    assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', text))
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert "@media print" in text
    assert "&lt;img src=x onerror=alert(1)&gt; O&#x27;Brien &amp; &quot;Sons&quot;" in text
    assert "&lt;script&gt;alert(&#x27;reason&#x27;)&lt;/script&gt;" in text
    assert "Provisional cut &lt;b&gt;5&lt;/b&gt; &amp; co" in text
    for section in ("Score distribution", "Item analysis", "Module subscores", "Form difficulty",
                    "Standard setting", "Panel reliability", "Certification decisions"):  # fmt: skip
        assert f">{section}" in text
    assert "No standard-setting study recorded." in text
    assert "No calibration recorded" in text


@needs_chromium
def test_chromium_loads_it_without_errors_or_requests_and_the_charts_match_the_json(
    data: ReportData, report: Path, capsys
) -> None:
    page = browser.load(report, READ_CHARTS)
    assert page.errors == []
    assert page.requests == [page.url] and page.outside_requests == []
    charts = json.loads(page.value)
    assert charts["scripts"] == 0 and charts["images"] == 0
    # Outside text arrives as text, never as markup.
    assert HOSTILE_NAME in charts["text"] and HOSTILE_REASON in charts["text"]

    items = _json_of(capsys, ["admin", "items", "--db", data.db, *data.key, "--format", "json"])
    assert charts["bins"] == items["histogram"]
    assert float(charts["cut"]) == 5
    summary = items["summary"]
    assert int(charts["summary"]["candidates"]) == summary["candidates"] == 3
    for name in ("mean", "sd", "kr20", "sem"):
        assert float(charts["summary"][name]) == pytest.approx(summary[name], abs=1e-9)
    by_item = {i["item"]: i for i in items["items"]}
    assert sorted(p["item"] for p in charts["points"]) == sorted(by_item)
    for point in charts["points"]:
        expected = by_item[point["item"]]
        assert float(point["p"]) == pytest.approx(expected["p_value"], abs=1e-9)
        if expected["item_total"] is None:
            assert point["r"] == ""
        else:
            assert float(point["r"]) == pytest.approx(expected["item_total"], abs=1e-9)
        assert point["flagged"] == ("1" if expected["flags"] else "0")
    assert len(charts["shares"]) == 5 * len(by_item)
    for bar in charts["shares"]:
        expected = by_item[bar["item"]]
        assert float(bar["share"]) == pytest.approx(expected["shares"][bar["option"]], abs=1e-9)
        assert bar["key"] == ("1" if bar["option"] in expected["key"] else "0")
    assert by_item["ccsoo-m2/T2-004"]["key"] == "AB"  # the applied rescoring is in both

    sittings = _json_of(capsys, ["results", "export", "--db", data.db, "--table", "sittings", "--format", "json"])
    submitted = [s for s in sittings if s["status"] == "submitted"]
    for module in charts["modules"]:
        values = [s[f"module{module['module']}_correct"] for s in submitted]
        assert module["mean"] == pytest.approx(sum(values) / len(values), abs=1e-3)
        assert module["items"] == submitted[0][f"module{module['module']}_items"]
    assert [m["module"] for m in charts["modules"]] == [1, 2]

    decisions = _json_of(capsys, ["results", "export", "--db", data.db, "--table", "decisions", "--format", "json"])
    counts: dict[str, int] = {}
    for d in decisions:
        counts[d["decision"]] = counts.get(d["decision"], 0) + 1
    assert {d["decision"]: d["count"] for d in charts["decisions"]} == counts

    panel = _json_of(capsys, ["panel", "report", "--db", data.db, "--format", "json"])
    reports = panel if isinstance(panel, list) else [panel]
    expected_coefficients = {
        c["name"]: c["value"] for r in reports for c in r["reliability"]
    }  # fmt: skip
    assert {c["name"] for c in charts["coefficients"]} == set(expected_coefficients)
    for c in charts["coefficients"]:
        if expected_coefficients[c["name"]] is None:
            assert c["value"] == "n/a"
        else:
            assert float(c["value"]) == pytest.approx(expected_coefficients[c["name"]], abs=1e-4)


@needs_chromium
def test_the_browser_check_catches_a_request_a_console_error_and_a_csp_violation(tmp_path: Path) -> None:
    # The harness must be able to fail: a page that fetches and logs is caught.
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><img src="http://192.0.2.1/x.png"><script>console.error("boom")</script>')
    loaded = browser.load(page)
    assert "http://192.0.2.1/x.png" in loaded.outside_requests
    assert any("boom" in e for e in loaded.errors)
    blocked = tmp_path / "csp.html"
    blocked.write_text(
        '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        '<img src="http://192.0.2.1/y.png">'
    )
    assert any("Content Security Policy" in e for e in browser.load(blocked).errors)


def test_form_difficulty_spread_with_forms_drawn_from_larger_banks(tmp_path: Path) -> None:
    from ccsoo_exam.item_analysis import analyse, package_keys
    from ccsoo_exam.reports import admin_report, html
    from ccsoo_exam.store import admin
    from tests.admin_data import enrolled, small_package, terminal_db

    definition, banks = small_package(items_per_bank=6, drawn=4)
    choosers = {f"C-{n}": (lambda item, key: key if item.position % 2 else "A") for n in range(6)}
    terminal_db(str(tmp_path / "t.db"), definition, banks, choosers)
    conn = enrolled(admin.open_admin(str(tmp_path / "a.db")))
    admin.merge_file(conn, str(tmp_path / "t.db"), "2026-03-03T00:00:00Z")
    rows = list(admin.submitted_answers(conn, definition.exam))
    analysis = analyse(rows, package_keys(banks))
    forms: dict[str, tuple[int, float]] = {}
    for row, total in zip(rows, analysis.totals, strict=True):
        key = ",".join(sorted(row.items.split(",")))
        count, raw = forms.get(key, (0, 0.0))
        forms[key] = (count + 1, raw + total)
    summaries = admin_report.form_summaries(forms, analysis)
    assert len(summaries) >= 2 and sum(f.sittings for f in summaries) == 6
    p = {r.item: r.p_value for r in analysis.items}
    first = next(iter(forms))
    assert summaries[0].expected == pytest.approx(sum(p[i] for i in first.split(",")))
    low, high, _ = admin_report.spread(summaries)
    assert low == min(f.expected for f in summaries) and high == max(f.expected for f in summaries)
    page = html.render(
        admin_report.AdminReport(
            definition.exam,
            definition.title,
            definition.item_count,
            definition.cut_score,
            "",
            "now",
            "a.db",
            analysis,
            [],
            [],
            summaries,
        )
    )
    assert f'data-low="{low:.3f}"' in page and f'data-high="{high:.3f}"' in page
    assert page.count('data-chart="form-difficulty"') == 1


def test_bad_input_gets_one_line_and_no_traceback(data: ReportData, tmp_path: Path, capsys) -> None:
    capsys.readouterr()
    missing = str(tmp_path / "nope.db")
    assert main(["admin", "report", "--db", missing, *data.key, "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{missing}: database not found") and err.count("\n") == 1
    wrong = tmp_path / "wrong.key"
    wrong.write_text("not-the-key-at-all-123456")
    argv = ["admin", "report", "--db", data.db, "--exam", data.exam, "--key-file", str(wrong), "-o", "x.html"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip() and all(": " in line for line in err.strip().splitlines())
    assert not Path("x.html").exists()
    target = str(tmp_path / "no-such-dir" / "r.html")
    assert main(["admin", "report", "--db", data.db, *data.key, "-o", target]) == 2
    assert capsys.readouterr().err.startswith(f"{target}: cannot write")


def test_many_forms_are_counted_by_expected_score_not_drawn_one_by_one() -> None:
    from ccsoo_exam.item_analysis import ItemAnalysis
    from ccsoo_exam.reports import admin_report, html
    from ccsoo_exam.stats import TestSummary

    forms = [admin_report.FormSummary(f"form {n}", 1, 80, 50 + (n % 7) * 0.5, 50.0) for n in range(1, 301)]
    summary = TestSummary(300, 80, 50.0, 5.0, 0.9, 1.5)
    analysis = ItemAnalysis((), summary, (50,) * 300, "randomly drawn forms")
    page = html.render(admin_report.AdminReport("x", "X", 80, 56, "", "now", "a.db", analysis, [], [], forms))
    assert page.count('data-form="') == 0  # no bar per form
    chart = re.findall(r'data-chart="form-difficulty".*?</svg>', page, re.S)[0]
    counts = [int(m) for m in re.findall(r'data-count="(\d+)"', chart)]
    assert sum(counts) == 300 and len(counts) == 4  # expected scores 50-53: one bin per raw point
    assert "The table lists the first 200 of 300 forms." in page


def test_report_modules_stay_pure() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import ccsoo_exam.reports.html, ccsoo_exam.reports.svg, ccsoo_exam.reports.admin_report\n"
        "import ccsoo_exam.reports.bands, ccsoo_exam.reports.score_report\n"
        "bad = [m for m in ('textual', 'sqlite3', 'rich', 'fpdf') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
