"""Interchange: import from QTI, Moodle XML, GIFT and Aiken; export to QTI 3.0/2.1, Moodle XML, GIFT.

The round trips run on the real sample banks; the imports run on fixtures written after
the published examples of each system (tests/data/interchange/README.md) and, where a copy
of the oat-sa/qti-sdk test suite is on the machine, on the IMS example files themselves.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import zipfile
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ccsoo_exam.bank import Bank, load_bank
from ccsoo_exam.cli import main
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.interchange import FORMATS, bank_source, export, read_bytes, read_files, zip_package
from ccsoo_exam.interchange.text import html_to_text
from ccsoo_exam.safeyaml import MAX_BYTES
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "interchange"
SAMPLE_BANKS = sorted((ROOT / "question_banks" / "source").glob("module*.yaml"))
QTI_SDK = Path(os.environ.get("CCSOO_QTI_SDK", "/work/.mirror/oat-sa+qti-sdk/repo"))


def _read_export(files: dict[str, bytes], fmt: str):
    if fmt in {"qti3", "qti21"}:
        return read_bytes(files["imsmanifest.xml"], "imsmanifest.xml", lambda href: (files[href], href))
    return read_bytes(files[""], "out.gift" if fmt == "gift" else "out.xml")


def _as_authored(bank: Bank) -> list[tuple[str, str, tuple[str, ...], str, str]]:
    return [(i.id, i.stem, tuple(i.options[x] for x in i.letters), i.key, i.rationale) for i in bank.items]


MIXED_BANK = """\
bank: mixed
module: 2
title: Mixed
items:
  - id: "3opt"
    stem: "Three?"
    options: {A: "one", B: "two", C: "three"}
    key: "C"
    rationale: "C. Option A is wrong. Option B is wrong."
    topic: "t"
    difficulty: "easy"
    source: "s"
  - id: "X5"
    stem: "Five? {curly} ~tilde = equals # hash: colon \\\\ backslash"
    options: {A: "a <b>", B: "b & c", C: "c", D: "d", E: "e ]]> end"}
    key: "E"
    rationale: "Two paragraphs.\\n\\nSecond one."
    topic: "t"
    difficulty: "easy"
    source: "s"
