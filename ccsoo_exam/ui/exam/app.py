"""The candidate's exam application: the sitting as a story from unlock to receipt.

``make_app`` builds it for the CLI and the tests alike, with the database connection,
the exam definition and both clocks injected.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from textual import work
from textual.binding import Binding
from textual.events import Resize

from ccsoo_exam.errors import CcsooError, StoreError
from ccsoo_exam.exam import ExamDefinition
from ccsoo_exam.form import assemble_form, new_seed
from ccsoo_exam.ledger import HEARTBEAT_SECONDS, STALL_SECONDS, Clock, Interruption, boot_clock, format_clock
from ccsoo_exam.pin import check_pin, hash_pin
from ccsoo_exam.store.checkin_roster import RosterEntry
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.store.sittings import SittingRecord, create_sitting, open_sittings, utc_now
from ccsoo_exam.ui.exam.checkin import CheckIn, CheckInScreen
from ccsoo_exam.ui.exam.instructions import InstructionsScreen
from ccsoo_exam.ui.exam.messages import SaveFailed, SubmitConfirmed
from ccsoo_exam.ui.exam.modals import (
    EndSittingModal,
    NoticeScreen,
    PausedScreen,
    PinModal,
    ProctorChoice,
    ProctorMenu,
)
from ccsoo_exam.ui.exam.question import QuestionScreen
from ccsoo_exam.ui.exam.receipt import ReceiptScreen
from ccsoo_exam.ui.exam.resume import ResumeScreen
from ccsoo_exam.ui.exam.unlock import Unlocked, UnlockScreen
from ccsoo_exam.ui.lockdown import LockedDownApp

if TYPE_CHECKING:  # the package module pulls in cryptography; the first screen must not wait for it
    from ccsoo_exam.package import ExamPackage

MIN_WIDTH, MIN_HEIGHT = 80, 24
PROCTOR_KEY = "ctrl+o"
# After SIGTERM or SIGHUP and the final heartbeat, the process ends within this time even if
# the terminal is gone and the screen cannot be restored: a surviving process would hold
# the database lock and refuse the relaunch.
EXIT_GRACE_SECONDS = 1.5


class ExamApp(LockedDownApp):
    TITLE = "ccsoo-exam"
    CSS_PATH = "app.tcss"
    BINDINGS = [*LockedDownApp.BINDINGS, Binding(PROCTOR_KEY, "proctor", show=False, priority=True, system=True)]

    def __init__(
        self,
        definition: ExamDefinition,
        conn: sqlite3.Connection,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Callable[[], datetime] = utc_now,
        boot: Callable[[], float | None] = boot_clock,
        stall_after: float = STALL_SECONDS,
        roster: dict[str, RosterEntry] | None = None,
        demo_key: str | None = None,
        demo_pin: str | None = None,
        database: str = "",
        timers: bool = True,
    ) -> None:
        super().__init__()
        self.definition = definition
        self.conn = conn
        self.clock = clock
        self.wall_clock = wall_clock
        self.boot = boot
        self.stall_after = stall_after
        self.roster = roster or {}
        self.demo_key = demo_key
        self.demo_pin = demo_pin
        self.database = database
        self.timers = timers  # tests drive tick() and heartbeat() themselves
        self.package: ExamPackage | None = None
        self.live: LiveSitting | None = None
        self.pin_hash: str | None = None
        self.outcome = "not started"
        self._size_notice: NoticeScreen | None = None
        self._menu_open = False
        self._started = False  # resizes before the first screen is up are checked once it is
        self._not_saved: NoticeScreen | None = None  # the NOT SAVED notice, until a save succeeds again
        self._stalls_told = 0  # stalls the candidate has been told about
        self._stalls_for_proctor: list[str] = []  # shown when the proctor next opens the menu

    # -- the story --------------------------------------------------------------------

    async def on_mount(self) -> None:
        if not self.is_headless:
            self._install_signal_handlers()
        await self.push_screen(
            UnlockScreen(self.definition, self.demo_key, self.demo_pin, self.database), self._unlocked
        )
        if self.timers:
            self.set_interval(1.0, self.tick)
            self.set_interval(HEARTBEAT_SECONDS, self.heartbeat)
        self._started = True
        self._check_size(self.size.width, self.size.height)

    def _unlocked(self, result: Unlocked | None) -> None:
        if result is None:
            return
        self.package = result.package
        waiting = open_sittings(self.conn, self.definition.exam)
        self._settle_pin(result.pin, waiting[0] if waiting else None)

    @work(thread=True, exclusive=True, group="pin")
    def _settle_pin(self, pin: str, record: SittingRecord | None) -> None:
        """Hash a new PIN, or check the PIN of the sitting to resume, off the UI thread.

        The hash is slow on purpose; on the UI thread it froze the screen the proctor waits on
        between unlock and check-in. Only the hashing runs here; the database stays on the UI thread.
        """
        if record is None:
            self.call_from_thread(self._new_sitting, hash_pin(pin))
        else:
            self.call_from_thread(self._resume_sitting, record, check_pin(pin, record.proctor_pin))

    def _new_sitting(self, pin_hash: str) -> None:
        self.pin_hash = pin_hash
        self.push_screen(CheckInScreen(self.roster), self._checked_in)

    def _resume_sitting(self, record: SittingRecord, pin_matches: bool) -> None:
        assert self.package is not None
        if not pin_matches:
            self.push_screen(UnlockScreen(self.definition, self.demo_key, self.demo_pin, self.database), self._unlocked)
            self.notify(
                "That PIN is not the PIN of the sitting in progress on this terminal.", severity="error", timeout=6
            )
            return
        if record.package_fingerprint != self.package.fingerprint:
            self.pin_hash = record.proctor_pin  # the proctor can still close the program (ctrl+o)
            self._block(
                "Wrong exam package",
                "The sitting in progress used a different exam package. Unlock the same package to resume it.",
            )
            return
        self.pin_hash = record.proctor_pin
        self.live = self._open_live(record.sitting_id)
        if record.status == "checked-in":
            self._show_instructions()
            return
        gap = self._save(lambda: self._live().log_gap(self.wall_clock()))
        self.push_screen(ResumeScreen(self._live(), gap if isinstance(gap, Interruption) else None), self._resumed)

    def _resumed(self, go: bool | None) -> None:
        live = self._live()
        if live.record.status == "paused":
            # Paused before the crash: it comes back paused; only the proctor's menu resumes it.
            self._show_questions()
            return
        if self._save(lambda: live.resume("restart after interruption")) is not False:
            self._show_questions()

    def _checked_in(self, check_in: CheckIn | None) -> None:
        if check_in is None or self.package is None or self.pin_hash is None:
            return
        definition = self.definition
        form = assemble_form(definition, self.package.banks, new_seed())
        sitting_id = self._save(
            lambda: create_sitting(
                self.conn,
                exam_id=definition.exam,
                exam_title=definition.title,
                package_fingerprint=self.package.fingerprint,  # type: ignore[union-attr]
                candidate_id=check_in.candidate_id,
                candidate_name=check_in.name,
                form=form,
                cut_score=definition.cut_score,
                base_seconds=definition.duration_minutes * 60.0,
                multiplier=check_in.multiplier,
                proctor_pin=self.pin_hash,  # type: ignore[arg-type]
                wall_clock=self.wall_clock,
            )
        )
        if sitting_id:
            self.live = self._open_live(str(sitting_id))
            self.live.checkpoint()  # the main file holds the sitting from check-in on
            self._show_instructions()

    def _show_instructions(self) -> None:
        live = self._live()
        self.push_screen(
            InstructionsScreen(
                self.definition, live.record.candidate_id, live.ledger.allowance.total, live.record.candidate_name
            ),
            self._accepted,
        )

    def _accepted(self, accepted: bool | None) -> None:
        if accepted and self._save(lambda: self._live().start()) is not False:
            self._show_questions()

    def _show_questions(self) -> None:
        self.outcome = "in progress"
        self.push_screen(QuestionScreen(self._live()))
        if self._live().record.status == "paused":
            self.push_screen(PausedScreen())

    def on_submit_confirmed(self, _: SubmitConfirmed) -> None:
        self.submit("submitted by the candidate")

    def on_save_failed(self, message: SaveFailed) -> None:
        self._save_failed(message.error)

    def submit(self, reason: str) -> None:
        live = self._live()
        if live.record.status == "submitted":
            return
        if self._save(lambda: live.submit(reason)) is False:
            return
        self.outcome = f"submitted ({reason})"
        # Time can run out under any dialog, the proctor's included: close them all.
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self._menu_open = False
        self._size_notice = None
        self.push_screen(ReceiptScreen(live))
        self._check_size(self.size.width, self.size.height)

    # -- time -------------------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: redraw the countdown, give warnings, submit at zero."""
        live = self.live
        if live is None or live.ledger.paused or live.record.status == "submitted":
            return
        remaining = live.ledger.remaining
        if remaining <= 0:
            self.submit("time expired")
            return
        for minutes in self.definition.time_warnings:
            # Warn every threshold passed (several at once after a long pause), largest first.
            if (
                remaining <= minutes * 60
                and minutes not in live.warnings_given
                and self._save(partial(live.warn, minutes)) is not False
            ):
                self.notify(f"{minutes} minutes remaining.", title="Time", timeout=10)
        screen = next((s for s in reversed(self.screen_stack) if isinstance(s, QuestionScreen)), None)
        if screen is not None:
            screen.refresh_status()
        self._tell_stalls()

    def _tell_stalls(self) -> None:
        """A stall found by the last take: the candidate is told now, the proctor at the menu."""
        live = self.live
        if live is None or len(live.ledger.stalls) <= self._stalls_told:
            return
        for stall in live.ledger.stalls[self._stalls_told :]:
            self._stalls_for_proctor.append(stall.describe())
            self.notify(
                f"The exam was interrupted: {stall.describe()}. Your answers are safe.", title="Time", timeout=10
            )
        self._stalls_told = len(live.ledger.stalls)

    def heartbeat(self) -> None:
        live = self.live
        if live is None or live.record.status == "submitted":
            return
        if self._not_saved is not None:
            self._retry_saving(live)
        elif not live.ledger.paused:
            self._save(live.heartbeat)
        self._tell_stalls()

    def _retry_saving(self, live: LiveSitting) -> None:
        """After a failed save, each heartbeat tries again; success lifts the notice and says so."""
        try:
            live.heartbeat()
        except StoreError:
            return
        notice, self._not_saved = self._not_saved, None
        if notice is not None:
            notice.lift()
        self.notify(
            "Saving works again. A change you made while it failed may not have been kept: "
            "check your last answer before you go on.",
            title="Saved",
            timeout=12,
        )

    # -- the proctor ------------------------------------------------------------------

    def action_proctor(self) -> None:
        if self.pin_hash is None or self._menu_open:
            return
        self._menu_open = True
        self.push_screen(PinModal(), self._pin_entered)

    def _pin_entered(self, pin: str | None) -> None:
        if pin is None or self.pin_hash is None:
            self._menu_open = False
            return
        if self._stalls_for_proctor and check_pin(pin, self.pin_hash):
            self.notify("; ".join(self._stalls_for_proctor) + " (logged)", title="PROCTOR: stopped time", timeout=20)
            self._stalls_for_proctor.clear()
        if not check_pin(pin, self.pin_hash):
            self._menu_open = False
            if self.live is not None:
                self._save(lambda: self._live().incident("wrong proctor PIN entered"))
            self.notify("Wrong PIN.", severity="error", timeout=4)
            return
        live = self.live
        if live is None:
            # No sitting yet (check-in, or a package mismatch): the only choice is to close.
            self.push_screen(ProctorMenu(False, True, "-", no_sitting=True), self._proctor_chose)
            return
        paused = live.ledger.paused and live.record.status != "submitted"
        self.push_screen(
            ProctorMenu(paused, live.record.status == "submitted", format_clock(live.ledger.remaining)),
            self._proctor_chose,
        )

    def _proctor_chose(self, choice: ProctorChoice | None) -> None:
        self._menu_open = False
        live = self.live
        if choice is not None and choice.action == "end" and live is None:
            self.outcome = "closed by the proctor before any sitting started"
            self.exit()
            return
        if choice is None or live is None:
            return
        if choice.action == "pause" and self._save(lambda: live.pause("proctor")) is not False:
            self.push_screen(PausedScreen())
        elif choice.action == "resume" and self._save(lambda: live.resume("proctor")) is not False:
            if isinstance(self.screen, PausedScreen):
                self.pop_screen()
        elif choice.action == "extend" and self._save(lambda: live.extend(choice.minutes, choice.text)) is not False:
            self.notify(f"The proctor added {choice.minutes:g} minutes.", title="Time", timeout=8)
        elif choice.action == "incident" and self._save(lambda: live.incident(choice.text)) is not False:
            self.notify("Incident recorded.", timeout=3)
        elif choice.action == "end":
            if live.record.status == "submitted":
                self.outcome = f"{self.outcome}; closed by the proctor"
                self.exit()  # the receipt has been shown; the proctor closes the program
                return
            self._menu_open = True
            self.push_screen(EndSittingModal(live.answered(), live.count), self._end_confirmed)

    def _end_confirmed(self, reason: str | None) -> None:
        self._menu_open = False
        live = self.live
        if reason is None or live is None:
            return
        self.submit(f"ended by the proctor: {reason}")
        if live.record.status == "submitted":
            self.outcome = "ended by the proctor"
            return  # the receipt is up; ctrl+o and the PIN close the program
        # The submission could not be written (a full disk, a failed device). The proctor must
        # still be able to close the terminal: say what is safe and leave.
        self.outcome = (
            f"closed by the proctor; the sitting could NOT be submitted ({reason}). "
            f"{live.answered()} of {live.count} answers are saved; run the same command again to resume and end it"
        )
        self.exit()

    # -- failures, size and signals -----------------------------------------------------

    def _save(self, change: Callable[[], object]) -> object:
        """Run a store change; on failure show the proctor notice and return False."""
        try:
            return change()
        except StoreError as error:
            self._save_failed(error)
            return False

    def _save_failed(self, error: StoreError) -> None:
        notice = self._block(
            "NOT SAVED - call the proctor",
            f"{error.problems[0].message}.\nYour earlier answers are safe. Raise your hand now.\n"
            "ccsoo-exam tries again every few seconds and tells you when saving works.",
        )
        if notice is not None:
            self._not_saved = notice

    def _block(self, heading: str, body: str) -> NoticeScreen | None:
        if isinstance(self.screen, NoticeScreen):
            return self.screen if self.screen is self._not_saved else None
        notice = NoticeScreen(heading, body)
        self.push_screen(notice)
        return notice

    def on_resize(self, event: Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        if not self._started:
            return
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        if small and self._size_notice is None:
            self._size_notice = NoticeScreen(
                "The terminal is too small",
                f"The exam needs at least {MIN_WIDTH}x{MIN_HEIGHT}; this one is {width}x{height}.\n"
                "Enlarge the window. Nothing is lost; call the proctor if unsure.",
            )
            self.push_screen(self._size_notice)
        elif not small and self._size_notice is not None:
            if self.screen is self._size_notice:
                self.pop_screen()
            self._size_notice = None

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(number, self._terminate, number)
        for number in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
            signal.signal(number, signal.SIG_IGN)  # the terminal's keys never stop the exam

    def _terminate(self, number: int) -> None:
        """SIGTERM/SIGHUP: commit a final heartbeat, then exit; the proctor resumes later."""
        if self.live is not None and self.live.record.status != "submitted":
            with contextlib.suppress(CcsooError):  # the database is gone; the last committed heartbeat stands
                self.live.heartbeat()
                self.live.checkpoint()
        self.outcome = f"stopped by signal {signal.Signals(number).name}"
        # With the terminal gone, restoring it can block forever; everything is committed, so
        # a hard exit after a short grace is safe, and the kernel drops the database lock.
        threading.Thread(target=_exit_after, args=(EXIT_GRACE_SECONDS,), daemon=True).start()
        self.exit()

    # -- small accessors ----------------------------------------------------------------

    def _open_live(self, sitting_id: str) -> LiveSitting:
        assert self.package is not None
        return LiveSitting(
            self.conn, self.package, sitting_id, self.clock, self.wall_clock, self.boot, self.stall_after
        )

    def _live(self) -> LiveSitting:
        assert self.live is not None, "no sitting yet"
        return self.live


def _exit_after(seconds: float) -> None:
    time.sleep(seconds)
    os._exit(0)


def make_app(definition: ExamDefinition, conn: sqlite3.Connection, **options: object) -> ExamApp:
    """The one way to build the exam app, for the CLI and the tests."""
    return ExamApp(definition, conn, **options)  # type: ignore[arg-type]
