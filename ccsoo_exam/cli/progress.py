"""Progress bars on standard error for long admin commands, only when a person is watching.

A bar appears only when standard error is a terminal and the input is large enough to take
a while; piped into a file or another program, standard error carries problems and nothing
else. rich is imported only when a bar is actually drawn.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
Advance = Callable[[int], None]


def wanted(total: int, threshold: int) -> bool:
    """Whether to draw a bar: standard error is a terminal and there is enough work to watch."""
    isatty = getattr(sys.stderr, "isatty", None)
    return total >= threshold and bool(isatty and isatty())


@contextmanager
def bar(description: str, total: int, threshold: int, unit: str = "rows") -> Iterator[Advance | None]:
    """A transient rich progress bar on stderr, yielding its ``advance(n)``; None when not wanted."""
    if not wanted(total, threshold):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(file=sys.stderr)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeRemainingColumn(),
    )
    # Standard output keeps its own destination (a file stays a file); lines printed to
    # standard error while the bar runs go above it.
    redirect_stdout = bool(getattr(sys.stdout, "isatty", lambda: False)())
    with Progress(
        *columns, console=console, transient=True, redirect_stdout=redirect_stdout, redirect_stderr=True
    ) as progress:
        task = progress.add_task(description, total=total)

        def advance(n: int) -> None:
            progress.advance(task, n)

        yield advance


def track(items: Iterable[T], advance: Advance | None, every: int = 500) -> Iterator[T]:
    """Yield ``items``, telling ``advance`` every ``every`` items (and at the end)."""
    if advance is None:
        yield from items
        return
    pending = 0
    for item in items:
        yield item
        pending += 1
        if pending == every:
            advance(pending)
            pending = 0
    if pending:
        advance(pending)
