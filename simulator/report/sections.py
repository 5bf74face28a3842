"""The sections of the report, built from results (no computation of model numbers here): each
function returns a :class:`~simulator.report.document.Section` and adds its charts to ``images``
(as :class:`~simulator.report.charts.Chart` descriptions, drawn afterwards by the report).

Every visible word comes from ``simulator/labels.toml`` (``[en.report]``, ``[vi.report]``);
target names and units from the registry; numbers carry the language's marks.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..compare import Comparison
from ..metrics import SERIES
from ..output import number_marks
from ..provenance import entry_of
from ..sensitivity import SensitivityResult
from ..targets import Kind
from ..units import UNITS_VI, conversion_factor
from . import charts
from .document import Bullets, Figure, Paragraph, Section, Subheading, Table

#: Series drawn as fan charts, in order; sector shares share one chart.
FAN_SERIES = ("grdp_current_bn_vnd", "grdp_per_capita_mvnd", "investment_current_bn_vnd",
              "labour_productivity_current_mvnd", "population_persons", "employed_persons", "SHARES",
              "budget_revenue_bn_vnd", "exports_musd", "income_per_capita_month_mvnd", "urbanisation_rate",
              "trained_labour_share", "private_economy_grdp_real_bn_vnd", "poverty_rate", "hdi_index",
              "life_expectancy_years", "digital_economy_share", "doctors_per_10k")
SHARES = ("share_agri", "share_industry_construction", "share_services")

#: Inputs shown per target in the Sobol and tornado charts.
TOP = 8


class Words:
    """The labels of one language, with number formatting in its marks."""

    def __init__(self, table: dict, lang: str):
        self.lang = lang
        self.all = table
        self.r = table["report"]
        self.marks = number_marks(table)

    def __getitem__(self, key: str) -> str:
        return self.r[key]

    def num(self, x, digits: int = 3) -> str:
        """A probability or index: fixed decimals; '—' for None or NaN."""
        if x is None or not np.isfinite(x):
            return "—"
        return f"{x:.{digits}f}".translate(self.marks)

    def value(self, x, unit: str | None = None) -> str:
        """A value in a target's unit: thousands separated, decimals by size."""
        if x is None or not np.isfinite(x):
            return "—"
        if unit in ("%", "%/yr", "index") or abs(x) < 100:
            text = f"{x:,.2f}" if abs(x) < 100 else f"{x:,.1f}"
        else:
            text = f"{x:,.0f}"
        return text.translate(self.marks)

    def interval(self, low, high, digits: int = 3) -> str:
        return f"{self.num(low, digits)}–{self.num(high, digits)}"

    def unit(self, unit: str | None) -> str:
        if not unit:
            return ""
        return UNITS_VI.get(unit, unit) if self.lang == "vi" else unit

    def name(self, row) -> str:
        return row.name_vi if self.lang == "vi" else row.name_en

    def target_unit(self, row) -> str:
        """A registry row's unit in the language (the registry's ``unit_vi`` in Vietnamese)."""
        return (row.unit_vi or row.unit or "") if self.lang == "vi" else (row.unit or "")


def _threshold(t, w: Words) -> str:
    if t.comparator is None:
        return "—"
    if t.comparator == "between":
        return f"{w.value(t.threshold[0], t.unit)}–{w.value(t.threshold[1], t.unit)}"
    period = f" ({t.period[0]}–{t.period[1]})" if t.kind != "level" and t.period and len(t.period) == 2 else ""
    return f"{t.comparator} {w.value(t.threshold, t.unit)}{period}"


def _file_hash(path: str | None) -> str:
    if not path or not Path(path).is_file():
        return "—"
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


# ---------------------------------------------------------------- 1. headline


