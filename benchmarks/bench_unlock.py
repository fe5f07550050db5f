"""Time to unlock the sample package: KDF + decrypt + parse + validate all five banks.

Target: median under 0.6 s with the KDF at or above RFC 9106's second recommendation, which
is also checked (a cheaper KDF would make the figure meaningless). The KDF alone is timed in
the same rounds, interleaved, so the rest of the unlock is also given as a ratio to it.
Exit status 1 on a miss. ``--quick``: 3 rounds, median under 1.5 s (CI, gross regressions).

Run: python benchmarks/bench_unlock.py [--quick]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from verdict import Figure, Verdict, arguments, ratio_spread  # noqa: E402

from ccsoo_exam import vault  # noqa: E402
from ccsoo_exam.exam import load_exam  # noqa: E402
from ccsoo_exam.package import open_banks  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    rounds, limit = (3, 1.5) if args.quick else (9, 0.6)
    verdict = Verdict("bench_unlock", quick=args.quick)
    exam_path = ROOT / "question_banks" / "exam.yaml"
    key = (ROOT / "question_banks" / "demo.key").read_text().strip()
    definition = load_exam(str(exam_path))
    params = vault.read_header((ROOT / "question_banks" / "module1.bank").read_bytes(), "module1.bank").params
    unlock, kdf_only = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        package = open_banks(load_exam(str(exam_path)), key)
        unlock.append(time.perf_counter() - start)
        start = time.perf_counter()
        vault.derive_key(key, params)
        kdf_only.append(time.perf_counter() - start)
    items = sum(len(b.items) for b in package.banks.values())
    print(f"KDF: {params.describe()} ({package.kdf_runs} run per unlock)")
    print(f"package: {definition.exam}, {len(package.banks)} banks, {items} items; {rounds} rounds")
    print(f"  unlock (KDF + decrypt + parse + validate)  {Figure.of(unlock).describe()}")
    print(f"  KDF alone                                   {Figure.of(kdf_only).describe()}")
    low, high = ratio_spread(unlock, kdf_only)
    ratio = Figure.of(unlock).median / Figure.of(kdf_only).median
    print(f"  unlock / KDF: {ratio:.2f}x (per-round {low:.2f}-{high:.2f}x)")
    strong = params.kdf == vault.KDF_ARGON2ID and (params.p1, params.p2) >= vault.ARGON2_DEFAULT[:2]
    strong = strong or (params.kdf == vault.KDF_SCRYPT and params.p1 >= 17)
    verdict.require("KDF cost", strong, f"{params.describe()} [>= RFC 9106 second recommendation or scrypt 2^17]")
    median = Figure.of(unlock).median
    verdict.check("unlock", median, limit, f"median {median:.3f} s [< {limit} s]")
    return verdict.status()


if __name__ == "__main__":
    raise SystemExit(main())
