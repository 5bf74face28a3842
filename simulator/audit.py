"""The targets checked against each other with the identities that bind them, on the base year.

Each check finds the targets it needs by their metric and kind (not by id, so any province's
registry is audited the same way), puts them at their thresholds and tests an identity:

- GRDP = GRDP per capita × population;
- investment = investment share × GRDP;
- GRDP = labour productivity × employment (what the floors imply for each other);
- nominal = real × deflator: the deflator a current-price level target implies with its real
  growth target, for GRDP and for productivity;
- real GRDP growth = productivity growth × employment growth;
- a level target and a growth target of the same series, from the same base value;
- the structure targets as linear constraints on shares that sum to one
  (:func:`scipy.optimize.linprog`: feasible or not).

Statuses: ``consistent`` (the identity holds within the rounding or "about" tolerance),
``implies`` (the targets are compatible, and together they require more than one of them says),
``inconsistent`` (they contradict each other or the identity at their thresholds) and
``not applicable`` (a target the check needs is not in the registry).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

from .inputs import Inputs
from .metrics import SERIES
from .parameters import COMPOSITIONS
from .targets import Kind, Method, Target, Transform, value_unit
from .units import conversion_factor

#: Relative gap within which an identity between exact thresholds counts as rounding.
ROUNDING = 0.001

CONSISTENT, IMPLIES, INCONSISTENT, NOT_APPLICABLE = "consistent", "implies", "inconsistent", "not applicable"


#: A phrase of a check: a key of ``[<lang>.audit]`` in ``simulator/labels.toml`` and its fields
#: (ids and numbers written with English marks; :meth:`Check.said` swaps them for the language's).
Phrase = tuple[str, dict]


def _say(phrases: tuple[Phrase, ...], lang: str) -> str:
    """The phrases in ``lang``, one after the other."""
    from .output import labels, number_marks

    words = labels(lang)
    marks = number_marks(words)
    groups = words["audit"]["groups"]

    def series(metric: str) -> str:
        # a series by its name in Vietnamese (the reader's words), by its id in English (as
        # --targets, the registry and the JSON name it)
        return SERIES[metric].vi if lang == "vi" and metric in SERIES else metric

    def fill(key: str, value) -> str:
        if key == "group":
            return groups.get(value, value)
        if key == "metric":
            return series(value)
        if key == "example":  # (series, share in percent) pairs
            return "; ".join(f"{series(m)} {share.translate(marks)}" for m, share in value)
        return str(value).translate(marks)

    out = []
    for key, fields in phrases:
        out.append(words["audit"][key].format(**{k: fill(k, v) for k, v in fields.items()}))
    return "".join(out)


@dataclass(frozen=True)
class Check:
    """One identity tested on the registry's thresholds: its name and message as phrases, said in
    English in ``name`` and ``message`` (and in results.json) and in any language by :meth:`said`."""

    title: Phrase
    identity: str
    targets: tuple[str, ...]
    status: str
    phrases: tuple[Phrase, ...]
    values: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return _say((self.title,), "en")

    @property
    def message(self) -> str:
        return _say(self.phrases, "en")

    def said(self, lang: str) -> tuple[str, str]:
        """(name, message) in ``lang``."""
        return _say((self.title,), lang), _say(self.phrases, lang)

    def to_dict(self) -> dict:
        return {"name": self.name, "identity": self.identity, "targets": list(self.targets), "status": self.status,
                "message": self.message, "values": {k: float(v) for k, v in self.values.items()}}


def _check(title: Phrase, identity: str, ids: tuple[str, ...], status: str, *phrases: Phrase, values=None) -> Check:
    return Check(title, identity, tuple(ids), status, tuple(phrases), dict(values or {}))


@dataclass(frozen=True)
class Audit:
    checks: tuple[Check, ...]
    registry: str

    @property
    def exit_status(self) -> int:
        """0 when no check is inconsistent, 1 otherwise (for a planning office's own checks)."""
        return int(any(c.status == INCONSISTENT for c in self.checks))

    def to_dict(self) -> dict:
        return {"registry": self.registry, "inconsistent": sum(c.status == INCONSISTENT for c in self.checks),
                "exit_status": self.exit_status, "checks": [c.to_dict() for c in self.checks]}


class _Registry:
    """The registry's quantitative targets, found by metric and kind, thresholds in engine units."""

    def __init__(self, inputs: Inputs):
        self.inputs = inputs
        self.rows = [t for t in inputs.registry.targets if t.method in (Method.MODEL, Method.TREND) and t.metric in SERIES]
        self.years = inputs.registry.target_year - inputs.registry.base_year

    def find(self, metric: str, kinds: tuple[Kind, ...] = (Kind.LEVEL,)) -> Target | None:
        for t in self.rows:
            if t.metric == metric and t.kind in kinds and (t.kind is not Kind.LEVEL or (t.year or self.inputs.registry.target_year)
                                                           == self.inputs.registry.target_year):
                if t.kind is Kind.EVERY_YEAR and t.transform is not Transform.GROWTH:
                    continue
                return t
        return None

    def growth(self, metric: str) -> Target | None:
        return self.find(metric, (Kind.AVERAGE_GROWTH, Kind.EVERY_YEAR))

    def bounds(self, t: Target) -> tuple[float, float]:
        """(floor, ceiling) in the engine's unit, -inf/inf where open."""
        factor = conversion_factor(value_unit(t, SERIES[t.metric].unit), t.unit)
        low, high = t.bounds
        if t.comparator in (">", ">="):
            return low / factor, np.inf
        if t.comparator in ("<", "<="):
            return -np.inf, high / factor
        return low / factor, high / factor

    def floor(self, t: Target) -> float:
        return self.bounds(t)[0]

    def tolerance(self, *targets: Target) -> float:
        return max([ROUNDING] + [self.inputs.target_options.tolerance(t.id) for t in targets if t.approx])


def _fmt(x: float, digits: int = 4) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.{digits}g}"


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _product(r: _Registry) -> Check:
    title, identity = ("product_name", {}), "GRDP (bn VND) = GRDP per capita (m VND) × population / 1,000"
    grdp, pc, pop = r.find("grdp_current_bn_vnd"), r.find("grdp_per_capita_mvnd"), r.find("population_persons")
    if not (grdp and pc and pop):
        return _check(title, identity, (), NOT_APPLICABLE, ("product_na", {}))
    implied = r.floor(pc) * r.floor(pop) / 1e3
    gap = implied / r.floor(grdp) - 1
    tol = r.tolerance(grdp, pc, pop)
    values = {"grdp": r.floor(grdp), "per_capita_times_population": implied, "gap": gap, "tolerance": tol}
    ids = (grdp.id, pc.id, pop.id)
    numbers = {"implied": _fmt(implied), "grdp": _fmt(r.floor(grdp)), "gap": f"{gap:+.2%}", "tol": f"{tol:.1%}"}
    if abs(gap) <= tol:
        return _check(title, identity, ids, CONSISTENT,
                      ("product_ok", {"pc": _fmt(r.floor(pc)), "pop": _fmt(r.floor(pop)), **numbers}), values=values)
    key = "product_bad_grdp" if gap < 0 else "product_bad_pair"
    return _check(title, identity, ids, INCONSISTENT,
                  (key, {"pc_id": pc.id, "pop_id": pop.id, "grdp_id": grdp.id, **numbers}), values=values)


