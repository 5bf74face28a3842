"""Command line: argument parsing and reporting only; the work is done by :mod:`simulator.runner`.

``simulate FILE`` runs a scenario (same as ``simulate run FILE``); every subcommand is in
:data:`COMMANDS`.

Exit status: 0 done; 1 a bug (an output that would hold NaN or infinity: nothing is written);
2 bad input or an output-folder fault, in one line naming the file, the key and what was
expected; 130 interrupted (Ctrl-C); 141 stdout closed by its reader (``| head``), quietly;
143 terminated (SIGTERM). Messages, ``--help`` and errors
are in English whatever ``--lang`` says; ``--lang`` words the tables only.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

from . import __version__
from .allocator import keep_freed_memory
from .entry import Terminated, raise_terminated, signals_deferred
from .errors import InputError
from .estimation.commands import backtest_command, calibrate_command
from .planning import audit_command, compare_command, solve_command, update_command
from .reporting import report_command, sensitivity_command
from .integrity import OutputIntegrityError
from .pool import kept_pools


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit status 2), like every other error of the command."""

    def error(self, message: str):
        self.exit(2, f"simulate: error: {message} (see '{self.prog} --help')\n")


def _run_parser(sub) -> None:
    p = sub.add_parser("run", help="run a scenario file and print the target table (simulate FILE is short for this)",
                       description="Run a scenario file: print P(hit) of every target and write the results folder.")
    p.add_argument("scenario", help="scenario TOML file, e.g. scenarios/base.toml")
    p.add_argument("--paths", type=int, help="number of Monte Carlo paths")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument("--chunk-size", type=int, help="paths held in memory at once (does not change results)")
    p.add_argument("--workers", type=int, help="local worker processes (default: every core from 400,000 paths, "
                   "else 1); never changes a number")
    p.add_argument("--dask", metavar="ADDRESS", help="run the chunks on a dask.distributed scheduler at ADDRESS "
                   "(tcp://host:8786), or 'local' for a LocalCluster of this machine; never changes a number")
    p.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help="override a scenario key, e.g. --set levers.investment_share=0.45 (repeatable)")
    p.add_argument("--out", type=Path, help="output folder (default out/<scenario name>/)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing results folder (only one holding nothing but result files)")
    p.add_argument("--no-write", action="store_true", help="print only, write no files")
    p.add_argument("--allow-outside", action="store_true",
                   help="let extends and the calibration, registry and satellite paths leave the project tree")
    p.add_argument("--format", choices=("table", "json"), default="table", help="what to print on stdout")
    p.add_argument("--lang", choices=("en", "vi"), default="en",
                   help="language of target names, units and headers in the tables (simulator/labels.toml)")
    p.add_argument("--given", action="append", default=[], metavar="ID",
                   help="also print P(each target | target ID hit) from the same paths, e.g. --given 1a (repeatable)")
    p.add_argument("--targets", nargs="+", metavar="ID", help="print only these targets (files keep every row)")
    p.add_argument("--group", metavar="NAME", help="print only this group's targets and joint row, e.g. economy")
    p.add_argument("--wide", action="store_true", help="print every column and full names, whatever the terminal width")
    p.add_argument("--quiet", action="store_true", help="no progress line and no run messages, only the tables")


def _check_arguments(args) -> None:
    from .pool import at_most_cores

    for flag, value, low in (("--paths", args.paths, 1), ("--seed", args.seed, 0), ("--chunk-size", args.chunk_size, 1),
                             ("--workers", args.workers, 1)):
        if value is not None and value < low:
            what = "a positive number" if low else "a number >= 0"
            raise InputError(f"expected {what}, got {value}", file="command line", key=flag)
    args.workers = at_most_cores(args.workers)


