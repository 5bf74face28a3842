"""Random streams: every raw draw of a chunk of paths, made here and nowhere else.

Paths come in fixed blocks of ``block_size``. Stream j of block k draws from
``SeedSequence(seed, spawn_key=(k, j))``, and the streams drawn per name (each parameter drawn per
path, each prior target) from ``(k, j, name key)``: the numbers of a path depend only on the
seed, the block size and the path's index, never on the chunking, the worker count or the
backend, and a parameter's or a prior's numbers not on which others are drawn (the per-name
streams of a chunk are seeded together, in the states numpy gives them one by one:
:mod:`simulator.seeding`). Every stream draws its whole block, path axis last, and keeps the
paths it needs, so the first n paths of a block are the same whether the block is used whole or
cut short (the last block may be partial) and each series' values for one year are contiguous,
as the vectorised equations read them.

The draws are raw: standard normals for the parameters (mapped to their truncated normals by
:func:`truncated_normal` in the engine), uniforms for the disasters, standard
gamma and normal variates for the counts. The engine turns them into values with each
variant's own means and scales (:mod:`simulator.engine`), so one :class:`Draws` serves every
variant whose :class:`RandomContract` is the same: common random numbers. Nothing here knows a
model equation.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, fields
from enum import IntEnum
from functools import lru_cache

import numpy as np
from scipy.special import ndtr, ndtri

from .seeding import set_sfc64_state, sfc64_states


#: A pivot of the correlation's Cholesky factor at or below this is zero (a shock that is a linear
#: combination of earlier ones); rounding leaves about 1e-16 there.
SEMIDEFINITE_TOLERANCE = 1e-12


class Stream(IntEnum):
    """Stream ids of a block. Never renumber: a new stream takes the next free id, so the numbers
    of the existing streams for a seed stay the same."""

    SHOCKS = 0
    STUDENT_SCALE = 1
    DISASTERS = 2
    # 3 retired (every core parameter from one stream, rows in name order; now PARAMETER)
    SATELLITE_SHOCKS = 4
    # 5 retired (the satellite parameters likewise; now SATELLITE_PARAMETER)
    # 6 retired (negative binomial counts drawn with their means; now COUNT_GAMMA and COUNT_NOISE)
    PRIOR_COMMON = 7
    # 8 and 9 retired (every prior's normal and Beta from one stream each; now PRIOR_OWN_OF and
    # PRIOR_PROBABILITY_OF)
    COUNT_GAMMA = 10
    COUNT_NOISE = 11
    # One stream per name (spawn key (block, stream, name key)): a parameter drawn per path, or a
    # prior target, keeps its numbers when another is added or removed, so a calibration that
    # gives one more parameter an error moves only that parameter's draws
    PARAMETER = 12
    SATELLITE_PARAMETER = 13
    PRIOR_OWN_OF = 14
    PRIOR_PROBABILITY_OF = 15


@dataclass(frozen=True)
class RandomContract:
    """Everything the raw draws depend on. Variants with equal contracts share their draws.

    Attributes
    ----------
    seed, block_size : int
    horizon : int
        Simulated years after the base year.
    parameters, satellite_parameters : tuple of str
        The primitives drawn per path (standard normal each), in order; empty without parameter
        uncertainty.
    correlation : tuple of tuples
        The correlation of the core shocks (k × k), positive semi-definite.
    student_t_df : float
        Degrees of freedom of the multivariate Student-t shocks; 0 for normal shocks.
    satellite_shocks : int
        Independent standard normals per path and year for the satellites.
    count_dispersions : tuple of float
        NB size k of each over-dispersed count (the shape of its gamma mixing variate).
    prior_ids : tuple of str
        The prior targets (one normal each, and a common factor).
    beta_shapes : tuple of (float, float)
        Beta(alpha, beta) of the priors given as a Beta distribution, in ``prior_ids`` order.
    """

    seed: int
    block_size: int
    horizon: int
    parameters: tuple[str, ...]
    satellite_parameters: tuple[str, ...]
    correlation: tuple[tuple[float, ...], ...]
    student_t_df: float
    satellite_shocks: int
    count_dispersions: tuple[float, ...]
    prior_ids: tuple[str, ...]
    beta_shapes: tuple[tuple[float, float], ...]

    def differences(self, other: "RandomContract") -> list[str]:
        """Names of the fields in which two contracts differ (why two runs cannot share draws)."""
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]


@dataclass(frozen=True)
class Draws:
    """The raw draws of one chunk of paths (paths last everywhere).

    Attributes
    ----------
    first_path : int
        Index of the chunk's first path in the run (to slice per-path lever and parameter arrays).
    parameters : (m, n) standard normals, one row per :attr:`RandomContract.parameters`.
    shocks : (k, H, n) correlated unit-variance shocks (Student-t when the contract says so).
    disaster_uniform : (H, n) uniforms in [0, 1): a disaster year when below its probability.
    satellite_parameters : (m_s, n) standard normals.
    satellite_shocks : (k_s, H, n) standard normals.
    count_gamma : (c, H, n) standard gamma variates with shape the count's dispersion.
    count_noise : (c, H, n) standard normals (the Poisson part of the count).
    prior_common : (n,) and prior_own : (k_p, n) standard normals of the prior targets' copula.
    prior_probability : (k_p, n) attainment probabilities drawn from the Beta priors (NaN rows
        where the prior is a fixed probability).
    """

    first_path: int
    parameters: np.ndarray
    shocks: np.ndarray
    disaster_uniform: np.ndarray
    satellite_parameters: np.ndarray
    satellite_shocks: np.ndarray
    count_gamma: np.ndarray
    count_noise: np.ndarray
    prior_common: np.ndarray
    prior_own: np.ndarray
    prior_probability: np.ndarray

    @property
    def n_paths(self) -> int:
        return self.disaster_uniform.shape[1]

    def take(self, paths: np.ndarray) -> "Draws":
        """The draws of some of the paths (indices into this chunk), e.g. the paths a root finder
        is still working on."""
        def cut(a):
            return a[..., paths]
        return Draws(first_path=self.first_path, **{f.name: cut(getattr(self, f.name)) for f in fields(self)
                                                    if f.name != "first_path"})


def truncated_normal(z: np.ndarray, *, mean: float, se: float, lower: float, upper: float) -> np.ndarray:
    """A normal around ``mean`` with scale ``se`` truncated to [lower, upper], from standard normals z.

    x = μ + σ·Φ⁻¹(Φ(a) + Φ(z)·(Φ(b) − Φ(a))), a and b the bounds in units of σ: the inverse-CDF
    map, monotone in z (so common random numbers stay common) and exact, with no mass piled on a
    bound as a clip would put it. It is the posterior of the estimate under a flat prior on the
    admissible range. Bounds more than 8 σ away are left alone (a clip only guards rounding).
    """
    a, b = (lower - mean) / se, (upper - mean) / se
    if a < -8.0 and b > 8.0:
        return np.clip(mean + se * z, lower, upper)
    low, high = ndtr(a), ndtr(b)
    return np.clip(mean + se * ndtri(low + ndtr(z) * (high - low)), lower, upper)


@lru_cache(maxsize=4096)
def name_key(name: str) -> int:
    """A name's part of its stream's spawn key: the first 8 bytes of its UTF-8 SHA-256, so the same
    on every machine and in every Python (the built-in ``hash`` of a string is salted per process)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def generator(seed: int, block: int, stream: Stream, name: str | None = None) -> np.random.Generator:
    """The generator of one stream of one block (of one name, for the streams drawn per name).

    SFC64 (Chris Doty-Humphrey's small fast chaotic generator, one of numpy's bit generators;
    passes PractRand and TestU01 BigCrush) draws normals about a quarter faster than PCG64 here,
    and the draws are most of the model's time.
    """
    key = (block, int(stream)) if name is None else (block, int(stream), name_key(name))
    return np.random.Generator(np.random.SFC64(np.random.SeedSequence(seed, spawn_key=key)))


