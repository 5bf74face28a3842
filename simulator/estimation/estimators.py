"""Estimators of the model's processes, each a thin wrapper around statsmodels.

Every estimator returns :class:`Estimate` objects (value, standard error, sample, method) and
keeps the statsmodels results object in ``results`` for ``summary()`` and covariances. Inputs are
pandas series indexed by year, already on the model's scale (log, logit, additive log-ratio or
log growth) and in engine units (fractions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.stattools import jarque_bera
from statsmodels.tsa.ar_model import AutoReg


@dataclass(frozen=True)
class Estimate:
    """One estimated number.

    Attributes
    ----------
    value : float
    se : float or None
        Standard error (None: no sampling error can be computed, e.g. a prior or a state).
    sample : str
        Years and number of observations used.
    method : str
        Estimator, in words.
    results : object
        The statsmodels results behind it (not part of the calibration file).
    """

    value: float
    se: float | None
    sample: str
    method: str
    results: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class RandomWalkFit:
    """A random walk with drift x_t = x_{t−1} + d + σ·z_t, fitted on (possibly gapped) series.

    ``residuals`` holds the standardised one-year innovations (Δx − d)/σ, indexed by
    (unit, year), for correlations and tail checks (multi-year gaps give none).
    """

    drift: Estimate
    sd: Estimate
    residuals: pd.Series


def _years(index) -> str:
    years = sorted(set(int(y) for y in index))
    return f"{years[0]}–{years[-1]}" if years else "none"


def _pairs(panel: dict[str, pd.Series]) -> pd.DataFrame:
    """Consecutive observations of each unit: unit, year, gap (years), change."""
    rows = []
    for unit, x in panel.items():
        x = x.dropna().sort_index()
        years = x.index.to_numpy()
        for j in range(1, len(x)):
            rows.append((unit, int(years[j]), int(years[j] - years[j - 1]), float(x.iloc[j] - x.iloc[j - 1])))
    return pd.DataFrame(rows, columns=["unit", "year", "gap", "change"])


def random_walk_drift(panel: dict[str, pd.Series], *, min_changes: int, exclude_years: tuple[int, ...] = (),
                      unit_weights: dict[str, float] | None = None) -> RandomWalkFit | None:
    """Drift and shock scale of a random walk with drift, pooled over units, gaps allowed.

    A change over a gap of k years has mean k·d and variance k·σ², so dividing by √k gives
    the homoskedastic regression Δx/√k = d·√k + σ·ε (no constant): d̂ = ΣΔx / Σk by OLS, or
    by WLS with each unit's weight. The standard error of σ̂ is σ̂/√(2·df) (normal theory).

    Parameters
    ----------
    panel : dict unit -> Series indexed by year
        The transformed series of each unit.
    min_changes : int
        Fewest changes (pairs of consecutive observations) needed; fewer return None.
    exclude_years : tuple of int
        Changes whose span (start, end] contains one of these years are dropped: the COVID
        contraction and rebound are the disaster component's, not the trend's.
    unit_weights : dict unit -> weight, optional
        Weights of the units (e.g. their GRDP shares), so that a small unit's swings do not
        count as much as a large one's; None weighs every change alike.

    Returns
    -------
    RandomWalkFit or None
    """
    pairs = _pairs(panel)
    if exclude_years and len(pairs):
        start = pairs["year"] - pairs["gap"]
        touched = np.zeros(len(pairs), dtype=bool)
        for year in exclude_years:
            touched |= ((start < year) & (pairs["year"] >= year)).to_numpy()
        pairs = pairs[~touched].reset_index(drop=True)
    if len(pairs) < min_changes:
        return None
    root = np.sqrt(pairs["gap"].to_numpy(dtype=float))
    if unit_weights is None:
        fit = sm.OLS(pairs["change"].to_numpy() / root, root[:, None]).fit()
    else:
        weights = pairs["unit"].map(unit_weights).to_numpy(dtype=float)
        fit = sm.WLS(pairs["change"].to_numpy() / root, root[:, None], weights=weights / weights.mean()).fit()
    drift = float(fit.params[0])
    df = max(int(fit.df_resid), 1)
    sigma = float(np.sqrt(fit.scale))
    sample = (f"{int((pairs.year - pairs.gap).min())}–{int(pairs.year.max())} ({len(pairs)} changes over "
              f"{int(pairs.gap.sum())} years, {pairs.unit.nunique()} unit(s) with changes)")
    one_year = pairs[pairs.gap == 1]
    residuals = pd.Series((one_year["change"].to_numpy() - drift) / sigma if sigma > 0 else np.zeros(len(one_year)),
                          index=pd.MultiIndex.from_arrays([one_year.unit, one_year.year], names=["unit", "year"]))
    method = "random walk with drift, " + ("OLS" if unit_weights is None else "WLS (unit weights)") + " of Δx/√gap on √gap (gaps allowed)"
    if exclude_years:
        method += f"; changes spanning {', '.join(map(str, exclude_years))} excluded"
    return RandomWalkFit(
        drift=Estimate(drift, float(fit.bse[0]), sample, method, fit),
        sd=Estimate(sigma, sigma / np.sqrt(2.0 * df), sample, method + "; sd = residual scale, se = sd/√(2·df)", fit),
        residuals=residuals)


@dataclass(frozen=True)
class LocalTrendFit:
    """A smooth trend in logs: x_t = μ_t + ε_t, μ_t = μ_{t−1} + β_{t−1}, β_t = β_{t−1} + ζ_t.

    ``drift`` is the filtered β at the last year (with its filter standard deviation as se), the
    drift the series leaves the sample with; ``irregular_sd`` and ``drift_sd`` the scales of ε
    and ζ. ``residuals`` are the standardised one-step forecast errors, by year.
    """

    drift: Estimate
    irregular_sd: Estimate
    drift_sd: Estimate
    loglike: float
    random_walk_loglike: float
    residuals: pd.Series
    results: object = field(compare=False, repr=False)


def local_trend(x: pd.Series, *, min_years: int = 8) -> LocalTrendFit | None:
    """Fit a smooth trend (statsmodels ``UnobservedComponents(level="strend")``, exact maximum
    likelihood with the Kalman filter; gaps are missing years) to a yearly series.

    The drift itself wanders, so a series that fell for years and then rose (a migration
    reversal) is not forced onto one drift (Harvey 1989, *Forecasting, Structural Time Series
    Models and the Kalman Filter*, ch. 2). The fit of a random walk with fixed drift
    (``level="rwdrift"``) is kept for comparison. Standard errors of the scales come from the
    observed information (delta method from the variances). Returns None with fewer than
    ``min_years`` observations.
    """
    import warnings

    x = x.dropna().sort_index()
    if len(x) < min_years:
        return None
    years = np.arange(int(x.index[0]), int(x.index[-1]) + 1)
    y = x.reindex(years).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns on boundary optima of short series
        model = sm.tsa.UnobservedComponents(y, level="strend")
        results = model.fit(disp=False, method="lbfgs", maxiter=2000)
        rw = sm.tsa.UnobservedComponents(y, level="rwdrift").fit(disp=False, method="lbfgs", maxiter=2000)
    variances = dict(zip(results.param_names, results.params))
    ses = dict(zip(results.param_names, np.nan_to_num(results.bse, nan=0.0)))
    sample = f"{years[0]}–{years[-1]} ({len(x)} observations)"

    def scale(name: str) -> Estimate:
        var = max(float(variances[name]), 0.0)
        sd = float(np.sqrt(var))
        se = float(ses[name] / (2 * sd)) if sd > 0 and ses[name] > 0 else None
        return Estimate(sd, se, sample, "smooth trend (statsmodels UnobservedComponents 'strend', MLE); "
                        "se by the delta method from the variance", results)

    drift = Estimate(float(results.filtered_state[1, -1]), float(np.sqrt(results.filtered_state_cov[1, 1, -1])),
                     sample, f"filtered drift of a smooth trend in {years[-1]} (Kalman filter), se = its filter sd",
                     results)
    resid = pd.Series(results.standardized_forecasts_error[0], index=years)[1:].dropna()
    return LocalTrendFit(drift, scale("sigma2.irregular"), scale("sigma2.trend"), float(results.llf), float(rw.llf),
                         resid, results)


def update_with_prior(estimate: Estimate, *, prior_value: float, prior_se: float) -> Estimate:
    """Normal–normal update of a stated prior N(m₀, s₀²) with an estimate N(m̂, ŝ²).

    Posterior mean (m₀/s₀² + m̂/ŝ²) / (1/s₀² + 1/ŝ²), standard error (1/s₀² + 1/ŝ²)^(−1/2)
    (Gelman et al., *Bayesian Data Analysis*, 3rd ed., §2.5). Used where a handful of
    observations would otherwise set a parameter alone. A prior without a standard error, or an
    estimate without one, leaves the estimate as it is.
    """
    if not prior_se or not estimate.se:
        return estimate
    precision = 1.0 / prior_se**2 + 1.0 / estimate.se**2
    value = (prior_value / prior_se**2 + estimate.value / estimate.se**2) / precision
    method = f"{estimate.method}; combined with the prior {prior_value:g} ± {prior_se:g} (normal–normal update)"
    return Estimate(float(value), float(precision**-0.5), estimate.sample, method, estimate.results)


def pool_sd_with_prior(estimate: Estimate, *, df: int, prior_sd: float, prior_df: float) -> Estimate:
    """Shock scale pooled with a stated prior scale worth ``prior_df`` degrees of freedom.

    σ² = (ν₀·σ₀² + ν·σ̂²) / (ν₀ + ν), the scaled-inverse-χ² update (Gelman et al., §3.3);
    se = σ/√(2(ν₀ + ν)). ``prior_df`` = 0 returns the estimate unchanged.
    """
    if prior_df <= 0:
        return estimate
    total = prior_df + df
    sigma = float(np.sqrt((prior_df * prior_sd**2 + df * estimate.value**2) / total))
    method = f"{estimate.method}; pooled with the prior sd {prior_sd:g} worth {prior_df:g} df"
    return Estimate(sigma, sigma / np.sqrt(2.0 * total), estimate.sample, method, estimate.results)


def net_of_labour_shocks(growth_sd: Estimate, *, labour_sd: float, labour_sd_se: float,
                         capital_share: float) -> Estimate | None:
    """The TFP shock scale that gives yearly output growth the observed residual scale.

    Output is Y = A·K^α·(h·E)^(1−α) with capital set the year before, so a year's log growth
    moves by the TFP shock and by (1 − α) times the labour input's, and the employment ratio
    (a random walk of its own) is uncorrelated with TFP in the calibration. Fitting σ_A to the
    whole residual of real growth counts the labour shocks twice; growth accounting gives
    σ_A² = σ_Y² − (1 − α)²·σ_E² (Solow 1957, doi:10.2307/1926047), se by the delta method from
    the two scales' standard errors. None when the labour term alone reaches σ_Y.
    """
    labour = (1.0 - capital_share) * labour_sd
    rest = growth_sd.value**2 - labour**2
    if rest <= 0:
        return None
    sigma = float(np.sqrt(rest))
    se = float(np.hypot(growth_sd.value / sigma * (growth_sd.se or 0.0),
                        (1.0 - capital_share) ** 2 * labour_sd / sigma * labour_sd_se))
    method = (f"{growth_sd.method}, net of the labour input's shocks: σ_A² = σ_Y² − (1 − α)²·σ_E² with σ_Y = "
              f"{growth_sd.value:.4g}, σ_E = {labour_sd:.4g}, α = {capital_share:g} (growth accounting); delta-method se")
    return Estimate(sigma, se, growth_sd.sample, method, growth_sd.results)


@dataclass(frozen=True)
class AR1Fit:
    """x_t = c + ρ·x_{t−1} + Σ γ_y·D_y + σ·z_t, with long-run mean μ = c / (1 − ρ)."""

    mean: Estimate
    persistence: Estimate
    sd: Estimate
    dummies: dict[int, Estimate]
    residuals: pd.Series
    last: float


def ar1(x: pd.Series, *, dummy_years=()) -> AR1Fit:
    """AR(1) with a constant and one dummy per listed year, by ``statsmodels`` AutoReg (OLS).

    The series must be consecutive years. The standard error of μ = c/(1 − ρ) is by the delta
    method from the coefficient covariance; σ's is σ/√(2·df).

    Parameters
    ----------
    x : Series indexed by consecutive years
    dummy_years : sequence of int
        Years that get their own intercept shift (e.g. COVID-19); years outside the sample are
        ignored.
    """
    x = x.dropna().sort_index()
    years = x.index.to_numpy()
    if len(x) < 4 or np.any(np.diff(years) != 1):
        raise ValueError(f"AR(1) needs at least 4 consecutive years, got {[int(y) for y in years]}")
    present = [y for y in dummy_years if y in set(years[1:])]
    exog = np.column_stack([(years == y).astype(float) for y in present]) if present else None
    fit = AutoReg(x.to_numpy(), lags=1, trend="c", exog=exog).fit()
    c, rho = float(fit.params[0]), float(fit.params[1])
    cov = np.asarray(fit.cov_params())[:2, :2]
    gradient = np.array([1.0 / (1.0 - rho), c / (1.0 - rho) ** 2])
    mean_se = float(np.sqrt(gradient @ cov @ gradient))
    df = max(int(fit.df_resid), 1)
    sigma = float(np.sqrt(fit.sigma2 * fit.nobs / df))
    sample = f"{years[1]}–{years[-1]} ({len(x) - 1} observations)"
    method = "AR(1) with constant" + (f" and dummies for {', '.join(map(str, present))}" if present else "") + ", statsmodels AutoReg (OLS)"
    dummies = {y: Estimate(float(fit.params[2 + j]), float(fit.bse[2 + j]), sample, method, fit)
               for j, y in enumerate(present)}
    residuals = pd.Series(fit.resid / sigma, index=years[1:])
    residuals = residuals.drop(index=present)
    return AR1Fit(mean=Estimate(c / (1.0 - rho), mean_se, sample, method + "; μ = c/(1 − ρ), delta-method se", fit),
                  persistence=Estimate(rho, float(fit.bse[1]), sample, method, fit),
                  sd=Estimate(sigma, sigma / np.sqrt(2.0 * df), sample, method + "; sd = residual scale (df-corrected)", fit),
                  dummies=dummies, residuals=residuals, last=float(x.iloc[-1]))


@dataclass(frozen=True)
class PanelGrowthFit:
    """g_it = μ_i + Σ_y δ_y·D_y + u_it: unit means and year effects of a growth panel.

    ``residuals`` are the standardised u_it of the years without a dummy, indexed by (unit, year).
    """

    unit_means: dict[str, float]
    unit_cov: np.ndarray
    year_effects: dict[int, Estimate]
    sd: Estimate
    sample: str
    residuals: pd.Series
    results: object = field(compare=False, repr=False)


def panel_growth(panel: dict[str, pd.Series], *, dummy_years) -> PanelGrowthFit:
    """OLS of units' growth on unit dummies and one dummy per listed year (statsmodels OLS).

    The year dummies take the shared shock of those years (COVID-19 and the rebound) out of the
    unit means and out of the residual scale; their coefficients measure the shock.
    """
    frames = [pd.DataFrame({"unit": unit, "year": s.dropna().index.astype(int), "g": s.dropna().to_numpy()})
              for unit, s in panel.items()]
    data = pd.concat(frames, ignore_index=True)
    units = list(panel)
    present = [y for y in dummy_years if y in set(data.year)]
    design = np.column_stack([(data.unit == u).to_numpy(float) for u in units]
                             + [(data.year == y).to_numpy(float) for y in present])
    fit = sm.OLS(data.g.to_numpy(), design).fit()
    k = len(units)
    df = max(int(fit.df_resid), 1)
    sigma = float(np.sqrt(fit.scale))
    sample = f"{_years(data.year)} ({len(data)} unit-years, {k} units, year dummies {', '.join(map(str, present)) or 'none'})"
    cov = np.asarray(fit.cov_params())
    residuals = pd.Series(np.asarray(fit.resid) / sigma, index=pd.MultiIndex.from_frame(data[["unit", "year"]]))
    return PanelGrowthFit(
        unit_means={u: float(fit.params[i]) for i, u in enumerate(units)}, unit_cov=cov[:k, :k],
        year_effects={y: Estimate(float(fit.params[k + j]), float(fit.bse[k + j]), sample, "panel OLS year dummy", fit)
                      for j, y in enumerate(present)},
        sd=Estimate(sigma, sigma / np.sqrt(2.0 * df), sample, "panel OLS residual scale, se = sd/√(2·df)", fit),
        sample=sample, residuals=residuals[~data.year.isin(present).to_numpy()], results=fit)


def disaster_frequency(disaster_years, *, first: int, last: int) -> tuple[float, int, int]:
    """Episodes of disaster per year of record, first…last inclusive.

    Consecutive disaster years count as one episode (COVID-19: 2020–2021), because the model's
    disaster is one draw a year with a one-year loss. Returns (probability, episodes, years).
    """
    years = [y for y in sorted(disaster_years) if first <= y <= last]
    episodes = sum(1 for j, y in enumerate(years) if j == 0 or years[j - 1] != y - 1)
    n = max(last - first + 1, 1)
    return episodes / n, episodes, n


def residual_correlation(a: pd.Series, b: pd.Series, *, min_overlap: int) -> Estimate | None:
    """Pearson correlation of two residual series on their common years (None if too few).

    se = (1 − r²)/√(n − 1), the large-sample standard error of r.
    """
    common = a.index.intersection(b.index)
    if len(common) < min_overlap:
        return None
    x, y = a.loc[common].to_numpy(), b.loc[common].to_numpy()
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    r = float(np.corrcoef(x, y)[0, 1])
    return Estimate(r, (1.0 - r * r) / np.sqrt(len(common) - 1), f"{_years(common)} ({len(common)} years)",
                    "Pearson correlation of the two residual series on common years", fit)


def student_t_df(residuals: np.ndarray, *, level: float = 0.05) -> Estimate:
    """Degrees of freedom of Student-t shocks from pooled standardised residuals.

    Jarque–Bera (statsmodels) tests normality; if it rejects at ``level`` and the excess
    kurtosis κ is positive, ν = 4 + 6/κ (the kurtosis of a t with ν > 4 is 3 + 6/(ν − 4));
    otherwise 0, the model's code for normal shocks. se by the delta method from
    se(κ) ≈ √(24/n).
    """
    residuals = np.asarray(residuals, dtype=float)
    stat, pvalue, _, kurtosis = jarque_bera(residuals)
    excess = float(kurtosis) - 3.0
    n = len(residuals)
    sample = f"{n} pooled standardised residuals; Jarque–Bera p = {float(pvalue):.3f}, excess kurtosis {excess:.2f}"
    if pvalue < level and excess > 0:
        nu = 4.0 + 6.0 / excess
        return Estimate(nu, 6.0 / excess**2 * np.sqrt(24.0 / n), sample, "method of moments from excess kurtosis")
    return Estimate(0.0, None, sample, "normality not rejected: normal shocks (0)")
