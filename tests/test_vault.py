"""The vault: round trips, and every kind of damage refused with one clear message."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsoo_exam import vault
from ccsoo_exam.errors import VaultError

KEY = "correct horse battery"
# One KDF run for the whole module: the cache stands in for a package's shared salt.
PARAMS = vault.new_params()
CACHE = vault.KeyCache(KEY)
SEALED = vault.encrypt(b"bank: ccsoo-m1\nitems: []\n", KEY, PARAMS, CACHE)


def test_round_trip_and_one_kdf_run_for_many_banks() -> None:
    cache = vault.KeyCache(KEY)
    blobs = [vault.encrypt(f"bank {n}".encode(), KEY, PARAMS, CACHE) for n in range(5)]
    assert [vault.decrypt(b, cache=cache) for b in blobs] == [f"bank {n}".encode() for n in range(5)]
    assert cache.derivations == 1


def test_default_kdf_meets_rfc_9106_second_recommendation() -> None:
    params, _, _ = vault.read_header(SEALED, "x")
    assert params.kdf == vault.KDF_ARGON2ID
    assert params.p1 >= 64 * 1024 and params.p2 >= 3


def test_plaintext_is_not_visible_in_the_file() -> None:
    assert b"ccsoo-m1" not in SEALED


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_hypothesis_round_trip(plaintext: bytes) -> None:
    assert vault.decrypt(vault.encrypt(plaintext, KEY, PARAMS, CACHE), cache=CACHE) == plaintext


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_single_changed_byte_is_refused(data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(SEALED) - 1))
    delta = data.draw(st.integers(1, 255))
    altered = bytearray(SEALED)
    altered[position] ^= delta
    with pytest.raises(VaultError) as info:
        # Tampered KDF parameters are refused before any KDF runs; other bytes fail the tag.
        vault.decrypt(bytes(altered), cache=CACHE)
    assert "ccsoo-m1" not in str(info.value)


def test_wrong_key() -> None:
    with pytest.raises(VaultError, match="exam key is wrong"):
        vault.decrypt(SEALED, "not the right key")


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "empty"),
        (SEALED[:5], "truncated"),
        (SEALED[: vault.HEADER_SIZE], "truncated"),
        (SEALED[:-1], "altered or damaged"),
        (b"bank: plain yaml\n" * 10, "not an encrypted"),
    ],
)
def test_damaged_files(blob: bytes, message: str) -> None:
    with pytest.raises(VaultError, match=message):
        vault.decrypt(blob, cache=CACHE)


@pytest.mark.parametrize(
    ("field", "value"),
    # fields: 1 version, 2 kdf, 3 memory KiB, 4 passes, 5 lanes
    [(1, 7), (2, 9), (3, 1024), (3, 2**31), (4, 2), (4, 1000), (5, 0), (5, 200)],
)
def test_out_of_bounds_kdf_parameters_are_refused_before_the_kdf_runs(field: int, value: int) -> None:
    fields = list(struct.unpack_from(">8sBBIII16s12s", SEALED))
    fields[field] = value
    header = struct.pack(">8sBBIII16s12s", *fields)
    cache = vault.KeyCache(KEY)
    with pytest.raises(VaultError):
        vault.decrypt(header + SEALED[vault.HEADER_SIZE :], cache=cache)
    assert cache.derivations == 0


def test_scrypt_packages_open_too() -> None:
    params = vault.new_params(vault.KDF_SCRYPT)
    sealed = vault.encrypt(b"hello", KEY, params)
    assert vault.decrypt(sealed, KEY) == b"hello"
    assert "N=2^17" in params.describe()


def test_short_exam_key_is_refused() -> None:
    with pytest.raises(VaultError, match="shorter than"):
        vault.check_exam_key("short\n", "key.txt")
