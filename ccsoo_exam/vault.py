"""The bank vault: authenticated encryption of banks under a key derived from the exam key.

File layout (version 1), all integers big-endian::

    magic "CCSOOBNK" | version u8 | kdf u8 | p1 u32 | p2 u32 | p3 u32 | salt 16 | nonce 12
    | AES-256-GCM ciphertext and tag

The whole header is the AEAD's associated data, so a changed parameter, salt or version
fails authentication exactly like a changed ciphertext byte. The KDF parameters are
bounds-checked *before* the KDF runs: a doctored header must not make the terminal
allocate gigabytes or spin for minutes. Banks of one package share salt and parameters,
so opening a package runs the KDF once (``KeyCache``).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ccsoo_exam.errors import Problem, VaultError

MAGIC = b"CCSOOBNK"
VERSION = 1
KDF_ARGON2ID = 1
KDF_SCRYPT = 2
_HEADER = struct.Struct(">8sBBIII16s12s")
HEADER_SIZE = _HEADER.size
TAG_SIZE = 16
MIN_KEY_LENGTH = 8

# RFC 9106 section 4, second recommended option: 64 MiB, 3 passes, 4 lanes.
ARGON2_DEFAULT = (64 * 1024, 3, 4)
ARGON2_BOUNDS = ((64 * 1024, 1024 * 1024), (3, 10), (1, 16))
SCRYPT_BOUNDS = ((17, 20), (8, 16), (1, 4))  # log2 N, r, p


@dataclass(frozen=True)
class KdfParams:
    kdf: int
    p1: int
    p2: int
    p3: int
    salt: bytes

    def describe(self) -> str:
        if self.kdf == KDF_ARGON2ID:
            return f"Argon2id, {self.p1 // 1024} MiB, {self.p2} passes, {self.p3} lanes"
        return f"scrypt, N=2^{self.p1}, r={self.p2}, p={self.p3}"


def new_params(kdf: int = KDF_ARGON2ID) -> KdfParams:
    """Fresh salt with the default cost for the chosen KDF."""
    if kdf == KDF_ARGON2ID:
        return KdfParams(KDF_ARGON2ID, *ARGON2_DEFAULT, os.urandom(16))
    return KdfParams(KDF_SCRYPT, 17, 8, 1, os.urandom(16))


def derive_key(exam_key: str, params: KdfParams) -> bytes:
    secret = exam_key.encode("utf-8")
    if params.kdf == KDF_ARGON2ID:
        kdf = Argon2id(salt=params.salt, length=32, iterations=params.p2, lanes=params.p3, memory_cost=params.p1)
        return kdf.derive(secret)
    return Scrypt(salt=params.salt, length=32, n=2**params.p1, r=params.p2, p=params.p3).derive(secret)


class KeyCache:
    """Derived keys by KDF parameters, so a package's banks cost one KDF run."""

    def __init__(self, exam_key: str) -> None:
        self.exam_key = exam_key
        self._keys: dict[KdfParams, bytes] = {}
        self.derivations = 0

    def key_for(self, params: KdfParams) -> bytes:
        if params not in self._keys:
            self._keys[params] = derive_key(self.exam_key, params)
            self.derivations += 1
        return self._keys[params]


def check_exam_key(exam_key: str, source: str) -> str:
    key = exam_key.strip()
    if len(key) < MIN_KEY_LENGTH:
        raise VaultError(
            Problem(source, None, f"the exam key is shorter than {MIN_KEY_LENGTH} characters; use a longer key")
        )
    return key


def encrypt(plaintext: bytes, exam_key: str, params: KdfParams | None = None, cache: KeyCache | None = None) -> bytes:
    """Seal one bank. Pass the same ``params`` for every bank of a package."""
    params = params or new_params()
    _check_bounds(params, "<new bank>")
    key = cache.key_for(params) if cache else derive_key(exam_key, params)
    nonce = os.urandom(12)
    header = _HEADER.pack(MAGIC, VERSION, params.kdf, params.p1, params.p2, params.p3, params.salt, nonce)
    return header + AESGCM(key).encrypt(nonce, plaintext, header)


def read_header(blob: bytes, name: str) -> tuple[KdfParams, bytes, bytes]:
    """Parse and bounds-check a header; returns params, nonce and the raw header bytes."""
    if not blob:
        raise VaultError(Problem(name, None, "the encrypted bank is empty; get a fresh copy of the exam package"))
    if not blob.startswith(MAGIC) and not MAGIC.startswith(blob):
        raise VaultError(Problem(name, None, "not an encrypted ccsoo-exam bank (wrong file?)"))
    if len(blob) < HEADER_SIZE + TAG_SIZE:
        raise VaultError(Problem(name, None, "the encrypted bank is truncated; get a fresh copy of the exam package"))
    _magic, version, kdf, p1, p2, p3, salt, nonce = _HEADER.unpack_from(blob)
    if version != VERSION:
        raise VaultError(
            Problem(
                name,
                None,
                f"bank format version {version} is not supported by this ccsoo-exam (expects {VERSION}); "
                "update ccsoo-exam or re-encrypt",
            )
        )
    params = KdfParams(kdf, p1, p2, p3, salt)
    _check_bounds(params, name)
    return params, nonce, blob[:HEADER_SIZE]


def decrypt(blob: bytes, exam_key: str | None = None, *, name: str = "bank", cache: KeyCache | None = None) -> bytes:
    """Open one bank; any wrong key, damage or tampering gives one VaultError."""
    params, nonce, header = read_header(blob, name)
    if cache is None:
        if exam_key is None:
            raise ValueError("decrypt needs an exam key or a KeyCache")
        cache = KeyCache(exam_key)
    key = cache.key_for(params)
    try:
        return AESGCM(key).decrypt(nonce, blob[HEADER_SIZE:], header)
    except InvalidTag:
        raise VaultError(
            Problem(
                name,
                None,
                "cannot decrypt: the exam key is wrong, or the file was altered or damaged; "
                "check the key, or get a fresh copy",
            )
        ) from None


def _check_bounds(params: KdfParams, name: str) -> None:
    if params.kdf == KDF_ARGON2ID:
        bounds = ARGON2_BOUNDS
    elif params.kdf == KDF_SCRYPT:
        bounds = SCRYPT_BOUNDS
    else:
        raise VaultError(
            Problem(
                name, None, f"unknown key-derivation method {params.kdf}; the file is damaged or not from ccsoo-exam"
            )
        )
    for value, (low, high) in zip((params.p1, params.p2, params.p3), bounds, strict=False):
        if not low <= value <= high:
            raise VaultError(
                Problem(
                    name, None, "key-derivation parameters are out of bounds; the file is damaged or was tampered with"
                )
            )