"""


def _fill_placeholders(text: str, bank: Bank) -> str:
    """What an author does after import: write topic, difficulty and source (here: the originals)."""
    by_id = {item.id: item for item in bank.items}
    out, current = [], None
    for line in text.splitlines():
        found = re.match(r'  - id: "(.*)"$', line)
        if found:
            current = by_id[found.group(1)]
        for field in ("topic", "difficulty", "source"):
            if line.startswith(f"    {field}: "):
                value = getattr(current, field).replace("\\", "\\\\").replace('"', '\\"')
                line = f'    {field}: "{value}"'
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", SAMPLE_BANKS, ids=lambda p: p.stem)
def test_export_then_import_gives_the_same_bank(path: Path, fmt: str, tmp_path: Path) -> None:
    bank = load_bank(str(path))
    reading = _read_export(export(bank, fmt), fmt)
    assert [n for n in reading.notes if n.skipped] == []
    text, ids = bank_source(reading, bank_id=bank.id, module=bank.module, title=bank.title, origins=[])
    assert ids == [i.id for i in bank.items]
    back = tmp_path / "back.yaml"
    back.write_text(_fill_placeholders(text, bank), encoding="utf-8")
    again = load_bank(str(back))
    assert _as_authored(again) == _as_authored(bank)
    assert [(i.topic, i.difficulty, i.source) for i in again.items] == [
        (i.topic, i.difficulty, i.source) for i in bank.items
    ]


def test_cli_export_and_import_round_trip_with_placeholders_refused(tmp_path: Path, capsys) -> None:
    source = str(SAMPLE_BANKS[0])
    bank = load_bank(source)
    package = tmp_path / "m1.zip"
    assert main(["bank", "export", source, "--format", "qti3", "-o", str(package)]) == 0
    out = tmp_path / "m1.yaml"
    assert main(["bank", "import", str(package), "-o", str(out), "--bank", bank.id, "--module", "1"]) == 0
    assert f"{out}: {len(bank.items)} items imported, 0 questions skipped" in capsys.readouterr().out
    assert main(["bank", "validate", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"item {bank.items[0].id} 'topic' is a placeholder from import; fill it in" in err
    assert "the bank 'title' is a placeholder from import; fill it in" in err
    assert "Traceback" not in err
    # Refuses to overwrite an author's work without --force.
    assert main(["bank", "import", str(package), "-o", str(out)]) == 2
    assert "exists; give another -o, or --force" in capsys.readouterr().err


def test_export_of_three_and_five_option_items_reads_back(write) -> None:
    bank = load_bank(write("mixed.yaml", MIXED_BANK))
    assert [len(i.options) for i in bank.items] == [3, 5]
    for fmt in FORMATS:
        reading = _read_export(export(bank, fmt), fmt)
        got = [(q.identifier, q.stem, q.options, "ABCDE"[q.key], q.feedback) for q in reading.questions]
        assert got == _as_authored(bank), fmt


def _questions(name: str):
    reading = read_files([str(DATA / name)])
    return reading, {q.identifier or q.path: q for q in reading.questions}


def test_qti21_choice_example_three_options_and_the_image_reported() -> None:
    reading, questions = _questions("qti21_choice.xml")
    q = questions["choice"]
    assert q.stem == "Look at the text in the picture.\n\n[image]\n\nWhat does it say?"
    assert q.options == (
        "You must stay with your luggage at all times.",
        "Do not let someone else look after your luggage.",
        "Remember your luggage when you leave.",
    )
    assert q.key == 0
    assert any("1 image shown as [image]" in str(n) for n in reading.notes)


def test_qti_multiple_response_and_other_interactions_are_skipped_with_file_and_identifier() -> None:
    reading = read_files([str(DATA / "qti21_choice_multiple.xml"), str(DATA / "package")])
    lines = [str(n) for n in reading.notes if n.skipped]
    assert (
        f"{DATA / 'qti21_choice_multiple.xml'}: question 'choiceMultiple': skipped: is multiple response" in (lines[0])
    )
    assert any(
        "text_entry.xml: question 'textEntry': skipped: has 1 interaction(s) (textentryinteraction)" in s for s in lines
    )
    assert [q.identifier for q in reading.questions] == ["capital"]
    assert reading.questions[0].options == ("Lyon", "Paris", "Marseille") and reading.questions[0].key == 1


def test_qti22_five_options_entities_markup_and_feedback() -> None:
    _, questions = _questions("qti22_feedback.xml")
    q = questions["svc-ops-07"]
    assert q.stem == "A queue answers 80 % of calls in 20 seconds.\n\nWhat is this measure called?"
    assert q.options[2] == "Service level & its threshold" and q.key == 2 and len(q.options) == 5
    assert q.options[0] == "Average speed of answer"  # the inline feedback is not option text
    assert q.feedback == "Service level is the share answered within a threshold.\n\nOption A: That is a mean wait."


def test_qti3_item() -> None:
    _, questions = _questions("qti3_choice.xml")
    q = questions["choice-single"]
    assert (q.stem, q.options, q.key) == ("What colour is a clear daytime sky?", ("Green", "Blue", "Red", "Violet"), 1)


def test_moodle_xml_examples() -> None:
    reading, questions = _questions("moodle_quiz.xml")
    first = questions["Name of question"]
    assert first.stem == "What is the answer to this question?\n\n[image]"
    assert first.options == ("The correct answer", "A distractor", "Another distractor") and first.key == 0
    assert first.feedback.startswith("The first answer is right.\n\nOption A: Correct!")
    assert first.category == "Geography"
    five = questions["Five colours"]
    assert five.stem.endswith("<not markup>") and len(five.options) == 5 and five.key == 1
    skipped = {n.identifier: n.message for n in reading.notes if n.skipped}
    assert set(skipped) == {"Choose two", "TF", "Short"}
    assert "multiple response" in skipped["Choose two"] and "'truefalse'" in skipped["TF"]


def test_gift_examples_from_the_moodle_documentation() -> None:
    reading, questions = _questions("moodle_gift_examples.gift")
    q2 = questions["Q2"]
    assert q2.options == ("yellow", "red", "blue") and q2.key == 0
    assert q2.feedback.startswith("Option A: right; good!")
    stems = [q.stem for q in reading.questions]
    assert "Grant is _____ in Grant's tomb." in stems and "Who's buried in Grant's tomb?" in stems
    escapes = questions["Escapes"]
    assert escapes.stem == 'Which symbol means { "opens a block" }?'
    assert escapes.options == ("The left brace {", "The colon :", "The tilde ~")
    assert escapes.feedback == "In GIFT, { opens the answers."
    skipped = {n.identifier: n.message for n in reading.notes if n.skipped}
    assert set(skipped) == {"Q1", "Q3", "Q4", "Q5", "Q7", "line 40"}
    assert "true/false" in skipped["Q1"] and "weights" in skipped["Q7"] and "essay" in skipped["line 40"]


def test_aiken_examples_keep_three_and_four_options_and_skip_six() -> None:
    reading = read_files([str(DATA / "moodle_aiken_examples.txt")])
    assert [(len(q.options), q.key) for q in reading.questions] == [(4, 3), (3, 1)]
    assert [n.message for n in reading.notes if n.skipped] == ["has 6 options; the bank format takes 3 to 5"]


def test_imported_yaml_quotes_every_scalar_and_reads_back_exactly(tmp_path: Path) -> None:
    out = tmp_path / "imp.yaml"
    files = [str(DATA / n) for n in ("moodle_aiken_examples.txt", "moodle_gift_examples.gift", "qti22_feedback.xml")]
    assert main(["bank", "import", *files, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for line in text.splitlines():
        if ": " in line and not line.lstrip().startswith("#") and not line.endswith(":"):
            assert line.split(": ", 1)[1].startswith('"'), line
    reading = read_files(files)
    filled = re.sub(r'"TODO: easy, medium or hard"', '"easy"', text)
    filled = re.sub(r'"TODO:[^"]*"', '"filled"', filled)
    filled = filled.replace('bank: "imp"', 'bank: "imp"').replace('module: "filled"', 'module: "3"')
    out.write_text(filled, encoding="utf-8")
    bank = load_bank(str(out))
    assert [tuple(i.options.values()) for i in bank.items] == [q.options for q in reading.questions]
    assert [i.stem for i in bank.items] == [q.stem for q in reading.questions]
    assert [i.id for i in bank.items][:2] == ["IMP-001", "IMP-002"]  # Aiken has no identifiers


# Hostile input ------------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<quiz><question type="multichoice"><name><text>&lol3;</text></name></question></quiz>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<quiz><question type="multichoice"><name><text>&secret;</text></name></question></quiz>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://127.0.0.1:9/evil.dtd">
<quiz/>
"""


