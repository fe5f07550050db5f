"""The criteria of one phase as a scrolling list: level, label, title and note count per row.

Number keys score the highlighted criterion, left/right browse its level descriptors and
enter scores the browsed level. The list posts what happened (``LevelChosen``,
``LevelBrowsed``, ``CriterionHighlighted``); it never writes anything itself.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ccsoo_exam.rubric import HIGHEST_LEVEL, LOWEST_LEVEL, Criterion, Rubric
from ccsoo_exam.scoresheet import Scoresheet
from ccsoo_exam.text import literal_line
from ccsoo_exam.ui.panel.messages import CriterionHighlighted, LevelBrowsed, LevelChosen, Said


class CriterionList(OptionList):
    """Rows for ``criteria``; ``browsed`` keeps each criterion's level cursor (view state only)."""

    # Priority bindings, OptionList's own keys included: each key is resolved as it is
    # dispatched, so keys typed ahead of a screen change are applied in order (typeahead.py).
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"choose({n})", show=False, priority=True) for n in range(LOWEST_LEVEL, HIGHEST_LEVEL + 1)),
        Binding("left", "browse(-1)", "Lower level", show=False, priority=True),
        Binding("right", "browse(1)", "Higher level", show=False, priority=True),
        Binding("down", "cursor_down", "Down", show=False, priority=True),
        Binding("up", "cursor_up", "Up", show=False, priority=True),
        Binding("home", "first", "First", show=False, priority=True),
        Binding("end", "last", "Last", show=False, priority=True),
        Binding("pagedown", "page_down", "Page Down", show=False, priority=True),
        Binding("pageup", "page_up", "Page Up", show=False, priority=True),
        Binding("enter", "select", "Select", show=False, priority=True),
    ]

    def __init__(self, rubric: Rubric, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.rubric = rubric
        self.criteria: tuple[Criterion, ...] = ()
        self.browsed: dict[str, int | None] = {}

    def show(self, criteria: tuple[Criterion, ...], sheet: Scoresheet) -> None:
        """Redraw for these criteria and this sheet, keeping the highlight where it was."""
        same = criteria == self.criteria
        keep = self.highlighted if same else 0
        self.criteria = criteria
        for criterion in criteria:
            # Start each criterion's cursor on its chosen level, so its descriptor is on screen.
            if criterion.id not in self.browsed or sheet.levels.get(criterion.id) is not None:
                self.browsed[criterion.id] = sheet.levels.get(criterion.id)
        rows = [Option(self._row(c, sheet), id=c.id) for c in criteria]
        if same and self.option_count == len(rows):
            for index, row in enumerate(rows):
                self.replace_option_prompt_at_index(index, row.prompt)
        else:
            self.set_options(rows)
        if criteria:
            self.highlighted = keep if keep is not None and keep < len(criteria) else 0

    def _row(self, criterion: Criterion, sheet: Scoresheet) -> Text:
        level = sheet.levels.get(criterion.id)
        text = Text(no_wrap=True, overflow="ellipsis")
        if level is None:
            text.append(f" -  {'not scored':<12}  ", style="dim")
        else:
            text.append(literal_line(f" {level}  {self.rubric.label(level):<12}  "), style="bold")
        text.append(literal_line(criterion.title))
        notes = len(sheet.notes_for(criterion.id))
        if notes:
            text.append(f"  ✎{notes}", style="italic")
        return text

    @property
    def current(self) -> Criterion | None:
        if self.highlighted is None or not self.criteria:
            return None
        return self.criteria[self.highlighted]

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_id is not None:
            self.post_message(CriterionHighlighted(event.option_id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        criterion = self.current
        if criterion is not None and self.browsed.get(criterion.id) is not None:
            self.post_message(LevelChosen(criterion.id, self.browsed[criterion.id]))  # type: ignore[arg-type]

    def action_choose(self, level: int) -> None:
        criterion = self.current
        if criterion is None:
            return
        if not self.rubric.lowest <= level <= self.rubric.highest:
            self.post_message(Said(f"Levels run {self.rubric.lowest}-{self.rubric.highest}.", "warning"))
            return
        self.browsed[criterion.id] = level
        self.post_message(LevelChosen(criterion.id, level))

    def action_browse(self, step: int) -> None:
        criterion = self.current
        if criterion is None:
            return
        level = self.browsed.get(criterion.id)
        if level is None:
            level = self.rubric.lowest if step > 0 else self.rubric.highest
        else:
            level = min(self.rubric.highest, max(self.rubric.lowest, level + step))
        self.browsed[criterion.id] = level
        self.post_message(LevelBrowsed(criterion.id, level))
