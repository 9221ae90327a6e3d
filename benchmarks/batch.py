"""Where a batch's time goes: ``python -m benchmarks --batch`` (or ``python -m benchmarks.batch``).

Runs ``cea run`` as a user would (a subprocess, into a temporary folder unless ``--out`` is
given), then prints from the manifests the breakdown of one job (kernel start, imports, each
analysis, figures, brief, PDF), the same summed over the run, the run's wall time, jobs per
minute, and the projected time of a larger grid on more workers from the measured cost per job.

    python -m benchmarks --batch                         # 1 job (BGD, base), then 13 units, 2 workers
    python -m benchmarks.batch --units BGD --kernels fresh warm
    python -m benchmarks.batch --units all --scenarios all --workers 2        # the 13 x 19 grid
    python -m benchmarks.batch --units all --scheduler tcp://127.0.0.1:8786   # on a Dask cluster

Measured on whatever machine runs it; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(units: str, scenarios: str, draws: int, workers: int | None, kernels: str, out: Path,
        scheduler: str | None = None, pdf: bool = True) -> tuple[float, float, dict]:
    """``cea run`` in a subprocess; returns (wall seconds, seconds to the first line on stderr,
    the run's manifest)."""
    run_id = f"bench-{kernels}-{int(time.time())}"
    cmd = [sys.executable, "-m", "model.cli", "run", "--countries", units, "--scenarios", scenarios,
           "--draws", str(draws), "--out", str(out), "--run-id", run_id, "--kernels", kernels]
    cmd += ["--scheduler", scheduler] if scheduler else ["--workers", str(workers or 2)]
    cmd += [] if pdf else ["--no-pdf"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()
    first_line = time.perf_counter() - t0 if first else float("nan")
    rest = proc.stderr.read()
    proc.wait()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"cea run failed ({proc.returncode}):\n{first}{rest[-3000:]}")
    return wall, first_line, json.loads((out / run_id / "manifest.json").read_text())


def breakdown(timings: list[dict]) -> dict[str, float]:
    """Seconds per part, summed over jobs' ``timing`` entries."""
    out: dict[str, float] = {}

    def add(key: str, value: float) -> None:
        out[key] = out.get(key, 0.0) + value

    for t in timings:
        add("kernel start", t["kernel_start"])
        add("imports", t["imports"])
        for name, sec in t["analyses"].items():
            add(name, sec)
        for name, sec in t["brief"].items():
            add(name, sec)
        add("other (notebook code outside spans, papermill)", t["other"])
        add("total", t["total"])
    return out


def show(title: str, parts: dict[str, float]) -> None:
    total = parts.get("total", 0.0)
    print(f"  {title}")
    for name, sec in sorted(parts.items(), key=lambda kv: -kv[1]):
        if name != "total" and sec >= 0.005:
            print(f"    {name:48} {sec:8.2f} s  {sec / total:6.1%}" if total else f"    {name:48} {sec:8.2f} s")
    print(f"    {'total':48} {total:8.2f} s")


def report(label: str, wall: float, first_line: float, manifest: dict, grid: tuple[int, int, int]) -> None:
    jobs = [j for j in manifest["jobs"] if j.get("timing")]
    n = len(jobs)
    print(f"\n== {label}: {n} job(s), {manifest['draws']} draws, {manifest['executor']}, kernels "
          f"{manifest.get('kernels')}")
    print(f"  wall {wall:.1f} s (first line on the console after {first_line:.2f} s); "
          f"{n / wall * 60:.1f} jobs per minute")
    show(f"one job ({jobs[0]['unit']}/{jobs[0]['scenario']})", breakdown([jobs[0]["timing"]]))
    if n > 1:
        show(f"all {n} jobs, summed", breakdown([j["timing"] for j in jobs]))
        per_job = sum(j["seconds"] for j in jobs) / n
        units, scenarios, workers = grid
        print(f"  mean job {per_job:.1f} s; projected {units} units x {scenarios} scenarios on {workers} workers: "
              f"{units * scenarios * per_job / workers / 60:.1f} min (jobs x mean job / workers; the run's "
              "own start and the index are extra)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", nargs="*", default=None,
                        help="runs to make, each a --countries value (default: BGD, then all)")
    parser.add_argument("--scenarios", default="base")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", default=None, help="a Dask scheduler address instead of local workers")
    parser.add_argument("--kernels", nargs="*", default=["warm"], choices=("warm", "fresh"))
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--out", default=None, help="keep the runs here (default: a temporary folder)")
    parser.add_argument("--project", type=int, nargs=3, default=(50, 19, 32), metavar=("UNITS", "SCENARIOS", "WORKERS"),
                        help="grid to project from the measured mean job (default 50 19 32)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cea-bench-") as tmp:
        out = Path(args.out) if args.out else Path(tmp)
        for units in args.units or ["BGD", "all"]:
            for kernels in args.kernels:
                wall, first, manifest = run(units, args.scenarios, args.draws, args.workers, kernels, out,
                                            args.scheduler, pdf=not args.no_pdf)
                report(f"--countries {units} --scenarios {args.scenarios}", wall, first, manifest,
                       tuple(args.project))


if __name__ == "__main__":
    main()
