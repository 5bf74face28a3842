"""Units of the simulated series and of the registry's thresholds, and conversion between them.

Inside the engine every share and rate is a fraction (0–1); percent appears only at the edges
(registry thresholds, reports). A conversion is a plain factor: ``value_in_to = value_in_from * f``.
"""

from __future__ import annotations

#: Every unit a metric or a registry threshold may carry, with its Vietnamese rendering.
UNITS_VI: dict[str, str] = {
    "bn VND": "tỷ đồng",
    "trillion VND": "nghìn tỷ đồng",
    "m VND/person/year": "triệu đồng/người/năm",
    "m VND/person/month": "triệu đồng/người/tháng",
    "thousand VND/person/month": "nghìn đồng/người/tháng",
    "m VND/worker/year": "triệu đồng/lao động/năm",
    "bn USD": "tỷ USD",
    "m USD": "triệu USD",
    "VND/USD": "đồng/USD",
    "share": "tỷ lệ (0–1)",
    "%": "%",
    "share/yr": "tỷ lệ/năm",
    "%/yr": "%/năm",
    "persons": "người",
    "thousand persons": "nghìn người",
    "per 10,000 population": "trên 10.000 dân",
    "years": "năm",
    "index": "chỉ số",
    "count": "số lượng",
    "dwellings": "căn",
    "rank": "thứ hạng",
    "PPP $": "USD PPP",
}

_INF = float("inf")

#: Values a quantity in each unit can take (inclusive). A registry threshold outside them makes
#: the comparator impossible (``> 100 %``) or trivial; the registry rejects it at load time.
UNIT_BOUNDS: dict[str, tuple[float, float]] = {
    "share": (0.0, 1.0),
    "%": (0.0, 100.0),
    "rank": (1.0, _INF),
    "count": (0.0, _INF),
    "dwellings": (0.0, _INF),
    "persons": (0.0, _INF),
    "thousand persons": (0.0, _INF),
    "per 10,000 population": (0.0, _INF),
    "years": (0.0, 150.0),
    "bn VND": (0.0, _INF),
    "trillion VND": (0.0, _INF),
    "m USD": (0.0, _INF),
    "bn USD": (0.0, _INF),
}

# (from, to) -> factor. Identity pairs are implied.
_FACTORS: dict[tuple[str, str], float] = {
    ("share", "%"): 100.0,
    ("share/yr", "%/yr"): 100.0,
    ("share/yr", "%"): 100.0,
    ("share", "%/yr"): 100.0,
    ("m USD", "bn USD"): 1e-3,
    ("bn USD", "m USD"): 1e3,
    # the statistics office's yearbooks give population in thousands and its surveys income in
    # thousand đồng a month; congress reports write large sums in nghìn tỷ (thousand billion) đồng
    ("persons", "thousand persons"): 1e-3,
    ("thousand persons", "persons"): 1e3,
    ("bn VND", "trillion VND"): 1e-3,
    ("trillion VND", "bn VND"): 1e3,
    ("m VND/person/month", "thousand VND/person/month"): 1e3,
    ("thousand VND/person/month", "m VND/person/month"): 1e-3,
}


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Factor turning a value in ``from_unit`` into ``to_unit``.

    Raises
    ------
    ValueError
        If the two units measure different things (e.g. ``bn VND`` to ``%``).

    Examples
    --------
    >>> conversion_factor("share", "%")
    100.0
    """
    if from_unit == to_unit:
        return 1.0
    try:
        return _FACTORS[(from_unit, to_unit)]
    except KeyError:
        raise ValueError(f"cannot convert '{from_unit}' to '{to_unit}'") from None


def convertible_units(unit: str) -> list[str]:
    """The other units with a conversion to or from ``unit``, sorted.

    Examples
    --------
    >>> convertible_units("persons")
    ['thousand persons']
    """
    return sorted({u for pair in _FACTORS if unit in pair for u in pair} - {unit})


#: Units shown in tables as percent: the engine's fractions (0–1) become percent at the edges.
_PERCENT = {"share": "%", "share/yr": "%/yr"}


def report_unit(unit: str) -> tuple[str, float]:
    """The unit a table shows a series in (fractions as percent) and the factor from ``unit``.

    Examples
    --------
    >>> report_unit("share")
    ('%', 100.0)
    >>> report_unit("bn VND")
    ('bn VND', 1.0)
    """
    shown = _PERCENT.get(unit, unit)
    return shown, conversion_factor(unit, shown)
