"""A fan chart of one simulated series from the Python API, in a few lines.

    .venv/bin/pip install -e '.[plots]'
    .venv/bin/python examples/fan_chart.py [METRIC] [--paths N] [--out FILE]

METRIC defaults to grdp_current_bn_vnd (any name in simulator/metrics.py); the chart is saved
to out/fan_<metric>.png. matplotlib is an optional extra (``plots``): without it the script
says so and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import simulator

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Fan chart of one series of the base scenario")
    parser.add_argument("metric", nargs="?", default="grdp_current_bn_vnd")
    parser.add_argument("--paths", type=int, default=20_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        print("fan_chart: matplotlib is not installed; install the optional extra: pip install -e '.[plots]'",
              file=sys.stderr)
        return 2

    result = simulator.run(ROOT / "scenarios" / "base.toml", paths=args.paths)
    frame = result.series_frame()
    series = frame[frame.metric == args.metric]
    if series.empty:
        print(f"fan_chart: unknown metric {args.metric!r}; one of: {', '.join(sorted(set(frame.metric)))}",
              file=sys.stderr)
        return 2

    fig, ax = plt.subplots(figsize=(7, 4))
    for low, high, alpha in (("p05", "p95", 0.2), ("p10", "p90", 0.3), ("p25", "p75", 0.45)):
        ax.fill_between(series.year, series[low], series[high], alpha=alpha, color="tab:blue", linewidth=0,
                        label=f"{low[1:]}–{high[1:]} %")
    ax.plot(series.year, series.p50, color="tab:blue", label="median")
    ax.set(title=f"{result.region}: {args.metric}", xlabel="year", ylabel=series.unit.iloc[0])
    ax.legend(loc="upper left")
    out = args.out or ROOT / "out" / f"fan_{args.metric}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120, bbox_inches="tight")
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
