"""IMS QTI: items (2.1, 2.2 and 3.0), content packages (imsmanifest.xml), and export.

A QTI item becomes a bank item when it holds exactly one choice interaction, single
cardinality, one correct response and 3 to 5 simple choices. The item body outside the
interaction (and the interaction's prompt) is the stem; modal feedback and inline
feedback become the rationale. Export writes one item file per bank item and a content
package manifest listing them.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET  # building output only; input goes through xmlsafe
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ccsoo_exam.bank import LETTERS, Bank
from ccsoo_exam.interchange.model import Cleaner, Question, Reading
from ccsoo_exam.interchange.text import TextBuilder
from ccsoo_exam.interchange.xmlsafe import attr, local

NS = {
    "qti21": "http://www.imsglobal.org/xsd/imsqti_v2p1",
    "qti22": "http://www.imsglobal.org/xsd/imsqti_v2p2",
    "qti3": "http://www.imsglobal.org/xsd/imsqtiasi_v3p0",
}
SCHEMA = {
    "qti21": "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd",
    "qti3": "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd",
}
MANIFEST_NS = {
    "qti21": "http://www.imsglobal.org/xsd/imscp_v1p1",
    "qti3": "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1",
}
MANIFEST_SCHEMA = {
    "qti21": "http://www.imsglobal.org/xsd/imscp_v1p1.xsd",
    "qti3": "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd",
}
RESOURCE_TYPE = {"qti21": "imsqti_item_xmlv2p1", "qti3": "imsqti_item_xmlv3p0"}
XSI = "http://www.w3.org/2001/XMLSchema-instance"
# Everything in an item body that is not part of the question's text.
_NOT_STEM = frozenset({"feedbackblock", "feedbackinline", "rubricblock", "templateblock", "templateinline"})
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def is_item(root: ET.Element) -> bool:
    return local(root.tag) == "assessmentitem"


def is_manifest(root: ET.Element) -> bool:
    return local(root.tag) == "manifest"


def manifest_items(root: ET.Element) -> Iterator[tuple[str, str]]:
    """(identifier, href) of each QTI item resource in a content package manifest."""
    for element in root.iter():
        if local(element.tag) != "resource":
            continue
        kind = (element.get("type") or "").lower()
        href = element.get("href")
        if kind.startswith("imsqti_item_xml") and href:
            yield element.get("identifier") or href, href


def safe_member(base: str, href: str) -> str | None:
    """The package path an href names, or None when it would leave the package (.., absolute, URL)."""
    if "://" in href or href.startswith(("/", "\\")) or "\\" in href:
        return None
    joined = posixpath.normpath(posixpath.join(base, href))
    if joined.startswith("../") or joined == ".." or posixpath.isabs(joined):
        return None
    return joined


def read_item(root: ET.Element, path: str) -> Reading:
    """One QTI assessment item as a question, or a note saying why it was skipped."""
    reading = Reading()
    identifier = root.get("identifier") or ""
    if identifier == item_id_for_xml(root.get("title") or "") and identifier != root.get("title"):
        identifier = root.get("title") or identifier  # our export's prefix for an id that is not an NCName
    body = next((e for e in root if local(e.tag) == "itembody"), None)
    if body is None:
        reading.skip(path, identifier, "has no item body")
        return reading
    interactions = [e for e in body.iter() if local(e.tag).endswith("interaction")]
    kinds = sorted({local(e.tag) for e in interactions})
    if len(interactions) != 1 or kinds != ["choiceinteraction"]:
        what = ", ".join(kinds) if kinds else "no interaction"
        reading.skip(
            path, identifier, f"has {len(interactions)} interaction(s) ({what}); only one choice interaction imports"
        )
        return reading
    interaction = interactions[0]
    response_id = attr(interaction, "responseidentifier") or "RESPONSE"
    declaration = next(
        (e for e in root if local(e.tag) == "responsedeclaration" and e.get("identifier") == response_id), None
    )
    cardinality = attr(declaration, "cardinality") if declaration is not None else None
    max_choices = attr(interaction, "maxchoices") or "1"
    if cardinality not in (None, "single") or max_choices != "1":
        reading.skip(path, identifier, f"is multiple response (maxChoices {max_choices}); the bank format has one key")
        return reading
    correct = []
    if declaration is not None:
        for element in declaration:
            if local(element.tag) == "correctresponse":
                correct = [(v.text or "").strip() for v in element if local(v.tag) == "value"]
    if len(correct) != 1:
        reading.skip(path, identifier, f"declares {len(correct)} correct responses; exactly one is needed")
        return reading
    clean = Cleaner(reading, path, identifier)
    choices = [e for e in interaction.iter() if local(e.tag) == "simplechoice"]
    choice_ids = [c.get("identifier") or "" for c in choices]
    if correct[0] not in choice_ids:
        reading.skip(path, identifier, f"its correct response '{correct[0]}' is not one of its choices")
        return reading
    options, feedback = [], []
    for index, choice in enumerate(choices):
        text, lost = _text(choice, skip=lambda e: local(e.tag) == "feedbackinline")
        options.append(clean(text, lost))
        for inline in choice.iter():
            if local(inline.tag) == "feedbackinline":
                said, lost = _text(inline)
                if said and index < len(LETTERS):
                    feedback.append(f"Option {LETTERS[index]}: {clean(said, lost)}")
    stem_text, lost = _text(body, skip=lambda e: local(e.tag) in _NOT_STEM or e is interaction)
    prompt = next((e for e in interaction if local(e.tag) == "prompt"), None)
    parts = [stem_text] if stem_text else []
    if prompt is not None:
        prompt_text, prompt_lost = _text(prompt)
        lost = [*lost, *prompt_lost]
        if prompt_text:
            parts.append(prompt_text)
    stem = clean("\n\n".join(parts), lost)
    general = []
    for element in root:
        if local(element.tag) == "modalfeedback":
            said, lost = _text(element)
            if said:
                general.append(clean(said, lost))
    for element in body.iter():
        if local(element.tag) == "feedbackblock":
            said, lost = _text(element)
            if said:
                general.append(clean(said, lost))
    clean.report()
    reading.offer(
        Question(
            path,
            identifier,
            stem,
            tuple(options),
            choice_ids.index(correct[0]),
            "\n\n".join([*general, *feedback]),
            root.get("title") or "",
        )
    )
    return reading


def _text(element: ET.Element, skip: Callable[[ET.Element], bool] = lambda e: False) -> tuple[str, list[str]]:
    builder = TextBuilder()

    def walk(node: ET.Element, top: bool) -> None:
        name = local(node.tag)
        if not top:
            if skip(node) or not name:
                if node.tail:
                    builder.data(node.tail)
                return
            builder.start(name, {k.rsplit("}", 1)[-1]: v for k, v in node.attrib.items()})
        if node.text:
            builder.data(node.text)
        for child in node:
            walk(child, False)
        if not top:
            builder.end(name)
            if node.tail:
                builder.data(node.tail)

    walk(element, True)  # depth is bounded by xmlsafe's check
    return builder.text(), builder.lost()


@dataclass(frozen=True)
class _Names:
    """Element and attribute names in one QTI version's spelling."""

    v3: bool

    def __call__(self, camel: str) -> str:
        if not self.v3:
            return camel
        return "qti-" + re.sub(r"(?<!^)([A-Z])", r"-\1", camel).lower()

    def a(self, camel: str) -> str:
        return re.sub(r"(?<!^)([A-Z])", r"-\1", camel).lower() if self.v3 else camel


