"""Streaming summaries with memory bounded by the histogram size, not by the path count.

:class:`Summary` holds what survives the paths of one variant, :class:`PairedCounts` the paired
hit counts of several variants on the same paths; both only add integer counts.

Quantiles come from fixed-bin histograms with integer counts: merging two summaries adds counts,
so the result is exactly the same whatever order or chunking the paths arrive in. Each scale has a
fixed range and resolution; values outside fall in an under- or overflow bin and a quantile that
lands there is reported at the range's edge.

=========  =========================  ==========  ======================================
scale      bins                       range       resolution
=========  =========================  ==========  ======================================
``log``    1,024 an octave of v       ref·e^±4    0.049–0.098 % of the value (12,000 bins)
``unit``   v                          [0, 1]      0.01 percentage point (10,000 bins)
``rate``   v                          [−1, 1]     0.01 percentage point (20,000 bins)
``ratio``  v                          [−5, 5]     0.05 percentage point (20,000 bins)
=========  =========================  ==========  ======================================

A level's bin is read off the bits of its single-precision value: exponent and the first 10 bits
of the mantissa, so each octave [2^k, 2^(k+1)) splits into 1,024 bins of equal width, as a
logarithmic scale of about 0.07 % would, with no logarithm to take (the HDR-histogram layout;
G. Tene, https://github.com/HdrHistogram/HdrHistogram). The bins of a series are the 12,000 around
its reference value, 6,000 each side: 5.86 octaves on the bit scale, at least 4.0 in ln(v / ref)
(the bit scale is linear within an octave, at most 0.086 octave from log2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .joint import JointCounter

#: (low, high, bins) of the linear scales; the log scale's bins are its bit layout's (6,000 of an
#: octave's 1,024th each side of the reference), covering at least ln(v / ref) ∈ [−4, 4]
SCALES: dict[str, tuple[float, float, int]] = {
    "log": (-4.0, 4.0, 12000),
    "unit": (0.0, 1.0, 10000),
    "rate": (-1.0, 1.0, 20000),
    "ratio": (-5.0, 5.0, 20000),
}

#: Mantissa bits of a single-precision float below the 10 that set a log-scale bin
_DROPPED_BITS = 13
_INFINITY_BITS = 0x7F800000  # +inf as int32; above it NaN
_NEGATIVE_ZERO_BITS = -(2**31)


def _bin_key(values) -> np.ndarray:
    """The log-scale bin key of positive values: their float32 bits without the last 13."""
    return np.asarray(values, dtype=np.float32).view(np.int32) >> _DROPPED_BITS


def _key_value(keys: np.ndarray) -> np.ndarray:
    """The value at which a log-scale bin key starts (float64)."""
    bits = (np.maximum(keys, 0).astype(np.int64) << _DROPPED_BITS).astype(np.int32)
    return np.where(keys >= _INFINITY_BITS >> _DROPPED_BITS, np.inf, bits.view(np.float32).astype(float))


@dataclass
class Histogram:
    """Counts of ``n_series`` quantities on one scale, with their exact minimum and maximum.

    counts has shape (n_series, bins + 3): underflow, the bins, overflow, and a last column for
    NaN (undefined values, e.g. a TFP share when output did not grow). Bin positions are computed
    in single precision (a bin is 0.1 % or 0.01 point wide, far above its rounding); the minimum
    and maximum (NaN ignored) are kept exactly, so a quantity equal on every path (a base year)
    has that value as every quantile, not a spread across its bin.
    """

    scale: str
    ref: np.ndarray  # (n_series,) reference level of the log scale, 1 elsewhere
    counts: np.ndarray = field(init=False)
    low: np.ndarray = field(init=False)
    high: np.ndarray = field(init=False)

    def __post_init__(self):
        lo, hi, bins = SCALES[self.scale]
        self.ref = np.asarray(self.ref, dtype=float)
        if self.scale == "log":  # the key of each series' first bin
            self.origin = (_bin_key(self.ref) - bins // 2).astype(np.int32)
        self.counts = np.zeros((self.ref.size, bins + 3), dtype=np.int64)
        self.low = np.full(self.ref.size, np.inf)
        self.high = np.full(self.ref.size, -np.inf)

    def add(self, values: np.ndarray) -> None:
        """Count values shaped (paths, n_series)."""
        values = np.asarray(values, dtype=float)
        n = values.shape[0]
        if n == 0:
            return
        # minimum/maximum propagate NaN, which marks the columns that hold one; only those take
        # the NaN-ignoring reductions for their exact range
        smallest = np.minimum.reduce(values, axis=0)
        largest = np.maximum.reduce(values, axis=0)
        with_nan = np.isnan(smallest)
        if with_nan.any():
            smallest[with_nan] = np.fmin.reduce(values[:, with_nan], axis=0)
            largest[with_nan] = np.fmax.reduce(values[:, with_nan], axis=0)
        self.low = np.fmin(self.low, smallest)
        self.high = np.fmax(self.high, largest)
        # A column with one value on every path (a base year) fills one bin, found from that value
        # alone: bins are computed value by value, so this is the count the whole column would give.
        constant = ~with_nan & (smallest == largest)
        if constant.any():
            columns = np.flatnonzero(constant)
            self.counts[columns, self._bins(values[:1, columns], columns)[0]] += n
            if constant.all():
                return
            values, varying = _columns(values, np.flatnonzero(~constant))
        else:
            varying = slice(None)
        index = self._bins(values, varying)
        # one count per series: a series' values are contiguous in the engine's layout (a bincount
        # per series was faster than np.add.at and than one bincount of all series interleaved)
        width = self.counts.shape[1]
        for column, row in zip(index.T, np.arange(self.counts.shape[0])[varying]):
            self.counts[row] += np.bincount(column, minlength=width)

    def _bins(self, values: np.ndarray, columns) -> np.ndarray:
        """Bin indices (int32, same shape as values) of the series ``columns``: 0 is the underflow,
        bins + 1 the overflow, bins + 2 NaN."""
        lo, hi, bins = SCALES[self.scale]
        if self.scale == "log":
            return self._log_bins(values, columns, bins)
        # One single-precision array, transformed in place: each step is one pass over memory (the
        # run's summaries are bound by these passes). The position is x·s + c with s the bins per
        # unit and c = 1 − lo·s (log scale: 1 − (ln ref + lo)·s), the one shifted so that the
        # underflow bin is 0; a value's bin depends on that value alone.
        per_unit = bins / (hi - lo)
        with np.errstate(invalid="ignore", over="ignore"):
            position = values.astype(np.float32)
            position *= np.float32(per_unit)
            position += np.float32(1.0 - lo * per_unit)
        # after the clip every position is >= 0, where truncation toward zero is the floor
        nan = np.isnan(position) if np.isnan(position.min()) else None
        if nan is not None:
            position[nan] = 0.0
        np.clip(position, 0.0, bins + 1, out=position)
        # int32 holds every bin (at most 20,003) and converts several times faster than int64
        index = position.astype(np.int32)
        if nan is not None:
            index[nan] = bins + 2
        return index

    def _log_bins(self, values: np.ndarray, columns, bins: int) -> np.ndarray:
        """:meth:`_bins` of the log scale: the bits of each value in single precision, shifted.
        Zero and values too small for single precision fall in the underflow, as ln 0 = −∞ would;
        negative values and NaN are undefined (ln of a negative number is NaN)."""
        with np.errstate(over="ignore"):
            bits = values.astype(np.float32).view(np.int32)
        undefined = None
        if bits.min() < 0 or bits.max() > _INFINITY_BITS:
            undefined = ((bits < 0) & (bits != _NEGATIVE_ZERO_BITS)) | (bits > _INFINITY_BITS)
            bits[bits == _NEGATIVE_ZERO_BITS] = 0
        bits >>= _DROPPED_BITS
        bits -= self.origin[columns] - 1  # the first bin is 1: 0 is the underflow
        np.clip(bits, 0, bins + 1, out=bits)
        if undefined is not None:
            bits[undefined] = bins + 2
        return bits

    def __getstate__(self) -> dict:
        # What travels between processes: about nine bins in ten are empty, so the counts go as
        # (shape, positions, counts), a sixth of the dense array's bytes (a worker's task sends one
        # histogram per series and variant)
        flat = self.counts.ravel()
        state = {k: v for k, v in self.__dict__.items() if k != "_packed"}
        where = np.flatnonzero(flat)
        state["counts"] = (self.counts.shape, where.astype(np.int32 if flat.size < 2**31 else np.int64), flat[where])
        return state

    def __setstate__(self, state: dict) -> None:
        # kept packed: merging adds the few nonzero counts where they go, with no dense copy to
        # allocate, fill and add (an arriving task's histograms are merged and dropped)
        state = dict(state)
        packed = state.pop("counts")
        self.__dict__.update(state, _packed=packed)

    def __getattr__(self, name: str):
        # only for a missing attribute: the dense counts of an unpickled histogram, on first use
        packed = self.__dict__.get("_packed")
        if name != "counts" or packed is None:
            raise AttributeError(name)
        shape, where, values = packed
        counts = np.zeros(shape, dtype=np.int64)
        counts.ravel()[where] = values
        self.__dict__.update(counts=counts, _packed=None)
        return counts

    def merge(self, other: "Histogram") -> None:
        if other.scale != self.scale or not np.array_equal(other.ref, self.ref):
            raise ValueError("histograms with different scales or references cannot be merged")
        packed = other.__dict__.get("_packed")
        if packed is not None:
            shape, where, values = packed
            if tuple(shape) != self.counts.shape:
                raise ValueError("histograms with different bins cannot be merged")
            self.counts.ravel()[where] += values  # positions are distinct: no count is lost
        else:
            self.counts += other.counts
        self.low = np.fmin(self.low, other.low)
        self.high = np.fmax(self.high, other.high)

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
        q = np.asarray(probabilities, dtype=float)
        rows = np.arange(counts.shape[0])[:, None]
        target = q[None, :] * totals[:, None]
        # the first bin whose cumulative count reaches the target (cumulative counts never decrease)
        pos = np.stack([np.searchsorted(c, np.maximum(t, 1e-12), side="left") for c, t in zip(cumulative, target)])
        pos = np.minimum(pos, counts.shape[1] - 1)
        below = np.where(pos > 0, cumulative[rows, np.maximum(pos - 1, 0)], 0)
        in_bin = counts[rows, pos]
        frac = np.clip(np.where(in_bin > 0, (target - below) / np.maximum(in_bin, 1), 0.5), 0.0, 1.0)
        bin_index = pos - 1  # column 0 is underflow
        if self.scale == "log":  # inside the bin's value range; the under- and overflow at the range's edges
            inside = np.clip(bin_index, 0, bins - 1)
            frac = np.where(bin_index < 0, 0.0, np.where(bin_index >= bins, 1.0, frac))
            start = _key_value(self.origin[:, None] + inside)
            end = _key_value(self.origin[:, None] + inside + 1)
            with np.errstate(invalid="ignore"):
                out = np.where(frac > 0, start + frac * (end - start), start)
        else:
            out = np.clip(lo + (bin_index + frac) * width, lo, hi)
        out = np.where(totals[:, None] > 0, out, np.nan)
        # never outside what was seen: a constant quantity has its value as every quantile
        return np.clip(out, self.low[:, None], self.high[:, None])

    def undefined(self) -> np.ndarray:
        """Count of NaN values per series."""
        return self.counts[:, -1].copy()


def _columns(values: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, slice | np.ndarray]:
    """Some columns of a (paths, n) array, each contiguous as the engine lays them out: a view
    when they are a run of neighbours (the years after a base year), else a copy."""
    if columns[-1] - columns[0] + 1 == columns.size:
        chosen = slice(int(columns[0]), int(columns[-1]) + 1)
        return values[:, chosen], chosen
    return np.asfortranarray(values[:, columns]), columns


def reference_of(values: np.ndarray, scale: str | None) -> np.ndarray:
    """Fixed references of the log-scale histograms: the reference path's values where positive
    and finite, else 1 (any fixed number keeps the summaries mergeable; a near one keeps them fine)."""
    values = np.asarray(values, dtype=float)
    if scale != "log":
        return np.ones_like(values)
    return np.where(np.isfinite(values) & (values > 0), values, 1.0)


@dataclass
class Summary:
    """Everything that survives the paths of one variant: integer counts only.

    Hit counts of every evaluated target, fixed-bin histograms of every target's deciding value
    and of every series in every year, and the joint co-hit counts. Ranges and references are
    fixed before the first chunk (:meth:`empty`), so the summary of a chunk depends on that chunk
    alone and :meth:`merge` is exact: any grouping and any order of chunks gives the same counts.
    """

    ids: tuple[str, ...]
    hits: np.ndarray
    target_histograms: dict[str, Histogram]
    series_histograms: dict[str, Histogram]
    joint: "JointCounter"
    paths: int = 0

    @classmethod
    def empty(cls, plan, *, reference_values: np.ndarray, reference_series: dict[str, np.ndarray],
              series_scales: dict[str, str], groups: dict[str, tuple[str, ...]], histograms: bool = True) -> "Summary":
        """An empty summary. ``reference_values`` (T,) and ``reference_series`` {metric: (H + 1,)}
        come from the reference path (:func:`simulator.draws.neutral` draws). Without
        ``histograms`` it counts hits only (no quantiles; a third of a variant's cost is its histograms)."""
        from .joint import JointCounter

        target_histograms, series_histograms = {}, {}
        if histograms:
            for j, target_id in enumerate(plan.ids):
                scale = plan.scale(j)
                if scale is not None:
                    target_histograms[target_id] = Histogram(scale, reference_of(reference_values[j:j + 1], scale))
            series_histograms = {m: Histogram(scale, reference_of(reference_series[m], scale))
                                 for m, scale in series_scales.items()}
        return cls(plan.ids, np.zeros(len(plan.ids), dtype=np.int64), target_histograms, series_histograms,
                   JointCounter(plan.ids, groups))

    def add(self, evaluation, series: dict[str, np.ndarray]) -> None:
        """Count one set of paths: its evaluation and its series (paths, H + 1)."""
        self.hits += evaluation.hits.sum(axis=0)
        self.add_to_histograms(evaluation, series)
        self.joint.add(evaluation.hits)
        self.paths += evaluation.hits.shape[0]

    def add_to_histograms(self, evaluation, series: dict[str, np.ndarray]) -> None:
        """The histogram part of :meth:`add` (the deciding values and every series)."""
        for j, target_id in enumerate(self.ids):
            histogram = self.target_histograms.get(target_id)
            if histogram is not None:
                histogram.add(evaluation.values[:, j:j + 1])
        for m, histogram in self.series_histograms.items():
            histogram.add(series[m])

    def merge(self, other: "Summary") -> None:
        """Add another summary of the same variant (other paths) into this one, exactly."""
        if other.ids != self.ids or set(other.series_histograms) != set(self.series_histograms):
            raise ValueError("summaries of different plans cannot be merged")
        self.hits += other.hits
        for key, histogram in other.target_histograms.items():
            self.target_histograms[key].merge(histogram)
        for key, histogram in other.series_histograms.items():
            self.series_histograms[key].merge(histogram)
        self.joint.merge(other.joint)
        self.paths += other.paths


@dataclass
class PairedCounts:
    """For every pair of variants (a, b) and every target: paths hit by both.

    With each variant's own hits this gives the paired 2×2 table of the pair: hit in both, only in
    a (hits_a − both), only in b (hits_b − both), in neither. Counts of the same paths under
    every variant (common random numbers), mergeable like :class:`Summary`.
    """

    names: tuple[str, ...]
    ids: tuple[str, ...]
    both: np.ndarray = field(init=False)

    def __post_init__(self):
        self.both = np.zeros((len(self.names), len(self.names), len(self.ids)), dtype=np.int64)

    def add(self, hits: list[np.ndarray]) -> None:
        """Count one set of paths: ``hits[v]`` (paths, T) bool of variant v, the same paths for all."""
        for a in range(len(hits)):
            self.both[a, a] += hits[a].sum(axis=0)
            for b in range(a + 1, len(hits)):
                together = (hits[a] & hits[b]).sum(axis=0)
                self.both[a, b] += together
                self.both[b, a] += together

    def merge(self, other: "PairedCounts") -> None:
        self.both += other.both

    def table(self, a: int, b: int) -> dict[str, np.ndarray]:
        """The 2×2 counts of variants a and b per target: both, only_a, only_b and hits of each."""
        both = self.both[a, b]
        return {"both": both, "only_a": self.both[a, a] - both, "only_b": self.both[b, b] - both,
                "hits_a": self.both[a, a], "hits_b": self.both[b, b]}
