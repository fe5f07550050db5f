"""Calibration end to end: admin calibrate, the calibration file, per-form raw cuts and scaled scores."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from ccsoo_exam.calibration import (
    SCALE_PASS,
    ability_for_raw,
    load_calibration,
    raw_cut,
    scaled_score,
    tcc,
)
from ccsoo_exam.cli import main
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.exam import load_exam
from ccsoo_exam.form import sitting_form
from ccsoo_exam.package import ExamPackage, open_banks
from ccsoo_exam.store import export
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.store.sittings import create_sitting
from tests.admin_data import enrolled_admin, seal_release, terminal_db
from tests.conftest import DEMO_KEY, bank_yaml
from tests.exam_fixtures import FakeClock, FakeWallClock, open_db

EXAM_YAML = """\
exam: ccsoo-test
title: CCSOO test exam
duration_minutes: 180
item_count: 10
blueprint:
  - {bank: ccsoo-m1, module: 1, file: m1.bank, items: 5}
  - {bank: ccsoo-m2, module: 2, file: m2.bank, items: 5}
cut_score: 6
time_warnings: [30]
navigation: free
shuffle_options: true
show_score: true
"""
TRUE = {"easy": -1.2, "medium": 0.0, "hard": 1.2}


def test_raw_cut_follows_the_form_and_the_scale_agrees_with_it() -> None:
    easy, hard = [-1.0] * 10, [1.0] * 10
    assert raw_cut(easy, 0.0) > raw_cut(hard, 0.0)  # the same standard asks more right answers on easy items
    for form in (easy, hard, [-2, -1, 0, 0.5, 1, 2]):
        cut = raw_cut(form, 0.3)
        assert cut - 1 < tcc(form, 0.3) <= cut
        scaled = [scaled_score(form, raw, 0.3) for raw in range(len(form) + 1)]
        assert scaled == sorted(scaled) and scaled[0] >= 100 and scaled[-1] <= 900
        assert all((s >= SCALE_PASS) == (raw >= cut) for raw, s in enumerate(scaled))
    assert ability_for_raw([0.0] * 10, 5) == pytest.approx(0.0, abs=1e-8)
    assert math.isfinite(ability_for_raw([0.0] * 10, 10))


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("package")
    sources = {}
    for m in (1, 2):
        source = bank_yaml(f"ccsoo-m{m}", m, 10)
        labels = iter(["easy", "medium", "hard", "medium", "easy", "hard", "medium", "easy", "hard", "medium"])
        source = "".join(
            line.replace("medium", next(labels)) if "difficulty: medium" in line else line
            for line in source.splitlines(keepends=True)
        )
        sources[m] = source
    seal_release(folder, sources, DEMO_KEY)
    (folder / "exam.yaml").write_text(EXAM_YAML)
    (folder / "key.txt").write_text(DEMO_KEY)
    return folder


@pytest.fixture(scope="module")
def calibrated(package: Path, tmp_path_factory) -> tuple[Path, Path, Path]:
    """120 simulated candidates on LOFT forms, merged, then 'admin calibrate'."""
    work = tmp_path_factory.mktemp("calibrated")
    definition = load_exam(str(package / "exam.yaml"))
    banks = open_banks(definition, DEMO_KEY).banks
    rng = random.Random(11)

    def candidate(theta: float):
        def choose(item, key: str) -> str:
            b = TRUE[banks[item.bank].item(item.item_id).difficulty]
            right = rng.random() < 1 / (1 + math.exp(b - theta))
            return key if right else ("B" if key == "A" else "A")

        return choose

    people = {f"C-{n:03d}": candidate(rng.gauss(0.5, 1.0)) for n in range(120)}
    terminal_db(str(work / "t1.db"), definition, banks, people, seed=500)
    admin_db = work / "admin.db"
    enrolled_admin(str(admin_db))
    assert main(["admin", "merge", str(work / "t1.db"), "--into", str(admin_db)]) == 0
    out, report = work / "calibration.yaml", work / "report.json"
    status = main(
        [
            "admin", "calibrate", "--db", str(admin_db), "--exam", str(package / "exam.yaml"),
            "--key-file", str(package / "key.txt"), "-o", str(out), "--report", str(report),
        ]
    )  # fmt: skip
    assert status == 0
    return out, report, admin_db


def test_calibrate_writes_the_file_terminals_carry(calibrated, capsys) -> None:
    out, report_path, _ = calibrated
    calibration = load_calibration(out)
    assert len(calibration.items) == 20 and calibration.exam == "ccsoo-test"
    values = {name: float(item.difficulty) for name, item in calibration.items.items()}
    assert abs(sum(values.values())) < 0.01  # centred
    text = out.read_text()
    assert "C-0" not in text  # no candidate data in what goes to terminals
    report = json.loads(report_path.read_text())
    assert len(report["persons"]) == 120 and {"ability", "se", "infit", "outfit"} <= set(report["persons"][0])
    form = report["forms"][0]
    assert len(form["tcc"]) == 17 and form["tcc"] == sorted(form["tcc"], key=lambda p: p["expected"])
    assert form["raw_cut"] == math.ceil(form["expected_at_cut"] - 1e-9)
    assert {i["item"] for i in report["items"]} == set(calibration.items)


def test_calibrated_difficulties_follow_the_simulated_truth(calibrated, package) -> None:
    out, _, _ = calibrated
    calibration = load_calibration(out)
    definition = load_exam(str(package / "exam.yaml"))
    banks = open_banks(definition, DEMO_KEY).banks
    by_label: dict[str, list[float]] = {"easy": [], "medium": [], "hard": []}
    for name, item in calibration.items.items():
        bank, item_id = name.split("/")
        by_label[banks[bank].item(item_id).difficulty].append(float(item.difficulty))
    means = {k: sum(v) / len(v) for k, v in by_label.items()}
    assert means["easy"] < means["medium"] < means["hard"]


def calibrated_exam(package: Path, calibration: Path, tmp_path: Path) -> str:
    for name in ("m1.bank", "m2.bank", "release.manifest"):
        (tmp_path / name).write_bytes((package / name).read_bytes())
    (tmp_path / "calibration.yaml").write_text(calibration.read_text())
    text = EXAM_YAML.replace("time_warnings", "assembly:\n  calibration: calibration.yaml\ntime_warnings")
    (tmp_path / "exam.yaml").write_text(text)
    return str(tmp_path / "exam.yaml")


def test_forms_and_cuts_use_the_calibration(calibrated, package, tmp_path, capsys) -> None:
    path = calibrated_exam(package, calibrated[0], tmp_path)
    definition = load_exam(path)
    banks = open_banks(definition, DEMO_KEY).banks
    calibration = load_calibration(tmp_path / "calibration.yaml")
    cuts = set()
    for seed in range(8):
        form, cut = sitting_form(definition, banks, seed)
        bs = [float(calibration.difficulty(i.bank, i.item_id)) for i in form.items]
        expected = sum(1 / (1 + math.exp(b - float(calibration.ability_cut))) for b in bs)
        assert cut == math.ceil(expected - 1e-9)
        cuts.add(cut)
    assert main(["form", "simulate", "--exam", path, "-n", "20", "--key-file", str(package / "key.txt")]) == 0
    assert "calibrated Rasch difficulties" in capsys.readouterr().out


def test_submission_records_the_scaled_score_and_the_export_shows_it(calibrated, package, tmp_path) -> None:
    path = calibrated_exam(package, calibrated[0], tmp_path)
    definition = load_exam(path)
    banks = open_banks(definition, DEMO_KEY).banks
    form, cut = sitting_form(definition, banks, 77)
    conn = open_db(tmp_path / "t.db")
    sid = create_sitting(
        conn,
        exam_id=definition.exam,
        exam_title=definition.title,
        package_fingerprint="f" * 64,
        candidate_id="C1",
        candidate_name="",
        form=form,
        cut_score=cut,
        base_seconds=10800,
        multiplier=1.0,
        proctor_pin="x",
    )
    live = LiveSitting(conn, ExamPackage(definition, banks, "f" * 64, 0), sid, FakeClock(), FakeWallClock())
    live.start()
    for r in live.responses[: cut - 1]:  # one short of the form's raw cut
        key = banks[r.item.bank].item(r.item.item_id).key
        live.answer(r.position, r.item.shown(key))
    result = live.submit("candidate")
    assert not result.passed and result.scaled is not None and result.scaled < SCALE_PASS
    assert live.record.scaled_score == result.scaled
    from ccsoo_exam.ui.exam.receipt import receipt_text

    assert f"scaled {result.scaled}" in receipt_text(live)
    rows = [row for batch in export.batches(conn, "sittings") for row in batch]
    assert rows[0][export.TABLES["sittings"].columns.index("scaled_score")] == result.scaled
    assert rows[0][export.TABLES["sittings"].columns.index("cut_score")] == cut


def test_a_missing_or_broken_calibration_file_is_reported(tmp_path) -> None:
    with pytest.raises(CcsooError, match="calibration file not found"):
        load_calibration(tmp_path / "nope.yaml")
    (tmp_path / "c.yaml").write_text(
        'calibration: rasch\nexam: x\nmethod: m\nability_cut: "zero"\nmean_ability: "0"\nitems:\n'
        '  M1-001: {difficulty: "0.1"}\n'
    )
    with pytest.raises(CcsooError) as info:
        load_calibration(tmp_path / "c.yaml")
    text = str(info.value)
    assert "c.yaml:4: 'ability_cut' (logits) must be a decimal number, not 'zero'" in text
    assert "must be written bank/item" in text
