"""Modified-Angoff standard setting: ratings in, per-item means, form cuts, SE, agreement, Hofstee, adoption."""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from ccsoo_exam.cli import main
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.exam import load_exam
from ccsoo_exam.psychometrics.angoff import HofsteeJudgement, Rating, angoff_report, kendall_w
from ccsoo_exam.psychometrics.angoff_csv import parse_csv
from ccsoo_exam.psychometrics.standard import AdoptedStandard, replace_section, standard_yaml, whole_cut
from tests.admin_data import all_correct, correct_on, enrolled_admin, small_package, terminal_db
from tests.test_admin_cli import package  # noqa: F401  (the encrypted two-bank package fixture)

ITEMS = [f"ccsoo-m1/T1-00{n}" for n in range(1, 5)] + [f"ccsoo-m2/T2-00{n}" for n in range(1, 5)]
MODULES = {name: 1 if "m1" in name else 2 for name in ITEMS}
BASES = {"J1": 0.6, "J2": 0.7, "J3": 0.8}


def ratings_csv(scale: float = 1.0, rnd: int = 1) -> str:
    lines = ["judge,item,rating,round"]
    for judge, base in BASES.items():
        for i, name in enumerate(ITEMS):
            lines.append(f"{judge},{name},{(base + 0.02 * i) * scale:.4g},{rnd}")
    return "\n".join(lines) + "\n"


def ratings() -> list[Rating]:
    return [Rating(j, name, base + 0.02 * i, 1) for j, base in BASES.items() for i, name in enumerate(ITEMS)]


# --- the domain --------------------------------------------------------------------------


def test_report_means_cuts_and_standard_error_match_hand_computation() -> None:
    report = angoff_report("x", ratings(), MODULES, {1: 4, 2: 4})
    means = [i.mean for i in report.items]
    assert means == pytest.approx([0.7 + 0.02 * i for i in range(8)])
    assert all(i.sd == pytest.approx(0.1) for i in report.items)  # judges 0.1 apart: SD (n-1) = 0.1
    assert report.bank_cut == pytest.approx(6.16)
    assert report.expected_cut == pytest.approx(6.16)
    # Each judge's cut of the 8-item form: 8 * base + 0.56; SD 0.8; SE = 0.8 / sqrt(3).
    assert dict(report.judge_cuts) == pytest.approx({"J1": 5.36, "J2": 6.16, "J3": 6.96})
    assert report.cut_se == pytest.approx(0.8 / math.sqrt(3))
    assert report.kendall_w == pytest.approx(1.0)  # every judge orders the items the same way


def test_agreement_against_an_independent_anova_and_scipy_friedman() -> None:
    rng = np.random.default_rng(4)
    table = np.clip(0.5 + rng.normal(0, 0.15, (12, 1)) + rng.normal(0, 0.08, (12, 5)), 0, 1).round(2)
    rated = [Rating(f"J{j}", f"b/i{i:02d}", float(table[i, j])) for i in range(12) for j in range(5)]
    modules = {f"b/i{i:02d}": 1 for i in range(12)}
    report = angoff_report("x", rated, modules, {1: 12})
    n, k = table.shape
    grand = table.mean()
    msr = k * ((table.mean(1) - grand) ** 2).sum() / (n - 1)
    msc = n * ((table.mean(0) - grand) ** 2).sum() / (k - 1)
    mse = (((table - grand) ** 2).sum() - (n - 1) * msr - (k - 1) * msc) / ((n - 1) * (k - 1))
    assert report.icc_single == pytest.approx((msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n))
    assert report.icc_average == pytest.approx((msr - mse) / (msr + (msc - mse) / n))
    friedman = sps.friedmanchisquare(*table).statistic  # items are the treatments, judges the blocks
    assert kendall_w(table.tolist()) == pytest.approx(friedman / (k * (n - 1)))


def test_form_cut_is_the_sum_of_its_items_ratings_made_whole() -> None:
    standard = AdoptedStandard("modified-angoff", "2026-12-01", "Ada", 6.16, "up", {n: 0.7 for n in ITEMS})
    assert standard.form_cut(ITEMS) == 6  # 5.6 rounds up to 6
    assert standard.form_cut(ITEMS[:4]) == 3  # 2.8 -> 3
    assert whole_cut(56.0000000001) == 56  # float noise never adds a point
    assert whole_cut(55.5, "nearest") == 56 and whole_cut(55.49, "nearest") == 55
    # An unrated item counts its module's mean rating.
    partial = dataclasses.replace(standard, ratings={ITEMS[0]: 0.4, ITEMS[1]: 0.6})
    assert partial.form_cut_exact([ITEMS[2]]) == pytest.approx(0.5)


