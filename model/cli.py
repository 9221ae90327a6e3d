"""The ``cea`` command.

    cea validate [PATH ...] [--root DIR]      check parameter files; exit 0 (valid) or 2
    cea countries [--root DIR]                list units with their data-quality summary
    cea run [--countries ...] [--scenarios ...] [--draws N] [--seed S] [--out DIR]

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
    from model.runner import run  # imported late: the models are heavier than validation

    try:
        units = _split(args.countries, P.units(args.root), "country")
        scen = _split(args.scenarios, P.scenarios(args.root), "scenario")
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    if args.draws < 1:
        print("cea: --draws must be >= 1", file=sys.stderr)
        return EXIT_INVALID
    problems = P.validate(
        [Path(args.root or P.DEFAULT_ROOT) / "countries" / f"{u}.yaml" for u in units],
        root=args.root,
    )
    if problems:
        _print_problems(problems)
        return EXIT_INVALID
    return run(units, scen, draws=args.draws, seed=args.seed, out=Path(args.out), root=args.root)


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
    r.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
