"""A merged admin database with everything the reports show, and hostile outside text in it.

Three exam candidates on the small two-bank package (sittings with real chains), a roster
whose names are markup and non-Latin script, an applied rescoring whose reason is markup,
two panelists' sealed sheets for four panel candidates, and the decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ccsoo_exam.cli import main
from tests.admin_data import (
    all_correct,
    correct_on,
    enrolled_admin,
    panel_db,
    seal_release,
    small_package,
    terminal_db,
)
from tests.conftest import DEMO_KEY, bank_yaml

EXAM_YAML = """\
exam: ccsoo-test
title: CCSOO test exam
duration_minutes: 180
item_count: 8
blueprint:
  - {bank: ccsoo-m1, module: 1, file: m1.bank, items: 4}
  - {bank: ccsoo-m2, module: 2, file: m2.bank, items: 4}
cut_score: 5
cut_score_basis: Provisional cut <b>5</b> & co, pending a study
time_warnings: [30]
navigation: free
shuffle_options: true
show_score: true
"""
HOSTILE_NAME = '<img src=x onerror=alert(1)> O\'Brien & "Sons"'
CYRILLIC_NAME = "Алексей Иванов"
CJK_NAME = "王小明 Zoë"
HOSTILE_REASON = "<script>alert('reason')</script> two keys & both defensible"
ROSTER = (
    "candidate_id,name,degree,years_senior_management,route,accommodations\n"
    f'C-1,"{HOSTILE_NAME.replace(chr(34), chr(34) * 2)}",MBA,12,exam,\n'
    f"C-2,{CYRILLIC_NAME},PhD,20,exam,\n"
    f"C-4,{CJK_NAME},MBA,11,exam,\n"
    "P-1,Pat One,MBA,12,panel,\n"
    "P-2,Pat Two,MBA,12,panel,\n"
    "P-3,Pat Three,MBA,12,panel,\n"
    "P-4,Pat Four,MBA,12,panel,\n"
)


@dataclass(frozen=True)
class ReportData:
    folder: Path
    db: str
    exam: str
    key_file: str

    @property
    def key(self) -> list[str]:
        return ["--exam", self.exam, "--key-file", self.key_file]


def build(folder: Path, *, rescore: bool = True) -> ReportData:
    seal_release(folder, {m: bank_yaml(f"ccsoo-m{m}", m, 4) for m in (1, 2)}, DEMO_KEY)
    (folder / "exam.yaml").write_text(EXAM_YAML)
    (folder / "key.txt").write_text(DEMO_KEY)
    definition, banks = small_package()
    terminal_db(str(folder / "t1.db"), definition, banks, {"C-1": all_correct, "C-2": correct_on(5)})
    terminal_db(str(folder / "t2.db"), definition, banks, {"C-4": correct_on(2)}, seed=30)
    panel_db(str(folder / "p1.db"), "Ann", {"P-1": (3, 3), "P-2": (2, 2), "P-3": (1, 2), "P-4": (3, 2)})
    panel_db(str(folder / "p2.db"), "Ben", {"P-1": (3, 2), "P-2": (2, 2), "P-3": (1, 1), "P-4": (3, 3)})
    db = str(folder / "admin.db")
    sources = [str(folder / n) for n in ("t1.db", "t2.db", "p1.db", "p2.db")]
    enrolled_admin(db)
    assert main(["admin", "merge", *sources, "--into", db]) == 0
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    assert main(["admin", "roster", "import", str(folder / "roster.csv"), "--db", db]) == 0
    data = ReportData(folder, db, str(folder / "exam.yaml"), str(folder / "key.txt"))
    if rescore:
        status = main(
            ["admin", "rescore", "--db", db, "--item", "T2-004", "--accept", "B", "--apply",
             "--reason", HOSTILE_REASON, "--by", "R. Chair", *data.key]
        )  # fmt: skip
        assert status == 0
    assert main(["admin", "decisions", "--db", db]) == 0
    return data
