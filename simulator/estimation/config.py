"""The calibration run's configuration file (e.g. ``calibration/calibrate.toml``).

Everything place-specific lives in that file: the data files, the regions (which ones form the
merged unit), the source-choice overrides, the sample choices (COVID years, breaks) and which
region's series feed each estimate. The estimation code only knows the tidy data schema.
Paths in the file are relative to the file itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError, brief
from ..files import confine, project_root, read_toml


class _Frozen(BaseModel):
    # strict: "2020" is not a year, true is not a number; NaN and infinity are refused
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class IndicatorSpec(_Frozen):
    """The unit an indicator is given in and the range of values it can plausibly take."""

    unit: str
    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self):
        if self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


class DataConfig(_Frozen):
    files: tuple[str, ...] = Field(min_length=1)
    regions: tuple[str, ...] = Field(min_length=1)
    units: tuple[str, ...] = Field(min_length=1)
    #: Relative gap above which two sources of the same key count as disagreeing (0.005 = 0.5 %).
    disagreement_tolerance: float = Field(default=0.005, ge=0.0)
    #: First and last year a row may refer to.
    years: tuple[int, int] = (1900, 2100)
    #: Unit and plausible range of every indicator; when given, a row of an indicator not listed
    #: here, in another unit or outside the range is an error.
    indicators: dict[str, IndicatorSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _indicator_units_known(self):
        for name, spec in self.indicators.items():
            if spec.unit not in self.units:
                raise ValueError(f"indicator '{name}': unit '{spec.unit}' is not in data.units")
        if self.years[0] > self.years[1]:
            raise ValueError(f"years {list(self.years)}: the first is after the last")
        return self


class MergeConfig(_Frozen):
    region: str
    components: tuple[str, ...] = Field(min_length=2)
    #: Furthest year (in years) a weight may be borrowed from when the same year lacks it.
    max_weight_gap: int = Field(default=3, ge=0)


class SourceOverride(_Frozen):
    region: str
    year: int
    indicator: str
    source_contains: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class SourceChoiceConfig(_Frozen):
    override: tuple[SourceOverride, ...] = ()


class OutputConfig(_Frozen):
    parameters: str
    priors: str
    report: str


class SampleConfig(_Frozen):
    base_year: int
    #: Years of an economy-wide contraction, given a dummy each in the growth regressions.
    covid_years: tuple[int, ...] = ()
    #: Years of the rebound after it, also given a dummy (the level returns to trend).
    rebound_years: tuple[int, ...] = ()
    #: First and last year of the record in which disaster episodes are counted.
    disaster_record: tuple[int, int]
    #: Fewest year-on-year changes for an estimated standard deviation; fewer keep the prior.
    min_changes: int = Field(default=3, ge=2)
    #: Weight of the stated prior shock scale, in degrees of freedom, pooled with the thin
    #: structure estimates (0 = the data alone).
    structure_prior_df: float = Field(default=0.0, ge=0.0)
    #: Fewest overlapping years of two residual series for an estimated correlation.
    min_overlap: int = Field(default=8, ge=4)
    #: Fewest consecutive investment years for a perpetual-inventory capital stock.


class Source(_Frozen):
    """Where one estimate's data come from."""

    regions: tuple[str, ...] = Field(min_length=1)
    indicator: str = ""
    denominator: str = ""
    first_year: int | None = None
    last_year: int | None = None
    #: The process estimated (population only): a random walk with drift, or a smooth trend whose
    #: drift wanders (simulator.estimation.estimators.local_trend).
    model: Literal["random_walk", "smooth_trend"] = "random_walk"
    #: A base-year value of priors.toml that closes the series in the base year (e.g. a figure
    #: derived for the base year that no observation holds).
    close_with_base: str = ""
    #: Why the sample is what it is: the years left out and the reason (printed in the data report).
    why: str = ""


class BacktestSeries(_Frozen):
    name: str
    region: str
    indicator: str
    denominator: str = ""
    process: str
    first_year: int | None = None
    last_year: int | None = None
    #: Offsets of the Brier thresholds around the realised value, in the series' unit
    #: (relative for levels, 0.01 = 1 %; absolute for rates and shares).
    brier_offsets: tuple[float, ...] = Field(default=(-0.02, -0.01, 0.01, 0.02), min_length=1)


#: Longest horizon or span of a backtest (years): beyond any panel here, and it sizes the arrays.
MAX_YEARS = 30
#: Most paths a forecast of each backtest may draw: the series backtest holds one series' paths at
#: a time (10⁷ × 5 years = 400 MB), the target backtest every province's at once (63 provinces ×
#: 10⁵ paths × 5 years, several such arrays: about 1 GB).
MAX_PATHS = {"backtest": 10_000_000, "target_backtest": 100_000}


class BacktestConfig(_Frozen):
    origins: tuple[int, ...] = Field(min_length=1)
    max_horizon: int = Field(default=5, ge=1, le=MAX_YEARS)
    paths: int = Field(default=4000, ge=100, le=MAX_PATHS["backtest"])
    seed: int = Field(default=0, ge=0)
    series: tuple[BacktestSeries, ...] = Field(min_length=1)


