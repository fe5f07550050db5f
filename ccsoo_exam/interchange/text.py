"""Turning a source's markup into the plain text a bank holds, and keeping it inert.

Imported text is data for an 80x24 terminal: HTML becomes paragraphs of plain text with
entities decoded; images and media become "[image]" / "[media]" (and are reported, since
the candidate will not see them); control characters and bidirectional overrides, which
could move the cursor or reorder what the candidate reads, are stripped and reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# C0 (except newline), DEL, C1, bidi embeddings/overrides/isolates and marks, zero-width
# and BOM characters, and the Unicode line/paragraph separators.
_UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]"
)

BLOCKS = frozenset(
    [
        "p",
        "div",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "blockquote",
        "pre",
        "section",
        "article",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "hr",
        "header",
        "footer",
        "aside",
        "nav",
        "main",
        "center",
        "address",
    ]
)
IMAGES = frozenset({"img", "image", "svg", "picture"})
MEDIA = frozenset({"audio", "video", "object", "embed", "iframe", "applet", "canvas"})
FORMULAS = frozenset({"math"})
HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})
CELLS = frozenset({"td", "th"})
# A link to a sound or video file is media the candidate would have to play.
_MEDIA_LINK = re.compile(r"\.(mp3|wav|ogg|oga|m4a|aac|flac|mp4|m4v|webm|ogv|mov|avi)([?#].*)?$", re.I)
_BREAK = "\ue000"  # a <br>, held apart from newlines in the source, which are only spaces


@dataclass
class TextBuilder:
    """Collects text from start/end/data events (HTML or XML alike) into paragraphs."""

    paragraphs: list[str] = field(default_factory=list)
    buffer: list[str] = field(default_factory=list)
    images: int = 0
    media: int = 0
    formulas: int = 0
    _hidden: int = 0
    _opaque: int = 0  # inside media or a formula: its inner text is not shown

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        tag = tag.lower()
        if tag in HIDDEN:
            self._hidden += 1
        if self._hidden or self._opaque:
            if tag in MEDIA | FORMULAS | IMAGES - {"img"}:
                self._opaque += 1
            return
        if tag in BLOCKS:
            self.flush()
            if tag == "li":
                self.buffer.append("- ")
        elif tag == "br":
            self.buffer.append(_BREAK)
        elif tag in CELLS:
            self.buffer.append(" ")
        elif tag == "a" and _MEDIA_LINK.search(attrs.get("href", "")):
            self.media += 1
            self.buffer.append(" [media] ")
        elif tag in IMAGES:
            self.images += 1
            self.buffer.append(" [image] ")
            if tag != "img":
                self._opaque += 1
        elif tag in MEDIA:
            self.media += 1
            self.buffer.append(" [media] ")
            self._opaque += 1
        elif tag in FORMULAS:
            self.formulas += 1
            self.buffer.append(" [formula] ")
            self._opaque += 1

    def end(self, tag: str) -> None:
        tag = tag.lower()
        if tag in HIDDEN:
            self._hidden = max(0, self._hidden - 1)
            return
        if self._opaque:
            if tag in MEDIA | FORMULAS | IMAGES - {"img"}:
                self._opaque -= 1
            return
        if self._hidden:
            return
        if tag in BLOCKS:
            self.flush()

    def data(self, text: str) -> None:
        if not self._hidden and not self._opaque:
            self.buffer.append(text)

    def flush(self) -> None:
        lines = "".join(self.buffer).split(_BREAK)
        self.buffer = []
        text = "\n".join(" ".join(line.split()) for line in lines).strip()
        if text:
            self.paragraphs.append(text)

    def text(self) -> str:
        self.flush()
        return "\n\n".join(self.paragraphs)

    def lost(self) -> list[str]:
        """What the candidate would not see, one entry per image, media element or formula."""
        return ["image"] * self.images + ["media element"] * self.media + ["formula"] * self.formulas


class _Html(HTMLParser):
    def __init__(self, builder: TextBuilder) -> None:
        super().__init__(convert_charrefs=True)
        self.builder = builder

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.builder.start(tag, {k: v or "" for k, v in attrs})
        if tag.lower() in {"img", "br", "hr"}:
            self.builder.end(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.builder.start(tag, {k: v or "" for k, v in attrs})
        self.builder.end(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag.lower() not in {"img", "br", "hr"}:
            self.builder.end(tag)

    def handle_data(self, data: str) -> None:
        self.builder.data(data)


def html_to_text(markup: str) -> tuple[str, list[str]]:
    """Plain text of an HTML fragment, and what of it could not be shown (images, media)."""
    builder = TextBuilder()
    parser = _Html(builder)
    parser.feed(markup)
    parser.close()
    return builder.text(), builder.lost()


def plain_to_text(text: str) -> str:
    """Plain text from a plain-text source: lines kept, runs of spaces collapsed, blank lines as paragraphs."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    out = []
    for paragraph in paragraphs:
        lines = [" ".join(line.split()) for line in paragraph.split("\n")]
        joined = "\n".join(line for line in lines if line)
        if joined:
            out.append(joined)
    return "\n\n".join(out)


def make_inert(text: str) -> tuple[str, int]:
    """The text without control characters or bidi overrides, and how many were removed.

    A tab becomes a space (it is only layout); everything else unsafe is removed.
    """
    text = text.replace("\t", " ")
    cleaned, count = _UNSAFE.subn("", text)
    return cleaned, count
