"""The rating app and the one factory that builds it for the CLI and the tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from textual.app import App

from ccsoo_exam.exam import ExamDefinition
from ccsoo_exam.scoresheet import utc_now
from ccsoo_exam.store import standard as store
from ccsoo_exam.ui.standard.context import RatingContext
from ccsoo_exam.ui.standard.screens import UnlockScreen


class RatingApp(App[None]):
    """Angoff ratings for one judge. ctrl+q quits; every saved rating is already committed."""

    TITLE = "CCSOO standard setting"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, context: RatingContext) -> None:
        super().__init__()
        self.context = context

    def on_mount(self) -> None:
        self.push_screen(UnlockScreen(self.context))

    def on_unmount(self) -> None:
        self.context.conn.close()


def _open_package(definition: ExamDefinition, key: str) -> object:
    from ccsoo_exam.package import open_banks
    from ccsoo_exam.vault import check_exam_key

    return open_banks(definition, check_exam_key(key, "the exam key"))


def make_app(
    definition: ExamDefinition,
    db_path: str,
    round_: int = 1,
    *,
    wall: Callable[[], str] = utc_now,
    conn: sqlite3.Connection | None = None,
    open_package: Callable[[ExamDefinition, str], object] = _open_package,
) -> RatingApp:
    """Open the ratings store (raising ``CcsooError`` before any screen if it cannot be used) and build the app."""
    conn = conn or store.open_ratings(db_path)
    return RatingApp(RatingContext(conn, definition, db_path, round_, wall, open_package))
