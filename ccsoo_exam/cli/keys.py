"""Where the CLI finds the exam key: --key-file, else CCSOO_EXAM_KEY."""

from __future__ import annotations

import argparse
import os

from ccsoo_exam.errors import CcsooError, Problem
from ccsoo_exam.inputs import read_input

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
        data = read_input(args.key_file, 4096, what="key file")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CcsooError(Problem(args.key_file, None, "the key file is not UTF-8 text; check it")) from None
        return check_exam_key(text, args.key_file)
    if os.environ.get(ENV_KEY):
        return check_exam_key(os.environ[ENV_KEY], ENV_KEY)
    raise CcsooError(f"no exam key: pass --key-file PATH or set {ENV_KEY}")
