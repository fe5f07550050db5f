"""Items with 3 and 5 options through every layer: bank, form, scoring, statistics, cue audit, store, screen.

The CCSOO banks keep four options; imported banks often have three (or five), so each
layer must use the item's own letters and chance 1/k.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from types import MappingProxyType

import pytest

from ccsoo_exam.bank import LETTERS, Bank, Item, load_bank
from ccsoo_exam.cue_audit import run_audit
from ccsoo_exam.cues import adjusted, item_shapes
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.exam import load_exam
from ccsoo_exam.form import assemble_form
from ccsoo_exam.item_analysis import SittingAnswers, analyse, package_keys
from ccsoo_exam.rescoring import ACCEPT, KeyChange, check_change
from ccsoo_exam.scoring import score
from ccsoo_exam.store import admin
from ccsoo_exam.store.database import migrate
from ccsoo_exam.testwise import RULES, credit, cross_validate, picked
from tests.conftest import ROOT

EXAM = str(ROOT / "question_banks" / "exam.yaml")


def mixed_bank_yaml(bank_id: str, module: int, count: int, sizes: tuple[int, int] = (3, 5)) -> str:
    """Items alternating between two option counts; keys cycle over each item's own letters."""
    lines = [f"bank: {bank_id}", f"module: {module}", "title: Mixed", "items:"]
    for n in range(1, count + 1):
        k = sizes[0] if n % 2 else sizes[1]
        letters = LETTERS[:k]
        key = letters[n % k]
        lines += [
            f"  - id: X{module}-{n:03d}",
            f'    stem: "Which response fits case {n} of module {module}?"',
            "    options:",
            *(f'      {x}: "Response {x} for case {n:03d}"' for x in letters),
            f'    key: "{key}"',
            '    rationale: "'
            + f"{key} is right. "
            + " ".join(f"Option {x} is wrong because it misses." for x in letters if x != key)
            + '"',
            '    topic: "Strategy"',
            '    difficulty: "medium"',
            '    source: "000: scope"',
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def banks(write) -> dict[str, Bank]:
    return {f"ccsoo-m{m}": load_bank(write(f"m{m}.yaml", mixed_bank_yaml(f"ccsoo-m{m}", m, 24))) for m in range(1, 6)}


def test_form_shuffles_each_items_own_letters(banks) -> None:
    exam = _uncapped(load_exam(EXAM))
    form = assemble_form(exam, banks, 7)
    counts = set()
    for entry in form.items:
        item = banks[entry.bank].item(entry.item_id)
        assert sorted(entry.option_order) == list(item.letters)
        for shown in LETTERS[: len(item.options)]:
            assert entry.shown(entry.authored(shown)) == shown
        counts.add(len(entry.option_order))
    assert counts == {3, 5}
    orders = {entry.option_order for entry in form.items if len(entry.option_order) == 5}
    assert len(orders) > 3, "five-option items are shuffled, not left in authored order"
    assert assemble_form(exam, banks, 7) == form


def test_scoring_counts_e_and_refuses_nothing_extra(banks) -> None:
    exam = _uncapped(load_exam(EXAM))
    form = assemble_form(exam, banks, 11)
    keys = {e.position: banks[e.bank].item(e.item_id).key for e in form.items}
    assert "E" in keys.values()
    all_right = score(form, banks, keys, exam.cut_score)
    assert all_right.raw == 80 and all_right.passed
    wrong = {p: ("A" if k != "A" else "B") for p, k in keys.items()}
    assert score(form, banks, wrong, exam.cut_score).raw == 0


def test_item_analysis_reports_each_items_own_options(banks) -> None:
    keys = package_keys(banks)
    three, five = "ccsoo-m1/X1-001", "ccsoo-m1/X1-002"
    assert (keys[three].options, keys[five].options) == (3, 5)
    answers = ["BC", "BC", "BC", "AC", "CE", "B-", "BC", "AD"]
    rows = [SittingAnswers(f"s{n}", f"C{n}", 2, 1, f"{three},{five}", a) for n, a in enumerate(answers)]
    result = {r.item: r for r in analyse(rows, keys).items}
    assert set(result[three].shares) == {"A", "B", "C", "-"}
    assert set(result[five].shares) == {"A", "B", "C", "D", "E", "-"}
    assert result[five].shares["E"] == pytest.approx(1 / 8)
    # X1-001's key is B (1 % 3), X1-002's is C (2 % 5); nobody chose B on X1-002: flagged, D/E are not.
    assert "distractor B chosen by nobody" in result[five].flags
    assert not any("distractor D" in f or "distractor E" in f for f in result[five].flags)
    assert not any("distractor D" in f for f in result[three].flags), "a three-option item has no D"


def test_rescoring_accepts_only_the_items_letters(banks) -> None:
    keys = package_keys(banks)
    check_change(KeyChange("ccsoo-m1", "X1-002", ACCEPT, "E"), keys, [])
    with pytest.raises(CcsooError, match="must be one of A, B, C, not 'D'"):
        check_change(KeyChange("ccsoo-m1", "X1-001", ACCEPT, "D"), keys, [])


def _item(n: int, options: list[str], key: str) -> Item:
    letters = LETTERS[: len(options)]
    return Item(
        id=f"Q-{n:03d}",
        stem=f"Which response best serves situation {n}?",
        options=MappingProxyType(dict(zip(letters, options, strict=True))),
        key=key,
        rationale="r",
        topic="t",
        difficulty="medium",
        source="s",
    )


def test_rules_score_chance_one_over_k_and_ties_split() -> None:
    same3 = _item(1, ["Review the plan", "Review the risk", "Review the cost"], "A")
    same5 = _item(2, ["Fix the queue", "Fix the staff", "Fix the tools", "Fix the rules", "Fix the costs"], "E")
    for rule in RULES:
        assert credit(picked(item_shapes(same3), rule.score), "A") == pytest.approx(1 / 3), rule.name
        assert credit(picked(item_shapes(same5), rule.score), "E") == pytest.approx(1 / 5), rule.name
    shapes = item_shapes(_item(3, ["a longer option here", "short", "mid one"], "C"))
    assert [s.rank_share for s in shapes] == [(1.0, 0.0, 0.0), (0.0, 0.0, 1.0), (0.0, 1.0, 0.0)]
    shortest = next(r for r in RULES if r.name == "shortest")
    assert picked(shapes, shortest.score) == ["B"]


def test_audit_uses_chance_one_over_k(write) -> None:
    bank = load_bank(write("m.yaml", mixed_bank_yaml("mixed", 1, 40)))
    audit = run_audit([bank])
    assert audit.chance == pytest.approx((1 / 3 + 1 / 5) / 2)
    assert len(audit.ranks) == 5 and audit.rank_chance[3] == pytest.approx(0.1)
    assert audit.hit_max == pytest.approx(adjusted(0.40, audit.chance))
    # Thresholds written for four options are unchanged at chance 25%, and move with k.
    assert adjusted(0.30, 0.25) == pytest.approx(0.30)
    assert adjusted(0.30, 1 / 3) > 0.30 + 1 / 3 - 0.25 and adjusted(0.30, 0.2) < 0.30
    # Identical-length options: every rank rule ties, so each rank figure is chance for its k.
    assert audit.ranks[0].overall == pytest.approx(audit.chance)


def test_three_option_banks_are_not_failed_for_chance_itself(write) -> None:
    """Cue-free three-option banks score 33% on every rule: that is chance, not a cue (the limit is 30% at four)."""
    banks = [load_bank(write(f"m{m}.yaml", mixed_bank_yaml(f"m{m}", m, 30, sizes=(3, 3)))) for m in (1, 2)]
    audit = run_audit(banks)
    assert audit.chance == pytest.approx(1 / 3)
    assert all(fig.overall == pytest.approx(1 / 3) for fig in audit.rules.values())
    assert not any("test-wise rule" in p.message or "length rank" in p.message for p in audit.failures)
    four = [load_bank(write(f"f{m}.yaml", mixed_bank_yaml(f"f{m}", m, 30, sizes=(4, 4)))) for m in (1, 2)]
    assert run_audit(four).hit_max == pytest.approx(0.30), "four-option banks keep the documented threshold"


def test_model_handles_mixed_option_counts(banks) -> None:
    cv = cross_validate({b.path: list(b.items) for b in banks.values()})
    assert cv is not None
    every = [c for values in cv.credit.values() for c in values]
    assert len(every) == 120 and all(0.0 <= c <= 1.0 for c in every)


# Store ---------------------------------------------------------------------------------------------------


def test_migration_widens_the_answer_check_and_keeps_every_row(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    new = {"sittings-003-five-options", "admin-007-five-options"}
    migrate(conn, [m for m in admin.MIGRATIONS if m[0] not in new])
    columns = [r[1] for r in conn.execute("PRAGMA table_info(sittings)")]
    values = ["s1" if c == "sitting_id" else "submitted" if c == "status" else "0" for c in columns]
    conn.execute(f"INSERT INTO sittings ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values)
    insert = (
        "INSERT INTO responses (sitting_id, position, bank_id, module, item_id, option_order, answer, struck) "
        "VALUES ('s1', ?, 'b', 1, 'i', ?, ?, ?)"
    )
    conn.execute(insert, (0, "DCBA", "D", "A"))
    conn.execute(insert, (1, "ABC", None, ""))
    rescoring = (
        "INSERT INTO rescorings (exam_id, bank_id, item_id, action, letter, reason, applied_by, applied_at, "
        "package_fingerprint, sittings, decisions_changed) "
        "VALUES ('e', 'b', 'i', 'accept', ?, 'r', 'me', 't', 'f', 1, 0)"
    )
    conn.execute(rescoring, ("C",))
    conn.execute("INSERT INTO rescored_scores VALUES (1, 's1', 0, 1, 0, 1, 1, 100.0, 1, '{}')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(insert, (2, "ABCDE", "E", ""))
    assert migrate(conn, admin.MIGRATIONS) == ["sittings-003-five-options", "admin-007-five-options"]
    conn.execute(insert, (2, "EDCBA", "E", ""))
    conn.execute(rescoring, ("E",))
    assert conn.execute(
        "SELECT position, option_order, answer, struck FROM responses ORDER BY position"
    ).fetchall() == [
        (0, "DCBA", "D", "A"),
        (1, "ABC", None, ""),
        (2, "EDCBA", "E", ""),
    ]
    assert [r[0] for r in conn.execute("SELECT letter FROM rescorings ORDER BY rescoring_id")] == ["C", "E"]
    assert conn.execute("SELECT count(*) FROM rescored_scores").fetchone()[0] == 1
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(insert, (3, "ABCDE", "F", ""))
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO rescored_scores VALUES (99, 's1', 0, 1, 0, 1, 1, 100.0, 1, '{}')")


# Screen --------------------------------------------------------------------------------------------------


def _with_option_counts(package):
    """The sample package with module 1 cut to three options and the rest given a fifth."""

    def change(item: Item, module: int) -> Item:
        if module == 1:
            options = {x: item.options[x] for x in "ABC"}
            key = item.key if item.key in options else "A"
        else:
            options = {**item.options, "E": f"None of these fits item {item.id}"}
            key = item.key
        return dataclasses.replace(item, options=MappingProxyType(options), key=key)

    banks = {
        name: dataclasses.replace(bank, items=tuple(change(i, bank.module) for i in bank.items))
        for name, bank in package.banks.items()
    }
    return dataclasses.replace(package, banks=banks)


async def test_question_screen_shows_and_accepts_only_the_items_letters(tmp_path: Path) -> None:
    from ccsoo_exam.ui.exam.question import QuestionScreen
    from tests.exam_fixtures import sample_package
    from tests.test_exam_ui import SIZE, build, response, screen_text, start_sitting

    package = _with_option_counts(sample_package())
    app, conn = build(tmp_path / "r.db")
    async with app.run_test(size=SIZE) as pilot:
        await start_sitting(app, pilot, package=package)
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        assert len(app.live.current().item.option_order) == 3
        assert [o.plain[5:7] for o in screen.query_one("#body").options] == ["A.", "B.", "C."]
        lines = screen_text(app).splitlines()
        assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
        assert "A-C answer" in screen_text(app)
        await pilot.press("d", "4", "e", "5")
        assert response(conn, 0)["answer"] is None, "letters the item does not have do nothing"
        await pilot.press("up")  # wraps over three options, to C
        await pilot.press("enter")
        assert response(conn, 0)["answer"] == app.live.current().item.authored("C")
        five = next(r.position for r in app.live.responses if r.item.module == 2)
        screen.go_to(five)
        await pilot.pause()
        assert len(app.live.current().item.option_order) == 5
        assert [o.plain[5:7] for o in screen.query_one("#body").options] == ["A.", "B.", "C.", "D.", "E."]
        assert "A-E answer" in screen_text(app)
        await pilot.press("5")
        assert response(conn, five)["answer"] == app.live.current().item.authored("E")
        await pilot.press("e")
        assert "(*) E." in screen.query_one("#body").option(4).plain
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert len(lines) == 24 and all(len(line) <= 80 for line in lines)


def _uncapped(exam):
    """The sample definition without its exposure cap: these 24-item test banks put 16 on every form."""
    from dataclasses import replace

    return replace(exam, assembly=replace(exam.assembly, exposure_cap=None))
