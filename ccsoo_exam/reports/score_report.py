"""The candidate's score report as a one-page PDF (fpdf2).

What it says: name and id, the exam, the date, pass or not, the score when the exam
definition's policy shows scores (``show_score``; a scaled score too when a calibration set
one), a performance band per module (``reports.bands``) with a caution on short subscores,
the receipt code and how to verify it. What it never says: any item, option, key or answer.

Names in any script: the text is set in DejaVu Sans embedded from the operating system
(``fonts-dejavu-core``; ``CCSOO_REPORT_FONT`` names another TTF). Without a Unicode font the
report falls back to the PDF core font Helvetica and transliterates (accents dropped,
other characters as '?'), and the command says so on standard error.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ccsoo_exam.exam import ExamDefinition
from ccsoo_exam.reports.bands import SHORT_SUBSCORE, SittingResult, module_bands

FONT_ENV = "CCSOO_REPORT_FONT"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
)
# Scripts DejaVu Sans lacks (Chinese, Japanese, Korean, ...) come from a fallback font when one is installed.
FALLBACK_CANDIDATES = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/unifont/unifont.ttf",
)
NO_FONT_MESSAGE = (
    "score reports: no Unicode font found (install fonts-dejavu-core, or set CCSOO_REPORT_FONT to a .ttf file); "
    "names are transliterated to Latin-1 in Helvetica"
)


@dataclass(frozen=True)
class Font:
    regular: Path
    bold: Path | None
    fallbacks: tuple[Path, ...] = ()


def find_font() -> Font | None:
    """The Unicode TTF to embed: $CCSOO_REPORT_FONT, else DejaVu Sans where the OS keeps it; None if none."""
    named = os.environ.get(FONT_ENV)
    paths = [named] if named else list(FONT_CANDIDATES)
    for candidate in paths:
        path = Path(candidate)
        if path.is_file():
            bold = path.with_name(path.stem + "-Bold" + path.suffix)
            fallbacks = tuple(Path(f) for f in FALLBACK_CANDIDATES if f.endswith(".ttf") and Path(f).is_file())
            return Font(path, bold if bold.is_file() else None, fallbacks)
    return None


def file_stem(candidate_id: str) -> str:
    """A safe file name for a candidate's report (ids are validated, but a terminal database is outside data)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", candidate_id).lstrip(".")
    return stem[:80] or "candidate"


def _latin1(text: str) -> str:
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(plain or "?")
    return "".join(out)


def _clean(text: str) -> str:
    # Outside text: no control characters in the document, whatever the database holds.
    return "".join(" " if unicodedata.category(c).startswith("C") else c for c in text).strip()


def _date(moment: str) -> str:
    return moment[:10] if re.match(r"\d{4}-\d{2}-\d{2}", moment) else moment