def test_a_harder_form_gets_a_lower_cut() -> None:
    easy, hard = ITEMS[:4], ITEMS[4:]
    rated = [Rating("J1", n, 0.9 if n in easy else 0.5) for n in ITEMS]
    report = angoff_report("x", rated, MODULES, {1: 4, 2: 4}, forms=[easy, hard, hard])
    by_size = {f.sittings: f for f in report.forms}
    assert by_size[1].raw_cut == 4 and by_size[2].raw_cut == 2  # 3.6 -> 4; 2.0 -> 2


def test_round_two_supersedes_round_one_and_keeps_the_round_one_mean() -> None:
    rated = [*ratings(), Rating("J1", ITEMS[0], 0.9, 2)]
    report = angoff_report("x", rated, MODULES, {1: 4, 2: 4})
    first = report.items[0]
    assert report.round == 2
    assert first.mean == pytest.approx((0.9 + 0.7 + 0.8) / 3)
    assert first.round1_mean == pytest.approx(0.7)
    assert angoff_report("x", rated, MODULES, {1: 4, 2: 4}, round_=1).items[0].mean == pytest.approx(0.7)


def test_hofstee_compromise_meets_the_observed_fail_curve() -> None:
    # 100 sittings scoring 0..99 percent of 100 items: F(c) = c percent fail below c.
    forms = [ITEMS] * 100
    scores = [(s, 100) for s in range(100)]
    judges = [HofsteeJudgement("J1", 60, 80, 10, 50)]
    rated = [Rating("J1", n, 0.7) for n in ITEMS]
    report = angoff_report("x", rated, MODULES, {1: 4, 2: 4}, forms, judges, scores)
    h = report.hofstee
    assert h is not None
    # The line from (60, 50) to (80, 10): 50 - 2 (c - 60); F(c) = c meets it at c = 170/3.
    # That is below k_min, so the first point of the box (60) already has F above the line.
    assert h.cut_percent == pytest.approx(60.0)
    # The line 90 - 2 (c - 40); F is a step (57 of 100 score below any c in (56, 57]), so the
    # first cut where F reaches the line is where 170 - 2c = 57: c = 56.5, failing 57%.
    judges = [HofsteeJudgement("J1", 40, 80, 10, 90)]
    h = angoff_report("x", rated, MODULES, {1: 4, 2: 4}, forms, judges, scores).hofstee
    assert h is not None and h.cut_percent == pytest.approx(56.5, abs=0.03)
    assert h.fail_at_cut == pytest.approx(57.0)
    assert h.angoff_percent == pytest.approx(70.0)


def test_csv_reader_scales_0_100_and_reports_each_bad_row_at_its_line() -> None:
    rated, _ = parse_csv(ratings_csv(100), "r.csv")
    assert rated[0].rating == pytest.approx(0.6)
    bad = "judge,item,rating,round\nJ1,T1-001,0.5,1\nJ1,T1-002,150,1\nJ1,T1-003,x,1\n,T1-004,0.5,1\nJ1,T1-001,0.6,1\n"
    with pytest.raises(CcsooError) as caught:
        parse_csv(bad, "r.csv")
    lines = [str(p) for p in caught.value.problems]
    assert lines[0].startswith("r.csv:3: rating 150 is out of range")
    assert lines[1].startswith("r.csv:4: rating 'x' is not a number")
    assert lines[2].startswith("r.csv:5: the judge is empty")
    assert any(line.startswith("r.csv:6: J1 rated T1-001 in round 1 already on line 2") for line in lines)


# --- the exam definition -----------------------------------------------------------------


def test_replacing_the_standard_section_keeps_every_other_line(tmp_path: Path) -> None:
    text = (
        "# head\nexam: x\nstandard:\n  method: old\n  ratings:\n    a/b: 0.5\n\n# about navigation\nnavigation: free\n"
    )
    section = "standard:\n  method: new\n"
    assert (
        replace_section(text, section)
        == "# head\nexam: x\nstandard:\n  method: new\n\n# about navigation\nnavigation: free\n"
    )
    assert replace_section("exam: x\n", section) == "exam: x\nstandard:\n  method: new\n"
    adopted = AdoptedStandard("modified-angoff", "2026-12-01", 'Dr "Ada"', 6.16, "up", {"a/b": 0.7}, 2, 3, 0.46)
    assert 'adopted_by: "Dr \\"Ada\\""' in standard_yaml(adopted)


# --- the commands ------------------------------------------------------------------------


