"""``simulate calibrate`` and ``simulate backtest``: argument parsing and file writing only.

Registered in :data:`simulator.cli.COMMANDS`. The estimation modules (and statsmodels) are
imported when a command runs, so ``simulate run`` does not pay for them.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError

DEFAULT_CONFIG = Path("calibration/calibrate.toml")


def _calibrate_parser(sub) -> None:
    p = sub.add_parser("calibrate", help="estimate the calibration file from calibration/data")
    p.add_argument("config", nargs="?", type=Path, default=DEFAULT_CONFIG,
                   help=f"calibration config (default {DEFAULT_CONFIG})")
    p.add_argument("--report", action="store_true", help="also write the data report (coverage, sources, disagreements)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if the calibration file (and with --report the report) would change")
    p.add_argument("--allow-outside", action="store_true",
                   help="let the config's data and output paths leave its project tree")


def _calibrate(args) -> int:
    from ..output import write_set
    from .pipeline import calibrate
    from .writer import differences

    out = calibrate(args.config, allow_outside=args.allow_outside)
    files = [(out.parameters_path, out.text)] + ([(out.report_path, out.report)] if args.report else [])
    if args.check:
        stale, close = [], 0.0
        for number, (path, text) in enumerate(files):
            old = path.read_text(encoding="utf-8") if path.is_file() else None
            if number == 0 and old is not None:  # the calibration file: numbers within the optimiser's tolerance
                changed, largest = differences(old, text)
                close = max(close, largest)
                if changed:
                    stale.append(f"{path} would change (first at {changed[0]}; {len(changed)} in all)")
            elif old != text:
                stale.append(f"{path} would change")
        for line in stale:
            print(line)
        if not stale:
            print("calibration is up to date: " + ", ".join(str(p) for p, _ in files)
                  + (f" (numbers within {close:.1e} of the estimates on this machine: the optimiser's tolerance)"
                     if close else ""))
        return 1 if stale else 0
    write_set(files)  # the calibration file and its report change together or not at all
    run = out.run
    print(f"Estimated {len(run.entries)} parameters and {len(run.correlations)} correlations; "
          f"{len(run.fallbacks)} kept their prior for lack of data (see the data report).")
    if args.report:
        print(f"Data report: {len(out.observations.rows)} rows, {len(out.observations.disagreements)} disagreeing "
              f"source values, {len(run.aggregated)} merged-unit aggregates.")
    print("Wrote " + ", ".join(str(p) for p, _ in files))
    return 0


def _backtest_parser(sub) -> None:
    p = sub.add_parser("backtest", help="rolling-origin backtests of the model's processes and of its target "
                                        "probabilities on history")
    p.add_argument("config", nargs="?", type=Path, default=DEFAULT_CONFIG,
                   help=f"calibration config with a [backtest] table (default {DEFAULT_CONFIG})")
    p.add_argument("--out", type=Path, default=Path("out/backtest"), help="output folder (default out/backtest)")
    p.add_argument("--force", action="store_true",
                   help="write into an output folder that already holds files (those of the same names are replaced)")
    p.add_argument("--paths", type=int, help="simulated paths per forecast (default: the config's)")
    p.add_argument("--seed", type=int, help="random seed (default: the config's)")
    p.add_argument("--allow-outside", action="store_true",
                   help="let the config's data and output paths leave its project tree")


def _backtest(args) -> int:
    from ..folder import check_free
    from ..output import write_files
    from .backtest import pit_frame, render_summary, run_backtest, summary_frame
    from .config import MAX_PATHS, load_config
    from .data import load_observations

    if args.paths is not None and args.paths < 100:
        raise InputError(f"expected at least 100 paths, got {args.paths}", file="command line", key="--paths")
    if args.seed is not None and args.seed < 0:
        raise InputError(f"expected a number >= 0, got {args.seed}", file="command line", key="--seed")
    config = load_config(args.config, allow_outside=args.allow_outside)
    if config.backtest is None and config.target_backtest is None:
        raise InputError("no [backtest] or [target_backtest] table", file=args.config, key="backtest")
    for table in ("backtest", "target_backtest"):
        if args.paths is not None and getattr(config, table) is not None and args.paths > MAX_PATHS[table]:
            raise InputError(f"expected at most {MAX_PATHS[table]:,} paths for [{table}], got {args.paths:,}",
                             file="command line", key="--paths")
    check_free(args.out, force=args.force)  # before the work, as every command that writes a folder
    observations = load_observations(config)
    files = {}
    if config.backtest is not None:
        result = run_backtest(config, observations, paths=args.paths, seed=args.seed)
        summary = render_summary(result, config)
        files.update({"scores.csv": result.scores.to_csv(index=False, float_format="%.6g"),
                      "summary.csv": summary_frame(result).to_csv(index=False, float_format="%.6g"),
                      "pit.csv": pit_frame(result).to_csv(index=False, float_format="%.6g"),
                      "skipped.csv": result.skipped.to_csv(index=False),
                      "summary.md": summary})
        print(summary)
    if config.target_backtest is not None:
        from .target_backtest import output_files, run_target_backtest

        targets = run_target_backtest(config, observations, paths=args.paths, seed=args.seed)
        target_files = output_files(targets, config)
        files.update(target_files)
        print(target_files["target_summary.md"])
    write_files(args.out, files)
    print("Wrote " + ", ".join(str(args.out / n) for n in files))
    return 0


calibrate_command = (_calibrate_parser, _calibrate)
backtest_command = (_backtest_parser, _backtest)
