"""Print every benchmark figure: ``python -m benchmarks [--draws N]``."""

from __future__ import annotations

import argparse
import resource
import time

from model import parameters as P


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_sampling(draws: int) -> None:
    """Time the PSA sampling of every BGD input (inverse-CDF, chunk-invariant streams)."""
    ps = P.load("BGD", "base")
    t0 = time.perf_counter()
    ps.sample(draws, seed=1)
    dt = time.perf_counter() - t0
    print(f"sampling  {len(ps.params):3d} parameters x {draws:>7,} draws: {dt:6.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, nargs="*", default=[10_000, 100_000])
    args = parser.parse_args()
    for n in args.draws:
        bench_sampling(n)
    print(f"peak resident memory: {_peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
