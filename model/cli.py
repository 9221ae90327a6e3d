"""The ``cea`` command.

    cea validate [PATH ...] [--root DIR]      check parameter files; exit 0 (valid) or 2
    cea countries [--root DIR]                list units with their data-quality summary
    cea run [--countries ISO3,...|all] [--scenarios NAME,...|all] [--draws N] [--seed S] [--out DIR]
            [--workers N] [--scheduler ADDRESS] [--resume] [--run-id ID] [--sobol-n N]

Exit codes: 0 success; 1 a job failed; 2 bad arguments or invalid parameter files (nothing is
written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model import parameters as P

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 already; keep its message short
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID, f"cea: error: {message}\n")


def _print_problems(problems: list[P.Problem]) -> None:
    print(f"cea: {len(problems)} problem(s) in the parameter files:", file=sys.stderr)
    for p in problems:
        print(f"  {p}", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    fit_notes: list[str] = []
    problems = P.validate(args.paths, root=args.root, fit_notes=fit_notes)
    for note in fit_notes:
        print(f"warning: {note}", file=sys.stderr)
    if problems:
        _print_problems(problems)
        return EXIT_INVALID
    root = Path(args.root) if args.root else P.DEFAULT_ROOT
    print(f"ok: {len(P.units(root))} unit(s) x {len(P.scenarios(root))} scenario(s) valid "
          f"under {root}")
    return EXIT_OK


def _split(value: str, available: list[str], what: str) -> list[str]:
    if value == "all":
        return available
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise SystemExit(f"cea: unknown {what}: {', '.join(unknown)} "
                         f"(available: {', '.join(available) or 'none'})")
    return names


def cmd_countries(args: argparse.Namespace) -> int:
    try:
        rows = []
        for code in P.units(args.root):
            ps = P.load(code, "base", args.root)
            q = ps.quality()
            rows.append((code, ps.unit_name or "", q["verified"], q["unverified"], q["assumption"]))
    except P.ParameterError as exc:
        _print_problems(exc.problems)
        return EXIT_INVALID
    print(f"{'code':8} {'name':32} {'verified':>8} {'unverified':>10} {'assumed':>8}")
    for code, name, v, u, a in rows:
        print(f"{code:8} {name:32} {v:8d} {u:10d} {a:8d}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from model import batch  # imported late: papermill and the models are heavier than validation

    try:
        units = _split(args.countries, P.units(args.root), "country")
        scen = _split(args.scenarios, P.scenarios(args.root), "scenario")
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    bad = [(flag, v) for flag, v in (("--draws", args.draws), ("--workers", args.workers or 1),
                                      ("--sobol-n", args.sobol_n)) if v < 1]
    if bad:
        print(f"cea: {bad[0][0]} must be >= 1", file=sys.stderr)
        return EXIT_INVALID
    if args.scheduler and not args.scheduler.startswith(("tcp://", "tls://", "inproc://")):
        print(f"cea: --scheduler must be an address such as tcp://127.0.0.1:8786 (got '{args.scheduler}')",
              file=sys.stderr)
        return EXIT_INVALID
    if args.run_id and not P.SCENARIO_NAME.match(args.run_id.lower()):
        print("cea: --run-id may hold letters, digits, '-' and '_' only", file=sys.stderr)
        return EXIT_INVALID
    problems = P.validate(
        [Path(args.root or P.DEFAULT_ROOT) / "countries" / f"{u}.yaml" for u in units], root=args.root)
    if problems:
        _print_problems(problems)
        return EXIT_INVALID
    return batch.run(units, scen, draws=args.draws, seed=args.seed, out=Path(args.out), root=args.root,
                     workers=args.workers, scheduler=args.scheduler, resume=args.resume, run_id=args.run_id,
                     sobol_n=args.sobol_n, pdf=not args.no_pdf)


def cmd_brief(args: argparse.Namespace) -> int:
    from model.brief import data, rebuild

    try:
        for line in rebuild(Path(args.run), pdf=not args.no_pdf):
            print(line)
    except data.BriefDataError as exc:
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