@lru_cache(maxsize=8)
def _factor(correlation: tuple[tuple[float, ...], ...]) -> np.ndarray:
    k = len(correlation)
    factor = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(i + 1):
            rest = float(correlation[i][j])
            for m in range(j):  # Python floats, one order of operations: the same bits on every machine
                rest -= factor[i][m] * factor[j][m]
            if i == j:
                if rest < -SEMIDEFINITE_TOLERANCE:
                    raise ValueError(f"correlation matrix not positive semi-definite at row {i} (pivot {rest:.3g})")
                factor[i][i] = math.sqrt(rest) if rest > SEMIDEFINITE_TOLERANCE else 0.0
            elif factor[j][j] > 0.0:
                factor[i][j] = rest / factor[j][j]
    out = np.array(factor, dtype=float)
    out.setflags(write=False)
    return out


def correlation_factor(correlation) -> np.ndarray:
    """The lower-triangular L with L·Lᵀ = correlation (Cholesky–Banachiewicz), read only.

    Unique for a positive definite matrix, so a seed gives the same shocks on every machine: an
    eigen-decomposition (used before) picks any basis of a repeated eigenvalue, and with the 14
    uncorrelated shocks of the base calibration (eigenvalue 1 fourteen times) the basis followed
    the CPU's BLAS kernel, and with it every drawn path (P(1c) 0.0342 against 0.03465 on 20,000
    paths, OPENBLAS_CORETYPE SkylakeX against Zen). Computed in Python floats in a fixed order. A
    singular positive semi-definite matrix (a shock that is a combination of earlier ones) gets a
    zero pivot, and that column stays zero; the caller has checked semi-definiteness.
    """
    return _factor(tuple(tuple(float(x) for x in row) for row in np.asarray(correlation, dtype=float)))


