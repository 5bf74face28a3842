"""Maps that keep bounded quantities bounded: logit for a share, additive log-ratio for a
composition (shares that stay positive and sum to one; Aitchison 1986, *The Statistical Analysis
of Compositional Data*, ch. 4)."""

from __future__ import annotations

import numpy as np


def logit(p):
    """log(p / (1 − p)) for a share p in (0, 1)."""
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


def expit(x):
    """Inverse of :func:`logit`, numerically safe for large |x|."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def alr(shares):
    """Additive log-ratio of a composition against its last component.

    Parameters
    ----------
    shares : array (..., k)
        Positive shares summing to one along the last axis.

    Returns
    -------
    array (..., k − 1)
        log(s_j / s_k) for j < k.
    """
    shares = np.asarray(shares, dtype=float)
    return np.log(shares[..., :-1]) - np.log(shares[..., -1:])


def alr_inverse(ratios):
    """Inverse of :func:`alr`: shares (..., k) from log-ratios (..., k − 1).

    A softmax with the reference component's log-ratio fixed at 0, shifted by the row maximum so
    that exp never overflows.
    """
    ratios = np.asarray(ratios, dtype=float)
    full = np.concatenate([ratios, np.zeros(ratios.shape[:-1] + (1,))], axis=-1)
    full = full - full.max(axis=-1, keepdims=True)
    weights = np.exp(full)
    return weights / weights.sum(axis=-1, keepdims=True)
