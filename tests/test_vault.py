"""The vault: round trips, and every kind of damage refused with one clear message."""

from __future__ import annotations

import hashlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsoo_exam import vault
from ccsoo_exam.errors import DamagedFileError, VaultError, WrongKeyError

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
    params = vault.read_header(SEALED, "x").params
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


def test_wrong_key_is_told_from_damage() -> None:
    with pytest.raises(WrongKeyError, match="the exam key is wrong"):
        vault.decrypt(SEALED, "not the right key")
    body = bytearray(SEALED)
    body[-20] ^= 1
    with pytest.raises(DamagedFileError, match="is damaged or was altered \\(the exam key is right\\)"):
        vault.decrypt(bytes(body), cache=CACHE)
    header = bytearray(SEALED)
    header[20] ^= 1  # inside the salt: without the header check this would look like a wrong key
    cache = vault.KeyCache(KEY)
    with pytest.raises(DamagedFileError, match="header does not check"):
        vault.decrypt(bytes(header), cache=cache)
    assert cache.derivations == 0


def test_a_version_1_bank_asks_for_re_encryption() -> None:
    old = bytearray(SEALED)
    old[8] = 1
    with pytest.raises(VaultError, match=r"format version 1 is not supported.*re-encrypt"):
        vault.decrypt(bytes(old), cache=CACHE)


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "empty"),
        (SEALED[:5], "truncated"),
        (SEALED[: vault.HEADER_SIZE], "truncated"),
        (SEALED[:-1], "damaged or was altered"),
        (b"bank: plain yaml\n" * 10, "not an encrypted"),
    ],
)
def test_damaged_files(blob: bytes, message: str) -> None:
    with pytest.raises(VaultError, match=message):
        vault.decrypt(blob, cache=CACHE)


FIELDS = ">8sBBIII16s16s12s"


def _with_fields(**changes: int) -> bytes:
    """SEALED with header fields changed and the (unkeyed) header check recomputed, as an attacker would."""
    names = ["magic", "version", "kdf", "p1", "p2", "p3", "salt", "check", "nonce"]
    fields = dict(zip(names, struct.unpack_from(FIELDS, SEALED), strict=True))
    fields.update(changes)
    packed = struct.pack(FIELDS, *fields.values())
    return packed + hashlib.sha256(packed).digest()[:8] + SEALED[vault.HEADER_SIZE :]


@pytest.mark.parametrize(
    "changes",
    [
        {"kdf": 9},
        {"p1": 1024},
        {"p1": 2**31},
        {"p1": 256 * 1024 + 1},  # 257 MiB: over the memory bound
        {"p1": 256 * 1024, "p2": 4},  # each within bounds, but memory x passes over the work cap
        {"p2": 2},
        {"p2": 7},
        {"p3": 0},
        {"p3": 9},
        {"kdf": vault.KDF_SCRYPT, "p1": 19, "p2": 8, "p3": 1},  # scrypt N=2^19: 512 MiB
        {"kdf": vault.KDF_SCRYPT, "p1": 18, "p2": 16, "p3": 1},
        {"kdf": vault.KDF_SCRYPT, "p1": 18, "p2": 8, "p3": 2},
    ],
)
def test_out_of_bounds_kdf_parameters_are_refused_before_the_kdf_runs(changes: dict[str, int]) -> None:
    cache = vault.KeyCache(KEY)
    with pytest.raises(VaultError, match=r"outside what ccsoo-exam accepts|unknown key-derivation"):
        vault.decrypt(_with_fields(**changes), cache=cache)
    assert cache.derivations == 0


def test_the_most_expensive_accepted_header_stays_within_256_mib() -> None:
    worst_argon = max(m for m in range(64 * 1024, 256 * 1024 + 1, 1024) if m * 3 <= vault.ARGON2_MAX_WORK)
    assert worst_argon * 1024 <= 256 * 2**20
    assert vault.ARGON2_BOUNDS[0][1] * 1024 <= 256 * 2**20
    (_, log_n), (_, r), (_, p) = vault.SCRYPT_BOUNDS
    assert 128 * r * 2**log_n <= 256 * 2**20 and p == 1


def test_scrypt_packages_open_too() -> None:
    params = vault.new_params(vault.KDF_SCRYPT)
    sealed = vault.encrypt(b"hello", KEY, params)
    assert vault.decrypt(sealed, KEY) == b"hello"
    assert "N=2^17" in params.describe()


def test_short_exam_key_is_refused() -> None:
    with pytest.raises(VaultError, match="shorter than"):
        vault.check_exam_key("short\n", "key.txt")
