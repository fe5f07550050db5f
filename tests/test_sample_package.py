"""The shipped sample package: encrypted banks match their sources and open as one package."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccsoo_exam import vault
from ccsoo_exam.errors import CcsooError
from ccsoo_exam.exam import load_exam
from ccsoo_exam.form import assemble_form
from ccsoo_exam.package import open_banks
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
    with pytest.raises(CcsooError, match="exam key is wrong"):
        open_banks(package.definition, "wrong key entirely")


def test_swapped_bank_file_is_detected(tmp_path: Path) -> None:
    for name in ("exam.yaml", "module1.bank", "module2.bank", "module3.bank", "module4.bank", "module5.bank"):
        (tmp_path / name).write_bytes((BANKS / name).read_bytes())
    (tmp_path / "module1.bank").write_bytes((BANKS / "module2.bank").read_bytes())
    with pytest.raises(CcsooError, match="expects 'ccsoo-m1'"):
        open_banks(load_exam(str(tmp_path / "exam.yaml")), DEMO_KEY)


def test_missing_bank_file(tmp_path: Path) -> None:
    (tmp_path / "exam.yaml").write_bytes((BANKS / "exam.yaml").read_bytes())
    with pytest.raises(CcsooError, match=r"module1\.bank: file not found"):
        open_banks(load_exam(str(tmp_path / "exam.yaml")), DEMO_KEY)