def _run(args) -> int:
    with signals_deferred():
        from .pool import default_workers, processes_for, start as start_workers
        from .scenario import load_scenario

    _check_arguments(args)
    scenario = load_scenario(args.scenario, overrides=args.set, allow_outside=args.allow_outside, paths=args.paths,
                             seed=args.seed, chunk_size=args.chunk_size)
    mc = scenario.montecarlo
    workers = args.workers if args.workers is not None else default_workers(mc.paths)
    if args.dask is None:  # they import the engine while this process does too
        start_workers(processes_for(workers, paths=mc.paths, block_size=mc.block_size, chunk_size=mc.chunk_size))
    with signals_deferred():
        from .folder import check_target, probe
        from .inputs import evaluated_targets, resolve
        from .integrity import results_json
        from .output import (PARQUET_FILES, RESULT_FILES, labels, render_conditional, render_joint, render_table,
                             select_targets, write_outputs)
        from .runner import Variant, run_variants
        from .terminal import ProgressLine, terminal_width

    out = None if args.no_write else (args.out or Path("out") / scenario.scenario.name)
    if out is not None:  # before any work: an existing results folder needs --force
        check_target(out, force=args.force, known=frozenset(RESULT_FILES + PARQUET_FILES))
        probe(out)
    inputs = resolve(scenario)
    registry = inputs.registry
    select_targets(registry.targets, groups=registry.groups, ids=args.targets, group=args.group)
    evaluated = [t.id for t in evaluated_targets(inputs)]
    for given in args.given:
        if given not in evaluated:
            raise InputError(f"'{given}' is not an evaluated target; evaluated: {', '.join(evaluated)}",
                             file="command line", key="--given")
    progress = ProgressLine(enabled=not args.quiet)
    started = time.perf_counter()
    try:
        result = run_variants([Variant(inputs)], progress=progress, workers=workers, dask=args.dask).results[0]
    finally:
        progress.close()
    elapsed = time.perf_counter() - started
    if args.format == "json":
        text, end = results_json(result.to_dict()), ""
    else:
        width = None if args.wide else terminal_width()
        parts = [render_table(result, lang=args.lang, width=width, targets=args.targets, group=args.group),
                 render_joint(result, lang=args.lang, width=width, group=args.group)]
        views = result.outside_view
        if views and (args.targets or args.group):  # the outside view of the rows shown only
            shown = {t.id for t in select_targets(registry.targets, groups=registry.groups, ids=args.targets,
                                                  group=args.group)}
            views = {tid: view for tid, view in views.items() if tid in shown}
        if views and any(view.has_reference for view in views.values()):
            from .outside_view import render as render_outside_view

            parts.append(render_outside_view(views, pairs=False, width=width, lang=args.lang).rstrip())
        parts += [render_conditional(result, given, lang=args.lang, width=width, targets=args.targets, group=args.group)
                  for given in args.given]
        text, end = "\n\n".join(parts), "\n"
        if not args.quiet:
            words = labels(args.lang)
            text += "\n" + words["simulated_in"].format(seconds=f"{elapsed:.2f}".replace(".", words["decimal_mark"]))
    shown = _say(text, end=end)
    if out is not None:  # written even when the reader of stdout has gone (`simulate FILE | head`)
        written = write_outputs(result, out, force=args.force)
        if shown and args.format == "table" and not args.quiet:
            shown = _say(labels(args.lang)["wrote"].format(files=", ".join(str(p) for p in written)))
    return 0 if shown else 141


def _say(text: str, *, end: str = "\n") -> bool:
    """Print to stdout; False, quietly, when its reader has gone (a closed pipe), so that the
    command still writes its files and then exits 141."""
    try:
        print(text, end=end, flush=True)
        return True
    except BrokenPipeError:
        _silence_stdout()
        return False


