"""Memory is bounded by the chunk, not by the path count: the traced peak of a run (what numpy and
Python allocate) is the same at 16 times the paths with the same chunk size."""

import tracemalloc

import pytest
from conftest import REPO

import simulator

BASE = REPO / "scenarios" / "base.toml"


def _traced_peak_mib(paths: int, chunk: int) -> float:
    simulator.run(BASE, paths=chunk, chunk_size=chunk)  # imports and caches outside the measure
    tracemalloc.start()
    try:
        simulator.run(BASE, paths=paths, chunk_size=chunk)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_traced_peak_does_not_grow_with_the_path_count():
    small, large = _traced_peak_mib(8_192, 4_096), _traced_peak_mib(131_072, 4_096)
    assert large <= 1.05 * small + 1.0, (small, large)


@pytest.mark.slow
def test_traced_peak_at_two_million_paths_with_a_small_chunk():
    small, large = _traced_peak_mib(16_384, 16_384), _traced_peak_mib(2_000_000, 16_384)
    assert large <= 1.05 * small + 1.0, (small, large)