def _cli_error(tmp_path: Path, name: str, data: bytes, capsys) -> list[str]:
    path = tmp_path / name
    path.write_bytes(data)
    status = main(["bank", "import", str(path), "-o", str(tmp_path / "out.yaml")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status != 0
    assert not (tmp_path / "out.yaml").exists()
    assert all("Traceback" not in line for line in err)
    return err


def test_billion_laughs_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    err = _cli_error(tmp_path, "bomb.xml", BILLION_LAUGHS, capsys)
    assert err == [
        f"{tmp_path / 'bomb.xml'}:3: declares an entity 'lol' (entity expansion, as in 'billion laughs'); "
        "refused: remove the <!DOCTYPE> block and write the text out"
    ]


def test_external_entity_and_external_dtd_are_refused(tmp_path: Path, capsys) -> None:
    err = _cli_error(tmp_path, "xxe.xml", EXTERNAL_ENTITY, capsys)
    assert len(err) == 1 and "declares an external entity 'secret'" in err[0] and "root:" not in err[0]
    err = _cli_error(tmp_path, "dtd.xml", EXTERNAL_DTD, capsys)
    assert len(err) == 1 and "refers to an external DTD" in err[0]


def test_huge_file_is_refused_before_parsing(tmp_path: Path, capsys) -> None:
    big = b"<quiz>" + b"<!-- padding -->" * (MAX_BYTES // 16 + 1) + b"</quiz>"
    err = _cli_error(tmp_path, "big.xml", big, capsys)
    assert len(err) == 1 and f"over the {MAX_BYTES:,}-byte limit" in err[0]


def test_malformed_xml_names_the_line(tmp_path: Path, capsys) -> None:
    err = _cli_error(
        tmp_path, "bad.xml", b"<quiz>\n<question type='multichoice'>\n<name></question>\n</quiz>\n", capsys
    )
    assert err == [
        f"{tmp_path / 'bad.xml'}:3: not well-formed XML (mismatched tag, column 9); fix the markup or re-export it"
    ]


def test_deep_nesting_is_refused(tmp_path: Path, capsys) -> None:
    deep = b"<quiz>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</quiz>"
    err = _cli_error(tmp_path, "deep.xml", deep, capsys)
    assert len(err) == 1 and "nested deeper than" in err[0]


def test_zip_package_cannot_reach_outside_itself(tmp_path: Path, capsys) -> None:
    manifest = (DATA / "package" / "imsmanifest.xml").read_bytes().replace(b"items/capital.xml", b"../../etc/passwd")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest)
        archive.writestr("items/text_entry.xml", (DATA / "package" / "items" / "text_entry.xml").read_bytes())
    err = _cli_error(tmp_path, "evil.zip", buffer.getvalue(), capsys)
    assert any("resource '../../etc/passwd' points outside the package; refused" in line for line in err)


def test_control_characters_and_bidi_overrides_are_stripped_and_reported() -> None:
    gift = "::Ctl::[plain]Pick \x1b[2Jone\u202e {=right\u2066 ~wr\x07ong ~other}\n".encode()
    reading = read_bytes(gift, "ctl.gift")
    q = reading.questions[0]
    assert (q.stem, q.options) == ("Pick [2Jone", ("right", "wrong", "other"))
    assert [n.message for n in reading.notes] == [
        "4 control or bidirectional-override character(s) removed from its text"
    ]
    moodle = b"<quiz><question type='multichoice'><name><text>M</text></name><questiontext><text>Stem&#x202E;x&#x9b;'"
    moodle += b"</text></questiontext><answer fraction='100'><text>a</text></answer><answer fraction='0'><text>b</text>"
    moodle += b"</answer><answer fraction='0'><text>c&#x85;</text></answer></question></quiz>"
    reading = read_bytes(moodle, "ctl.xml")
    assert reading.questions[0].stem == "Stemx'" and reading.questions[0].options[2] == "c"
    assert "removed" in reading.notes[0].message


def test_html_conversion() -> None:
    assert html_to_text("<p>A &amp; B&nbsp;C</p><p>line<br/>two</p><script>x()</script>") == (
        "A & B C\n\nline\ntwo",
        [],
    )
    text, lost = html_to_text("<p>See <img src='a.png'> and <video><source src='v.mp4'>fallback</video></p>")
    assert text == "See [image] and [media]" and lost == ["image", "media element"]
    text, lost = html_to_text('<p><a href="@@PLUGINFILE@@/hello.mp3">Listen:</a> then <a href="x.html">read</a></p>')
    assert text == "[media] Listen: then read" and lost == ["media element"]


def test_not_an_interchange_file_is_one_clear_line(tmp_path: Path, capsys) -> None:
    err = _cli_error(tmp_path, "other.xml", b"<html><body/></html>", capsys)
    assert err == [
        f"{tmp_path / 'other.xml'}: XML root <html> is not a QTI item, a content package manifest or Moodle XML <quiz>"
    ]


def test_only_skipped_questions_is_an_error_with_the_reasons(tmp_path: Path, capsys) -> None:
    status = main(["bank", "import", str(DATA / "qti21_choice_multiple.xml"), "-o", str(tmp_path / "o.yaml")])
    err = capsys.readouterr().err
    assert status == 2 and "skipped: is multiple response" in err and "nothing to import" in err


# Schemas -------------------------------------------------------------------------------------------------


def _sdk_file(path: str) -> bytes | None:
    """A file of the oat-sa/qti-sdk suite from a checkout or a bare mirror, or None."""
    if (QTI_SDK / path).is_file():
        return (QTI_SDK / path).read_bytes()
    if not (QTI_SDK / "HEAD").is_file():
        return None
    done = subprocess.run(["git", "-C", str(QTI_SDK), "show", f"HEAD:{path}"], capture_output=True, timeout=60)
    return done.stdout if done.returncode == 0 and done.stdout else None


@pytest.fixture(scope="module")
def schemas(tmp_path_factory):
    """The official XSDs as the oat-sa/qti-sdk suite ships them, copied into a temporary directory."""
    lxml = pytest.importorskip("lxml.etree")
    prefix = "src/qtism/data/storage/xml/schemes/"
    wanted = [
        "qtiv2p1/imsqti_v2p1.xsd",
        "imscp_v1p1.xsd",
        "imsmd_loose_v1p3p2.xsd",
        "qtiv3p0/imsqti_asiv3p0_sbacv1p0_v1p0.xsd",
        "qtiv3p0/imsqtiv3p0_imscpv1p2_v1p0.xsd",
        "w3/xml.xsd",
        "w3/XInclude.xsd",
        "apipv1p0/apipv1p0_qtiextv2p1_v1p0.xsd",
    ]
    if _sdk_file(prefix + wanted[0]) is None:
        pytest.skip("the official QTI XSDs are not on this machine (set CCSOO_QTI_SDK to a qti-sdk checkout)")
    root = tmp_path_factory.mktemp("xsd")
    listing = subprocess.run(
        ["git", "-C", str(QTI_SDK), "ls-tree", "-r", "--name-only", "HEAD", prefix], capture_output=True, text=True
    ).stdout.split()
    for name in listing or [prefix + w for w in wanted]:
        if not name.endswith(".xsd"):
            continue
        data = _sdk_file(name)
        if data:
            target = root / name[len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)

    class Foreign(lxml.Resolver):
        """MathML and SSML, which our items never use, as open stubs (the suite's MathML 3 copy is in the
        2010 namespace where the QTI 3 schema imports the 1998 one)."""

        def resolve(self, url, pubid, context):
            if url.endswith("mathml3/mathml3.xsd"):
                return self.resolve_string(_stub("http://www.w3.org/1998/Math/MathML", ["math"]), context)
            if url.endswith("ssmlv1p1-core.xsd"):
                names = [
                    "audio",
                    "break",
                    "emphasis",
                    "mark",
                    "p",
                    "phoneme",
                    "prosody",
                    "s",
                    "say-as",
                    "speak",
                    "sub",
                    "voice",
                ]
                return self.resolve_string(_stub("http://www.w3.org/2001/10/synthesis", names), context)
            return None

    def load(relative: str):
        parser = lxml.XMLParser()
        parser.resolvers.add(Foreign())
        return lxml.XMLSchema(lxml.parse(str(root / relative), parser))

    return {
        "qti21": (load("qtiv2p1/imsqti_v2p1.xsd"), load("imscp_v1p1.xsd")),
        "qti3": (load("qtiv3p0/imsqti_asiv3p0_sbacv1p0_v1p0.xsd"), load("qtiv3p0/imsqtiv3p0_imscpv1p2_v1p0.xsd")),
    }


def _stub(namespace: str, names: list[str]) -> bytes:
    elements = "".join(f'<xs:element name="{n}"/>' for n in names)
    return (
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{namespace}" '
        f'elementFormDefault="qualified">{elements}</xs:schema>'
    ).encode()


@pytest.mark.parametrize("fmt", ["qti21", "qti3"])
def test_qti_exports_validate_against_the_official_schemas(schemas, fmt: str, write) -> None:
    from lxml import etree

    item_schema, manifest_schema = schemas[fmt]
    banks = [load_bank(str(p)) for p in SAMPLE_BANKS]
    mixed = load_bank(write("mixed.yaml", MIXED_BANK))  # 3 and 5 options, an id that is not an NCName
    for bank in [*banks, mixed]:
        files = export(bank, fmt)
        manifest = etree.fromstring(files.pop("imsmanifest.xml"))
        assert manifest_schema.validate(manifest), manifest_schema.error_log
        for name, data in files.items():
            assert item_schema.validate(etree.fromstring(data)), (name, item_schema.error_log)


def test_the_schema_check_can_fail(schemas) -> None:
    from lxml import etree

    item_schema, _ = schemas["qti21"]
    bank = load_bank(str(SAMPLE_BANKS[0]))
    data = export(bank, "qti21")["items/M1-001.xml"].replace(b"maxChoices=", b"maxChoicez=")
    assert not item_schema.validate(etree.fromstring(data))


def test_moodle_export_validates_against_the_subset_schema() -> None:
    """Moodle publishes no XSD for its XML format; this schema is ours, written from the format's documentation."""
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(DATA / "moodle_quiz_subset.xsd")))
    for path in SAMPLE_BANKS:
        document = etree.fromstring(export(load_bank(str(path)), "moodle")[""])
        assert schema.validate(document), schema.error_log
    assert schema.validate(etree.parse(str(DATA / "moodle_quiz.xml"))), schema.error_log


