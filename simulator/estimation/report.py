"""The data report (Markdown): coverage, sources, disagreements and the choices made, what was
aggregated and how, and which parameters kept their prior and why."""

from __future__ import annotations

import pandas as pd

from .calibrate import CalibrationRun
from .data import Observations


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _coverage(data: pd.DataFrame, region: str) -> list[str]:
    rows = data[data.region == region]
    if rows.empty:
        return []
    years = list(range(int(rows.year.min()), int(rows.year.max()) + 1))
    present = set(zip(rows.indicator, rows.year))
    lines = [f"### {region}", "", "| indicator | " + " | ".join(str(y)[2:] for y in years) + " |",
             "|---|" + "---|" * len(years)]
    for indicator in sorted(rows.indicator.unique()):
        cells = ["x" if (indicator, y) in present else "" for y in years]
        lines.append(f"| `{indicator}` | " + " | ".join(cells) + " |")
    return lines + [""]


def _value(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def render_report(observations: Observations, run: CalibrationRun, priors: dict, *, regions, merged: str,
                  data_vintage: str, sources: dict | None = None) -> str:
    """The data report as Markdown text (deterministic for given inputs).

    ``priors`` is the priors file as read by :func:`simulator.estimation.writer.read_priors`;
    the report sets every estimate beside the prior it replaces.
    """
    rows, selected = observations.rows, observations.selected
    out = ["# Calibration data report", "",
           "Written by `simulate calibrate --report`. Data vintage (hash of the data files): "
           f"`{data_vintage}`. {len(rows)} rows, {len(selected)} (region, year, indicator) keys.", "",
           "## Coverage (indicator × year; x = at least one source, after aggregation for the merged unit)", "",
           "Two-digit years. The merged unit's rows include the aggregates of its former units (next section).", ""]
    data = pd.concat([selected, run.aggregated[~run.aggregated.set_index(["region", "year", "indicator"]).index.isin(
        selected.set_index(["region", "year", "indicator"]).index)]], ignore_index=True)
    for region in regions:
        out += _coverage(data, region)
    out += [f"## Aggregates of the merged unit ({merged})", "",
            "Formed only in years where every former unit has the inputs; rules in "
            "`simulator/estimation/aggregate.py`. A directly observed merged value wins over an aggregate.", "",
            "| indicator | year | value | unit | method |", "|---|---|---|---|---|"]
    for r in run.aggregated.itertuples():
        out.append(f"| `{r.indicator}` | {r.year} | {_value(r.value)} | {r.unit} | {_cell(r.method)} |")
    out += ["", "## Disagreements between sources and the choice made", "",
            "Rule (`simulator/estimation/data.py`): config override, then primary before aggregator/secondary, "
            "then latest vintage (page date), then best status (final > preliminary > estimate > unstated > "
            "forecast), then source address. Listed where values differ by more than the config's tolerance.", "",
            "| region | year | indicator | value | source | vintage | chosen | rule |", "|---|---|---|---|---|---|---|---|"]
    for r in observations.disagreements.itertuples():
        chosen = "**yes**" if (r.source == r.chosen_source) else ""
        out.append(f"| {r.region} | {r.year} | `{r.indicator}` | {r.value:,.6g} | {_cell(r.source)} | {r.vintage} | "
                   f"{chosen} | {_cell(r.chosen_rule) if chosen else ''} |")
    out += ["", "## Estimates beside the priors they replace", "",
            "Engine units (fractions, log points a year). The calibration file holds each estimate's source, "
            "sample and method in full.", "",
            "| parameter | prior | estimate | se | sample |", "|---|---|---|---|---|"]
    for name, entry in sorted(run.entries.items()):
        se = "—" if entry.se is None else f"{entry.se:.3g}"
        out.append(f"| `{name}` | {_value(float(priors['parameters'][name]['value']))} | {_value(entry.value)} | {se} | "
                   f"{_cell(entry.sample)} |")
    out += ["", "## Samples: what each estimate uses and leaves out", "",
            "From `calibration/calibrate.toml` ([sources.*]): regions, series, years kept, and why.", "",
            "| source | regions | series | years | model | why |", "|---|---|---|---|---|---|"]
    for name, spec in sorted((sources or {}).items()):
        series_name = spec.indicator + (f" / {spec.denominator}" if spec.denominator else "")
        years = f"{spec.first_year or '…'}–{spec.last_year or '…'}"
        out.append(f"| `{name}` | {', '.join(spec.regions)} | `{series_name or '(shares)'}` | {years} | "
                   f"{spec.model if spec.model != 'random_walk' else '—'} | "
                   f"{_cell(spec.why or '—')} |")
    out += ["", "## Parameters that kept their prior", "", "| parameter | reason |", "|---|---|"]
    for name, reason in sorted(run.fallbacks.items()):
        out.append(f"| `{name}` | {_cell(reason)} |")
    out += ["", "## Every source", "", "| source | rows | regions | indicators |", "|---|---|---|---|"]
    grouped = rows.groupby("source").agg(n=("value", "size"), regions=("region", lambda s: ", ".join(sorted(set(s)))),
                                         indicators=("indicator", lambda s: ", ".join(sorted(set(s)))))
    for source, r in grouped.sort_index().iterrows():
        out.append(f"| {_cell(source)} | {r.n} | {r.regions} | {_cell(r.indicators)} |")
    return "\n".join(out) + "\n"