def item_id_for_xml(item_id: str) -> str:
    """An item id as a QTI identifier (an XML NCName): ids that start with a digit get an 'I' in front."""
    return item_id if _NCNAME.fullmatch(item_id) else f"I{item_id}"


def write_item(bank: Bank, item_index: int, version: str) -> bytes:
    """One bank item as a QTI 2.1 or 3.0 assessment item document."""
    item = bank.items[item_index]
    n = _Names(version == "qti3")
    ns = NS[version]
    ET.register_namespace("", ns)
    ET.register_namespace("xsi", XSI)

    def el(parent: ET.Element | None, camel: str, text: str | None = None, **attrs: str) -> ET.Element:
        tag = f"{{{ns}}}{n(camel) if camel[0].islower() and camel not in _HTML else camel}"
        fixed = {n.a(k): v for k, v in attrs.items()}
        node = ET.Element(tag, fixed) if parent is None else ET.SubElement(parent, tag, fixed)
        if text is not None:
            node.text = text
        return node

    root = el(
        None,
        "assessmentItem",
        identifier=item_id_for_xml(item.id),
        title=item.id,
        adaptive="false",
        timeDependent="false",
    )
    root.set(f"{{{XSI}}}schemaLocation", f"{ns} {SCHEMA[version]}")
    declaration = el(root, "responseDeclaration", identifier="RESPONSE", cardinality="single", baseType="identifier")
    el(el(declaration, "correctResponse"), "value", item.key)
    score = el(root, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float")
    el(el(score, "defaultValue"), "value", "0")
    el(root, "outcomeDeclaration", identifier="FEEDBACK", cardinality="single", baseType="identifier")
    body = el(root, "itemBody")
    _paragraphs(body, item.stem, lambda parent, tag: el(parent, tag))
    interaction = el(body, "choiceInteraction", responseIdentifier="RESPONSE", shuffle="false", maxChoices="1")
    for letter in item.letters:
        el(interaction, "simpleChoice", item.options[letter], identifier=letter)
    processing = el(root, "responseProcessing")
    condition = el(processing, "responseCondition")
    branch = el(condition, "responseIf")
    match = el(branch, "match")
    el(match, "variable", identifier="RESPONSE")
    el(match, "correct", identifier="RESPONSE")
    el(el(branch, "setOutcomeValue", identifier="SCORE"), "baseValue", "1", baseType="float")
    el(el(processing, "setOutcomeValue", identifier="FEEDBACK"), "baseValue", "RATIONALE", baseType="identifier")
    feedback = el(root, "modalFeedback", outcomeIdentifier="FEEDBACK", identifier="RATIONALE", showHide="show")
    holder = el(feedback, "contentBody") if n.v3 else feedback
    _paragraphs(holder, item.rationale, lambda parent, tag: el(parent, tag))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


_HTML = frozenset({"p", "br"})


def _paragraphs(parent: ET.Element, text: str, make: Callable[[ET.Element, str], ET.Element]) -> None:
    """Text as <p> per paragraph and <br/> per line break, which the import turns back into the same text."""
    for paragraph in text.split("\n\n"):
        p = make(parent, "p")
        lines = paragraph.split("\n")
        p.text = lines[0]
        for line in lines[1:]:
            br = make(p, "br")
            br.tail = line


def item_href(bank: Bank, index: int) -> str:
    return f"items/{item_id_for_xml(bank.items[index].id)}.xml"


def write_manifest(bank: Bank, version: str) -> bytes:
    """A content package manifest listing every item file of the export."""
    ns = MANIFEST_NS[version]
    ET.register_namespace("", ns)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(f"{{{ns}}}manifest", {"identifier": item_id_for_xml(f"MANIFEST-{bank.id}")})
    root.set(f"{{{XSI}}}schemaLocation", f"{ns} {MANIFEST_SCHEMA[version]}")
    metadata = ET.SubElement(root, f"{{{ns}}}metadata")
    ET.SubElement(metadata, f"{{{ns}}}schema").text = "QTI Package" if version == "qti3" else "QTIv2.1 Package"
    ET.SubElement(metadata, f"{{{ns}}}schemaversion").text = "3.0.0" if version == "qti3" else "1.0.0"
    ET.SubElement(root, f"{{{ns}}}organizations")
    resources = ET.SubElement(root, f"{{{ns}}}resources")
    for index, item in enumerate(bank.items):
        href = item_href(bank, index)
        resource = ET.SubElement(
            resources,
            f"{{{ns}}}resource",
            {"identifier": f"RES-{item_id_for_xml(item.id)}", "type": RESOURCE_TYPE[version], "href": href},
        )
        ET.SubElement(resource, f"{{{ns}}}file", {"href": href})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