def _investment(r: _Registry) -> Check:
    title, identity = ("investment_name", {}), "investment (bn VND) = investment share × GRDP (bn VND)"
    inv, share, grdp = r.find("investment_current_bn_vnd"), r.find("investment_share"), r.find("grdp_current_bn_vnd")
    if not (inv and share and grdp):
        return _check(title, identity, (), NOT_APPLICABLE, ("investment_na", {}))
    implied = r.floor(inv) / r.floor(grdp)
    floor = r.floor(share)
    tol = r.inputs.target_options.tolerance(share.id) if share.approx else 0.0
    values = {"implied_share": implied, "share_floor": floor, "tolerance": tol}
    ids = (inv.id, grdp.id, share.id)
    numbers = {"inv": _fmt(r.floor(inv)), "grdp": _fmt(r.floor(grdp)), "implied": _pct(implied), "share_id": share.id,
               "floor": _pct(floor)}
    if implied >= floor:
        return _check(title, identity, ids, CONSISTENT, ("investment_ok", numbers), values=values)
    if implied >= floor * (1 - tol):
        return _check(title, identity, ids, CONSISTENT,
                      ("investment_band", {**numbers, "band": _pct(floor * (1 - tol))}), values=values)
    return _check(title, identity, ids, INCONSISTENT,
                  ("investment_bad", {**numbers, "inv_id": inv.id, "grdp_id": grdp.id,
                                      "needed": _fmt(floor * r.floor(grdp))}), values=values)


