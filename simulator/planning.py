"""``simulate compare``, ``solve``, ``audit`` and ``update``: argument parsing, the terminal tables
and the output files; the work is done by :mod:`simulator.compare`, :mod:`simulator.solve`,
:mod:`simulator.audit` and :mod:`simulator.nowcast`. Registered in :data:`simulator.cli.COMMANDS`.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError
from .terminal import fit_table, plain_table, shorten, table_width, terminal_width

if TYPE_CHECKING:
    import pandas as pd

# The engine, pandas and numpy load inside the commands: the command line parses its arguments
# (and starts its worker processes) before it pays for them.


def add_run_options(p, *, scenario: bool = True, dask: bool = True) -> None:
    """The options of ``simulate FILE`` that every planning command takes (``--dask`` where the
    command's runs can go to a cluster)."""
    if scenario:
        p.add_argument("scenario", help="scenario TOML file, e.g. scenarios/base.toml")
    p.add_argument("--paths", type=int, help="number of Monte Carlo paths")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument("--chunk-size", type=int, help="paths held in memory at once (does not change results)")
    p.add_argument("--workers", type=int, help="local worker processes (never changes a number)")
    if dask:
        p.add_argument("--dask", metavar="ADDRESS", help="run on a dask.distributed scheduler at ADDRESS, or 'local' "
                       "(never changes a number)")
    p.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help="override a scenario key in every scenario file given (repeatable)")
    add_outside_option(p)
    add_output_options(p)
    p.add_argument("--format", choices=("table", "json"), default="table", help="what to print on stdout")
    p.add_argument("--lang", choices=("en", "vi"), default="en", help="language of target names in the tables")


def add_outside_option(p) -> None:
    """--allow-outside of a command that reads scenario files."""
    p.add_argument("--allow-outside", action="store_true",
                   help="let extends and the calibration, registry and satellite paths leave the project tree")


def add_output_options(p) -> None:
    """--out, --force and --no-write of a command that writes a set of files into a folder."""
    p.add_argument("--out", type=Path, help="output folder")
    p.add_argument("--force", action="store_true",
                   help="write into an output folder that already holds files (those of the same names are replaced)")
    p.add_argument("--no-write", action="store_true", help="print only, write no files")


def output_folder(args, default: Path) -> Path | None:
    """The folder the command writes into (``--out``, else ``default``), checked before any work
    (:func:`simulator.folder.check_free`: a folder holding files needs ``--force``); None with
    ``--no-write``."""
    if args.no_write:
        return None
    from .folder import check_free

    folder = args.out or default
    check_free(folder, force=args.force)
    return folder


def check_workers(args) -> None:
    """--workers, where given, is a positive count of processes (capped at the cores:
    :func:`simulator.pool.at_most_cores`)."""
    if getattr(args, "workers", None) is not None and args.workers < 1:
        raise InputError(f"expected a positive number of worker processes, got {args.workers}", file="command line",
                         key="--workers")
    if hasattr(args, "workers"):
        from .pool import at_most_cores

        args.workers = at_most_cores(args.workers)


def _inputs(path, args):
    if args.paths is not None and args.paths <= 0:
        raise InputError(f"expected a positive number of paths, got {args.paths}", file="command line", key="--paths")
    check_workers(args)
    from .inputs import resolve
    from .scenario import load_scenario

    return resolve(load_scenario(path, overrides=args.set, paths=args.paths, seed=args.seed, chunk_size=args.chunk_size,
                                 allow_outside=args.allow_outside))


def _names(inputs, lang: str) -> dict[str, str]:
    return {t.id: (t.name_vi if lang == "vi" else t.name_en) for t in inputs.registry.targets}


def emit(args, payload: dict, text: str, files: dict[str, str], folder: Path | None) -> None:
    """What a planning or reporting command gives: its payload (``--format json``) or its text on
    stdout, and its files written as one set into ``folder`` (from :func:`output_folder`; None
    writes nothing)."""
    if args.format == "json":
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(text)
    if folder is not None:
        from .output import write_files

        written = write_files(folder, files)
        if args.format == "table":
            print("Wrote " + ", ".join(str(p) for p in written))


