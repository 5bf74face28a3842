"""Rendering the calibration file (``calibration/parameters.toml``) from estimates and priors.

The text is a pure function of its inputs: entries in the fixed order of
:data:`simulator.parameters.BASE_SPEC` and :data:`~simulator.parameters.PARAMETER_SPEC`,
numbers rounded to four significant digits (standard errors to three). Re-running on unchanged
data on the same machine gives the same bytes; on another CPU a maximum-likelihood estimate can
land on the other side of a rounding step (the BLAS kernels round differently and the optimiser
stops within its tolerance: 0.0005861 against 0.000586 on AVX-512 and AVX2), which
:func:`differences` tells from a real change.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

from ..errors import InputError
from ..sourced import flatten_blocks, read_toml
from ..parameters import BASE_SPEC, PARAMETER_SPEC, calibration_from_raw, correlation_matrix
from .calibrate import CalibrationRun, Entry

_FIELDS = ("value", "se", "unit", "source", "sample", "method", "note", "assumption")
_HEADER = """\
# Calibration of the core model: WRITTEN BY `simulate calibrate` — do not edit by hand.
# Estimates come from the tidy data of {folder}/data/ (see {folder}/calibrate.toml for
# which series feed which estimate, and {folder}/data_report.md for coverage, sources and
# their disagreements); everything else (base-year choices, stated priors) comes unchanged from
# {folder}/priors.toml. Every entry has a source, a method and, where estimated, the sample
# and the standard error `se` (drawn once per path when montecarlo.parameter_uncertainty is on).
# Units: shares and rates are fractions (0.05 = 5 %); growth rates are log points a year.
"""


def read_priors(path: Path) -> dict:
    """The priors file as ``{"meta", "base", "parameters": {"block.name": table}, "correlations"}``.

    The file is checked with the rules of the calibration file it feeds
    (:func:`simulator.parameters.load_calibration`: every name, unit, bound and standard error,
    the shares summing to one, the correlations), so that a bad prior stops the run here rather
    than in the written file.

    Raises
    ------
    InputError
        Missing file, invalid TOML, a name the model does not know, or a value the calibration
        file would refuse.
    """
    raw = read_toml(path, what="priors file")
    calibration_from_raw(raw, path=path)
    flat = flatten_blocks(raw.get("parameters", {}), file=path)
    for name in flat:
        if name not in PARAMETER_SPEC:
            raise InputError(f"unknown parameter '{name}'", file=path, key=f"parameters.{name}")
    missing = sorted(set(PARAMETER_SPEC) - set(flat)) + sorted(f"base.{n}" for n in set(BASE_SPEC) - set(raw.get("base", {})))
    if missing:
        raise InputError(f"missing priors: {', '.join(missing)}", file=path)
    return {"meta": raw.get("meta", {}), "base": raw["base"], "parameters": flat,
            "correlations": raw.get("correlations", [])}


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _number(x, digits: int) -> str:
    if isinstance(x, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(x, int):
        return str(x)
    text = f"{float(x):.{digits}g}"
    if float(text) == 0.0:
        return "0.0"
    return text if any(c in text for c in ".en") else text + ".0"


def _table(header: str, fields: dict) -> list[str]:
    lines = [header]
    for key in _FIELDS:
        value = fields.get(key)
        if value is None or value == "" or (key == "assumption" and not value):
            continue
        if key == "assumption":
            lines.append("assumption = true")
        elif key in ("value", "se"):
            lines.append(f"{key} = {_number(value, 4 if key == 'value' else 3)}")
        else:
            lines.append(f"{key} = {_string(str(value))}")
    return lines + [""]


def _clip(name: str, entry: Entry) -> tuple[float, str]:
    """Keep an estimate inside the model's admissible range, saying so in the note."""
    _, lower, upper = PARAMETER_SPEC[name]
    if lower <= entry.value <= upper:
        return entry.value, entry.note
    clipped = min(max(entry.value, lower), upper)
    return clipped, (entry.note + " " if entry.note else "") + (
        f"The estimate {entry.value:.4g} is outside the model's range [{lower}, {upper}] and is set to the bound.")


