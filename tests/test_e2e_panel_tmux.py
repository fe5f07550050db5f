"""The panel sign-in in a real terminal: a burst typed in one go lands in the right fields (tmux, 80x24).

Textual's Pilot waits for each key; a terminal does not. tmux ``send-keys`` with several
keys writes them to the pty in one go, which is how a quick typist's "name, enter, id,
enter" reaches the program. Runs on its own tmux socket so it never touches anyone's server.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.tmux, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]


def tmux(socket: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("run", range(5))
def test_sign_in_burst_in_a_real_terminal(tmp_path: Path, run: int) -> None:
    socket = f"ccsoo-panel-e2e-{os.getpid()}-{run}"
    db = tmp_path / "panel.db"
    command = f"cd {ROOT} && exec {sys.executable} -m ccsoo_exam panel --db {db}"
    tmux(socket, "new-session", "-d", "-s", "panel", "-x", "80", "-y", "24", command)
    try:
        deadline = time.monotonic() + 30
        while "Your name (panelist)" not in tmux(socket, "capture-pane", "-p", "-t", "panel").stdout:
            assert time.monotonic() < deadline, "the sign-in screen never appeared"
            time.sleep(0.1)
        tmux(socket, "send-keys", "-t", "panel", "-l", "Ann Fast")
        # One send-keys call: Enter, the id and Enter reach the pty together, faster than any person.
        tmux(socket, "send-keys", "-t", "panel", "Enter", "C", "0", "1", "Enter")
        screen = ""
        while "before you score candidate C01" not in screen:
            assert time.monotonic() < deadline, f"no sheet opened; screen was:\n{screen}"
            time.sleep(0.1)
            screen = tmux(socket, "capture-pane", "-p", "-J", "-t", "panel").stdout
        assert "Ann Fast, before you score" in screen
    finally:
        tmux(socket, "kill-server")
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT panelist, candidate_id FROM panel_sheets").fetchall()
    finally:
        conn.close()
    assert rows == [("Ann Fast", "C01")]
