"""Streaming summaries with memory bounded by the histogram size, not by the path count.

Quantiles come from fixed-bin histograms with integer counts: merging two summaries adds counts,
so the result is exactly the same whatever order or chunking the paths arrive in. Each scale has a
fixed range and resolution; values outside fall in an under- or overflow bin and a quantile that
lands there is reported at the range's edge.

=========  =======================  ========  ==========================================
scale      transform x              range     resolution
=========  =======================  ========  ==========================================
``log``    ln(v / ref)              ±4        0.1 % of the value (8,000 bins)
``unit``   v                        [0, 1]    0.01 percentage point (10,000 bins)
``rate``   v                        [−1, 1]   0.01 percentage point (20,000 bins)
``ratio``  v                        [−5, 5]   0.05 percentage point (20,000 bins)
=========  =======================  ========  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SCALES: dict[str, tuple[float, float, int]] = {
    "log": (-4.0, 4.0, 8000),
    "unit": (0.0, 1.0, 10000),
    "rate": (-1.0, 1.0, 20000),
    "ratio": (-5.0, 5.0, 20000),
}


@dataclass
class Histogram:
    """Counts of ``n_series`` quantities on one scale.

    counts has shape (n_series, bins + 3): underflow, the bins, overflow, and a last column for
    NaN (undefined values, e.g. a TFP share when output did not grow).
    """

    scale: str
    ref: np.ndarray  # (n_series,) reference level of the log scale, 1 elsewhere
    counts: np.ndarray = field(init=False)

    def __post_init__(self):
        lo, hi, bins = SCALES[self.scale]
        self.ref = np.asarray(self.ref, dtype=float)
        self.counts = np.zeros((self.ref.size, bins + 3), dtype=np.int64)

    def _position(self, values: np.ndarray) -> np.ndarray:
        if self.scale == "log":
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.log(values / self.ref)
        return values

    def add(self, values: np.ndarray) -> None:
        """Count values shaped (paths, n_series)."""
        lo, hi, bins = SCALES[self.scale]
        width = bins + 3
        x = self._position(np.asarray(values, dtype=float))
        # Bin position shifted by one so that the underflow bin is 0: after the clip every
        # position is >= 0, where truncation toward zero is the floor.
        position = (x - lo) * (bins / (hi - lo))
        position += 1.0
        nan = np.isnan(position) if np.isnan(position.min()) else None
        if nan is not None:
            position[nan] = 0.0
        np.clip(position, 0.0, bins + 1, out=position)
        index = position.astype(np.int64)
        if nan is not None:
            index[nan] = bins + 2
        index += np.arange(x.shape[1]) * width
        self.counts += np.bincount(index.ravel(order="K"), minlength=width * x.shape[1]).reshape(x.shape[1], width)

    def merge(self, other: "Histogram") -> None:
        self.counts += other.counts

    def quantiles(self, probabilities) -> np.ndarray:
        """Quantiles (n_series, len(probabilities)) among the defined (non-NaN) values.

        Linear interpolation inside the bin that holds the quantile; NaN where a series has no
        defined value.
        """
        lo, hi, bins = SCALES[self.scale]
        width = (hi - lo) / bins
        counts = self.counts[:, :-1]
        totals = counts.sum(axis=1)
        cumulative = np.cumsum(counts, axis=1)
        out = np.full((counts.shape[0], len(probabilities)), np.nan)
        for j, q in enumerate(probabilities):
            target = q * totals
            pos = np.argmax(cumulative >= np.maximum(target, 1e-12)[:, None], axis=1)
            below = np.where(pos > 0, cumulative[np.arange(len(pos)), pos - 1], 0)
            in_bin = counts[np.arange(len(pos)), pos]
            frac = np.where(in_bin > 0, (target - below) / np.maximum(in_bin, 1), 0.5)
            bin_index = pos - 1  # column 0 is underflow
            x = lo + (bin_index + np.clip(frac, 0.0, 1.0)) * width
            x = np.clip(x, lo, hi)
            out[:, j] = np.where(totals > 0, x, np.nan)
        if self.scale == "log":
            out = np.exp(out) * self.ref[:, None]
        return out

    def undefined(self) -> np.ndarray:
        """Count of NaN values per series."""
        return self.counts[:, -1].copy()