@pytest.fixture
def study(tmp_path: Path, package: Path) -> tuple[Path, str, list[str]]:  # noqa: F811
    """A copy of the package (adopt rewrites exam.yaml), an admin db with three sittings, key options."""
    folder = tmp_path / "pkg"
    shutil.copytree(package, folder)
    definition, banks = small_package()
    terminal_db(str(tmp_path / "t1.db"), definition, banks, {"C-1": all_correct, "C-2": correct_on(5)})
    terminal_db(str(tmp_path / "t2.db"), definition, banks, {"C-4": correct_on(2)}, seed=30)
    db = str(tmp_path / "admin.db")
    enrolled_admin(db)
    assert main(["admin", "merge", str(tmp_path / "t1.db"), str(tmp_path / "t2.db"), "--into", db]) == 0
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "candidate_id,name,degree,years_senior_management,route\nC-1,A,MBA,12,exam\nC-2,B,MBA,12,exam\n"
        "C-4,D,MBA,12,exam\n"
    )
    assert main(["admin", "roster", "import", str(roster), "--db", db]) == 0
    return folder, db, ["--exam", str(folder / "exam.yaml"), "--key-file", str(folder / "key.txt")]


def test_import_report_adopt_and_decisions_use_the_form_cut(study, tmp_path: Path, capsys) -> None:
    folder, db, key = study
    csv_path = tmp_path / "r.csv"
    csv_path.write_text(ratings_csv(100))
    assert main(["standard", "import", "--db", db, *key, str(csv_path)]) == 0
    capsys.readouterr()
    assert main(["admin", "decisions", "--db", db]) == 0
    assert "3 pending" not in capsys.readouterr().out
    assert main(["standard", "report", "--db", db, *key, "--format", "json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["expected_cut"] == pytest.approx(6.16)
    assert data["cut_se"] == pytest.approx(0.4619, abs=1e-4)
    assert [f["raw_cut"] for f in data["forms"]] == [7]
    before = (folder / "exam.yaml").read_text()
    assert main(["standard", "adopt", "--db", db, *key, "--by", "Dr Ada", "--date", "2026-12-01"]) == 0
    after = (folder / "exam.yaml").read_text()
    assert after.startswith(before)  # the definition had no standard: the section is appended, nothing else moves
    definition = load_exam(str(folder / "exam.yaml"))
    assert definition.standard is not None and definition.standard.adopted_by == "Dr Ada"
    assert definition.cut_for(ITEMS) == 7
    # Adopting again replaces the section rather than adding a second one.
    assert main(["standard", "adopt", "--db", db, *key, "--by", "Bo", "--rounding", "nearest"]) == 0
    text = (folder / "exam.yaml").read_text()
    assert text.count("standard:") == 1 and "rounding: nearest" in text
    audit = sqlite3.connect(db).execute("SELECT adopted_by, rounding FROM standards ORDER BY standard_id").fetchall()
    assert audit == [("Dr Ada", "up"), ("Bo", "nearest")]
    capsys.readouterr()
    # C-2 scored 5 of 8: a pass on cut_score 5, a fail on the form's Angoff cut (6.16 -> 6 nearest).
    assert main(["admin", "decisions", "--db", db, "--format", "json"]) == 0
    rows = {r[0]: r[1] for r in sqlite3.connect(db).execute("SELECT candidate_id, decision FROM decisions")}
    assert rows == {"C-1": "certified", "C-2": "not certified", "C-4": "not certified"}


def test_rescoring_under_a_standard_takes_the_dropped_items_rating_out_of_the_cut(study, tmp_path, capsys) -> None:
    _, db, key = study
    csv_path = tmp_path / "r.csv"
    csv_path.write_text(ratings_csv())
    assert main(["standard", "import", "--db", db, *key, str(csv_path)]) == 0
    assert main(["standard", "adopt", "--db", db, *key, "--by", "Ada"]) == 0
    capsys.readouterr()
    # Dropping T2-004 (mean 0.84): cut 6.16 - 0.84 = 5.32 -> 6 of 7.
    assert main(["admin", "rescore", "--db", db, *key, "--item", "T2-004", "--drop"]) == 0
    out = capsys.readouterr().out
    assert "6.0" in out and "drop ccsoo-m2/T2-004" in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("judge,item,rating,round\nJ1,T1-001,0.5,1,extra\n", "r.csv:2: has 5 fields"),
        ("judge,item,rating,round\nJ1,NOPE-1,0.5,1\n", "r.csv:2: no item NOPE-1 in the exam package"),
        ("judge,item,rating,round\nJ1,T1-001,-1,1\n", "r.csv:2: rating -1 is out of range"),
        ("judge,item,rating,round\nJ1,T1-001,101,1\n", "r.csv:2: rating 101 is out of range"),
        ("judge,item,rating,round\nJ1,T1-001,0.5,0\n", "r.csv:2: round '0' must be a whole number"),
        ("who,what\nJ1,T1-001\n", "r.csv:1: unknown header"),
        ("judge,item,rating,round\n", "r.csv:2: has a header but no rows"),
        ("", "r.csv: ratings CSV is empty"),
        ('judge,item,rating,round\n"J1,T1-001,0.5,1\n', "r.csv:"),
        ("judge,min_cut,max_cut,min_fail,max_fail\nJ1,80,60,10,20\n", "r.csv:2: need 0 <= min_cut <= max_cut"),
    ],
)
def test_bad_rating_files_get_one_line_each_and_nothing_is_imported(study, tmp_path, capsys, content, expected) -> None:
    _, db, key = study
    path = tmp_path / "r.csv"
    path.write_text(content)
    os.chdir(tmp_path)
    assert main(["standard", "import", "--db", db, *key, "r.csv"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith(expected), err
    assert "Traceback" not in err
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM angoff_ratings").fetchone()[0] == 0


def test_a_fifo_is_refused_without_blocking(study, tmp_path, capsys) -> None:
    _, db, key = study
    fifo = tmp_path / "ratings.csv"
    os.mkfifo(fifo)
    assert main(["standard", "import", "--db", db, *key, str(fifo)]) == 2
    assert "is a FIFO (named pipe)" in capsys.readouterr().err


def test_report_without_ratings_says_what_to_do(study, capsys) -> None:
    _, db, key = study
    assert main(["standard", "report", "--db", db, *key]) == 2
    assert "has no Angoff ratings for ccsoo-test; run 'standard import'" in capsys.readouterr().err


def test_adopt_refuses_a_bad_date_and_leaves_the_definition_alone(study, tmp_path, capsys) -> None:
    folder, db, key = study
    (tmp_path / "r.csv").write_text(ratings_csv())
    assert main(["standard", "import", "--db", db, *key, str(tmp_path / "r.csv")]) == 0
    before = (folder / "exam.yaml").read_bytes()
    assert main(["standard", "adopt", "--db", db, *key, "--by", "Ada", "--date", "1 Dec"]) == 2
    assert "--date: '1 Dec' is not a date" in capsys.readouterr().err
    assert (folder / "exam.yaml").read_bytes() == before


async def test_the_exam_scores_and_shows_the_form_cut_under_a_standard(tmp_path: Path) -> None:
    from ccsoo_exam.ui.exam.app import make_app
    from ccsoo_exam.ui.exam.receipt import receipt_text
    from tests.exam_fixtures import FakeClock, FakeWallClock, open_db, sample_package
    from tests.test_exam_ui import SIZE, start_sitting

    opened = sample_package()
    names = [f"{b.id}/{i.id}" for b in opened.banks.values() for i in b.items]
    standard = AdoptedStandard("modified-angoff", "2026-12-01", "Ada", 40.0, "up", {n: 0.5 for n in names})
    definition = dataclasses.replace(opened.definition, standard=standard)
    conn = open_db(tmp_path / "r.db")
    app = make_app(definition, conn, clock=FakeClock(), wall_clock=FakeWallClock(), timers=False)
    async with app.run_test(size=SIZE) as pilot:
        await start_sitting(app, pilot, package=dataclasses.replace(opened, definition=definition))
        live = app.live
        assert live.record.cut_score == 40, "check-in records the form's own Angoff cut"
        banks = live.package.banks
        for r in live.responses[:45]:
            live.answer(r.position, r.item.shown(banks[r.item.bank].item(r.item.item_id).key))
        result = live.submit("submitted by the candidate")
    assert result.raw == 45 and result.passed  # 45 < cut_score 56, but >= the form's Angoff cut of 40
    assert "Pass mark        40 of 80" in receipt_text(live)


# --- admin items: the psychometric report through the command -----------------------------


def test_admin_items_leaves_out_proctor_ended_and_unfinished_sittings_unless_asked(study, tmp_path, capsys) -> None:
    import json

    from ccsoo_exam.store.database import connect as open_db
    from ccsoo_exam.store.sittings import MIGRATIONS as TERMINAL
    from tests.admin_data import add_sitting

    _, db, key = study
    definition, banks = small_package()
    terminal = open_db(str(tmp_path / "t3.db"), TERMINAL)
    add_sitting(terminal, definition, banks, "C-5", correct_on(1), seed=40, reason="ended by the proctor: fire alarm")
    add_sitting(terminal, definition, banks, "C-6", correct_on(3), seed=41, submit=False)
    terminal.close()
    enrolled_admin(db)
    assert main(["admin", "merge", str(tmp_path / "t3.db"), "--into", db]) == 0
    capsys.readouterr()
    assert main(["admin", "items", "--db", db, *key, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["candidates"] == 3
    assert "left out: 1 ended by the proctor, 1 never submitted" in data["sittings"]
    assert data["distribution"]["median"] == 5.0
    assert data["csem_at_cut"] == pytest.approx(math.sqrt(5 * 3 / 7), abs=1e-4)  # cut_score 5 of 8, Lord
    assert set(data["item_extras"]["ccsoo-m1/T1-002"]) >= {"discriminative_efficiency", "upper_lower", "sd"}
    assert data["modules"][0]["module"] == 1 and "reportable" in data["modules"][0]
    assert any("only 3 candidates" in w for w in data["warnings"])
    assert main(["admin", "items", "--db", db, *key, "--format", "json", "--include-all"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["candidates"] == 5
    assert main(["admin", "items", "--db", db, *key]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())  # wrapped at 80 columns
    assert "left out: 1 ended by the proctor, 1 never submitted (--include-all includes them)" in flat
    assert "small n (3 < 30)" in out and "Livingston-Lewis" in out


def test_admin_items_reports_mantel_haenszel_dif_for_a_roster_group(study, tmp_path, capsys) -> None:
    import json

    _, db, key = study
    roster = tmp_path / "groups.csv"
    roster.write_text(
        "candidate_id,name,degree,years_senior_management,route,group\nC-1,A,MBA,12,exam,en\n"
        "C-2,B,MBA,12,exam,fr\nC-4,D,MBA,12,exam,en\n"
    )
    assert main(["admin", "roster", "import", str(roster), "--db", db]) == 0
    capsys.readouterr()
    assert main(["admin", "items", "--db", db, *key, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["dif_groups"] == ["en", "fr"]
    assert {d["category"] for d in data["dif"]} == {"too few"}  # 2 and 1 candidates: nothing classified
    assert data["dif"][0]["reference"] == "en" and data["dif"][0]["n_reference"] == 2


def test_rescore_dry_run_shows_every_policy_and_protected_passes(study, capsys) -> None:
    _, db, key = study
    capsys.readouterr()
    # C-2 is right on positions 0-4 only: dropping a position-0..4 item fails C-2 (4/7 < 5/8).
    assert main(["admin", "rescore", "--db", db, *key, "--item", "T1-001", "--drop", "--protect-passes"]) == 0
    out = capsys.readouterr().out
    assert "Every policy for this item (dry run)" in out
    flat = " ".join(out.replace("│", " ").split())  # the policy table wraps its cells at 80 columns
    assert "candidate given it" in flat  # the credit-all policy row
    assert "passes protected" in out
    assert main(["admin", "rescore", "--db", db, *key, "--item", "T1-001", "--credit-all"]) == 0
    assert "credit ccsoo-m1/T1-001 to every candidate given it (DRY RUN" in " ".join(capsys.readouterr().out.split())


def test_a_hand_edited_standard_section_is_checked_at_its_line(tmp_path: Path) -> None:
    from tests.test_admin_cli import EXAM_YAML

    path = tmp_path / "exam.yaml"
    path.write_text(
        EXAM_YAML
        + 'standard:\n  method: modified-angoff\n  adopted: "2026-12-01"\n  adopted_by: Ada\n  cut: 6.2\n'
        + '  rounding: sideways\n  ratings:\n    "ccsoo-m1/T1-001": 1.7\n'
    )
    with pytest.raises(CcsooError) as caught:
        load_exam(str(path))
    lines = [str(p) for p in caught.value.problems]
    assert any(":18: 'standard' 'rounding' must be one of up, nearest" in line for line in lines), lines
    assert any(":20: the rating of ccsoo-m1/T1-001 must be between 0 and 1" in line for line in lines), lines


def test_arbitrary_text_is_read_or_refused_with_located_problems() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=200, deadline=None)
    @given(st.text(alphabet=st.sampled_from(list('judge,itmrating\n"0.5%19 -x')), max_size=200))
    def check(text: str) -> None:
        try:
            parse_csv(text, "r.csv")
        except CcsooError as error:
            assert all(str(p).startswith("r.csv") for p in error.problems)

    check()
