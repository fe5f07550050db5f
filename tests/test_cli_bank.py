"""The author CLI as a user runs it: exit codes, stderr lines, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ccsoo_exam.cli import build_parser, main
from tests.conftest import bank_yaml

KEY = "author key for tests"


def run(
    *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    import os

    full_env = {**os.environ, **(env or {})}
    full_env.pop("CCSOO_EXAM_KEY", None) if env is None else None
    return subprocess.run([sys.executable, "-m", "ccsoo_exam", *args], capture_output=True, env=full_env, timeout=120)


def test_every_command_has_help_text() -> None:
    parser = build_parser()
    seen = 0
    stack = [parser]
    while stack:
        current = stack.pop()
        for action in current._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for name, sub in action.choices.items():
                    assert sub.description, f"'{sub.prog}' has no description"
                    helps = {a.dest: a.help for a in action._choices_actions}
                    assert helps.get(name), f"'{sub.prog}' has no one-line help"
                    stack.append(sub)
                    seen += 1
    assert seen >= 6


def test_validate_ok_and_bad(write, capsys) -> None:
    good = write("good.yaml", bank_yaml(count=4))
    bad = write("bad.yaml", "bank: x\n")
    assert main(["bank", "validate", good]) == 0
    assert "ok, bank ccsoo-m1, module 1, 4 items" in capsys.readouterr().out
    assert main(["bank", "validate", good, bad]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1: the bank is missing required field 'module'" in err


def test_lint_exit_status(write, capsys) -> None:
    clean = write("clean.yaml", bank_yaml(count=20))
    assert main(["bank", "lint", clean]) == 0
    flawed = write("flawed.yaml", bank_yaml(count=20).replace("Response D for case 003", "None of the above"))
    assert main(["bank", "lint", flawed]) == 1
    assert "'None of the above'" in capsys.readouterr().err


def test_inspect(write, capsys) -> None:
    assert main(["bank", "inspect", write("b.yaml", bank_yaml(count=8))]) == 0
    out = capsys.readouterr().out
    assert "keys:       A 2 (25%), B 2 (25%), C 2 (25%), D 2 (25%)" in out
    assert "8  Strategy" in out


def test_encrypt_decrypt_round_trip_through_the_real_command(write, tmp_path: Path) -> None:
    src = write("m1.yaml", bank_yaml(count=3))
    key_file = write("exam.key", KEY + "\n")
    dest = str(tmp_path / "m1.bank")
    result = run("bank", "encrypt", src, "-o", dest, "--key-file", key_file)
    assert result.returncode == 0, result.stderr
    assert b"Argon2id, 64 MiB, 3 passes" in result.stdout
    assert b"ccsoo-m1" not in Path(dest).read_bytes()
    out = run("bank", "decrypt", dest, env={"CCSOO_EXAM_KEY": KEY})
    assert out.returncode == 0 and out.stdout == Path(src).read_bytes()
    wrong = run("bank", "decrypt", dest, env={"CCSOO_EXAM_KEY": "a different key"})
    assert wrong.returncode == 2
    assert wrong.stdout == b""
    assert wrong.stderr.decode().strip() == f"{dest}: the exam key is wrong; check it and type it again"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"CCSOO", "truncated"), (b"hello world, not a bank at all" * 3, "not an encrypted")],
)
def test_decrypt_damaged_files(write, content: bytes, message: str) -> None:
    path = write("x.bank", content)
    result = run("bank", "decrypt", path, env={"CCSOO_EXAM_KEY": KEY})
    assert result.returncode == 2 and message in result.stderr.decode()
    assert b"Traceback" not in result.stderr and len(result.stderr.decode().strip().splitlines()) == 1


def test_encrypt_refuses_invalid_source_and_missing_key(write, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("CCSOO_EXAM_KEY", raising=False)
    src = write("m1.yaml", bank_yaml(count=2))
    assert main(["bank", "encrypt", src, "-o", str(tmp_path / "x.bank")]) == 2
    assert "no exam key" in capsys.readouterr().err
    bad = write("bad.yaml", "bank: x\n")
    monkeypatch.setenv("CCSOO_EXAM_KEY", KEY)
    assert main(["bank", "encrypt", bad, "-o", str(tmp_path / "x.bank")]) == 2
    assert "nothing encrypted" in capsys.readouterr().err
    assert not (tmp_path / "x.bank").exists()


def test_missing_file_messages(capsys, monkeypatch) -> None:
    monkeypatch.setenv("CCSOO_EXAM_KEY", KEY)
    assert main(["bank", "decrypt", "/nonexistent/x.bank"]) == 2
    assert "/nonexistent/x.bank: file not found" in capsys.readouterr().err
    assert main(["bank", "validate", "/nonexistent/x.yaml"]) == 2


def test_encrypting_into_a_directory_writes_the_release_manifest(write, tmp_path: Path, capsys) -> None:
    from ccsoo_exam.exam import load_exam
    from ccsoo_exam.package import open_banks

    folder = tmp_path / "package"
    folder.mkdir()
    exam = (
        "exam: ccsoo-mini\ntitle: Mini\nduration_minutes: 10\nitem_count: 4\n"
        "blueprint:\n  - {bank: ccsoo-m1, module: 1, file: m1.bank, items: 2}\n"
        "  - {bank: ccsoo-m2, module: 2, file: m2.bank, items: 2}\n"
        "cut_score: 2\ntime_warnings: [5]\nnavigation: free\nshuffle_options: true\nshow_score: true\n"
    )
    (folder / "exam.yaml").write_text(exam)
    sources = [write("m1.yaml", bank_yaml("ccsoo-m1", 1, 3)), write("m2.yaml", bank_yaml("ccsoo-m2", 2, 3))]
    key_file = write("exam.key", KEY)
    assert main(["bank", "encrypt", *sources, "-o", str(folder), "--key-file", key_file, "--release", "r1"]) == 0
    assert "release manifest -> " in capsys.readouterr().out
    package = open_banks(load_exam(str(folder / "exam.yaml")), KEY)
    assert package.release == "r1" and sorted(package.banks) == ["ccsoo-m1", "ccsoo-m2"] and package.kdf_runs == 1
    # Without exam.yaml in DEST and without --package, the manifest cannot name its package.
    bare = tmp_path / "bare"
    bare.mkdir()
    assert main(["bank", "encrypt", *sources, "-o", str(bare), "--key-file", key_file]) == 2
    assert "pass --package ID" in capsys.readouterr().err
