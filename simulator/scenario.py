"""Scenario files: TOML validated into a frozen pydantic model.

A scenario names its calibration file and target registry, sets the policy levers, the Monte
Carlo options and, optionally, overrides of calibrated parameters. ``extends = "other.toml"``
inherits another file (deep merge: tables merge key by key, any other value replaces). Relative
paths are resolved against the file that wrote them. CLI ``--set key.path=value`` overrides come
last. Every error names the file that set the offending key, the key path and the rule.
"""

from __future__ import annotations

import os

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import InputError, brief
from .files import confine, parse_toml, project_root, resolve
from .levers import HISTORICAL
from .sourced import read_toml

_PATH_KEYS = (("scenario", "calibration"), ("scenario", "targets"), ("scenario", "satellites"),
              ("scenario", "outside_view"))



class _Frozen(BaseModel):
    # strict: "yes" is not true, true is not 1.0, "0.4" is not 0.4; NaN and infinity are refused
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class ScenarioInfo(_Frozen):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    title: str = ""
    description: str = ""
    calibration: str
    targets: str
    satellites: str | None = Field(default=None, description="satellite calibration file (calibration/satellites.toml)")
    outside_view: str | None = Field(default=None, description="reference classes (calibration/outside_view.toml)")
    horizon: int = Field(ge=1901, le=2200, description="last simulated year")

    @field_validator("name")
    @classmethod
    def _not_a_folder_name(cls, name: str) -> str:
        # the name becomes the default output folder out/<name>/: '.' and '..' are folders already
        if set(name) == {"."}:
            raise ValueError("scenario name cannot be made of dots only (it names the output folder out/<name>/)")
        return name


LeverValue = float | list[float]


class Levers(_Frozen):
    """Policy levers (:mod:`simulator.levers`): every one stated, one number or one per simulated year.

    investment_share
        Planned investment / GRDP (share 0–1), or ``"historical"``: the calibrated historical share
        ``production.investment_share_mean``.
    investment_realisation
        Share of the planned investment realised (1 = as in the calibration years; target 8).
    tfp_growth_boost, employment_ratio_boost, net_migration_boost, trained_share_boost,
    export_growth_boost, revenue_ratio_boost
        Changes against the historical trend, fractions a year (0 = history continues).

    Ranges are checked when the scenario is resolved (:func:`simulator.inputs.resolve`).
    """

    investment_share: Literal["historical"] | LeverValue = HISTORICAL
    investment_realisation: LeverValue = 1.0
    tfp_growth_boost: LeverValue = 0.0
    employment_ratio_boost: LeverValue = 0.0
    net_migration_boost: LeverValue = 0.0
    trained_share_boost: LeverValue = 0.0
    export_growth_boost: LeverValue = 0.0
    revenue_ratio_boost: LeverValue = 0.0


class MonteCarlo(_Frozen):
    """Monte Carlo options.

    block_size is part of the random-number contract: path i of block k always sees the same
    draws, so results depend on (seed, block_size, paths) only, never on chunk_size.
    """

    paths: int = Field(default=100_000, gt=0, le=1_000_000_000)
    seed: int = Field(default=2030, ge=0)
    block_size: int = Field(default=8192, gt=0, le=1_048_576)
    chunk_size: int = Field(default=32_768, gt=0)
    parameter_uncertainty: bool = True
    volatility_scale: float = Field(default=1.0, ge=0.0, le=10.0)


class TargetOptions(_Frozen):
    """How targets are read.

    approx_tolerance
        The registry's "about" (khoảng) targets count as hit when they miss the threshold by at
        most this relative tolerance (0.02 = 2 % of the threshold).
    approx_tolerance_by_target
        The same, for one target id (e.g. ``"2-growth" = 0.0667``: 15 %/yr ± 1 point); an id
        here must be an "about" row of the registry.
    prior_correlation
        Correlation (0–1) of the latent factor shared by every ``prior`` target (a Gaussian
        copula): 0 makes them independent, higher values make them one bet on the administration.
    readings
        ``{target id: reading name}``: read a registry row another way than its default (the
        row's ``readings`` table lists the alternatives, e.g. ``"2-growth" = "every_year"``).
    """

    approx_tolerance: float = Field(default=0.0, ge=0.0, le=0.5)
    approx_tolerance_by_target: dict[str, Annotated[float, Field(ge=0.0, le=0.5)]] = Field(default_factory=dict)
    prior_correlation: float = Field(default=0.0, ge=0.0, le=0.99)
    readings: dict[str, str] = Field(default_factory=dict)

    def tolerance(self, target_id: str) -> float:
        """The relative "about" tolerance of one target."""
        return self.approx_tolerance_by_target.get(target_id, self.approx_tolerance)


