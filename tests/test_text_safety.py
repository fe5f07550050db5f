"""Outside text is data: refused where it enters, and shown literally on every display path.

Each hostile sample is a real attack: CSI 2J wipes the screen, OSC 52 writes the terminal's
clipboard, BEL rings, NUL and zero-width characters hide text, the C1 CSI byte is an escape
on some terminals, a bidi override makes a name read backwards, and Rich markup turns a
name into a live link. Display tests assert on the characters that reach the terminal.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from pathlib import Path
from types import MappingProxyType

import pytest
from textual.widgets import Input

from ccsoo_exam.cli import main
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.exam import load_exam
from ccsoo_exam.package import ExamPackage
from ccsoo_exam.roster import parse_roster
from ccsoo_exam.rubric import rubric_from_bytes
from ccsoo_exam.store import scoresheets
from ccsoo_exam.store.checkin_roster import RosterEntry
from ccsoo_exam.text import literal, text_problem
from ccsoo_exam.ui.exam.app import make_app
from ccsoo_exam.ui.exam.question import QuestionScreen
from ccsoo_exam.ui.exam.unlock import Unlocked
from tests.conftest import ROOT, bank_yaml
from tests.exam_fixtures import PIN, FakeClock, FakeWallClock, forms_checked, open_db, sample_package
from tests.test_rubric import MINI

# name -> (the characters, the same written as a YAML double-quoted escape)
HOSTILE = {
    "CSI clear screen": ("\x1b[2J", "\\e[2J"),
    "OSC 52 clipboard write": ("\x1b]52;c;SGVsbG8=\x07", "\\e]52;c;SGVsbG8=\\a"),
    "BEL": ("\x07", "\\a"),
    "NUL": ("\x00", "\\0"),
    "C1 CSI": ("\x9b2J", "\\x9b2J"),
    "bidi override": ("\u202e", "\\u202e"),
    "zero-width space": ("\u200b", "\\u200b"),
}
MARKUP = "[/] [link=https://evil.example]click[/link] [bold red]X[/]"
KINDS = list(HOSTILE)


def assert_terminal_safe(output: str, *, marker: bool = True) -> None:
    """Nothing but the program's own CSI sequences may reach the terminal."""
    ours = re.sub(r"\x1b\[[0-9;:?<=>]*[A-Za-z]", "", output)  # Textual's SGR and cursor moves
    for char in ("\x1b", "\x07", "\x00", "\x9b", "\x9d", "\u202e", "\u200b"):
        assert char not in ours, f"{char!r} reached the terminal"
    assert "\x1b[2J" not in output and "\x1b]" not in output
    if marker:
        assert "<U+" in output, "the hostile text should be visible as <U+XXXX>"


def terminal_output(app) -> str:
    """The exact characters Textual would write for the current screen."""
    return app.screen._compositor.render_full_update().render_segments(app.console)


