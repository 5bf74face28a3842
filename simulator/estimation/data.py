"""Tidy observation files: loading, validation and the choice of one source per key.

A tidy file has one observation a row with the columns of :data:`COLUMNS` (see
``calibration/data/README.md``). Several sources may give the same (region, year, indicator);
:func:`choose_sources` keeps one by a stated rule:

1. an override of the config (``[[source_choice.override]]``), with its reason;
2. a primary source before a row whose note says *aggregator* or *secondary*;
3. the latest vintage: the page date at the start of the note (``YYYY-MM-DD``, ``YYYY-MM`` or
   ``YYYY``); a row without a date counts as the oldest. Later vintages carry revisions (a
   preliminary figure replaces the year-end estimate, a revised series the first release);
4. the best status of the figure, read after ``|| status:`` in the note: final figures
   (``chính thức``, ``quyết toán``) before preliminary (``sơ bộ``), before estimates (``ước``),
   before unstated, before forecasts (``dự kiến``) and approximate statements;
5. the source address in alphabetical order (only so that the choice is deterministic).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..tidy import COLUMNS, fail as _fail, read_records
from .config import CalibrateConfig

KEY = ("region", "year", "indicator")

#: Status words (as written after ``|| status:``) and their rank; lower is better.
STATUS_RANK = (("chính thức", 0), ("quyết toán", 0), ("sơ bộ", 1), ("ước", 2),
               ("status not stated", 3), ("dự kiến", 4), ("approximate", 4))
_UNKNOWN_RANK = 5
_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")

#: Units converted when a series is read: percent becomes a fraction (engine units).
_SCALE = {"pct": 0.01}


@dataclass(frozen=True)
class Observations:
    """Every row of the data files, and the one kept per key.

    Attributes
    ----------
    rows : DataFrame
        All rows with :data:`COLUMNS` plus ``file``, ``line``, ``secondary``, ``status_rank``
        and ``vintage``.
    selected : DataFrame
        One row per (region, year, indicator): the chosen source, with ``n_sources`` and ``rule``.
    disagreements : DataFrame
        Keys whose sources differ by more than the config's tolerance: every value and source,
        and the choice made.
    """

    rows: pd.DataFrame
    selected: pd.DataFrame
    disagreements: pd.DataFrame


def data_vintage(files) -> str:
    """SHA-256 (first 16 hex digits) over the bytes of the data files, in the given order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def read_tidy(path: Path, *, regions, units, indicators: dict | None = None,
              years: tuple[int, int] = (1900, 2100)) -> pd.DataFrame:
    """One tidy CSV, every row checked (:func:`simulator.tidy.read_records`), as a table with
    :data:`COLUMNS` plus ``file`` and ``line``."""
    records = read_records(path, regions=regions, units=units, indicators=indicators, years=years)
    return pd.DataFrame.from_records(records, columns=[*COLUMNS, "file", "line"])


def _status_rank(notes: pd.Series) -> np.ndarray:
    status = notes.str.extract(r"\|\|\s*status:\s*(.*)$", flags=re.S)[0].fillna("").str.lower()
    rank = np.full(len(notes), _UNKNOWN_RANK)
    for word, value in reversed(STATUS_RANK):
        rank = np.where(status.str.startswith(word).to_numpy(), value, rank)
    return rank


def _vintage(notes: pd.Series) -> pd.Series:
    parts = notes.str.extract(_DATE)
    return (parts[0].fillna("0000") + "-" + parts[1].fillna("00") + "-" + parts[2].fillna("00"))


def load_observations(config: CalibrateConfig) -> Observations:
    """Read every data file of the config, validate it and choose one source per key."""
    frames = [read_tidy(p, regions=config.data.regions, units=config.data.units, indicators=config.data.indicators,
                        years=config.data.years) for p in config.data_files]
    rows = pd.concat(frames, ignore_index=True)
    duplicated = rows.duplicated(["region", "year", "indicator", "source"], keep=False)
    if duplicated.any():
        first = rows[duplicated].sort_values(["file", "line"]).iloc[-1]
        raise _fail("duplicate key (region, year, indicator, source) across data files", Path(first.file), int(first.line))
    rows["secondary"] = rows["note"].str.contains("aggregator|secondary", case=False, regex=True)
    rows["status_rank"] = _status_rank(rows["note"])
    rows["vintage"] = _vintage(rows["note"])
    return choose_sources(rows, config)


def choose_sources(rows: pd.DataFrame, config: CalibrateConfig) -> Observations:
    """Apply the source-choice rule of the module docstring to validated rows."""
    ordered = rows.sort_values([*KEY, "secondary", "vintage", "status_rank", "source"],
                               ascending=[True, True, True, True, False, True, True], kind="mergesort")
    ordered["rule"] = "only source"
    counts = ordered.groupby(list(KEY), sort=False)["source"].transform("size")
    ordered.loc[counts > 1, "rule"] = "primary source, latest vintage, best status"
    for item in config.source_choice.override:
        mask = ((ordered.region == item.region) & (ordered.year == item.year) & (ordered.indicator == item.indicator))
        hit = mask & ordered.source.str.contains(item.source_contains, regex=False)
        if not hit.any():
            raise InputError(f"no row of {item.region} {item.year} {item.indicator} has a source containing "
                             f"'{item.source_contains}'", file=config.path, key="source_choice.override")
        # Put the overriding row first within its key.
        ordered = pd.concat([ordered[hit], ordered[~hit]]).sort_values(list(KEY), kind="mergesort")
        ordered.loc[hit, "rule"] = f"override: {item.reason}"
    ordered["n_sources"] = counts.reindex(ordered.index)
    selected = ordered.groupby(list(KEY), sort=True).head(1).sort_values(list(KEY)).reset_index(drop=True)
    disagreements = _disagreements(ordered, selected, config.data.disagreement_tolerance)
    return Observations(rows=rows, selected=selected, disagreements=disagreements)


def _disagreements(ordered: pd.DataFrame, selected: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    multi = ordered[ordered["n_sources"] > 1]
    spread = multi.groupby(list(KEY))["value"].agg(["min", "max"])
    scale = spread[["min", "max"]].abs().max(axis=1).replace(0.0, 1.0)
    differ = spread[(spread["max"] - spread["min"]) / scale > tolerance].index
    out = multi.set_index(list(KEY)).loc[list(differ)].reset_index() if len(differ) else multi.iloc[:0]
    chosen = selected.set_index(list(KEY))[["value", "source", "rule"]].add_prefix("chosen_")
    return out.join(chosen, on=list(KEY))[[*KEY, "value", "source", "secondary", "status_rank", "vintage",
                                           "chosen_value", "chosen_source", "chosen_rule"]]


def series(selected: pd.DataFrame, region: str, indicator: str, *, first_year: int | None = None,
           last_year: int | None = None) -> pd.Series:
    """One chosen series in engine units (percent → fraction), indexed by year, sorted.

    Returns an empty series when the region has no row of the indicator.
    """
    rows = selected[(selected.region == region) & (selected.indicator == indicator)]
    if first_year is not None:
        rows = rows[rows.year >= first_year]
    if last_year is not None:
        rows = rows[rows.year <= last_year]
    # a plain float array: with pyarrow installed pandas keeps a mapped string column's string dtype
    scale = np.array([_SCALE.get(unit, 1.0) for unit in rows["unit"]], dtype=float)
    return pd.Series(rows["value"].to_numpy(dtype=float) * scale, index=rows["year"].to_numpy(), name=f"{region}.{indicator}",
                     dtype=float).sort_index()
