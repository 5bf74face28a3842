"""Rolling-origin backtest of the model's processes against what happened.

For every series of the config's ``[backtest]`` and every origin year T: estimate the series'
process on data up to T only (the estimators of :mod:`simulator.estimation.estimators`), simulate
``paths`` futures h = 1…H years ahead with the model's own block equations (parameters drawn per
path from their sampling distribution, as the engine does), and score the realised values:

* coverage of the central 50 / 80 / 90 % bands;
* PIT, the share of simulated values at or below the realised one (uniform if calibrated);
* CRPS, empirical from the sample: E|X − y| − ½·E|X − X′| (Gneiting & Raftery 2007,
  doi:10.1198/016214506000001437);
* Brier score of P(X ≥ c) for thresholds c around the realised value (config offsets).

The naive benchmark is a trend extrapolation on the same scale: the average past change per
year carried forward, with normal errors whose variance grows with the horizon (a random walk
with drift and no parameter uncertainty) — for growth rates, the past mean and spread. It is
scored from a sample of the same size, so both are scored the same way.

Shocks are normal (the calibrated tail weight is pooled over all processes, not re-estimated per
series and origin). The full engine is not run: the merged unit has no complete base year before 2025, so each
process is backtested on the series that feeds it. A series or origin the data cannot support is
listed with the reason, never filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model import demography, labour, production
from ..model import prices as price_block
from ..model.transforms import expit, logit
from ..parameters import PARAMETER_SPEC
from .aggregate import aggregate, with_aggregates
from .config import BacktestSeries, CalibrateConfig
from .data import Observations, series
from .estimators import ar1, disaster_frequency, local_trend, random_walk_drift

BANDS = (0.5, 0.8, 0.9)
PIT_BINS = 10


class Process(Enum):
    """The model equation a series is forecast with."""

    LOG_RANDOM_WALK = "log_random_walk"          # demography.population_next (also FX, ratios)
    LOG_SMOOTH_TREND = "log_smooth_trend"        # demography.population_trend_next (population)
    LOGIT_RANDOM_WALK = "logit_random_walk"      # labour.trained_share_next / urbanisation_next
    AR1_GROWTH_LEVEL = "ar1_growth_level"        # prices.deflator_growth_next, level = exp(Σ growth)
    AR1_RATE_DISASTER = "ar1_rate_disaster"      # production.tfp_growth_next + disaster loss

    @classmethod
    def parse(cls, name: str, *, file: str, key: str) -> "Process":
        try:
            return cls(name)
        except ValueError:
            raise InputError(f"unknown process '{name}'; valid: {', '.join(p.value for p in cls)}",
                             file=file, key=key) from None


@dataclass(frozen=True)
class BacktestResult:
    """Scores of every (series, origin, horizon) with a realised value, and what was skipped.

    Attributes
    ----------
    scores : DataFrame
        One row per series, origin, horizon: realised value, model and naive PIT, band hits,
        CRPS and Brier score.
    skipped : DataFrame
        series, origin, reason.
    paths, seed : int
    """

    scores: pd.DataFrame
    skipped: pd.DataFrame
    paths: int
    seed: int


def _draw(rng, value: float, se: float | None, n: int, lower: float = -np.inf, upper: float = np.inf) -> np.ndarray:
    return np.clip(value + (se or 0.0) * rng.standard_normal(n), lower, upper)


def _history(spec: BacktestSeries, data: pd.DataFrame) -> pd.Series:
    x = series(data, spec.region, spec.indicator, first_year=spec.first_year, last_year=spec.last_year)
    if spec.denominator:
        x = (x / series(data, spec.region, spec.denominator, first_year=spec.first_year, last_year=spec.last_year)).dropna()
    return x


def _random_walk_sample(process: Process, history: pd.Series, z: np.ndarray, rng, config: CalibrateConfig) -> np.ndarray:
    """Log or logit random walk with drift: demography.population_next / labour.trained_share_next."""
    transform = np.log if process is Process.LOG_RANDOM_WALK else logit
    min_changes = config.sample.min_changes
    fit = random_walk_drift({"x": pd.Series(transform(history.to_numpy()), index=history.index)}, min_changes=min_changes)
    if fit is None:
        raise ValueError(f"fewer than {min_changes} changes before the origin")
    n = z.shape[0]
    drift = _draw(rng, fit.drift.value, fit.drift.se, n)
    sd = _draw(rng, fit.sd.value, fit.sd.se, n, 0.0)
    out = np.empty_like(z)
    level = np.full(n, history.iloc[-1])
    for t in range(z.shape[1]):
        if process is Process.LOG_RANDOM_WALK:
            level = demography.population_next(level, growth_mean=drift, growth_sd=sd, shock=z[:, t])
        else:
            level = labour.trained_share_next(level, logit_drift=drift, logit_sd=sd, shock=z[:, t])
        out[:, t] = level
    return out


#: Fewest years for a smooth-trend fit at a backtest origin (two variances and a drift).
SMOOTH_TREND_MIN_YEARS = 6


def _smooth_trend_sample(process: Process, history: pd.Series, z: np.ndarray, rng, config: CalibrateConfig) -> np.ndarray:
    """A smooth trend in logs whose drift wanders: demography.population_trend_next, the engine's
    population block, with every parameter drawn per path from its fit at the origin."""
    fit = local_trend(np.log(history), min_years=SMOOTH_TREND_MIN_YEARS)
    if fit is None:
        raise ValueError(f"fewer than {SMOOTH_TREND_MIN_YEARS} years before the origin for a smooth trend")
    n = z.shape[0]
    drift = _draw(rng, fit.drift.value, fit.drift.se, n)
    irregular = _draw(rng, fit.irregular_sd.value, fit.irregular_sd.se, n, 0.0)
    wander = _draw(rng, fit.drift_sd.value, fit.drift_sd.se, n, 0.0)
    drift_shocks = rng.standard_normal(z.shape)
    log_trend = np.full(n, np.log(history.iloc[-1]))
    out = np.empty_like(z)
    for t in range(z.shape[1]):
        log_trend, drift, out[:, t] = demography.population_trend_next(
            log_trend, drift, migration=0.0, level_sd=0.0, level_shock=0.0, drift_sd=wander,
            drift_shock=drift_shocks[:, t], irregular_sd=irregular, irregular_shock=z[:, t])
    return out


def _growth_level_sample(process: Process, history: pd.Series, z: np.ndarray, rng, config: CalibrateConfig) -> np.ndarray:
    """A level whose log growth is AR(1): prices.deflator_growth_next, level·exp(growth)."""
    fit = ar1(np.log(history).diff().dropna())
    n = z.shape[0]
    mean = _draw(rng, fit.mean.value, fit.mean.se, n)
    rho = _draw(rng, fit.persistence.value, fit.persistence.se, n, *PARAMETER_SPEC["prices.deflator_persistence"][1:])
    sd = _draw(rng, fit.sd.value, fit.sd.se, n, 0.0)
    g = np.full(n, fit.last)
    level = np.full(n, history.iloc[-1])
    out = np.empty_like(z)
    for t in range(z.shape[1]):
        g = price_block.deflator_growth_next(g, mean=mean, persistence=rho, sd=sd, shock=z[:, t])
        level = level * np.exp(g)
        out[:, t] = level
    return out


def _rate_disaster_sample(process: Process, history: pd.Series, z: np.ndarray, rng, config: CalibrateConfig) -> np.ndarray:
    """Real growth: AR(1) log growth (production.tfp_growth_next) plus the disaster component.

    COVID and rebound years in the history get dummies; the disaster probability counts the
    episodes of the record up to the origin only (none before 2020), its loss is the worst COVID
    dummy (none before 2020). A disaster year loses ``loss`` of the level, recovered the next year.
    """
    sample = config.sample
    fit = ar1(np.log1p(history), dummy_years=tuple(sample.covid_years) + tuple(sample.rebound_years))
    covid = [e.value for y, e in fit.dummies.items() if y in sample.covid_years]
    _, lower, upper = PARAMETER_SPEC["production.disaster_output_loss"]
    loss = min(max(float(-np.expm1(min(covid))), lower), upper) if covid else 0.0
    first, last = sample.disaster_record
    probability, _, _ = disaster_frequency(sample.covid_years, first=first, last=min(last, int(history.index[-1])))
    n = z.shape[0]
    mean = _draw(rng, fit.mean.value, fit.mean.se, n)
    rho = _draw(rng, fit.persistence.value, fit.persistence.se, n, *PARAMETER_SPEC["production.tfp_growth_persistence"][1:])
    sd = _draw(rng, fit.sd.value, fit.sd.se, n, 0.0)
    disaster = rng.random(z.shape) < probability
    g = np.full(n, fit.last)
    lost_before = np.zeros(n)
    out = np.empty_like(z)
    for t in range(z.shape[1]):
        g = production.tfp_growth_next(g, mean=mean, boost=0.0, persistence=rho, sd=sd, shock=z[:, t])
        lost = np.where(disaster[:, t], np.log1p(-loss), 0.0)
        out[:, t] = np.expm1(g + lost - lost_before)
        lost_before = lost
    return out


#: Process -> sampler(process, history, shocks (n, H), rng, config) -> sample (n, H); raises
#: ValueError when the history cannot support the estimate.
_SAMPLERS = {
    Process.LOG_RANDOM_WALK: _random_walk_sample,
    Process.LOGIT_RANDOM_WALK: _random_walk_sample,
    Process.LOG_SMOOTH_TREND: _smooth_trend_sample,
    Process.AR1_GROWTH_LEVEL: _growth_level_sample,
    Process.AR1_RATE_DISASTER: _rate_disaster_sample,
}


def _naive(process: Process, history: pd.Series, horizon: int, *, n: int, rng) -> np.ndarray:
    """Naive trend sample (n, horizon): past average change carried forward, normal errors."""
    z = rng.standard_normal((n, horizon))
    h = np.arange(1, horizon + 1)
    if process is Process.AR1_RATE_DISASTER:
        x = np.log1p(history.to_numpy())
        return np.expm1(x.mean() + x.std(ddof=1) * z)
    transform, inverse = ((logit, expit) if process is Process.LOGIT_RANDOM_WALK else (np.log, np.exp))
    x = transform(history.to_numpy())
    years = history.index.to_numpy()
    gaps, changes = np.diff(years), np.diff(x)
    drift = (x[-1] - x[0]) / (years[-1] - years[0])
    sigma = np.sqrt(np.sum((changes - drift * gaps) ** 2 / gaps) / max(len(gaps) - 1, 1))
    return inverse(x[-1] + drift * h + sigma * np.sqrt(h) * z)


def crps_sample(sample: np.ndarray, y: float) -> float:
    """Empirical CRPS of a sample (n,) at y: mean|X − y| − ½·mean|X − X′| (sorted-sample form)."""
    x = np.sort(sample)
    n = len(x)
    spread = 2.0 * np.sum((2.0 * np.arange(1, n + 1) - n - 1) * x) / n**2
    return float(np.mean(np.abs(x - y)) - 0.5 * spread)


def _score(sample: np.ndarray, y: float, thresholds: np.ndarray, prefix: str) -> dict:
    out = {f"{prefix}pit": float(np.mean(sample <= y)), f"{prefix}median": float(np.median(sample))}
    for band in BANDS:
        lo, hi = np.quantile(sample, [(1 - band) / 2, (1 + band) / 2])
        out[f"{prefix}in{int(band * 100)}"] = bool(lo <= y <= hi)
    out[f"{prefix}crps"] = crps_sample(sample, y)
    p = np.mean(sample[:, None] >= thresholds[None, :], axis=0)
    out[f"{prefix}brier"] = float(np.mean((p - (y >= thresholds)) ** 2))
    return out


def run_backtest(config: CalibrateConfig, observations: Observations, *, paths: int | None = None,
                 seed: int | None = None) -> BacktestResult:
    """Score every configured series at every configured origin (see the module docstring).

    The random numbers of series j at origin T come from ``SeedSequence(seed, spawn_key=(j, T))``,
    so a series' scores do not depend on the other series.
    """
    spec = config.backtest
    paths = paths or spec.paths
    seed = spec.seed if seed is None else seed
    agg = dict(merged=config.merge.region, components=config.merge.components, max_weight_gap=config.merge.max_weight_gap)
    selected = observations.selected
    full = with_aggregates(selected, aggregate(selected, **agg))
    # Aggregates at an origin use only data up to it (no weight is borrowed from the future).
    known = {origin: with_aggregates(selected[selected.year <= origin], aggregate(selected[selected.year <= origin], **agg))
             for origin in spec.origins}
    rows, skipped = [], []
    for j, item in enumerate(spec.series):
        process = Process.parse(item.process, file=config.path, key=f"backtest.series[{j}].process")
        realised = _history(item, full)
        for origin in spec.origins:
            history = _history(item, known[origin])
            future = realised[(realised.index > origin) & (realised.index <= origin + spec.max_horizon)]
            if origin not in history.index:
                skipped.append((item.name, origin, "no observation in the origin year"))
                continue
            if future.empty:
                skipped.append((item.name, origin, "no realised value within the horizon"))
                continue
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(j, origin))))
            try:
                model = _SAMPLERS[process](process, history, rng.standard_normal((paths, spec.max_horizon)), rng, config)
            except ValueError as exc:
                skipped.append((item.name, origin, str(exc)))
                continue
            naive = _naive(process, history, spec.max_horizon, n=paths, rng=rng)
            relative = process in (Process.LOG_RANDOM_WALK, Process.AR1_GROWTH_LEVEL)
            for year, y in future.items():
                h = int(year) - origin
                offsets = np.asarray(item.brier_offsets)
                thresholds = y * (1.0 + offsets) if relative else y + offsets
                rows.append({"series": item.name, "origin": origin, "horizon": h, "year": int(year), "realised": float(y),
                             **_score(model[:, h - 1], y, thresholds, "model_"),
                             **_score(naive[:, h - 1], y, thresholds, "naive_")})
    if not rows:  # every series skipped at every origin
        raise nothing_scored("forecast", spec.origins, [reason for *_, reason in skipped], file=config.path,
                             key="backtest.origins")
    return BacktestResult(pd.DataFrame(rows), pd.DataFrame(skipped, columns=["series", "origin", "reason"]), paths, seed)


def nothing_scored(what: str, origins, reasons: list[str], *, file: str, key: str) -> InputError:
    """The error of a backtest that scored nothing: its origins and the first reason it skipped them."""
    reasons = sorted(set(reasons)) or ["no realised value within the horizon"]
    more = f" (and {len(reasons) - 1} other reason(s))" if len(reasons) > 1 else ""
    return InputError(f"no {what} could be scored at origins {list(origins)}: {reasons[0]}{more}", file=file, key=key)


def summary_frame(result: BacktestResult) -> pd.DataFrame:
    """Coverage, mean CRPS and Brier per series and horizon, model and naive side by side."""
    columns = {f"{who}_{m}": (f"{who}_{m}", "mean") for who in ("model", "naive")
               for m in [f"in{int(b * 100)}" for b in BANDS] + ["crps", "brier"]}
    return result.scores.groupby(["series", "horizon"]).agg(n=("realised", "size"), **columns).reset_index()


def pit_frame(result: BacktestResult) -> pd.DataFrame:
    """PIT histogram counts per series (10 equal bins), model and naive."""
    edges = np.linspace(0.0, 1.0, PIT_BINS + 1)
    rows = []
    for name, group in result.scores.groupby("series"):
        model = np.histogram(group.model_pit, edges)[0]
        naive = np.histogram(group.naive_pit, edges)[0]
        for k in range(PIT_BINS):
            rows.append({"series": name, "bin_low": edges[k], "bin_high": edges[k + 1],
                         "model_count": int(model[k]), "naive_count": int(naive[k])})
    return pd.DataFrame(rows)


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def render_summary(result: BacktestResult, config: CalibrateConfig) -> str:
    """A short Markdown summary: pooled scores per series, and what could not be backtested."""
    spec = config.backtest
    lines = ["# Backtest of the model's processes", "",
             f"Origins {', '.join(map(str, spec.origins))}; horizons 1–{spec.max_horizon} years; {result.paths} paths "
             f"a forecast, seed {result.seed}. Each origin re-estimates on data up to that year only. "
             "Naive = trend extrapolation (past average change, normal errors growing with √h). "
             "Coverage is the share of realised values inside the central band (nominal 0.50 / 0.80 / 0.90); "
             "lower CRPS and Brier are better. Per horizon: `summary.csv`; every forecast: `scores.csv`; "
             "PIT histograms: `pit.csv`.", "",
             "| series | forecasts | cover 50 | cover 80 | cover 90 | CRPS model | CRPS naive | Brier model | Brier naive |",
             "|---|---|---|---|---|---|---|---|---|"]
    if not result.scores.empty:
        pooled = result.scores.groupby("series", sort=False)
        for name, g in pooled:
            lines.append(f"| {name} | {len(g)} | {g.model_in50.mean():.2f} | {g.model_in80.mean():.2f} | "
                         f"{g.model_in90.mean():.2f} | {_number(g.model_crps.mean())} | {_number(g.naive_crps.mean())} | "
                         f"{g.model_brier.mean():.3f} | {g.naive_brier.mean():.3f} |")
    scored = set(result.scores.series) if not result.scores.empty else set()
    lines += ["", "## Not backtested (the data cannot support it)", ""]
    for item in spec.series:
        reasons = result.skipped[result.skipped.series == item.name]
        if item.name not in scored:
            lines.append(f"- **{item.name}**: no origin could be scored — "
                         + "; ".join(sorted(set(reasons.reason))) + ".")
        elif len(reasons):
            lines.append(f"- {item.name}: origins {', '.join(map(str, reasons.origin))} skipped — "
                         + "; ".join(sorted(set(reasons.reason))) + ".")
    lines += ["", "With a handful of forecasts per series, coverage rates carry sampling error of ±0.1–0.2: read "
              "them as a check for gross miscalibration, not as a precise measurement."]
    return "\n".join(lines) + "\n"
