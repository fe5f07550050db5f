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


class Terminal:
    def __init__(self, name: str, data: Path) -> None:
        self.name = name
        self.data = data

    def start(self, *args: str) -> None:
        command = " ".join([sys.executable, "-m", "ccsoo_exam", *args])
        env = f"CCSOO_EXAM_DATA={self.data} TEXTUAL_PRESS=ctrl+q"  # a hostile TEXTUAL_* must be ignored
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24", f"{env} exec {command}"], check=True
        )
        subprocess.run(["tmux", "set-option", "-t", self.name, "remain-on-exit", "on"], check=True)

    def screen(self) -> str:
        result = subprocess.run(["tmux", "capture-pane", "-p", "-J", "-t", self.name], capture_output=True, text=True)
        return result.stdout

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
            subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), key], check=True)
            time.sleep(0.15)  # a person's pace; Textual reads each key on its own

    def pid(self) -> int:
        out = subprocess.run(
            ["tmux", "display-message", "-p", "-t", self.name, "#{pane_pid}"], capture_output=True, text=True
        )
        return int(out.stdout.strip())

    def dead(self) -> bool:
        out = subprocess.run(
            ["tmux", "display-message", "-p", "-t", self.name, "#{pane_dead}"], capture_output=True, text=True
        )
        return out.stdout.strip() == "1"

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


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
    first.wait_for("Proctor PIN")
    first.keys("246810", "Enter", "246810", "Enter")
    first.wait_for("check the candidate in")
    first.keys("C-2026-0042", literal=True)
    first.keys("Enter")
    first.wait_for("confidentiality agreement")
    first.keys("Space", "Tab", "Enter")
    first.wait_for("Question 1 of 80")

    for key in ("C-q", "C-c", "C-p", "C-z", "C-\\", "C-s", "Escape", "F1", "F12"):
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
