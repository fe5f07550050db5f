"""One key, one frame: the widgets a key changed reach the terminal in the same compositor pass.

Textual repaints a widget when the widget's own task next goes idle: it then reports itself
to its screen, and the screen draws what has been reported on its next frame. When a key
changes three widgets, their tasks go idle at different moments, so on a busy machine the
question arrived in one frame and the navigator and status bar in the next, 16 to 35 ms
later: the candidate saw the screen change twice and waited for the second. ``one_frame``
does at once, for each widget given, what its idle handler would do (and clears the
widget's flag, so the idle handler does not report it a second time), so the screen gets
every change before it draws.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.widget import Widget


def one_frame(widgets: Iterable[Widget]) -> None:
    for widget in widgets:
        # Textual's own idle step (Widget._check_refresh), taken now rather than later.
        if widget._repaint_required or widget._layout_required:
            widget._check_refresh()
