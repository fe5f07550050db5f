"""The candidate's exam application: the sitting as a story from unlock to receipt.

``make_app`` builds it for the CLI and the tests alike, with the database connection,
the exam definition and both clocks injected.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.events import DescendantFocus, Resize
from textual.notifications import SeverityLevel
from textual.widgets import Input
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from ccsoo_exam.calculator import Calculator
from ccsoo_exam.crashlog import write_crash
from ccsoo_exam.errors import CcsooError, Problem, StoreError
from ccsoo_exam.exam import ExamDefinition
from ccsoo_exam.form import new_seed, sitting_form
from ccsoo_exam.ledger import HEARTBEAT_SECONDS, STALL_SECONDS, Clock, Interruption, boot_clock, format_clock
from ccsoo_exam.pin import PinGuard, Verdict, check_pin, check_resume_code, hash_pin
from ccsoo_exam.store.checkin_roster import RosterEntry
from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.store.sittings import create_sitting, open_sittings, utc_now
from ccsoo_exam.text import literal
from ccsoo_exam.ui.exam.accessibility import (
    HIGH_CONTRAST,
    HIGH_CONTRAST_THEME,
    READ_ALOUD,
    REDUCED_MOTION,
    SCREEN_READER,
    minimum_size,
    question_screen_class,
    screen_classes,
)
from ccsoo_exam.ui.exam.calculator import CalculatorScreen
from ccsoo_exam.ui.exam.checkin import CheckIn, CheckInScreen
from ccsoo_exam.ui.exam.glyphs import apply_console_glyphs, console_safe
from ccsoo_exam.ui.exam.help import HelpScreen
from ccsoo_exam.ui.exam.instructions import InstructionsScreen
from ccsoo_exam.ui.exam.messages import SaveFailed, SubmitConfirmed
from ccsoo_exam.ui.exam.modals import (
    CrashScreen,
    EndSittingModal,
    NewPinModal,
    NoticeScreen,
    PausedScreen,
    PinModal,
    ProctorChoice,
    ProctorMenu,
)
from ccsoo_exam.ui.exam.question import QuestionScreen
from ccsoo_exam.ui.exam.receipt import ReceiptScreen
from ccsoo_exam.ui.exam.resume import ResumeScreen
from ccsoo_exam.ui.exam.review import ReviewScreen
from ccsoo_exam.ui.exam.speech import Speaker, speech_command, spoken_item
from ccsoo_exam.ui.exam.unlock import Unlocked, UnlockScreen
from ccsoo_exam.ui.lockdown import LockedDownApp

if TYPE_CHECKING:  # the package module pulls in cryptography; the first screen must not wait for it
    from ccsoo_exam.package import ExamPackage
    from ccsoo_exam.signing import Signer

MIN_WIDTH, MIN_HEIGHT = minimum_size(())
PROCTOR_KEY = "ctrl+o"
HELP_KEY = "f1"
# After SIGTERM or SIGHUP and the final heartbeat, the process ends within this time even if
# the terminal is gone and the screen cannot be restored: a surviving process would hold
# the database lock and refuse the relaunch.
EXIT_GRACE_SECONDS = 1.5
THREAD_SWITCH_SECONDS = 0.0005  # see on_mount


def _return_freed_memory() -> None:
    """Give the system back what the unlock and the form check freed (decrypting and parsing
    the banks, the solver's work): glibc keeps freed heap pages, and the sitting's peak
    resident memory is what a terminal must have free for it (DESIGN: under 120 MB)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return  # not glibc: its allocator returns memory its own way
    trim(0)


class ExamApp(LockedDownApp):
    TITLE = "ccsoo-exam"
    CSS_PATH = [
        "app.tcss",
        "question.tcss",
        "accessibility.tcss",
    ]  # loaded up front: no restyle when the question opens
    BINDINGS = [
        *(b for b in LockedDownApp.BINDINGS if b.key != HELP_KEY),
        Binding(PROCTOR_KEY, "proctor", show=False, priority=True, system=True),
        # Help over any screen; ? only where no text field takes it (F1 works everywhere).
        Binding(HELP_KEY, "help", show=False, priority=True, system=True),
        Binding("question_mark", "help", show=False, system=True),
        Binding("ctrl+k,equals_sign", "calculator", show=False, system=True),
        Binding("l", "read_aloud", show=False, system=True),
    ]

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
        terminal_key: Path | None = None,
        error_log: Path | None = None,
        speech: Sequence[str] | str | None = "auto",
        console: bool | None = None,
    ) -> None:
        super().__init__()
        if console_safe(os.environ) if console is None else console:
            apply_console_glyphs(self.css_path)
        command = speech_command() if speech == "auto" else speech
        self.speaker = Speaker(command) if command else None  # read-aloud only where an engine is installed
        self.calculator = Calculator()  # kept for the sitting, in memory only
        self.modes: frozenset[str] = frozenset()
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
        self.terminal_key = terminal_key  # loaded at unlock; without one, sittings are unsigned (tests)
        self.signer: Signer | None = None
        self.error_log = error_log
        self.crashes = 0
        self.package: ExamPackage | None = None
        # The check that the unlocked package builds forms: run while the proctor checks the
        # candidate in, and passed before any sitting is created.
        self._forms: tuple[ExamPackage, Worker[list[Problem]]] | None = None
        self.live: LiveSitting | None = None
        self.pin_hash: str | None = None
        self.outcome = "not started"
        self._size_notice: NoticeScreen | None = None
        self._menu_open = False
        self.pin_guard = PinGuard(clock)
        self._used_challenges: set[str] = set()
        self._started = False  # resizes before the first screen is up are checked once it is
        self._not_saved: NoticeScreen | None = None  # the NOT SAVED notice, until a save succeeds again
        self._stalls_told = 0  # stalls the candidate has been told about
        self._stalls_for_proctor: list[str] = []  # shown when the proctor next opens the menu

    # -- the story --------------------------------------------------------------------

    async def on_mount(self) -> None:
        self.register_theme(HIGH_CONTRAST_THEME)
        if not self.is_headless:
            self._install_signal_handlers()
            # A thread that wants Python's lock waits this long for the UI thread to let go:
            # the answer's COMMIT (ccsoo-commit) and the frame's write (Textual's writer) each
            # wait for it once per key. Python's default, 5 ms, was the whole key's budget.
            sys.setswitchinterval(THREAD_SWITCH_SECONDS)
        await self.push_screen(self._unlock_screen(), self._unlocked)
        if self.timers:
            self.set_interval(1.0, self.tick)
            self.set_interval(HEARTBEAT_SECONDS, self.heartbeat)
        self._started = True
        self._check_size(self.size.width, self.size.height)

    def _unlock_screen(self) -> UnlockScreen:
        waiting = bool(open_sittings(self.conn, self.definition.exam))
        return UnlockScreen(
            self.definition,
            self.demo_key,
            self.demo_pin,
            self.database,
            new_pin=not waiting,
            terminal_key=self.terminal_key,
        )

    def _unlocked(self, result: Unlocked | None) -> None:
        if result is None:
            return
        self.package = result.package
        self.signer = result.signer
        waiting = open_sittings(self.conn, self.definition.exam)
        if not waiting:
            self.pin_hash = hash_pin(result.pin, self.package.proctor_secret)
            self.push_screen(CheckInScreen(self.roster, read_aloud=self.speaker is not None), self._checked_in)
            # Once check-in is drawn: loading the solver in a thread must not slow its first frame.
            self.call_after_refresh(self._form_check)
            return
        record = waiting[0]
        self.pin_hash = record.proctor_pin  # the proctor can still close the program (ctrl+o)
        if record.package_fingerprint != self.package.fingerprint:
            self._block(
                "Wrong exam package",
                "The sitting in progress used a different exam package. Unlock the same package to resume it.",
            )
            return
        self.live = self._open_live(record.sitting_id)
        if check_pin(result.pin, record.proctor_pin, self.package.proctor_secret):
            self._resume_sitting()
            return
        # A mistyped or forgotten PIN must not strand the sitting: the prompt stays, with a resume code.
        self._verify_pin(result.pin)
        self._menu_open = True
        self.push_screen(
            PinModal(
                self._verify_pin,
                self._redeem_code,
                self.pin_guard.remaining_lock,
                "That is not the PIN of the interrupted sitting. Enter it (Escape: back to unlock)",
            ),
            self._resume_pin_entered,
        )

    def _resume_pin_entered(self, outcome: str | None) -> None:
        self._menu_open = False
        if outcome is None:
            self.live = None
            self.pin_hash = None
            self.push_screen(self._unlock_screen(), self._unlocked)
        elif outcome == "resume":
            self.push_screen(NewPinModal(), partial(self._new_pin_set, then=self._resume_sitting))
        else:
            self._resume_sitting()

    def _resume_sitting(self) -> None:
        record = self._live().record
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

    def _form_check(self) -> Worker[list[Problem]]:
        """The check that the unlocked package builds forms (a thread), begun once per package."""
        assert self.package is not None
        if self._forms is None or self._forms[0] is not self.package:
            worker = self.run_worker(partial(_form_problems, self.package), thread=True, group="forms")
            self._forms = (self.package, worker)
        return self._forms[1]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A package that cannot build a form is blocked as soon as that is known, during check-in.
        forms = self._forms
        if forms is None or event.worker is not forms[1] or event.state != WorkerState.SUCCESS:
            return
        if problems := forms[1].result:
            self._cannot_build_form(problems)

    def _cannot_build_form(self, problems: Sequence[Problem]) -> None:
        self._block("The exam package cannot build a form", str(problems[0].message))

    async def _forms_checked(self) -> list[Problem] | None:
        """The form check's problems, waiting for it if check-in was quicker; None when the app is closing.

        Keys typed meanwhile wait in the app's queue for the screen that follows.
        """
        worker = self._form_check()
        notice = None
        if not worker.is_finished:
            notice = NoticeScreen("Preparing the exam", "Checking that the exam package builds forms; a moment.")
            # Awaited: a notice still on its way up when the check ends would, once up, close
            # whatever screen had been pushed over it meanwhile (the instructions).
            await self.push_screen(notice)
        try:
            return await worker.wait()
        except (WorkerCancelled, WorkerFailed):
            return None  # closing, or an unexpected error already on its way to the safe screen
        finally:
            if notice is not None:
                if self.screen is notice:
                    await self.pop_screen()
                else:
                    notice.lift()  # a dialog over it (the proctor's menu): it closes when uncovered

    async def _checked_in(self, check_in: CheckIn | None) -> None:
        if check_in is None or self.package is None or self.pin_hash is None:
            return
        problems = await self._forms_checked()
        if problems is None:
            return
        if problems:
            self._cannot_build_form(problems)  # no sitting: the candidate never sees a failing form
            return
        definition = self.definition
        try:
            form, cut = sitting_form(definition, self.package.banks, new_seed())
            if definition.standard is not None:
                # An adopted Angoff standard gives every form its own cut: the sum of its items' ratings.
                cut = definition.cut_for(f"{i.bank}/{i.item_id}" for i in form.items)
        except CcsooError as error:
            self._cannot_build_form(error.problems)
            return
        sitting_id = self._save(
            lambda: create_sitting(
                self.conn,
                exam_id=definition.exam,
                exam_title=definition.title,
                package_fingerprint=self.package.fingerprint,  # type: ignore[union-attr]
                candidate_id=check_in.candidate_id,
                candidate_name=check_in.name,
                form=form,
                cut_score=cut,
                base_seconds=definition.duration_minutes * 60.0,
                multiplier=check_in.multiplier,
                proctor_pin=self.pin_hash,  # type: ignore[arg-type]
                wall_clock=self.wall_clock,
                signer=self.signer,
                accessibility=check_in.accessibility,
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
        _return_freed_memory()
        self.push_screen(question_screen_class(self.modes)(self._live()))
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
                self.notify(literal(f"{minutes} minutes remaining."), title="Time", timeout=10, markup=False)
        # A screen just pushed is not composed yet: it draws its own status when it mounts.
        screen = next((s for s in reversed(self.screen_stack) if isinstance(s, QuestionScreen)), None)
        if screen is not None and screen.is_mounted:
            screen.refresh_status()
        if isinstance(self.screen, ReviewScreen) and self.screen.is_mounted:
            self.screen.refresh_status()
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
        self.push_screen(
            PinModal(self._verify_pin, self._redeem_code, self.pin_guard.remaining_lock), self._pin_entered
        )

    def _verify_pin(self, pin: str) -> Verdict:
        """Check one PIN entry against the lock-out; every wrong one is an incident in the log."""
        secret = self.package.proctor_secret if self.package else b""
        verdict = self.pin_guard.record(self.pin_hash is not None and check_pin(pin, self.pin_hash, secret))
        if not verdict.accepted:
            lock = f"; proctor menu locked for {verdict.locked_for:.0f} s" if verdict.locked_for else ""
            self._log_incident(f"wrong proctor PIN entered ({verdict.wrong} in a row{lock})")
        return verdict

    def _redeem_code(self, challenge: str, code: str) -> Verdict:
        secret = self.package.proctor_secret if self.package else b""
        fresh = challenge not in self._used_challenges
        verdict = self.pin_guard.record(fresh and bool(secret) and check_resume_code(secret, challenge, code))
        if verdict.accepted:
            self._used_challenges.add(challenge)
            self._log_incident(f"resume code for challenge {challenge} accepted; the proctor sets a new PIN")
        else:
            lock = f"; proctor menu locked for {verdict.locked_for:.0f} s" if verdict.locked_for else ""
            self._log_incident(f"wrong resume code for challenge {challenge} ({verdict.wrong} in a row{lock})")
        return verdict

    def _log_incident(self, note: str) -> None:
        if self.live is not None and self.live.record.status != "submitted":
            self._save(lambda: self._live().incident(note))

    def _pin_entered(self, outcome: str | None) -> None:
        if outcome is None or self.pin_hash is None:
            self._menu_open = False
            return
        if outcome == "resume":
            self.push_screen(NewPinModal(), partial(self._new_pin_set, then=self._open_menu))
            return
        self._open_menu()

    def _new_pin_set(self, pin: str | None, then: Callable[[], None]) -> None:
        if pin is None:  # the code was used up; without a new PIN the old one stays
            self._menu_open = False
            if then is self._resume_sitting:
                self.push_screen(self._unlock_screen(), self._unlocked)
                self.live = None
            return
        assert self.package is not None
        pin_hash = hash_pin(pin, self.package.proctor_secret)
        if self.live is not None and self.live.record.status != "submitted":
            live = self.live
            if self._save(lambda: live.replace_pin(pin_hash, "proctor PIN replaced after a resume code")) is False:
                self._menu_open = False
                return
        self.pin_hash = pin_hash
        then()

    def _open_menu(self) -> None:
        live = self.live
        self._menu_open = True
        if self._stalls_for_proctor:  # stopped time found since the proctor last looked
            self.notify("; ".join(self._stalls_for_proctor) + " (logged)", title="PROCTOR: stopped time", timeout=20)
            self._stalls_for_proctor.clear()
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
            self.notify(
                literal(f"The proctor added {choice.minutes:g} minutes."), title="Time", timeout=8, markup=False
            )
        elif choice.action == "incident" and self._save(lambda: live.incident(choice.text)) is not False:
            self.notify(literal("Incident recorded."), timeout=3, markup=False)
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
        min_width, min_height = minimum_size(self.modes)
        small = width < min_width or height < min_height
        if small and self._size_notice is None:
            self._size_notice = NoticeScreen(
                "The terminal is too small",
                f"The exam needs at least {min_width}x{min_height}; this one is {width}x{height}.\n"
                "Enlarge the window. Nothing is lost; call the proctor if unsure.",
            )
            self.push_screen(self._size_notice)
        elif not small and self._size_notice is not None:
            if self.screen is self._size_notice:
                self.pop_screen()
            self._size_notice = None

    def _handle_exception(self, error: Exception) -> None:
        """Any unexpected error: close without a traceback, log it without content, then the safe screen.

        Textual's default prints a traceback *with local variables* on exit: the decrypted
        bank is a local somewhere, so that would put stems and keys on the candidate's
        terminal. The message loop that raised has stopped, so the app cannot go on; it
        closes at once, and ``deliver`` puts ``CrashApp`` (a fresh, locked-down app) on screen.
        """
        self.crashes += 1
        write_crash(self.error_log, error)
        self.outcome = "stopped after an internal error; the answers saved so far are kept"
        self._return_code = 3
        self._close_messages_no_wait()

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

    # -- help, tools and accessibility ---------------------------------------------------

    def action_help(self) -> None:
        """F1 or ?: every key, over whatever is showing; the same keys close it again."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        under = type(self.screen).__name__
        if isinstance(self.screen, QuestionScreen):
            under = "QuestionScreen"
        self.push_screen(
            HelpScreen(
                under,
                calculator=self.definition.calculator == "basic",
                read_aloud=READ_ALOUD in self.modes and self.speaker is not None,
                reader=SCREEN_READER in self.modes,
            )
        )

    def action_calculator(self) -> None:
        """ctrl+k or =: the calculator over the question or review, where the exam allows one."""
        if self.definition.calculator != "basic" or self.live is None:
            return
        if not isinstance(self.screen, (QuestionScreen, ReviewScreen)):
            return
        if self._save(lambda: self._live().tool("calculator", "open")) is False:
            return
        self.push_screen(CalculatorScreen(self.calculator), self._calculator_closed)

    def _calculator_closed(self, _: None) -> None:
        if self.live is not None and self.live.record.status != "submitted":
            self._save(lambda: self._live().tool("calculator", "close"))

    def action_read_aloud(self) -> None:
        """L: say the question and its options (L again stops); never blocks the screen."""
        screen = self.screen
        if READ_ALOUD not in self.modes or self.speaker is None or not isinstance(screen, QuestionScreen):
            return
        if self.speaker.speaking:
            self.speaker.stop()
            return
        live = self._live()
        state = live.current()
        item = live.item(live.position)
        options = [(shown, item.options[state.item.authored(shown)]) for shown in "ABCD"]
        self._save(lambda: live.tool("read-aloud", f"question {live.position + 1}"))
        self.speaker.say(spoken_item(live.position + 1, live.count, item.stem, options))

    def _apply_modes(self, modes: frozenset[str]) -> None:
        """Lay the exam out for the sitting's accommodations (at check-in, and again on resume)."""
        self.modes = modes
        for name in screen_classes(modes):
            self.add_class(name)
        if HIGH_CONTRAST in modes:
            self.theme = HIGH_CONTRAST_THEME.name
        if REDUCED_MOTION in modes:
            self.animation_level = "none"
        self._check_size(self.size.width, self.size.height)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        if REDUCED_MOTION in self.modes and isinstance(event.widget, Input):
            event.widget.cursor_blink = False

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """With a screen reader, a message is one line on the question screen, not a pop-up."""
        if SCREEN_READER in self.modes:
            screen = next((s for s in reversed(self.screen_stack) if hasattr(s, "announce")), None)
            if screen is not None:
                screen.announce(f"{title}: {message}" if title else message)  # type: ignore[attr-defined]
                return
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # -- small accessors ----------------------------------------------------------------

    def _open_live(self, sitting_id: str) -> LiveSitting:
        assert self.package is not None
        live = LiveSitting(
            self.conn,
            self.package,
            sitting_id,
            self.clock,
            self.wall_clock,
            self.signer,
            boot=self.boot,
            stall_after=self.stall_after,
        )
        self._apply_modes(live.record.accessibility)
        return live

    def _live(self) -> LiveSitting:
        assert self.live is not None, "no sitting yet"
        return self.live


def _form_problems(package: ExamPackage) -> list[Problem]:
    from ccsoo_exam.package import form_problems  # loaded by unlock; not at the first screen

    return form_problems(package)


def _exit_after(seconds: float) -> None:
    time.sleep(seconds)
    os._exit(0)


class CrashApp(LockedDownApp):
    """The safe screen after an internal error: nothing of the exam, only what to do. ctrl+o closes it."""

    TITLE = "ccsoo-exam"
    BINDINGS = [*LockedDownApp.BINDINGS, Binding(PROCTOR_KEY, "close", show=False, priority=True, system=True)]

    def __init__(self, log: str = "") -> None:
        super().__init__()
        self.log_path = log

    def on_mount(self) -> None:
        self.push_screen(CrashScreen(self.log_path))

    def action_close(self) -> None:
        self.exit()


def make_app(definition: ExamDefinition, conn: sqlite3.Connection, **options: object) -> ExamApp:
    """The one way to build the exam app, for the CLI and the tests."""
    return ExamApp(definition, conn, **options)  # type: ignore[arg-type]
