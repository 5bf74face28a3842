"""Random streams and draws.

Paths come in fixed blocks of ``block_size``. The draws of block k, stream j come from
``SeedSequence(seed, spawn_key=(k, j))``: the numbers of a path depend only on the seed, the
block size and the path's index, never on the chunking, the worker count or the backend. Within
a block each stream is drawn in one call and path-major, so the first n paths of a block are the
same whether the block is drawn whole or cut short (the prefix property that lets the last block
be partial).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """Stream ids of a block. Never renumber: a new stream takes the next free id, so the numbers
    of the existing streams (and the core model's results for a seed) stay the same."""

    SHOCKS = 0
    STUDENT_SCALE = 1
    DISASTERS = 2
    PARAMETERS = 3
    SATELLITE_SHOCKS = 4  # normals of the satellite trends (simulator.satellites)
    SATELLITE_PARAMETERS = 5  # per-path draws of satellite parameters with a standard error
    SATELLITE_COUNTS = 6  # over-dispersed yearly counts (negative binomial)
    PRIOR_COMMON = 7  # the common factor of the prior targets (Gaussian copula)
    PRIOR_OWN = 8  # each prior target's own normal
    PRIOR_PROBABILITIES = 9  # per-path attainment probabilities of Beta priors


def generator(seed: int, block: int, stream: Stream) -> np.random.Generator:
    """The generator of one stream of one block."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block, int(stream)))))


def correlation_factor(correlation: np.ndarray) -> np.ndarray:
    """A matrix F with F·Fᵀ = correlation, from the eigen-decomposition.

    Works for a positive semi-definite matrix that is singular (where Cholesky fails); eigenvalues
    within rounding of zero are set to zero. The caller has checked semi-definiteness.
    """
    values, vectors = np.linalg.eigh(correlation)
    return vectors * np.sqrt(np.clip(values, 0.0, None))


def shocks(seed: int, block: int, n_paths: int, n_years: int, factor: np.ndarray, *, student_t_df: float,
           out: np.ndarray | None = None) -> np.ndarray:
    """Correlated unit-variance shocks, shape (paths, years, k), written into ``out`` if given.

    z = F·ε with ε standard normal; with ``student_t_df`` > 2 each path-year vector is divided by
    sqrt(W/ν), W ~ χ²(ν), and rescaled by sqrt((ν − 2)/ν) so that variances stay 1 (a
    multivariate Student-t: fat tails, same correlation).
    """
    k = factor.shape[0]
    eps = generator(seed, block, Stream.SHOCKS).standard_normal((n_paths, n_years, k))
    z = np.matmul(eps, factor.T, out=out)
    if student_t_df > 0:
        if student_t_df <= 2:
            raise ValueError("student_t_df must exceed 2 for a finite variance")
        chi2 = generator(seed, block, Stream.STUDENT_SCALE).chisquare(student_t_df, (n_paths, n_years, 1))
        z *= np.sqrt((student_t_df - 2.0) / chi2)
    return z


def disasters(seed: int, block: int, n_paths: int, n_years: int, probability) -> np.ndarray:
    """Boolean (paths, years): a disaster year (pandemic, saline intrusion) with the given chance."""
    u = generator(seed, block, Stream.DISASTERS).random((n_paths, n_years))
    return u < np.reshape(probability, (-1, 1)) if np.ndim(probability) else u < probability


def parameter_draws(seed: int, block: int, n_paths: int, means: np.ndarray, ses: np.ndarray,
                    lower: np.ndarray, upper: np.ndarray, *, stream: Stream = Stream.PARAMETERS) -> np.ndarray:
    """Per-path parameter values (paths, m): normal around the estimate, clipped to the bounds.

    The clip keeps draws admissible (a persistence below 1, a share in [0, 1]); with standard
    errors small next to the distance to the bounds it hardly ever binds.
    """
    z = generator(seed, block, stream).standard_normal((n_paths, len(means)))
    return np.clip(means + ses * z, lower, upper)


def standard_normals(seed: int, block: int, stream: Stream, shape: tuple[int, ...], *,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Independent standard normals of one stream of one block, path-major ``shape``, written
    into ``out`` (C-contiguous float64 of that shape) if given."""
    return generator(seed, block, stream).standard_normal(shape, out=out)


def negative_binomial_counts(seed: int, block: int, mean: np.ndarray, dispersion: np.ndarray, *,
                             out: np.ndarray | None = None) -> np.ndarray:
    """Over-dispersed counts: negative binomial with the given mean and size ``dispersion``.

    Var = mean + mean² / dispersion (the gamma–Poisson mixture; Cameron & Trivedi 2013,
    *Regression Analysis of Count Data*, 2nd ed., ch. 3, the NB2 form). numpy's parameters are
    n = dispersion and p = dispersion / (dispersion + mean).

    Parameters
    ----------
    mean : array (paths, years, k)
        Expected counts, positive.
    dispersion : array broadcastable to ``mean``
        Size parameter, positive; large values approach the Poisson.

    Returns
    -------
    array (paths, years, k) of float counts (``out`` if given)
    """
    size = np.broadcast_to(dispersion, mean.shape)
    counts = generator(seed, block, Stream.SATELLITE_COUNTS).negative_binomial(size, size / (size + mean))
    if out is None:
        return counts.astype(float)
    out[...] = counts
    return out


def beta_probabilities(seed: int, block: int, n_paths: int, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Per-path attainment probabilities (paths, k) from Beta(alpha_j, beta_j) priors."""
    return generator(seed, block, Stream.PRIOR_PROBABILITIES).beta(alpha, beta, size=(n_paths, len(alpha)))
