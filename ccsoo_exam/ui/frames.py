"""One key, one frame, drawn now: the widgets a key changed reach the terminal together, at once.

Textual repaints a widget when the widget's own task next goes idle: it then reports itself
to its screen by a message, and the screen, once idle too, wakes its update timer, which
draws what has been reported. That path cost a key twice over:

- When a key changes three widgets, their tasks go idle at different moments, so on a busy
  machine the question arrived in one frame and the navigator and status bar in the next,
  16 to 35 ms later: the candidate saw the screen change twice and waited for the second.
- The update timer keeps a 60-a-second grid: a key within about two grid steps of the last
  frame (the clock's tick, say) waited for the grid, up to 33 ms, and every key paid the
  messages and the timer's wake-up (about 1 ms on the exam's hardware).

``one_frame`` draws the key's widgets in one compositor pass before the key's handler
returns, the pass the update timer would have made. It does so only when that pass is all
there is to do: the screen is on top, nothing is batched, and no widget or the screen waits
for a layout, a scroll or new styles. Otherwise it hands each widget to Textual's own idle
step, as before, and the frame comes on the timer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.screen import Screen
from textual.widget import Widget


def _waits_for_layout(node: Widget | Screen) -> bool:
    return bool(
        node._layout_required or node._scroll_required or node._refresh_styles_required or node._recompose_required
    )


def render_frame(screen: Screen, widgets: Iterable[Widget]) -> Callable[[], None]:
    """Render the frame of the widgets' changes now; return what writes it to the terminal.

    The question screen renders while the change commits and writes once it has returned.
    A frame that is never written changes nothing on the terminal: the widgets are drawn
    again, and the compositor sends their regions afresh.
    """
    widgets = list(widgets)
    app = screen.app
    direct = (
        app.screen is screen
        and not app._batch_count
        and not app.is_inline
        and not app.is_headless
        and not screen._repaint_required
        and not _waits_for_layout(screen)
        and not any(_waits_for_layout(widget) for widget in widgets)
    )
    if not direct:
        for widget in widgets:
            # Textual's own idle step (Widget._check_refresh), taken now rather than later.
            if widget._repaint_required or widget._layout_required:
                widget._check_refresh()
        return nothing_to_write
    dirty = {widget for widget in widgets if widget._repaint_required}
    for widget in dirty:
        widget._repaint_required = False  # drawn here: its idle step has nothing left to report
    screen._dirty_widgets.update(widget for widget in dirty if widget.display)
    if not screen._dirty_widgets:
        return nothing_to_write
    # The update timer's own pass (Screen._on_timer_update and _compositor_refresh, without
    # a layout), in two halves.
    screen._compositor.update_widgets(screen._dirty_widgets)
    update = screen._compositor.render_update(screen_stack=app._background_screens)
    screen._dirty_widgets.clear()

    def write() -> None:
        app._display(screen, update)
        app._update_mouse_over(screen)

    return write


def one_frame(screen: Screen, widgets: Iterable[Widget]) -> None:
    render_frame(screen, widgets)()


def nothing_to_write() -> None:
    """The writer of a frame that Textual's own repaint will write (or of no change at all)."""
    return None