#: Largest alpha or beta of a Beta prior.
MAX_BETA_SHAPE = 1e4


class Prior(_Frozen):
    """Attainment prior of one ``prior`` target: a probability, or a Beta(alpha, beta) prior on it.

    With a Beta prior each path draws its own probability, so the probability of the target is
    alpha / (alpha + beta) and the spread says how little is known. ``reason`` says why, ``source``
    where the historical record comes from; without a source the prior is an assumption.
    """

    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    # Beta(1e4, 1e4) is already a point mass for any path count; larger shapes only overflow
    alpha: float | None = Field(default=None, gt=0.0, le=MAX_BETA_SHAPE)
    beta: float | None = Field(default=None, gt=0.0, le=MAX_BETA_SHAPE)
    reason: str = Field(min_length=1)
    source: str = ""

    @model_validator(mode="after")
    def _one_form(self):
        has_alpha, has_beta = self.alpha is not None, self.beta is not None
        if (self.probability is not None) == (has_alpha or has_beta) or has_alpha != has_beta:
            raise ValueError("give either probability, or both alpha and beta")
        return self

    @property
    def mean(self) -> float:
        """The attainment probability implied by the prior."""
        return self.probability if self.probability is not None else self.alpha / (self.alpha + self.beta)

    @property
    def assumption(self) -> bool:
        """A prior without a source is an assumption (flagged '*' in the results)."""
        return not self.source


class Scenario(_Frozen):
    """A validated scenario file (after ``extends`` and overrides).

    ``base`` and ``satellite_base`` override base-year values by name (``[base]
    population_persons = 3_250_000``); ``parameters`` and ``satellite_parameters`` override
    parameters by block and name. ``origins`` records which file (or ``--set``, or an argument)
    set each key, so that later checks blame the right one.
    """

    scenario: ScenarioInfo
    levers: Levers = Levers()
    montecarlo: MonteCarlo = MonteCarlo()
    target_options: TargetOptions = TargetOptions()
    base: dict[str, float] = Field(default_factory=dict)
    satellite_base: dict[str, float] = Field(default_factory=dict)
    parameters: dict[str, dict[str, float]] = Field(default_factory=dict)
    satellite_parameters: dict[str, dict[str, float]] = Field(default_factory=dict)
    priors: dict[str, Prior] = Field(default_factory=dict)
    source_file: str = ""
    origins: dict[str, str] = Field(default_factory=dict, exclude=True)

    def origin_of(self, key: str) -> str:
        """The file (or ``--set``, or ``argument x``) that set a dotted key, else the scenario file."""
        parts = key.split(".")
        for n in range(len(parts), 0, -1):
            found = self.origins.get(".".join(parts[:n]))
            if found:
                return found
        return self.source_file

    def parameter_overrides(self) -> dict[str, float]:
        """Flattened ``{"block.name": value}`` from the ``[parameters.<block>]`` tables."""
        return {f"{block}.{name}": v for block, table in self.parameters.items() for name, v in table.items()}

    def satellite_parameter_overrides(self) -> dict[str, float]:
        """Flattened ``{"block.name": value}`` from the ``[satellite_parameters.<block>]`` tables."""
        return {f"{block}.{name}": v for block, table in self.satellite_parameters.items() for name, v in table.items()}


# ---------------------------------------------------------------- loading


def _leaves(data: dict, prefix: tuple = ()):
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _leaves(value, prefix + (key,))
        else:
            yield prefix + (key,), value


def _merge(base: dict, top: dict) -> dict:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


#: Longest ``extends`` chain followed (a file, its parent, its grandparent …).
MAX_EXTENDS = 50


def _resolve_paths(data: dict, path: Path, root: Path | None) -> None:
    """Make the file paths a scenario file names absolute (relative to that file), inside ``root``."""
    for section, key in _PATH_KEYS:
        value = data.get(section, {}).get(key) if isinstance(data.get(section), dict) else None
        if isinstance(value, str):
            what = f"scenario.{key} file"
            target = path.parent / value
            data[section][key] = str(confine(target, root, file=path, key=f"{section}.{key}", what=what) if root
                                     else resolve(target, what=what, file=path, key=f"{section}.{key}"))


