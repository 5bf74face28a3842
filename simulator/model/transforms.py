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


def expit(x):
    """Inverse of :func:`logit`, 1 / (1 + e^(−x)), numerically safe for large |x| (scipy's ufunc,
    several times faster than the tanh form here)."""
    return _expit(np.asarray(x, dtype=float))


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


def alr_inverse(ratios, *, axis: int = -1):
    """Inverse of :func:`alr`: shares (k components along ``axis``) from log-ratios (k − 1).

    A softmax with the reference component's log-ratio fixed at 0, shifted by the maximum so that
    exp never overflows. With ``axis=0`` and paths last (the engine's layout) every operation runs
    across contiguous rows, which is several times faster than reducing a short last axis.
    """
    ratios = np.moveaxis(np.asarray(ratios, dtype=float), axis, 0)
    shift = np.maximum(ratios.max(axis=0), 0.0)
    weights = np.empty((ratios.shape[0] + 1,) + ratios.shape[1:])
    np.exp(ratios - shift, out=weights[:-1])
    np.exp(-shift, out=weights[-1])
    weights /= weights.sum(axis=0)
    return np.moveaxis(weights, 0, axis)