def _silence_stdout() -> None:
    """Point stdout at /dev/null once its reader has gone: the interpreter's last flush must not fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


#: The modules each command (but ``run``) loads before its work: engine, tables, pandas, and
#: for the calibration its estimators and backtests.
_ENGINE = ("pandas", "simulator.runner", "simulator.output")
_ENGINE_COMMANDS = {**{name: _ENGINE for name in ("compare", "solve", "audit", "update", "sensitivity", "report")},
                    "calibrate": (*_ENGINE, "simulator.estimation.pipeline"),
                    "backtest": (*_ENGINE, "simulator.estimation.backtest", "simulator.estimation.target_backtest")}

COMMANDS = {"run": (_run_parser, _run), "compare": compare_command, "solve": solve_command, "audit": audit_command,
            "update": update_command, "sensitivity": sensitivity_command, "report": report_command,
            "calibrate": calibrate_command, "backtest": backtest_command}

_DESCRIPTION = """\
Probability of hitting each of a congress's targets under a scenario.

  simulate FILE [options]        is short for  simulate run FILE [options]
  simulate run FILE              run a scenario file (simulate run --help for its options)
  simulate compare A B [C ...]   policy variants on the same draws: paired differences of P(hit)
  simulate solve FILE            what it takes: the lever value at which P(hit) reaches a probability
  simulate audit FILE            the targets checked against each other (exit 1 when inconsistent)
  simulate update FILE           P(hit) given values published since the base year
  simulate sensitivity FILE      Sobol indices, tornado and scenario discovery
  simulate report FILE           a Markdown and HTML report with charts
  simulate calibrate [CONFIG]    estimate calibration/parameters.toml from calibration/data
  simulate backtest [CONFIG]     rolling-origin backtest of the model's processes and probabilities
"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="simulate", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog="Exit status: 0 done, 2 bad input (one line naming the file and key), 1 a bug, "
                            "130 interrupted.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


def _on_sigterm():
    """Turn SIGTERM into :class:`~simulator.entry.Terminated` (main thread only); the previous
    handler, to restore."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, raise_terminated)


def _fail(message: str, status: int) -> int:
    print(f"simulate: {message}", file=sys.stderr)
    return status


def _glued_overrides(argv: list[str]) -> list[str]:
    """``--set -x=1`` as ``--set=-x=1``: argparse reads a value that starts with '-' as an option
    and stops with "expected one argument"; glued, the override itself is checked, and its error
    names --set and the key as every other bad override does."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if i and argv[i - 1] == "--set" and out[-1] == "--set" and arg.startswith("-") and "=" in arg:
            out[-1] = f"--set={arg}"
        else:
            out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    from .terminal import safe_streams

    safe_streams()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        close = difflib.get_close_matches(argv[0], COMMANDS, n=1)
        if close and not argv[0].endswith(".toml") and not os.path.lexists(argv[0]):  # a misspelt command
            return _fail(f"error: unknown command '{argv[0]}'; did you mean '{close[0]}'? (see 'simulate --help')", 2)
        argv = ["run"] + argv  # `simulate FILE` is `simulate run FILE`
    argv = _glued_overrides(argv)
    previous = _on_sigterm()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        keep_freed_memory()
        if args.command is None:
            parser.print_help()
            return 2
        if args.command in _ENGINE_COMMANDS:
            with signals_deferred():  # what the command imports first (``simulate FILE`` loads in two steps)
                for module in _ENGINE_COMMANDS[args.command]:
                    importlib.import_module(module)
        with kept_pools():  # worker processes, once started, serve every phase of the command
            return COMMANDS[args.command][1](args)
    except InputError as exc:
        return _fail(f"error: {exc}", 2)
    except OutputIntegrityError as exc:
        return _fail(f"internal error (a bug; please report it): {exc}; nothing was written", 1)
    except BrokenPipeError:  # the reader of stdout left (`simulate FILE | head`): stop quietly, as a shell tool does
        _silence_stdout()
        return 141
    except OSError as exc:  # a fault of the machine rather than of the input: disk full, no permission
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"error: {where}{exc.strerror or exc}", 2)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Terminated:
        return _fail("terminated", 143)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
