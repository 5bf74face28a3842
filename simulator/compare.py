"""Policy variants side by side, on common random numbers: paired differences of P(hit).

Every variant runs on the same draws (:func:`simulator.runner.run_variants`), so the difference
of two probabilities is estimated from the paths on which the two variants disagree: with ``b``
paths hit only by the first variant and ``c`` only by the second, out of n,

    Δ = (c − b) / n,   SE(Δ) = √((b + c) − (c − b)²/n) / n,

the standard error of a difference of paired proportions (McNemar 1947,
doi:10.1007/BF02295996; Agresti, *Categorical Data Analysis*, 3rd ed., §11.1). Paths hit or
missed by both variants add nothing to the variance, which is why the paired SE is far below the
unpaired √(p₁(1 − p₁)/n + p₂(1 − p₂)/n) when variants share most outcomes. A difference whose
95 % interval holds 0 is inside the Monte Carlo noise: it is marked so and never ranked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

from .metrics import SERIES
from .results import SERIES_QUANTILES, Result
from .runner import VariantRun
from .units import report_unit

_Z95 = float(ndtri(0.975))  # the normal quantile (scipy.stats would add 0.6 s of imports)

#: Series whose 2030 medians a comparison shows (when the run simulates them).
MAIN_SERIES = (
    "grdp_current_bn_vnd", "grdp_real_bn_vnd", "grdp_per_capita_mvnd", "investment_current_bn_vnd",
    "labour_productivity_current_mvnd", "population_persons", "employed_persons", "budget_revenue_bn_vnd",
    "exports_musd", "income_per_capita_month_mvnd", "share_agri", "share_industry_construction", "share_services",
    "trained_labour_share", "poverty_rate", "hdi_index",
)


def paired_difference(only_first: np.ndarray, only_second: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(Δ, SE) of P(second) − P(first) from the discordant counts of paired paths.

    Examples
    --------
    >>> d, se = paired_difference(np.array([30]), np.array([50]), 1000)
    >>> float(d[0]), round(float(se[0]), 5)
    (0.02, 0.00872)
    """
    b, c = np.asarray(only_first, dtype=float), np.asarray(only_second, dtype=float)
    delta = (c - b) / n
    variance = np.maximum((b + c) - (c - b) ** 2 / n, 0.0)
    return delta, np.sqrt(variance) / n


def unpaired_difference(hits_first, hits_second, n_first: int, n_second: int) -> tuple[np.ndarray, np.ndarray]:
    """(Δ, SE) of P(second) − P(first) for independent runs: √(p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂)."""
    p1 = np.asarray(hits_first, dtype=float) / n_first
    p2 = np.asarray(hits_second, dtype=float) / n_second
    return p2 - p1, np.sqrt(p1 * (1 - p1) / n_first + p2 * (1 - p2) / n_second)


