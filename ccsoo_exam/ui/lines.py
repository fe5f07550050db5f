"""A widget drawn line by line: its base style worked out once per style change, and its
lines handed to the compositor finished.

``Widget.rich_style`` walks every ancestor to blend backgrounds: about a quarter of a
millisecond each time. A line-drawn widget needs it for every line it composes and every
line it hands the compositor, so asked afresh it cost more than the rest of a keypress.
The style changes only when the stylesheet is applied again (a theme, a class on the app),
and Textual says so through ``notify_style_update``; until then the value is kept.

Textual's own step from a widget's lines to the compositor's (``Widget.render_lines``)
pads each repainted line, fills in its background and turns its colours into the
terminal's, afresh each time a line is repainted: on a move to another question, most of
the frame's cost. A line widget returns the same Strip object for a line that has not
changed, so the finished line is kept against that object, and a line drawn before (or
prepared while the candidate reads) costs a look-up. A style not drawn here (a border, an
outline, padding above or below, a tint or an opacity) takes Textual's own step.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


@dataclass(frozen=True)
class Finish:
    """A content line into the line the terminal gets, as Textual's styles step makes it:
    the padding either side in the background colour, then the app's line filters."""

    left: int
    right: int
    inner: Style
    filters: tuple
    background: Color

    def finish(self, line: Strip) -> Strip:
        segments = list(line)
        if self.left:
            segments.insert(0, Segment(" " * self.left, self.inner))
        if self.right:
            segments.append(Segment(" " * self.right, self.inner))
        strip = Strip(segments, line.cell_length + self.left + self.right)
        for line_filter in self.filters:
            strip = strip.apply_filter(line_filter, self.background)
        return strip


class LineWidget(Widget):
    FINISHED_KEPT = 32  # finished lines kept per widget: for the body, the next question prepared and an answer's rows
    _base: Style | None = None
    _finish_for: tuple[tuple, Finish | None] | None = None
    _finished: dict[int, tuple[Strip, Strip]]  # id(line) -> (line, finished): set with each context

    @property
    def base_style(self) -> Style:
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None

    def render_lines(self, crop: Region) -> list[Strip]:
        finish = self.finish_context()
        if finish is None:
            self._styles_cache.clear()  # it holds nothing drawn since it was last used
            return super().render_lines(crop)
        strips = [self.finished(self.render_line(y), finish) for y in crop.line_range]
        if crop.column_span != (0, self.outer_size.width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def finish_context(self) -> Finish | None:
        """What finishing a line needs, worked out once per style; None for a style not drawn here."""
        key = (self.base_style, tuple(self.app.get_line_filters()))
        if self._finish_for is not None and self._finish_for[0] == key:
            return self._finish_for[1]
        styles = self.styles
        top, right, bottom, left = styles.padding
        plain = (
            top == bottom == 0
            and not any(edge for edge, _ in styles.border)
            and not any(edge for edge, _ in styles.outline)
            and not styles.tint.a
            and styles.text_opacity == 1.0
            and self.opacity == 1.0
            and not (styles.has_rule("hatch") and styles.hatch != "none")
            and self._border_title is None
            and self._border_subtitle is None
        )
        context = None
        if plain:
            base_background, background = self.background_colors
            inner = Style(bgcolor=(base_background + background).rich_color)
            context = Finish(left, right, inner, key[1], background)
        self._finished = {}
        self._finish_for = (key, context)
        return context

    def finished(self, line: Strip, finish: Finish | None = None) -> Strip:
        """``line`` as the terminal gets it, kept against the line object."""
        finish = finish or self.finish_context()
        if finish is None:
            return line
        kept = self._finished
        found = kept.get(id(line))
        if found is not None and found[0] is line:
            return found[1]
        strip = finish.finish(line)
        if len(kept) >= self.FINISHED_KEPT:
            kept.pop(next(iter(kept)))
        kept[id(line)] = (line, strip)  # the line is kept too, so its id is not reused
        return strip