def headline(result, w: Words) -> Section:
    methods = w.all["methods"]
    head = tuple(w.r[k] for k in ("id", "target", "threshold", "unit", "median", "band", "p_hit", "ci", "method"))
    rows = []
    for t in result.targets:
        unit = w.target_unit(t)
        method = methods.get(t.method, t.method) + ("*" if t.assumptions else "")
        if t.p_hit is None:
            rows.append((t.id, w.name(t), _threshold(t, w), unit, "", "", "", "", method))
            continue
        band = f"{w.value(t.p10, t.unit)} – {w.value(t.p90, t.unit)}" if t.median is not None else ""
        rows.append((t.id, w.name(t), _threshold(t, w), unit, w.value(t.median, t.unit) if t.median is not None else "",
                     band, w.num(t.p_hit), w.interval(*t.p_hit_ci95), method))
    region = result.region_vi if w.lang == "vi" else result.region
    lead = w["summary_lead"].format(region=region, scenario=result.name, title=result.title,
                                    paths=f"{result.paths:,}".translate(w.marks), seed=result.seed,
                                    first=int(result.years[0]), last=int(result.years[-1]))
    evaluated = sum(t.p_hit is not None for t in result.targets)
    qualitative = sum(t.method == "qualitative" for t in result.targets)
    notes = [w["summary_counts"].format(evaluated=evaluated, qualitative=qualitative), w["summary_flag"],
             w["summary_ci"], w["summary_methods"]]
    return Section("summary", w["summary_title"], (Paragraph(lead), Table(head, tuple(rows), "llllrrrrl"),
                                                   Bullets(tuple(notes))))


# ---------------------------------------------------------------- 2. fan charts


def _display(unit: str) -> tuple[float, str]:
    """Scale and unit of a series on a chart (shares in percent)."""
    if unit == "share":
        return 100.0, "%"
    if unit == "share/yr":
        return 100.0, "%/yr"
    return 1.0, unit


def _threshold_point(result, inputs, metric: str, scale: float):
    """(year, value in display units, label) of the registry's level target on the metric, if any."""
    for t in inputs.registry.targets:
        if t.metric != metric or t.kind is not Kind.LEVEL or t.comparator in (None, "between"):
            continue
        factor = conversion_factor(SERIES[metric].unit, t.unit)
        return int(t.year or inputs.registry.target_year), t.threshold / factor * scale, f"{t.id} {t.comparator} " \
            f"{t.threshold:,g} {t.unit}"
    return None


def fans(result, inputs, history, w: Words, images: dict) -> Section:
    blocks = [Paragraph(w["fans_lead"].format(first=int(result.years[0]), region=history.region or "—"))]
    years = result.years.astype(float)
    for metric in FAN_SERIES:
        if metric == "SHARES":
            if not all(m in result.series_quantiles for m in SHARES):
                continue
            bands = {(SERIES[m].vi if w.lang == "vi" else SERIES[m].en).split(": ")[-1]: result.series_quantiles[m] * 100
                     for m in SHARES}
            hist = {label: (history.series[m][0], history.series[m][1] * 100)
                    for label, m in zip(bands, SHARES) if m in history.series}
            title = w["shares_title"]
            png = charts.chart(charts.fan_chart, years=years, bands=bands, history=hist, title=title, unit="%", words=w.r,
                                   marks=w.marks)
            file = "fan_sector_shares.png"
        else:
            if metric not in result.series_quantiles:
                continue
            scale, unit = _display(SERIES[metric].unit)
            title = SERIES[metric].vi if w.lang == "vi" else SERIES[metric].en
            hist = history.series.get(metric)
            if hist is not None:
                hist = (hist[0], hist[1] * scale)
            point = _threshold_point(result, inputs, metric, scale)
            if point is not None:
                point = (point[0], point[1], w["threshold_marker"].format(target=point[2]))
            png = charts.chart(charts.fan_chart, years=years, bands={title: result.series_quantiles[metric] * scale}, history=hist,
                                   title=title, unit=w.unit(unit), words=w.r, marks=w.marks, threshold=point)
            file = f"fan_{metric}.png"
        images[file] = png
        blocks.append(Figure(file, w["fan_caption"].format(series=title), title))
    return Section("fan-charts", w["fans_title"], tuple(blocks))


# ---------------------------------------------------------------- 3. probabilities


def probabilities(result, w: Words, images: dict) -> Section:
    rows = [t for t in result.targets if t.p_hit is not None]
    labels = [f"{t.id}  {_threshold(t, w)} {w.target_unit(t)}" for t in rows]
    p = np.array([t.p_hit for t in rows])
    ci = np.array([t.p_hit_ci95 for t in rows])
    images["p_hit_bars.png"] = charts.chart(charts.probability_bars, labels=labels, p=p, low=ci[:, 0], high=ci[:, 1],
                                                       methods=[t.method for t in rows],
                                                       words={**w.r, "methods": w.all["methods"]}, marks=w.marks)
    return Section("probabilities", w["bars_title"], (Paragraph(w["bars_lead"]),
                                                      Figure("p_hit_bars.png", w["bars_caption"], w["bars_title"])))