# ---------------------------------------------------------------- compare


def _compare_parser(sub) -> None:
    p = sub.add_parser("compare", help="policy variants on common random numbers: paired differences of P(hit)")
    p.add_argument("scenarios", nargs="+", metavar="FILE", help="two or more scenario files; the first is the baseline")
    add_run_options(p, scenario=False)
    p.add_argument("--unpaired", action="store_true",
                   help="allow variants whose calibration, registry or seed differ: separate draws, unpaired (wide) SEs")


def _compare(args) -> int:
    from .compare import from_run, from_separate_runs
    from .pool import default_workers
    from .runner import Variant, run_variants

    if len(args.scenarios) < 2:
        raise InputError("give at least two scenario files (the first is the baseline)", file="command line")
    inputs = [_inputs(path, args) for path in args.scenarios]
    first = inputs[0]
    problems, unpaired_files = [], []
    for path, other in zip(args.scenarios[1:], inputs[1:]):
        differ = first.contract.differences(other.contract)
        if other.calibration.path != first.calibration.path:
            differ.append("calibration file")
        if other.registry.path != first.registry.path:
            differ.append("target registry")
        if differ:
            problems.append(f"{other.name}: {', '.join(differ)}")
            unpaired_files.append(path)
    files = tuple(i.source_file for i in inputs)
    workers = args.workers or default_workers(first.paths)
    if problems and not args.unpaired:
        raise InputError("the variants cannot be paired (their differences would not be on the same draws): "
                         + "; ".join(problems) + f" differ from the baseline {args.scenarios[0]}. Use --unpaired for an "
                         "unpaired comparison", file=unpaired_files[0])
    folder = output_folder(args, Path("out") / ("compare_" + "_vs_".join(i.name for i in inputs)))
    if problems:
        comparison = from_separate_runs([run_variants([Variant(i)], workers=workers, dask=args.dask).results[0]
                                         for i in inputs], files)
    else:
        comparison = from_run(run_variants([Variant(i) for i in inputs], workers=workers, dask=args.dask), files)
    payload = comparison.to_dict()
    csv = {"compare_targets.csv": comparison.targets_frame().to_csv(index=False, float_format="%.6g"),
           "compare_series.csv": comparison.series_frame().to_csv(index=False, float_format="%.6g"),
           "compare_groups.csv": comparison.groups_frame().to_csv(index=False, float_format="%.6g"),
           "compare.json": json.dumps(payload, ensure_ascii=False, indent=2) + "\n"}
    emit(args, payload, render_comparison(comparison, _names(first, args.lang), lang=args.lang), csv, folder)
    return 0


def _words(lang: str) -> tuple[dict, dict, dict]:
    """(the language's labels, their planning words, the translation of the number marks)."""
    from .output import labels, number_marks

    words = labels(lang)
    return words, words["plan"], number_marks(words)


def _signed(x: float) -> str:
    """A difference to three decimals with its sign, never "-0.000" (a tiny negative rounded)."""
    return f"{round(float(x), 3) + 0.0:+.3f}"


