"""Writing results: atomic files (temp file in the same folder, then rename) and the terminal table."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

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
    """results.json, targets.csv and series.csv (per-year quantiles) in ``directory``."""
    files = {
        "results.json": json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n",
        "targets.csv": result.targets_frame().to_csv(index=False),
        "series.csv": result.series_frame().to_csv(index=False, float_format="%.6g"),
    }
    written = []
    for name, text in files.items():
        write_atomic(directory / name, text)
        written.append(directory / name)
    return written


def _number(x, unit: str | None) -> str:
    if x is None or pd.isna(x):
        return "—"
    if unit in ("%", "%/yr", "index") or abs(x) < 100:
        return f"{x:,.2f}" if abs(x) < 100 else f"{x:,.1f}"
    return f"{x:,.0f}"


def render_table(result: Result, *, lang: str = "en") -> str:
    """A fixed-width table: one row per target, the columns of the issue's contract."""
    name_key = "name_vi" if lang == "vi" else "name_en"
    head = ("id", "target" if lang == "en" else "chỉ tiêu", "threshold", "unit", "median", "10–90 %", "P(hit)", "95 % CI", "method")
    lines = []
    for t in result.targets:
        unit = t.unit or ""
        if t.p_hit is None:
            cells = (t.id, getattr(t, name_key), _threshold_text(t), unit, "", "", "", "", t.method)
        else:
            band = f"{_number(t.p10, unit)} – {_number(t.p90, unit)}"
            ci = f"{t.p_hit_ci95[0]:.3f}–{t.p_hit_ci95[1]:.3f}"
            flag = "*" if t.assumptions else ""
            cells = (t.id, getattr(t, name_key), _threshold_text(t), unit, _number(t.median, unit), band,
                     f"{t.p_hit:.3f}", ci, t.method + flag)
        lines.append(cells)
    widths = [max(len(str(row[i])) for row in lines + [head]) for i in range(len(head))]
    widths[1] = min(widths[1], 48)

    def fmt(row):
        cells = [str(c) if i != 1 else (str(c)[:47] + "…" if len(str(c)) > 48 else str(c)) for i, c in enumerate(row)]
        return "  ".join(c.ljust(w) if i in (0, 1, 3, 8) else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    out = [f"{result.region} — scenario '{result.name}': {result.paths:,} paths, seed {result.seed}, "
           f"{int(result.years[0])}→{int(result.years[-1])}",
           fmt(head), "  ".join("-" * w for w in widths)]
    out += [fmt(row) for row in lines]
    counted = sum(t.p_hit is not None for t in result.targets)
    missing = sum(t.method == NOT_MODELLED for t in result.targets)
    out.append("")
    out.append(f"{counted} targets evaluated, {missing} not modelled yet, "
               f"{sum(t.method == 'qualitative' for t in result.targets)} qualitative. "
               "'*' = rests on at least one calibration value marked as an assumption (see results.json).")
    out.append("P(hit) 95 % CI: Wilson interval for the Monte Carlo error only.")
    return "\n".join(out)


def _threshold_text(t) -> str:
    if t.comparator is None:
        return "—"
    if t.comparator == "between":
        return f"{_number(t.threshold[0], t.unit)}–{_number(t.threshold[1], t.unit)}"
    period = f" ({t.period[0]}–{t.period[1]})" if t.kind != "level" and t.period else ""
    return f"{t.comparator} {_number(t.threshold, t.unit)}{period}"
