"""Files of sourced numbers: TOML reading and the ``{value, unit, source, ...}`` tables that the
core and satellite calibrations share.

A value table holds ``value``, ``unit`` and ``source``, optionally ``se`` (standard error),
``note``, ``assumption = true`` (no source pins the number down), ``echo = "<target ids>"`` (the
number comes from a target's own arithmetic, so that target's P(hit) restates it), and the
estimation record ``sample`` and ``method``. A spec ``{name: (unit, lower, upper)}`` says which names a file must
hold, in which unit and within which bounds.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InputError, brief
from .files import read_toml  # noqa: F401  (re-exported: the one TOML reader)

Spec = dict[str, tuple[str, float, float]]


def first_error(error: ValidationError) -> tuple[str, str]:
    """(dotted location, message with the offending input) of a pydantic error's first complaint."""
    first = error.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return loc, f"{first['msg']} (got {brief(first.get('input'))})"


#: Largest magnitude of a sourced number whose admissible range is unbounded (a base GRDP of
#: 1e300 bn VND is a typo, and would overflow the engine's arithmetic).
MAX_MAGNITUDE = 1e12
#: Lower bound of a quantity that must be positive (a level the model divides by or takes the log
#: of: population, GRDP, an exchange rate); shown as "greater than 0" in messages.
POSITIVE = 1e-9


class _Entry(BaseModel):
    # strict: `value = true` is not 1.0, `assumption = "yes"` is not true; NaN and infinity refused
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    value: float
    unit: str
    source: str = Field(min_length=1)
    note: str = ""
    se: float | None = Field(default=None, ge=0.0)
    assumption: bool = False
    echo: str = ""
    sample: str = ""
    method: str = ""


@dataclass(frozen=True)
class Value:
    """One sourced number; bounds are inclusive and per-path draws are clipped to them."""

    name: str
    value: float
    unit: str
    source: str
    note: str
    se: float | None
    assumption: bool
    lower: float
    upper: float
    echo: str = ""  # target ids whose own arithmetic produced the number (its P(hit) restates it)


