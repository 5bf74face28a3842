"""Maps that keep bounded quantities bounded: logit for a share, additive log-ratio for a
composition (shares that stay positive and sum to one; Aitchison 1986, *The Statistical Analysis
of Compositional Data*, ch. 4)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit as _expit


def logit(p):
    """log(p / (1 − p)) for a share p in (0, 1)."""
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


def expit(x, out=None):
    """Inverse of :func:`logit`, 1 / (1 + e^(−x)), numerically safe for large |x| (scipy's ufunc,
    several times faster than the tanh form here); ``out`` an array to write into."""
    return _expit(np.asarray(x, dtype=float), out=out)


def alr(shares, *, axis: int = -1):
    """Additive log-ratio of a composition against its last component.

    Parameters
    ----------
    shares : array
        Positive shares summing to one along ``axis`` (k components).
    axis : int
        The axis of the components.

    Returns
    -------
    array, k − 1 components along ``axis``
        log(s_j / s_k) for j < k.
    """
    shares = np.moveaxis(np.asarray(shares, dtype=float), axis, 0)
    return np.moveaxis(np.log(shares[:-1]) - np.log(shares[-1:]), 0, axis)


def logit_step(logit_prev, *, drift, sd, shock):
    """One year of a logistic trend of a bounded share, in logit space: x_t = x_{t−1} + β + σ·z_t.

    The share is s_t = expit(x_t), always inside (0, 1); the engines keep x as the state so that
    no logit is taken of a share each year.
    """
    return logit_prev + drift + sd * shock


def alr_inverse(ratios, *, axis: int = -1):
    """Inverse of :func:`alr`: shares (k components along ``axis``) from log-ratios (k − 1).

    A softmax with the reference component's log-ratio fixed at 0: s_j = e^{x_j} / (1 + Σ e^{x_i}).
    A path whose total overflows (a log-ratio near 709, far outside any share a model reaches)
    is recomputed shifted by its largest log-ratio, so exp never overflows; the choice is made
    path by path, so a path's shares never depend on the other paths of its chunk. With
    ``axis=0`` and paths last (the engine's layout) every operation runs across contiguous rows,
    which is several times faster than reducing a short last axis.
    """
    ratios = np.moveaxis(np.asarray(ratios, dtype=float), axis, 0)
    weights = np.empty((ratios.shape[0] + 1,) + ratios.shape[1:])
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing path is redone below
        np.exp(ratios, out=weights[:-1])
        weights[-1] = 1.0
        total = weights.sum(axis=0)
        weights /= total
    paths = total == np.inf  # NaN ratios give NaN shares either way; only an overflow needs the shift
    if paths.any():
        high = ratios[:, paths]
        shift = np.maximum(high.max(axis=0), 0.0)
        shifted = np.concatenate([np.exp(high - shift), np.exp(-shift)[None]])
        weights[:, paths] = shifted / shifted.sum(axis=0)
    return np.moveaxis(weights, 0, axis)
