"""Random streams and draws.

Paths come in fixed blocks of ``block_size``. The draws of block k, stream j come from
``SeedSequence(seed, spawn_key=(k, j))``: the numbers of a path depend only on the seed, the
block size and the path's index, never on the chunking, the worker count or the backend.

Two layouts keep the prefix property (the first n paths of a block are the same whether the
block is used whole or cut short, which lets the last block be partial):

- path-major draws (disasters, counts, Beta probabilities) are drawn for the paths needed;
- normals that the equations read one series at a time (shocks, parameters) are drawn for the
  whole block with the path axis last, then cut to the paths needed. Each series' values for a
  year are then contiguous in memory, which is what the vectorised equations read. These
  functions return the (paths, ...) view of that memory, so callers index paths first.
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
    """The generator of one stream of one block.

    SFC64 (Chris Doty-Humphrey's small fast chaotic generator, one of numpy's bit generators;
    passes PractRand and TestU01 BigCrush) draws normals about a quarter faster than PCG64 here,
    and the draws are most of the model's time.
    """
    return np.random.Generator(np.random.SFC64(np.random.SeedSequence(seed, spawn_key=(block, int(stream)))))


def correlation_factor(correlation: np.ndarray) -> np.ndarray:
    """A matrix F with F·Fᵀ = correlation, from the eigen-decomposition.

    Works for a positive semi-definite matrix that is singular (where Cholesky fails); eigenvalues
    within rounding of zero are set to zero. The caller has checked semi-definiteness.
    """
    values, vectors = np.linalg.eigh(correlation)
    return vectors * np.sqrt(np.clip(values, 0.0, None))


def _normals_path_last(seed: int, block: int, stream: Stream, lead_shape: tuple[int, ...], n_paths: int,
                       block_size: int) -> np.ndarray:
    """Standard normals shaped ``lead_shape + (n_paths,)``: the whole block drawn, then cut."""
    if n_paths > block_size:
        raise ValueError(f"{n_paths} paths do not fit in a block of {block_size}")
    return generator(seed, block, stream).standard_normal(tuple(lead_shape) + (block_size,))[..., :n_paths]


def shocks(seed: int, block: int, n_paths: int, n_years: int, factor: np.ndarray, *, student_t_df: float,
           block_size: int, out: np.ndarray | None = None) -> np.ndarray:
    """Correlated unit-variance shocks of one block, returned as a (paths, years, k) view.

    z = F·ε with ε standard normal; with ``student_t_df`` > 2 each path-year vector is divided by
    sqrt(W/ν), W ~ χ²(ν), and rescaled by sqrt((ν − 2)/ν) so that variances stay 1 (a
    multivariate Student-t: fat tails, same correlation). Memory is shock-major (k, years,
    paths); ``out``, if given, is such an array and receives the shocks.
    """
    if n_paths > block_size:
        raise ValueError(f"{n_paths} paths do not fit in a block of {block_size}")
    k = factor.shape[0]
    eps = generator(seed, block, Stream.SHOCKS).standard_normal((k, n_years * block_size))
    z = (factor @ eps).reshape(k, n_years, block_size)
    if student_t_df > 0:
        if student_t_df <= 2:
            raise ValueError("student_t_df must exceed 2 for a finite variance")
        chi2 = generator(seed, block, Stream.STUDENT_SCALE).chisquare(student_t_df, (n_years, block_size))
        z *= np.sqrt((student_t_df - 2.0) / chi2)
    z = z[:, :, :n_paths]
    if out is not None:
        out[...] = z
        z = out
    return z.T


def disasters(seed: int, block: int, n_paths: int, n_years: int, probability) -> np.ndarray:
    """Boolean (paths, years): a disaster year (pandemic, saline intrusion) with the given chance."""
    u = generator(seed, block, Stream.DISASTERS).random((n_paths, n_years))
    return u < np.reshape(probability, (-1, 1)) if np.ndim(probability) else u < probability


def parameter_draws(seed: int, block: int, n_paths: int, means: np.ndarray, ses: np.ndarray,
                    lower: np.ndarray, upper: np.ndarray, *, block_size: int,
                    stream: Stream = Stream.PARAMETERS) -> np.ndarray:
    """Per-path parameter values, a (paths, m) view: normal around the estimate, clipped to the bounds.

    The clip keeps draws admissible (a persistence below 1, a share in [0, 1]); with standard
    errors small next to the distance to the bounds it hardly ever binds.
    """
    z = _normals_path_last(seed, block, stream, (len(means),), n_paths, block_size)
    return np.clip(means[:, None] + ses[:, None] * z, lower[:, None], upper[:, None]).T


def standard_normals(seed: int, block: int, stream: Stream, shape: tuple[int, ...], *, block_size: int,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Independent standard normals of one stream of one block, a view shaped ``shape`` (paths
    first). Memory is path-last, ``shape`` reversed; ``out``, if given, is such an array."""
    z = _normals_path_last(seed, block, stream, tuple(reversed(shape[1:])), shape[0], block_size)
    if out is not None:
        out[...] = z
        z = out
    return z.T


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
