"""Print every benchmark figure: ``python -m benchmarks [--draws N ...] [--loop N]``; a job's
memory by draws: ``python -m benchmarks --job-memory 1000 10000 100000``; where a batch's time
goes, one job and a 13-unit run: ``python -m benchmarks --batch`` (options: ``benchmarks/batch.py``).

``python -m benchmarks.markov`` runs only the cohort engine against hand-written numpy loops.

Measured on whatever machine runs it (the figures in the closing notes come from a 2-core
sandbox). Not a test: nothing here asserts a time."""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from benchmarks import markov as markov_bench
from model import analysis, antenatal, continuum, gsa, infant
from model import parameters as P
from model import uncertainty as U


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_sampling(ps: P.ParameterSet, draws: int) -> None:
    """PSA sampling of every input (inverse CDF, chunk-invariant streams)."""
    dt = _best_of(lambda: ps.sample(draws, seed=1))
    print(f"sampling   {len(ps.params):3d} inputs x {draws:>7,} draws: {dt:7.3f} s")


def bench_antenatal(ps: P.ParameterSet, draws: int) -> float:
    """The antenatal model end to end (sampling + calibration + tree), four strategies."""
    dt = _best_of(lambda: antenatal.run_set(ps, draws=draws, seed=1), repeat=2)
    print(f"antenatal  4 strategies x {draws:>7,} draws (incl. sampling): {dt:7.3f} s")
    return dt


def bench_model(name: str, module, ps: P.ParameterSet, draws: int) -> float:
    """A model end to end (sampling included), timed, with the growth in peak memory."""
    before = _peak_mb()
    dt = _best_of(lambda: module.run_set(ps, draws=draws, seed=1), repeat=2)
    print(f"{name:10} {draws:>7,} draws (incl. sampling): {dt:7.3f} s; "
          f"peak RSS so far {_peak_mb():.0f} MB (+{_peak_mb() - before:.0f})")
    return dt


def bench_antenatal_loop(ps: P.ParameterSet, n: int, vectorised_100k: float | None) -> None:
    """The same model called once per sample (what a per-draw loop costs), extrapolated."""
    draws = ps.sample(n, seed=1)
    t0 = time.perf_counter()
    for i in range(n):
        antenatal.run({k: v[i] for k, v in draws.items()}, ps.settings, strict=False)
    per = (time.perf_counter() - t0) / n
    line = f"antenatal  per-sample loop: {per * 1e3:7.2f} ms/draw -> {per * 1e5:8.1f} s per 100,000"
    if vectorised_100k:
        line += f" ({per * 1e5 / vectorised_100k:,.0f}x the vectorised run)"
    print(line)


def bench_sobol(ps: P.ParameterSet, n: int) -> None:
    """SALib Sobol (first and total order, no second order) of the continuum's INMB over every
    uncertain input it uses: n (D + 2) model evaluations in one vectorised call."""
    names = [k for k in ps.uncertain if k in continuum.REQUIRED]
    ev = U.evaluator(continuum, ps.settings)
    t0 = time.perf_counter()
    gsa.sobol(ps, ev, threshold=300.0, comparator=3, n=n, names=names)
    dt = time.perf_counter() - t0
    print(f"sobol      continuum, N = {n:,} x (D = {len(names)} + 2) = {n * (len(names) + 2):,} runs: "
          f"{dt:7.3f} s; peak RSS so far {_peak_mb():.0f} MB")


def bench_evppi(ps: P.ParameterSet, draws: int) -> None:
    """EVPPI of every single uncertain input and every group (continuum), at 41 thresholds."""
    names = [k for k in ps.uncertain if k in continuum.REQUIRED]
    ev = U.evaluator(continuum, ps.settings)
    params, cost, dalys = U.psa(ps, ev, draws, seed=1, names=continuum.REQUIRED)
    sets = {k: [k] for k in names} | analysis.groups_for(names)
    grid = np.linspace(0, 3 * ps["gdp_per_capita"].value, 41)
    t0 = time.perf_counter()
    U.evppi(params, cost, dalys, grid, sets)
    dt = time.perf_counter() - t0
    print(f"evppi      continuum, {len(names)} inputs + {len(sets) - len(names)} groups, {draws:,} draws, "
          f"41 thresholds: {dt:7.3f} s")