def render(run: CalibrationRun, priors: dict, *, data_vintage: str, folder: str = "calibration") -> str:
    """The calibration file's text: estimates where made, priors elsewhere.

    Raises
    ------
    InputError
        If the combined shock correlations are not positive semi-definite.
    """
    meta = priors["meta"]
    lines = [_HEADER.format(folder=folder), "[meta]", f"region = {_string(meta['region'])}"]
    if meta.get("region_vi"):
        lines.append(f"region_vi = {_string(meta['region_vi'])}")
    lines += [f"base_year = {int(meta['base_year'])}",
             f"description = {_string(meta.get('description', ''))}", f"data_vintage = {_string(data_vintage)}", ""]
    lines.append("# ------------------------------------------------------------------ base year")
    for name in BASE_SPEC:
        prior = dict(priors["base"][name])
        prior.setdefault("method", "base-year choice (calibration/priors.toml)")
        lines += _table(f"[base.{name}]", prior)
    block = None
    for name in PARAMETER_SPEC:
        this_block = name.split(".")[0]
        if this_block != block:
            lines.append(f"# ------------------------------------------------------------------ {this_block}")
            block = this_block
        unit = PARAMETER_SPEC[name][0]
        if name in run.entries:
            entry = run.entries[name]
            value, note = _clip(name, entry)
            fields = {"value": value, "se": entry.se, "unit": unit, "source": entry.source, "sample": entry.sample,
                      "method": entry.method, "note": note, "assumption": entry.assumption}
        else:
            fields = dict(priors["parameters"][name])
            reason = run.fallbacks.get(name)
            fields.setdefault("method", "stated prior (calibration/priors.toml)"
                              + (f"; not estimated: {reason}" if reason else ""))
        lines += _table(f"[parameters.{name}]", fields)
    lines.append("# ------------------------------------------------------------------ correlations of the shocks")
    pairs = []
    estimated = dict(run.correlations)
    for prior in priors["correlations"]:
        key = (prior["a"], prior["b"])
        match = estimated.pop(key, None) or estimated.pop(key[::-1], None)
        if match is None:
            pairs.append(dict(prior))
        else:
            pairs.append(_estimated_pair(key, match))
    pairs += [_estimated_pair(key, match) for key, match in estimated.items()]
    correlation_matrix([(p["a"], p["b"], float(p["rho"])) for p in pairs], file="calibration (estimated correlations)")
    for pair in pairs:
        lines.append("[[correlations]]")
        lines.append(f"a = {_string(pair['a'])}")
        lines.append(f"b = {_string(pair['b'])}")
        lines.append(f"rho = {_number(pair['rho'], 3)}")
        for key in ("source", "note"):
            if pair.get(key):
                lines.append(f"{key} = {_string(pair[key])}")
        if pair.get("assumption"):
            lines.append("assumption = true")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _estimated_pair(key, match) -> dict:
    est, source = match
    return {"a": key[0], "b": key[1], "rho": est.value, "source": source,
            "note": f"{est.method}, {est.sample}; se {est.se:.2g} (sampling error is large on so few years)"}


#: Numbers of two calibration files that differ by at most this share of their size are the same
#: estimate (rounding of four significant digits is at most 5e-4 of a value; an optimiser's
#: tolerance across CPUs about 2e-4 was seen). Texts (sources, samples, methods) must match exactly.
SAME_ESTIMATE_RTOL = 1e-3


def differences(old_text: str, new_text: str) -> tuple[list[str], float]:
    """How a calibration file on disk differs from the one the data give: the keys whose text or
    structure differs or whose numbers differ by more than :data:`SAME_ESTIMATE_RTOL`, and the
    largest relative difference of the numbers that agree within it (0 when the bytes are equal)."""
    if old_text == new_text:
        return [], 0.0
    try:
        old, new = tomllib.loads(old_text), tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        return ["(not TOML)"], 0.0
    changed: list[str] = []
    largest = 0.0

    def walk(a, b, key: str) -> None:
        nonlocal largest
        if isinstance(a, dict) and isinstance(b, dict):
            for name in sorted(set(a) | set(b)):
                if name not in a or name not in b:
                    changed.append(f"{key}.{name}".lstrip("."))
                else:
                    walk(a[name], b[name], f"{key}.{name}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{key}[{i}]")
        elif isinstance(a, float) and isinstance(b, float) and a != b:
            gap = abs(a - b) / max(abs(a), abs(b)) if math.isfinite(a) and math.isfinite(b) else math.inf
            if gap > SAME_ESTIMATE_RTOL:
                changed.append(key.lstrip("."))
            else:
                largest = max(largest, gap)
        elif type(a) is not type(b) or a != b:
            changed.append(key.lstrip("."))

    walk(old, new, "")
    return changed, largest