def _load_tree(path: Path, *, root: Path | None) -> tuple[dict, dict]:
    """Merged raw data of a file and its ``extends`` ancestors, and which file set each leaf.

    Followed without recursion, at most :data:`MAX_EXTENDS` files deep; with a ``root`` every
    file and every path it names must lie inside it (:func:`simulator.files.confine`).
    """
    layers: list[tuple[dict, dict]] = []
    chain: list[Path] = []
    current = resolve(path, what="scenario file")
    while True:
        if current in chain:
            raise InputError("circular 'extends': " + " -> ".join(str(p) for p in chain + [current]), file=chain[-1],
                             key="extends")
        chain.append(current)
        data = read_toml(current, what="scenario file")
        _resolve_paths(data, current, root)
        parent = data.pop("extends", None)
        layers.append((data, {leaf: str(current) for leaf, _ in _leaves(data)}))
        if parent is None:
            break
        if not isinstance(parent, str) or not parent.strip():
            raise InputError(f"expected a file name (string), got {brief(parent)}", file=current, key="extends")
        if len(chain) >= MAX_EXTENDS:
            raise InputError(f"the 'extends' chain is longer than {MAX_EXTENDS} files (from {chain[0]}): merge some "
                             "of them", file=current, key="extends")
        target = current.parent / parent
        referrer = current
        current = (confine(target, root, file=current, key="extends", what="extended scenario file") if root
                   else resolve(target, what="extended scenario file", file=current, key="extends"))
        if not os.path.lexists(current):  # blame the file that names it
            raise InputError(f"the extended scenario file '{parent}' does not exist ({current})", file=referrer,
                             key="extends")
    merged, origin = {}, {}
    for data, where in reversed(layers):
        merged = _merge(merged, data)
        for leaf, file in where.items():
            _claim(origin, leaf, file)
    return merged, origin


def _claim(origin: dict, leaf: tuple, file: str) -> None:
    """Record that ``file`` set ``leaf``, forgetting what it replaced: a value above it (a number
    replaced by a table) or below it (a table replaced by a number)."""
    for other in [o for o in origin if o[:len(leaf)] == leaf or leaf[:len(o)] == o]:
        del origin[other]
    origin[leaf] = file


def parse_override(text: str) -> tuple[tuple[str, ...], Any]:
    """``"levers.investment_share=0.45"`` -> (("levers", "investment_share"), 0.45).

    The value is read as TOML (numbers, booleans, quoted strings, arrays); a bare word is a string.
    """
    if "=" not in text:
        raise InputError(f"expected KEY.PATH=VALUE, got '{text}'", file="--set")
    key, raw = text.split("=", 1)
    parts = _key_path(key)
    try:
        value = parse_toml(f"v = {raw.strip()}", file="--set", what="--set value")["v"]
    except InputError as exc:
        if "nested too deeply" in exc.detail:
            raise InputError(exc.detail, file="--set", key=key.strip()) from None
        value = raw.strip()
    return parts, value


def _key_path(key: str) -> tuple[str, ...]:
    """The parts of a dotted key as TOML reads it: ``a.b."2-growth"`` -> ("a", "b", "2-growth")."""
    try:
        node = tomllib.loads(f"{key.strip()} = 0")
    except tomllib.TOMLDecodeError:
        raise InputError(f"'{key.strip()}' is not a key path (parts separated by dots; quote a part with spaces: "
                         'readings."2-growth")', file="--set", key=key.strip()) from None
    parts = []
    while isinstance(node, dict):
        (name, node), = node.items()
        parts.append(name)
    return tuple(parts)


def _set(data: dict, parts: tuple[str, ...], value) -> None:
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise InputError("cannot set a key below a value that is not a table", file="--set", key=".".join(parts))
    node[parts[-1]] = value