def test_real_ims_example_items_from_the_qti_sdk_suite() -> None:
    """The IMS example files themselves, where a copy of the suite is on this machine."""
    samples = {
        "test/samples/ims/items/2_1/choice.xml": ("choice", 3),
        "test/samples/ims/items/2_2/choice_fixed.xml": ("choice", 4),
        "test/samples/ims/items/3_0/aqti_tmh_sample_1.xml": ("aqti_tmh_sample_1", 3),
        "test/samples/ims/items/2_1/choice_multiple.xml": None,
        "test/samples/ims/items/2_1/inline_choice.xml": None,
        "test/samples/ims/items/2_1/text_entry.xml": None,
    }
    if _sdk_file("test/samples/ims/items/2_1/choice.xml") is None:
        pytest.skip("the oat-sa/qti-sdk test suite is not on this machine (set CCSOO_QTI_SDK)")
    for path, expected in samples.items():
        data = _sdk_file(path)
        assert data is not None, path
        reading = read_bytes(data, path)
        if expected is None:
            assert reading.questions == [] and reading.notes[0].skipped, path
        else:
            (q,) = reading.questions
            assert (q.identifier, len(q.options)) == expected
    tom = read_bytes(_sdk_file("test/samples/ims/items/3_0/aqti_tmh_sample_1.xml") or b"", "tom.xml").questions[0]
    assert tom.stem.endswith("How many kilometres will he walk in a year for his harmonica lessons?")
    assert "Ordinary Dr." in tom.stem and tom.options == ("About 200", "About 100", "About 50")


