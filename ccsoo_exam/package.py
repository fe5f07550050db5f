"""The exam package: the definition plus its encrypted banks, opened with the exam key.

Decrypted YAML stays in memory; the KDF runs once for all banks that share parameters.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ccsoo_exam.bank import Bank, bank_from_bytes
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.exam import ExamDefinition
from ccsoo_exam.inputs import read_input
from ccsoo_exam.safeyaml import MAX_BYTES
from ccsoo_exam.vault import KeyCache, decrypt

# An encrypted bank is its YAML plus a small header and the AEAD tag.
MAX_BANK_BYTES = MAX_BYTES + 64 * 1024


@dataclass(frozen=True)
class ExamPackage:
    definition: ExamDefinition
    banks: dict[str, Bank]
    fingerprint: str  # SHA-256 over the bank plaintexts: which content a sitting used
    kdf_runs: int


def open_banks(definition: ExamDefinition, exam_key: str) -> ExamPackage:
    cache = KeyCache(exam_key)
    banks: dict[str, Bank] = {}
    digest = hashlib.sha256()
    problems: list[Problem] = []
    for entry in definition.blueprint:
        path = definition.bank_path(entry)
        try:
            blob = read_input(path, MAX_BANK_BYTES, what="encrypted bank")
        except CcsooError as error:
            problems.extend(error.problems)
            continue
        plaintext = decrypt(blob, name=str(path), cache=cache)  # wrong key: stop at the first bank
        bank = bank_from_bytes(plaintext, str(path))
        if bank.id != entry.bank or bank.module != entry.module:
            problems.append(
                Problem(
                    str(path),
                    None,
                    f"holds bank '{bank.id}' (module {bank.module}) "
                    f"but the blueprint expects '{entry.bank}' (module {entry.module}); check the package",
                )
            )
            continue
        digest.update(hashlib.sha256(plaintext).digest())
        banks[bank.id] = bank
    if problems:
        raise CcsooError(problems)
    return ExamPackage(definition, banks, digest.hexdigest(), cache.derivations)
