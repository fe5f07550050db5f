"""Progress bars: on a terminal's stderr for large inputs only; never in a pipe or a file."""

from __future__ import annotations

import io
import sys

import pytest

from ccsoo_exam.cli import main, progress
from tests.admin_data import enrolled_admin
from tests.report_data import ReportData, build


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> ReportData:
    return build(tmp_path_factory.mktemp("progress"), rescore=False)


def test_track_tells_every_item_once() -> None:
    told: list[int] = []
    assert list(progress.track(range(1234), told.append, every=500)) == list(range(1234))
    assert told == [500, 500, 234]
    assert list(progress.track("abc", None)) == ["a", "b", "c"]


@pytest.mark.parametrize(
    "argv",
    [
        ["results", "export", "--db", "{db}", "--table", "events", "--format", "json", "-o", "{out}"],
        ["results", "export", "--db", "{db}", "--table", "events", "--format", "csv", "-o", "{out}"],
        ["admin", "items", "--db", "{db}", "--exam", "{exam}", "--key-file", "{key}", "--format", "json"],
        ["admin", "merge", "{t1}", "{t2}", "--into", "{into}"],
    ],
    ids=["export-json", "export-csv", "items", "merge"],
)
def test_a_bar_on_a_terminal_and_none_in_a_pipe(data: ReportData, argv, monkeypatch, capsys) -> None:
    values = {
        "db": data.db,
        "out": str(data.folder / "out.txt"),
        "exam": data.exam,
        "key": data.key_file,
        "t1": str(data.folder / "t1.db"),
        "t2": str(data.folder / "t2.db"),
        "into": str(data.folder / "merged-again.db"),
    }
    argv = [a.format(**values) for a in argv]
    enrolled_admin(values["into"])
    # Thresholds down to 1 so that the small test data counts as large.
    for module, name in (("results", "PROGRESS_ROWS"), ("admin", "PROGRESS_SITTINGS"), ("admin", "PROGRESS_FILES")):
        monkeypatch.setattr(f"ccsoo_exam.cli.{module}.{name}", 1)
    capsys.readouterr()
    assert main(argv) == 0
    piped = capsys.readouterr().err
    assert "━" not in piped and "exporting" not in piped and "item analysis" not in piped
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(argv) == 0
    drawn = terminal.getvalue()
    label = {"results": "exporting", "admin": "merging" if "merge" in argv else "item analysis"}[argv[0]]
    assert label in drawn and "━" in drawn
