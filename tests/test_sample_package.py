"""The shipped sample package: encrypted banks match their sources and open as one package."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccsoo_exam import release, vault
from ccsoo_exam.errors import CcsooError, WrongKeyError
from ccsoo_exam.exam import load_exam
from ccsoo_exam.form import assemble_form
from ccsoo_exam.package import open_banks
from ccsoo_exam.release import MANIFEST_NAME
from tests.conftest import DEMO_KEY, ROOT

BANKS = ROOT / "question_banks"


@pytest.fixture(scope="module")
def package():
    return open_banks(load_exam(str(BANKS / "exam.yaml")), DEMO_KEY)


def test_encrypted_banks_decrypt_to_exactly_their_sources() -> None:
    cache = vault.KeyCache(DEMO_KEY)
    sources = sorted((BANKS / "source").glob("module*.yaml"))
    assert len(sources) == 5
    for source in sources:
        sealed = (BANKS / f"{source.stem}.bank").read_bytes()
        assert vault.decrypt(sealed, cache=cache) == source.read_bytes(), f"{source.name}: re-encrypt the bank"
    assert cache.derivations == 1, "banks of one package must share KDF parameters"


def test_package_opens_with_one_kdf_run_and_draws_a_full_form(package) -> None:
    assert package.kdf_runs == 1
    assert sorted(package.banks) == [f"ccsoo-m{m}" for m in range(1, 6)]
    form = assemble_form(package.definition, package.banks, 99)
    assert len(form.items) == 80


def test_wrong_demo_key_is_refused(package) -> None:
    with pytest.raises(WrongKeyError, match="exam key is wrong"):
        open_banks(package.definition, "wrong key entirely")


def _copy_package(tmp_path: Path) -> Path:
    for name in ("exam.yaml", MANIFEST_NAME, *(f"module{m}.bank" for m in range(1, 6))):
        (tmp_path / name).write_bytes((BANKS / name).read_bytes())
    return tmp_path / "exam.yaml"


def test_swapped_bank_file_is_detected(tmp_path: Path) -> None:
    exam = _copy_package(tmp_path)
    (tmp_path / "module1.bank").write_bytes((BANKS / "module2.bank").read_bytes())
    with pytest.raises(CcsooError, match=r"module1.bank: is not the bank released in"):
        open_banks(load_exam(str(exam)), DEMO_KEY)


def test_a_bank_sealed_separately_under_the_same_key_is_refused_and_named(tmp_path: Path) -> None:
    """The attack: the same exam key opens any bank sealed with it; only the manifest pins the released one."""
    exam = _copy_package(tmp_path)
    source = (BANKS / "source" / "module3.yaml").read_text(encoding="utf-8")
    doctored = source.replace("key: A", "key: B", 1).encode()
    params = vault.read_header((BANKS / "module3.bank").read_bytes(), "m3").params  # same salt: one KDF run
    (tmp_path / "module3.bank").write_bytes(vault.encrypt(doctored, DEMO_KEY, params))
    with pytest.raises(CcsooError) as info:
        open_banks(load_exam(str(exam)), DEMO_KEY)
    assert [str(p).split(": ", 1)[0] for p in info.value.problems] == [str(tmp_path / "module3.bank")]
    assert "is not the bank released in" in str(info.value)


def test_a_bank_sealed_under_another_key_is_named_not_blamed_on_the_key(tmp_path: Path) -> None:
    exam = _copy_package(tmp_path)
    (tmp_path / "module2.bank").write_bytes(vault.encrypt(b"bank: x\n", "another exam key"))
    with pytest.raises(CcsooError, match=r"module2.bank: was not sealed for release .* \(another exam key\)") as info:
        open_banks(load_exam(str(exam)), DEMO_KEY)
    assert not isinstance(info.value, WrongKeyError)


def test_a_damaged_bank_is_damaged_not_a_wrong_key(tmp_path: Path) -> None:
    exam = _copy_package(tmp_path)
    blob = bytearray((BANKS / "module3.bank").read_bytes())
    blob[len(blob) // 2] ^= 0x40
    (tmp_path / "module3.bank").write_bytes(bytes(blob))
    with pytest.raises(CcsooError) as info:
        open_banks(load_exam(str(exam)), DEMO_KEY)
    assert not isinstance(info.value, WrongKeyError)
    assert str(info.value) == (
        f"{tmp_path / 'module3.bank'}: is damaged or was altered (the exam key is right); "
        "copy it again from the released exam package"
    )


def test_manifest_missing_forged_or_for_another_package(tmp_path: Path) -> None:
    exam = _copy_package(tmp_path)
    (tmp_path / MANIFEST_NAME).unlink()
    with pytest.raises(CcsooError, match="release manifest not found"):
        open_banks(load_exam(str(exam)), DEMO_KEY)
    # A manifest listing a substituted bank's digest, sealed under another key, does not authenticate.
    params = vault.read_header((BANKS / "module1.bank").read_bytes(), "m1").params
    other = release.Manifest("ccsoo-written-2026", "forged", ())
    (tmp_path / MANIFEST_NAME).write_bytes(release.seal_manifest(other, "an attacker's own key", params))
    with pytest.raises(WrongKeyError):
        open_banks(load_exam(str(exam)), DEMO_KEY)
    # Authentic, but the release of another exam.
    (tmp_path / MANIFEST_NAME).write_bytes(
        release.seal_manifest(release.Manifest("another-exam", "1", ()), DEMO_KEY, params)
    )
    with pytest.raises(CcsooError, match="is the release of package 'another-exam'"):
        open_banks(load_exam(str(exam)), DEMO_KEY)


def test_a_bank_the_manifest_does_not_list_is_refused(tmp_path: Path) -> None:
    exam = _copy_package(tmp_path)
    text = (tmp_path / "exam.yaml").read_text().replace("file: module5.bank", "file: module5-new.bank")
    (tmp_path / "exam.yaml").write_text(text)
    (tmp_path / "module5-new.bank").write_bytes((BANKS / "module5.bank").read_bytes())
    with pytest.raises(CcsooError, match=r"module5-new.bank: release .* has no bank 'ccsoo-m5'"):
        open_banks(load_exam(str(exam)), DEMO_KEY)


def test_missing_bank_file(tmp_path: Path) -> None:
    (tmp_path / "exam.yaml").write_bytes((BANKS / "exam.yaml").read_bytes())
    (tmp_path / MANIFEST_NAME).write_bytes((BANKS / MANIFEST_NAME).read_bytes())
    with pytest.raises(CcsooError, match="encrypted bank not found"):
        open_banks(load_exam(str(tmp_path / "exam.yaml")), DEMO_KEY)
