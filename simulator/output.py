"""Writing results: atomic files (temp file in the same folder, then rename) and the terminal tables
(targets, group joint probabilities, conditionals), worded from `simulator/labels.toml`."""

from __future__ import annotations

import json
import math
import os
import tempfile
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from .errors import InputError
from .results import NOT_MODELLED, Result


def write_atomic(path: Path, text: str) -> None:
    """Write text so that readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_outputs(result: Result, directory: Path) -> list[Path]:
    """results.json, targets.csv, series.csv (per-year quantiles) and the joint tables in ``directory``:
    joint_groups.csv (P(at least k of n) per group), joint_cohits.csv (paths hitting both targets)
    and joint_correlation.csv (correlation of hit indicators)."""
    files = {
        "results.json": json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n",
        "targets.csv": result.targets_frame().to_csv(index=False),
        "series.csv": result.series_frame().to_csv(index=False, float_format="%.6g"),
    }
    files["joint_groups.csv"] = result.groups_frame().to_csv(index=False, float_format="%.6g")
    files["joint_cohits.csv"] = result.cohits_frame().to_csv(index_label="id")
    files["joint_correlation.csv"] = result.correlation_frame().to_csv(index_label="id", float_format="%.4f")
    written = []
    for name, text in files.items():
        write_atomic(directory / name, text)
        written.append(directory / name)
    return written


@cache
def labels(lang: str) -> dict:
    """The words of the reports in ``lang`` (``simulator/labels.toml``)."""
    table = tomllib.loads(resources.files("simulator").joinpath("labels.toml").read_text(encoding="utf-8"))
    if lang not in table:
        raise InputError(f"no labels for language '{lang}'; available: {', '.join(table)}", file="simulator/labels.toml")
    return table[lang]


def _number(x, unit: str | None) -> str:
    if x is None or pd.isna(x):
        return "—"
    if unit in ("%", "%/yr", "index") or abs(x) < 100:
        return f"{x:,.2f}" if abs(x) < 100 else f"{x:,.1f}"
    return f"{x:,.0f}"


def _marks(words: dict) -> dict:
    """Translation of the English number marks to the language's (``1,234.5`` → ``1.234,5`` in vi)."""
    return str.maketrans({",": words["thousands_separator"], ".": words["decimal_mark"]})


def _fixed_width(head: tuple, rows: list[tuple], *, left: set[int], wrap: int | None = None,
                 numeric: set[int] = frozenset(), marks: dict | None = None) -> list[str]:
    """Rows padded to common widths; the ``numeric`` columns written with the language's ``marks``."""
    if marks is not None:
        rows = [tuple(str(c).translate(marks) if i in numeric else c for i, c in enumerate(row)) for row in rows]
    widths = [max(len(str(row[i])) for row in rows + [head]) for i in range(len(head))]
    if wrap is not None:
        widths[wrap] = min(widths[wrap], 48)

    def fmt(row):
        cells = [str(c) if i != wrap or len(str(c)) <= 48 else str(c)[:47] + "…" for i, c in enumerate(row)]
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return [fmt(head), "  ".join("-" * w for w in widths)] + [fmt(row) for row in rows]


def render_table(result: Result, *, lang: str = "en") -> str:
    """A fixed-width table: one row per target, the columns of the issue's contract, in ``lang``."""
    words = labels(lang)
    methods = words["methods"]
    head = tuple(words[k] for k in ("id", "target", "threshold", "unit", "median", "band", "p_hit", "ci", "method"))
    lines = []
    for t in result.targets:
        unit = t.unit or ""
        shown_unit = (t.unit_vi or unit) if lang == "vi" else unit
        name = t.name_vi if lang == "vi" else t.name_en
        method = methods.get(t.method, t.method)
        if t.p_hit is None:
            cells = (t.id, name, _threshold_text(t), shown_unit, "", "", "", "", method)
        else:
            band = f"{_number(t.p10, unit)} – {_number(t.p90, unit)}" if t.median is not None else ""
            ci = f"{t.p_hit_ci95[0]:.3f}–{t.p_hit_ci95[1]:.3f}"
            flag = ("*" if t.assumptions else "") + ("†" if t.echoes else "")
            cells = (t.id, name, _threshold_text(t), shown_unit, _number(t.median, unit) if t.median is not None else "",
                     band, f"{t.p_hit:.3f}", ci, method + flag)
        lines.append(cells)
    marks = _marks(words)
    out = [words["title"].format(region=result.region_vi if lang == "vi" else result.region, scenario=result.name, paths=f"{result.paths:,}".translate(marks),
                                 seed=result.seed, first=int(result.years[0]), last=int(result.years[-1]))]
    out += _fixed_width(head, lines, left={0, 1, 3, 8}, wrap=1, numeric={2, 4, 5, 6, 7}, marks=marks)
    out.append("")
    out.append(words["counts"].format(evaluated=sum(t.p_hit is not None for t in result.targets),
                                      missing=sum(t.method == NOT_MODELLED for t in result.targets),
                                      qualitative=sum(t.method == "qualitative" for t in result.targets))
               + " " + words["assumption_flag"] + " " + words["echo_flag"])
    out.append(words["mc_note"])
    return "\n".join(out)


