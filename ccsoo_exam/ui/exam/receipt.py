"""The receipt: what was submitted and a code tied to the sitting's event chain."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from ccsoo_exam.store.live import LiveSitting
from ccsoo_exam.text import literal


def receipt_text(live: LiveSitting) -> str:
    record = live.record
    lines = [
        live.definition.title,
        "",
        f"Candidate        {record.candidate_id} {record.candidate_name}".rstrip(),
        f"Submitted at     {(record.submitted_at or '')[:19].replace('T', ' ')} UTC",
        f"Answered         {live.answered()} of {live.count}",
        f"Receipt code     {live.receipt_code()}",
    ]
    if live.definition.show_score and record.raw_score is not None:
        verdict = "PASS" if record.passed else "NOT PASSED"
        scaled = f"  scaled {record.scaled_score}" if record.scaled_score is not None else ""
        lines.append(f"Score            {record.raw_score} of {live.count} ({record.percent:.1f}%){scaled}  {verdict}")
        lines.append(f"Pass mark        {record.cut_score} of {live.count}")
        if record.module_scores:
            lines.append("By module        " + "  ".join(f"M{m} {c}/{n}" for m, (c, n) in record.module_scores.items()))
        lines.append("(Provisional: the certifying body confirms results after review.)")
    return "\n".join(lines)


class ReceiptScreen(Screen[None]):
    CSS_PATH = "receipt.tcss"

    def __init__(self, live: LiveSitting) -> None:
        super().__init__()
        self.live = live

    def compose(self) -> ComposeResult:
        with Vertical(id="panel"):
            yield Static("Your exam has been submitted", id="title")
            yield Static(literal(receipt_text(self.live)), id="receipt", markup=False)
            yield Static(
                "Write down your receipt code. Please stay seated: the proctor will end the session.", id="hint"
            )