def lines(definition: ExamDefinition, result: SittingResult) -> list[tuple[str, str]]:
    """The report as (style, text) lines: style is title, heading, big, text, small or row."""
    show = definition.show_score
    name = _clean(result.candidate_name) or "(name not recorded)"
    out: list[tuple[str, str]] = [
        ("title", "Score report"),
        ("text", _clean(result.exam_title) or definition.title),
        ("small", f"Exam {result.exam_id}"),
        ("heading", "Candidate"),
        ("row", f"Name\t{name}"),
        ("row", f"Candidate id\t{_clean(result.candidate_id)}"),
        ("row", f"Date of the exam\t{_date(result.submitted_at)}"),
        ("heading", "Result"),
        ("big", "PASS" if result.passed else "DID NOT PASS"),
    ]
    if show:
        out.append(("row", f"Raw score\t{result.raw} of {result.total} ({result.percent:.1f}%)"))
        if result.total == result.item_count:
            passing = f"{result.cut_score} of {result.item_count}"
        else:  # items dropped after a key challenge: the cut keeps its proportion
            passing = f"{result.cut_score / result.item_count:.1%} of the {result.total} items scored"
        out.append(("row", f"Passing score\t{passing}"))
        if result.scaled is not None:
            out.append(("row", f"Scaled score\t{result.scaled:g}"))
    else:
        out.append(("text", "Scores are not reported for this examination; the result above is the outcome."))
    if result.rescored:
        out.append(("small", "This result reflects a rescoring after a review of the examination's questions."))
    bands = module_bands(result)
    if bands:
        out.append(("heading", "Performance by module"))
        for b in bands:
            detail = f" ({b.correct} of {b.items})" if show else ""
            out.append(("row", f"Module {b.module}\t{b.band[0].upper()}{b.band[1:]}{detail}"))
        if any(b.short for b in bands):
            sizes = sorted({b.items for b in bands})
            few = " or ".join(str(n) for n in sizes)
            out.append(
                (
                    "small",
                    f"Caution: each module result rests on only {few} questions (fewer than {SHORT_SUBSCORE}), so it "
                    "is much less precise than the total score. 'Near the standard' means within about one standard "
                    "error of the passing standard applied to the module. Use module results as a guide to further "
                    "study; the pass or fail decision rests on the total score alone.",
                )
            )
    out += [
        ("heading", "Verification"),
        ("row", f"Receipt code\t{result.receipt_code}"),
        ("row", f"Sitting\t{result.sitting_id}"),
        (
            "small",
            f"Verify: the receipt code {result.receipt_code} shown at the end of the exam must match the one above; "
            f"the certifying body confirms this report by checking sitting {result.sitting_id} and its receipt code "
            "against its merged results (chain head "
            f"{result.chain_head[:16]}...).",
        ),
        ("small", "This report contains no examination content: no questions, options or answers."),
    ]
    return out


@dataclass(frozen=True)
class Rendered:
    data: bytes  # the PDF
    missing: str  # characters no embedded font could show (printed as '?'), for a warning


def render(definition: ExamDefinition, result: SittingResult, font: Font | None) -> Rendered:
    """The PDF of one candidate's score report."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    missing: dict[str, None] = {}
    if font is not None:
        pdf.add_font("Report", "", str(font.regular))
        pdf.add_font("Report", "B", str(font.bold or font.regular))
        covered = set(pdf.fonts["report"].cmap) & set(pdf.fonts["reportB"].cmap)
        names = []
        for n, fallback in enumerate(font.fallbacks):
            pdf.add_font(f"Fallback{n}", "", str(fallback))
            covered |= set(pdf.fonts[f"fallback{n}"].cmap)
            names.append(f"Fallback{n}")
        if names:
            pdf.set_fallback_fonts(names, exact_match=False)
        family = "Report"

        def text(value: str) -> str:
            # A glyph no font has would silently vanish; show '?' and say so instead.
            shown = []
            for char in value:
                if ord(char) in covered or char in " \t\n":
                    shown.append(char)
                else:
                    missing[char] = None
                    shown.append("?")
            return "".join(shown)
    else:
        family = "Helvetica"
        text = _latin1
    pdf.set_title(text(f"Score report: {_clean(result.candidate_id)}"))
    pdf.set_author(text(_clean(result.exam_title)))
    pdf.set_creator("ccsoo-exam")
    pdf.add_page()
    width = pdf.epw
    for style, value in lines(definition, result):
        if style == "title":
            pdf.set_font(family, "B", 20)
            pdf.cell(width, 11, text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif style == "heading":
            pdf.ln(4)
            pdf.set_font(family, "B", 13)
            pdf.cell(width, 8, text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT, border="B")
            pdf.ln(1)
        elif style == "big":
            pdf.set_font(family, "B", 18)
            pdf.cell(width, 10, text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif style == "row":
            label, content = value.split("\t", 1)
            pdf.set_font(family, "", 11)
            pdf.cell(45, 6.5, text(label))
            pdf.set_font(family, "B", 11)
            pdf.multi_cell(width - 45, 6.5, text(content), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            pdf.set_font(family, "", 9 if style == "small" else 11)
            pdf.multi_cell(width, 4.8 if style == "small" else 6, text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return Rendered(bytes(pdf.output()), "".join(missing))
