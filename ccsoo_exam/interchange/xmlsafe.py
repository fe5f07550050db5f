"""Reading XML from outside: no entity expansion, no external entities, no DTD fetched.

Parsing goes through defusedxml, under the same size cap as YAML. Every refusal is one
``path:line: what is wrong and what to do`` problem, never a traceback.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # types and ParseError only; parsing is defusedxml's

import defusedxml
import defusedxml.ElementTree as SafeET

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.safeyaml import MAX_BYTES

MAX_DEPTH = 64  # item markup is shallow; deeper is a tree built to exhaust whatever walks it


def parse(data: bytes, name: str, max_bytes: int = MAX_BYTES) -> ET.Element:
    """The root element of an XML document, or one clear problem."""
    if len(data) > max_bytes:
        raise CcsooError(
            Problem(name, None, f"file is {len(data):,} bytes, over the {max_bytes:,}-byte limit; split it")
        )
    if not data.strip():
        raise CcsooError(Problem(name, None, "file is empty; expected an XML document"))
    try:
        # No DTD at all: item files need none, and refusing it outright stops entity
        # expansion, external entities and DTD retrieval before any of them can start.
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden as exc:
        line = _line_of(data, b"<!ENTITY") or _line_of(data, b"<!DOCTYPE")
        raise CcsooError(Problem(name, line, _dtd_message(data, exc))) from None
    except defusedxml.DefusedXmlException as exc:
        raise CcsooError(Problem(name, None, f"unsafe XML refused ({exc}); remove the <!DOCTYPE> block")) from None
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        raise CcsooError(
            Problem(name, line, f"not well-formed XML ({reason}, column {column + 1}); fix the markup or re-export it")
        ) from None
    except RecursionError:
        raise CcsooError(Problem(name, None, "XML nested too deeply; this is not an item file")) from None
    _check_depth(root, name)
    return root


_ENTITY = re.compile(rb"<!ENTITY\s+(?:%\s*)?([^\s>]+)\s+(SYSTEM|PUBLIC)?")


def _dtd_message(data: bytes, exc: defusedxml.DTDForbidden) -> str:
    entities = _ENTITY.findall(data)
    external = [n for n, kind in entities if kind]
    if external:
        what = external[0].decode("utf-8", "replace")
        return (
            f"declares an external entity '{what}' (a file or URL the parser would read); "
            "refused: remove the <!DOCTYPE> block"
        )
    if entities:
        what = entities[0][0].decode("utf-8", "replace")
        return (
            f"declares an entity '{what}' (entity expansion, as in 'billion laughs'); "
            "refused: remove the <!DOCTYPE> block and write the text out"
        )
    if exc.sysid or exc.pubid:
        return "refers to an external DTD (a file or URL the parser would fetch); refused: remove the <!DOCTYPE> line"
    return "has a DTD (<!DOCTYPE>), which item files never need; refused: remove it"


def _line_of(data: bytes, marker: bytes) -> int | None:
    at = data.find(marker)
    return data.count(b"\n", 0, at) + 1 if at >= 0 else None


def _check_depth(root: ET.Element, name: str) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CcsooError(
                Problem(name, None, f"XML nested deeper than {MAX_DEPTH} levels; this is not an item file")
            )
        stack.extend((child, depth + 1) for child in element)


def local(tag: object) -> str:
    """An element's name without namespace, lowercase and without QTI 3's 'qti-' prefix and hyphens.

    QTI 2.x ``choiceInteraction`` and QTI 3.0 ``qti-choice-interaction`` both become
    ``choiceinteraction``, so one reader serves both.
    """
    if not isinstance(tag, str):
        return ""  # comments and processing instructions
    name = tag.rsplit("}", 1)[-1].lower()
    if name.startswith("qti-"):
        name = name[4:]
    return name.replace("-", "")


def attr(element: ET.Element, *names: str) -> str | None:
    """The first of these attributes present (2.x camelCase or 3.0 kebab-case)."""
    for key, value in element.attrib.items():
        bare = key.rsplit("}", 1)[-1].lower().replace("-", "")
        if bare in names:
            return value
    return None
