"""One dependency graph: which inputs and levers every series rests on in its projected years.

Nodes are series (``grdp_real_bn_vnd``), core calibration entries (``base.x``, ``block.x``),
quantities derived on each path (``production.capital_output_ratio``, see
:data:`simulator.parameters.DERIVED`), satellite calibration entries (``sat.base.x``,
``sat.block.x``) and levers (``lever.x``). :func:`inputs_of` closes the graph transitively;
:func:`assumptions_behind` keeps the entries flagged ``assumption = true``, with a lever set to
"historical" standing for the calibration entry it resolves to and any other lever for a stated
policy (not an assumption). ``tests/test_provenance.py`` perturbs every input on the
zero-volatility path and checks that the graph lists each one that moves a series.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .levers import LEVERS
from .satellites.calibration import LOGIT_TRENDS, SCHOOL_LEVELS, STOCKS_PER_10K

if TYPE_CHECKING:
    from .inputs import Inputs

_GRDP_SHARES = ("agri", "industry", "construction", "taxes")

GRAPH: dict[str, tuple[str, ...]] = {
    # ---- derived on each path
    "production.capital_output_ratio": ("production.investment_share_mean", "production.depreciation_rate",
                                        "production.trend_growth"),
    "production.tfp_growth_mean": ("production.capital_share", "production.trend_growth",
                                   "demography.population_growth_mean", "labour.employment_ratio_growth_mean",
                                   "labour.human_capital_return", "labour.trained_share_logit_drift",
                                   "base.trained_labour_share", "labour.trained_share_base_error"),
    "production.tfp_growth_initial": ("production.tfp_growth_mean", "production.base_year_growth",
                                      "production.trend_growth"),
    # ---- core series
    "population_persons": ("base.population_persons", "demography.population_growth_mean",
                           "demography.population_growth_sd", "demography.population_irregular_sd",
                           "demography.population_drift_sd", "lever.net_migration_boost"),
    "urbanisation_rate": ("base.urbanisation_rate", "demography.urbanisation_base_error", "demography.urbanisation_logit_drift",
                          "demography.urbanisation_logit_sd"),
    "employment_ratio": ("base.employed_persons", "base.population_persons", "labour.employment_ratio_growth_mean",
                         "labour.employment_ratio_growth_sd", "lever.employment_ratio_boost"),
    "employed_persons": ("population_persons", "employment_ratio"),
    "unemployment_rate": ("base.unemployment_rate", "labour.unemployment_base_error", "labour.unemployment_mean", "labour.unemployment_persistence",
                          "labour.unemployment_sd"),
    "emp_share_agri": ("base.emp_share_agri", "base.emp_share_industry_construction", "base.emp_share_services",
                       "labour.emp_structure_drift_agri", "labour.emp_structure_drift_industry_construction",
                       "labour.emp_structure_sd_agri", "labour.emp_structure_sd_industry_construction",
                       "labour.emp_structure_base_error_agri", "labour.emp_structure_base_error_industry_construction"),
    "emp_share_industry_construction": ("emp_share_agri",),
    "emp_share_services": ("emp_share_agri",),
    "trained_labour_share": ("base.trained_labour_share", "labour.trained_share_base_error",
                             "labour.trained_share_logit_drift", "labour.trained_share_logit_sd",
                             "lever.trained_share_boost"),
    "human_capital_index": ("trained_labour_share", "labour.human_capital_return"),
    # the path's history ratio r = s_h/ŝ is 1 at the estimates: the projected share rests on the
    # historical estimate's value only through a lever set to "historical" (the base year's share
    # is the path's historical share itself)
    "investment_share": ("lever.investment_share", "lever.investment_realisation", "production.investment_realisation_sd"),
    "capital_real_bn_vnd": ("production.capital_output_ratio", "production.depreciation_rate", "investment_share",
                            "grdp_real_bn_vnd", "base.grdp_current_bn_vnd", "base.grdp_deflator_index"),
    "tfp_index": ("production.tfp_growth_mean", "production.tfp_growth_initial", "production.tfp_growth_persistence",
                  "production.tfp_growth_sd", "lever.tfp_growth_boost", "production.capital_share",
                  "production.capital_output_ratio", "base.grdp_current_bn_vnd", "base.grdp_deflator_index",
                  "base.employed_persons", "base.trained_labour_share", "labour.human_capital_return"),
    "grdp_real_bn_vnd": ("tfp_index", "capital_real_bn_vnd", "human_capital_index", "employed_persons",
                         "production.capital_share", "production.disaster_probability", "production.disaster_output_loss"),
    "grdp_real_growth": ("grdp_real_bn_vnd",),
    "tfp_contribution": ("grdp_real_bn_vnd", "capital_real_bn_vnd", "employed_persons", "accounting.capital_weight"),
    "tfp_contribution_annual": ("tfp_contribution",),
    "tfp_contribution_points": ("tfp_contribution",),
    "labour_productivity_real_mvnd": ("grdp_real_bn_vnd", "employed_persons"),
    "share_agri": (*(f"base.share_{c}" for c in (*_GRDP_SHARES, "services")),
                   *(f"structure.drift_{c}" for c in _GRDP_SHARES), *(f"structure.sd_{c}" for c in _GRDP_SHARES)),
    **{f"share_{c}": ("share_agri",) for c in ("industry", "construction", "taxes", "services", "industry_construction")},
    "deflator_growth": ("prices.deflator_growth_mean", "prices.deflator_persistence", "prices.deflator_growth_sd",
                        "prices.deflator_growth_initial"),
    "deflator_index": ("deflator_growth", "base.grdp_deflator_index"),
    "usd_vnd": ("base.usd_vnd", "prices.fx_depreciation_mean", "prices.fx_depreciation_sd"),
    "grdp_current_bn_vnd": ("grdp_real_bn_vnd", "deflator_index"),
    "grdp_per_capita_mvnd": ("grdp_current_bn_vnd", "population_persons"),
    "labour_productivity_current_mvnd": ("grdp_current_bn_vnd", "employed_persons"),
    "investment_current_bn_vnd": ("investment_share", "grdp_current_bn_vnd"),
    "budget_revenue_bn_vnd": ("grdp_current_bn_vnd", "base.budget_revenue_bn_vnd", "public.revenue_ratio_drift",
                              "public.revenue_ratio_sd", "lever.revenue_ratio_boost"),
    "exports_musd": ("grdp_current_bn_vnd", "usd_vnd", "base.exports_musd", "external.export_ratio_drift",
                     "external.export_ratio_sd", "lever.export_growth_boost"),
    "income_per_capita_month_mvnd": ("grdp_per_capita_mvnd", "base.income_per_capita_month_mvnd",
                                     "social.income_base_error", "social.income_ratio_drift", "social.income_ratio_sd"),
    # ---- satellite series
    "poverty_rate": ("sat.base.poverty_rate", "sat.poverty.income_elasticity", "sat.poverty.drift", "sat.poverty.sd",
                     "income_per_capita_month_mvnd", "deflator_index"),
    "life_expectancy_years": ("sat.base.life_expectancy_years", "sat.health.life_expectancy_slope",
                              "sat.health.life_expectancy_sd"),
    "healthy_life_expectancy_years": ("life_expectancy_years", "sat.health.healthy_to_total_life_expectancy"),
    "mean_years_schooling": ("sat.base.mean_years_schooling", "sat.hdi.mean_years_schooling_slope", "sat.hdi.schooling_sd"),
    "expected_years_schooling": ("sat.base.expected_years_schooling", "sat.hdi.expected_years_schooling_slope",
                                 "sat.hdi.schooling_sd"),
    "gni_per_capita_ppp": ("grdp_per_capita_mvnd", "deflator_index", "sat.hdi.gni_to_grdp_ratio", "sat.hdi.ppp_vnd_per_dollar"),
    "hdi_formula_index": ("life_expectancy_years", "mean_years_schooling", "expected_years_schooling", "gni_per_capita_ppp"),
    "hdi_index": ("hdi_formula_index", "sat.base.hdi_official_index"),
    **{m: (f"sat.base.{m}", f"sat.stocks.{m}_growth", f"sat.stocks.{m}_sd", "population_persons") for m in STOCKS_PER_10K},
    **{m: (f"sat.base.{m}", f"sat.trends.{m}_drift", f"sat.trends.{m}_sd") for m in LOGIT_TRENDS},
    "schools_national_standard_share": (*(f"{level}_national_standard_share" for level in SCHOOL_LEVELS),
                                        *(f"sat.base.{level}_count" for level in SCHOOL_LEVELS)),
    "private_economy_grdp_real_bn_vnd": ("private_economy_share", "grdp_real_bn_vnd"),
    "intl_scientific_publications_count": ("sat.base.intl_scientific_publications_count", "sat.science.publications_growth",
                                           "sat.science.publications_sd"),
    "patent_applications_and_grants_count": ("sat.base.patent_applications_and_grants_count", "sat.science.patents_growth",
                                             "sat.science.patents_dispersion"),
    "social_housing_completed_dwellings": ("sat.base.social_housing_completed_dwellings", "sat.housing.completions_mean",
                                           "sat.housing.completions_dispersion"),
}


def inputs_of(node: str) -> set[str]:
    """Every calibration entry, derived quantity and lever a series rests on, transitively."""
    seen, stack, found = set(), [node], set()
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        for item in GRAPH.get(name, ()):
            if item in GRAPH:
                stack.append(item)
                if "." in item:  # a derived quantity is an input too
                    found.add(item)
            else:
                found.add(item)
    return found


def entry_of(inputs: "Inputs", name: str):
    """The calibration value behind a node name, or None (a lever, a derived quantity)."""
    if name.startswith("sat.base."):
        return inputs.satellites.base.get(name[9:]) if inputs.satellites else None
    if name.startswith("sat."):
        return inputs.satellites.parameters.get(name[4:]) if inputs.satellites else None
    if name.startswith("base."):
        return inputs.calibration.base.get(name[5:])
    return inputs.calibration.parameters.get(name)


def echoes_behind(metric: str, inputs: "Inputs") -> list[str]:
    """The entries a series rests on that come from a target's own arithmetic (``echo``), as
    ``"<entry> (echo of <targets>)"``: a P(hit) resting on one restates that arithmetic."""
    found = []
    for item in sorted(inputs_of(metric)):
        entry = entry_of(inputs, item)
        if entry is not None and getattr(entry, "echo", ""):
            found.append(f"{item} (echo of {entry.echo})")
    return found


def assumptions_behind(metric: str, inputs: "Inputs") -> list[str]:
    """The entries flagged ``assumption = true`` that a series rests on, as resolved for this run.

    A lever set to "historical" counts as the calibration entry it resolves to; a lever stated
    by the scenario is a policy, not an assumption.
    """
    names = set()
    for item in inputs_of(metric):
        if item.startswith("lever."):
            lever = item[6:]
            if inputs.levers.historical(lever):
                item = LEVERS[lever].replaces
            else:
                continue
        entry = entry_of(inputs, item)
        if entry is not None and entry.assumption:
            names.add(item)
    return sorted(names)