def _productivity(r: _Registry) -> Check:
    title, identity = ("productivity_name", {}), "GRDP (bn VND) = productivity (m VND/worker) × employed / 1,000"
    grdp, prod, emp = r.find("grdp_current_bn_vnd"), r.find("labour_productivity_current_mvnd"), r.find("employed_persons")
    if not (grdp and prod and emp):
        return _check(title, identity, (), NOT_APPLICABLE, ("productivity_na", {}))
    most_workers = r.floor(grdp) * 1e3 / r.floor(prod)
    values = {"employment_floor": r.floor(emp), "employment_at_grdp_and_productivity_floors": most_workers,
              "productivity_at_grdp_and_employment_floors": r.floor(grdp) * 1e3 / r.floor(emp)}
    ids = (grdp.id, prod.id, emp.id)
    named = {"grdp_id": grdp.id, "prod_id": prod.id, "emp_id": emp.id}
    if r.floor(emp) <= most_workers:
        return _check(title, identity, ids, IMPLIES, ("productivity_floor", {
            **named, "workers": _fmt(most_workers), "emp": _fmt(r.floor(emp)),
            "prod_at": _fmt(values["productivity_at_grdp_and_employment_floors"]), "prod": _fmt(r.floor(prod))}),
            values=values)
    return _check(title, identity, ids, IMPLIES,
                  ("productivity_above", {**named, "product": _fmt(r.floor(prod) * r.floor(emp) / 1e3)}), values=values)


def _deflators(r: _Registry) -> Check:
    title = ("deflators_name", {})
    identity = "(1 + nominal growth) = (1 + real growth)(1 + deflator growth), GRDP and productivity"
    cal = r.inputs.calibration
    base = {k: v.value for k, v in cal.base.items()}
    pairs = [("grdp_current_bn_vnd", "grdp_real_bn_vnd", base["grdp_current_bn_vnd"]),
             ("labour_productivity_current_mvnd", "labour_productivity_real_mvnd",
              base["grdp_current_bn_vnd"] * 1e3 / base["employed_persons"])]
    implied, ids, values = [], [], {}
    for nominal_metric, real_metric, start in pairs:
        level, growth = r.find(nominal_metric), r.growth(real_metric)
        if level and growth:
            nominal = (r.floor(level) / start) ** (1 / r.years) - 1
            deflator = (1 + nominal) / (1 + r.floor(growth)) - 1
            implied.append((level.id, growth.id, nominal, deflator))
            ids += [level.id, growth.id]
            values[f"{level.id}_nominal_growth"], values[f"{level.id}_with_{growth.id}_deflator"] = nominal, deflator
    if not implied:
        return _check(title, identity, (), NOT_APPLICABLE, ("deflators_na", {}))
    trend = float(np.expm1(cal.value("prices.deflator_growth_mean")))
    values["calibrated_deflator_trend"] = trend
    phrases = [("deflators_next" if i else "deflators_part",
                {"level_id": a, "growth_id": b, "nominal": _pct(n), "deflator": _pct(d)})
               for i, (a, b, n, d) in enumerate(implied)]
    phrases.append(("deflators_trend", {"trend": _pct(trend)}))
    if len(implied) == 2 and abs(implied[0][3] - implied[1][3]) > 0.005:
        phrases.append(("deflators_apart", {"apart": _pct(abs(implied[0][3] - implied[1][3]))}))
    return _check(title, identity, tuple(ids), IMPLIES, *phrases, values=values)


def _growth_triangle(r: _Registry) -> Check:
    title, identity = ("triangle_name", {}), "(1 + g_Y) = (1 + g_Y/E)(1 + g_E)"
    g_y, g_p, emp = r.growth("grdp_real_bn_vnd"), r.growth("labour_productivity_real_mvnd"), r.find("employed_persons")
    if not (g_y and g_p and emp):
        return _check(title, identity, (), NOT_APPLICABLE, ("triangle_na", {}))
    e0 = r.inputs.calibration.base["employed_persons"].value
    g_e = (r.floor(emp) / e0) ** (1 / r.years) - 1
    needed = (1 + r.floor(g_p)) * (1 + g_e) - 1
    values = {"employment_growth_for_target": g_e, "real_growth_needed": needed, "real_growth_floor": r.floor(g_y)}
    ids = (g_y.id, g_p.id, emp.id)
    numbers = {"gp_id": g_p.id, "gp": _pct(r.floor(g_p)), "ge": _pct(g_e), "emp_id": emp.id, "needed": _pct(needed),
               "gy_id": g_y.id, "gy": _pct(r.floor(g_y))}
    if needed <= r.floor(g_y) + 1e-12:
        return _check(title, identity, ids, CONSISTENT, ("triangle_ok", numbers), values=values)
    return _check(title, identity, ids, IMPLIES, ("triangle_more", numbers), values=values)


