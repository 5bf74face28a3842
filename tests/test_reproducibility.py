"""Same seed, same numbers, whatever the chunking; different seeds, different numbers."""

import json
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.cli import main
from simulator.seeding import set_sfc64_state, sfc64_states


def _numbers(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("provenance")
    return data


def test_results_identical_across_chunk_sizes(tmp_path):
    outputs = []
    for chunk in (2048, 8192, 65536):  # 1, 4 and all 9 blocks (the last one partial) per chunk
        out = tmp_path / f"chunk{chunk}"
        code = main(["scenarios/base.toml", "--paths", "17000", "--seed", "11", "--chunk-size", str(chunk),
                     "--set", "montecarlo.block_size=2048", "--out", str(out), "--format", "json"])
        assert code == 0
        outputs.append(out)
    reference = _numbers(outputs[0] / "results.json")
    for out in outputs[1:]:
        assert _numbers(out / "results.json") == reference
        assert (out / "series.csv").read_bytes() == (outputs[0] / "series.csv").read_bytes()
        assert (out / "targets.csv").read_bytes() == (outputs[0] / "targets.csv").read_bytes()
        for joint in ("joint_groups.csv", "joint_cohits.csv", "joint_correlation.csv"):  # satellites, priors, joint counts
            assert (out / joint).read_bytes() == (outputs[0] / joint).read_bytes()


def test_different_seeds_give_different_numbers(tmp_path):
    results = []
    for seed in (1, 2):
        out = tmp_path / f"seed{seed}"
        assert main(["scenarios/base.toml", "--paths", "4000", "--seed", str(seed), "--out", str(out), "--format", "json"]) == 0
        results.append(_numbers(out / "results.json"))
    medians = [[t["median"] for t in r["targets"] if t["p_hit"] is not None] for r in results]
    assert medians[0] != medians[1]
    assert results[0]["seed"] == 1 and results[1]["seed"] == 2


def test_fewer_paths_are_a_prefix_of_more_paths():
    """Path i sees the same draws whatever the path count (prefix property of the blocks)."""
    import numpy as np

    import simulator

    small = simulator.run("scenarios/base.toml", paths=3000, keep_paths=True).full_paths
    large = simulator.run("scenarios/base.toml", paths=20000, keep_paths=True).full_paths
    for metric in ("grdp_current_bn_vnd", "share_agri", "unemployment_rate", "poverty_rate", "social_housing_completed_dwellings"):
        assert np.array_equal(small[metric], large[metric][:3000])


def test_keyword_lever_equals_the_set_override():
    import pytest

    import simulator

    by_keyword = simulator.run("scenarios/base.toml", paths=2000, investment_share=0.42).to_dict()
    by_set = simulator.run("scenarios/base.toml", paths=2000, overrides=["levers.investment_share=0.42"]).to_dict()
    assert by_keyword["targets"] == by_set["targets"]
    with pytest.raises(TypeError, match="investment_shar"):
        simulator.run("scenarios/base.toml", investment_shar=0.4)


def test_the_same_numbers_whichever_blas_kernel_the_cpu_picks(tmp_path):
    """OpenBLAS picks its kernels by CPU; the shocks' correlation factor used to be an
    eigen-decomposition, whose basis of the repeated eigenvalue 1 (the uncorrelated shocks)
    followed the kernel (AVX-512 against AVX2), and with it every path. Two kernels must agree."""
    import os
    import platform
    import subprocess
    import sys

    import pytest

    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("OpenBLAS core types are named for x86-64")
    flags = Path("/proc/cpuinfo").read_text(encoding="utf-8") if Path("/proc/cpuinfo").exists() else ""
    # SkylakeX (AVX-512) is the kernel whose eigenvectors differed from the AVX2 ones; a CPU
    # without AVX-512 cannot run it, and compares two kernels it can run
    cores = ("Haswell", "SkylakeX") if " avx512f" in flags else ("Sandybridge", "Haswell")
    outputs = []
    for core in cores:
        out = tmp_path / core
        subprocess.run([sys.executable, "-m", "simulator", "scenarios/base.toml", "--paths", "3000", "--out", str(out),
                        "--quiet"], check=True, capture_output=True, env={**os.environ, "OPENBLAS_CORETYPE": core})
        outputs.append(_numbers(out / "results.json"))
    assert outputs[0] == outputs[1]


def test_correlation_factor_is_lower_triangular_and_reproduces_the_matrix():
    """Cholesky by hand on a 3 × 3 case; an uncorrelated shock keeps its own normal; a shock that is
    a combination of others (singular matrix) gets a zero pivot; the BLAS-free product equals @."""
    import numpy as np

    from simulator.draws import correlate, correlation_factor

    c = np.array([[1.0, 0.6, 0.0], [0.6, 1.0, 0.0], [0.0, 0.0, 1.0]])
    factor = correlation_factor(c)
    np.testing.assert_allclose(factor, [[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 1.0]], atol=1e-15)
    singular = correlation_factor([[1.0, 1.0], [1.0, 1.0]])
    np.testing.assert_array_equal(singular, [[1.0, 0.0], [1.0, 0.0]])
    eps = np.random.default_rng(3).standard_normal((3, 5, 7))
    z = correlate(factor, eps)
    np.testing.assert_array_equal(z[2], eps[2])
    np.testing.assert_array_equal(z[0], eps[0])
    np.testing.assert_allclose(z, np.einsum("ij,j...->i...", factor, eps), rtol=0, atol=1e-15)


def test_a_parameters_draws_do_not_depend_on_which_others_are_drawn():
    """Each parameter drawn per path, and each prior target, has a stream of its own: dropping one
    (a calibration without its error) or adding one leaves every other row's numbers unchanged,
    and the shocks too."""
    import dataclasses

    import numpy as np

    from simulator import draws

    full = draws.RandomContract(seed=7, block_size=512, horizon=3, parameters=("a.x", "b.y", "c.z"),
                                satellite_parameters=("s.one", "s.two"), correlation=((1.0, 0.3), (0.3, 1.0)),
                                student_t_df=0.0, satellite_shocks=2, count_dispersions=(4.0,),
                                prior_ids=("5-pci", "8", "16"), beta_shapes=((2.0, 3.0), (0.0, 0.0), (5.0, 1.0)))
    fewer = dataclasses.replace(full, parameters=("a.x", "c.z"), satellite_parameters=("s.two",),
                                prior_ids=("5-pci", "16"), beta_shapes=((2.0, 3.0), (5.0, 1.0)))
    chunk = draws.chunks(700, 512, 1024)[0]  # a whole block and part of a second
    a, b = draws.draw(full, chunk), draws.draw(fewer, chunk)
    np.testing.assert_array_equal(a.parameters[[0, 2]], b.parameters)
    np.testing.assert_array_equal(a.satellite_parameters[1], b.satellite_parameters[0])
    np.testing.assert_array_equal(a.prior_own[[0, 2]], b.prior_own)
    np.testing.assert_array_equal(a.prior_probability[[0, 2]], b.prior_probability)
    assert np.isnan(a.prior_probability[1]).all()
    for name in ("shocks", "disaster_uniform", "satellite_shocks", "count_gamma", "count_noise", "prior_common"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.parameters[0], a.parameters[1])  # distinct streams
    assert draws.name_key("a.x") == draws.name_key("a.x") != draws.name_key("b.y")
    # pinned: another key function would change every seed's numbers
    assert draws.name_key("production.trend_growth") == 18407238839415907710


@settings(max_examples=60, deadline=None)
@given(seed=st.one_of(st.integers(0, 2**32 + 5), st.integers(0, 2**130)),
       keys=st.lists(st.tuples(st.integers(0, 2**40), st.integers(0, 20), st.integers(0, 2**64 - 1)),
                     min_size=1, max_size=12),
       short=st.lists(st.integers(0, 2**33), min_size=1, max_size=3))
def test_streams_seeded_together_start_where_numpy_starts_them(seed, keys, short):
    """The per-name streams of a chunk are seeded as arrays (simulator.seeding): every state, and
    so every normal drawn from it, is the one numpy's SeedSequence and SFC64 give, whatever the
    lengths of the seed and the keys (words of 32 bits, a key of 0 included)."""
    spawn_keys = keys + [tuple(short), (0, 0, 0)]
    states = sfc64_states(seed, spawn_keys)
    for key, state in zip(spawn_keys, states):
        assert np.array_equal(state, np.random.SFC64(np.random.SeedSequence(seed, spawn_key=key)).state["state"]["state"])
    bits = np.random.SFC64(0)
    set_sfc64_state(bits, states[0])
    expected = np.random.Generator(np.random.SFC64(np.random.SeedSequence(seed, spawn_key=spawn_keys[0])))
    assert np.array_equal(np.random.Generator(bits).standard_normal(50), expected.standard_normal(50))