# ---------------------------------------------------------------- 4. joint probabilities


def joint(result, w: Words, images: dict) -> Section:
    from ..output import group_name  # the registry's group names, or the labels' run-wide ones

    head = (w["group"], w["n_targets"], w["p_all"], w["ci"], w["p_half"], w["expected_hits"])
    rows = []
    for g in result.joint.group_table():
        n, curve = g["n"], g["p_at_least"]
        rows.append((group_name(result, g["group"], w.lang), str(n), w.num(g["p_all"], 4),
                     w.interval(*g["p_all_ci95"], digits=4), w.num(curve[int(np.ceil(0.5 * n))]),
                     w.value(g["expected_hits"])))
    corr = result.joint.correlation()
    ids = list(result.joint.ids)
    off = corr.copy()
    np.fill_diagonal(off, np.nan)
    prior = {t.id for t in result.targets if t.method == "prior"}
    keep = [i for i in range(len(ids)) if np.isfinite(off[i]).any() and ids[i] not in prior]
    blocks = [Paragraph(w["joint_lead"]), Table(head, tuple(rows), "lrrrrr")]
    if keep:
        images["hit_correlation.png"] = charts.chart(charts.heat_map, ids=[ids[i] for i in keep], matrix=corr[np.ix_(keep, keep)],
                                                        title=w["heat_title"], words=w.r, marks=w.marks)
        blocks.append(Figure("hit_correlation.png", w["heat_caption"], w["heat_title"]))
    return Section("joint", w["joint_title"], tuple(blocks))


# ---------------------------------------------------------------- 5. variant comparison


def comparison(comp: Comparison | None, names: dict, w: Words, images: dict) -> Section:
    if comp is None:
        return Section("comparison", w["compare_title"], (Paragraph(w["compare_none"]),))
    diffs = comp.differences()
    variants = comp.names
    head = (w["id"], w["target"]) + tuple(f"P {v}" for v in variants) + tuple(f"Δ {v} [95 %]" for v in variants[1:])
    rows, moved = [], []
    for j, target_id in enumerate(comp.ids):
        cells = [target_id, names.get(target_id, target_id)]
        cells += [w.num(comp.hits[v, j] / comp.results[v].paths) for v in range(len(variants))]
        significant = False
        for name in variants[1:]:
            d = diffs[name]
            mark = "" if d["significant"][j] else " ~"
            significant |= bool(d["significant"][j])
            cells.append(f"{w.num(d['delta'][j])} [{w.num(d['ci'][j, 0])}, {w.num(d['ci'][j, 1])}]{mark}")
        rows.append(tuple(cells))
        if significant:
            moved.append(j)
    lead = w["compare_lead"].format(baseline=variants[0], n=len(variants), paths=f"{comp.paths:,}".translate(w.marks),
                                    seed=comp.results[0].seed)
    blocks = [Paragraph(lead), Table(head, tuple(rows), "ll" + "r" * (len(head) - 2)), Paragraph(w["compare_noise"])]
    if moved:
        deltas = {name: (diffs[name]["delta"][moved], diffs[name]["ci"][moved, 0], diffs[name]["ci"][moved, 1])
                  for name in variants[1:]}
        images["comparison.png"] = charts.chart(charts.difference_chart, labels=[comp.ids[j] for j in moved], deltas=deltas,
                                                           words=w.r, marks=w.marks)
        blocks.append(Figure("comparison.png", w["compare_caption"].format(baseline=variants[0]), w["compare_title"]))
    return Section("comparison", w["compare_title"], tuple(blocks))


# ---------------------------------------------------------------- 6. sensitivity


def _factor_label(name: str, assumption: bool) -> str:
    return name + (" *" if assumption else "")


def _factor_value(x: float, unit: str, w: Words) -> str:
    from ..discovery import format_value

    return format_value(x, unit, {"decimal_mark": w.all["decimal_mark"]})


