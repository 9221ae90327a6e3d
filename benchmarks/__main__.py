"""Print every benchmark figure: ``python -m benchmarks [--draws N ...] [--loop N]``.

Measured on whatever machine runs it (the figures in the closing notes come from a 2-core
sandbox). Not a test: nothing here asserts a time."""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from model import antenatal, continuum, infant
from model import parameters as P


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--loop", type=int, default=200, help="samples for the per-sample loop")
    parser.add_argument("--unit", default="BGD")
    args = parser.parse_args()
    ps = P.load(args.unit, "base")
    print(f"unit {args.unit}, numpy {np.__version__}")
    t100k = None
    for n in args.draws:
        bench_sampling(ps, n)
        dt = bench_antenatal(ps, n)
        if n == 100_000:
            t100k = dt
    bench_antenatal_loop(ps, args.loop, t100k)
    for n in args.draws:
        bench_model("infant", infant, ps, n)
        bench_model("continuum", continuum, ps, n)
    print(f"peak resident memory of this process: {_peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
