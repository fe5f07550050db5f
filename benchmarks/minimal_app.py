"""The baseline of bench_terminal: the least a Textual app can do on a key, in the same terminal.

A Static and a Footer; ``a`` and ``n`` update the Static's text, as the exam's answer and
next-question keys update its widgets. ``q`` quits.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static


class MinimalApp(App[None]):
    BINDINGS = [
        Binding("a", "press('answer')", "answer"),
        Binding("n", "press('next')", "next"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.presses = 0

    def compose(self) -> ComposeResult:
        yield Static("minimal app ready", id="text")
        yield Footer()

    def action_press(self, what: str) -> None:
        self.presses += 1
        self.query_one("#text", Static).update(f"{what} {self.presses}")


if __name__ == "__main__":
    MinimalApp().run()
