"""Streaming quantiles against exact ones, and Wilson intervals against hand values."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.evaluate import wilson_interval
from simulator.summaries import SCALES, Histogram


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), splits=st.lists(st.integers(1, 4999), max_size=4))
def test_histogram_is_order_and_chunk_invariant(seed, splits):
    values = np.random.default_rng(seed).lognormal(12.0, 0.3, size=(5000, 2))
    whole = Histogram("log", np.array([1.6e5, 1.6e5]))
    whole.add(values)
    parts = Histogram("log", np.array([1.6e5, 1.6e5]))
    for chunk in np.split(values, sorted(set(splits))):
        parts.add(chunk)
    assert np.array_equal(whole.counts, parts.counts)



@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.sampled_from(sorted(SCALES)), n_paths=st.integers(1, 40),
       kinds=st.lists(st.sampled_from(["spread", "constant", "some NaN", "all NaN", "negative", "edges"]),
                      min_size=1, max_size=6))
def test_counts_are_the_same_path_by_path(seed, scale, n_paths, kinds):
    """Columns of one value (a base year) take a shortcut to their bin, columns with NaN another to
    their range: counting path by path, where every column is constant, gives the same counts."""
    rng = np.random.default_rng(seed)
    columns = []
    for kind in kinds:
        column = rng.lognormal(0.0, 1.0, n_paths) if scale == "log" else rng.normal(0.2, 0.6, n_paths)
        if kind == "constant":
            column[:] = column[0]
        elif kind == "some NaN":
            column[rng.random(n_paths) < 0.4] = np.nan
        elif kind == "all NaN":
            column[:] = np.nan
        elif kind == "negative":
            column = -np.abs(column)
        elif kind == "edges":
            column = rng.choice([0.0, np.inf, -np.inf, 1.0, 1e9], n_paths)
        columns.append(column)
    values = np.asfortranarray(np.column_stack(columns))
    ref = rng.lognormal(0.0, 1.0, len(kinds))
    whole, by_path = Histogram(scale, ref), Histogram(scale, ref)
    whole.add(values)
    for row in values:
        by_path.add(row[None, :])
    np.testing.assert_array_equal(whole.counts, by_path.counts)
    np.testing.assert_array_equal(whole.low, by_path.low)
    np.testing.assert_array_equal(whole.high, by_path.high)
    assert whole.counts.sum() == values.size

@pytest.mark.parametrize("scale, draw", [
    ("log", lambda r: r.lognormal(12.0, 0.3, 200_000)),
    ("unit", lambda r: r.beta(2, 5, 200_000)),
    ("rate", lambda r: r.normal(0.07, 0.02, 200_000)),
])
def test_quantiles_match_exact_within_resolution(scale, draw):
    values = draw(np.random.default_rng(0))
    ref = np.median(values) if scale == "log" else 1.0
    hist = Histogram(scale, np.array([ref]))
    hist.add(values[:, None])
    qs = (0.1, 0.5, 0.9)
    lo, hi, bins = SCALES[scale]
    width = (hi - lo) / bins
    exact = np.quantile(values, qs)
    got = hist.quantiles(qs)[0]
    if scale == "log":  # 1,024 bins an octave: none wider than 1/1,024 of its value
        np.testing.assert_allclose(np.log(got), np.log(exact), atol=np.log1p(2.0**-10))
    else:
        np.testing.assert_allclose(got, exact, atol=width)


def test_nan_is_counted_apart():
    hist = Histogram("ratio", np.ones(1))
    hist.add(np.array([[0.5], [np.nan], [0.7], [0.9]]))
    assert hist.undefined()[0] == 1
    assert hist.quantiles((0.5,))[0, 0] == pytest.approx(0.7, abs=1e-3)


def test_wilson_interval_hand_values():
    # p̂ = 0.5, n = 100, z = 1.959964: centre 0.5, half-width z·sqrt(0.25/100 + z²/40000)/(1 + z²/100)
    z = 1.959963984540054
    half = z * np.sqrt(0.25 / 100 + z * z / 40000) / (1 + z * z / 100)
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.5 - half) and high == pytest.approx(0.5 + half)
    assert wilson_interval(0, 100) == pytest.approx((0.0, z * z / 100 / (1 + z * z / 100)))
    assert wilson_interval(100, 100)[1] == 1.0


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3000), st.sampled_from(sorted(SCALES)), st.integers(0, 2**32 - 1))
def test_a_histogram_survives_pickling_exactly(n_series, n_values, scale, seed):
    """Workers send their histograms sparse (positions and counts): the copy is the same histogram."""
    import pickle

    rng = np.random.default_rng(seed)
    histogram = Histogram(scale, np.full(n_series, 2.0))
    values = rng.normal(0.3, 0.5, (n_values, n_series))
    values[rng.random(values.shape) < 0.05] = np.nan
    histogram.add(values)
    copy = pickle.loads(pickle.dumps(histogram))
    assert copy.counts.dtype == np.int64 and copy.counts.shape == histogram.counts.shape
    np.testing.assert_array_equal(copy.counts, histogram.counts)
    np.testing.assert_array_equal(copy.low, histogram.low)
    np.testing.assert_array_equal(copy.high, histogram.high)
    assert copy.scale == histogram.scale and np.array_equal(copy.ref, histogram.ref)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 2000), st.sampled_from(sorted(SCALES)), st.integers(0, 2**32 - 1))
def test_merging_a_packed_histogram_adds_the_same_counts(n_series, n_values, scale, seed):
    """An unpickled histogram stays packed and merges its nonzero counts where they go: the total
    is the one the dense counts give, and a packed copy sent on again is still the same histogram."""
    import pickle

    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(2):
        part = Histogram(scale, np.full(n_series, 2.0))
        values = rng.normal(0.3, 0.5, (n_values, n_series))
        values[rng.random(values.shape) < 0.05] = np.nan
        part.add(values)
        parts.append(part)
    dense, packed = Histogram(scale, np.full(n_series, 2.0)), Histogram(scale, np.full(n_series, 2.0))
    for part in parts:
        dense.merge(part)
        arriving = pickle.loads(pickle.dumps(part))
        assert "counts" not in arriving.__dict__  # still packed when merged
        packed.merge(arriving)
    np.testing.assert_array_equal(packed.counts, dense.counts)
    np.testing.assert_array_equal(packed.low, dense.low)
    np.testing.assert_array_equal(packed.high, dense.high)
    again = pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(parts[0]))))
    np.testing.assert_array_equal(again.counts, parts[0].counts)
    wrong = pickle.loads(pickle.dumps(Histogram("unit" if scale != "unit" else "rate", np.full(n_series, 1.0))))
    with pytest.raises(ValueError):
        Histogram(scale, np.full(n_series, 1.0)).merge(wrong)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), ref=st.floats(1e-6, 1e12), spread=st.floats(0.001, 3.0))
def test_a_level_lies_inside_the_value_range_of_its_log_bin(seed, ref, spread):
    """Log-scale bins come from the float bits: each value (in single precision) lies in its bin's
    [start, end), and no bin is wider than 1/1,024 of its start nor narrower than 1/2,048."""
    from simulator.summaries import _key_value

    values = ref * np.exp(np.random.default_rng(seed).normal(0.0, spread, (500, 1)))
    histogram = Histogram("log", np.array([ref]))
    bins = SCALES["log"][2]
    index = histogram._bins(values, slice(None))[:, 0]
    inside = (index >= 1) & (index <= bins)
    keys = histogram.origin[0] + index[inside] - 1
    start, end = _key_value(keys), _key_value(keys + 1)
    single = values[inside, 0].astype(np.float32).astype(float)
    assert np.all(start <= single) and np.all(single < end)
    assert np.all((end - start) / start <= 2.0**-10) and np.all((end - start) / start >= 2.0**-11)
    # the window covers at least ln(v / ref) within ±4
    assert np.all(np.abs(np.log(values[~inside, 0] / ref)) > 4.0)


def test_log_bins_of_zero_negative_and_undefined_values():
    """Zero (either sign) and values too small for single precision fall in the underflow, as
    ln 0 = −∞; infinity and values too large in the overflow; negatives and NaN are undefined."""
    values = np.array([[0.0], [-0.0], [1e-50], [np.inf], [1e300], [-3.0], [np.nan], [-np.nan], [5.0]])
    histogram = Histogram("log", np.array([5.0]))
    histogram.add(values)
    bins = SCALES["log"][2]
    counts = histogram.counts[0]
    assert counts[0] == 3 and counts[bins + 1] == 2 and counts[bins + 2] == 3
    assert counts[1:bins + 1].sum() == 1 and histogram.undefined()[0] == 3
    from simulator.summaries import _key_value

    assert histogram.quantiles((0.5,))[0, 0] == _key_value(histogram.origin)[0]  # the window's lower edge
    assert -4.1 < np.log(_key_value(histogram.origin)[0] / 5.0) <= -4.0