@dataclass(frozen=True)
class Comparison:
    """Per target, P(hit) of every variant and its difference against the first.

    Attributes
    ----------
    results : tuple of Result
    files : tuple of str
        The scenario file of each variant.
    paired : bool
        True when all variants ran on the same draws.
    ids : tuple of str
        The evaluated targets.
    hits : int array (V, T)
    discordant : dict name -> (only_first (T,), only_this (T,))
        For variants after the first: paths hit only by the first variant, only by this one
        (None for an unpaired comparison).
    """

    results: tuple[Result, ...]
    files: tuple[str, ...]
    paired: bool
    ids: tuple[str, ...]
    hits: np.ndarray
    discordant: dict

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.results)

    @property
    def paths(self) -> int:
        return self.results[0].paths

    def differences(self) -> dict[str, dict[str, np.ndarray]]:
        """For each variant after the first: delta, se, ci (T, 2), gained, lost, significant."""
        out = {}
        first = self.results[0]
        for v, result in enumerate(self.results[1:], start=1):
            if self.paired:
                lost, gained = self.discordant[result.name]
                delta, se = paired_difference(lost, gained, self.paths)
            else:
                delta, se = unpaired_difference(self.hits[0], self.hits[v], first.paths, result.paths)
                gained = lost = None
            ci = np.stack([delta - _Z95 * se, delta + _Z95 * se], axis=1)
            significant = (ci[:, 0] > 0) | (ci[:, 1] < 0)
            out[result.name] = {"delta": delta, "se": se, "ci": ci, "gained": gained, "lost": lost,
                                "significant": significant}
        return out

    def targets_frame(self) -> pd.DataFrame:
        """Long table: one row per target and variant (CSV ``compare_targets.csv``)."""
        rows = []
        diffs = self.differences()
        for v, result in enumerate(self.results):
            d = diffs.get(result.name)
            for j, target_id in enumerate(self.ids):
                row = {"id": target_id, "variant": result.name, "p_hit": self.hits[v, j] / result.paths}
                if d is not None:
                    row.update(delta=d["delta"][j], delta_se=d["se"][j], delta_low=d["ci"][j, 0],
                               delta_high=d["ci"][j, 1], significant=bool(d["significant"][j]),
                               gained=None if d["gained"] is None else int(d["gained"][j]),
                               lost=None if d["lost"] is None else int(d["lost"][j]),
                               rank=self._ranks(d).get(j))
                rows.append(row)
        return pd.DataFrame(rows)

    @staticmethod
    def _ranks(d: dict) -> dict[int, int]:
        """Ranks by |Δ| among the differences outside the Monte Carlo noise (1 = largest)."""
        order = [j for j in np.argsort(-np.abs(d["delta"]), kind="stable") if d["significant"][j]]
        return {int(j): k + 1 for k, j in enumerate(order)}

    def series_frame(self) -> pd.DataFrame:
        """2030 (last year) medians of the main series per variant and their difference to the first.

        Differences of medians, not medians of paired differences (the summaries keep quantiles
        of each variant, not of differences).
        """
        median = SERIES_QUANTILES.index(0.5)
        rows = []
        first = self.results[0]
        for metric in MAIN_SERIES:
            if metric not in first.series_quantiles:
                continue
            unit, factor = report_unit(SERIES[metric].unit)  # shares and rates in percent, as series.csv
            base = float(first.series_quantiles[metric][-1, median]) * factor
            for result in self.results:
                value = float(result.series_quantiles[metric][-1, median]) * factor
                rows.append({"metric": metric, "unit": unit, "variant": result.name, "year": int(result.years[-1]),
                             "median": value, "difference": value - base})
        return pd.DataFrame(rows)

    def groups_frame(self) -> pd.DataFrame:
        """P(all targets of a group) per variant."""
        rows = []
        for result in self.results:
            for g in result.joint.group_table():
                rows.append({"group": g["group"], "variant": result.name, "n": g["n"], "p_all": g["p_all"],
                             "p_all_low": g["p_all_ci95"][0], "p_all_high": g["p_all_ci95"][1],
                             "expected_hits": g["expected_hits"]})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """What ``simulate compare --format json`` prints and ``compare.json`` holds."""
        diffs = self.differences()
        targets = []
        for j, target_id in enumerate(self.ids):
            entry = {"id": target_id, "p_hit": {r.name: _number(self.hits[v, j] / r.paths) for v, r in enumerate(self.results)}}
            for key in ("delta", "delta_se", "delta_ci95", "gained", "lost", "significant", "rank"):
                entry[key] = {}
            for name, d in diffs.items():
                entry["delta"][name] = _number(d["delta"][j])
                entry["delta_se"][name] = _number(d["se"][j])
                entry["delta_ci95"][name] = [_number(d["ci"][j, 0]), _number(d["ci"][j, 1])]
                entry["gained"][name] = None if d["gained"] is None else int(d["gained"][j])
                entry["lost"][name] = None if d["lost"] is None else int(d["lost"][j])
                entry["significant"][name] = bool(d["significant"][j])
                entry["rank"][name] = self._ranks(d).get(j)
            targets.append(entry)
        return {
            "paired": self.paired,
            "note": ("paired: every variant on the same draws; SE from the discordant paths (McNemar)" if self.paired else
                     "UNPAIRED: the variants ran on different draws; SE of independent proportions, much wider"),
            "paths": self.paths,
            "seed": self.results[0].seed,
            "baseline": self.names[0],
            "variants": [{"name": r.name, "title": r.title, "file": f, "levers": r.levers}
                         for r, f in zip(self.results, self.files)],
            "targets": targets,
            "series": self.series_frame().to_dict(orient="records"),
            "groups": self.groups_frame().to_dict(orient="records"),
        }


def _number(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def from_run(run: VariantRun, files: tuple[str, ...]) -> Comparison:
    """The comparison of variants that ran together on the same draws."""
    ids = run.paired.ids
    hits = run.paired.both[np.arange(len(run.results)), np.arange(len(run.results))]
    discordant = {}
    for v, result in enumerate(run.results[1:], start=1):
        table = run.paired.table(0, v)
        discordant[result.name] = (table["only_a"], table["only_b"])
    return Comparison(tuple(run.results), files, True, ids, hits, discordant)


def from_separate_runs(results: list[Result], files: tuple[str, ...]) -> Comparison:
    """An unpaired comparison of runs made on their own draws (``--unpaired``)."""
    ids = tuple(results[0].joint.ids)
    for r in results[1:]:
        if tuple(r.joint.ids) != ids:
            raise ValueError("variants evaluate different targets")
    hits = np.stack([np.diag(r.joint.cohits) for r in results])
    return Comparison(tuple(results), files, False, ids, hits, {})
