"""Interchange: bring items in from QTI, Moodle XML, GIFT and Aiken, and send banks out.

``read_files`` reads any mix of QTI 2.1/2.2/3.0 items, QTI content packages (an
imsmanifest.xml, a directory holding one, or a .zip), Moodle XML, GIFT and Aiken files
into the common model (``model.Reading``); ``model.to_bank_yaml`` writes what was kept
as a bank source. ``export`` writes a bank as QTI 3.0, QTI 2.1, Moodle XML or GIFT.
Pure domain code: files are read through ``ccsoo_exam.inputs`` with the YAML size cap,
XML through defusedxml.
"""

from __future__ import annotations

import io
import os
import re
import xml.etree.ElementTree as ET  # the parsed tree's type; parsing is xmlsafe's
import zipfile
from collections.abc import Callable

from ccsoo_exam.bank import Bank
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.inputs import read_input
from ccsoo_exam.interchange import aiken, gift, moodle, qti, xmlsafe
from ccsoo_exam.interchange.model import Reading, inert
from ccsoo_exam.safeyaml import MAX_BYTES

FORMATS = ("qti3", "qti21", "moodle", "gift")
MAX_PACKAGE_BYTES = 64 * 1024 * 1024  # a zipped package; each member still obeys MAX_BYTES
MAX_PACKAGE_MEMBERS = 20_000


def read_files(paths: list[str]) -> Reading:
    """Every question the files hold, in file order, with the notes about what was skipped or changed."""
    reading = Reading()
    problems: list[Problem] = []
    for path in paths:
        try:
            reading.extend(read_file(path))
        except CcsooError as error:
            # Names inside a package (hrefs, zip members) come from the file: keep them inert.
            problems.extend(Problem(inert(p.path), p.line, inert(p.message)) for p in error.problems)
    if problems:
        raise CcsooError(problems)
    return reading


def read_file(path: str) -> Reading:
    if os.path.isdir(path):
        manifest = os.path.join(path, "imsmanifest.xml")
        if not os.path.isfile(manifest):
            raise CcsooError(Problem(path, None, "is a directory without an imsmanifest.xml; give the files instead"))
        return _read_manifest_dir(manifest)
    data = read_input(path, MAX_PACKAGE_BYTES if path.lower().endswith(".zip") else MAX_BYTES, what="file")
    if data[:4] == b"PK\x03\x04":
        return _read_zip(data, path)
    return read_bytes(data, path, lambda href: _sibling(path, href))


Opener = Callable[[str], tuple[bytes, str]]  # a package href -> (its bytes, the name to report it by)