def render_joint(result: Result, *, lang: str = "en") -> str:
    """P(all targets of a group), P(all but one), P(at least 3/4 and 1/2 of them), expected number hit.

    The whole curve P(at least k of n), k = 0…n, is in ``joint_groups.csv`` and ``results.json``.
    """
    words = labels(lang)
    head = (words["group"], words["n_targets"], words["p_all"], words["ci"], words["p_all_but_one"],
            words["p_three_quarters"], words["p_half"], words["expected_hits"])
    rows = []
    for g in result.joint.group_table():
        n, curve = g["n"], g["p_at_least"]
        rows.append((group_name(result, g["group"], lang), n, f"{g['p_all']:.4f}",
                     f"{g['p_all_ci95'][0]:.4f}–{g['p_all_ci95'][1]:.4f}", f"{curve[max(n - 1, 0)]:.3f}",
                     f"{curve[math.ceil(0.75 * n)]:.3f}", f"{curve[math.ceil(0.5 * n)]:.3f}", f"{g['expected_hits']:.1f}"))
    return "\n".join([words["joint_title"]] + _fixed_width(head, rows, left={0}, numeric=set(range(1, 8)), marks=_marks(words)))


def render_conditional(result: Result, given: str, *, lang: str = "en") -> str:
    """P(each evaluated target | ``given`` hit) beside its P(hit), from the same paths."""
    words = labels(lang)
    try:
        frame = result.conditional(given)
    except KeyError as exc:
        raise InputError(exc.args[0], file="command line", key="--given") from None
    names = {t.id: (t.name_vi if lang == "vi" else t.name_en) for t in result.targets}
    paths_given = int(frame["paths_given"].iloc[0])
    head = (words["id"], words["target"], words["p_hit"], words["p_given"], words["lift"])
    rows = [(r.id, names[r.id], f"{r.p_hit:.3f}", "—" if pd.isna(r.p_hit_given) else f"{r.p_hit_given:.3f}",
             "—" if pd.isna(r.lift) else f"{r.lift:.2f}") for r in frame.itertuples()]
    marks = _marks(words)
    title = words["given_title"].format(given=given, paths=f"{paths_given:,}".translate(marks),
                                        share=f"{paths_given / result.paths:.1%}".translate(marks))
    return "\n".join([title] + _fixed_width(head, rows, left={0, 1}, wrap=1, numeric={2, 3, 4}, marks=marks))


def group_name(result: Result, group: str, lang: str) -> str:
    """A group's name: the registry's own groups from the registry, the run-wide ones from the labels."""
    if group in result.groups:
        return result.groups[group][1 if lang == "vi" else 0]
    return labels(lang)["groups"].get(group, group)


def _threshold_text(t) -> str:
    if t.comparator is None:
        return "—"
    if t.comparator == "between":
        return f"{_number(t.threshold[0], t.unit)}–{_number(t.threshold[1], t.unit)}"
    period = f" ({t.period[0]}–{t.period[1]})" if t.kind != "level" and t.period else ""
    return f"{t.comparator} {_number(t.threshold, t.unit)}{period}"


def write_files(directory: Path, files: dict[str, str]) -> list[Path]:
    """Write a set of text files into ``directory``, each atomically; their paths, in order."""
    written = []
    for name, text in files.items():
        write_atomic(directory / name, text)
        written.append(directory / name)
    return written
