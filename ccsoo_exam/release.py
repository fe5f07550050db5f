"""The release manifest: which sealed banks make up one released exam package.

Every bank sealed under an exam key opens with that key, so the key alone cannot tell the
released ``module3.bank`` from another bank encrypted under the same key (an old draft,
a copy from another release, a file an insider made). The manifest pins them: package id
and release version, and each bank's file name, bank id, module and the SHA-256 of its
sealed file. It is itself sealed by the vault under the same key and KDF parameters, so it
is authenticated under the exam key and costs no extra KDF run; a forged manifest fails
the vault's tag exactly as a forged bank does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.vault import KdfParams, KeyCache, decrypt, encrypt

MANIFEST_NAME = "release.manifest"
FORMAT = "ccsoo-release-1"


@dataclass(frozen=True)
class ReleasedBank:
    file: str
    bank: str
    module: int
    sha256: str  # of the sealed file's bytes, checked before decrypting it


@dataclass(frozen=True)
class Manifest:
    package: str
    version: str
    banks: tuple[ReleasedBank, ...]

    def entry(self, file: str) -> ReleasedBank | None:
        return next((b for b in self.banks if b.file == file), None)


def sealed_digest(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def seal_manifest(manifest: Manifest, exam_key: str, params: KdfParams, cache: KeyCache | None = None) -> bytes:
    body = {
        "format": FORMAT,
        "package": manifest.package,
        "version": manifest.version,
        "banks": [{"file": b.file, "bank": b.bank, "module": b.module, "sha256": b.sha256} for b in manifest.banks],
    }
    text = json.dumps(body, sort_keys=True, indent=1, ensure_ascii=True)
    return encrypt(text.encode(), exam_key, params, cache)


def open_manifest(blob: bytes, name: str, cache: KeyCache) -> Manifest:
    """Authenticate and parse a manifest; a wrong key or damage raises the vault's errors."""
    plaintext = decrypt(blob, name=name, cache=cache)
    try:
        body = json.loads(plaintext)
        if body.get("format") != FORMAT:
            raise ValueError(body.get("format"))
        banks = tuple(
            ReleasedBank(str(b["file"]), str(b["bank"]), int(b["module"]), str(b["sha256"])) for b in body["banks"]
        )
        return Manifest(str(body["package"]), str(body["version"]), banks)
    except (ValueError, KeyError, TypeError, AttributeError):
        # Authentic (it opened under the exam key) but not a manifest this version understands.
        raise CcsooError(
            Problem(name, None, "is not a release manifest this ccsoo-exam understands; update ccsoo-exam")
        ) from None
