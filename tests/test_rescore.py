"""Rescoring after a key challenge: dropped items, accepted keys, the record kept of it."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest

from ccsoo_exam.errors import CcsooError
from ccsoo_exam.form import assemble_form
from ccsoo_exam.item_analysis import package_keys
from ccsoo_exam.rescoring import ACCEPT, DROP, KeyChange, rescore, resolve_item
from ccsoo_exam.store import admin
from ccsoo_exam.store.database import connect
from ccsoo_exam.store.sittings import MIGRATIONS
from tests.admin_data import add_sitting, all_correct, correct_on, enrolled, small_package

AT = "2026-03-04T08:00:00Z"


@pytest.fixture
def setup(tmp_path: Path):
    """Three candidates on one form (8 items, cut 5): 8, 5 (just passing) and 4 correct."""
    definition, banks = small_package()
    terminal = connect(str(tmp_path / "t.db"), MIGRATIONS)
    ids = {
        c: add_sitting(terminal, definition, banks, c, choose, seed=7)
        for c, choose in (("C-1", all_correct), ("C-2", correct_on(5)), ("C-3", correct_on(4)))
    }
    terminal.close()
    conn = enrolled(admin.open_admin(str(tmp_path / "admin.db")))
    admin.merge_file(conn, str(tmp_path / "t.db"), AT)
    form = assemble_form(definition, banks, 7)
    return conn, definition, package_keys(banks), form, ids


def run(conn, definition, keys, change):
    return rescore(
        admin.submitted_answers(conn, definition.exam),
        keys,
        admin.applied_changes(conn, definition.exam),
        change,
        admin.current_scores(conn, definition.exam),
    )


def test_dropping_an_item_changes_the_denominators_and_keeps_the_cut_proportion(setup) -> None:
    conn, definition, keys, form, _ids = setup
    item = form.items[4]  # the last item C-2 got right
    result = run(conn, definition, keys, KeyChange(item.bank, item.item_id, DROP))
    after = {s.candidate_id: s.after for s in result.sittings}
    assert {c: (a.raw, a.total) for c, a in after.items()} == {"C-1": (7, 7), "C-2": (4, 7), "C-3": (4, 7)}
    module = item.module
    assert after["C-1"].by_module[module] == (3, 3)
    # 4/7 = 57% is below the cut's 5/8 = 62.5%: C-2 now fails.
    assert [s.candidate_id for s in result.changed] == ["C-2"]
    assert result.changed[0].before.passed and not result.changed[0].after.passed
    assert result.changed[0].cut_raw == pytest.approx(5 * 7 / 8)


def test_accepting_an_additional_key(setup) -> None:
    conn, definition, keys, form, _ids = setup
    item = form.items[5]
    key = keys[f"{item.bank}/{item.item_id}"].key
    wrong = "B" if key == "A" else "A"  # the letter correct_on() answers when wrong
    result = run(conn, definition, keys, KeyChange(item.bank, item.item_id, ACCEPT, wrong))
    after = {s.candidate_id: (s.after.raw, s.after.total) for s in result.sittings}
    assert after == {"C-1": (8, 8), "C-2": (6, 8), "C-3": (5, 8)}
    assert [(s.candidate_id, s.after.passed) for s in result.changed] == [("C-3", True)]
    assert not math.isnan(result.sem)
    near = {s.candidate_id for s in result.near_cut}
    assert all(abs(s.after.raw - s.cut_raw) <= result.sem for s in result.near_cut)
    assert near <= {"C-2", "C-3", "C-1"}


def test_applying_records_who_why_when_and_keeps_the_originals(setup) -> None:
    conn, definition, keys, form, ids = setup
    item = form.items[4]
    change = KeyChange(item.bank, item.item_id, DROP)
    result = run(conn, definition, keys, change)
    rescoring_id = admin.record_rescoring(
        conn,
        definition.exam,
        change,
        result,
        reason="two defensible answers",
        by="Chair Jones",
        at=AT,
        package_fingerprint="f" * 64,
    )
    row = conn.execute("SELECT * FROM rescorings WHERE rescoring_id = ?", (rescoring_id,)).fetchone()
    assert (row["applied_by"], row["reason"], row["applied_at"], row["action"]) == (
        "Chair Jones",
        "two defensible answers",
        AT,
        "drop",
    )
    assert row["decisions_changed"] == 1
    # The terminal's scores stay as they were; the current view shows the rescored ones.
    assert conn.execute("SELECT raw_score, passed FROM sittings WHERE sitting_id = ?", (ids["C-2"],)).fetchone()[:] == (
        5,
        1,
    )
    assert admin.current_scores(conn, definition.exam)[ids["C-2"]] == (4, 7, False)
    kept = conn.execute(
        "SELECT raw_before, passed_before FROM rescored_scores WHERE sitting_id = ?", (ids["C-2"],)
    ).fetchone()
    assert tuple(kept) == (5, 1)
    # A second challenge builds on the first: the dropped item stays dropped.
    other = form.items[0]
    second = run(conn, definition, keys, KeyChange(other.bank, other.item_id, DROP))
    assert {s.candidate_id: s.before.raw for s in second.sittings}["C-2"] == 4
    assert {s.candidate_id: (s.after.raw, s.after.total) for s in second.sittings}["C-2"] == (3, 6)
    with pytest.raises(CcsooError, match="already dropped"):
        run(conn, definition, keys, change)


def test_item_names_and_pointless_changes(setup) -> None:
    conn, definition, keys, _form, _ids = setup
    name = next(iter(keys))
    assert resolve_item(name.split("/")[1], keys) == name
    with pytest.raises(CcsooError, match="no item"):
        resolve_item("Q-999", keys)
    bank, item = name.split("/")
    with pytest.raises(CcsooError, match="already counts as correct"):
        run(conn, definition, keys, KeyChange(bank, item, ACCEPT, keys[name].key))


# --- credit everyone, protected passes, the policy comparison ------------------------------


def test_crediting_everyone_counts_the_item_right_whatever_was_answered(setup) -> None:
    from ccsoo_exam.rescoring import CREDIT

    conn, definition, keys, form, _ids = setup
    item = form.items[6]  # everyone but C-1 got it wrong
    result = run(conn, definition, keys, KeyChange(item.bank, item.item_id, CREDIT))
    after = {s.candidate_id: (s.after.raw, s.after.total) for s in result.sittings}
    assert after == {"C-1": (8, 8), "C-2": (6, 8), "C-3": (5, 8)}  # totals unchanged, one point each
    assert [s.candidate_id for s in result.changed] == ["C-3"]  # 5 of 8 now reaches the cut
    assert result.fail_to_pass == 1 and result.pass_to_fail == 0


def test_protected_passes_keep_a_pass_that_a_drop_would_take_away(setup) -> None:
    conn, definition, keys, form, ids = setup
    item = form.items[4]  # dropping it fails C-2 (see above)
    change = KeyChange(item.bank, item.item_id, DROP)
    result = rescore(
        admin.submitted_answers(conn, definition.exam),
        keys,
        [],
        change,
        admin.current_scores(conn, definition.exam),
        protect_passes=True,
    )
    assert result.changed == ()
    assert [s.candidate_id for s in result.protected] == ["C-2"]
    kept = result.protected[0]
    assert kept.after.passed and kept.after.raw == 4 and kept.protected
    admin.record_rescoring(conn, definition.exam, change, result, reason="r", by="b", at=AT, package_fingerprint="f")
    row = conn.execute("SELECT protect_passes, protected FROM rescorings").fetchone()
    assert tuple(row) == (1, 1)
    assert admin.current_scores(conn, definition.exam)[ids["C-2"]] == (4, 7, True)


def test_the_dry_run_compares_every_policy(setup) -> None:
    from ccsoo_exam.rescoring import compare_policies

    conn, definition, keys, form, _ids = setup
    item = form.items[4]
    effects = compare_policies(
        list(admin.submitted_answers(conn, definition.exam)),
        keys,
        [],
        f"{item.bank}/{item.item_id}",
        admin.current_scores(conn, definition.exam),
    )
    by_name = {e.policy.split(" ")[0] + (" protected" if "protected" in e.policy else ""): e for e in effects}
    assert (by_name["drop"].pass_to_fail, by_name["drop"].fail_to_pass) == (1, 0)
    assert (by_name["drop protected"].pass_to_fail, by_name["drop protected"].protected) == (0, 1)
    assert by_name["credit"].fail_to_pass == 1  # C-3 (right on positions 0-3 only) reaches 5 of 8
    assert len(effects) == 4


def test_an_older_admin_database_gains_the_credit_policy_with_its_rescorings_kept(tmp_path) -> None:
    from ccsoo_exam.store.database import connect as open_db

    definition, banks = small_package()
    terminal = connect(str(tmp_path / "t.db"), MIGRATIONS)
    sitting = add_sitting(terminal, definition, banks, "C-1", all_correct, seed=7)
    terminal.close()
    new = {"admin-005-rescoring-policies", "admin-006-roster-group", "admin-007-five-options"}
    old = open_db(str(tmp_path / "old.db"), [m for m in admin.MIGRATIONS if m[0] not in new])
    enrolled(old)
    admin.merge_file(old, str(tmp_path / "t.db"), AT)
    old.execute(
        "INSERT INTO rescorings (exam_id, bank_id, item_id, action, letter, reason, applied_by, applied_at, "
        "package_fingerprint, sittings, decisions_changed) VALUES ('ccsoo-test', 'ccsoo-m1', 'T1-001', 'drop', NULL, "
        "'r', 'b', 'a', 'f', 1, 0)"
    )
    old.execute("INSERT INTO rescored_scores VALUES (1, ?, 8, 8, 1, 7, 7, 100.0, 1, '{}')", (sitting,))
    with pytest.raises(sqlite3.IntegrityError):  # the old table refuses the new policy
        old.execute("UPDATE rescorings SET action = 'credit'")
    old.close()
    conn = admin.open_admin(str(tmp_path / "old.db"))
    assert [tuple(r) for r in conn.execute("SELECT rescoring_id, action, protect_passes FROM rescorings")] == [
        (1, "drop", 0)
    ]
    assert conn.execute("SELECT COUNT(*) FROM rescored_scores").fetchone()[0] == 1
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.execute("UPDATE rescorings SET action = 'credit'")  # now allowed
    assert admin.current_scores(conn, "ccsoo-test")[sitting] == (7, 7, True)


def test_the_sem_after_a_drop_is_of_the_scored_items(setup) -> None:
    from ccsoo_exam.stats import test_summary

    conn, definition, keys, form, _ids = setup
    item = form.items[4]
    result = run(conn, definition, keys, KeyChange(item.bank, item.item_id, DROP))
    # Rebuild the 0/1 matrix of the seven scored items from the rescored module tallies' source.
    c1 = [1] * 7
    c2 = [1, 1, 1, 1, 0, 0, 0]
    c3 = [1, 1, 1, 1, 0, 0, 0]
    expected = test_summary([c1, c2, c3])
    assert result.kr20 == pytest.approx(expected.kr20)
    assert result.sem == pytest.approx(expected.sem)