def unknown_name_message(name: str, known, *, listed_in: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown name '{name}'.{hint} Valid names are listed in {listed_in}."


def check_bounds(value: float, lower: float, upper: float, *, file: str | Path, key: str) -> None:
    """Refuse a value that is not a finite number within [lower, upper] (and within
    ±:data:`MAX_MAGNITUDE` where the range is unbounded)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"expected a number, got {value!r}", file=file, key=key)
    if not math.isfinite(value):
        raise InputError(f"expected a finite number, got {value}", file=file, key=key)
    if lower == POSITIVE and value < lower:
        raise InputError(f"value {value:g} must be greater than 0 (at least {POSITIVE:g})", file=file, key=key)
    if not (lower <= value <= upper):
        raise InputError(f"value {value:g} is outside the allowed range [{lower:g}, {upper:g}]", file=file, key=key)
    if abs(value) > MAX_MAGNITUDE:
        raise InputError(f"value {value:g} is larger than {MAX_MAGNITUDE:g} in magnitude: check the unit", file=file,
                         key=key)


def check_se(se: float, value: float, lower: float, upper: float, *, file: str | Path, key: str) -> None:
    """Refuse a standard error that says nothing: more than half the admissible range, or, where
    the range is unbounded, more than 10 times the value (draws would be clipped to the bounds
    and the answer set by the bounds, not by the estimate)."""
    width = upper - lower
    limit = width / 2 if math.isfinite(width) else 10 * abs(value)
    if se > limit:
        rule = (f"half the allowed range [{lower:g}, {upper:g}]" if math.isfinite(width)
                else "10 times the value")
        raise InputError(f"standard error {se:g} is larger than {rule} ({limit:g}): per-path draws would say "
                         "nothing; check the number or drop the se", file=file, key=key)


class Meta(BaseModel):
    """The ``[meta]`` table of a calibration file."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    region: str
    region_vi: str = ""
    base_year: int = Field(ge=1900, le=2200)
    description: str = ""
    data_vintage: str = ""


def read_calibration_file(path: str | Path, *, sections: tuple[str, ...], what: str) -> tuple[dict, Meta]:
    """Parse a calibration file: its raw tables (only ``sections`` allowed) and its ``[meta]``."""
    return check_sections(read_toml(path, what=what), path=path, sections=sections)


def check_sections(raw: dict, *, path: str | Path, sections: tuple[str, ...]) -> tuple[dict, Meta]:
    """The raw tables of a parsed calibration file (only ``sections`` allowed) and its ``[meta]``."""
    for section, content in raw.items():
        if section not in sections:
            raise InputError(f"unknown section; expected {', '.join(sections)}", file=path, key=section)
        arrays = section == "correlations"
        if not isinstance(content, list if arrays else dict) or (arrays and not all(isinstance(c, dict) for c in content)):
            expected = "an array of tables ([[correlations]])" if arrays else f"a table ([{section}])"
            raise InputError(f"expected {expected}, got {brief(content)}", file=path, key=section)
    try:
        meta = Meta.model_validate(raw.get("meta", {}))
    except ValidationError as exc:
        loc, msg = first_error(exc)
        raise InputError(msg, file=path, key=f"meta.{loc}") from None
    return raw, meta


def read_values(table: dict, spec: Spec, *, file: str | Path, prefix: str, listed_in: str) -> dict[str, Value]:
    """Validate the value tables of one section against a spec: every name known and present,
    units equal to the spec's, values within bounds."""
    out: dict[str, Value] = {}
    for name, raw in table.items():
        key = f"{prefix}.{name}"
        if name not in spec:
            raise InputError(unknown_name_message(name, spec, listed_in=listed_in), file=file, key=key)
        if not isinstance(raw, dict):
            raise InputError("expected a table with value, unit and source", file=file, key=key)
        try:
            entry = _Entry(**raw)
        except ValidationError as exc:
            loc, msg = first_error(exc)
            raise InputError(msg, file=file, key=f"{key}.{loc}") from None
        unit, lower, upper = spec[name]
        if entry.unit != unit:
            raise InputError(f"unit '{entry.unit}' does not match the model's unit '{unit}'", file=file, key=f"{key}.unit")
        check_bounds(entry.value, lower, upper, file=file, key=f"{key}.value")
        if entry.se is not None:
            check_se(entry.se, entry.value, lower, upper, file=file, key=f"{key}.se")
        out[name] = Value(name, entry.value, entry.unit, entry.source, entry.note, entry.se,
                          entry.assumption, lower, upper, entry.echo)
    missing = sorted(set(spec) - set(out))
    if missing:
        raise InputError(f"missing entries: {', '.join(missing)}", file=file, key=prefix)
    return out


def flatten_blocks(tables: dict, *, file: str | Path, prefix: str = "parameters") -> dict[str, dict]:
    """``{block: {name: table}}`` -> ``{"block.name": table}``."""
    flat = {}
    for block, table in tables.items():
        if not isinstance(table, dict):
            raise InputError("expected a table of parameters", file=file, key=f"{prefix}.{block}")
        flat.update({f"{block}.{name}": entry for name, entry in table.items()})
    return flat


def with_overrides(values: dict[str, Value], overrides: dict[str, float], *, origin, key_prefix: str,
                   listed_in: str) -> dict[str, Value]:
    """A copy of ``values`` with some numbers replaced by a scenario; they count as assumptions.

    ``origin`` is the file that set the overrides, or a function of the dotted key giving it
    (so that a value from ``--set`` is blamed on ``--set``).
    """
    out = dict(values)
    for name, new_value in overrides.items():
        key = f"{key_prefix}.{name}"
        where = origin(key) if callable(origin) else origin
        if name not in out:
            raise InputError(unknown_name_message(name, out, listed_in=listed_in), file=where, key=key)
        old = out[name]
        check_bounds(new_value, old.lower, old.upper, file=where, key=key)
        out[name] = replace(old, value=float(new_value), source=f"scenario override ({where})", assumption=True)
    return out