def bench_continuum_loop(ps: P.ParameterSet, n: int, vectorised_10k: float) -> None:
    """The continuum called once per sample, extrapolated to 10,000 draws."""
    draws = ps.sample(n, seed=1, names=continuum.REQUIRED)
    t0 = time.perf_counter()
    for i in range(n):
        continuum.run({k: v[i] for k, v in draws.items()}, ps.settings)
    per = (time.perf_counter() - t0) / n
    print(f"continuum  per-sample loop: {per * 1e3:7.2f} ms/draw -> {per * 1e4:8.1f} s per 10,000 "
          f"({per * 1e4 / vectorised_10k:,.0f}x the vectorised run)")


_JOB_STEP = """
import resource, sys, time
from model import analysis, parameters as P, report, research
ps, step, draws = P.load(sys.argv[1], "base"), sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
if step == "04":
    analysis.run(ps, "continuum", draws=draws, seed=1, sobol_n=256, morris_trajectories=20)
elif step == "06":
    research.run(ps, draws=draws, seed=1)
else:
    {"01": report.antenatal_report, "02": report.infant_report, "03": report.continuum_report}[step](
        ps, draws=draws, seed=1)
print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
JOB_STEPS = {"01": "antenatal report", "02": "infant report", "03": "continuum report", "04": "uncertainty analyses",
             "06": "research value (EVSI)"}


def bench_job_memory(unit: str, draws_list: list[int]) -> None:
    """Peak memory and time of each notebook's model step by PSA draws (05, the budget impact, has no
    PSA), each in a fresh process as the notebooks' kernels are: what bounds ``cea run --draws``
    (``model.cli.MAX_DRAWS``)."""
    import subprocess
    import sys

    for draws in draws_list:
        for step, what in JOB_STEPS.items():
            out = subprocess.run([sys.executable, "-c", _JOB_STEP, unit, step, str(draws)], capture_output=True,
                                 text=True, check=False)
            if out.returncode != 0:
                print(f"notebook {step} {what:21} {draws:>9,} draws: failed "
                      f"({out.stderr.strip().splitlines()[-1:]})")
                continue
            seconds, mb = map(float, out.stdout.split()[-2:])
            print(f"notebook {step} {what:21} {draws:>9,} draws: {seconds:7.1f} s, peak RSS {mb:7,.0f} MB")


def main() -> None:
    if "--batch" in sys.argv[1:]:
        from benchmarks import batch

        batch.main([a for a in sys.argv[1:] if a != "--batch"])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--loop", type=int, default=200, help="samples for the per-sample loop")
    parser.add_argument("--unit", default="BGD")
    parser.add_argument("--sobol-n", type=int, default=4096)
    parser.add_argument("--job-memory", type=int, nargs="*", default=None, metavar="DRAWS",
                        help="only measure a job's peak memory and time at these draws (e.g. 1000 10000 100000)")
    args = parser.parse_args()
    if args.job_memory:
        bench_job_memory(args.unit, args.job_memory)
        return
    ps = P.load(args.unit, "base")
    print(f"unit {args.unit}, numpy {np.__version__}")
    for n in args.draws:
        markov_bench.compare(n)
    t100k = None
    for n in args.draws:
        bench_sampling(ps, n)
        dt = bench_antenatal(ps, n)
        if n == 100_000:
            t100k = dt
    bench_antenatal_loop(ps, args.loop, t100k)
    t10k = None
    for n in args.draws:
        bench_model("infant", infant, ps, n)
        dt = bench_model("continuum", continuum, ps, n)
        if n == 10_000:
            t10k = dt
    if t10k:
        bench_continuum_loop(ps, min(args.loop, 50), t10k)
    bench_sobol(ps, args.sobol_n)
    bench_evppi(ps, 10_000)
    print(f"peak resident memory of this process: {_peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