def correlate(factor: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """factor · eps over the first axis (eps (k, ...) independent standard normals): each row
    summed term by term in column order with numpy's elementwise operations, not a BLAS product,
    whose summation order depends on the CPU. An uncorrelated shock (a unit row) is its own normal."""
    out = np.empty(factor.shape[:1] + eps.shape[1:])
    for i, row in enumerate(factor):
        used = np.flatnonzero(row)
        if used.size == 0:
            out[i] = 0.0
            continue
        np.multiply(eps[used[0]], row[used[0]], out=out[i])
        for j in used[1:]:
            out[i] += row[j] * eps[j]
    return out


def chunks(n_paths: int, block_size: int, chunk_size: int) -> list[list[tuple[int, int]]]:
    """The run's chunks: lists of (block index, paths used in the block), whole blocks each."""
    blocks_per_chunk = max(1, chunk_size // block_size)
    n_blocks = -(-n_paths // block_size)
    return [[(block, min(block_size, n_paths - block * block_size))
             for block in range(first, min(first + blocks_per_chunk, n_blocks))]
            for first in range(0, n_blocks, blocks_per_chunk)]


def _named_streams(contract: RandomContract) -> tuple[tuple[Stream, tuple[str, ...], str], ...]:
    """The streams drawn one per name: (stream, names, the chunk array they fill)."""
    return tuple((stream, names, into) for stream, names, into in (
        (Stream.PARAMETER, contract.parameters, "parameters"),
        (Stream.SATELLITE_PARAMETER, contract.satellite_parameters, "satellite_parameters"),
        (Stream.PRIOR_OWN_OF, contract.prior_ids, "prior_own")) if names)


def _named_starts(contract: RandomContract, blocks: list[int]) -> dict[tuple[int, Stream], np.ndarray]:
    """The starting SFC64 states of every per-name stream of the chunk's blocks, seeded together
    (:func:`simulator.seeding.sfc64_states`: the states :func:`generator` gives, in a tenth of the time):
    (block, stream) -> (names, 4)."""
    named = _named_streams(contract)
    keys = [(block, int(stream), name_key(name)) for block in blocks for stream, names, _ in named for name in names]
    states = sfc64_states(contract.seed, keys)
    out, row = {}, 0
    for block in blocks:
        for stream, names, _ in named:
            out[block, stream] = states[row:row + len(names)]
            row += len(names)
    return out


def _block(contract: RandomContract, block: int, n: int, out: dict[str, np.ndarray], at: slice,
           starts: dict[tuple[int, Stream], np.ndarray]) -> None:
    """Draw every stream of one block into the chunk arrays ``out[name][..., at]``; ``starts``
    from :func:`_named_starts`."""
    seed, size, h = contract.seed, contract.block_size, contract.horizon

    def normals(stream: Stream, lead: tuple[int, ...]) -> np.ndarray:
        return generator(seed, block, stream).standard_normal(lead + (size,))[..., :n]

    bits = np.random.SFC64(0)  # put at each name's starting state in turn
    named_generator = np.random.Generator(bits)
    for stream, names, into in _named_streams(contract):
        for row, state in enumerate(starts[block, stream]):  # each name its own stream
            set_sfc64_state(bits, state)
            out[into][row, at] = named_generator.standard_normal(size)[:n]

    k = len(contract.correlation)
    eps = generator(seed, block, Stream.SHOCKS).standard_normal((k, h * size))
    z = correlate(correlation_factor(contract.correlation), eps).reshape(k, h, size)
    if contract.student_t_df > 0:
        # a multivariate Student-t: each path-year vector divided by sqrt(W/ν), W ~ χ²(ν), and
        # rescaled by sqrt((ν − 2)/ν) so that every shock keeps unit variance
        chi2 = generator(seed, block, Stream.STUDENT_SCALE).chisquare(contract.student_t_df, (h, size))
        z *= np.sqrt((contract.student_t_df - 2.0) / chi2)
    out["shocks"][:, :, at] = z[:, :, :n]
    out["disaster_uniform"][:, at] = generator(seed, block, Stream.DISASTERS).random((h, size))[:, :n]
    if contract.satellite_shocks:
        out["satellite_shocks"][:, :, at] = normals(Stream.SATELLITE_SHOCKS, (contract.satellite_shocks, h))
    if contract.count_dispersions:
        shape = np.asarray(contract.count_dispersions)[:, None, None]
        gamma = generator(seed, block, Stream.COUNT_GAMMA).standard_gamma(
            np.broadcast_to(shape, (len(contract.count_dispersions), h, size)))
        out["count_gamma"][:, :, at] = gamma[:, :, :n]
        out["count_noise"][:, :, at] = normals(Stream.COUNT_NOISE, (len(contract.count_dispersions), h))
    if contract.prior_ids:
        out["prior_common"][at] = normals(Stream.PRIOR_COMMON, ())
        for row, (target, (a, b)) in enumerate(zip(contract.prior_ids, contract.beta_shapes)):
            if a > 0:
                drawn = generator(seed, block, Stream.PRIOR_PROBABILITY_OF, target).beta(a, b, size)
                out["prior_probability"][row, at] = drawn[:n]


def draw(contract: RandomContract, chunk: list[tuple[int, int]]) -> Draws:
    """Every raw draw of one chunk: each block from its own streams, written into chunk arrays.

    Parameters
    ----------
    contract : RandomContract
    chunk : list of (block index, paths used in that block)
        Consecutive blocks, as :func:`chunks` gives them.
    """
    for _, n in chunk:
        if n > contract.block_size:
            raise ValueError(f"{n} paths do not fit in a block of {contract.block_size}")
    total = sum(n for _, n in chunk)
    h, k = contract.horizon, len(contract.correlation)
    c, p = len(contract.count_dispersions), len(contract.prior_ids)
    out = {
        "parameters": np.empty((len(contract.parameters), total)),
        "shocks": np.empty((k, h, total)),
        "disaster_uniform": np.empty((h, total)),
        "satellite_parameters": np.empty((len(contract.satellite_parameters), total)),
        "satellite_shocks": np.empty((contract.satellite_shocks, h, total)),
        "count_gamma": np.empty((c, h, total)),
        "count_noise": np.empty((c, h, total)),
        "prior_common": np.empty(total),
        "prior_own": np.empty((p, total)),
        "prior_probability": np.full((p, total), np.nan),
    }
    starts = _named_starts(contract, [block for block, _ in chunk])
    first = 0
    for block, n in chunk:
        _block(contract, block, n, out, slice(first, first + n), starts)
        first += n
    return Draws(first_path=chunk[0][0] * contract.block_size, **out)


def neutral(contract: RandomContract, n_paths: int = 1) -> Draws:
    """Draws that put every path on its deterministic course: zero normals, no disaster, counts at
    their means (the gamma variates at their mean, the dispersion), Beta priors at their means."""
    h, k = contract.horizon, len(contract.correlation)
    c, p = len(contract.count_dispersions), len(contract.prior_ids)
    probability = np.full((p, n_paths), np.nan)
    for i, (a, b) in enumerate(contract.beta_shapes):
        if a > 0:
            probability[i] = a / (a + b)
    return Draws(first_path=0, parameters=np.zeros((len(contract.parameters), n_paths)),
                 shocks=np.zeros((k, h, n_paths)), disaster_uniform=np.ones((h, n_paths)),
                 satellite_parameters=np.zeros((len(contract.satellite_parameters), n_paths)),
                 satellite_shocks=np.zeros((contract.satellite_shocks, h, n_paths)),
                 count_gamma=np.broadcast_to(np.asarray(contract.count_dispersions, dtype=float)[:, None, None],
                                             (c, h, n_paths)).copy(),
                 count_noise=np.zeros((c, h, n_paths)), prior_common=np.zeros(n_paths),
                 prior_own=np.zeros((p, n_paths)), prior_probability=probability)