class TargetBacktestConfig(_Frozen):
    """``[target_backtest]``: the engine's probabilities of target statistics scored on history
    (simulator.estimation.target_backtest)."""

    #: The outside-view config: the panel file, its regions and the merged areas.
    outside_view: str
    #: Its class whose regions form the rolling-origin panel.
    panel_class: str
    #: The engine calibration whose non-growth primitives (capital share, investment share,
    #: employment, population, training) the simulation draws from.
    calibration: str
    origins: tuple[int, ...] = Field(min_length=1)
    horizon: int = Field(default=5, ge=1, le=MAX_YEARS)
    #: Fewest growth years a region needs before an origin.
    min_years: int = Field(default=2, ge=1, le=200)
    paths: int = Field(default=4000, ge=100, le=MAX_PATHS["target_backtest"])
    seed: int = Field(default=0, ge=0)
    #: Fixed thresholds of P(average growth ≥ c), fractions a year.
    thresholds: tuple[float, ...] = Field(default=(0.06, 0.07, 0.08, 0.09, 0.10), min_length=1)
    #: Thresholds around the realised average: realised + offset (fractions a year).
    offsets: tuple[float, ...] = (-0.01, -0.005, 0.005, 0.01)
    reliability_bins: int = Field(default=10, ge=2, le=1000)
    #: Add the engine's other shocks to real growth (employment ratio, population, training,
    #: investment realisation), as the engine does; false = TFP shocks only.
    other_shocks: bool = True
    #: Student-t degrees of freedom of the shocks; None = the calibration's shocks.student_t_df.
    student_t_df: float | None = Field(default=None, ge=0.0)
    #: [sources.*] entry of the national growth series the TFP persistence is estimated from.
    persistence_source: str = "national_growth"
    #: [sources.*] entry of the former units' annual growth (one-year-ahead cases).
    units_source: str = "real_growth"
    unit_origins: tuple[int, ...] = ()
    #: Spans (years) of past plan targets scored as hit-or-miss events.
    event_spans: tuple[Annotated[int, Field(ge=1, le=MAX_YEARS)], ...] = (5, 3)
    #: Classes of the outside-view config whose provinces are also summarised on their own.
    report_classes: tuple[str, ...] = ()


class CalibrateConfig(_Frozen):
    """A validated ``calibrate.toml`` (paths resolved against its folder)."""

    path: str
    data: DataConfig
    merge: MergeConfig
    source_choice: SourceChoiceConfig = SourceChoiceConfig()
    output: OutputConfig
    sample: SampleConfig
    sources: dict[str, Source]
    correlations: tuple[tuple[str, str], ...] = ()
    backtest: BacktestConfig | None = None
    target_backtest: TargetBacktestConfig | None = None

    @model_validator(mode="after")
    def _regions_known(self):
        known = set(self.data.regions)
        for name in (self.merge.region, *self.merge.components):
            if name not in known:
                raise ValueError(f"merge region '{name}' is not in data.regions")
        return self

    def resolve(self, relative: str) -> Path:
        """A path of the config file, relative to the config's folder."""
        return (Path(self.path).parent / relative).resolve()

    @property
    def data_files(self) -> tuple[Path, ...]:
        return tuple(self.resolve(f) for f in self.data.files)


def _tuples(value):
    """TOML arrays as tuples (the config's sequences are tuples, and strict validation does not
    turn a list into one)."""
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def load_config(path: str | Path, *, allow_outside: bool = False) -> CalibrateConfig:
    """Read and validate a calibration config file.

    The data files and outputs it names must lie in its project tree
    (:func:`simulator.files.project_root`) unless ``allow_outside``.

    Raises
    ------
    InputError
        Naming the file and key: missing file, invalid TOML, unknown key, wrong type, a path
        outside the project tree.
    """
    path = Path(path)
    raw = read_toml(path, what="calibration config")
    if "path" in raw:
        raise InputError("unknown key", file=path, key="path")
    try:
        config = CalibrateConfig.model_validate({"path": str(path), **_tuples(raw)})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
        raise InputError(f"{message} (got {brief(first.get('input'))})", file=path, key=key or None) from None
    spec = config.target_backtest
    if spec is not None:
        for key, name, used in (("persistence_source", spec.persistence_source, True),
                                ("units_source", spec.units_source, bool(spec.unit_origins))):
            if used and name not in config.sources:
                raise InputError(f"'{name}' is not a [sources] entry ({', '.join(config.sources)})", file=path,
                                 key=f"target_backtest.{key}")
    if not allow_outside:
        root = project_root(path)
        named = [(f"data.files[{i}]", f) for i, f in enumerate(config.data.files)]
        named += [(f"output.{k}", getattr(config.output, k)) for k in ("parameters", "priors", "report")]
        for key, relative in named:
            confine(Path(path).parent / relative, root, file=path, key=key, what="file")
    return config
