"""Keys typed ahead reach what they were meant for, in order.

Textual hands a key to the widget focused when the key is *dispatched*, and resolves an
ordinary binding only after the key has travelled back up to the app, against whatever
screen is current by then. A proctor or a panelist typing quickly ("n", a note, enter, down, "4") gets
ahead of both: a key meant for a box not yet open lands elsewhere, a digit in a note can
score a criterion, a key meant for the list is resolved against a modal. Check-in and the panel screens
therefore bind the keys that change focus or open and close a text box as priority
bindings, which run at dispatch, before the next key is dispatched, and wait with
``settled`` until a text box has taken in the keys already dispatched to it.
"""

from __future__ import annotations

import asyncio

from textual.widget import Widget

SETTLE_TIMEOUT = 2.0


async def settled(*widgets: Widget) -> None:
    """Wait until each widget has handled every event already queued for it."""
    loop = asyncio.get_running_loop()
    waits = []
    for widget in widgets:
        done = loop.create_future()
        # call_later queues behind what is already in the widget's queue, in order.
        if widget.call_later(done.set_result, None):
            waits.append(done)
    if waits:
        await asyncio.wait(waits, timeout=SETTLE_TIMEOUT)
