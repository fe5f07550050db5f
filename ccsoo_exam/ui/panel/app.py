"""The panel scoring app and the one factory that builds it for the CLI and the tests."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable

from textual.app import App

from ccsoo_exam.rubric import Rubric
from ccsoo_exam.scoresheet import utc_now
from ccsoo_exam.store import scoresheets as store
from ccsoo_exam.store.scoresheets import SealSigner
from ccsoo_exam.ui.panel.context import PanelContext
from ccsoo_exam.ui.panel.signin import SignInScreen


class PanelApp(App[None]):
    """Live rubric scoring for one panelist. ctrl+q quits; every change is already committed."""

    TITLE = "CCSOO panel scoring"
    # Panelists use their own machines and are not locked down, but the command palette
    # offers nothing they need and its key (ctrl+p) is easy to hit mid-session.
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context

    def on_mount(self) -> None:
        self.push_screen(SignInScreen(self.context))

    def on_unmount(self) -> None:
        self.context.conn.close()


def make_panel_app(
    db_path: str,
    rubric: Rubric,
    *,
    roster: Iterable[tuple[str, str]] = (),
    clock: Callable[[], float] = time.monotonic,
    wall: Callable[[], str] = utc_now,
    conn: sqlite3.Connection | None = None,
    signer: SealSigner | None = None,
) -> PanelApp:
    """Open the store (raising ``CcsooError`` before any screen if it cannot be used) and build the app.

    The roster offered is the given one (e.g. from a CSV) merged with the database's
    ``candidates`` table when the administrator's tables are present.
    """
    conn = conn or store.open_store(db_path)
    store.save_rubric(conn, rubric)
    merged = dict(store.roster(conn))
    merged.update({candidate_id: name for candidate_id, name in roster})
    context = PanelContext(conn, rubric, db_path, tuple(sorted(merged.items())), clock, wall, signer)
    return PanelApp(context)


def make_chair_app(
    db_path: str,
    rubric: Rubric,
    *,
    clock: Callable[[], float] = time.monotonic,
    wall: Callable[[], str] = utc_now,
    conn: sqlite3.Connection | None = None,
) -> App[None]:
    """Build the chair's consolidation app over a merged panel database (must exist)."""
    from ccsoo_exam.ui.panel.chair import ChairApp

    conn = conn or store.open_existing(db_path)
    context = PanelContext(conn, rubric, db_path, (), clock, wall)
    return ChairApp(context)
