"""The report's charts as PNG bytes: matplotlib's Agg canvas on a bare ``Figure`` (no pyplot, no
global backend), DejaVu Sans (shipped with matplotlib; it covers Vietnamese diacritics), and no
metadata in the file, so the same data give the same bytes."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Callable

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

#: The font of every chart; tests check that it has a glyph for every character of the labels.
FONT = "DejaVu Sans"

_RC = {"font.family": FONT, "font.size": 9, "axes.titlesize": 10, "axes.spines.top": False,
       "axes.spines.right": False, "svg.hashsalt": "report", "path.simplify": True}

BAND_OUTER, BAND_INNER, MEDIAN, HISTORY = "#c6dbef", "#6baed6", "#08519c", "#252525"
METHOD_COLOURS = {"model": "#2b5d8a", "trend": "#6a9f3a", "prior": "#b07aa1"}



@dataclass(frozen=True)
class Chart:
    """A chart to draw: one of this module's functions and its keyword arguments. The sections
    describe their charts; :func:`draw_all` draws them, here or on worker processes (a chart is
    a pure function of its arguments, so its bytes are the same wherever it is drawn)."""

    function: Callable[..., bytes]
    arguments: dict


def chart(function: Callable[..., bytes], **arguments) -> Chart:
    return Chart(function, arguments)


def _draw(_state, item: Chart) -> bytes:
    return item.function(**item.arguments)


def draw_all(charts: dict[str, Chart], *, workers: int = 1) -> dict[str, bytes]:
    """The PNG bytes of every chart ({file name: bytes}, in the same order), on ``workers`` local
    processes (:func:`simulator.runner.map_tasks`)."""
    from ..runner import map_tasks

    names = list(charts)
    return dict(zip(names, map_tasks(_draw, None, [charts[name] for name in names], workers=workers)))

def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def number_formatter(marks: dict):
    """Tick labels with the language's thousands separator and decimal mark."""

    def fmt(value, _position=None):
        if abs(value) >= 1000:
            text = f"{value:,.0f}"
        elif abs(value) >= 10 or value == 0:
            text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
        else:
            text = f"{value:.3g}"
        return text.translate(marks)

    return FuncFormatter(fmt)


def fan_chart(*, years: np.ndarray, bands: dict[str, np.ndarray], history: tuple | None, title: str, unit: str,
              words: dict, marks: dict, threshold: tuple[int, float, str] | None = None) -> bytes:
    """One series: 10–90 % and 25–75 % bands and the median over the simulated years, the sourced
    history before the base year as points, and the target's threshold in its year.

    ``bands`` maps a label to quantiles (years, 7) at 5, 10, 25, 50, 75, 90, 95 % in display units
    (several labels: one fan each, e.g. sector shares); ``history`` is (years, values) or
    {label: (years, values)}.
    """
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(6.2, 3.3))
        ax = fig.add_subplot()
        colours = ["#08519c", "#a63603", "#006d2c", "#54278f", "#7f2704"]
        many = len(bands) > 1
        history_labelled = False
        for k, (label, q) in enumerate(bands.items()):
            colour = colours[k % len(colours)] if many else MEDIAN
            ax.fill_between(years, q[:, 1], q[:, 5], color=colour if many else BAND_OUTER, alpha=0.18 if many else 1.0,
                            linewidth=0, label=None if many else words["band_10_90"])
            ax.fill_between(years, q[:, 2], q[:, 4], color=colour if many else BAND_INNER, alpha=0.35 if many else 0.8,
                            linewidth=0, label=None if many else words["band_25_75"])
            ax.plot(years, q[:, 3], color=colour, linewidth=1.8, label=label if many else words["median"])
            hist = history.get(label) if isinstance(history, dict) else (history if not many else None)
            if hist is not None and len(hist[0]):
                ax.plot(hist[0], hist[1], "o-", color=colour if many else HISTORY, markersize=3.5, linewidth=0.9,
                        label="_nolegend_" if history_labelled else words["history"])
                history_labelled = True
        if threshold is not None:
            year, value, text = threshold
            ax.plot([year], [value], marker="D", color="#d62728", markersize=6, linestyle="none", label=text)
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.yaxis.set_major_formatter(number_formatter(marks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f}"))
        ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
        ax.legend(loc="upper left", fontsize=7.5, frameon=False)
        fig.subplots_adjust(left=0.14, right=0.98, top=0.91, bottom=0.1)
        return _png(fig)


def probability_bars(*, labels: list[str], p: np.ndarray, low: np.ndarray, high: np.ndarray, methods: list[str],
                     words: dict, marks: dict) -> bytes:
    """P(hit) of every evaluated target as a horizontal bar with its 95 % interval, coloured by method."""
    n = len(labels)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.6, 0.6 + 0.19 * n))
        ax = fig.add_subplot()
        y = np.arange(n)[::-1]
        colours = [METHOD_COLOURS.get(m, "#888888") for m in methods]
        ax.barh(y, p, color=colours, height=0.7)
        ax.errorbar(p, y, xerr=[np.clip(p - low, 0, None), np.clip(high - p, 0, None)], fmt="none", ecolor="#222222",
                    elinewidth=0.8, capsize=1.5)
        ax.set_yticks(y, labels, fontsize=6.5)
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.8, n - 0.2)
        ax.set_xlabel(words["p_hit_axis"])
        ax.xaxis.set_major_formatter(number_formatter(marks))
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
        for method, colour in METHOD_COLOURS.items():
            if method in methods:
                ax.barh([np.nan], [np.nan], color=colour, label=words["methods"].get(method, method))
        ax.legend(loc="lower right", fontsize=7, frameon=True)
        fig.tight_layout()
        return _png(fig)


