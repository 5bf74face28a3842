"""Command line: argument parsing only; the work is done by :func:`simulator.run`.

``simulate FILE`` runs a scenario (same as ``simulate run FILE``). Later subcommands (compare,
sensitivity, solve, audit, backtest, calibrate, report) plug into :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .allocator import keep_freed_memory
from .errors import InputError
from .estimation.commands import backtest_command, calibrate_command
from .planning import audit_command, compare_command, solve_command, update_command
from .reporting import report_command, sensitivity_command


def _run_parser(sub) -> None:
    p = sub.add_parser("run", help="run a scenario file and print the target table")
    p.add_argument("scenario", help="scenario TOML file, e.g. scenarios/base.toml")
    p.add_argument("--paths", type=int, help="number of Monte Carlo paths")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument("--chunk-size", type=int, help="paths held in memory at once (does not change results)")
    p.add_argument("--workers", type=int, help="local worker processes (default: every core from 400,000 paths, "
                   "else 1); never changes a number")
    p.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help="override a scenario key, e.g. --set levers.investment_share=0.45 (repeatable)")
    p.add_argument("--out", type=Path, help="output folder (default out/<scenario name>/)")
    p.add_argument("--no-write", action="store_true", help="print only, write no files")
    p.add_argument("--format", choices=("table", "json"), default="table", help="what to print on stdout")
    p.add_argument("--lang", choices=("en", "vi"), default="en",
                   help="language of target names, units and headers in the tables (simulator/labels.toml)")
    p.add_argument("--given", action="append", default=[], metavar="ID",
                   help="also print P(each target | target ID hit) from the same paths, e.g. --given 1a (repeatable)")


def _run(args) -> int:
    from .output import render_conditional, render_joint, render_table, write_outputs
    from .runner import run

    if args.paths is not None and args.paths <= 0:
        raise InputError(f"expected a positive number of paths, got {args.paths}", file="command line", key="--paths")
    started = time.perf_counter()
    result = run(args.scenario, overrides=args.set, paths=args.paths, seed=args.seed, chunk_size=args.chunk_size,
                 workers=args.workers)
    elapsed = time.perf_counter() - started
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        conditionals = [render_conditional(result, given, lang=args.lang) for given in args.given]  # may raise
        outside = []
        if result.outside_view:
            from .outside_view import render as render_outside_view

            outside = [render_outside_view(result.outside_view, pairs=False).rstrip()]
        print("\n\n".join([render_table(result, lang=args.lang), render_joint(result, lang=args.lang), *outside,
                            *conditionals]))
        print(f"Simulated in {elapsed:.2f} s.")
    if not args.no_write:
        out = args.out or Path("out") / result.name
        written = write_outputs(result, out)
        if args.format == "table":
            print("Wrote " + ", ".join(str(p) for p in written))
    return 0


COMMANDS = {"run": (_run_parser, _run), "compare": compare_command, "solve": solve_command, "audit": audit_command,
            "update": update_command, "sensitivity": sensitivity_command, "report": report_command,
            "calibrate": calibrate_command, "backtest": backtest_command}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simulate", description="Probability of hitting each 2030 target under a scenario.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv = ["run"] + argv  # `simulate FILE` is `simulate run FILE`
    parser = build_parser()
    args = parser.parse_args(argv)
    keep_freed_memory()
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command][1](args)
    except InputError as exc:
        print(f"simulate: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
