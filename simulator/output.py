"""Writing results: the checked files of a run as one folder (:mod:`simulator.folder`), the files of
the other commands as one set (:func:`write_set`: temporary files beside them, then renamed), and
the terminal tables (targets, group joint probabilities, conditionals), worded from
`simulator/labels.toml` and fitted to a width."""

from __future__ import annotations

import difflib
import io
import math
import os
import tempfile
import textwrap
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Sequence

from .errors import InputError
from .folder import write_folder
from .integrity import check_table, results_json
from .results import NOT_MODELLED, Result
from .table import Table
from .terminal import fit_table


def write_set(files: Sequence[tuple[Path, str | bytes]]) -> list[Path]:
    """Write several files (text as UTF-8, or bytes) as one set: every file goes to a temporary
    file beside its destination first, flushed to disk, and only when all are written are they
    renamed into place, with Ctrl-C and SIGTERM held back from the first temporary file to the
    cleanup. A failure while writing (a full disk, no permission) leaves every old file as it was
    and no temporary file behind. Each file is readable as any new file is (0666 less the umask; the temporary is created private).

    Raises
    ------
    InputError
        If a file cannot be written: one line naming it and the system's reason.
    """
    from .entry import signals_deferred

    staged: list[tuple[str, Path]] = []
    umask = os.umask(0)
    os.umask(umask)
    # Ctrl-C and SIGTERM wait from the first temporary file to the cleanup: a signal between a
    # temporary's creation and its note in ``staged``, or one inside the cleanup, left it behind
    with signals_deferred():
        try:
            for path, data in files:
                path = Path(path)
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                except OSError as exc:
                    raise InputError(f"cannot write the file: {exc.strerror or exc}", file=path) from None
                staged.append((tmp, path))
                try:
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                        fh.flush()
                        os.fsync(fh.fileno())
                    os.chmod(tmp, 0o666 & ~umask)
                except OSError as exc:
                    raise InputError(f"cannot write the file: {exc.strerror or exc}", file=path) from None
            for number, (tmp, path) in enumerate(staged):
                try:
                    os.replace(tmp, path)
                except OSError as exc:
                    raise InputError(f"cannot put the file in place: {exc.strerror or exc}", file=path) from None
                staged[number] = ("", path)
        finally:
            for tmp, _ in staged:
                if tmp:
                    Path(tmp).unlink(missing_ok=True)
    return [Path(path) for path, _ in files]


#: The files of a run; the Parquet copies of the two main tables only where pyarrow is installed.
RESULT_FILES = ("results.json", "targets.csv", "series.csv", "joint_groups.csv", "joint_cohits.csv",
                "joint_correlation.csv")
PARQUET_FILES = ("targets.parquet", "series.parquet")


def _parquet(table: Table) -> bytes | None:
    """The table as Parquet bytes, or None without pyarrow (the optional extra ``parquet``)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    buffer = io.BytesIO()
    table.frame().to_parquet(buffer, index=False)
    return buffer.getvalue()


def output_files(result: Result) -> dict[str, bytes]:
    """Every file of a run, checked (:mod:`simulator.integrity`) and encoded: results.json,
    targets.csv, series.csv (per-year quantiles), joint_groups.csv (P(at least k of n) per group),
    joint_cohits.csv (paths hitting both targets), joint_correlation.csv (correlation of hit
    indicators), and with pyarrow targets.parquet and series.parquet.

    Raises
    ------
    OutputIntegrityError
        If any table or the JSON would hold NaN or infinity where a number is due (a bug).
    """
    tables = {"targets.csv": (result.targets_table(), None),
              "series.csv": (result.series_table(), "%.6g"),
              "joint_groups.csv": (result.groups_table(), "%.6g"),
              "joint_cohits.csv": (result.cohits_table(), None),
              "joint_correlation.csv": (result.correlation_table(), "%.4f")}
    files = {"results.json": results_json(result.to_dict()).encode("utf-8")}
    for name, (table, float_format) in tables.items():
        check_table(name, table)
        files[name] = table.to_csv(float_format=float_format).encode("utf-8")
    for name in PARQUET_FILES:
        data = _parquet(tables[name.replace(".parquet", ".csv")][0])
        if data is not None:
            files[name] = data
    return files


def write_outputs(result: Result, directory: Path, *, force: bool = False) -> list[Path]:
    """Write the files of :func:`output_files` as one set into ``directory`` (:mod:`simulator.folder`):
    the previous complete set stays until the new one is complete. An existing results folder is
    replaced only with ``force``."""
    return write_folder(Path(directory), output_files(result), force=force,
                        known=frozenset(RESULT_FILES + PARQUET_FILES))


@cache
def labels(lang: str) -> dict:
    """The words of the reports in ``lang`` (``simulator/labels.toml``)."""
    table = tomllib.loads(resources.files("simulator").joinpath("labels.toml").read_text(encoding="utf-8"))
    if lang not in table:
        raise InputError(f"no labels for language '{lang}'; available: {', '.join(table)}", file="simulator/labels.toml")
    return table[lang]


#: Units of whole numbers: printed without decimals ("15 thứ hạng", "65 xã", not "15,00").
WHOLE_UNITS = ("rank", "count", "dwellings", "persons")


def _missing(x) -> bool:
    """None or NaN: an empty cell."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def _number(x, unit: str | None) -> str:
    if _missing(x):
        return "—"
    if unit in WHOLE_UNITS:
        return f"{x:,.0f}"
    if unit in ("%", "%/yr", "index") or abs(x) < 100:
        return f"{x:,.2f}" if abs(x) < 100 else f"{x:,.1f}"
    return f"{x:,.0f}"