def test_zip_package_reads_like_the_directory(tmp_path: Path) -> None:
    bank = load_bank(str(SAMPLE_BANKS[1]))
    files = export(bank, "qti21")
    path = tmp_path / "p.zip"
    path.write_bytes(zip_package(files))
    assert [q.identifier for q in read_files([str(path)]).questions] == [i.id for i in bank.items]
    with pytest.raises(CcsooError):
        read_files([str(tmp_path)])  # a directory without a manifest


def test_image_only_options_are_skipped_and_renamed_ids_reported(tmp_path: Path, capsys) -> None:
    item = (DATA / "qti3_choice.xml").read_bytes().replace(b">Red<", b"><img src='red.png'/><")
    reading = read_bytes(item, "img.xml")
    assert reading.questions == []
    assert "option C has no text (an image or media only)" in reading.notes[-1].message
    out = tmp_path / "two.yaml"
    same = DATA / "qti3_choice.xml"
    copy = tmp_path / "copy.xml"
    copy.write_bytes(same.read_bytes())
    assert main(["bank", "import", str(same), str(copy), "-o", str(out)]) == 0
    assert f"{copy}: question 'choice-single': note: its item id is choice-single-2" in capsys.readouterr().err
    assert '- id: "choice-single-2"' in out.read_text()