def _level_and_growth(r: _Registry) -> list[Check]:
    checks = []
    base = r.inputs.calibration.base
    for level in [t for t in r.rows if t.kind is Kind.LEVEL]:
        growth = r.growth(level.metric)
        if growth is None or level.metric not in base or level.metric in ("grdp_real_bn_vnd",):
            continue
        start = base[level.metric].value
        from_growth = start * (1 + r.floor(growth)) ** r.years
        needed = (r.floor(level) / start) ** (1 / r.years) - 1
        gap = from_growth / r.floor(level) - 1
        # the "about" bands: the growth band implies a band of levels; do the two bands meet?
        tol_g = r.inputs.target_options.tolerance(growth.id) if growth.approx else 0.0
        tol_l = r.inputs.target_options.tolerance(level.id) if level.approx else 0.0
        implied = [start * (1 + r.floor(growth) * (1 + sign * tol_g)) ** r.years for sign in (-1, 1)]
        stated = [r.floor(level) * (1 - tol_l - ROUNDING), r.floor(level) * (1 + tol_l + ROUNDING)]
        title = ("level_growth_name", {"metric": level.metric})
        identity = f"level = base × (1 + growth)^{r.years}"
        values = {"base": start, "level_from_growth": from_growth, "growth_for_level": needed, "gap": gap,
                  "levels_from_growth_band_low": implied[0], "levels_from_growth_band_high": implied[1]}
        phrases = [("level_growth", {"start": _fmt(start), "growth_id": growth.id, "growth": _pct(r.floor(growth)),
                                     "from_growth": _fmt(from_growth), "level_id": level.id, "level": _fmt(r.floor(level)),
                                     "needed": _pct(needed)})]
        if abs(gap) <= ROUNDING:
            status = CONSISTENT
        elif implied[0] <= stated[1] and stated[0] <= implied[1]:
            status = CONSISTENT
            phrases.append(("level_growth_bands", {"gap": f"{gap:+.1%}", "low": _fmt(implied[0]), "high": _fmt(implied[1])}))
        else:
            status = INCONSISTENT
            phrases.append(("level_growth_bad", {"gap": f"{gap:+.1%}"}))
        checks.append(_check(title, identity, (level.id, growth.id), status, *phrases, values=values))
    return checks


def _composition(r: _Registry, group: str, members: tuple[str, ...]) -> Check:
    """Linear feasibility of the share targets of one composition (shares ≥ 0 summing to 1)."""
    title = ("composition_name", {"group": group})
    identity = " + ".join(members) + " = 1"
    index = {m: i for i, m in enumerate(members)}
    combos = {"share_industry_construction": ("share_industry", "share_construction")}
    rows = []
    for t in r.rows:
        if t.kind is not Kind.LEVEL:
            continue
        parts = combos.get(t.metric, (t.metric,))
        if not all(p in index for p in parts):
            continue
        low, high = r.bounds(t)
        rows.append((t, [index[p] for p in parts], low, high))
    if not rows:
        return _check(title, identity, (), NOT_APPLICABLE, ("composition_na", {"group": group}))
    a_ub, b_ub = [], []
    for _, cols, low, high in rows:
        coef = np.zeros(len(members))
        coef[cols] = 1.0
        if np.isfinite(high):
            a_ub.append(coef), b_ub.append(high)
        if np.isfinite(low):
            a_ub.append(-coef), b_ub.append(-low)
    res = linprog(np.zeros(len(members)), A_ub=np.array(a_ub), b_ub=np.array(b_ub), A_eq=np.ones((1, len(members))),
                  b_eq=[1.0], bounds=[(0, 1)] * len(members), method="highs")
    ids = tuple(t.id for t, *_ in rows)
    floors = sum(low for _, cols, low, _ in rows if np.isfinite(low) and len(cols) == 1)
    values = {"sum_of_single_floors": floors}
    if res.status == 0:
        example = tuple((m, _pct(x)) for m, x in zip(members, res.x))  # said with "; ": a comma is a decimal mark in vi
        return _check(title, identity, ids, CONSISTENT, ("composition_ok", {"example": example}), values=values)
    return _check(title, identity, ids, INCONSISTENT, ("composition_bad", {}), values=values)


def audit(inputs: Inputs) -> Audit:
    """Every check on the inputs' registry and base year."""
    r = _Registry(inputs)
    checks = [_product(r), _investment(r), _productivity(r), _deflators(r), _growth_triangle(r), *_level_and_growth(r)]
    checks += [_composition(r, group, members) for group, members in COMPOSITIONS.items()]
    return Audit(tuple(checks), inputs.registry.path)