# -- refused where it enters -------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_bank_text_with_control_characters_is_refused_at_its_line(kind: str, write, capsys) -> None:
    lines = bank_yaml(count=2).splitlines()
    stem_line = next(n for n, line in enumerate(lines) if "stem:" in line)
    lines[stem_line] = f'    stem: "Which response {HOSTILE[kind][1]} serves best?"'
    path = write("m1.yaml", "\n".join(lines) + "\n")
    assert main(["bank", "validate", path]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:{stem_line + 1}: this text contains U+")
    assert "remove it" in err
    assert_terminal_safe(err, marker=False)


def test_lint_refuses_too(write, capsys) -> None:
    path = write("m1.yaml", bank_yaml(count=2).replace("title: Sample module", 'title: "Sample \\e]52;c;QQ==\\a"'))
    assert main(["bank", "lint", path]) == 2
    assert "U+001B ESC" in capsys.readouterr().err


def test_a_control_character_inside_a_block_scalar_is_reported_at_its_own_line(write) -> None:
    text = bank_yaml(count=1).replace(
        "    rationale: >-\n", "    rationale: >-\n      first line\n\n      \u202eoops\n"
    )
    with pytest.raises(CcsooError) as info:
        load_bank_from(write("m.yaml", text))
    (problem,) = info.value.problems
    assert "U+202E" in problem.message
    assert text.splitlines()[problem.line - 1].strip() == "\u202eoops"


def load_bank_from(path: str):
    from ccsoo_exam.bank import load_bank

    return load_bank(path)


@pytest.mark.parametrize("kind", KINDS)
def test_exam_definition_and_rubric_refuse_control_characters(kind: str, tmp_path: Path) -> None:
    exam = (ROOT / "question_banks" / "exam.yaml").read_text()
    hostile = exam.replace("title: Certified", f'title: "{HOSTILE[kind][1]}Certified', 1).replace(
        "Written Examination\n", 'Written Examination"\n', 1
    )
    (tmp_path / "exam.yaml").write_text(hostile)
    with pytest.raises(CcsooError, match=r"exam.yaml:4: this text contains U\+"):
        load_exam(str(tmp_path / "exam.yaml"))
    rubric = MINI.replace("title:", f'title: "x{HOSTILE[kind][1]}"\nold_title:', 1)
    with pytest.raises(CcsooError, match=r"r.yaml:\d+: this text contains U\+"):
        rubric_from_bytes(rubric.encode(), "r.yaml")


@pytest.mark.parametrize("kind", KINDS)
def test_roster_rows_with_control_characters_are_refused(kind: str) -> None:
    csv = (
        "candidate_id,name,degree,years_senior_management,route,accommodations\n"
        "C-1,Ada Lovelace,MBA,12,exam,\n"
        f"C-2,Grace {HOSTILE[kind][0]}Hopper,MBA,12,exam,\n"
    )
    with pytest.raises(CcsooError) as info:
        parse_roster(csv, "roster.csv")
    assert str(info.value).startswith("roster.csv:3: name contains U+")
    assert_terminal_safe(str(info.value), marker=False)


def test_markup_is_text_not_a_problem() -> None:
    assert text_problem(MARKUP) is None  # brackets are fine as text; display keeps them literal


async def test_typed_input_refuses_control_and_format_characters(tmp_path: Path) -> None:
    app = make_app(
        sample_package().definition,
        open_db(tmp_path / "r.db"),
        clock=FakeClock(),
        wall_clock=FakeWallClock(),
        timers=False,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        app._unlocked(Unlocked(sample_package(), PIN))
        await pilot.pause()
        name = app.screen.query_one("#name", Input)
        name.focus()
        await pilot.press(*"Ada")
        for chars, _ in HOSTILE.values():
            name.insert_text_at_cursor(chars)  # what a paste or an odd key would insert
        await pilot.press(*"Lee")
        assert name.value == "AdaLee"


# -- shown literally wherever it is displayed ----------------------------------------------


def hostile_package() -> ExamPackage:
    """The sample package with every stem, option and module title carrying every attack (past validation)."""
    package = sample_package()
    attack = "".join(chars for chars, _ in HOSTILE.values()) + MARKUP
    banks = {}
    for bank_id, bank in package.banks.items():
        items = tuple(
            dataclasses.replace(
                item,
                stem=f"{item.stem} {attack}",
                options=MappingProxyType({k: f"{v} {attack}" for k, v in item.options.items()}),
            )
            for item in bank.items
        )
        changed = dataclasses.replace(bank, title=f"{bank.title}{HOSTILE['OSC 52 clipboard write'][0]}", items=items)
        changed.__dict__.pop("_by_id", None)
        banks[bank_id] = changed
    return dataclasses.replace(package, banks=banks)


async def test_question_screen_shows_bank_text_literally(tmp_path: Path) -> None:
    package = hostile_package()
    roster = {"C-9": RosterEntry("C-9", f"Eve {HOSTILE['OSC 52 clipboard write'][0]}{MARKUP}", 1.0, "exam", "")}
    app = make_app(
        package.definition,
        open_db(tmp_path / "r.db"),
        clock=FakeClock(),
        wall_clock=FakeWallClock(),
        timers=False,
        roster=roster,
    )
    async with app.run_test(size=(120, 60)) as pilot:
        app._unlocked(Unlocked(package, PIN))
        await forms_checked(app)
        await pilot.pause()
        app.screen.query_one("#candidate", Input).value = "C-9"
        await pilot.pause()
        assert_terminal_safe(terminal_output(app))  # the roster name at check-in
        app.screen.query_one("#continue").press()
        await pilot.pause()
        app.screen.query_one("#accept").value = True
        app.screen.query_one("#identity").value = True
        await pilot.pause()
        app.screen.query_one("#start").press()
        await pilot.pause()
        assert isinstance(app.screen, QuestionScreen)
        await pilot.press("b", "x")  # answered and struck options redraw with other styles
        output = terminal_output(app)
        assert_terminal_safe(output)
        plain = re.sub(r"\x1b\[[0-9;:?<=>]*[A-Za-z]", "", output)
        assert "[link=https://evil.example]click[/link]" in plain, "markup must be shown as written"
        assert "<U+001B>]52;c;SGVsbG8=<U+0007>" in plain


def test_cli_roster_show_prints_names_as_written(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "admin.db")
    csv = tmp_path / "roster.csv"
    csv.write_text("candidate_id,name,degree,years_senior_management,route\nC-1,Ada,MBA,12,exam\nC-2,Bo,MBA,12,exam\n")
    assert main(["admin", "roster", "import", str(csv), "--db", db]) == 0
    capsys.readouterr()
    conn = sqlite3.connect(db)  # an old or hand-edited database: the text got past the door
    with conn:
        conn.execute("UPDATE candidates SET name = ? WHERE candidate_id = 'C-1'", ("[/]",))
        conn.execute(
            "UPDATE candidates SET name = ? WHERE candidate_id = 'C-2'",
            ("".join(c for c, _ in HOSTILE.values()) + MARKUP,),
        )
    conn.close()
    assert main(["admin", "roster", "show", "--db", db]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.err == ""
    assert "[/]" in captured.out and "[link=https://evil.example]click[/link]" in captured.out
    assert "\x1b" not in captured.out  # not even colour: nothing needs an escape
    assert_terminal_safe(captured.out)


def test_panel_report_prints_a_panelist_name_literally(tmp_path: Path, capsys) -> None:
    rubric = rubric_from_bytes(MINI.encode(), "mini.yaml")
    db = str(tmp_path / "panel.db")
    conn = scoresheets.open_store(db)
    osc52 = HOSTILE["OSC 52 clipboard write"][0]
    with pytest.raises(CcsooError, match="control characters"):  # refused where it is typed in
        scoresheets.open_sheet(conn, rubric, "C-2", f"Ann{osc52}", "t0")
    sheet = scoresheets.open_sheet(conn, rubric, "C-1", "Ann", "t0")
    scoresheets.declare_conflict(conn, rubric, sheet.sheet_id, False, "", "t0")
    scoresheets.set_level(conn, rubric, sheet.sheet_id, "a", 3, "t1")
    scoresheets.set_level(conn, rubric, sheet.sheet_id, "b", 3, "t2")
    scoresheets.seal(conn, rubric, sheet.sheet_id, "t3")
    # A database edited behind the program's back: the report still shows the name as text.
    conn.execute("UPDATE panel_sheets SET panelist = ?", (f"Ann{osc52}",))
    conn.close()
    assert main(["panel", "report", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Ann<U+001B>]52;c;SGVsbG8=<U+0007>" in out
    assert_terminal_safe(out)


def test_literal_keeps_newlines_and_ordinary_text() -> None:
    assert literal("Line one\n\tLine two — ünïcode") == "Line one\n\tLine two — ünïcode"
    assert literal("a\x1bb\u202ec") == "a<U+001B>b<U+202E>c"


async def test_panel_screens_show_rubric_text_and_names_literally(tmp_path: Path) -> None:
    """A rubric and a roster that got past validation (an old database): the panel shows them as text."""
    from ccsoo_exam.rubric import load_rubric
    from tests.test_panel_ui import new_app, start_scoring

    rubric = load_rubric(ROOT / "rubrics" / "executive-presentation.yaml")
    attack = "".join(chars for chars, _ in HOSTILE.values()) + MARKUP
    criteria = tuple(
        dataclasses.replace(
            c,
            title=f"{c.title} {attack}",
            guidance=f"{c.guidance} {attack}",
            descriptors=MappingProxyType({k: f"{v} {attack}" for k, v in c.descriptors.items()}),
        )
        for c in rubric.criteria
    )
    phases = tuple(dataclasses.replace(p, title=f"{p.title} {attack}") for p in rubric.phases)
    hostile = dataclasses.replace(rubric, title=f"{rubric.title} {attack}", criteria=criteria, phases=phases)
    app = new_app(tmp_path / "panel.db", hostile, roster=(("C-001", f"Eve {attack}"),))
    async with app.run_test(size=(120, 50)) as pilot:
        assert_terminal_safe(terminal_output(app))  # sign-in: rubric title and roster names
        await start_scoring(pilot)
        await pilot.press("3", "right")
        output = terminal_output(app)
        assert_terminal_safe(output)
        assert "[link=https://evil.example]click[/link]" in re.sub(r"\x1b\[[0-9;:?<=>]*[A-Za-z]", "", output)