def number_marks(words: dict) -> dict:
    """Translation of the English number marks to the language's (``1,234.5`` → ``1.234,5`` in vi)."""
    return str.maketrans({",": words["thousands_separator"], ".": words["decimal_mark"]})


def _fixed_width(head: tuple, rows: list[tuple], *, left: set[int]) -> list[str]:
    """Rows padded to common widths (the ``left`` columns left-aligned, the others right-aligned)."""
    widths = [max(len(str(row[i])) for row in rows + [head]) for i in range(len(head))]

    def fmt(row):
        return "  ".join(str(c).ljust(w) if i in left else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    return [fmt(head), "  ".join("-" * w for w in widths)] + [fmt(row) for row in rows]


def _table(head: tuple, rows: list[tuple], *, words: dict, width: int | None, steps, left: set[int],
           numeric: set[int]) -> list[str]:
    """The lines of a table in the language of ``words``, fitted to ``width`` (None: everything):
    the ``numeric`` columns written with its number marks, trimmed by ``steps``
    (:func:`simulator.terminal.fit_table`), then a note naming the columns left out."""
    marks = number_marks(words)
    rows = [tuple(str(c).translate(marks) if i in numeric else str(c) for i, c in enumerate(row)) for row in rows]
    fitted_head, fitted, kept = fit_table(head, rows, width=width, steps=steps)
    lines = _fixed_width(fitted_head, fitted, left={j for j, i in enumerate(kept) if i in left})
    hidden = [str(head[i]) for i in range(len(head)) if i not in kept]
    return lines + (_wrap([words["hidden_columns"].format(columns=", ".join(hidden))], width) if hidden else [])


def _wrap(notes: list[str], width: int | None) -> list[str]:
    """Prose lines wrapped to ``width`` (None: as they are)."""
    if width is None:
        return notes
    return [line for note in notes for line in (textwrap.wrap(note, width) or [""])]


def select_targets(rows, *, groups, ids=None, group: str | None = None) -> list:
    """The ``rows`` (registry targets or result rows, each with ``id`` and ``group``) whose id is in
    ``ids`` and whose group is ``group``, in their order; ``groups`` are the registry's group ids.

    Raises InputError naming the valid groups, or the closest ids, for one that is unknown.
    """
    rows = list(rows)
    if group is not None:
        if group not in groups:
            raise InputError(f"unknown group '{group}'; the registry's groups: {', '.join(groups)}",
                             file="command line", key="--group")
        chosen = [t for t in rows if t.group == group]
    else:
        chosen = rows
    if ids:
        known = [t.id for t in rows]
        for target_id in ids:
            if target_id not in known:
                close = difflib.get_close_matches(target_id, known, n=3)
                hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                raise InputError(f"unknown target id '{target_id}'.{hint} The ids are the first column of the table "
                                 "(and of targets.csv)", file="command line", key="--targets")
        chosen = [t for t in chosen if t.id in set(ids)]
        if not chosen and group is not None:  # both given: the rows of the ids that are in the group
            raise InputError(f"none of {', '.join(ids)} is in the group '{group}': --targets and --group together "
                             "print the given targets of that group", file="command line", key="--targets")
    return chosen


def render_table(result: Result, *, lang: str = "en", width: int | None = None, targets=None,
                 group: str | None = None) -> str:
    """A fixed-width table: one row per target, the columns of the issue's contract, in ``lang``.

    ``width`` fits the table to that many columns (names shortened, then the interval and band
    columns left out, :func:`simulator.terminal.fit_table`); None shows everything in full.
    ``targets`` (ids) and ``group`` select the rows (:func:`select_targets`).
    """
    words = labels(lang)
    methods = words["methods"]
    head = tuple(words[k] for k in ("id", "target", "threshold", "unit", "median", "band", "p_hit", "ci", "method"))
    lines = []
    for t in select_targets(result.targets, groups=result.groups, ids=targets, group=group):
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
    marks = number_marks(words)
    title = words["title"].format(region=result.region_vi if lang == "vi" else result.region, scenario=result.name,
                                  paths=f"{result.paths:,}".translate(marks), seed=result.seed,
                                  first=int(result.years[0]), last=int(result.years[-1]))
    out = _wrap([title], width)
    # names first to 28 characters, then the interval and the band left out, names down to 14, units
    # to 10 characters, the method left out, then (80 columns) the threshold's period and names to
    # 11; the id, the threshold's number, the median and P(hit) always stay
    steps = (("shorten", 1, 28), ("drop", 7), ("drop", 5), ("shorten", 1, 14), ("shorten", 3, 10), ("drop", 8),
             ("shorten", 2, 11), ("shorten", 1, 11))
    table = _table(head, lines, words=words, width=width, steps=steps, left={0, 1, 3, 8}, numeric={2, 4, 5, 6, 7})
    hidden_note = table[2 + len(lines):]
    out += table[:2 + len(lines)]
    out.append("")
    counts = words["counts"].format(evaluated=sum(t.p_hit is not None for t in result.targets),
                                    missing=sum(t.method == NOT_MODELLED for t in result.targets),
                                    qualitative=sum(t.method == "qualitative" for t in result.targets))
    out += _wrap([counts + " " + words["assumption_flag"] + " " + words["echo_flag"], words["mc_note"]], width)
    return "\n".join(out + hidden_note)


def render_joint(result: Result, *, lang: str = "en", width: int | None = None, group: str | None = None) -> str:
    """P(all targets of a group), P(all but one), P(at least 3/4 and 1/2 of them), expected number hit.

    The whole curve P(at least k of n), k = 0…n, is in ``joint_groups.csv`` and ``results.json``.
    ``group`` shows only that group's row; ``width`` as for :func:`render_table`.
    """
    words = labels(lang)
    head = (words["group"], words["n_targets"], words["p_all"], words["ci"], words["p_all_but_one"],
            words["p_three_quarters"], words["p_half"], words["expected_hits"])
    rows = []
    for g in result.joint.group_table():
        if group is not None and g["group"] != group:
            continue
        n, curve = g["n"], g["p_at_least"]
        rows.append((group_name(result, g["group"], lang), n, f"{g['p_all']:.4f}",
                     f"{g['p_all_ci95'][0]:.4f}–{g['p_all_ci95'][1]:.4f}", f"{curve[max(n - 1, 0)]:.3f}",
                     f"{curve[math.ceil(0.75 * n)]:.3f}", f"{curve[math.ceil(0.5 * n)]:.3f}", f"{g['expected_hits']:.1f}"))
    return "\n".join(_wrap([words["joint_title"]], width) + _table(head, rows, words=words, width=width, left={0},
                                                     numeric=set(range(1, 8)),
                                                     steps=(("shorten", 0, 24), ("drop", 3), ("shorten", 0, 12),
                                                            ("shorten", 7, 12), ("drop", 5))))


def render_conditional(result: Result, given: str, *, lang: str = "en", width: int | None = None, targets=None,
                       group: str | None = None) -> str:
    """P(each evaluated target | ``given`` hit) beside its P(hit), from the same paths; ``targets``
    and ``group`` select the rows as in :func:`render_table`."""
    words = labels(lang)
    try:
        frame = result.conditional(given)
    except KeyError as exc:
        raise InputError(exc.args[0], file="command line", key="--given") from None
    names = {t.id: (t.name_vi if lang == "vi" else t.name_en) for t in result.targets}
    paths_given = int(frame["paths_given"].iloc[0])
    head = (words["id"], words["target"], words["p_hit"], words["p_given"], words["lift"])
    shown = {t.id for t in select_targets(result.targets, groups=result.groups, ids=targets, group=group)}
    rows = [(r.id, names[r.id], f"{r.p_hit:.3f}", "—" if _missing(r.p_hit_given) else f"{r.p_hit_given:.3f}",
             "—" if _missing(r.lift) else f"{r.lift:.2f}") for r in frame.itertuples() if r.id in shown]
    marks = number_marks(words)
    title = words["given_title"].format(given=given, paths=f"{paths_given:,}".translate(marks),
                                        share=f"{paths_given / result.paths:.1%}".translate(marks))
    return "\n".join(_wrap([title], width) + _table(head, rows, words=words, width=width, left={0, 1},
                                                   numeric={2, 3, 4}, steps=(("shorten", 1, 14),)))


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


def write_files(directory: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write a set of files into ``directory`` as one set (:func:`write_set`); their paths, in order."""
    return write_set([(Path(directory) / name, data) for name, data in files.items()])
