"""An App with Textual's escape hatches closed, for the candidate's locked-down terminal.

Textual offers quit (ctrl+q), a quit hint (ctrl+c), a command palette (ctrl+p),
suspend (ctrl+z), text selection with OSC 52 clipboard copy, screenshots and paste.
Each is closed twice: the keys are bound at the highest priority to an action that does
nothing, and the actions themselves are overridden, so no other route reaches them.
TEXTUAL_* environment variables are removed by the CLI before Textual is imported.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding

BLOCKED_KEYS = (
    "ctrl+q",
    "ctrl+c",
    "ctrl+p",
    "ctrl+z",
    "ctrl+backslash",
    "ctrl+s",
    "ctrl+x",
    "ctrl+v",
    "ctrl+y",
    "ctrl+a",
    "ctrl+e",
    "ctrl+w",
    "ctrl+d",
    "ctrl+l",
    "ctrl+t",
    *(f"f{n}" for n in range(1, 25)),
    "super+c",
    "super+v",
    "super+q",
)


class LockedDownApp(App[None], inherit_bindings=False):
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    BINDINGS = [Binding(key, "blocked", show=False, priority=True, system=True) for key in BLOCKED_KEYS]

    def action_blocked(self) -> None:
        """Swallow a key that would otherwise leave, copy, suspend or inspect the exam."""

    async def action_quit(self) -> None:
        """Quitting is the proctor's decision, through the PIN route only."""

    def action_help_quit(self) -> None:
        pass

    def action_command_palette(self) -> None:
        pass

    def action_suspend_process(self) -> None:
        pass

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        pass

    def deliver_screenshot(self, *args: Any, **kwargs: Any) -> str | None:
        return None

    def copy_to_clipboard(self, text: str) -> None:
        pass

    def action_toggle_dark(self) -> None:
        pass

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Paste):
            event.stop()  # pasted text could carry anything; the candidate types answers, not text
            return
        await super().on_event(event)
