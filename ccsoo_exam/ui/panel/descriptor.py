"""The level descriptor panel: the scale for one criterion, with the browsed level's descriptor in full."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ccsoo_exam.rubric import Criterion, Rubric
from ccsoo_exam.text import literal


class LevelDescriptor(Static):
    """Shows the criterion, the scale with the chosen and browsed levels marked, and one descriptor.

    Attributes down: ``show(rubric, criterion, chosen, browsed)``. It posts nothing.
    """

    DEFAULT_CSS = """
    LevelDescriptor { padding: 0 1; }
    """

    def show(self, rubric: Rubric, criterion: Criterion | None, chosen: int | None, browsed: int | None) -> None:
        if criterion is None:
            self.update("")
            return
        text = Text()
        minimum = rubric.minimum_for(criterion)
        text.append(literal(criterion.title), style="bold")
        text.append(f"  weight {criterion.weight:g}" + (f", minimum {minimum}" if minimum is not None else ""))
        text.append("\n")
        for point in rubric.scale:
            mark = "●" if point.value == chosen else " "
            label = f"{mark}{point.value} {point.label}"
            style = "reverse" if point.value == browsed else ("bold" if point.value == chosen else "dim")
            text.append(literal(label), style=style)
            text.append(" ")
        text.append("\n")
        if browsed is not None:
            text.append(literal(f"{browsed} {rubric.label(browsed)}: "), style="bold")
            text.append(literal(criterion.descriptors[browsed]))
        else:
            text.append("Not scored. ← → read the level descriptors; a number key scores.", style="italic")
            if criterion.guidance:
                text.append("\n" + literal(criterion.guidance), style="dim")
        self.update(text)
