"""The target registry: the Congress's numbered targets as data.

A registry file (TOML) has a ``[registry]`` table (title, source, base_year, target_year) and one
``[[target]]`` table per target or sub-target: its report number and id, names in English and
Vietnamese, the report's wording, the simulated metric it is judged on, the kind of test, the
comparator and threshold in the report's unit. Loading checks every row against the metric
catalogue and the unit table, so a typo fails at load time, not after a run.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from typing import Annotated

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from .errors import InputError, brief
from .metrics import SERIES
from .sourced import read_toml
from .units import UNIT_BOUNDS, UNITS_VI, conversion_factor


class Kind(str, Enum):
    """How a target is judged on a path."""

    LEVEL = "level"  # the metric's value in the target year
    AVERAGE_GROWTH = "average_growth"  # compound average growth over the period
    AVERAGE_CHANGE = "average_change"  # (last − first) / years: the average yearly change over the period
    PERIOD_MEAN = "period_mean"  # the mean of the metric's values in the period's years after the first
    EVERY_YEAR = "every_year"  # the condition holds in every year of the period
    CUMULATIVE = "cumulative"  # the metric summed over the period's years


class Transform(str, Enum):
    """What an every_year target tests each year."""

    LEVEL = "level"
    GROWTH = "growth"  # v_t / v_{t−1} − 1
    CHANGE = "change"  # v_t − v_{t−1}


class Method(str, Enum):
    MODEL = "model"
    TREND = "trend"
    PRIOR = "prior"
    QUALITATIVE = "qualitative"


COMPARATORS = (">=", ">", "<", "<=", "between")


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    name_en: str = Field(min_length=1)
    name_vi: str = Field(min_length=1)


class _Registry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    title_en: str
    title_vi: str
    source: str
    base_year: int = Field(ge=1900, le=2200)
    target_year: int = Field(ge=1900, le=2200)


# Strict scalars: "15" is not a number, true is not 1 (enums take their string values as usual).
_Text = Annotated[str, Strict()]
_Number = Annotated[float, Strict(), AllowInfNan(False)]
_Year = Annotated[int, Strict(), Field(ge=1900, le=2200)]


class Reading(BaseModel):
    """An alternative reading of a row: the fields it changes, and why it is defensible.

    A registry row is read one way by default (``reading``, e.g. "average"); ``readings`` names the
    others, each changing some of kind, transform, comparator, threshold(s), unit, period, approx
    or metric. A scenario picks one with ``target_options.readings.<id> = "<name>"``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    note: _Text = Field(min_length=1)
    metric: _Text | None = None
    kind: Kind | None = None
    transform: Transform | None = None
    comparator: _Text | None = None
    threshold: _Number | None = None
    thresholds: tuple[_Number, _Number] | None = None
    unit: _Text | None = None
    period: tuple[_Year, _Year] | None = None
    approx: Annotated[bool, Strict()] | None = None


