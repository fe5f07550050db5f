"""``results report``: the candidate's PDF score report, read back with pdftotext.

Checks what the candidate must find (name, id, exam, date, result, score as policy allows,
module bands with the caution, receipt code and verification) and what must never be there
(any item's stem, options or rationale). Skipped without pdftotext; CI installs poppler-utils.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ccsoo_exam.bank import bank_from_bytes
from ccsoo_exam.cli import main
from ccsoo_exam.reports import bands, score_report
from tests.conftest import bank_yaml
from tests.report_data import CJK_NAME, CYRILLIC_NAME, HOSTILE_NAME, ReportData, build

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext is not installed (apt-get install poppler-utils; .ci/run does)"
)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> ReportData:
    return build(tmp_path_factory.mktemp("score-report"))


def text_of(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, timeout=60)
    return " ".join(out.stdout.decode("utf-8").split())


def sittings(data: ReportData, capsys) -> dict[str, dict]:
    capsys.readouterr()
    assert main(["results", "export", "--db", data.db, "--table", "sittings", "--format", "json"]) == 0
    return {s["candidate_id"]: s for s in json.loads(capsys.readouterr().out)}


def item_content() -> list[str]:
    texts = []
    for m in (1, 2):
        bank = bank_from_bytes(bank_yaml(f"ccsoo-m{m}", m, 4).encode(), f"m{m}.yaml")
        for item in bank.items:
            texts += [item.stem, item.rationale, *item.options.values()]
    return texts


@needs_pdftotext
def test_one_candidate_report_says_what_it_must_and_nothing_of_the_items(data: ReportData, capsys) -> None:
    target = data.folder / "c2.pdf"
    assert (
        main(["results", "report", "--db", data.db, "--exam", data.exam, "--candidate", "C-2", "-o", str(target)]) == 0
    )
    assert target.read_bytes().startswith(b"%PDF-")
    text = text_of(target)
    row = sittings(data, capsys)["C-2"]
    assert CYRILLIC_NAME in text  # the roster's name, in its own script (embedded DejaVu Sans)
    assert "Candidate id C-2" in text and "CCSOO test exam" in text and "Exam ccsoo-test" in text
    assert f"Date of the exam {row['submitted_at'][:10]}" in text
    assert ("PASS" if row["passed"] else "DID NOT PASS") in text
    assert f"Raw score {row['raw']} of {row['total']}" in text and "Passing score 5 of 8" in text
    assert f"Receipt code {row['receipt_code']}" in text and f"Sitting {row['sitting_id']}" in text
    assert "Verify:" in text and row["chain_head"][:16] in text
    for module in (1, 2):
        correct, items = row[f"module{module}_correct"], row[f"module{module}_items"]
        expected = bands.band(correct, items, 5 / 8).band
        assert f"Module {module} {expected[0].upper()}{expected[1:]} ({correct} of {items})" in text
    assert "Caution: each module result rests on only 4 questions" in text
    assert "reflects a rescoring" in text  # the applied key change is said, not hidden
    for content in item_content():
        assert " ".join(content.split()) not in text
    assert "Response A for case" not in text and "Which response best serves" not in text


@needs_pdftotext
def test_all_candidates_one_file_each_with_hostile_and_non_latin_names(data: ReportData, capsys) -> None:
    folder = data.folder / "reports"
    assert main(["results", "report", "--db", data.db, "--exam", data.exam, "--all", "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["C-1.pdf", "C-2.pdf", "C-4.pdf"]
    assert HOSTILE_NAME in text_of(folder / "C-1.pdf")
    cjk = text_of(folder / "C-4.pdf")  # DejaVu has no CJK glyphs: the name must still not crash the report
    assert "Zoë" in cjk and "Candidate id C-4" in cjk
    err = capsys.readouterr().err
    if CJK_NAME in cjk:  # a fallback font (fonts-droid-fallback) is installed
        assert "cannot show" not in err
    else:
        assert "??? Zoë" in cjk and f"{folder / 'C-4.pdf'}: the font cannot show '王小明'" in err
    assert "DID NOT PASS" in cjk


@needs_pdftotext
def test_policy_without_scores_shows_the_result_and_bands_only(data: ReportData, tmp_path: Path) -> None:
    hidden = tmp_path / "exam.yaml"
    hidden.write_text(Path(data.exam).read_text().replace("show_score: true", "show_score: false"))
    target = tmp_path / "c1.pdf"
    assert (
        main(["results", "report", "--db", data.db, "--exam", str(hidden), "--candidate", "C-1", "-o", str(target)])
        == 0
    )
    text = text_of(target)
    assert "PASS" in text and "Scores are not reported" in text
    assert "Raw score" not in text and " of 4)" not in text
    assert "Module 1 Above the standard" in text


@needs_pdftotext
def test_without_a_unicode_font_names_are_transliterated_not_crashed(
    data: ReportData, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv(score_report.FONT_ENV, str(tmp_path / "missing.ttf"))
    target = tmp_path / "c4.pdf"
    capsys.readouterr()
    assert (
        main(["results", "report", "--db", data.db, "--exam", data.exam, "--candidate", "C-4", "-o", str(target)]) == 0
    )
    assert "no Unicode font found" in capsys.readouterr().err
    assert "??? Zoë" in text_of(target)


def test_bands_below_near_above_the_standard() -> None:
    # 16 items, 70% cut: standard 11.2 items, binomial error sqrt(16 x 0.7 x 0.3) = 1.83.
    assert [bands.band(c, 16, 0.7).band for c in (9, 10, 13, 14)] == [bands.BELOW, bands.NEAR, bands.NEAR, bands.ABOVE]
    assert bands.band(4, 4, 0.7).band == bands.ABOVE and bands.band(1, 4, 0.7).band == bands.BELOW
    assert bands.band(16, 16, 1.0).band == bands.NEAR and bands.band(15, 16, 1.0).band == bands.BELOW


def test_bad_input_gets_one_line_and_no_traceback(data: ReportData, tmp_path: Path, capsys) -> None:
    capsys.readouterr()
    argv = ["results", "report", "--db", data.db, "--exam", data.exam, "--candidate", "NOBODY", "-o", "x.pdf"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"{data.db}: candidate NOBODY has no submitted sitting of ccsoo-test; check the id and --exam\n"
    assert not Path("x.pdf").exists()
    bad_exam = tmp_path / "exam.yaml"
    bad_exam.write_text("exam: [unclosed\n")
    assert main(["results", "report", "--db", data.db, "--exam", str(bad_exam), "--all", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{bad_exam}:") and "Traceback" not in err
    missing = str(tmp_path / "none.db")
    assert main(["results", "report", "--db", missing, "--exam", data.exam, "--all", "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"{missing}: database not found")
