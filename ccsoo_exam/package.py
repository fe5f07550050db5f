"""The exam package: the definition plus its encrypted banks, opened with the exam key.

Decrypted YAML stays in memory; the KDF runs once for all banks that share parameters.
The release manifest (``release.py``) decides which sealed files are the package's banks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ccsoo_exam.bank import Bank, bank_from_bytes
from ccsoo_exam.errors import CcsooError, Problem, VaultError, WrongKeyError
from ccsoo_exam.exam import ExamDefinition
from ccsoo_exam.form import assemble_form, form_model
from ccsoo_exam.inputs import read_input
from ccsoo_exam.release import MANIFEST_NAME, Manifest, open_manifest, sealed_digest
from ccsoo_exam.safeyaml import MAX_BYTES
from ccsoo_exam.vault import KeyCache, decrypt, read_header, subkey

# An encrypted bank is its YAML plus a small header and the AEAD tag.
MAX_BANK_BYTES = MAX_BYTES + 64 * 1024


@dataclass(frozen=True)
class ExamPackage:
    definition: ExamDefinition
    banks: dict[str, Bank]
    fingerprint: str  # SHA-256 over the bank plaintexts: which content a sitting used
    kdf_runs: int
    release: str = ""  # the manifest's release version
    # Keys the proctor PIN hash and resume codes; derived from the exam key, never stored.
    proctor_secret: bytes = field(default=b"", repr=False)


def open_banks(definition: ExamDefinition, exam_key: str) -> ExamPackage:
    """Open a released package: its manifest first, then each bank the manifest pins.

    The manifest answers "is the key right?" (``WrongKeyError``) before any bank is read,
    so every later failure is about one named file: missing, damaged, or not the released one.
    """
    cache = KeyCache(exam_key)
    manifest, secret = _open_release(definition, cache)
    manifest_path = definition.directory / MANIFEST_NAME
    if manifest.package != definition.exam:
        raise CcsooError(
            Problem(
                str(manifest_path),
                None,
                f"is the release of package '{manifest.package}', not of exam '{definition.exam}'; "
                "use the exam definition and banks of one release",
            )
        )
    banks: dict[str, Bank] = {}
    digest = hashlib.sha256()
    problems: list[Problem] = []
    for entry in definition.blueprint:
        path = definition.bank_path(entry)
        released = manifest.entry(entry.file)
        if released is None or released.bank != entry.bank or released.module != entry.module:
            problems.append(
                Problem(
                    str(path),
                    None,
                    f"release {manifest.version} of '{manifest.package}' has no bank '{entry.bank}' "
                    f"(module {entry.module}) in {entry.file}; use the exam definition of this release",
                )
            )
            continue
        try:
            blob = _read(path, "encrypted bank")
        except CcsooError as error:
            problems.extend(error.problems)
            continue
        if sealed_digest(blob) != released.sha256:
            problems.append(_not_released(blob, str(path), cache, manifest))
            continue
        plaintext = decrypt(blob, name=str(path), cache=cache)
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
    return ExamPackage(definition, banks, digest.hexdigest(), cache.derivations, manifest.version, secret)


def proctor_secret(definition: ExamDefinition, exam_key: str) -> bytes:
    """The package's proctor secret, for ``admin resume-code``: one KDF run, no bank opened."""
    return _open_release(definition, KeyCache(exam_key))[1]


def _open_release(definition: ExamDefinition, cache: KeyCache) -> tuple[Manifest, bytes]:
    path = definition.directory / MANIFEST_NAME
    blob = _read(path, "release manifest")
    manifest = open_manifest(blob, str(path), cache)
    secret = subkey(cache.key_for(read_header(blob, str(path)).params), PROCTOR_LABEL)
    return manifest, secret


PROCTOR_LABEL = b"proctor PIN and resume codes"


def _read(path: Path, what: str) -> bytes:
    # Regular files only, under the size cap: a FIFO in the package would block the unlock.
    if not path.exists() and not path.is_symlink():
        raise CcsooError(Problem(str(path), None, f"{what} not found; copy the complete released exam package"))
    return read_input(path, MAX_BANK_BYTES, what=what)


def _not_released(blob: bytes, name: str, cache: KeyCache, manifest: Manifest) -> Problem:
    """Why a bank whose bytes differ from the manifest was refused: damaged, or another bank."""
    try:
        decrypt(blob, name=name, cache=cache)
    except WrongKeyError:
        return Problem(
            name, None, f"was not sealed for release {manifest.version} (another exam key); {_COPY_RELEASED}"
        )
    except VaultError as error:
        return error.problems[0]
    return Problem(
        name,
        None,
        f"is not the bank released in {manifest.version} (it opens, but its contents differ from "
        f"{MANIFEST_NAME}); {_COPY_RELEASED}",
    )


_COPY_RELEASED = "copy the released exam package again"


def package_problems(package: ExamPackage, seeds: int = 5) -> list[Problem]:
    """What stops this definition from delivering forms from this package (empty when it can).

    ``ccsoo-exam exam validate`` runs it whole. ``sit`` runs ``share_problems`` at unlock and
    ``form_problems`` while the proctor checks the candidate in, before any sitting is created.
    Messages name banks and counts only, never item content.
    """
    return share_problems(package) or form_problems(package, seeds)


def share_problems(package: ExamPackage) -> list[Problem]:
    """Every blueprint share fits its released bank, and the cut fits the form: counts only, no solver."""
    d = package.definition
    problems: list[Problem] = []
    for entry in d.blueprint:
        bank = package.banks.get(entry.bank)
        if bank is None:
            problems.append(Problem(d.path, entry.line or None, f"bank '{entry.bank}' is not in the package"))
        elif len(bank.items) < entry.items:
            problems.append(
                Problem(
                    d.path,
                    entry.line or None,
                    f"the blueprint draws {entry.items} items from bank '{entry.bank}', which holds "
                    f"{len(bank.items)}; lower 'items' (and item_count) or release a larger bank",
                )
            )
    if d.cut_score > d.item_count:
        problems.append(Problem(d.path, None, f"'cut_score' {d.cut_score} is more than the {d.item_count} items"))
    return problems


def form_problems(package: ExamPackage, seeds: int = 5) -> list[Problem]:
    """Forms of seeds 1..``seeds`` assemble under every rule (the MIP; about a second with the solver's import).

    One assembly model serves every seed. Run it after ``share_problems`` has passed.
    """
    d = package.definition
    try:
        model = form_model(d, package.banks)
        for seed in range(1, seeds + 1):
            form = assemble_form(d, package.banks, seed, model=model)
            if len(form.items) != d.item_count:
                return [Problem(d.path, None, f"a form has {len(form.items)} items but 'item_count' is {d.item_count}")]
    except CcsooError as error:
        return list(error.problems)
    return []