class Target(BaseModel):
    """One row of the registry (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: _Text = Field(min_length=1, max_length=64)
    number: Annotated[int, Strict()] = Field(ge=1, le=10_000)
    group: _Text
    name_en: _Text
    name_vi: _Text
    wording_vi: _Text = ""
    metric: _Text | None = None
    kind: Kind = Kind.LEVEL
    transform: Transform = Transform.LEVEL
    comparator: _Text | None = None
    threshold: _Number | None = None
    thresholds: tuple[_Number, _Number] | None = None
    unit: _Text | None = None
    unit_vi: _Text | None = None
    year: _Year | None = None
    period: tuple[_Year, _Year] | None = None
    approx: Annotated[bool, Strict()] = False
    method: Method = Method.MODEL
    note: _Text = ""
    reading: _Text = "as written"
    readings: dict[str, Reading] = Field(default_factory=dict)
    written_as: _Text = ""  # the row's own reading's name, once another reading replaced it

    @model_validator(mode="after")
    def _consistent(self):
        if self.method is Method.QUALITATIVE:
            return self
        if self.comparator not in COMPARATORS:
            raise ValueError(f"comparator {self.comparator!r} is not one of {', '.join(COMPARATORS)}")
        if self.comparator == "between":
            if self.thresholds is None or self.thresholds[0] > self.thresholds[1]:
                raise ValueError("comparator 'between' needs thresholds = [low, high] with low <= high")
        elif self.threshold is None:
            raise ValueError(f"comparator '{self.comparator}' needs a numeric threshold")
        if self.unit not in UNITS_VI:
            raise ValueError(f"unit {self.unit!r} is not one of: {', '.join(UNITS_VI)}")
        if self.kind is not Kind.LEVEL and self.period is None:
            raise ValueError(f"kind '{self.kind.value}' needs period = [first_year, last_year]")
        if self.period is not None and self.period[0] >= self.period[1]:
            raise ValueError("period must be [first_year, last_year] with first < last")
        if self.metric is None:
            raise ValueError("a quantitative target needs a metric")
        return self

    def with_reading(self, name: str) -> "Target":
        """The row read another way (its ``readings[name]``), or itself for its own reading.

        Raises
        ------
        KeyError
            Naming the readings the row has.
        """
        if name == self.reading:
            return self
        if self.written_as:
            raise ValueError(f"target {self.id} is already read as '{self.reading}'")
        if name not in self.readings:
            raise KeyError(f"target {self.id} has readings {', '.join(self.reading_names)}; got '{name}'")
        alternative = self.readings[name]
        changes = {k: v for k, v in alternative.model_dump(exclude={"note"}).items() if v is not None}
        if changes.get("comparator", self.comparator) == "between":
            changes.setdefault("threshold", None)
        elif "comparator" in changes or "threshold" in changes:
            changes.setdefault("thresholds", None)
        if changes.get("kind", self.kind) is Kind.LEVEL and "kind" in changes:
            changes.setdefault("period", None)
        fields = {**self.model_dump(exclude={"readings"}), **changes, "reading": name, "written_as": self.reading,
                  "note": f"{alternative.note} (as written: {self.note})" if self.note else alternative.note}
        return Target(**fields, readings=self.readings)

    @property
    def reading_names(self) -> tuple[str, ...]:
        """Every reading of the row, the registry's default first."""
        return (self.written_as or self.reading, *self.readings)

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high) as report-unit numbers: ``between`` gives both, others the one threshold."""
        if self.comparator == "between":
            return self.thresholds
        return (self.threshold, self.threshold)

    def comparator_text(self) -> str:
        if self.method is Method.QUALITATIVE:
            return "—"
        if self.comparator == "between":
            return f"{_fmt(self.thresholds[0])}–{_fmt(self.thresholds[1])}"
        approx = "≈" if self.approx else ""
        return f"{self.comparator} {approx}{_fmt(self.threshold)}"


def _check_metric(target: Target, metric_units: dict[str, str], simulated, *, file: Path, label: str) -> None:
    if target.metric not in metric_units:
        close = difflib.get_close_matches(target.metric, list(metric_units), n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InputError(f"unknown metric '{target.metric}'.{hint} Known metrics are listed in simulator/metrics.py",
                         file=file, key=f"{label}.metric")
    if simulated is not None and target.method in (Method.MODEL, Method.TREND) and target.metric not in simulated:
        raise InputError(f"method '{target.method.value}' needs a simulated series, but '{target.metric}' is an "
                         "administrative indicator; use method = \"prior\" and give a prior in the scenario",
                         file=file, key=f"{label}.method")
    source_unit = value_unit(target, metric_units[target.metric])
    try:
        conversion_factor(source_unit, target.unit)
    except ValueError:
        raise InputError(
            f"threshold unit '{target.unit}' does not fit metric '{target.metric}' "
            f"(the engine computes it in '{source_unit}')", file=file, key=f"{label}.unit") from None
    if target.kind is Kind.AVERAGE_CHANGE and target.metric in SERIES and SERIES[target.metric].scale == "log":
        raise InputError(f"kind 'average_change' is for shares and rates; '{target.metric}' is a level: use "
                         "'average_growth'", file=file, key=f"{label}.kind")
    reason = impossible_reason(target, metric_units[target.metric])
    if reason:
        raise InputError(f"impossible comparator: {reason}", file=file, key=f"{label}.comparator")


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"


@dataclass(frozen=True)
class Registry:
    path: str
    title_en: str
    title_vi: str
    source: str
    base_year: int
    target_year: int
    targets: tuple[Target, ...]
    groups: dict[str, tuple[str, str]]  # id -> (English, Vietnamese name), the registry's [group.<id>] tables

    def with_readings(self, chosen: dict[str, str], *, origin, metric_units: dict[str, str], simulated) -> "Registry":
        """The registry with some rows read another way (``{id: reading name}``, a scenario's
        ``target_options.readings``); the readings are checked like rows. ``origin(key)`` names the
        file (or ``--set``) that set each key."""
        ids = {t.id for t in self.targets}
        for target_id in chosen:
            if target_id not in ids:
                key = f"target_options.readings.{target_id}"
                raise InputError(f"'{target_id}' is not a target of {self.path}", file=origin(key), key=key)
        rows = []
        for t in self.targets:
            if t.id not in chosen:
                rows.append(t)
                continue
            try:
                read = t.with_reading(chosen[t.id])
            except KeyError as exc:
                key = f"target_options.readings.{t.id}"
                raise InputError(exc.args[0], file=origin(key), key=key) from None
            except ValidationError as exc:
                raise InputError(first_message(exc), file=self.path, key=f"target {t.id}.readings.{chosen[t.id]}") from None
            if read.method is not Method.QUALITATIVE:
                _check_metric(read, metric_units, simulated, file=Path(self.path), label=f"target {t.id} reading {chosen[t.id]}")
            rows.append(read)
        return Registry(self.path, self.title_en, self.title_vi, self.source, self.base_year, self.target_year, tuple(rows),
                        self.groups)


def value_unit(target: Target, metric_unit: str) -> str:
    """Unit in which the engine computes the target's per-path value, before conversion."""
    if target.kind is Kind.AVERAGE_GROWTH or (target.kind is Kind.EVERY_YEAR and target.transform is Transform.GROWTH):
        return "share/yr"
    return metric_unit


