"""A widget drawn line by line, whose base style is worked out once per style change.

``Widget.rich_style`` walks every ancestor to blend backgrounds: about a quarter of a
millisecond each time. A line-drawn widget needs it for every line it composes and every
line it hands the compositor, so asked afresh it cost more than the rest of a keypress.
The style changes only when the stylesheet is applied again (a theme, a class on the app),
and Textual says so through ``notify_style_update``; until then the value is kept.
"""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget


class LineWidget(Widget):
    _base: Style | None = None

    @property
    def base_style(self) -> Style:
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None
