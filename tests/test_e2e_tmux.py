"""The real command in a real terminal (tmux, 80x24): answer, lockdown keys, kill -9, resume, SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.tmux, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]


# The tests' own tmux server: they never touch a developer's sessions, and closing it
# (kill-server) is how a test closes a terminal.
SOCKET = f"ccsoo-tests-{os.getpid()}"
DEMO_PIN = "246810"


def tmux(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=check)


class Terminal:
    def __init__(self, name: str, data: Path) -> None:
        self.name = name
        self.data = data

    def start(self, *args: str, env: str = "", under_shell: bool = False) -> None:
        command = " ".join([sys.executable, "-m", "ccsoo_exam", *args])
        # A hostile TEXTUAL_* must be ignored (TEXTUAL_PRESS=ctrl+q would quit at once).
        env = f"CCSOO_EXAM_DATA={self.data} TEXTUAL_PRESS=ctrl+q {env}"
        # tmux sends SIGCONT to a pane process that stops; under a shell the exam is not
        # tmux's own child, so a SIGSTOP really stops it, as in a VM pause.
        line = f"{env} {command}; true" if under_shell else f"{env} exec {command}"
        for _ in range(50):  # a server killed a moment ago may still be shutting down
            made = tmux("new-session", "-d", "-s", self.name, "-x", "80", "-y", "24", line)
            if made.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"tmux could not start: {made.stderr}")
        tmux("set-option", "-t", self.name, "remain-on-exit", "on", check=True)

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-J", "-t", self.name).stdout

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen was:\n{self.screen()}")

    def keys(self, *keys: str, literal: bool = False) -> None:
        for key in keys:
            tmux("send-keys", "-t", self.name, *(["-l"] if literal else []), key, check=True)
            time.sleep(0.15)  # a person's pace; Textual reads each key on its own

    def pid(self) -> int:
        return int(tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").stdout.strip())

    def exam_pid(self) -> int:
        """The exam's own process, also when it runs under a shell."""
        pane = self.pid()
        children = subprocess.run(["pgrep", "-P", str(pane)], capture_output=True, text=True).stdout.split()
        return int(children[0]) if children else pane

    def dead(self) -> bool:
        return tmux("display-message", "-p", "-t", self.name, "#{pane_dead}").stdout.strip() == "1"

    def close(self) -> None:
        tmux("kill-session", "-t", self.name)

    def unlock_demo(self) -> None:
        """The demo's key is filled in; the proctor sets the demo PIN, typed twice."""
        self.wait_for("Proctor PIN")
        self.keys(DEMO_PIN, "Enter", DEMO_PIN, "Enter")

    def check_in_and_start(self, candidate: str = "C-2026-0042", name: str = "Ann Example") -> None:
        self.unlock_demo()
        self.wait_for("check the candidate in")
        self.keys(candidate, literal=True)
        self.keys("Tab")
        self.keys(name, literal=True)
        self.keys("Enter")
        self.wait_for("confidentiality agreement")
        self.keys("Space", "Tab", "Space", "Tab", "Enter")  # identity, agreement, start
        self.wait_for("Question 1 of 80")


@pytest.fixture
def terminal(tmp_path: Path):
    made: list[Terminal] = []

    def _make(name: str) -> Terminal:
        t = Terminal(f"ccsoo-{os.getpid()}-{name}", tmp_path)
        made.append(t)
        return t

    yield _make
    for t in made:
        t.close()
    tmux("kill-server")


def db_state(path: Path) -> tuple[int, float, int]:
    conn = sqlite3.connect(path)
    try:
        answered = conn.execute("SELECT count(*) FROM responses WHERE answer IS NOT NULL").fetchone()[0]
        consumed, position = conn.execute("SELECT consumed_seconds, position FROM sittings").fetchone()
        return answered, consumed, position
    finally:
        conn.close()


