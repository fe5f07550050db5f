"""Time to unlock the sample package: KDF + decrypt + parse + validate all five banks.

Target: under 0.6 s with the KDF at or above RFC 9106's second recommendation.
Run: python benchmarks/bench_unlock.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ccsoo_exam import vault  # noqa: E402
from ccsoo_exam.exam import load_exam  # noqa: E402
from ccsoo_exam.package import open_banks  # noqa: E402

RUNS = 7


def main() -> None:
    exam_path = ROOT / "question_banks" / "exam.yaml"
    key = (ROOT / "question_banks" / "demo.key").read_text().strip()
    definition = load_exam(str(exam_path))
    params = vault.read_header((ROOT / "question_banks" / "module1.bank").read_bytes(), "module1.bank").params
    unlock, kdf_only = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        package = open_banks(load_exam(str(exam_path)), key)
        unlock.append(time.perf_counter() - start)
        start = time.perf_counter()
        vault.derive_key(key, params)
        kdf_only.append(time.perf_counter() - start)
    items = sum(len(b.items) for b in package.banks.values())
    best, median = min(unlock), statistics.median(unlock)
    print(f"KDF: {params.describe()} ({package.kdf_runs} run per unlock)")
    print(f"package: {definition.exam}, {len(package.banks)} banks, {items} items")
    print(f"unlock (KDF + decrypt + parse + validate): best {best:.3f} s, median {median:.3f} s  [target < 0.600 s]")
    print(f"KDF alone: best {min(kdf_only):.3f} s; everything else costs {best / min(kdf_only):.2f}x the KDF")
    print("PASS" if median < 0.6 else "FAIL")


if __name__ == "__main__":
    main()
