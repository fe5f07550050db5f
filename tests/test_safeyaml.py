"""Hostile YAML: every one of these gets one clean, located error and never a crash."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsoo_exam.errors import CcsooError
from ccsoo_exam.safeyaml import Mapping, Scalar, Sequence, load_bytes, load_path


def error_of(data: bytes) -> str:
    with pytest.raises(CcsooError) as info:
        load_bytes(data, "f.yaml")
    assert info.value.problems, "an error must carry at least one problem"
    return str(info.value)


HOSTILE = {
    "alias bomb": (
        b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
        "anchors",
    ),
    "recursive alias": (b"a: &a\n  b: *a\n", "not allowed"),
    "deep flow nesting": (b"[" * 50_000 + b"]" * 50_000, "nested deeper"),
    "deep mapping nesting": (
        b"".join(b"  " * i + b"k:\n" for i in range(2000)) + b"  " * 2000 + b"v\n",
        "nested deeper",
    ),
    "duplicate keys": (b"a: 1\nb: 2\na: 3\n", "duplicate key 'a' (first at line 1)"),
    "python tag": (b"x: !!python/object/apply:os.system [echo pwned]\n", "tags"),
    "local tag": (b"x: !custom 3\n", "tags"),
    "binary garbage": (bytes(range(256)) * 40, "not UTF-8"),
    "latin-1 text": ("stem: caf\u00e9\n".encode("latin-1"), "not UTF-8"),
    "empty file": (b"", "empty"),
    "only whitespace": (b"  \n\n", "empty"),
    "tabs": (b"a:\n\tb: 1\n", "tab"),
    "two documents": (b"a: 1\n---\nb: 2\n", "more than one YAML document"),
    "nul byte": (b"a: b\x00c\n", "NUL"),
    "unclosed quote": (b'a: "open\nb: 2\n', "YAML syntax error"),
    "complex key": (b"? [a, b]\n: c\n", "key must be plain text"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_gets_a_clean_error(name: str) -> None:
    data, expected = HOSTILE[name]
    assert expected in error_of(data)


def test_twenty_megabyte_file_is_refused_before_reading(tmp_path) -> None:
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(20 * 1024 * 1024)
    with pytest.raises(CcsooError, match="over the"):
        load_path(path)


def test_missing_file_and_directory(tmp_path) -> None:
    with pytest.raises(CcsooError, match="not found"):
        load_path(tmp_path / "nope.yaml")
    with pytest.raises(CcsooError, match="directory"):
        load_path(tmp_path)


def test_yaml_11_coercions_are_kept_as_text() -> None:
    root = load_bytes(b"a: no\nb: yes\nc: 010\nd: 2024-01-01\ne: 1e3\nf: ~\ng: 0x1F\nh: on\n", "f.yaml")
    assert isinstance(root, Mapping)
    values = {k: v.value for k, v in root.entries.items() if isinstance(v, Scalar)}
    assert values == {
        "a": "no",
        "b": "yes",
        "c": "010",
        "d": "2024-01-01",
        "e": "1e3",
        "f": "~",
        "g": "0x1F",
        "h": "on",
    }


def test_lines_are_recorded_for_keys_and_values() -> None:
    root = load_bytes(b"# comment\nitems:\n  - id: x\n    stem: s\n", "f.yaml")
    assert isinstance(root, Mapping)
    assert root.keys["items"] == 2
    seq = root.entries["items"]
    assert isinstance(seq, Sequence)
    item = seq.items[0]
    assert isinstance(item, Mapping) and item.keys["stem"] == 4


def test_all_anchor_and_tag_problems_reported_together() -> None:
    text = error_of(b"a: &x 1\nb: !t 2\nc: &y 3\n")
    assert "f.yaml:1:" in text and "f.yaml:2:" in text and "f.yaml:3:" in text


def test_deep_nesting_does_not_crash_the_c_loader_in_a_fresh_process(tmp_path) -> None:
    # The guard must hold in a clean interpreter (a segfault would show as a negative return code).
    path = tmp_path / "deep.yaml"
    path.write_bytes(b"a: " + b"{b: " * 50_000 + b"1" + b"}" * 50_000 + b"\n")
    result = subprocess.run(
        [sys.executable, "-m", "ccsoo_exam", "bank", "validate", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "nested deeper" in result.stderr and "Traceback" not in result.stderr


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_escape_as_anything_but_ccsoo_error(data: bytes) -> None:
    with contextlib.suppress(CcsooError):
        load_bytes(data, "fuzz.yaml")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="[]{}:,-?&*!|>'\"# \n\tab01", max_size=200))
def test_arbitrary_yaml_punctuation_never_escapes(text: str) -> None:
    with contextlib.suppress(CcsooError):
        load_bytes(text.encode(), "fuzz.yaml")
