"""Form assembly and ``form simulate`` on the sample package: python benchmarks/bench_forms.py

Opens the sample package with the demo key, builds the assembly model once, then measures:

* assembly time per form (the MIP and its uniqueness proof), median of FORMS solves;
* ``form simulate`` of 1,000 forms, median of REPEATS runs, with its figures
  (violations, expected-score SD, max exposure) checked against the targets.

Exits 1 on a miss: a median over its budget, any violation, an expected-score SD of 0.5 raw
points or more, or an item over the exposure cap. Budgets are on CPU time (time.process_time):
on a shared machine wall time measures the neighbours; both are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

# Running as a script puts benchmarks/ on sys.path, not the repository root.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from verdict import Verdict  # noqa: E402

from ccsoo_exam.exam import load_exam  # noqa: E402
from ccsoo_exam.form import assemble_form, form_model  # noqa: E402
from ccsoo_exam.package import open_banks  # noqa: E402
from ccsoo_exam.simulation import simulate  # noqa: E402

PER_FORM_BUDGET = 0.080  # CPU seconds per form, median
SIMULATE_BUDGET = 60.0  # CPU seconds for 1,000 forms, median
SD_TARGET = 0.5  # raw points


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exam", default=str(ROOT / "question_banks" / "exam.yaml"))
    parser.add_argument("--key-file", default=str(ROOT / "question_banks" / "demo.key"))
    parser.add_argument("--forms", type=int, default=100, help="single-form solves to time (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of simulate 1,000 (default 3)")
    parser.add_argument("-n", type=int, default=1000, help="forms per simulate run (default 1000)")
    parser.add_argument("--quick", action="store_true", help="20 solves and one run of 100 forms, 3x budgets (CI)")
    args = parser.parse_args()
    margin = 3.0 if args.quick else 1.0
    if args.quick:
        args.forms, args.repeats, args.n = 20, 1, 100

    definition = load_exam(args.exam)
    banks = open_banks(definition, Path(args.key_file).read_text().strip()).banks
    start = time.perf_counter()
    model = form_model(definition, banks)
    build = time.perf_counter() - start

    per_form, per_form_wall = [], []
    for seed in range(args.forms):
        start, wall = time.process_time(), time.perf_counter()
        assemble_form(definition, banks, 10_000 + seed, model=model)
        per_form.append(time.process_time() - start)
        per_form_wall.append(time.perf_counter() - wall)
    form_median = statistics.median(per_form)

    runs, runs_wall = [], []
    report = None
    for repeat in range(args.repeats):
        start, wall = time.process_time(), time.perf_counter()
        report = simulate(model, args.n, base_seed=repeat)
        runs.append(time.process_time() - start)
        runs_wall.append(time.perf_counter() - wall)
    assert report is not None
    simulate_median = statistics.median(runs)
    item, exposure = report.max_exposure
    cap = report.exposure_cap

    print(f"model build: {build:.3f} s; difficulties: {report.basis}")
    p90 = sorted(per_form)[int(0.9 * len(per_form))]
    print(f"assembly per form: median {1000 * form_median:.1f} ms CPU ({1000 * statistics.median(per_form_wall):.1f} "
          f"ms wall), p90 {1000 * p90:.1f} ms CPU over {len(per_form)} forms")  # fmt: skip
    print(f"simulate {args.n}: median {simulate_median:.1f} s CPU ({statistics.median(runs_wall):.1f} s wall) over "
          f"{len(runs)} runs ({', '.join(f'{r:.1f}' for r in runs)} s CPU)")  # fmt: skip
    print(f"last run: {len(report.violations)} violations, expected-score SD {report.expected_sd:.3f} raw points, "
          f"max exposure {exposure:.1%} ({item}), cap {'none' if cap is None else f'{cap:.0%}'}")  # fmt: skip

    verdict = Verdict("bench_forms", quick=args.quick)
    budget = PER_FORM_BUDGET * margin
    verdict.check("assembly per form", form_median, budget, f"median {form_median:.3f} s CPU [<= {budget:.3f} s]")
    if args.n == 1000:
        verdict.check(
            "simulate 1,000", simulate_median, SIMULATE_BUDGET, f"median {simulate_median:.1f} s CPU [<= 60 s]"
        )
    verdict.require("no violations", not report.violations, f"{len(report.violations)} violations")
    verdict.check(
        "expected-score SD", report.expected_sd, SD_TARGET, f"{report.expected_sd:.3f} raw points [< {SD_TARGET}]"
    )
    if cap is not None:
        verdict.check("max exposure", exposure, cap, f"{exposure:.1%} [<= {cap:.0%}]")
    return verdict.status()


if __name__ == "__main__":
    sys.exit(main())
