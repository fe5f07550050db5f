"""Moodle XML (the ``<quiz>`` question export), read and written.

A ``multichoice`` question with ``<single>true</single>``, exactly one answer at 100%
credit and the rest at 0% or below becomes a bank item; answers are options in file
order. General feedback and per-answer feedback become the rationale. Everything else
(true/false, short answer, essay, matching, multiple response, partial credit) is
reported and skipped. Category records name the topic hint for the items after them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # building output only; input goes through xmlsafe

from ccsoo_exam.bank import LETTERS, Bank
from ccsoo_exam.interchange.model import Cleaner, Question, Reading
from ccsoo_exam.interchange.text import html_to_text, plain_to_text
from ccsoo_exam.interchange.xmlsafe import local


def is_quiz(root: ET.Element) -> bool:
    return local(root.tag) == "quiz"


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((e for e in element if local(e.tag) == name), None)


def _rich(element: ET.Element | None) -> tuple[str, list[str]]:
    """The text of a Moodle text field (``format`` attribute, ``<text>`` child) as plain text."""
    if element is None:
        return "", []
    text_node = _child(element, "text")
    raw = (text_node.text if text_node is not None else element.text) or ""
    fmt = (element.get("format") or "html").lower()
    if fmt in {"plain_text", "markdown"}:
        return plain_to_text(raw), []
    return html_to_text(raw)


def _name(question: ET.Element) -> str:
    idnumber = _child(question, "idnumber")
    if idnumber is not None and (idnumber.text or "").strip():
        return (idnumber.text or "").strip()
    text, _ = _rich(_child(question, "name"))
    return text


def read_quiz(root: ET.Element, path: str) -> Reading:
    reading = Reading()
    category = ""
    for question in root:
        if local(question.tag) != "question":
            continue
        kind = question.get("type") or ""
        if kind == "category":
            text, _ = _rich(_child(question, "category"))
            category = text.rsplit("/", 1)[-1].replace("$course$", "").strip()
            continue
        name = _name(question)
        if kind != "multichoice":
            reading.skip(path, name, f"is a Moodle '{kind}' question; only single-answer multichoice imports")
            continue
        single = _child(question, "single")
        if single is not None and (single.text or "").strip().lower() not in {"true", "1"}:
            reading.skip(path, name, "is multiple response (<single>false</single>); the bank format has one key")
            continue
        clean = Cleaner(reading, path, name)
        answers = [a for a in question if local(a.tag) == "answer"]
        fractions = []
        for answer in answers:
            try:
                fractions.append(float(answer.get("fraction") or "0"))
            except ValueError:
                fractions.append(float("nan"))
        full = [i for i, f in enumerate(fractions) if f == 100]
        partial = [f for f in fractions if not (f == 100 or f <= 0)]
        if partial or len(full) != 1:
            why = (
                f"gives partial credit ({', '.join(f'{f:g}%' for f in partial)})"
                if partial
                else (f"has {len(full)} answers at 100% credit")
            )
            reading.skip(path, name, f"{why}; the bank format needs exactly one fully correct answer")
            continue
        options, per_answer = [], []
        for index, answer in enumerate(answers):
            text, lost = _rich(answer)
            options.append(clean(text, lost))
            said, lost = _rich(_child(answer, "feedback"))
            if said and index < len(LETTERS):
                per_answer.append(f"Option {LETTERS[index]}: {clean(said, lost)}")
        stem_text, lost = _rich(_child(question, "questiontext"))
        stem = clean(stem_text, lost)
        general, lost = _rich(_child(question, "generalfeedback"))
        feedback = "\n\n".join(t for t in [clean(general, lost), *per_answer] if t)
        clean.report()
        reading.offer(Question(path, name, stem, tuple(options), full[0], feedback, category))
    return reading


def _text_field(parent: ET.Element, tag: str, text: str, fmt: str = "plain_text") -> ET.Element:
    node = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(node, "text").text = text
    return node


def write_quiz(bank: Bank) -> bytes:
    """The bank as Moodle XML: one category named for the bank, then one multichoice per item.

    Text is written as ``plain_text`` so nothing in it is taken for HTML, in Moodle or on import.
    """
    root = ET.Element("quiz")
    category = ET.SubElement(root, "question", {"type": "category"})
    _text_field(category, "category", f"$course$/top/{bank.title}", fmt="")
    for item in bank.items:
        question = ET.SubElement(root, "question", {"type": "multichoice"})
        _text_field(question, "name", item.id, fmt="")
        _text_field(question, "questiontext", item.stem)
        _text_field(question, "generalfeedback", item.rationale)
        ET.SubElement(question, "defaultgrade").text = "1"
        ET.SubElement(question, "penalty").text = "0"
        ET.SubElement(question, "hidden").text = "0"
        ET.SubElement(question, "idnumber").text = item.id
        ET.SubElement(question, "single").text = "true"
        ET.SubElement(question, "shuffleanswers").text = "true"
        ET.SubElement(question, "answernumbering").text = "ABCD"
        for letter in item.letters:
            answer = ET.SubElement(question, "answer", {"fraction": "100" if letter == item.key else "0"})
            answer.set("format", "plain_text")
            ET.SubElement(answer, "text").text = item.options[letter]
            _text_field(answer, "feedback", "")
        tags = ET.SubElement(question, "tags")
        for label in (item.topic, item.difficulty):
            ET.SubElement(ET.SubElement(tags, "tag"), "text").text = label
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
