"""Terminal databases with real sittings (real event chains) for the administration tests.

Sittings are made through ``create_sitting`` and ``SittingRecorder`` exactly as the exam
does, so merge and export tests see genuine chains, authored letters and option orders.
"""

from __future__ import annotations

import itertools
import sqlite3
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ccsoo_exam.bank import Bank, bank_from_bytes
from ccsoo_exam.exam import BlueprintEntry, ExamDefinition
from ccsoo_exam.form import FormItem, assemble_form
from ccsoo_exam.keyfile import new_key_file
from ccsoo_exam.ledger import Ledger
from ccsoo_exam.scoring import score
from ccsoo_exam.signing import Signer, load_signer
from ccsoo_exam.store import admin, sittings
from ccsoo_exam.store.database import connect
from tests.conftest import bank_yaml

_TERMINAL: list[Signer] = []


def terminal_signer() -> Signer:
    """The signing key of the tests' one terminal (made once per run)."""
    if not _TERMINAL:
        path = Path(tempfile.mkdtemp(prefix="ccsoo-test-terminal-")) / "terminal.key"
        new_key_file(path)
        _TERMINAL.append(load_signer(path))
    return _TERMINAL[0]


def enrolled(conn: sqlite3.Connection) -> sqlite3.Connection:
    """An admin database with the tests' terminal enrolled, as an administrator would have it."""
    signer = terminal_signer()
    if signer.key_id not in admin.enrolled_terminals(conn):
        admin.enrol_terminal(conn, "test-terminal", signer.key_id, signer.public_key, "2026-03-01T08:00:00Z")
    return conn


# Chooser: (candidate index, form item, key) -> the AUTHORED letter answered, or None.
Chooser = Callable[[int, FormItem, str], str | None]


def small_package(items_per_bank: int = 4, drawn: int = 4, cut: int = 5) -> tuple[ExamDefinition, dict[str, Bank]]:
    """Two banks (modules 1 and 2); with drawn == items_per_bank everyone sits the same items."""
    banks = {
        f"ccsoo-m{m}": bank_from_bytes(bank_yaml(f"ccsoo-m{m}", m, items_per_bank).encode(), f"m{m}.yaml")
        for m in (1, 2)
    }
    definition = ExamDefinition(
        exam="ccsoo-test",
        title="CCSOO test exam",
        duration_minutes=180,
        item_count=2 * drawn,
        blueprint=tuple(BlueprintEntry(f"ccsoo-m{m}", m, f"m{m}.bank", drawn) for m in (1, 2)),
        cut_score=cut,
        time_warnings=(),
        navigation="free",
        shuffle_options=True,
        show_score=True,
    )
    return definition, banks


def keyed(banks: Mapping[str, Bank], item: FormItem) -> str:
    return banks[item.bank].item(item.item_id).key


def add_sitting(
    conn: sqlite3.Connection,
    definition: ExamDefinition,
    banks: Mapping[str, Bank],
    candidate_id: str,
    choose: Callable[[FormItem, str], str | None],
    *,
    seed: int = 7,
    submit: bool = True,
    reason: str = "candidate",
) -> str:
    """One sitting: check-in, start, one answer event per answered item, then submit (scored)."""
    moments = itertools.count()
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)

    def wall() -> datetime:
        return start + timedelta(seconds=next(moments))

    ticks = itertools.count(step=3)
    form = assemble_form(definition, banks, seed)
    sitting_id = sittings.create_sitting(
        conn,
        exam_id=definition.exam,
        exam_title=definition.title,
        package_fingerprint="f" * 64,
        candidate_id=candidate_id,
        candidate_name=f"Name of {candidate_id}",
        form=form,
        cut_score=definition.cut_score,
        base_seconds=definition.duration_minutes * 60,
        multiplier=1.0,
        proctor_pin="pin-hash",
        wall_clock=wall,
        signer=terminal_signer(),
    )
    record = sittings.load_sitting(conn, sitting_id)
    ledger = Ledger(record.allowance, 0.0, lambda: float(next(ticks)))
    recorder = sittings.SittingRecorder(conn, record, ledger, wall, terminal_signer())
    recorder.start()
    answers: dict[int, str | None] = {}
    for item in form.items:
        letter = choose(item, keyed(banks, item))
        if letter is not None:
            recorder.answer(item.position, letter)
            answers[item.position] = letter
    if submit:
        recorder.submit(score(form, banks, answers, definition.cut_score), reason)
    return sitting_id


def terminal_db(
    path: str,
    definition: ExamDefinition,
    banks: Mapping[str, Bank],
    candidates: Mapping[str, Callable[[FormItem, str], str | None]],
    *,
    seed: int = 7,
) -> dict[str, str]:
    """A terminal database file with one sitting per candidate; returns candidate -> sitting id."""
    conn = connect(path, sittings.MIGRATIONS)
    try:
        return {
            c: add_sitting(conn, definition, banks, c, choose, seed=seed + n)
            for n, (c, choose) in enumerate(candidates.items())
        }
    finally:
        conn.close()


def all_correct(item: FormItem, key: str) -> str:
    return key


def correct_on(count: int) -> Callable[[FormItem, str], str | None]:
    """Correct on the first ``count`` form positions, a wrong letter after."""
    return lambda item, key: key if item.position < count else ("B" if key == "A" else "A")


def panel_db(path: str, panelist: str, levels: Mapping[str, tuple[int, int]]) -> list[str]:
    """A panelist's database with one sealed sheet per candidate on the mini rubric: candidate -> (a, b)."""
    from ccsoo_exam.rubric import rubric_from_bytes
    from ccsoo_exam.store import scoresheets
    from tests.test_rubric import MINI

    rubric = rubric_from_bytes(MINI.encode(), "mini.yaml")
    conn = scoresheets.open_store(path)
    at = "2026-03-02T10:00:00Z"
    ids = []
    try:
        for candidate, (a, b) in levels.items():
            sheet = scoresheets.open_sheet(conn, rubric, candidate, panelist, at)
            scoresheets.declare_conflict(conn, rubric, sheet.sheet_id, False, "", at)
            scoresheets.set_level(conn, rubric, sheet.sheet_id, "a", a, at)
            scoresheets.set_level(conn, rubric, sheet.sheet_id, "b", b, at)
            scoresheets.seal(conn, rubric, sheet.sheet_id, at, signer=terminal_signer())
            ids.append(sheet.sheet_id)
    finally:
        conn.close()
    return ids


def enrolled_admin(path: str | Path) -> str:
    """Create (or open) an admin database at ``path`` with the tests' terminal enrolled."""
    conn = enrolled(admin.open_admin(str(path)))
    conn.close()
    return str(path)


def seal_release(folder: Path, sources: dict[int, str], key: str, package: str = "ccsoo-test") -> None:
    """Encrypt bank sources (module -> YAML) as ``m{module}.bank`` with the release manifest that pins them."""
    from ccsoo_exam import release, vault

    cache = vault.KeyCache(key)
    params = vault.new_params()
    released = []
    for module, text in sources.items():
        sealed = vault.encrypt(text.encode(), key, params, cache)
        (folder / f"m{module}.bank").write_bytes(sealed)
        released.append(
            release.ReleasedBank(f"m{module}.bank", f"ccsoo-m{module}", module, release.sealed_digest(sealed))
        )
    manifest = release.Manifest(package, "test", tuple(released))
    (folder / release.MANIFEST_NAME).write_bytes(release.seal_manifest(manifest, key, params, cache))
