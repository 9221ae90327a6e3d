"""EVSI speed: ``python -m benchmarks.voi [--unit BGD] [--draws 10000] [--study mami-study]``.

The target (issue 17): EVSI for one design over 10 sample sizes and 41 thresholds at 10,000 PSA
draws in under 10 s on 2 cores. Timed here, once the PSA sample exists (the regression method
needs only the sample): the data simulation, the regressions and the ENBS. The PSA itself, the
EVPPI ceiling and the importance-sampling check are timed separately. Measured on whatever
machine runs it; not a test: nothing here asserts a time."""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from model import cea, continuum, studies, voi
from model import parameters as P
from model import uncertainty as U


def _best_of(fn, repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--unit", default="BGD")
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--study", nargs="*", default=None, help="study names (default: every design)")
    parser.add_argument("--thresholds", type=int, default=41)
    args = parser.parse_args()
    ps = P.load(args.unit, "base")
    print(f"unit {args.unit}, {args.draws:,} draws, {args.thresholds} thresholds, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs")
    ev = U.evaluator(continuum, ps.settings)
    dt, (params, cost, dalys) = _best_of(lambda: U.psa(ps, ev, args.draws, 1, names=continuum.REQUIRED), 1)
    print(f"PSA of the continuum model (not part of the target): {dt:6.2f} s")
    grid = np.linspace(0, 3 * ps["gdp_per_capita"].value, args.thresholds)
    lam = cea.decision_threshold(ps)[1]
    for name in args.study or studies.names():
        study = studies.load(name, ps)
        sizes = len(study.sample_sizes)

        def target(study=study):
            per = voi.evsi(study, params, cost, dalys, grid)
            return voi.optimal(voi.enbs(per, study, voi.horizon_population(1e6, 5, 0.03, study.years_to_report)))

        dt, _ = _best_of(target)
        print(f"{name:17} EVSI + ENBS + optimal n, {sizes} sample sizes x {grid.size} thresholds: {dt:6.2f} s")
        dt, _ = _best_of(lambda study=study: U.evppi(params, cost, dalys, grid, {study.name: study.parameters}), 1)
        print(f"{'':17} EVPPI of its {len(study.parameters)} inputs (the ceiling):        {dt:6.2f} s")
        middle = study.sample_sizes[sizes // 2]
        dt, _ = _best_of(lambda study=study, n=middle: voi.evsi_importance(study, params, cost, dalys, [lam], n), 1)
        print(f"{'':17} importance sampling, one n, 1,000 outer data sets:   {dt:6.2f} s")


if __name__ == "__main__":
    main()