_TEXT = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp", "Co", "Cn")),
        min_size=1,
        max_size=40,
    )
    .map(lambda t: " ".join(t.split()))
    .filter(lambda t: bool(t) and "->" not in t and not re.match(r"%-?\d", t))
)


@settings(max_examples=60, deadline=None)
@given(
    stem=_TEXT, options=st.lists(_TEXT, min_size=3, max_size=5, unique_by=lambda t: t.lower()), key=st.integers(0, 4)
)
def test_any_text_survives_every_export_and_import(stem: str, options: list[str], key: int) -> None:
    """Whatever an author writes (markup characters, GIFT's specials, quotes, non-Latin script) comes back."""
    from ccsoo_exam.bank import Item

    normalised = [" ".join(o.lower().split()) for o in options]
    assume(len(set(normalised)) == len(options))
    letters = "ABCDE"[: len(options)]
    item = Item(
        "P-1",
        stem,
        MappingProxyType(dict(zip(letters, options, strict=True))),
        letters[key % len(options)],
        f"Because {stem}",
        "t",
        "easy",
        "s",
    )
    bank = Bank("prop", 1, "Property", (item,))
    for fmt in FORMATS:
        reading = _read_export(export(bank, fmt), fmt)
        assert [n for n in reading.notes if n.skipped] == [], (fmt, reading.notes)
        (q,) = reading.questions
        assert (q.identifier, q.stem, q.options, "ABCDE"[q.key], q.feedback) == _as_authored(bank)[0], fmt


