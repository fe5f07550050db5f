"""Sittings on a delivery terminal: responses, flags, strike-outs, time and the event chain.

Every change is one transaction holding the response row, its hash-chained event and
the consumed time, so after a crash the database is exactly as the screen last showed
it as saved. Responses are stored as the *authored* option letters; the answer key is
never written here, only the score computed at submission.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ccsoo_exam.chain import GENESIS, SIGNED_KINDS, Event, head_message, make_event, verify_chain
from ccsoo_exam.errors import Problem, StoreError
from ccsoo_exam.form import Form, FormItem
from ccsoo_exam.ledger import Ledger, TimeAllowance, boot_identity
from ccsoo_exam.replay import check_in_payload
from ccsoo_exam.scoring import Score
from ccsoo_exam.store.database import Migration, transaction

MIGRATIONS: list[Migration] = [
    (
        "sittings-001-create",
        """
        CREATE TABLE sittings (
            sitting_id TEXT PRIMARY KEY,
            exam_id TEXT NOT NULL,
            exam_title TEXT NOT NULL,
            package_fingerprint TEXT NOT NULL,
            candidate_id TEXT NOT NULL,
            candidate_name TEXT NOT NULL DEFAULT '',
            form_seed TEXT NOT NULL,
            form_digest TEXT NOT NULL,
            item_count INTEGER NOT NULL,
            cut_score INTEGER NOT NULL,
            base_seconds REAL NOT NULL,
            multiplier REAL NOT NULL DEFAULT 1.0,
            extension_seconds REAL NOT NULL DEFAULT 0,
            consumed_seconds REAL NOT NULL DEFAULT 0,
            status TEXT NOT NULL CHECK (status IN ('checked-in', 'in-progress', 'paused', 'submitted')),
            position INTEGER NOT NULL DEFAULT 0,
            timer_hidden INTEGER NOT NULL DEFAULT 0,
            warnings_given TEXT NOT NULL DEFAULT '',
            proctor_pin TEXT NOT NULL,
            created_at TEXT NOT NULL,
            started_at TEXT,
            submitted_at TEXT,
            submit_reason TEXT,
            raw_score INTEGER,
            percent REAL,
            passed INTEGER,
            module_scores TEXT,
            chain_head TEXT NOT NULL,
            event_count INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE responses (
            sitting_id TEXT NOT NULL REFERENCES sittings (sitting_id),
            position INTEGER NOT NULL,
            bank_id TEXT NOT NULL,
            module INTEGER NOT NULL,
            item_id TEXT NOT NULL,
            option_order TEXT NOT NULL,
            answer TEXT CHECK (answer IN ('A', 'B', 'C', 'D')),
            flagged INTEGER NOT NULL DEFAULT 0,
            struck TEXT NOT NULL DEFAULT '',
            answered_at TEXT,
            PRIMARY KEY (sitting_id, position)
        );
        CREATE TABLE events (
            sitting_id TEXT NOT NULL REFERENCES sittings (sitting_id),
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            wall_time TEXT NOT NULL,
            consumed_seconds REAL NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            PRIMARY KEY (sitting_id, seq)
        );
        CREATE INDEX sittings_status ON sittings (status, updated_at)
        """,
    ),
    (
        # Where the boot clock stood at the last commit, and in which boot: an outage of the
        # program is then measured on that clock, not as a difference of wall-clock readings.
        "sittings-002-boot-clock",
        """
        ALTER TABLE sittings ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';
        ALTER TABLE sittings ADD COLUMN boot_seconds REAL
        """,
    ),
    # The scaled score (100-900, pass 500) of a calibrated package; NULL before calibration.
    ("sittings-002-scaled-score", "ALTER TABLE sittings ADD COLUMN scaled_score INTEGER"),
    (
        "sittings-002-signatures",
        """
        CREATE TABLE signatures (
            sitting_id TEXT NOT NULL REFERENCES sittings (sitting_id),
            seq INTEGER NOT NULL,
            key_id TEXT NOT NULL,
            signature BLOB NOT NULL,
            PRIMARY KEY (sitting_id, seq)
        )
        """,
    ),
    (
        # Items have 3 to 5 options, so an answer may be E. SQLite cannot alter a CHECK in
        # place: build the table anew with the wider check, copy every row, swap it in.
        "sittings-003-five-options",
        """
        CREATE TABLE responses_new (
            sitting_id TEXT NOT NULL REFERENCES sittings (sitting_id),
            position INTEGER NOT NULL,
            bank_id TEXT NOT NULL,
            module INTEGER NOT NULL,
            item_id TEXT NOT NULL,
            option_order TEXT NOT NULL,
            answer TEXT CHECK (answer IN ('A', 'B', 'C', 'D', 'E')),
            flagged INTEGER NOT NULL DEFAULT 0,
            struck TEXT NOT NULL DEFAULT '',
            answered_at TEXT,
            PRIMARY KEY (sitting_id, position)
        );
        INSERT INTO responses_new (
            sitting_id, position, bank_id, module, item_id, option_order, answer, flagged, struck, answered_at
        )
        SELECT sitting_id, position, bank_id, module, item_id, option_order, answer, flagged, struck, answered_at
        FROM responses;
        DROP TABLE responses;
        ALTER TABLE responses_new RENAME TO responses
        """,
    ),
    (
        # The accessibility accommodations chosen at check-in (comma-separated names, see
        # ACCESSIBILITY): the screens are laid out for them again after a crash and resume.
        "sittings-003-accessibility",
        """
        ALTER TABLE sittings ADD COLUMN accessibility TEXT NOT NULL DEFAULT ''
        """,
    ),
]

# Accommodations a sitting may be checked in with, beside extra time (see docs/delivery.md).
ACCESSIBILITY = ("high-contrast", "large-print", "screen-reader", "read-aloud", "reduced-motion")


class HeadSigner(Protocol):
    """The terminal's key as the store sees it (``signing.Signer``): an id and a sign method."""

    key_id: str

    def sign(self, message: bytes) -> bytes: ...


WallClock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class ResponseState:
    """One question of the form as the candidate left it (letters are authored)."""

    position: int
    item: FormItem
    answer: str | None
    flagged: bool
    struck: frozenset[str]


@dataclass(frozen=True)
class SittingRecord:
    sitting_id: str
    exam_id: str
    package_fingerprint: str
    candidate_id: str
    candidate_name: str
    form_seed: int
    status: str
    position: int
    allowance: TimeAllowance
    consumed: float
    timer_hidden: bool
    warnings_given: frozenset[int]
    proctor_pin: str
    last_event_time: str
    chain_head: str
    event_count: int
    submitted_at: str | None
    raw_score: int | None
    percent: float | None
    passed: bool | None
    module_scores: dict[int, tuple[int, int]] | None
    boot_id: str = ""
    boot_seconds: float | None = None
    cut_score: int = 0  # this sitting's raw cut (the form's, once the items are calibrated)
    scaled_score: int | None = None
    accessibility: frozenset[str] = frozenset()


def create_sitting(
    conn: sqlite3.Connection,
    *,
    exam_id: str,
    exam_title: str,
    package_fingerprint: str,
    candidate_id: str,
    candidate_name: str,
    form: Form,
    cut_score: int,
    base_seconds: float,
    multiplier: float,
    proctor_pin: str,
    wall_clock: WallClock = utc_now,
    signer: HeadSigner | None = None,
    accessibility: frozenset[str] = frozenset(),
) -> str:
    """Check a candidate in: the sitting, its 80 empty responses and the first event, at once."""
    unknown = accessibility - set(ACCESSIBILITY)
    if unknown:
        raise ValueError(f"unknown accessibility accommodation {sorted(unknown)}")
    modes = ",".join(m for m in ACCESSIBILITY if m in accessibility)
    sitting_id = str(uuid.uuid4())
    now = iso(wall_clock())
    # The check-in event carries everything the row claims, so merge can re-derive the row from the chain.
    payload = check_in_payload(
        candidate_id=candidate_id,
        candidate_name=candidate_name,
        exam_id=exam_id,
        exam_title=exam_title,
        form=form,
        multiplier=multiplier,
        package_fingerprint=package_fingerprint,
        cut_score=cut_score,
        base_seconds=base_seconds,
    )
    if modes:
        payload["accessibility"] = modes  # in the chain, so the accommodation is tamper-evident
    event = make_event(GENESIS, 1, "check-in", payload, now, 0.0)
    with _writing(), transaction(conn):
        conn.execute(
            """INSERT INTO sittings (sitting_id, exam_id, exam_title, package_fingerprint, candidate_id, candidate_name,
               form_seed, form_digest, item_count, cut_score, base_seconds, multiplier, status, proctor_pin,
               created_at, chain_head, event_count, updated_at, accessibility)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'checked-in', ?, ?, ?, 1, ?, ?)""",
            (
                sitting_id,
                exam_id,
                exam_title,
                package_fingerprint,
                candidate_id,
                candidate_name,
                str(form.seed),
                form.digest,
                len(form.items),
                cut_score,
                base_seconds,
                multiplier,
                proctor_pin,
                now,
                event.hash,
                now,
                modes,
            ),
        )
        conn.executemany(
            "INSERT INTO responses (sitting_id, position, bank_id, module, item_id, option_order) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(sitting_id, i.position, i.bank, i.module, i.item_id, "".join(i.option_order)) for i in form.items],
        )
        _insert_event(conn, sitting_id, event)
        _sign(conn, signer, sitting_id, event)
    return sitting_id


def open_sittings(conn: sqlite3.Connection, exam_id: str) -> list[SittingRecord]:
    """Sittings on this terminal not yet submitted, newest first (what a proctor may resume)."""
    rows = conn.execute(
        "SELECT sitting_id FROM sittings WHERE exam_id = ? AND status != 'submitted' ORDER BY updated_at DESC",
        (exam_id,),
    ).fetchall()
    return [load_sitting(conn, row[0]) for row in rows]


def load_sitting(conn: sqlite3.Connection, sitting_id: str) -> SittingRecord:
    row = conn.execute("SELECT * FROM sittings WHERE sitting_id = ?", (sitting_id,)).fetchone()
    if row is None:
        raise StoreError(Problem("sitting", None, f"no sitting {sitting_id} in this database"))
    last = conn.execute(
        "SELECT wall_time FROM events WHERE sitting_id = ? ORDER BY seq DESC LIMIT 1", (sitting_id,)
    ).fetchone()
    modules = json.loads(row["module_scores"]) if row["module_scores"] else None
    return SittingRecord(
        sitting_id=row["sitting_id"],
        exam_id=row["exam_id"],
        package_fingerprint=row["package_fingerprint"],
        candidate_id=row["candidate_id"],
        candidate_name=row["candidate_name"],
        form_seed=int(row["form_seed"]),
        status=row["status"],
        position=row["position"],
        allowance=TimeAllowance(row["base_seconds"], row["multiplier"], row["extension_seconds"]),
        consumed=row["consumed_seconds"],
        timer_hidden=bool(row["timer_hidden"]),
        warnings_given=frozenset(int(w) for w in row["warnings_given"].split(",") if w),
        proctor_pin=row["proctor_pin"],
        last_event_time=last[0] if last else row["created_at"],
        chain_head=row["chain_head"],
        event_count=row["event_count"],
        submitted_at=row["submitted_at"],
        raw_score=row["raw_score"],
        percent=row["percent"],
        passed=None if row["passed"] is None else bool(row["passed"]),
        module_scores={int(k): (v[0], v[1]) for k, v in modules.items()} if modules else None,
        boot_id=row["boot_id"],
        boot_seconds=row["boot_seconds"],
        cut_score=int(row["cut_score"]),
        scaled_score=row["scaled_score"] if "scaled_score" in row.keys() else None,  # noqa: SIM118 (sqlite3.Row),
        accessibility=frozenset(m for m in row["accessibility"].split(",") if m),
    )


def load_responses(conn: sqlite3.Connection, sitting_id: str) -> list[ResponseState]:
    rows = conn.execute("SELECT * FROM responses WHERE sitting_id = ? ORDER BY position", (sitting_id,)).fetchall()
    return [
        ResponseState(
            r["position"],
            FormItem(r["position"], r["bank_id"], r["module"], r["item_id"], tuple(r["option_order"])),
            r["answer"],
            bool(r["flagged"]),
            frozenset(r["struck"]),
        )
        for r in rows
    ]


def load_events(conn: sqlite3.Connection, sitting_id: str) -> list[Event]:
    rows = conn.execute(
        "SELECT seq, kind, payload, wall_time, consumed_seconds, prev_hash, hash "
        "FROM events WHERE sitting_id = ? ORDER BY seq",
        (sitting_id,),
    ).fetchall()
    return [Event(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]


def verify_sitting(conn: sqlite3.Connection, sitting_id: str) -> tuple[int, str] | None:
    """The first broken event of a sitting's chain, or None when the chain holds."""
    head, count = conn.execute(
        "SELECT chain_head, event_count FROM sittings WHERE sitting_id = ?", (sitting_id,)
    ).fetchone()
    return verify_chain(load_events(conn, sitting_id), head, count)


def load_signatures(conn: sqlite3.Connection, sitting_id: str) -> dict[int, tuple[str, bytes]]:
    """seq -> (key id, signature) of a sitting's signed events."""
    rows = conn.execute("SELECT seq, key_id, signature FROM signatures WHERE sitting_id = ?", (sitting_id,))
    return {r[0]: (r[1], bytes(r[2])) for r in rows}


def _sign(conn: sqlite3.Connection, signer: HeadSigner | None, sitting_id: str, event: Event) -> bytes | None:
    """Sign the chain head in the event's own transaction, so no signed state is ever half written."""
    if signer is None or event.kind not in SIGNED_KINDS:
        return None
    signature = signer.sign(head_message(sitting_id, event.seq, event.hash))
    conn.execute(
        "INSERT INTO signatures (sitting_id, seq, key_id, signature) VALUES (?, ?, ?, ?)",
        (sitting_id, event.seq, signer.key_id, signature),
    )
    return signature


def _insert_event(conn: sqlite3.Connection, sitting_id: str, event: Event) -> None:
    conn.execute(
        "INSERT INTO events (sitting_id, seq, kind, payload, wall_time, consumed_seconds, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            sitting_id,
            event.seq,
            event.kind,
            event.payload,
            event.wall_time,
            event.consumed,
            event.prev_hash,
            event.hash,
        ),
    )


class _writing:
    """Turn SQLite's write failures into a StoreError the screen can show the proctor."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, sqlite3.Error):
            detail = str(exc)
            if "readonly" in detail or "read-only" in detail:
                hint = "the results database is read-only"
            elif "full" in detail:
                hint = "the disk is full"
            elif "locked" in detail or "busy" in detail:
                hint = "the results database is locked by another program"
            else:
                # SQLite's own words (table and column names, constraint text) mean nothing to a
                # candidate; its error name goes to the proctor, who can quote it to support.
                code = getattr(exc, "sqlite_errorname", "") or type(exc).__name__
                hint = f"the results database refused the change (code {code})"
            raise StoreError(Problem("results database", None, f"NOT SAVED: {hint}; call the proctor")) from exc
        return None


class SittingRecorder:
    """Writes one sitting's changes, each with its event and consumed time, in one transaction."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        record: SittingRecord,
        ledger: Ledger,
        wall_clock: WallClock = utc_now,
        signer: HeadSigner | None = None,
    ) -> None:
        self.conn = conn
        self.signer = signer
        self.last_signature: bytes | None = None
        self.sitting_id = record.sitting_id
        self.ledger = ledger
        self.wall_clock = wall_clock
        self.head = record.chain_head
        self.seq = record.event_count
        self.boot_id = boot_identity()

    def _commit(
        self,
        kind: str,
        payload: dict[str, Any],
        statements: Sequence[tuple[str, tuple[Any, ...]]] = (),
        during: Callable[[], None] | None = None,
    ) -> Event:
        """Write the change and its event in one transaction; ``during`` runs while it commits.

        ``during`` is the screen drawing the change (see ``transaction``). Its own error is
        raised once the change is recorded, never taken for a failed commit.
        """
        snapshot = self.ledger.snapshot()
        found = len(self.ledger.stalls)
        self.ledger.take()
        now = iso(self.wall_clock())
        # A stall the take found is logged first, in the same transaction as the change
        # that found it, so the audit trail says why a step was not charged.
        events: list[Event] = []
        head, seq = self.head, self.seq
        for stall in self.ledger.stalls[found:]:
            record = {"cause": stall.cause, "seconds": round(stall.seconds, 3), "charged": round(stall.charged, 3)}
            events.append(make_event(head, seq + 1, "stall", record, now, self.ledger.consumed))
            head, seq = events[-1].hash, events[-1].seq
        event = make_event(head, seq + 1, kind, payload, now, self.ledger.consumed)
        events.append(event)
        drawing: list[BaseException] = []

        def guarded() -> None:
            try:
                during()  # type: ignore[misc]
            except BaseException as exc:  # raised below, once the change is recorded
                drawing.append(exc)

        try:
            with _writing(), transaction(self.conn, None if during is None else guarded):
                for sql, params in statements:
                    self.conn.execute(sql, params)
                for each in events:
                    _insert_event(self.conn, self.sitting_id, each)
                signature = _sign(self.conn, self.signer, self.sitting_id, event)
                self.conn.execute(
                    """UPDATE sittings SET consumed_seconds = ?, extension_seconds = ?, chain_head = ?, event_count = ?,
                       updated_at = ?, boot_id = ?, boot_seconds = ? WHERE sitting_id = ?""",
                    (
                        self.ledger.consumed,
                        self.ledger.allowance.extension_seconds,
                        event.hash,
                        event.seq,
                        now,
                        self.boot_id,
                        self.ledger.boot(),
                        self.sitting_id,
                    ),
                )
        except BaseException:
            self.ledger.restore(snapshot)
            raise
        self.head, self.seq = event.hash, event.seq
        if signature is not None:
            self.last_signature = signature
        if drawing:
            raise drawing[0]
        return event

    def _sitting(self, assignments: str, *params: Any) -> tuple[str, tuple[Any, ...]]:
        return f"UPDATE sittings SET {assignments} WHERE sitting_id = ?", (*params, self.sitting_id)

    def _response(self, position: int, assignments: str, *params: Any) -> tuple[str, tuple[Any, ...]]:
        return f"UPDATE responses SET {assignments} WHERE sitting_id = ? AND position = ?", (
            *params,
            self.sitting_id,
            position,
        )

    def _running(self, kind: str, payload: dict[str, Any], statement: tuple[str, tuple[Any, ...]]) -> Event:
        """Start the clock with a commit that says so; if the commit fails the clock stays stopped."""
        self.ledger.start()
        try:
            return self._commit(kind, payload, [statement])
        except BaseException:
            self.ledger.paused = True
            raise

    def start(self) -> Event:
        return self._running(
            "start", {}, self._sitting("status = 'in-progress', started_at = ?", iso(self.wall_clock()))
        )

    # The candidate's own changes take ``during``: the screen draws them while they commit.

    def answer(
        self,
        position: int,
        letter: str | None,
        struck: frozenset[str] = frozenset(),
        during: Callable[[], None] | None = None,
    ) -> Event:
        letters = "".join(sorted(struck))
        return self._commit(
            "answer",
            {"position": position, "answer": letter},
            [
                self._response(
                    position, "answer = ?, struck = ?, answered_at = ?", letter, letters, iso(self.wall_clock())
                ),
                self._sitting("position = ?", position),
            ],
            during,
        )

    def flag(self, position: int, flagged: bool, during: Callable[[], None] | None = None) -> Event:
        return self._commit(
            "flag",
            {"position": position, "flagged": flagged},
            [self._response(position, "flagged = ?", int(flagged))],
            during,
        )

    def strike(self, position: int, struck: frozenset[str], during: Callable[[], None] | None = None) -> Event:
        letters = "".join(sorted(struck))
        return self._commit(
            "strike",
            {"position": position, "struck": letters},
            [self._response(position, "struck = ?", letters)],
            during,
        )

    def navigate(self, position: int, during: Callable[[], None] | None = None) -> Event:
        return self._commit("navigate", {"position": position}, [self._sitting("position = ?", position)], during)

    def heartbeat(self) -> Event:
        return self._commit("heartbeat", {})

    def warning(self, minutes: int, given: frozenset[int]) -> Event:
        listed = ",".join(str(m) for m in sorted(given))
        return self._commit("warning", {"minutes": minutes}, [self._sitting("warnings_given = ?", listed)])

    def hide_timer(self, hidden: bool) -> Event:
        return self._commit("timer", {"hidden": hidden}, [self._sitting("timer_hidden = ?", int(hidden))])

    def pause(self, reason: str) -> Event:
        event = self._commit("pause", {"reason": reason}, [self._sitting("status = 'paused'")])
        self.ledger.pause()
        return event

    def resume(self, reason: str = "") -> Event:
        return self._running("resume", {"reason": reason}, self._sitting("status = 'in-progress'"))

    def extend(self, minutes: float, reason: str) -> Event:
        snapshot = self.ledger.allowance
        self.ledger.extend(minutes * 60)
        try:
            return self._commit("extend", {"minutes": minutes, "reason": reason})
        except BaseException:
            self.ledger.allowance = snapshot
            raise

    def incident(self, note: str) -> Event:
        return self._commit("incident", {"note": note})

    def replace_pin(self, pin_hash: str, note: str) -> Event:
        """A new proctor PIN after a resume code: the hash and the incident that explains it, together."""
        return self._commit("incident", {"note": note}, [self._sitting("proctor_pin = ?", pin_hash)])

    def tool(self, name: str, action: str) -> Event:
        """The candidate used a tool (the calculator opened or closed, read-aloud asked for):
        that it happened is logged, never what was typed or computed."""
        return self._commit("tool", {"tool": name, "action": action})

    def gap(self, seconds: float | None, since: str, wall_seconds: float) -> Event:
        """Log the time the program was not running (the clock stood still meanwhile).

        ``seconds`` is measured on the boot clock, or None when the machine restarted and
        no clock of this machine spans the outage; the wall-clock difference is kept for the
        audit trail only, since the wall clock may have been changed meanwhile.
        """
        measured = None if seconds is None else round(seconds, 3)
        return self._commit("gap", {"seconds": measured, "since": since, "wall_seconds": round(wall_seconds, 3)})

    def submit(self, result: Score, reason: str) -> Event:
        modules = json.dumps({str(m): list(v) for m, v in result.by_module.items()})
        now = iso(self.wall_clock())
        payload: dict[str, Any] = {
            "reason": reason,
            "raw": result.raw,
            "percent": result.percent,
            "passed": result.passed,
            "modules": modules,
        }
        if result.scaled is not None:
            payload["scaled"] = result.scaled
        event = self._commit(
            "submit",
            payload,
            [
                self._sitting(
                    "status = 'submitted', submitted_at = ?, submit_reason = ?, "
                    "raw_score = ?, percent = ?, passed = ?, module_scores = ?, scaled_score = ?",
                    now,
                    reason,
                    result.raw,
                    result.percent,
                    int(result.passed),
                    modules,
                    result.scaled,
                )
            ],
        )
        self.ledger.pause()
        return event
