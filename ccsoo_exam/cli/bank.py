"""``ccsoo-exam bank``: validate, lint, inspect, encrypt, decrypt, import and export question banks."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from ccsoo_exam import vault
from ccsoo_exam.bank import Bank, load_bank
from ccsoo_exam.cli.keys import add_key_options, exam_key
from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.lint import lint_banks, summarise
from ccsoo_exam.release import MANIFEST_NAME, Manifest, ReleasedBank, seal_manifest, sealed_digest


def register(commands: argparse._SubParsersAction) -> None:
    bank = commands.add_parser(
        "bank",
        help="author tools for question banks",
        description="Author tools for question banks (YAML sources and encrypted .bank files).",
    )
    sub = bank.add_subparsers(dest="bank_command", metavar="ACTION", required=True)

    p = sub.add_parser(
        "validate",
        help="check bank sources against the format",
        description="Check plaintext bank files against the bank format; every problem is printed as path:line.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser(
        "lint",
        help="find item-writing flaws",
        description=(
            "Validate, then report item-writing flaws: all/none of the above, key-letter balance, "
            "key as longest option, duplicate stems, rationales that skip a distractor, "
            "negative stems without emphasis. Then audit all banks together for structural cues "
            "(test-wise rules and a cross-validated model that pick the key from the options' shape) "
            "and near-duplicate items; see docs/formats.md. Exit 1 when anything fails."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    _add_format(p)
    p.set_defaults(handler=cmd_lint)

    p = sub.add_parser(
        "inspect",
        help="summarise banks",
        description=(
            "Show each bank's item counts by topic, difficulty and kind, its key balance, "
            "a summary of the structural-cue audit and the topic coverage over all banks given."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    _add_format(p)
    p.set_defaults(handler=cmd_inspect)

    p = sub.add_parser(
        "encrypt",
        help="encrypt bank sources for delivery",
        description=(
            "Validate and encrypt bank sources. Several sources encrypted together share one key derivation, "
            "so the package opens with one KDF run. DEST is a file for one source, a directory for several. "
            f"When DEST is a directory, {MANIFEST_NAME} is written there too: the release manifest, sealed under "
            "the exam key, that pins exactly these banks; the exam refuses any bank it does not list. Encrypt "
            "every bank of a release in one command, e.g. "
            "'ccsoo-exam bank encrypt question_banks/source/module*.yaml -o question_banks/ "
            "--key-file question_banks/demo.key'."
        ),
    )
    p.add_argument("sources", nargs="+", metavar="SRC")
    p.add_argument("-o", "--output", required=True, metavar="DEST")
    p.add_argument(
        "--package",
        metavar="ID",
        help="package id for the manifest (default: the 'exam' id of DEST/exam.yaml)",
    )
    p.add_argument(
        "--release",
        metavar="VERSION",
        help="release version for the manifest (default: the current UTC time, e.g. 2026-12-01T11:20Z)",
    )
    p.add_argument(
        "--kdf",
        choices=("argon2id", "scrypt"),
        default="argon2id",
        help="key derivation (default argon2id, 64 MiB, 3 passes)",
    )
    add_key_options(p)
    p.set_defaults(handler=cmd_encrypt)

    p = sub.add_parser(
        "decrypt",
        help="decrypt a bank",
        description="Decrypt an encrypted bank and write its YAML to DEST, or to standard output without -o.",
    )
    p.add_argument("source", metavar="SRC")
    p.add_argument("-o", "--output", metavar="DEST")
    add_key_options(p)
    p.set_defaults(handler=cmd_decrypt)

    p = sub.add_parser(
        "import",
        help="bring items in from QTI, Moodle XML, GIFT or Aiken",
        description=(
            "Read QTI 2.1/2.2/3.0 items, QTI content packages (imsmanifest.xml, its directory or a .zip), "
            "Moodle XML, GIFT and Aiken files and write their single-answer multiple-choice questions with "
            "3 to 5 options as one bank source. Every other question is reported (file and identifier) and "
            "skipped. Fields the sources lack are written as 'TODO:' placeholders, which 'bank validate' "
            "refuses until an author fills them in. See docs/formats.md."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-o", "--output", required=True, metavar="BANK.yaml", help="the bank source to write")
    p.add_argument("--bank", metavar="ID", help="bank id (default: from the output file name)")
    p.add_argument("--module", type=int, metavar="N", help="module number 1-5 (default: a placeholder)")
    p.add_argument("--title", metavar="TEXT", help="module title (default: a placeholder)")
    p.add_argument("--force", action="store_true", help="replace BANK.yaml if it exists")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser(
        "export",
        help="write a bank as QTI 3.0, QTI 2.1, Moodle XML or GIFT",
        description=(
            "Validate a bank source and write it for another system: qti3 or qti21 (a content package: "
            "a directory, or a .zip when OUT ends in .zip), moodle (one Moodle XML file) or gift (one file). "
            "'bank import' reads every one of them back to the same ids, stems, options, keys and rationales."
        ),
    )
    p.add_argument("bank_file", metavar="BANK.yaml")
    p.add_argument("--format", required=True, choices=("qti3", "qti21", "moodle", "gift"))
    p.add_argument("-o", "--output", required=True, metavar="OUT")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.set_defaults(handler=cmd_export)


def _add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or json on standard output for scripts",
    )


def _load_all(files: list[str]) -> tuple[list[Bank], list[Problem]]:
    banks, problems = [], []
    for path in files:
        try:
            banks.append(load_bank(path))
        except CcsooError as error:
            problems.extend(error.problems)
    return banks, problems


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    banks, problems = _load_all(args.files)
    _report(problems)
    for bank in banks:
        print(f"{bank.path}: ok, bank {bank.id}, module {bank.module}, {len(bank.items)} items")
    return 2 if problems else 0


def cmd_lint(args: argparse.Namespace) -> int:
    banks, problems = _load_all(args.files)
    if problems:
        # An audit of the banks that did load would judge a different set than the author asked for.
        _report(problems)
        return 2
    from ccsoo_exam.cli import cue_report
    from ccsoo_exam.cue_audit import as_dict  # numpy and the cue model: only for lint and inspect

    flaws, audit = lint_banks(banks)
    status = 1 if flaws or audit.failures else 0
    if args.format == "json":
        report = {"flaws": [_plain(f) for f in flaws], "audit": as_dict(audit), "passed": status == 0}
        print(json.dumps(report, indent=2))
        return status
    _report(flaws + audit.failures + audit.warnings)
    if audit.guidance:
        print("guidance: items whose shape feeds a failing rule, and the cue in each", file=sys.stderr)
        _report(audit.guidance)
    for line in cue_report.render(audit):
        print(line)
    for bank in banks:
        count = sum(f.path == bank.path for f in flaws)
        print(f"{bank.path}: {count} flaw{'s' if count != 1 else ''} in {len(bank.items)} items")
    failed = len(audit.failures)
    print(f"audit: {failed} failure{'s' if failed != 1 else ''}, {len(audit.warnings)} warnings")
    return status


def _plain(problem: Problem) -> dict[str, object]:
    return {"path": problem.path, "line": problem.line, "message": problem.message}


def cmd_inspect(args: argparse.Namespace) -> int:
    from ccsoo_exam.cli import cue_report
    from ccsoo_exam.cue_audit import as_dict, run_audit

    banks, problems = _load_all(args.files)
    _report(problems)
    if args.format == "json":
        audit = run_audit(banks)
        data = {
            "banks": [_summary_dict(bank) for bank in banks],
            "topics": dict(Counter(i.topic for b in banks for i in b.items).most_common()),
            "audit": as_dict(audit),
        }
        print(json.dumps(data, indent=2))
        return 2 if problems else 0
    for bank in banks:
        s = summarise(bank)
        print(f"{bank.path}: bank {s.bank}, module {s.module}, {s.items} items")
        print("  difficulty: " + ", ".join(f"{k} {v}" for k, v in s.by_difficulty.items()))
        print("  kind:       " + ", ".join(f"{k} {v}" for k, v in s.by_kind.items()))
        print("  keys:       " + ", ".join(f"{k} {v} ({v / s.items:.0%})" for k, v in s.keys.items()))
        print(f"  key is the uniquely longest option in {s.key_longest} items ({s.key_longest / s.items:.0%})")
        print("  topics:")
        for topic, count in s.by_topic.items():
            print(f"    {count:3d}  {topic}")
    if banks:
        for line in cue_report.render(run_audit(banks), full=False):
            print(line)
        _print_coverage(banks)
    return 2 if problems else 0


def _summary_dict(bank: Bank) -> dict[str, object]:
    s = summarise(bank)
    return {
        "path": bank.path,
        "bank": s.bank,
        "module": s.module,
        "items": s.items,
        "difficulty": s.by_difficulty,
        "kind": s.by_kind,
        "keys": s.keys,
        "key_longest": s.key_longest,
        "topics": s.by_topic,
    }


def _print_coverage(banks: list[Bank]) -> None:
    """Topics over all banks, with the modules that cover each: where the blueprint is thin."""
    modules: dict[str, Counter[int]] = {}
    for bank in banks:
        for item in bank.items:
            modules.setdefault(item.topic, Counter())[bank.module] += 1
    total = sum(len(b.items) for b in banks)
    print(f"coverage by topic over all banks ({len(modules)} topics, {total} items):")
    for topic, per_module in sorted(modules.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        where = ", ".join(f"M{m} {c}" for m, c in sorted(per_module.items()))
        print(f"  {sum(per_module.values()):3d}  {topic}  ({where})")


def cmd_encrypt(args: argparse.Namespace) -> int:
    key = exam_key(args)
    _banks, problems = _load_all(args.sources)
    if problems:
        _report(problems)
        print("nothing encrypted: fix the problems above first", file=sys.stderr)
        return 2
    dest = Path(args.output)
    if len(args.sources) > 1 and not dest.is_dir():
        raise CcsooError(Problem(args.output, None, "with several sources, -o must be an existing directory"))
    manifest_package = _manifest_package(args, dest) if dest.is_dir() else None
    kdf = vault.KDF_ARGON2ID if args.kdf == "argon2id" else vault.KDF_SCRYPT
    params = vault.new_params(kdf)
    cache = vault.KeyCache(key)
    released: list[ReleasedBank] = []
    for source, bank in zip(args.sources, _banks, strict=True):
        target = dest / (Path(source).stem + ".bank") if dest.is_dir() else dest
        sealed = vault.encrypt(Path(source).read_bytes(), key, params, cache)
        _write_atomically(target, sealed)
        released.append(ReleasedBank(target.name, bank.id, bank.module, sealed_digest(sealed)))
        print(f"{source} -> {target}")
    if manifest_package is not None:
        version = args.release or datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
        manifest = Manifest(manifest_package, version, tuple(released))
        _write_atomically(dest / MANIFEST_NAME, seal_manifest(manifest, key, params, cache))
        print(f"release manifest -> {dest / MANIFEST_NAME} (package {manifest_package}, release {version})")
    print(f"key derivation: {params.describe()}")
    return 0


def _manifest_package(args: argparse.Namespace, dest: Path) -> str:
    if args.package:
        return str(args.package)
    exam_file = dest / "exam.yaml"
    if not exam_file.is_file():
        raise CcsooError(
            Problem(str(exam_file), None, "not found: pass --package ID to name the package in the release manifest")
        )
    from ccsoo_exam.exam import load_exam

    return load_exam(str(exam_file)).exam


def cmd_decrypt(args: argparse.Namespace) -> int:
    key = exam_key(args)
    from ccsoo_exam.inputs import read_input
    from ccsoo_exam.package import MAX_BANK_BYTES

    blob = read_input(args.source, MAX_BANK_BYTES, what="encrypted bank")
    plaintext = vault.decrypt(blob, key, name=args.source)
    if args.output:
        _write_atomically(Path(args.output), plaintext)
    else:
        sys.stdout.buffer.write(plaintext)
        sys.stdout.flush()
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ccsoo_exam.bank import BANK_ID
    from ccsoo_exam.interchange import bank_source, read_files

    target = Path(args.output)
    bank_id = args.bank or re.sub(r"[^a-z0-9-]+", "-", target.stem.lower()).strip("-")[:40] or "imported"
    if not BANK_ID.fullmatch(bank_id):
        raise CcsooError(Problem(args.output, None, f"bank id '{bank_id}' is not valid; give --bank, e.g. ccsoo-m6"))
    if args.module is not None and not 1 <= args.module <= 5:
        raise CcsooError(Problem(args.output, None, f"--module must be 1-5, not {args.module}"))
    if target.exists() and not args.force:
        raise CcsooError(Problem(args.output, None, "exists; give another -o, or --force to replace it"))
    reading = read_files(args.files)
    for note in reading.notes:
        print(note, file=sys.stderr)
    skipped = sum(n.skipped for n in reading.notes)
    if not reading.questions:
        raise CcsooError(
            Problem(
                args.output, None, f"nothing to import: no single-answer question with 3-5 options ({skipped} skipped)"
            )
        )
    text, ids = bank_source(
        reading, bank_id=bank_id, module=args.module, title=args.title, origins=[Path(f).name for f in args.files]
    )
    for question, item_id in zip(reading.questions, ids, strict=True):
        if question.identifier and question.identifier != item_id:
            # Not a valid item id, or already taken by an earlier question.
            print(f"{question.path}: question '{question.identifier}': note: its item id is {item_id}", file=sys.stderr)
    _write_atomically(target, text.encode("utf-8"))
    print(
        f"{args.output}: {len(reading.questions)} items imported, {skipped} questions skipped; "
        "fill in the 'TODO:' placeholders, then run 'ccsoo-exam bank validate'"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ccsoo_exam.interchange import export, zip_package

    bank = load_bank(args.bank_file)
    files = export(bank, args.format)
    target = Path(args.output)
    if target.exists() and not args.force and not (target.is_dir() and not any(target.iterdir())):
        raise CcsooError(Problem(args.output, None, "exists; give another -o, or --force to replace it"))
    if "" in files:
        _write_atomically(target, files[""])
    elif target.suffix.lower() == ".zip":
        _write_atomically(target, zip_package(files))
    else:
        try:
            (target / "items").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CcsooError(Problem(args.output, None, f"cannot create the directory: {exc.strerror}")) from None
        for name, data in files.items():
            _write_atomically(target / name, data)
    count = len(bank.items)
    print(f"{args.bank_file} -> {args.output}: {count} items as {args.format}")
    return 0


def _write_atomically(target: Path, data: bytes) -> None:
    # Write beside the target and rename, so an interrupted run never leaves half a bank.
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CcsooError(
            Problem(str(target), None, f"cannot write: {exc.strerror}; check the directory exists and is writable")
        ) from None
