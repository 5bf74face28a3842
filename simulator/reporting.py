"""``simulate sensitivity`` and ``simulate report``: argument parsing, the terminal tables, a progress
bar and the output files; the work is done by :mod:`simulator.sensitivity` and
:mod:`simulator.report`. Registered in :data:`simulator.cli.COMMANDS`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .errors import InputError
from .planning import add_run_options, check_workers, emit, output_folder
from .terminal import plain_table, shorten

# ---------------------------------------------------------------- shared


#: The sensitivity analysis's options and their defaults (``report`` refuses them without --sensitivity).
_SENSITIVITY_DEFAULTS = {"targets": [], "samples": 512, "inner": 32, "lever": [], "band": "0.02:0.98", "resamples": 999,
                         "sensitivity_paths": 8192}


def _add_sensitivity_options(p, *, paths_flag: str) -> None:
    d = _SENSITIVITY_DEFAULTS
    p.add_argument("--targets", nargs="+", default=d["targets"], metavar="ID",
                   help="targets to analyse (default: every simulated target with P(hit) inside --band)")
    p.add_argument("--samples", type=int, default=d["samples"], help="Sobol base samples, a power of two (default 512)")
    p.add_argument("--inner", type=int, default=d["inner"],
                   help="shock paths per Sobol row, the same for every row (common random numbers; default 32)")
    p.add_argument("--lever", action="append", default=d["lever"], metavar="NAME=LOW:HIGH",
                   help="treat a lever as uncertain, uniform over the range, e.g. investment_share=0.30:0.45 (repeatable)")
    p.add_argument("--band", default=d["band"], metavar="LOW:HIGH",
                   help="'middling' P(hit): the default targets and those given a discovery box (default 0.02:0.98)")
    p.add_argument("--resamples", type=int, default=d["resamples"],
                   help="bootstrap resamples of the Sobol intervals (default 999)")
    if paths_flag != "--paths":
        p.add_argument(paths_flag, type=int, default=d["sensitivity_paths"],
                       help="paths of the baseline, each tornado run and the discovery (default 8,192)")
    p.add_argument("--quiet", action="store_true", help="no progress bar on standard error")


def _config(args, paths: int | None):
    from .sensitivity import SensitivityConfig, least_resamples, parse_lever_range

    low, _, high = args.band.partition(":")
    try:
        band = (float(low), float(high))
    except ValueError:
        raise InputError(f"expected LOW:HIGH, e.g. 0.02:0.98, got {args.band!r}", file="command line",
                         key="--band") from None
    for name, value in (("--samples", args.samples), ("--inner", args.inner), ("--resamples", args.resamples)):
        if value <= 0:
            raise InputError(f"expected a positive number, got {value}", file="command line", key=name)
    confidence = SensitivityConfig.confidence
    if args.resamples < least_resamples(confidence):
        raise InputError(f"expected at least {least_resamples(confidence)} resamples for a {confidence:.0%} interval "
                         f"(each of its tails needs one: 2 / (1 − confidence)), got {args.resamples}",
                         file="command line", key="--resamples")
    return SensitivityConfig(targets=tuple(args.targets), levers=tuple(parse_lever_range(t) for t in args.lever),
                             samples=args.samples, inner=args.inner, paths=paths or 8192, band=band,
                             resamples=args.resamples)


def progress_bar(quiet: bool, stream=None):
    """A callback drawing ``stage [####....] 45 %`` on standard error, or None when it is not a
    terminal or with ``--quiet`` (a scheduled job's log gets no carriage returns)."""
    stream = stream or sys.stderr
    if quiet or not stream.isatty():
        return None
    state = {"stage": None}

    def update(stage: str, done: int, total: int) -> None:
        if state["stage"] not in (None, stage):
            stream.write("\n")
        state["stage"] = stage
        share = done / total if total else 1.0
        filled = int(30 * share)
        stream.write(f"\r{stage:<10} [{'#' * filled}{'.' * (30 - filled)}] {100 * share:3.0f} %")
        if done >= total:
            stream.write("\n")
            state["stage"] = None
        stream.flush()

    return update


def _inputs(path, args, *, paths=None):
    if paths is not None and paths <= 0:
        raise InputError(f"expected a positive number of paths, got {paths}", file="command line", key="--paths")
    check_workers(args)
    from .inputs import resolve
    from .scenario import load_scenario

    return resolve(load_scenario(path, overrides=args.set, paths=paths, seed=args.seed, chunk_size=args.chunk_size,
                                 allow_outside=args.allow_outside))


# ---------------------------------------------------------------- sensitivity


def _sensitivity_parser(sub) -> None:
    p = sub.add_parser("sensitivity", help="Sobol indices, variance split, tornado and scenario discovery of the targets",
                       description="Global sensitivity of each target's final-year value and hit indicator to every "
                                   "uncertain parameter and every --lever range. --paths sets the paths of the "
                                   "baseline, of each tornado run and of the discovery (default 8,192); the Sobol "
                                   "design runs samples × (inputs + 2) rows × --inner shock paths. The Sobol rows "
                                   "and the tornado's factors run on --workers local processes (default: every core "
                                   "from a design of 400,000 paths, as the default one) or --dask; neither changes a "
                                   "number.")
    add_run_options(p)
    _add_sensitivity_options(p, paths_flag="--paths")


def _analysis_workers(args, inputs, config) -> int:
    """Workers of a sensitivity analysis: as asked, else as for a run of its Sobol design's paths
    (samples × (inputs + 2) × inner, about a million by default: every core)."""
    from .pool import default_workers

    uncertain = len(inputs.contract.parameters) + len(inputs.contract.satellite_parameters) + len(config.levers)
    return args.workers or default_workers(config.samples * (uncertain + 2) * config.inner)


def _sensitivity(args) -> int:
    from .output import labels
    from .sensitivity import analyse

    inputs = _inputs(args.scenario, args)
    config = _config(args, args.paths)
    folder = output_folder(args, Path("out") / f"sensitivity_{inputs.name}")
    started = time.perf_counter()
    result = analyse(inputs, config=config, progress=progress_bar(args.quiet), workers=_analysis_workers(args, inputs, config),
                     dask=args.dask)
    elapsed = time.perf_counter() - started
    payload = result.to_dict()
    files = {**result.tables(), "sensitivity.json": json.dumps(payload, ensure_ascii=False, indent=2) + "\n"}
    text = render_sensitivity(result, lang=args.lang) + "\n" + labels(args.lang)["plan"]["sens_time"].format(
        seconds=format(elapsed, ".1f").translate(str.maketrans({".": labels(args.lang)["decimal_mark"]})))
    emit(args, payload, text, files, folder)
    return 0


def _value(x: float, unit: str) -> str:
    from .discovery import format_value

    return format_value(x, unit)


def _level(x: float) -> str:
    """A median in the registry's unit: whole numbers from 1,000, else four significant digits."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def render_sensitivity(result, *, lang: str = "en", top: int = 5) -> str:
    """The terminal report of :func:`simulator.sensitivity.analyse`: the variance split per target,
    then per target its largest Sobol indices, its tornado and its discovery box, in ``lang``."""
    from .output import labels, number_marks

    words = labels(lang)
    w, p = words["report"], words["plan"]
    marks = number_marks(words)

    def num(x: float, spec: str = ".2f") -> str:
        return format(x, spec).translate(marks)

    def interval(share, low, high) -> str:
        return f"{num(share)} [{num(low)}{p['interval_separator']}{num(high)}]"

    c = result.config
    d = len(result.factors)
    kinds = [f.kind.value for f in result.factors]
    name = {t.id: (t.name_vi if lang == "vi" else t.name_en) for t in result.targets}
    band = "" if c.targets else p["sens_band"].format(low=num(c.band[0], "g"), high=num(c.band[1], "g"),
                                                       paths=num(c.paths, ",d"))
    lines = [p["sens_title"].format(scenario=result.scenario, seed=result.seed, d=d, core=kinds.count("parameter"),
                                    satellite=kinds.count("satellite parameter"), levers=kinds.count("lever"),
                                    n=len(result.targets), band=band),
             p["sens_design"].format(samples=c.samples, rows=num(c.samples * (d + 2), ",d"), inner=c.inner,
                                     evaluations=num(result.sobol.evaluations, ",d"), resamples=c.resamples,
                                     paths=num(c.paths, ",d")), "", p["sens_split"]]
    rows = []
    for k, t in enumerate(result.targets):
        value, hit = result.sobol.splits[k]
        best = result.sobol.top(t.id, "hit", 1)
        j = 2 * k + 1
        top_text = (f"{best[0][0].name}{' *' if best[0][0].assumption else ''} "
                    f"{num(result.sobol.estimate.total[j, best[0][1]])}" if best else "—")
        rows.append((t.id, shorten(name[t.id], 36), num(t.p_hit, ".3f"), interval(hit.share, hit.low, hit.high),
                     interval(value.share, value.low, value.high), top_text))
    lines.append(plain_table((words["id"], w["target"], w["p_hit"], p["sens_hit"], p["sens_value"], p["sens_top"]), rows))
    lines.append(p["sens_assumption"])
    boxes = {b.target: b for b in result.boxes}
    units = {f.name: f.unit for f in result.factors}
    box_words = {"box": w["box"], "and": w["and"], "anywhere": w["anywhere"], "disaster": w["disaster"],
                 "no_disaster": w["no_disaster"], "decimal_mark": words["decimal_mark"], "drivers": w["drivers"]}
    for k, t in enumerate(result.targets):
        j = 2 * k + 1
        lines += ["", p["sens_target"].format(id=t.id, name=name[t.id], p=num(t.p_hit, ".3f"),
                                              median=_level(t.median).translate(marks), unit=t.unit)]
        est = result.sobol.estimate
        sobol_rows = [(f"{f.name}{' *' if f.assumption else ''}", "",
                       interval(est.first[j, i], est.first_low[j, i], est.first_high[j, i]),
                       interval(est.total[j, i], est.total_low[j, i], est.total_high[j, i]))
                      for f, i in result.sobol.top(t.id, "hit", top)]
        if sobol_rows:
            lines.append(_indent(plain_table((p["sens_sobol"], "", "S1 [95 %]", "ST [95 %]"), sobol_rows)))
        else:
            lines.append("  " + p["sens_constant"])
        bars = [(f"{b.factor}{' *' if b.assumption else ''}", "",
                 f"{_value(b.value_low, units.get(b.factor, ''))} → {_value(b.value_high, units.get(b.factor, ''))}"
                 .translate(marks),
                 f"{num(b.p_low, '.3f')} → {num(b.p_high, '.3f')} ({num(b.swing, '+.3f')} ± {num(b.swing_se, '.3f')})",
                 f"{_level(b.median_low)} → {_level(b.median_high)}".translate(marks) + f" {t.unit}")
                for b in result.tornado.bars[k][:top]]
        lines.append(_indent(plain_table((p["sens_tornado"], "", p["sens_input"], p["sens_swing"], words["median"]),
                                         bars)))
        if t.id in boxes:
            lines.append("  " + p["sens_box"] + (boxes[t.id].text(words=box_words) if lang != "en" else boxes[t.id].text()))
    if result.not_discovered:
        lines += ["", p["sens_no_box"] + "; ".join(f"{i} ({r})" for i, r in result.not_discovered)]
    return "\n".join(lines)


# ---------------------------------------------------------------- report


def _report_parser(sub) -> None:
    p = sub.add_parser("report", help="a self-contained report folder: report.md, index.html, charts and CSV",
                       description="Run the scenario (and the --compare variants on the same draws), optionally the "
                                   "sensitivity analysis, and write report.md, index.html, the PNG charts and the CSV "
                                   "tables into --out (default out/report_<name>/).")
    add_run_options(p)
    p.add_argument("--compare", nargs="+", default=[], metavar="FILE",
                   help="variant scenario files compared with FILE on the same draws")
    p.add_argument("--sensitivity", action="store_true", help="add Sobol indices, the tornado and discovery boxes")
    _add_sensitivity_options(p, paths_flag="--sensitivity-paths")


def _report(args) -> int:
    from .audit import audit
    from .compare import from_run
    from .report import build_report, check_report_folder, load_history, write_report
    from .pool import default_workers
    from .runner import Variant, run_variants
    from .sensitivity import analyse

    progress = progress_bar(args.quiet)

    def stage(text: str) -> None:
        if progress is not None:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    if not args.sensitivity:  # an option of the analysis would be ignored, silently
        for name, default in _SENSITIVITY_DEFAULTS.items():
            if getattr(args, name) != default:
                flag = "--" + name.replace("_", "-")
                raise InputError(f"{flag} is an option of the sensitivity analysis: add --sensitivity", file="command line",
                                 key=flag)
    started = time.perf_counter()
    inputs = _inputs(args.scenario, args, paths=args.paths)
    variants = [inputs] + [_inputs(path, args, paths=args.paths) for path in args.compare]
    config = _config(args, args.sensitivity_paths) if args.sensitivity else None
    out = None if args.no_write else (args.out or Path("out") / f"report_{inputs.name}")
    if out is not None:  # before any work: an existing report folder needs --force
        check_report_folder(out, force=args.force)
    stage(f"running {inputs.paths:,} paths of {len(variants)} variant(s)")
    workers = args.workers or default_workers(inputs.paths)
    run = run_variants([Variant(v) for v in variants], workers=workers, dask=args.dask)
    comparison = from_run(run, tuple(v.source_file for v in variants)) if args.compare else None
    sensitivity, chart_workers = None, 1
    if config is not None:
        stage("sensitivity analysis")
        analysis_workers = _analysis_workers(args, inputs, config)
        sensitivity = analyse(inputs, config=config, progress=progress, workers=analysis_workers, dask=args.dask)
        # its worker processes (kept for the command) draw the charts too: about 60 with the analysis
        chart_workers = analysis_workers if args.dask is None else 1
    stage("charts")
    report = build_report(result=run.results[0], inputs=inputs, audit=audit(inputs),
                          history=load_history(inputs.calibration.path, base_year=int(inputs.years[0])),
                          comparison=comparison, sensitivity=sensitivity, lang=args.lang, workers=chart_workers)
    elapsed = time.perf_counter() - started
    if out is None:
        print(report.markdown, end="")
        return 0
    written = write_report(report, out, force=args.force)
    if args.format == "json":
        print(json.dumps({"out": str(out), "files": [p.name for p in written],
                          "sections": [s.anchor for s in report.document.sections], "lang": args.lang},
                         ensure_ascii=False, indent=2))
    else:
        print(f"Report of '{inputs.name}' ({args.lang}) in {out}/: report.md, index.html, "
              f"{len(report.document.images)} charts, {len(report.tables)} tables; {elapsed:.1f} s.")
    return 0


sensitivity_command = (_sensitivity_parser, _sensitivity)
report_command = (_report_parser, _report)