MOODLE_FIXTURES = Path(os.environ.get("CCSOO_MOODLE_FIXTURES", "/tmp/moodle-fixtures"))


def test_moodles_own_import_fixtures() -> None:
    """Moodle's own test fixtures (moodle/moodle question/format/{gift,aiken,xml}/tests/fixtures), where a copy
    is on this machine: GPL-3 files, so not committed here (see tests/data/interchange/README.md)."""
    names = ("questions.gift.txt", "questions.aiken.txt", "multichoice.xml")
    if not all((MOODLE_FIXTURES / n).is_file() for n in names):
        pytest.skip("Moodle's question format fixtures are not on this machine (set CCSOO_MOODLE_FIXTURES)")
    gift = read_files([str(MOODLE_FIXTURES / "questions.gift.txt")])
    (q2,) = gift.questions
    assert (q2.identifier, q2.options, q2.key) == ("Q2", ("yellow", "red", "blue"), 0)
    assert q2.feedback == "Option A: right; good!\n\nOption B: wrong, it's yellow\n\nOption C: wrong, it's yellow"
    skipped = [(n.identifier, n.message.split(";")[0]) for n in gift.notes if n.skipped]
    assert [name for name, _ in skipped] == ["Q8", "Moodle activities", "colours", "Q5", "Shortanswer", "Q1"] + [
        "2-08 TSL"
    ] * 2
    aiken = read_files([str(MOODLE_FIXTURES / "questions.aiken.txt")])
    assert [(q.options[q.key], len(q.options)) for q in aiken.questions] == [("Martin Dougiamas", 4)]
    assert [n.message for n in aiken.notes] == ["has 2 options; the bank format takes 3 to 5"]
    moodle = read_files([str(MOODLE_FIXTURES / "multichoice.xml")])
    (greeting,) = moodle.questions
    assert greeting.stem == "[media] Listen to this greeting:\n\nWhat language is being spoken?"
    assert greeting.options == ("[image] English", "[image] French", "[image] German", "[image] Danish")
    assert greeting.key == 1 and greeting.feedback.startswith("Option A: Sorry, listen again.\n\nOption B: Yes")
    assert "4 images, 1 media element shown as" in moodle.notes[0].message


def test_names_and_hrefs_from_a_file_never_reach_the_terminal_as_control(tmp_path: Path, capsys) -> None:
    moodle = (
        b"<quiz><question type='category'><category><text>$course$/Top&#x9b;31m</text></category></question>"
        b"<question type='truefalse\xe2\x80\xae'><name><text>Evil&#x202e;name&#x9b;2J</text></name></question>"
        b"<question type='multichoice'><name><text>M</text></name><questiontext><text>Stem</text></questiontext>"
        b"<answer fraction='100'><text>a</text></answer><answer fraction='0'><text>b</text></answer>"
        b"<answer fraction='0'><text>c</text></answer></question></quiz>"
    )
    path = tmp_path / "evil.xml"
    path.write_bytes(moodle)
    out = tmp_path / "o.yaml"
    assert main(["bank", "import", str(path), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "question 'Evilname2J': skipped: is a Moodle 'truefalse' question" in err
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", err)
    assert "(the source files it as: Top31m)" in out.read_text(encoding="utf-8")
    manifest = (
        (DATA / "package" / "imsmanifest.xml").read_bytes().replace(b"items/capital.xml", b"items/\xc2\x9b2J.xml")
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest)
    err = _cli_error(tmp_path, "p.zip", buffer.getvalue(), capsys)
    assert err and all(not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", line) for line in err)


def test_zip_bomb_member_is_refused_before_it_is_unpacked(tmp_path: Path, capsys) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", (DATA / "package" / "imsmanifest.xml").read_bytes())
        archive.writestr("items/capital.xml", b"<a>" + b" " * (MAX_BYTES + 10) + b"</a>")
    data = buffer.getvalue()
    assert len(data) < 100_000  # small on disk, over the cap unpacked
    err = _cli_error(tmp_path, "bomb.zip", data, capsys)
    assert any("items/capital.xml: is 4,194,321 bytes unpacked, over the 4,194,304-byte limit" in line for line in err)