def read_bytes(data: bytes, path: str, open_member: Opener | None = None) -> Reading:
    """One file's questions, by what it holds (XML root element, or the shape of the text)."""
    if len(data) > MAX_BYTES:
        raise CcsooError(Problem(path, None, f"file is {len(data):,} bytes, over the {MAX_BYTES:,}-byte limit"))
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        root = xmlsafe.parse(data, path)
        if qti.is_item(root):
            return qti.read_item(root, path)
        if qti.is_manifest(root):
            if open_member is None:
                raise CcsooError(Problem(path, None, "a manifest here cannot reach its item files"))
            return _read_manifest(root, path, open_member)
        if moodle.is_quiz(root):
            return moodle.read_quiz(root, path)
        name = xmlsafe.local(root.tag)
        if name in {"assessmenttest", "assessmentsection"}:
            reading = Reading()
            reading.skip(path, root.get("identifier") or "", f"is a QTI {name}; import its content package or items")
            return reading
        raise CcsooError(
            Problem(path, None, f"XML root <{name}> is not a QTI item, a content package manifest or Moodle XML <quiz>")
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CcsooError(Problem(path, line, "not UTF-8 text; save the file as UTF-8")) from None
    if "\x00" in text:
        raise CcsooError(Problem(path, None, "contains NUL bytes; this is not a text file"))
    lower = path.lower()
    if lower.endswith(".gift") or (not lower.endswith(".aiken") and not aiken.looks_like_aiken(text)):
        return gift.read_gift(text, path)
    return aiken.read_aiken(text, path)


def _sibling(path: str, href: str) -> tuple[bytes, str]:
    base = os.path.dirname(os.path.abspath(path))
    member = qti.safe_member("", href)
    if member is None:
        raise CcsooError(Problem(path, None, f"resource '{href}' points outside the package; refused"))
    target = os.path.realpath(os.path.join(base, member))
    if not target.startswith(os.path.realpath(base) + os.sep):
        raise CcsooError(Problem(path, None, f"resource '{href}' leads outside the package (a link?); refused"))
    shown = os.path.join(os.path.dirname(path), member)
    return read_input(target, MAX_BYTES, what="item file"), shown


def _read_manifest_dir(manifest: str) -> Reading:
    data = read_input(manifest, MAX_BYTES, what="manifest")
    return read_bytes(data, manifest, lambda href: _sibling(manifest, href))


def _read_manifest(root: ET.Element, path: str, open_member: Opener) -> Reading:
    reading = Reading()
    problems: list[Problem] = []
    seen: set[str] = set()
    hrefs: set[str] = set()
    for _identifier, href in qti.manifest_items(root):
        if href in hrefs:
            continue  # listed twice: read once
        hrefs.add(href)
        try:
            data, shown = open_member(href)
        except CcsooError as error:
            problems.extend(error.problems)
            continue
        if shown in seen:
            continue  # two hrefs naming one file
        seen.add(shown)
        try:
            member = read_bytes(data, shown)
        except CcsooError as error:
            problems.extend(error.problems)
            continue
        reading.extend(member)
    if problems:
        raise CcsooError(problems)
    if not seen:
        reading.skip(path, "", "lists no QTI item resources (type imsqti_item_xmlv2p1/v2p2/v3p0)")
    return reading


def _read_zip(data: bytes, path: str) -> Reading:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise CcsooError(Problem(path, None, "is not a readable zip archive; re-create the package")) from None
    if len(names) > MAX_PACKAGE_MEMBERS:
        raise CcsooError(Problem(path, None, f"holds {len(names):,} files, over {MAX_PACKAGE_MEMBERS:,}; refused"))
    manifests = sorted((n for n in names if n.rsplit("/", 1)[-1] == "imsmanifest.xml"), key=len)
    if not manifests:
        raise CcsooError(Problem(path, None, "zip has no imsmanifest.xml; it is not a QTI content package"))
    base = manifests[0].rsplit("/", 1)[0] if "/" in manifests[0] else ""
    unpacked = [0]  # bytes unpacked so far: the package as a whole obeys the zip's own cap

    def member(href: str) -> tuple[bytes, str]:
        name = qti.safe_member(base, href)
        if name is None:
            raise CcsooError(Problem(path, None, f"resource '{href}' points outside the package; refused"))
        try:
            info = archive.getinfo(name)
        except KeyError:
            raise CcsooError(Problem(f"{path}!{name}", None, "listed in the manifest but not in the zip")) from None
        if info.file_size > MAX_BYTES:
            raise CcsooError(
                Problem(
                    f"{path}!{name}", None, f"is {info.file_size:,} bytes unpacked, over the {MAX_BYTES:,}-byte limit"
                )
            )
        try:
            with archive.open(info) as handle:
                content = handle.read(MAX_BYTES + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
            raise CcsooError(Problem(f"{path}!{name}", None, f"cannot be unpacked ({exc}); refused")) from None
        if len(content) > MAX_BYTES:
            raise CcsooError(Problem(f"{path}!{name}", None, f"is over the {MAX_BYTES:,}-byte limit unpacked"))
        unpacked[0] += len(content)
        if unpacked[0] > MAX_PACKAGE_BYTES:
            raise CcsooError(
                Problem(path, None, f"unpacks to over {MAX_PACKAGE_BYTES:,} bytes; split the package or check it")
            )
        return content, f"{path}!{name}"

    manifest_data, shown = member(manifests[0].rsplit("/", 1)[-1])
    return read_bytes(manifest_data, shown, member)


def bank_source(
    reading: Reading, *, bank_id: str, module: int | None = None, title: str | None = None, origins: list[str]
) -> tuple[str, list[str]]:
    """The bank YAML for what was read, and the item ids given; checked to read back exactly."""
    from ccsoo_exam.interchange.model import MODULE_TODO, TITLE_TODO, item_ids, to_bank_yaml
    from ccsoo_exam.safeyaml import Mapping, Sequence, load_bytes

    prefix = re.sub(r"[^A-Za-z0-9]+", "-", bank_id).strip("-").upper()[:20] or "Q"
    ids = item_ids(reading.questions, prefix)
    text = to_bank_yaml(
        reading.questions,
        ids,
        bank_id=bank_id,
        module=str(module) if module is not None else MODULE_TODO,
        title=title if title else TITLE_TODO,
        origins=origins,
    )
    root = load_bytes(text.encode("utf-8"), "the import")
    assert isinstance(root, Mapping)
    items = root.get("items")
    assert isinstance(items, Sequence)
    for node, question, item_id in zip(items.items, reading.questions, ids, strict=True):
        assert isinstance(node, Mapping)
        options = node.get("options")
        assert isinstance(options, Mapping)
        read = (
            _scalar(node.get("id")),
            _scalar(node.get("stem")),
            tuple(_scalar(v) for v in options.entries.values()),
        )
        if read != (item_id, question.stem, question.options):  # pragma: no cover - a writer bug, not input
            raise CcsooError(f"internal error: item {item_id} would not read back as written; please report it")
    return text, ids


def _scalar(node: object) -> str:
    from ccsoo_exam.safeyaml import Scalar

    return node.value if isinstance(node, Scalar) else ""


def export(bank: Bank, fmt: str) -> dict[str, bytes]:
    """The files of a bank in an interchange format, by path relative to the output.

    ``moodle`` and ``gift`` give one file (path ""); ``qti3`` and ``qti21`` give a content
    package: imsmanifest.xml and items/ID.xml.
    """
    if fmt == "moodle":
        return {"": moodle.write_quiz(bank)}
    if fmt == "gift":
        return {"": gift.write_gift(bank)}
    if fmt in {"qti3", "qti21"}:
        files = {"imsmanifest.xml": qti.write_manifest(bank, fmt)}
        for index in range(len(bank.items)):
            files[qti.item_href(bank, index)] = qti.write_item(bank, index, fmt)
        return files
    raise CcsooError(f"unknown export format '{fmt}'; use one of {', '.join(FORMATS)}")


def zip_package(files: dict[str, bytes]) -> bytes:
    """A content package as one zip, manifest first."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files, key=lambda n: (n != "imsmanifest.xml", n)):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), files[name])
    return buffer.getvalue()


__all__ = ["FORMATS", "Reading", "bank_source", "export", "read_files", "zip_package"]