def sensitivity(s: SensitivityResult | None, w: Words, images: dict) -> Section:
    if s is None:
        return Section("sensitivity", w["sensitivity_title"], (Paragraph(w["sensitivity_none"]),))
    c = s.config
    d = len(s.factors)
    counts = {kind: sum(f.kind.value == kind for f in s.factors) for kind in ("parameter", "satellite parameter", "lever")}
    rows_text = f"{c.samples * (d + 2):,}".translate(w.marks)
    lead = w["sensitivity_lead"].format(d=d, core=counts["parameter"], satellite=counts["satellite parameter"],
                                        levers=counts["lever"], samples=c.samples, rows=rows_text,
                                        inner=c.inner, evaluations=f"{s.sobol.evaluations:,}".translate(w.marks),
                                        paths=f"{c.paths:,}".translate(w.marks), resamples=c.resamples)
    blocks = [Paragraph(lead), Paragraph(w["sensitivity_split"]), Paragraph(w["sensitivity_tornado"])]
    head = (w["id"], w["target"], w["p_hit"], w["share_hit"], w["share_value"], w["top_sobol"], w["top_tornado"])
    rows = []
    units = {f.name: f.unit for f in s.factors}
    for k, t in enumerate(s.targets):
        value, hit = s.sobol.splits[k]
        top = s.sobol.top(t.id, "hit", 1)
        j = 2 * k + 1
        top_text = "—"
        if top:
            f, i = top[0]
            top_text = f"{_factor_label(f.name, f.assumption)} {w.num(s.sobol.estimate.total[j, i], 2)}"
        bar = s.tornado.bars[k][0] if s.tornado.bars[k] else None
        tornado_text = (f"{_factor_label(bar.factor, bar.assumption)} {w.num(bar.p_low)} → {w.num(bar.p_high)}"
                        if bar else "—")
        rows.append((t.id, w.name(t), w.num(t.p_hit), f"{w.num(hit.share, 2)} [{w.interval(hit.low, hit.high, 2)}]",
                     f"{w.num(value.share, 2)} [{w.interval(value.low, value.high, 2)}]", top_text, tornado_text))
    blocks.append(Table(head, tuple(rows), "llrrrll"))
    blocks.append(Paragraph(w["assumption_mark"]))
    for k, t in enumerate(s.targets):
        j = 2 * k + 1
        est = s.sobol.estimate
        sobol_rows = [(_factor_label(f.name, f.assumption), est.first[j, i], est.first_low[j, i], est.first_high[j, i],
                       est.total[j, i], est.total_low[j, i], est.total_high[j, i]) for f, i in s.sobol.top(t.id, "hit", TOP)]
        bars = s.tornado.bars[k][:TOP]
        tornado_rows = [(_factor_label(b.factor, b.assumption), b.p_low, b.p_high) for b in bars]
        title = f"{t.id} — {w.name(t)}"
        file = f"sensitivity_{t.id}.png"
        images[file] = charts.chart(charts.sensitivity_chart, title=title, sobol=sobol_rows, tornado=tornado_rows,
                                                baseline=s.tornado.baseline_p[k], words=w.r, marks=w.marks)
        blocks.append(Subheading(title))
        blocks.append(Figure(file, w["sensitivity_caption"].format(target=t.id), title))
        items = []
        for b in bars[:3]:
            unit = units.get(b.factor, "")
            items.append(w["tornado_item"].format(
                factor=_factor_label(b.factor, b.assumption), low=_factor_value(b.value_low, unit, w),
                high=_factor_value(b.value_high, unit, w), p_low=w.num(b.p_low), p_high=w.num(b.p_high),
                swing=w.num(b.swing), se=w.num(b.swing_se), m_low=w.value(b.median_low, t.unit),
                m_high=w.value(b.median_high, t.unit), unit=w.target_unit(t)))
        if items:
            blocks.append(Bullets(tuple(items)))
    return Section("sensitivity", w["sensitivity_title"], tuple(blocks))


def discovery(s: SensitivityResult | None, w: Words) -> Section:
    if s is None:
        return Section("discovery", w["discovery_title"], (Paragraph(w["sensitivity_none"]),))
    words = {"box": w["box"], "and": w["and"], "anywhere": w["anywhere"], "disaster": w["disaster"],
             "no_disaster": w["no_disaster"], "decimal_mark": w.all["decimal_mark"], "drivers": w.r["drivers"]}
    names = {t.id: w.name(t) for t in s.targets}
    items = tuple(b.text(words=words, name=f"{b.target} ({names.get(b.target, b.target)})") for b in s.boxes)
    low, high = s.config.band
    blocks = [Paragraph(w["discovery_lead"].format(low=w.num(low, 2), high=w.num(high, 2),
                                                   paths=f"{s.config.paths:,}".translate(w.marks)))]
    blocks.append(Bullets(items) if items else Paragraph(w["discovery_empty"]))
    if s.not_discovered:
        blocks.append(Paragraph(w["discovery_skipped"].format(ids=", ".join(i for i, _ in s.not_discovered))))
    return Section("discovery", w["discovery_title"], tuple(blocks))