def heat_map(*, ids: list[str], matrix: np.ndarray, title: str, words: dict, marks: dict) -> bytes:
    """The correlation of the hit indicators (−1 to 1)."""
    n = len(ids)
    size = min(4.0 + 0.16 * n, 13.0)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(size + 1.2, size))
        ax = fig.add_subplot()
        image = ax.imshow(np.ma.masked_invalid(matrix), cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
        ax.set_xticks(range(n), ids, rotation=90, fontsize=6)
        ax.set_yticks(range(n), ids, fontsize=6)
        ax.set_title(title)
        bar = fig.colorbar(image, ax=ax, shrink=0.7)
        bar.ax.yaxis.set_major_formatter(number_formatter(marks))
        bar.set_label(words["correlation"])
        fig.tight_layout()
        return _png(fig)


def difference_chart(*, labels: list[str], deltas: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], words: dict,
                     marks: dict) -> bytes:
    """ΔP(hit) of each variant against the baseline with its paired 95 % interval, one row per target."""
    n = len(labels)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.2, 0.8 + 0.2 * n))
        ax = fig.add_subplot()
        y = np.arange(n)[::-1].astype(float)
        step = 0.6 / max(len(deltas), 1)
        for k, (name, (d, lo, hi)) in enumerate(deltas.items()):
            offset = (k - (len(deltas) - 1) / 2) * step
            ax.errorbar(d, y + offset, xerr=[d - lo, hi - d], fmt="o", markersize=3, elinewidth=0.9, label=name)
        ax.axvline(0, color="#555555", linewidth=0.8)
        ax.set_yticks(y, labels, fontsize=6.5)
        ax.set_xlabel(words["delta_axis"])
        ax.xaxis.set_major_formatter(number_formatter(marks))
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
        ax.legend(loc="lower right", fontsize=7)
        fig.tight_layout()
        return _png(fig)


def sensitivity_chart(*, title: str, sobol: list[tuple[str, float, float, float, float, float, float]],
                      tornado: list[tuple[str, float, float]], baseline: float, words: dict, marks: dict) -> bytes:
    """Left: total and first-order Sobol indices of P(hit | inputs) with their intervals; right: the
    tornado, P(hit) with each input at its 10th and 90th percentile around the baseline P(hit).

    ``sobol`` rows: (name, S1, S1 low, S1 high, ST, ST low, ST high); ``tornado`` rows:
    (name, P at p10, P at p90).
    """
    rows = max(len(sobol), len(tornado), 1)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(10.5, 1.2 + 0.3 * rows))
        left, right = fig.subplots(1, 2)
        if sobol:
            y = np.arange(len(sobol))[::-1]
            names = [r[0] for r in sobol]
            st, st_lo, st_hi = (np.array([r[k] for r in sobol]) for k in (4, 5, 6))
            s1, s1_lo, s1_hi = (np.array([r[k] for r in sobol]) for k in (1, 2, 3))
            left.barh(y + 0.18, st, height=0.36, color="#2b5d8a", label=words["total_index"])
            left.errorbar(st, y + 0.18, xerr=[np.clip(st - st_lo, 0, None), np.clip(st_hi - st, 0, None)], fmt="none",
                          ecolor="#222222", elinewidth=0.7, capsize=1.5)
            left.barh(y - 0.18, s1, height=0.36, color="#9ecae1", label=words["first_index"])
            left.errorbar(s1, y - 0.18, xerr=[np.clip(s1 - s1_lo, 0, None), np.clip(s1_hi - s1, 0, None)], fmt="none",
                          ecolor="#222222", elinewidth=0.7, capsize=1.5)
            left.set_yticks(y, names, fontsize=7)
            left.legend(loc="lower right", fontsize=7)
        left.set_xlim(-0.05, 1.05)
        left.set_xlabel(words["sobol_axis"])
        left.xaxis.set_major_formatter(number_formatter(marks))
        if tornado:
            y = np.arange(len(tornado))[::-1]
            names = [r[0] for r in tornado]
            lo, hi = np.array([r[1] for r in tornado]), np.array([r[2] for r in tornado])
            right.barh(y, hi - baseline, left=baseline, color="#e6550d", height=0.6, label=words["at_p90"])
            right.barh(y, lo - baseline, left=baseline, color="#3182bd", height=0.6, label=words["at_p10"])
            right.axvline(baseline, color="#222222", linewidth=0.8)
            right.set_yticks(y, names, fontsize=7)
            right.legend(loc="lower right", fontsize=7)
        right.set_xlabel(words["tornado_axis"])
        right.xaxis.set_major_formatter(number_formatter(marks))
        fig.suptitle(title, fontsize=10)
        fig.tight_layout()
        return _png(fig)