def test_sitting_survives_kill_9_and_lockdown_holds(terminal, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    first = terminal("first")
    first.start("demo")
    first.check_in_and_start()

    for key in ("C-q", "C-c", "C-p", "C-z", "C-\\", "C-s", "Escape", "F2", "F12"):
        first.keys(key)
    time.sleep(0.5)
    assert not first.dead(), "a lockdown key ended the exam"
    assert "Question 1 of 80" in first.screen()

    first.keys("b", "n", "c", "n", "f", "d")
    first.wait_for("Answered 3")
    time.sleep(6)  # at least one heartbeat
    answered, consumed, position = db_state(db)
    assert (answered, position) == (3, 2)
    assert consumed >= 5

    second = terminal("second")
    second.start("demo")
    second.wait_for("another ccsoo-exam process is using this database")

    os.kill(first.pid(), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not first.dead() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert first.dead()

    again = terminal("again")
    again.start("demo")
    again.wait_for("Proctor PIN")
    again.keys("246810", "Enter")
    again.wait_for("a sitting was interrupted")
    again.keys("Enter")
    screen = again.wait_for("Question 3 of 80")
    assert "Answered 3" in screen
    assert "!" in screen.splitlines()[1], "the flag on question 3 survived"
    answered_after, consumed_after, _ = db_state(db)
    assert answered_after == 3
    assert consumed <= consumed_after <= consumed + 10, "at most one heartbeat of time is lost or added"

    os.kill(again.pid(), signal.SIGTERM)
    deadline = time.monotonic() + 10
    while not again.dead() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert again.dead(), "SIGTERM ends the program"
    conn = sqlite3.connect(db)
    last = conn.execute("SELECT kind FROM events ORDER BY seq DESC LIMIT 1").fetchone()[0]
    kinds = {r[0] for r in conn.execute("SELECT kind FROM events")}
    conn.close()
    assert last == "heartbeat", "SIGTERM commits a final heartbeat"
    assert {"gap", "resume", "answer", "flag"} <= kinds


def process_gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_stopped_time_is_charged_one_heartbeat_and_logged(terminal, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    t = terminal("stop")
    t.start("demo", under_shell=True)
    t.check_in_and_start()
    t.keys("a")
    t.wait_for("Answered 1")
    time.sleep(6)
    _, before, _ = db_state(db)
    exam = t.exam_pid()
    os.kill(exam, signal.SIGSTOP)
    time.sleep(25)  # a paused VM, a suspended laptop lid, a debugger
    os.kill(exam, signal.SIGCONT)
    time.sleep(7)  # the next heartbeat commits
    _, after, _ = db_state(db)
    assert after - before <= 7 + 5 + 2, f"stopped time was charged: {after - before:.1f} s"
    conn = sqlite3.connect(db)
    stalls = [r[0] for r in conn.execute("SELECT payload FROM events WHERE kind = 'stall'")]
    conn.close()
    assert stalls and '"cause":"stopped"' in stalls[0]
    assert "interrupted" in t.wait_for("not charged")


@pytest.mark.parametrize("moment", ["starting", "unlock", "sitting"])
def test_a_closed_terminal_ends_the_program_and_the_relaunch_works(terminal, tmp_path: Path, moment: str) -> None:
    t = terminal(f"hup-{moment}")
    t.start("demo")
    if moment == "starting":
        time.sleep(0.3)  # Python and Textual still loading
    elif moment == "unlock":
        t.wait_for("Proctor PIN")
    else:
        t.check_in_and_start()
        t.keys("b")
        t.wait_for("Answered 1")
    pid = t.pid()
    tmux("kill-server")  # the terminal closes: the process gets SIGHUP
    assert process_gone(pid, within=4), f"the exam outlived its terminal ({moment})"
    again = terminal(f"hup-{moment}-again")
    again.start("demo")
    again.wait_for("Proctor PIN")  # not "another ccsoo-exam process is using this database"
    if moment == "sitting":
        conn = sqlite3.connect(tmp_path / "demo.db")
        assert conn.execute("SELECT kind FROM events ORDER BY seq DESC LIMIT 1").fetchone()[0] == "heartbeat"
        conn.close()


def test_textual_environment_variables_cannot_take_screenshots(terminal, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    shots.mkdir()
    t = terminal("shots")
    t.start("demo", env=f"TEXTUAL_SCREENSHOT=1 TEXTUAL_SCREENSHOT_LOCATION={shots}")
    t.wait_for("Proctor PIN")
    time.sleep(2.5)
    assert list(shots.iterdir()) == [], "a TEXTUAL_SCREENSHOT variable reached Textual"
    assert not t.dead()


@pytest.mark.parametrize("between", ["Tab", "Enter"])
def test_check_in_typed_in_one_burst_lands_in_the_right_fields(terminal, between: str) -> None:
    t = terminal(f"burst-{between}")
    t.start("demo")
    t.unlock_demo()
    t.wait_for("check the candidate in")
    # One send-keys call: the keys reach the terminal together, as a fast typist's do.
    tmux("send-keys", "-t", t.name, *"C-77", between, *"Grace", "Enter", check=True)
    screen = t.wait_for("I am Grace, candidate C-77")
    assert "C-77Grace" not in screen


def test_instructions_typed_in_one_burst_start_the_sitting(terminal) -> None:
    """Space, Tab, Space, Tab, Enter in one send-keys: both boxes ticked, then Start, in order."""
    t = terminal("burst-start")
    t.start("demo")
    t.unlock_demo()
    t.wait_for("check the candidate in")
    t.keys("C-78", literal=True)
    t.keys("Tab")
    t.keys("Ada", literal=True)
    t.keys("Enter")
    t.wait_for("I am Ada, candidate C-78")
    tmux("send-keys", "-t", t.name, "Space", "Tab", "Space", "Tab", "Enter", check=True)
    t.wait_for("Question 1 of 80", timeout=10)


def test_unlock_typed_in_one_burst_reaches_check_in(terminal) -> None:
    """The PIN, Enter, the PIN again and Enter in one send-keys: each reaches its own field."""
    t = terminal("burst-unlock")
    t.start("demo")
    t.wait_for("Proctor PIN")
    time.sleep(0.5)
    tmux("send-keys", "-t", t.name, *DEMO_PIN, "Enter", *DEMO_PIN, "Enter", check=True)
    screen = t.wait_for("check the candidate in", timeout=15)
    assert "the two PINs differ" not in screen