# ---------------------------------------------------------------- 7. audit


def audit(result_audit, w: Words) -> Section:
    statuses = w.r["statuses"]
    head = (w["status"], w["check"], w["targets_col"], w["message"])
    rows = tuple((statuses.get(c.status, c.status), *c.said(w.lang)[:1], ", ".join(c.targets), c.said(w.lang)[1])
                 for c in result_audit.checks)
    inconsistent = sum(c.status == "inconsistent" for c in result_audit.checks)
    return Section("audit", w["audit_title"], (Paragraph(w["audit_lead"].format(n=len(result_audit.checks),
                                                                                 inconsistent=inconsistent)),
                                               Table(head, rows, "llll")))


# ---------------------------------------------------------------- 8. assumptions and sources


def assumptions(result, inputs, w: Words) -> Section:
    methods = w.all["methods"]
    rows, used = [], []
    for t in result.targets:
        if t.p_hit is None:
            continue
        rows.append((t.id, w.name(t), methods.get(t.method, t.method), ", ".join(t.assumptions) or "—"))
        used += [a for a in t.assumptions if a not in used]
    entries = []
    for name in sorted(used):
        if name.startswith("priors."):
            continue
        e = entry_of(inputs, name)
        if e is not None:
            entries.append((name, w.value(e.value), e.unit, e.source + (f" — {e.note}" if e.note else "")))
    priors = []
    p = inputs.priors
    for j, target_id in enumerate(p.ids):
        mean = p.probability[j] if np.isfinite(p.probability[j]) else p.alpha[j] / (p.alpha[j] + p.beta[j])
        priors.append((target_id, w.num(float(mean)), w["yes"] if p.assumed[j] else w["no"], p.reasons[j]))
    blocks = [Paragraph(w["assumptions_lead"]),
              Table((w["id"], w["target"], w["method"], w["assumptions_col"]), tuple(rows), "llll"),
              Subheading(w["entries_title"]), Paragraph(w["entries_lead"]),
              Table((w["entry"], w["value"], w["unit"], w["source"]), tuple(entries), "lrll")]
    if priors:
        blocks += [Subheading(w["priors_title"]),
                   Table((w["id"], w["prior_mean"], w["assumption_col"], w["reason"]), tuple(priors), "lrll")]
    return Section("assumptions", w["assumptions_title"], tuple(blocks))


# ---------------------------------------------------------------- 9. provenance


def provenance(result, inputs, history, s: SensitivityResult | None, comp: Comparison | None, w: Words) -> Section:
    pv = result.provenance
    files = [("scenario", pv["scenario_file"]), ("calibration", pv["calibration_file"]),
             ("satellites", pv.get("satellite_calibration_file")), ("registry", inputs.registry.path)]
    items = [w["prov_version"].format(version=pv["version"]),
             w["prov_run"].format(seed=result.seed, paths=f"{result.paths:,}".translate(w.marks),
                                  block=pv["block_size"], scenario_hash=pv["scenario_hash"], data_hash=pv["data_hash"])]
    items += [w["prov_file"].format(role=w.r["roles"][role], name=Path(path).name, hash=_file_hash(path))
              for role, path in files if path]
    if history.config:
        items.append(w["prov_history"].format(name=Path(history.config).name, vintage=history.vintage))
    if comp is not None:
        items.append(w["prov_compare"].format(files=", ".join(Path(f).name for f in comp.files),
                                              paired=w["yes"] if comp.paired else w["no"]))
    if s is not None:
        c = s.config
        items.append(w["prov_sensitivity"].format(samples=c.samples, inner=c.inner, paths=f"{c.paths:,}".translate(w.marks),
                                                  resamples=c.resamples, seed=s.seed))
    items.append(w["prov_deterministic"])
    return Section("provenance", w["provenance_title"], (Bullets(tuple(items)),))
