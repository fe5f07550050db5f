"""The candidate's help, calculator, console glyphs and accessibility in a real terminal (tmux)."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest

from tests.test_e2e_tmux import Terminal, terminal, tmux  # noqa: F401  (the fixture)

pytestmark = pytest.mark.tmux

CONSOLE_SAFE = {chr(c) for c in range(32, 127)} | set("─│┌┐└┘├┤┬┴┼")
BOX_AND_BLOCKS = re.compile("[\u2500-\u259f]")
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")
# The accommodation boxes in their check-in order: Tab from the name field reaches the
# extra-time list first, then each box (read-aloud only where espeak-ng is installed).
TABS = {"high-contrast": 2, "large-print": 3, "screen-reader": 4}


def check_in(t: Terminal, *modes: str) -> None:
    """Check in with the given accommodations ticked, accept and start."""
    t.unlock_demo()
    t.wait_for("check the candidate in")
    time.sleep(0.3)
    t.keys("C-2026-0042", literal=True)
    t.keys("Tab")
    t.keys("Ann Example", literal=True)
    at = 0
    for mode in sorted(modes, key=TABS.__getitem__):
        t.keys(*["Tab"] * (TABS[mode] - at), "Space")
        at = TABS[mode]
    t.keys("Enter")
    t.wait_for("confidentiality agreement")
    t.keys("Space", "Tab", "Space", "Tab", "Enter")


def test_help_and_calculator_on_a_linux_console_keep_to_its_font(terminal, tmp_path: Path) -> None:  # noqa: F811
    t = terminal("console")
    t.start("demo", env="TERM=linux")
    check_in(t)
    seen = {"question": t.wait_for("Question 1 of 80")}
    assert "F1 or ? all keys" in seen["question"].splitlines()[-1]
    t.keys("b")
    t.wait_for("Answered 1")
    t.keys("F1")
    seen["help"] = t.wait_for("HELP")
    assert "A B C D or 1 2 3 4" in seen["help"] and "quit" not in seen["help"].lower()
    t.keys("Escape")
    t.wait_for("Question 1 of 80")
    t.keys("C-k")
    t.wait_for("CALCULATOR")
    t.keys("12*3.5", literal=True)
    t.keys("Enter")
    seen["calculator"] = t.wait_for("42")
    t.keys("Escape", "r")
    seen["review"] = t.wait_for("REVIEW")
    assert "Time left" in seen["review"] and "[ ] UNANSWERED" in seen["review"]
    t.keys("Escape")
    screen = t.wait_for("Question 1 of 80")
    assert "(*) B." in screen, "the answer is as it was after help and the calculator"
    for name, text in seen.items():
        odd = set(text) - CONSOLE_SAFE - {"\n"}
        assert not odd, f"{name}: {sorted(odd)} are not in the Linux console font"
    conn = sqlite3.connect(tmp_path / "demo.db")
    tools = [r[0] for r in conn.execute("SELECT payload FROM events WHERE kind = 'tool'")]
    conn.close()
    assert tools == ['{"action":"open","tool":"calculator"}', '{"action":"close","tool":"calculator"}']


def test_screen_reader_mode_writes_each_change_once_as_plain_text(terminal, tmp_path: Path) -> None:  # noqa: F811
    t = terminal("reader")
    t.start("demo", env="TERM=linux")
    check_in(t, "screen-reader")
    screen = t.wait_for("Question 1 of 80.")
    assert not BOX_AND_BLOCKS.search(screen)
    stem = screen.splitlines()[1].strip()
    captured = tmp_path / "bytes"
    tmux("pipe-pane", "-t", t.name, "-o", f"cat >> {captured}", check=True)
    time.sleep(1.5)  # the screen is laid out (Textual paints a new screen in a few passes)
    settled = captured.stat().st_size if captured.exists() else 0
    t.keys("b")
    t.wait_for("your answer is B, saved")
    time.sleep(2.5)  # the clock runs; nothing is redrawn for it
    t.keys("t")
    t.wait_for("Time left")
    time.sleep(0.5)
    tmux("pipe-pane", "-t", t.name)
    written = ESCAPES.sub("\n", captured.read_bytes()[settled:].decode("utf-8"))
    lines = [line.strip() for line in written.split("\n") if line.strip()]
    assert not BOX_AND_BLOCKS.search(written), "no box drawing or blocks reach the terminal"
    assert stem not in written, "the question is not written again when the answer changes"
    assert sum("your answer is B" in line for line in lines) == 1, lines
    assert sum(line.startswith("Time left") for line in lines) == 1, lines
    assert len(lines) == 2, f"two changes, two lines: {lines}"


def test_large_print_sits_at_40x12(terminal, tmp_path: Path) -> None:  # noqa: F811
    t = terminal("large")
    t.start("demo")
    check_in(t, "large-print", "high-contrast")
    t.wait_for("Q1/80")
    tmux("resize-window", "-t", t.name, "-x", "40", "-y", "12", check=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the app lays the question out again for 40x12
        screen = t.screen()
        lines = screen.rstrip("\n").splitlines()
        if "Q1/80 Ans 0" in screen and "F1" in lines[-1]:
            break
        time.sleep(0.1)
    assert "too small" not in screen and len(lines) <= 12 and all(len(line) <= 40 for line in lines)
    assert "page 1 of" in lines[-1] or "F1" in lines[-1]
    t.keys("b")
    t.wait_for("Ans 1")
    conn = sqlite3.connect(tmp_path / "demo.db")
    assert conn.execute("SELECT accessibility FROM sittings").fetchone()[0] == "high-contrast,large-print"
    conn.close()
