"""Aggregation of the former units to the merged unit, one stated rule per indicator.

A merged value exists for a year only when **every** component has the inputs the rule needs:
a partial sum is never passed off as a total.

=======================  ====================================================================
rule                     indicators
=======================  ====================================================================
sum                      levels: GRDP (current and constant prices), average population,
                         labour force, employed persons, investment, budget revenue, exports
weighted mean            shares and rates, with the weight named in :data:`AGGREGATION`:
                         GRDP shares by current-price GRDP; urbanisation by average population;
                         trained share, unemployment and employment shares by labour force
ratio of sums            GRDP per capita = Σ GRDP / Σ population; labour productivity =
                         Σ GRDP / Σ labour force is *not* formed (labour force ≠ employed)
real growth              from constant-price levels: g_t = Σ_i Y_i,t / Σ_i Y_i,t−1 − 1 where
                         every component has a constant-price level in t and t − 1; otherwise
                         Σ_i w_i g_i,t with w_i the components' current-price GRDP shares of
                         t − 1 (or the nearest year within ``max_weight_gap`` that has all
                         of them). The exact weights of that identity are constant-price
                         shares of t − 1; current-price shares differ from them by the change
                         in relative prices since 2010, and the method column says which form
                         each year used. Growth rates are never averaged without weights.
=======================  ====================================================================

A weight missing in the same year is taken from the nearest year (earlier on a tie) within
``max_weight_gap`` in which every component has it; the method text names that year.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd


class Rule(Enum):
    SUM = "sum"
    WEIGHTED_MEAN = "weighted mean"
    RATIO_OF_SUMS = "ratio of sums"
    REAL_GROWTH = "real growth"


@dataclass(frozen=True)
class Aggregation:
    """How one indicator is formed for the merged unit.

    ``weight`` is the weighting indicator of a weighted mean, or the numerator / denominator
    indicators of a ratio of sums; a ratio is multiplied by ``factor`` and carries ``unit``.
    """

    rule: Rule
    weight: str = ""
    denominator: str = ""
    factor: float = 1.0
    unit: str = ""


_SUM = Aggregation(Rule.SUM)
AGGREGATION: dict[str, Aggregation] = {
    "grdp_current": _SUM, "grdp_constant_2010": _SUM, "population_avg": _SUM, "labour_force": _SUM,
    "employed": _SUM, "investment_total": _SUM, "budget_revenue_territory": _SUM, "exports": _SUM,
    "share_agri": Aggregation(Rule.WEIGHTED_MEAN, "grdp_current"),
    "share_ind_constr": Aggregation(Rule.WEIGHTED_MEAN, "grdp_current"),
    "share_services": Aggregation(Rule.WEIGHTED_MEAN, "grdp_current"),
    "share_taxes": Aggregation(Rule.WEIGHTED_MEAN, "grdp_current"),
    "urbanisation_rate": Aggregation(Rule.WEIGHTED_MEAN, "population_avg"),
    "trained_labour_share": Aggregation(Rule.WEIGHTED_MEAN, "labour_force"),
    "unemployment_rate": Aggregation(Rule.WEIGHTED_MEAN, "labour_force"),
    "emp_share_agri": Aggregation(Rule.WEIGHTED_MEAN, "labour_force"),
    "emp_share_ind_constr": Aggregation(Rule.WEIGHTED_MEAN, "labour_force"),
    "emp_share_services": Aggregation(Rule.WEIGHTED_MEAN, "labour_force"),
    # bn VND per person × 1000 = m VND per person
    "grdp_per_capita": Aggregation(Rule.RATIO_OF_SUMS, "grdp_current", "population_avg", 1e3, "mvnd"),
    "grdp_real_growth": Aggregation(Rule.REAL_GROWTH, "grdp_current"),
}

_OUT = ("region", "year", "indicator", "value", "unit", "price_basis", "source", "method")


def _wide(selected: pd.DataFrame, indicator: str, components) -> pd.DataFrame:
    """Values of one indicator as a (years × components) table; NaN where missing."""
    rows = selected[(selected.indicator == indicator) & selected.region.isin(components)]
    return rows.pivot(index="year", columns="region", values="value").reindex(columns=list(components))


def _complete(table: pd.DataFrame) -> pd.DataFrame:
    return table[table.notna().all(axis=1)]


def _weights_for(years, weights: pd.DataFrame, max_gap: int) -> tuple[pd.DataFrame, list[int | None]]:
    """Normalised weights (years × components) and the year each was taken from (None = none)."""
    full = _complete(weights)
    rows, used = [], []
    for year in years:
        if len(full):
            gaps = np.abs(full.index.to_numpy() - year)
            best = int(np.lexsort((full.index.to_numpy(), gaps))[0])
            if gaps[best] <= max_gap:
                source_year = int(full.index[best])
                rows.append(full.loc[source_year] / full.loc[source_year].sum())
                used.append(source_year)
                continue
        rows.append(pd.Series(np.nan, index=weights.columns))
        used.append(None)
    return pd.DataFrame(rows, index=list(years), columns=weights.columns), used


def _meta(selected: pd.DataFrame, indicator: str, components) -> tuple[str, str]:
    rows = selected[(selected.indicator == indicator) & selected.region.isin(components)]
    return (rows["unit"].iloc[0], rows["price_basis"].iloc[0]) if len(rows) else ("", "")


def aggregate(selected: pd.DataFrame, *, merged: str, components, max_weight_gap: int) -> pd.DataFrame:
    """Merged-unit rows for every indicator of :data:`AGGREGATION` the components allow.

    Parameters
    ----------
    selected : DataFrame
        One chosen row per (region, year, indicator), data units (see
        :func:`simulator.estimation.data.choose_sources`).
    merged : str
        Region name given to the aggregated rows.
    components : sequence of str
        The former units that form the merged one.
    max_weight_gap : int
        Years a weight may be borrowed from.

    Returns
    -------
    DataFrame
        Columns ``region, year, indicator, value, unit, price_basis, source, method``; the
        source names the components, the method the rule, the weights and the weight year.
    """
    components = list(components)
    out = []
    names = ", ".join(components)
    for indicator, spec in AGGREGATION.items():
        values = _wide(selected, indicator, components)
        unit, basis = _meta(selected, indicator, components)
        if spec.rule is Rule.SUM:
            table = _complete(values)
            result = [(y, float(table.loc[y].sum()), "sum of the components") for y in table.index]
        elif spec.rule is Rule.WEIGHTED_MEAN:
            table = _complete(values)
            w, used = _weights_for(table.index, _wide(selected, spec.weight, components), max_weight_gap)
            result = [(y, float((table.loc[y] * w.loc[y]).sum()), f"mean weighted by {spec.weight} of {u}")
                      for y, u in zip(table.index, used) if u is not None]
        elif spec.rule is Rule.RATIO_OF_SUMS:
            num = _complete(_wide(selected, spec.weight, components)).sum(axis=1)
            den = _complete(_wide(selected, spec.denominator, components)).sum(axis=1)
            years = num.index.intersection(den.index)
            unit = spec.unit or unit
            result = [(y, float(num[y] / den[y] * spec.factor), f"Σ {spec.weight} / Σ {spec.denominator}") for y in years]
        else:
            result = _real_growth(selected, values, components, spec.weight, max_weight_gap)
        for year, value, method in result:
            out.append((merged, int(year), indicator, value, unit, basis, f"aggregated from {names}", method))
    return pd.DataFrame(out, columns=list(_OUT)).sort_values(["indicator", "year"]).reset_index(drop=True)


def _real_growth(selected, growth: pd.DataFrame, components, weight: str, max_gap: int):
    levels = _wide(selected, "grdp_constant_2010", components)
    complete = _complete(levels)
    result = {}
    for year in complete.index:
        if year - 1 in complete.index:
            value = 100.0 * (complete.loc[year].sum() / complete.loc[year - 1].sum() - 1.0)
            result[int(year)] = (value, "Σ constant-price levels, t / t−1")
    table = _complete(growth)
    previous = [y - 1 for y in table.index]
    w, used = _weights_for(previous, _wide(selected, weight, components), max_gap)
    for year, prev, u in zip(table.index, previous, used):
        if int(year) in result or u is None:
            continue
        value = float((table.loc[year].to_numpy() * w.loc[prev].to_numpy()).sum())
        result[int(year)] = (value, f"growth rates weighted by current-price {weight} shares of {u} "
                                    "(no constant-price levels for every component)")
    return [(y, v, m) for y, (v, m) in sorted(result.items())]


def with_aggregates(selected: pd.DataFrame, aggregated: pd.DataFrame) -> pd.DataFrame:
    """The chosen rows plus the aggregated ones; a merged value observed directly wins."""
    have = set(zip(selected.region, selected.year, selected.indicator))
    keep = [k not in have for k in zip(aggregated.region, aggregated.year, aggregated.indicator)]
    return pd.concat([selected, aggregated[keep]], ignore_index=True).sort_values(
        ["region", "indicator", "year"], kind="mergesort").reset_index(drop=True)
