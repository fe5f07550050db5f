"""Where the CLI finds the exam key: --key-file, else CCSOO_EXAM_KEY."""

from __future__ import annotations

import argparse
import os

from ccsoo_exam.errors import CcsooError, Problem

ENV_KEY = "CCSOO_EXAM_KEY"


def add_key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key-file",
        metavar="PATH",
        help=f"file holding the exam key (otherwise the {ENV_KEY} environment variable)",
    )


def exam_key(args: argparse.Namespace) -> str:
    from ccsoo_exam.vault import check_exam_key  # cryptography: not for 'sit' and 'demo', which share this module

    if args.key_file:
        try:
            with open(args.key_file, encoding="utf-8") as handle:
                text = handle.read(4096)
        except FileNotFoundError:
            raise CcsooError(Problem(args.key_file, None, "key file not found; check the path")) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CcsooError(Problem(args.key_file, None, f"cannot read the key file: {exc}")) from None
        return check_exam_key(text, args.key_file)
    if os.environ.get(ENV_KEY):
        return check_exam_key(os.environ[ENV_KEY], ENV_KEY)
    raise CcsooError(f"no exam key: pass --key-file PATH or set {ENV_KEY}")