def render_comparison(comparison, names: dict[str, str], *, lang: str = "en") -> str:
    """P(hit) per variant and ΔP against the baseline with its 95 % interval; '~' = inside the noise."""
    from .metrics import SERIES
    from .output import group_name
    from .units import UNITS_VI

    words, w, marks = _words(lang)
    diffs = comparison.differences()
    variants = comparison.names
    head = (words["id"], words["target"]) + tuple(f"P {v}" for v in variants) + tuple(
        f"Δ {v} [95 %]" for v in variants[1:]) + (w["rank"],)
    rows = []
    for j, target_id in enumerate(comparison.ids):
        cells = [target_id, shorten(names.get(target_id, target_id), 44)]
        cells += [f"{comparison.hits[v, j] / comparison.results[v].paths:.3f}".translate(marks) for v in range(len(variants))]
        ranks = []
        for name in variants[1:]:
            d = diffs[name]
            mark = "" if d["significant"][j] else " ~"
            low, high = (_signed(x).translate(marks) for x in d["ci"][j])
            cells.append(_signed(d["delta"][j]).translate(marks) + f" [{low}{w['interval_separator']}{high}]{mark}")
            rank = comparison._ranks(d).get(j)
            ranks.append(str(rank) if rank else "")
        cells.append(w["list_separator"].join(r for r in ranks if r) or "")
        rows.append(tuple(cells))
    kind = w["paired"] if comparison.paired else w["unpaired"]
    out = [w["comparison_title"].format(n=len(variants), paths=f"{comparison.paths:,}".translate(marks),
                                        seed="/".join(dict.fromkeys(str(r.seed) for r in comparison.results)),
                                        baseline=variants[0], kind=kind),
           plain_table(head, rows), w["noise_note"]]
    series = comparison.series_frame()
    if not series.empty:
        wide = series.pivot(index="metric", columns="variant", values="median")[list(variants)]
        units = dict(zip(series["metric"], series["unit"]))
        out.append("\n" + w["medians_title"].format(year=int(series["year"].iloc[0])))
        def series_name(m: str) -> tuple[str, str]:  # Vietnamese names and units in vi, the ids in en
            return (shorten(SERIES[m].vi, 44), UNITS_VI.get(units[m], units[m])) if lang == "vi" else (m, units[m])

        rows = [series_name(m) + tuple(_number(wide.loc[m, v]).translate(marks) for v in variants) for m in wide.index]
        out.append(plain_table((w["series"], words["unit"]) + variants, rows))
    groups = comparison.groups_frame()
    p_all = groups.pivot(index="group", columns="variant", values="p_all")[list(variants)]
    out.append("\n" + w["p_all_title"])
    out.append(plain_table((words["group"], "") + variants,
                           [(group_name(comparison.results[0], g, lang), "")
                            + tuple(f"{p_all.loc[g, v]:.4f}".translate(marks) for v in variants) for g in p_all.index]))
    return "\n".join(out)


# ---------------------------------------------------------------- solve


#: Lever values of the grids of solve --all and --frontier unless --grid says otherwise.
DEFAULT_GRID = 11


def _solve_parser(sub) -> None:
    p = sub.add_parser("solve", help="what it takes: the lever value at which P(hit) reaches a probability")
    add_run_options(p)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--target", help="target id, e.g. 1c")
    which.add_argument("--all", action="store_true", help="the 'what it takes' table: every simulated target")
    p.add_argument("--lever", required=True, help="lever name (simulator/levers.py), e.g. investment_share")
    p.add_argument("--probability", type=float, default=0.5, help="P(hit) to reach (default 0.5)")
    p.add_argument("--range", type=float, nargs=2, metavar=("LOW", "HIGH"), help="search range of the lever")
    p.add_argument("--deterministic", action="store_true",
                   help="only the lever at which the zero-volatility path meets the target (LTGM's 'what it takes')")
    p.add_argument("--frontier", metavar="LEVER2", help="also a P(hit) surface on a grid of --lever × LEVER2")
    p.add_argument("--range2", type=float, nargs=2, metavar=("LOW", "HIGH"), help="range of LEVER2")
    p.add_argument("--grid", type=int, help=f"grid points per lever for --all and --frontier (default {DEFAULT_GRID})")
    p.add_argument("--wide", action="store_true", help="--all: every column and full names, whatever the terminal width")


