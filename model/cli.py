"""The ``cea`` command.

    cea validate [PATH ...] [--root DIR]      check the parameter tree PATH belongs to; exit 0 (valid) or 2
    cea countries [--root DIR]                list every unit, its data quality, and whether it is valid
    cea run [--countries ISO3,...|all] [--scenarios NAME,...|all] [--draws N] [--seed S] [--out DIR]
            [--workers N] [--scheduler ADDRESS] [--resume] [--run-id ID] [--sobol-n N]
            [--kernels warm|fresh] [--no-pdf]

Exit codes: 0 success; 1 a job failed; 2 bad arguments, invalid parameter files or a run folder in
use (nothing is written).

Bounds on ``cea run`` (each refused with exit 2 before anything is written):

* ``--draws`` 1 .. ``MAX_DRAWS`` (100,000). Each notebook's kernel grows linearly with the draws:
  at 100,000 draws the continuum report (notebook 03) peaks at 0.9 GB, the uncertainty analyses
  (04) at 1.2 GB and the research-value notebook (06, EVSI) at 2.9 GB, about 27 kB per draw
  (``python -m benchmarks --job-memory 1000 30000 100000`` on the 2-core, 24 GB machine). A
  million draws would need about 28 GB for notebook 06 alone, more than the machine has
  (1,000,000,000 was accepted and ended in ``MemoryError``, issue 15). More draws than 100,000
  buy nothing a decision needs: the Monte Carlo standard error of a PSA mean is then 0.3% of its
  standard deviation.
* ``--sobol-n`` 1 .. ``MAX_SOBOL_N`` (65,536): Sobol runs N x (inputs + 2) model evaluations in
  chunks, so memory is bounded but time is not: N = 4,096 took 17.8 s (``python -m benchmarks``,
  commit 0c85e89), so 65,536 takes about 5 min per job.
* ``--seed`` 0 .. 2**32 - 1, the range every numpy and SALib seeding interface accepts.
* ``--workers`` >= 1; ``--countries`` and ``--scenarios`` name at least one unit and scenario;
  ``--out`` is (or can be created as) a writable folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from model import parameters as P
from model import validation as V

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
MAX_DRAWS = 100_000
MAX_SOBOL_N = 65_536
MAX_SEED = 2**32 - 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 already; keep its message short
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID, f"cea: error: {message}\n")


def _print_problems(problems: list[P.Problem]) -> None:
    print(f"cea: {len(problems)} problem(s) in the parameter files:", file=sys.stderr)
    for p in problems:
        print(f"  {' '.join(str(p).split())}", file=sys.stderr)  # one line each, whatever the message holds


def _unit_lines(report: V.Report) -> None:
    for unit in report.units:
        bad = report.by_unit.get(unit, [])
        print(f"  {unit:8} {'ok' if not bad else f'INVALID: {len(bad)} problem(s)'}")


def cmd_validate(args: argparse.Namespace) -> int:
    scope, problems = V.scope(args.paths, args.root)
    if problems:
        _print_problems(problems)
        return EXIT_INVALID
    report = V.check(scope.root, scope.units, scope.scenarios)
    for note in report.fit_notes:
        print(f"warning: {note}", file=sys.stderr)
    print(f"checking {scope.root}: {len(report.units)} unit(s) x {len(report.scenarios)} scenario(s) "
          f"({scope.reason})")
    _unit_lines(report)
    if report.problems:
        _print_problems(report.problems)
        return EXIT_INVALID
    print(f"ok: {len(report.units)} unit(s) x {len(report.scenarios)} scenario(s) valid under {scope.root}")
    return EXIT_OK


def _split(value: str, available: list[str], option: str, what: str, kind: str) -> list[str]:
    """Names from a comma-separated option; ``all`` for every available one. Raises ``ValueError``
    with the reason when none is given, a name is malformed, or a name is unknown."""
    if value.strip() == "all":
        if not available:
            raise ValueError(f"no {what} files to run ('all' found none)")
        return available
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise ValueError(f"{option} names no {what} (got {value!r}); give names or 'all'")
    bad = [V.bad_name(kind, n) for n in names]
    if any(bad):
        raise ValueError(f"bad {what} name: {next(b for b in bad if b)}")
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f"unknown {what}: {', '.join(unknown)} (available: {', '.join(available) or 'none'})")
    return list(dict.fromkeys(names))


def cmd_countries(args: argparse.Namespace) -> int:
    report = V.check(args.root)
    print(f"{'code':8} {'name':32} {'verified':>8} {'unverified':>10} {'assumed':>8}  status")
    for code in report.units:
        q = report.quality.get(code)
        counts = (f"{q['verified']:8d} {q['unverified']:10d} {q['assumption']:8d}" if q
                  else f"{'-':>8} {'-':>10} {'-':>8}")
        bad = report.by_unit.get(code, [])
        status = "ok" if not bad else f"INVALID ({len(bad)} problem(s), see below)"
        print(f"{code:8} {report.names.get(code, '')[:32]:32} {counts}  {status}")
    if report.problems:
        _print_problems(report.problems)
        return EXIT_INVALID
    return EXIT_OK


def writable_folder(out: str | Path) -> str | None:
    """Why ``out`` cannot be the output folder (or ``None``): a path through a file, a folder that
    cannot be written (read-only mount, permissions). Nothing is created: the nearest existing
    folder is probed with a temporary file that is removed at once."""
    path = Path(out).expanduser().absolute()
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        return f"--out {out}: {existing} is a file, not a folder"
    try:
        fd, probe = tempfile.mkstemp(prefix=".cea-probe-", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"--out {out}: cannot write in {existing} ({exc.strerror or exc})"
    return None


def run_argument_problems(args: argparse.Namespace) -> list[str]:
    """Every bound ``cea run`` puts on its options (see the module docstring), as messages."""
    out = []
    if not 1 <= args.draws <= MAX_DRAWS:
        out.append(f"--draws must be between 1 and {MAX_DRAWS:,} (got {args.draws:,}): a notebook kernel holds up "
                   "to about 27 kB per draw (2.9 GB at the maximum), and more draws add nothing a decision needs")
    if not 1 <= args.sobol_n <= MAX_SOBOL_N:
        out.append(f"--sobol-n must be between 1 and {MAX_SOBOL_N:,} (got {args.sobol_n:,})")
    if not 0 <= args.seed <= MAX_SEED:
        out.append(f"--seed must be between 0 and 2**32 - 1 = {MAX_SEED:,} (got {args.seed:,})")
    if args.workers is not None and args.workers < 1:
        out.append(f"--workers must be >= 1 (got {args.workers}); leave it out for one per core")
    if args.scheduler and not args.scheduler.startswith(("tcp://", "tls://", "inproc://")):
        out.append(f"--scheduler must be an address such as tcp://127.0.0.1:8786 (got '{args.scheduler}')")
    if args.run_id is not None and not P.SCENARIO_NAME.match(args.run_id.lower()):
        out.append("--run-id may hold letters, digits, '-' and '_' only")
    why = writable_folder(args.out)
    if why:
        out.append(why)
    return out


def cmd_run(args: argparse.Namespace) -> int:
    root = Path(args.root) if args.root else P.DEFAULT_ROOT
    problems = run_argument_problems(args)
    units = scen = []
    for value, available, option, what, kind in (
            (args.countries, P.units(root), "--countries", "country", "unit"),
            (args.scenarios, P.scenarios(root), "--scenarios", "scenario", "scenario")):
        try:
            names = _split(value, available, option, what, kind)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if kind == "unit":
            units = names
        else:
            scen = names
    if problems:
        for message in problems:
            print(f"cea: {message}", file=sys.stderr)
        return EXIT_INVALID
    # a first line at once: checking the inputs and starting the workers take a few seconds
    print(f"cea run: {len(units)} unit(s) x {len(scen)} scenario(s) = {len(units) * len(scen)} job(s), "
          f"{args.draws:,} draws, {args.kernels} kernels; checking the inputs", file=sys.stderr, flush=True)
    from model import batch  # imported late: papermill and the models are heavier than validation

    # every scenario is checked: notebook 04 of each job compares the unit under all of them
    report = V.check(root, units, None, study_scenarios=scen)
    if report.problems:
        _print_problems(report.problems)
        return EXIT_INVALID
    try:
        return batch.run(units, scen, draws=args.draws, seed=args.seed, out=Path(args.out), root=args.root,
                         workers=args.workers, scheduler=args.scheduler, resume=args.resume, run_id=args.run_id,
                         sobol_n=args.sobol_n, pdf=not args.no_pdf, kernels=args.kernels)
    except batch.RunFolderLocked as exc:
        print(f"cea: {exc}", file=sys.stderr)
        return EXIT_INVALID


def cmd_brief(args: argparse.Namespace) -> int:
    from model.brief import data, rebuild
    from model.runlock import RunFolderLocked

    try:
        for line in rebuild(Path(args.run), pdf=not args.no_pdf):
            print(line)
    except (data.BriefDataError, RunFolderLocked) as exc:
        print(f"cea: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(f"index: {Path(args.run) / 'index.html'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cea", description="Maternal and infant nutrition cost-effectiveness workbook")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=None,
                        help="parameter folder (default: the project's parameters/)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    v = sub.add_parser("validate", parents=[common],
                       help="check parameter files (exit 0 valid, 2 invalid)")
    v.add_argument("paths", nargs="*", help="files to check (default: everything)")
    v.set_defaults(func=cmd_validate)

    c = sub.add_parser("countries", parents=[common], help="list units with their data-quality summary")
    c.set_defaults(func=cmd_countries)

    r = sub.add_parser("run", parents=[common], help="run the models for countries and scenarios")
    r.add_argument("--countries", default="all", help="ISO3 codes, comma-separated, or 'all'")
    r.add_argument("--scenarios", default="base", help="scenario names, comma-separated, or 'all'")
    r.add_argument("--draws", type=int, default=1000, help="PSA draws (default 1000)")
    r.add_argument("--seed", type=int, default=20261123, help="random seed")
    r.add_argument("--out", default="outputs", help="output folder (default outputs/)")
    r.add_argument("--workers", type=int, default=None, help="local processes (default: number of cores)")
    r.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    r.add_argument("--resume", action="store_true",
                   help="skip jobs whose outputs exist with the same inputs hash (use with --run-id)")
    r.add_argument("--run-id", default=None, help="run folder name (default: a UTC timestamp)")
    r.add_argument("--no-pdf", action="store_true", help="write HTML briefs only (no headless Chromium)")
    r.add_argument("--sobol-n", type=int, default=256, help="Sobol base sample size in the uncertainty notebook")
    r.add_argument("--kernels", choices=("warm", "fresh"), default="warm",
                   help="warm (default): one kernel per worker runs every notebook, reset between them; "
                        "fresh: a new kernel per notebook (slower; the same results byte for byte)")
    r.set_defaults(func=cmd_run)

    b = sub.add_parser("brief", help="re-render a run's briefs, spreadsheets and index from its result files")
    b.add_argument("run", help="a run folder (holding manifest.json), e.g. outputs/20261125T120000Z")
    b.add_argument("--no-pdf", action="store_true", help="HTML and spreadsheets only")
    b.set_defaults(func=cmd_brief)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
