"""Starting states of many SFC64 streams at once, the same as numpy seeds them one by one.

A block draws one stream per parameter and per prior target, each seeded by
``SeedSequence(seed, spawn_key=(block, stream, name key))`` (:func:`simulator.draws.generator`).
Built one at a time, a seed sequence and its SFC64 take about 50 µs, as long as the 8,192 normals
the stream then draws. Here the names of one block and stream are seeded together, as arrays:
numpy's SeedSequence hashing (NEP 19; M. E. O'Neill's ``seed_seq`` design,
https://www.pcg-random.org/posts/developing-a-seed_seq-alternative.html) and the SFC64 set-up
(three words of the sequence's state, a counter of 1, twelve discarded outputs; C. Doty-Humphrey,
PractRand) are applied to every name at once, step by step, so each stream starts in exactly the
state numpy would give it (``tests/test_reproducibility.py`` compares them with numpy's).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# SeedSequence's hash constants (numpy.random.bit_generator)
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_XSHIFT = 16
_POOL_SIZE = 4
_MASK32 = 0xFFFFFFFF


def _words(value: int) -> list[int]:
    """A non-negative integer as SeedSequence reads it: 32-bit words, least significant first."""
    if value < 0:
        raise ValueError("seed words must be non-negative")
    words = [value & _MASK32]
    value >>= 32
    while value:
        words.append(value & _MASK32)
        value >>= 32
    return words


class _Hash:
    """SeedSequence's hashmix with its running constant: the constant moves the same way for
    every stream, so one instance hashes a whole array of words step by step."""

    def __init__(self, constant: int):
        self.constant = constant

    def __call__(self, value: np.ndarray, multiplier: int) -> np.ndarray:
        value = value ^ np.uint32(self.constant)
        self.constant = (self.constant * multiplier) & _MASK32
        value = value * np.uint32(self.constant)
        return value ^ (value >> np.uint32(_XSHIFT))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.uint32(_MIX_MULT_L) * x - np.uint32(_MIX_MULT_R) * y
    return result ^ (result >> np.uint32(_XSHIFT))


def _pools(entropy: np.ndarray) -> np.ndarray:
    """SeedSequence's mixed pools (pool words, streams) of the entropy words (words, streams)."""
    hashmix = _Hash(_INIT_A)
    zero = np.zeros(entropy.shape[1], dtype=np.uint32)
    pool = [hashmix(entropy[i] if i < len(entropy) else zero, _MULT_A) for i in range(_POOL_SIZE)]
    for source in range(_POOL_SIZE):
        for target in range(_POOL_SIZE):
            if source != target:
                pool[target] = _mix(pool[target], hashmix(pool[source], _MULT_A))
    for source in range(_POOL_SIZE, len(entropy)):
        for target in range(_POOL_SIZE):
            pool[target] = _mix(pool[target], hashmix(entropy[source], _MULT_A))
    return np.stack(pool)


def _state_words(pool: np.ndarray, n_words: int) -> np.ndarray:
    """SeedSequence.generate_state(n_words) in 32-bit words (n_words, streams)."""
    hashmix = _Hash(_INIT_B)
    return np.stack([hashmix(pool[i % _POOL_SIZE], _MULT_B) for i in range(n_words)])


def _rotl(x: np.ndarray, k: int) -> np.ndarray:
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


def _sfc64_start(seed_words: np.ndarray) -> np.ndarray:
    """SFC64's state (streams, 4) from three 64-bit seed words (3, streams): a, b, c, counter 1,
    then twelve outputs discarded."""
    a, b, c = seed_words
    counter = np.ones_like(a)
    for _ in range(12):
        tmp = a + b + counter
        counter = counter + np.uint64(1)
        a = b ^ (b >> np.uint64(11))
        b = c + (c << np.uint64(3))
        c = _rotl(c, 24) + tmp
    return np.stack([a, b, c, counter], axis=1)


def sfc64_states(seed: int, spawn_keys: Sequence[tuple[int, ...]]) -> np.ndarray:
    """The starting states (len(spawn_keys), 4) uint64 of
    ``np.random.SFC64(np.random.SeedSequence(seed, spawn_key=key))`` for every key."""
    run = _words(seed)
    if len(run) < _POOL_SIZE:  # SeedSequence pads the entropy to the pool when a spawn key follows
        run += [0] * (_POOL_SIZE - len(run))
    entropies = [run + [w for part in key for w in _words(part)] for key in spawn_keys]
    out = np.empty((len(entropies), 4), dtype=np.uint64)
    by_length: dict[int, list[int]] = {}
    for row, words in enumerate(entropies):  # one array per length of entropy (nearly always one)
        by_length.setdefault(len(words), []).append(row)
    for rows in by_length.values():
        entropy = np.array([entropies[row] for row in rows], dtype=np.uint32).T
        with np.errstate(over="ignore"):
            words = _state_words(_pools(entropy), 6)
            # two 32-bit words make one 64-bit word, the first the low half (a little-endian view)
            seed_words = words[0::2].astype(np.uint64) | (words[1::2].astype(np.uint64) << np.uint64(32))
            out[rows] = _sfc64_start(seed_words)
    return out


def set_sfc64_state(bit_generator: np.random.SFC64, state: np.ndarray) -> None:
    """Put an SFC64 at a starting state from :func:`sfc64_states`, as if just seeded."""
    bit_generator.state = {"bit_generator": "SFC64", "state": {"state": state},
                           "has_uint32": 0, "uinteger": 0}