def _solve(args) -> int:
    import numpy as np
    import pandas as pd

    from .pool import default_workers
    from .solve import frontier, lever_range, solve, solve_all, solve_deterministic

    if args.grid is not None and not (args.all or args.frontier):
        raise InputError("--grid sets the lever values of --all and --frontier; a single --target finds each path's "
                         "crossing itself: drop --grid or add --all or --frontier", file="command line", key="--grid")
    args.grid = DEFAULT_GRID if args.grid is None else args.grid
    if args.grid < 2:
        raise InputError("expected at least 2 grid points", file="command line", key="--grid")
    inputs = _inputs(args.scenario, args)
    bounds = tuple(args.range) if args.range else None
    _check_frontier(args)
    names = _names(inputs, args.lang)
    workers = args.workers or default_workers(inputs.paths)
    if args.dask is not None and args.deterministic:
        raise InputError("--deterministic solves one path in this process: it takes no --dask", file="command line",
                         key="--dask")
    folder = output_folder(args, Path("out") / f"solve_{inputs.name}")
    if args.all:
        rows = solve_all(inputs, lever=args.lever, probability=args.probability, bounds=bounds, points=args.grid,
                         workers=workers, dask=args.dask)
        lo, hi = lever_range(args.lever, bounds)
        payload = {"lever": args.lever, "probability": args.probability, "lever_range": [lo, hi], "grid": args.grid,
                   "paths": inputs.paths, "targets": rows}
        text = render_what_it_takes(rows, names, args.lever, args.probability, (lo, hi), inputs.paths, args.grid,
                                    lang=args.lang, width=None if args.wide else terminal_width())
        files = {"solve_all.csv": pd.DataFrame(rows).to_csv(index=False, float_format="%.6g"),
                 "solve_all.json": json.dumps(payload, ensure_ascii=False, indent=2) + "\n"}
        emit(args, payload, text, files, folder)
        return 0
    if args.deterministic:
        value = solve_deterministic(inputs, target_id=args.target, lever=args.lever, bounds=bounds)
        payload = {"target": args.target, "lever": args.lever, "deterministic": value}
        text = (f"Zero-volatility path: {args.target} is met at {args.lever} = {value:.6g}" if value is not None else
                f"Zero-volatility path: {args.target} is not crossed by {args.lever} in its range")
        emit(args, payload, text, {"solve_deterministic.json": json.dumps(payload, indent=2) + "\n"}, folder)
        return 0
    solution = solve(inputs, target_id=args.target, lever=args.lever, probability=args.probability, bounds=bounds,
                     workers=workers, dask=args.dask)
    payload = solution.to_dict()
    files = {"solve.json": json.dumps(payload, ensure_ascii=False, indent=2) + "\n",
             "solve_curve.csv": pd.DataFrame(payload["curve"]).to_csv(index=False, float_format="%.6g")}
    text = render_solution(solution, names, lang=args.lang)
    if args.frontier:
        lo2, hi2 = lever_range(args.frontier, tuple(args.range2) if args.range2 else None, keys=("--frontier", "--range2"))
        lo, hi = lever_range(args.lever, bounds)
        surface = frontier(inputs, target_id=args.target, levers=(args.lever, args.frontier),
                           grids=(np.linspace(lo, hi, args.grid), np.linspace(lo2, hi2, args.grid)),
                           probability=args.probability, workers=workers, dask=args.dask)
        payload["frontier"] = surface
        files["solve_frontier.csv"] = _frontier_frame(surface).to_csv(index=False, float_format="%.6g")
        text += "\n\n" + render_frontier(surface, lang=args.lang)
        files["solve.json"] = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    emit(args, payload, text, files, folder)
    return 0


def _check_frontier(args) -> None:
    """Before any work: a --frontier names a second lever for one --target, with its own range."""
    from .solve import lever_range

    if args.frontier is None:
        if args.range2:
            raise InputError("--range2 is the range of the --frontier lever: give --frontier too", file="command line",
                             key="--range2")
        return
    if args.all or args.deterministic:
        raise InputError(f"--frontier draws a surface for one --target, not with {'--all' if args.all else '--deterministic'}",
                         file="command line", key="--frontier")
    if args.frontier == args.lever:
        raise InputError(f"--frontier must name a lever other than --lever ({args.lever})", file="command line",
                         key="--frontier")
    lever_range(args.frontier, tuple(args.range2) if args.range2 else None, keys=("--frontier", "--range2"))