def first_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return first["msg"].removeprefix("Value error, ")


def impossible_reason(target: Target, metric_unit: str) -> str | None:
    """Why a row's comparator can never (or always) hold for its metric's range, or None.

    Only rows judged on the metric's own values (level, every-year levels) are checked: a share
    cannot exceed 100 %, a rank is at least 1, a count is never negative.
    """
    if target.kind not in (Kind.LEVEL, Kind.EVERY_YEAR) or target.transform is not Transform.LEVEL:
        return None
    if metric_unit not in UNIT_BOUNDS:
        return None
    factor = conversion_factor(metric_unit, target.unit)
    lower, upper = (b * factor for b in UNIT_BOUNDS[metric_unit])
    low, high = target.bounds
    unit = target.unit
    if target.comparator == ">" and low >= upper or target.comparator == ">=" and low > upper:
        return f"'{target.comparator} {low:g}' can never hold: '{target.metric}' is at most {upper:g} {unit}"
    if target.comparator == "<" and high <= lower or target.comparator == "<=" and high < lower:
        return f"'{target.comparator} {high:g}' can never hold: '{target.metric}' is at least {lower:g} {unit}"
    if target.comparator == "between" and (high < lower or low > upper):
        return f"'between {low:g} and {high:g}' lies outside the range [{lower:g}, {upper:g}] {unit} of '{target.metric}'"
    return None


