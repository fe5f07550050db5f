"""The bank vault: authenticated encryption of banks under a key derived from the exam key.

File layout (version 2), all integers big-endian::

    magic "CCSOOBNK" | version u8 | kdf u8 | p1 u32 | p2 u32 | p3 u32 | salt 16 | key check 16 | nonce 12
    | header check 8 | AES-256-GCM ciphertext and tag

The whole header is the AEAD's associated data, so a changed parameter, salt or version
fails authentication exactly like a changed ciphertext byte. Two checks let the terminal
tell the proctor *which* problem it has, instead of one "wrong key or damaged" sentence:

* the header check (SHA-256 of the header before it, 8 bytes, no secret) catches a
  damaged header before the KDF runs;
* the key check (HMAC-SHA256 of a fixed label under the derived key, 16 bytes) says
  whether the exam key is the one the file was sealed with. Testing a guess against it
  costs one full KDF run, exactly as testing it against the AEAD tag does.

So: a wrong key fails the key check (``WrongKeyError``), while a damaged body passes it
and fails the tag (``DamagedFileError``). The KDF parameters are bounds-checked *before*
the KDF runs, so the most expensive header we accept costs about a second and 256 MiB
(see docs/delivery.md for the measured figures). Banks of one package share salt and
parameters, so opening a package runs the KDF once (``KeyCache``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ccsoo_exam.errors import DamagedFileError, Problem, VaultError, WrongKeyError

MAGIC = b"CCSOOBNK"
VERSION = 2
KDF_ARGON2ID = 1
KDF_SCRYPT = 2
_FIELDS = struct.Struct(">8sBBIII16s16s12s")
CHECK_SIZE = 8
HEADER_SIZE = _FIELDS.size + CHECK_SIZE
TAG_SIZE = 16
MIN_KEY_LENGTH = 8
_KEY_CHECK_LABEL = b"ccsoo-exam vault key check v2"

# RFC 9106 section 4, second recommended option: 64 MiB, 3 passes, 4 lanes.
ARGON2_DEFAULT = (64 * 1024, 3, 4)
# Memory KiB, passes, lanes; and a cap on memory x passes, the work a header can demand.
# Worst accepted: 256 MiB x 3 passes x 1 lane (about 1.2 s on a contended 2-core machine).
ARGON2_BOUNDS = ((64 * 1024, 256 * 1024), (3, 6), (1, 8))
ARGON2_MAX_WORK = 256 * 1024 * 3
# log2 N, r, p. Worst accepted: N=2^18, r=8, p=1: 256 MiB (128 * r * N bytes), about 1 s.
SCRYPT_BOUNDS = ((17, 18), (8, 8), (1, 1))


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


def key_check(key: bytes) -> bytes:
    """The 16-byte value that tells a wrong exam key from a damaged file."""
    return hmac.new(key, _KEY_CHECK_LABEL, hashlib.sha256).digest()[:16]


def subkey(key: bytes, label: bytes) -> bytes:
    """A key for another purpose (the proctor PIN secret) derived from a package key."""
    return hmac.new(key, b"ccsoo-exam subkey|" + label, hashlib.sha256).digest()


def encrypt(plaintext: bytes, exam_key: str, params: KdfParams | None = None, cache: KeyCache | None = None) -> bytes:
    """Seal one bank. Pass the same ``params`` for every bank of a package."""
    params = params or new_params()
    _check_bounds(params, "<new bank>")
    key = cache.key_for(params) if cache else derive_key(exam_key, params)
    nonce = os.urandom(12)
    fields = _FIELDS.pack(
        MAGIC, VERSION, params.kdf, params.p1, params.p2, params.p3, params.salt, key_check(key), nonce
    )
    header = fields + _header_check(fields)
    return header + AESGCM(key).encrypt(nonce, plaintext, header)


@dataclass(frozen=True)
class Header:
    params: KdfParams
    key_check: bytes
    nonce: bytes
    raw: bytes


def read_header(blob: bytes, name: str) -> Header:
    """Parse, integrity-check and bounds-check a header, all before any KDF runs."""
    if not blob:
        raise DamagedFileError(Problem(name, None, f"is empty; {_COPY_AGAIN}"))
    if not blob.startswith(MAGIC) and not MAGIC.startswith(blob):
        raise VaultError(Problem(name, None, "not an encrypted ccsoo-exam file (wrong file?)"))
    if len(blob) < len(MAGIC) + 1:
        raise DamagedFileError(Problem(name, None, f"is truncated; {_COPY_AGAIN}"))
    version = blob[len(MAGIC)]
    if version != VERSION:
        raise VaultError(
            Problem(
                name,
                None,
                f"format version {version} is not supported by this ccsoo-exam (expects {VERSION}); "
                "update ccsoo-exam, or re-encrypt the package with 'ccsoo-exam bank encrypt'",
            )
        )
    if len(blob) < HEADER_SIZE + TAG_SIZE:
        raise DamagedFileError(Problem(name, None, f"is truncated; {_COPY_AGAIN}"))
    fields = blob[: _FIELDS.size]
    if not hmac.compare_digest(_header_check(fields), blob[_FIELDS.size : HEADER_SIZE]):
        raise DamagedFileError(Problem(name, None, f"is damaged (its header does not check); {_COPY_AGAIN}"))
    _magic, _version, kdf, p1, p2, p3, salt, check, nonce = _FIELDS.unpack(fields)
    params = KdfParams(kdf, p1, p2, p3, salt)
    _check_bounds(params, name)
    return Header(params, check, nonce, blob[:HEADER_SIZE])


def decrypt(blob: bytes, exam_key: str | None = None, *, name: str = "bank", cache: KeyCache | None = None) -> bytes:
    """Open one sealed file: ``WrongKeyError`` for a wrong key, ``DamagedFileError`` for damage."""
    header = read_header(blob, name)
    if cache is None:
        if exam_key is None:
            raise ValueError("decrypt needs an exam key or a KeyCache")
        cache = KeyCache(exam_key)
    key = cache.key_for(header.params)
    if not hmac.compare_digest(key_check(key), header.key_check):
        raise WrongKeyError(Problem(name, None, "the exam key is wrong; check it and type it again"))
    try:
        return AESGCM(key).decrypt(header.nonce, blob[HEADER_SIZE:], header.raw)
    except InvalidTag:
        raise DamagedFileError(
            Problem(name, None, f"is damaged or was altered (the exam key is right); {_COPY_AGAIN}")
        ) from None


_COPY_AGAIN = "copy it again from the released exam package"


def _header_check(fields: bytes) -> bytes:
    return hashlib.sha256(fields).digest()[:CHECK_SIZE]


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
    within = all(
        low <= value <= high for value, (low, high) in zip((params.p1, params.p2, params.p3), bounds, strict=True)
    )
    if within and params.kdf == KDF_ARGON2ID:
        within = params.p1 * params.p2 <= ARGON2_MAX_WORK
    if not within:
        raise VaultError(
            Problem(
                name,
                None,
                f"key-derivation parameters ({params.describe()}) are outside what ccsoo-exam accepts; "
                "the file is damaged or was tampered with",
            )
        )