def load_scenario(path: str | Path, *, overrides: list[str] | tuple[str, ...] = (), allow_outside: bool = False,
                  **settings) -> Scenario:
    """Load, merge and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        The scenario TOML file.
    overrides : list of str
        ``"key.path=value"`` strings, as given to ``--set``.
    allow_outside : bool
        Let ``extends`` and the calibration, registry and satellite paths leave the scenario's
        project tree (:func:`simulator.files.project_root`); by default they may not.
    **settings
        Keyword overrides of a ``[montecarlo]`` option (``paths``, ``seed``, ``chunk_size`` ...)
        or a ``[levers]`` value (``investment_share``, ``tfp_growth_boost``); None leaves the
        file's value.

    The files' own values are validated before the overrides are applied, and the ``--set``
    values before the keyword settings, so an override never hides a bad value (``paths = -1`` in
    the file, or ``--set montecarlo.paths=-1``, is an error even with ``--paths``).

    Raises
    ------
    InputError
        Naming the file that set the bad key, the key path and the rule broken.
    TypeError
        For a keyword that is neither a Monte Carlo option nor a lever.
    """
    sections = {**{name: "montecarlo" for name in MonteCarlo.model_fields},
                **{name: "levers" for name in Levers.model_fields}}
    unknown = sorted(set(settings) - set(sections))
    if unknown:
        raise TypeError(f"unknown keyword(s) {', '.join(unknown)}; valid: {', '.join(sorted(sections))}")
    root = None if allow_outside else project_root(path)
    data, origin = _load_tree(Path(path), root=root)
    source_file = str(resolve(path, what="scenario file"))
    given = {key: value for key, value in settings.items() if value is not None}
    if overrides or given:
        _validate(data, origin, source_file, ignore_missing=True)  # the files alone: nothing hidden by an override
    for text in overrides:
        parts, value = parse_override(text)
        _set(data, parts, value)
        _claim(origin, parts, "--set")
        if parts in _PATH_KEYS and isinstance(value, str):  # relative to the working folder, like any argument
            what = f"scenario.{parts[1]} file"
            data[parts[0]][parts[1]] = str(confine(value, root, file="--set", key=".".join(parts), what=what) if root
                                           else resolve(value, what=what, file="--set", key=".".join(parts)))
    if overrides and given:
        _validate(data, origin, source_file, ignore_missing=True)  # the --set values too, before an argument replaces one
    for key, value in given.items():
        _set(data, (sections[key], key), value)
        _claim(origin, (sections[key], key), f"argument {key}")
    return _validate(data, origin, source_file, ignore_missing=False)


def _validate(data: dict, origin: dict, source_file: str, *, ignore_missing: bool) -> Scenario | None:
    """The Scenario of merged raw data, or an InputError blaming the file (or --set) that set the
    first bad key. With ``ignore_missing`` a missing required key is not an error (and nothing is
    returned): the files are checked before overrides that may still supply it."""
    for reserved in ("source_file", "origins"):  # set by the loader, never by a file
        if reserved in data:
            raise InputError("unknown key (check its spelling; unknown keys are rejected)",
                             file=_origin_of((reserved,), origin) or source_file, key=reserved)
    try:
        return Scenario(**data, source_file=source_file,
                        origins={".".join(leaf): file for leaf, file in origin.items()})
    except ValidationError as exc:
        errors = [e for e in exc.errors() if not (ignore_missing and e["type"] == "missing")]
        if not errors:
            return None
        # In a union (a number or a list) the most specific complaint has the longest location.
        first = max(errors, key=lambda e: len(e["loc"]))
        loc = _keys_of(first["loc"], data)
        key = ".".join(loc)
        file = _origin_of(loc, origin) or source_file
        message = first["msg"].removeprefix("Value error, ")
        if len(loc) == 2 and loc[0] == "levers" and loc[1] in Levers.model_fields and first["type"] != "extra_forbidden" \
                and not first["type"].startswith(("less", "greater")):
            message = "expected a number or a list of numbers, one per simulated year" + (
                f", or '{HISTORICAL}'" if loc[1] == "investment_share" else "")
        if first["type"] == "extra_forbidden":
            message = "unknown key (check its spelling; unknown keys are rejected)"
        elif first["type"] == "missing":
            message = "required key is missing"
        got = first.get("input")
        if first["type"] not in ("missing", "extra_forbidden") and not isinstance(got, dict):
            message += f" (got {brief(got)})"
        raise InputError(message, file=file, key=key) from None


def _keys_of(loc: tuple, data: dict) -> tuple[str, ...]:
    """The keys of an error location: pydantic puts the tried type of a union into it
    ('constrained-float', 'list[...]'); a part is a key (or a list index) only where the merged
    data holds it, so a misspelt key that looks like a tag ('-', 'a-b') is still named."""
    keys, node = [], data
    for part in loc:
        if isinstance(node, dict) and str(part) in node:
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue  # a type tag (or a key the model added: it has no value in the data)
        keys.append(str(part))
    return tuple(keys)


def _origin_of(loc: tuple[str, ...], origin: dict) -> str | None:
    for n in range(len(loc), 0, -1):
        prefix = loc[:n]
        if prefix in origin:
            return origin[prefix]
        below = [f for leaf, f in origin.items() if leaf[:n] == prefix]
        if below:
            return below[-1]
    return None