def _tuples(row):
    """A registry row with its arrays as tuples (``thresholds``, ``period``)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in row.items()} if isinstance(row, dict) else row


def load_registry(path: str | Path, *, metric_units: dict[str, str],
                  simulated: set[str] | frozenset[str] | None = None) -> Registry:
    """Read and validate a target registry.

    Parameters
    ----------
    path : str or Path
    metric_units : dict
        Unit of every metric a row may name (simulated series and administrative indicators,
        :data:`simulator.metrics.KNOWN_UNITS`). A quantitative row naming another metric is an error.
    simulated : set of str, optional
        The metrics the model simulates. If given, a ``model`` or ``trend`` row must name one of
        them (an administrative indicator needs ``method = "prior"``).

    Raises
    ------
    InputError
        For a missing file, bad TOML, an unknown key, a duplicate id, an unknown metric, an
        impossible comparator, or a threshold unit that cannot be converted from the metric's unit.
    """
    path = Path(path)
    raw = read_toml(path, what="target registry")
    unknown = set(raw) - {"registry", "group", "target"}
    if unknown:
        raise InputError(f"unknown section(s) {sorted(unknown)}; expected 'registry', 'group' and 'target'", file=path)
    for section, kind, expected in (("registry", dict, "a table [registry]"), ("group", dict, "tables [group.<id>]"),
                                    ("target", list, "an array of tables [[target]]")):
        if section in raw and not isinstance(raw[section], kind):
            raise InputError(f"expected {expected}, got {brief(raw[section])}", file=path, key=section)
    groups = {}
    for gid, table in (raw.get("group") or {}).items():
        try:
            group = _Group.model_validate(table)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InputError(first["msg"], file=path, key=f"group.{gid}." + ".".join(map(str, first["loc"]))) from None
        groups[gid] = (group.name_en, group.name_vi)
    if not groups:
        raise InputError("no [group.<id>] tables: name the registry's groups of targets (name_en, name_vi)", file=path)
    try:
        meta = _Registry.model_validate(raw.get("registry", {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(first["msg"], file=path, key="registry." + ".".join(map(str, first["loc"]))) from None
    targets, seen = [], set()
    for i, row in enumerate(raw.get("target", [])):
        row_id = row.get("id") if isinstance(row, dict) else None
        label = f"target[{i}]" + (f" (id {row_id if isinstance(row_id, str) and len(row_id) <= 64 else brief(row_id, 30)})"
                                  if row_id is not None else "")
        try:
            target = Target.model_validate(_tuples(row))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(map(str, first["loc"]))
            msg = "unknown key" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
            if first["type"] not in ("extra_forbidden", "missing"):
                msg += f" (got {brief(first.get('input'))})"
            raise InputError(msg, file=path, key=f"{label}{'.' + loc if loc else ''}") from None
        if target.id in seen:
            raise InputError(f"duplicate id '{target.id}'", file=path, key=label)
        if target.group not in groups:
            raise InputError(f"group '{target.group}' is not one of the registry's groups {', '.join(groups)}",
                             file=path, key=f"{label}.group")
        seen.add(target.id)
        if target.method is not Method.QUALITATIVE:
            _check_metric(target, metric_units, simulated, file=path, label=label)
            for name in target.readings:
                if name == target.reading:
                    raise InputError(f"reading '{name}' is the row's own reading", file=path, key=f"{label}.readings.{name}")
                try:
                    alternative = target.with_reading(name)
                except ValidationError as exc:
                    raise InputError(first_message(exc), file=path, key=f"{label}.readings.{name}") from None
                _check_metric(alternative, metric_units, simulated, file=path, label=f"{label}.readings.{name}")
        year = target.year or meta.target_year
        if target.kind is Kind.LEVEL and not (meta.base_year <= year <= meta.target_year):
            raise InputError(f"year {year} is outside {meta.base_year}–{meta.target_year}", file=path, key=f"{label}.year")
        targets.append(target)
    if not targets:
        raise InputError("the registry has no [[target]] rows", file=path)
    return Registry(str(path), meta.title_en, meta.title_vi, meta.source, meta.base_year, meta.target_year, tuple(targets),
                    groups)