def _number(value: float) -> str:
    """A median for the terminal: whole numbers with thousands separators from 1,000, else 4 digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def render_solution(s, names: dict[str, str], *, lang: str = "en") -> str:
    words, w, marks = _words(lang)

    def num(x: float, spec: str = ".6g") -> str:
        return format(x, spec).translate(marks)

    lo, hi = (num(x, "g") for x in s.lever_range)
    lines = [w["solve_title"].format(target=s.target, name=names.get(s.target, s.target), p=num(s.probability, "g"),
                                     lever=s.lever),
             "  " + w["solve_range"].format(paths=num(s.paths, ",d"), low=lo, high=hi,
                                            p_low=num(s.probability_at_range[0], ".3f"),
                                            p_high=num(s.probability_at_range[1], ".3f"))]
    if s.status == "reached":
        lines.append("  " + w["solution"].format(lever=s.lever, value=num(s.solution), low=num(s.solution_ci95[0]),
                                                 high=num(s.solution_ci95[1])))
    elif s.status == "met over the whole range":
        lines.append("  " + w["met_whole"].format(p=num(s.probability, "g"), lever=s.lever)
                     + ("" if s.moved_by_lever else f" ({w['all_not_moved']})"))  # neither value nor P moves
    elif s.status == "not moved by the lever":
        lines.append("  " + w["not_moved"].format(low=lo, high=hi, p=num(s.max_probability, ".3f")))
    else:
        lines.append("  " + w["unreachable"].format(low=lo, high=hi, p=num(s.max_probability, ".3f"), lever=s.lever,
                                                    at=num(s.argmax, "g")))
    what = (w["zero_meets"].format(lever=s.lever, value=num(s.deterministic)) if s.deterministic is not None
            else w["zero_whole"] if s.deterministic_status == "met over the whole range" else w["zero_never"])
    lines.append("  " + w["zero_volatility"].format(what=what))
    if s.non_monotone_paths:
        from .solve import FINE_POINTS

        lines.append("  " + w["non_monotone"].format(n=num(s.non_monotone_paths, ",d"), points=FINE_POINTS))
    return "\n".join(lines)


def render_what_it_takes(rows, names, lever, probability, bounds, paths, grid, *, lang: str = "en",
                         width: int | None = None) -> str:
    """The "what it takes" table of :func:`simulator.solve.solve_all`, fitted to ``width``
    columns (names, then notes shortened, then the notes left out; None: everything)."""
    words, w, marks = _words(lang)

    def num(x: float, spec: str) -> str:
        return format(x, spec).translate(marks)

    lo, hi = num(bounds[0], "g"), num(bounds[1], "g")

    def cells(compact: bool) -> tuple[tuple, list[tuple]]:
        # compact: the answer column in short words (the lever and its range are in the title),
        # for a terminal too narrow for the full ones once names are cut and notes left out
        say = {k: w[k + "_short" if compact else k] for k in ("for_p", "all_met", "all_not_moved", "all_prior",
                                                              "all_unreachable")}
        head = (words["id"], words["target"], say["for_p"].format(lever=lever, p=num(probability, "g")),
                w["p_at_low"], w["p_at_high"], w["note"])
        table = []
        for r in rows:
            value = {"reached": num(r["solution"], ".4g") if r["reachable"] else "",
                     "met over the whole range": say["all_met"], "not moved by the lever": say["all_not_moved"],
                     "prior": say["all_prior"]}.get(r["status"], say["all_unreachable"].format(low=lo, high=hi))
            notes = []
            if not r["moved_by_lever"] and r["status"] not in ("not moved by the lever", "prior"):
                notes.append(w["all_not_moved"])
            if r["status"] == "unreachable":
                notes.append(w["all_max"].format(p=num(r["max_probability"], ".3f"), at=num(r["argmax"], ".4g")))
            if not r["monotone"]:
                notes.append(w["all_not_monotone"])
            table.append((r["id"], shorten(names.get(r["id"], r["id"]), 44), value, num(r["p_at_low"], ".3f"),
                          num(r["p_at_high"], ".3f"), "; ".join(notes)))
        return head, table

    steps = (("shorten", 1, 16), ("shorten", 5, 20), ("drop", 5), ("shorten", 1, 10))
    head, table, kept = fit_table(*cells(False), width=width, steps=steps)
    if width is not None and table_width(head, table) > width:
        head, table, kept = fit_table(*cells(True), width=width, steps=steps)
    title = w["all_title"].format(lever=lever, low=lo, high=hi, grid=grid, paths=num(paths, ",d"))
    hidden = [] if 5 in kept else [words["hidden_columns"].format(columns=w["note"])]

    def wrapped(text: str) -> list[str]:
        return textwrap.wrap(text, width) if width else [text]

    return "\n".join(wrapped(title) + [plain_table(head, table)] + [line for h in hidden for line in wrapped(h)])


def _frontier_frame(surface: dict) -> pd.DataFrame:
    import pandas as pd

    a, b = surface["levers"]
    rows = [{a: x, b: y, "p_hit": surface["p_hit"][j][i]} for j, y in enumerate(surface[b]) for i, x in enumerate(surface[a])]
    return pd.DataFrame(rows)


def render_frontier(surface: dict, *, lang: str = "en") -> str:
    _, w, marks = _words(lang)

    def num(x: float, spec: str) -> str:
        return format(x, spec).translate(marks)

    a, b = surface["levers"]
    head = (f"{b} \\ {a}", "") + tuple(num(x, ".4g") for x in surface[a])
    rows = [(num(y, ".4g"), "") + tuple(num(p, ".3f") for p in surface["p_hit"][j]) for j, y in enumerate(surface[b])]
    contour = "; ".join(f"{num(c[b], '.4g')} → {num(c[a], '.4g') if c[a] is not None else w['frontier_unreachable']}"
                           for c in surface["contour"])
    return (w["frontier_title"].format(target=surface["target"], a=a, b=b) + "\n" + plain_table(head, rows) + "\n"
            + w["frontier_contour"].format(p=num(surface["probability"], "g"), a=a, b=b, contour=contour))


# ---------------------------------------------------------------- audit


def _audit_parser(sub) -> None:
    p = sub.add_parser("audit", help="check the targets against each other with the identities that bind them "
                                      "(exit 1 when inconsistent)")
    p.add_argument("scenario", help="scenario TOML file (its registry and calibration are audited)")
    p.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE", help="override a scenario key")
    add_outside_option(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--lang", choices=("en", "vi"), default="en",
                   help="language of the table and the findings (simulator/labels.toml); the JSON stays in English")
    add_output_options(p)


def _audit(args) -> int:
    import pandas as pd

    from .audit import audit
    from .inputs import resolve
    from .scenario import load_scenario

    inputs = resolve(load_scenario(args.scenario, overrides=args.set, allow_outside=args.allow_outside))
    folder = output_folder(args, Path("out") / f"audit_{inputs.name}")
    result = audit(inputs)
    payload = result.to_dict()
    words, _, _ = _words(args.lang)
    w, statuses = words["audit"], words["report"]["statuses"]
    said = [(c, *c.said(args.lang)) for c in result.checks]
    rows = [(statuses.get(c.status, c.status), name, ", ".join(c.targets)) for c, name, _ in said]
    text = plain_table((w["head_status"], w["head_check"], w["head_targets"]), rows, left=3) + "\n\n" + "\n".join(
        f"- {name} [{statuses.get(c.status, c.status)}]: {message}" for c, name, message in said)
    text += "\n\n" + w["summary"].format(n=sum(c.status == "inconsistent" for c in result.checks),
                                          status=result.exit_status)
    emit(args, payload, text, {"audit.json": json.dumps(payload, ensure_ascii=False, indent=2) + "\n",
                                "audit.csv": pd.DataFrame([c.to_dict() for c in result.checks]).drop(columns="values")
                                .to_csv(index=False)}, folder)
    return result.exit_status


# ---------------------------------------------------------------- update (nowcast)


def _update_parser(sub) -> None:
    p = sub.add_parser("update", help="P(hit) given values published since the base year (paths conditioned on them)")
    add_run_options(p)
    p.add_argument("--observed", required=True, type=Path, metavar="OBS.csv",
                   help="published values: columns year, metric, value, unit, source")


def _update(args) -> int:
    import pandas as pd

    from .metrics import SERIES
    from .nowcast import MAX_RELATIVE_MISS, culprit, load_observations
    from .units import report_unit
    from .pool import default_workers
    from .runner import Variant, run_variants

    inputs = _inputs(args.scenario, args)
    observed = load_observations(args.observed, years=inputs.years, satellites=inputs.satellites is not None)
    folder = output_folder(args, Path("out") / f"update_{inputs.name}")

    def refuse(found: tuple | None, miss: float) -> None:
        values, gap = found or (observed, miss)
        values = sorted(values, key=lambda o: o.line)
        shown = " and ".join(f"{o.metric} {o.year} = {o.value:g} {SERIES[o.metric].unit}" for o in values)
        which = (shown if len(values) == 1 else f"{shown} together" if len(values) == 2
                 else "the published values together")
        lines = ", ".join(str(o.line) for o in values)
        raise InputError(f"the model's paths cannot show {which}: after conditioning they still miss by {gap:.1e} "
                         "(relative); check the values and their units; nothing was written", file=args.observed,
                         key=(f"line {lines}" if len(values) == 1 else f"lines {lines}") if len(values) <= 2 else None)

    found = culprit(inputs, observed)  # on a few paths, before any long run
    if found is not None:
        refuse(found, found[1])
    run = run_variants([Variant(inputs), Variant(inputs, observed=observed, name=f"{inputs.name}_updated")],
                       workers=args.workers or default_workers(inputs.paths), dask=args.dask)
    before, after = run.results
    miss = after.provenance["observed_largest_relative_miss"]
    if miss > MAX_RELATIVE_MISS:  # some path beyond the first few
        refuse(None, miss)
    targets = []
    for b, a in zip(before.targets, after.targets):
        if b.p_hit is None:
            continue
        targets.append({"id": b.id, "p_hit_before": b.p_hit, "p_hit_before_ci95": list(b.p_hit_ci95),
                        "p_hit_after": a.p_hit, "p_hit_after_ci95": list(a.p_hit_ci95),
                        "median_before": b.median, "median_after": a.median, "unit": b.unit})
    payload = {"scenario": inputs.name, "paths": inputs.paths, "seed": inputs.contract.seed,
               "observed": [o.to_dict() for o in observed],
               "largest_relative_miss": after.provenance["observed_largest_relative_miss"], "targets": targets}
    names = _names(inputs, args.lang)
    words, w, marks = _words(args.lang)
    rows = [(t["id"], shorten(names.get(t["id"], t["id"]), 44)) + tuple(x.translate(marks) for x in (
             f"{t['p_hit_before']:.3f}", f"{t['p_hit_after']:.3f}", f"{t['p_hit_after'] - t['p_hit_before']:+.3f}",
             f"{t['p_hit_after_ci95'][0]:.3f}–{t['p_hit_after_ci95'][1]:.3f}")) for t in targets]
    shown = {o: report_unit(SERIES[o.metric].unit) for o in observed}  # shares and rates in percent
    used = "; ".join(f"{o.metric} {o.year} = {format(o.value * shown[o][1], '.6g').translate(marks)} {shown[o][0]} "
                     f"({o.source})" for o in observed)
    text = (w["update_title"].format(scenario=inputs.name, paths=f"{inputs.paths:,}".translate(marks), n=len(observed),
                                     used=used) + "\n"
            + plain_table((words["id"], words["target"], w["p_before"], w["p_after"], w["change"], w["after_ci"]), rows)
            + "\n" + w["update_note"].format(gap=format(payload["largest_relative_miss"], ".1e").translate(marks)))
    files = {"update.json": json.dumps(payload, ensure_ascii=False, indent=2) + "\n",
             "update_targets.csv": pd.DataFrame(targets).drop(columns=["p_hit_before_ci95", "p_hit_after_ci95"])
             .to_csv(index=False, float_format="%.6g")}
    emit(args, payload, text, files, folder)
    return 0


update_command = (_update_parser, _update)
compare_command = (_compare_parser, _compare)
solve_command = (_solve_parser, _solve)
audit_command = (_audit_parser, _audit)
