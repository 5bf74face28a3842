"""Joint and conditional probabilities: identities on the paths, bounds, copula of the priors, CLI."""

from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.cli import main
from simulator.joint import JointCounter

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "scenarios" / "base.toml"


@pytest.fixture(scope="module")
def result():
    return simulator.run(BASE, paths=6000, chunk_size=2048, block_size=1024, keep_paths=True)


def test_counts_are_those_of_the_paths(result):
    hits = result.full_hits.astype(np.int64)
    j = result.joint
    np.testing.assert_array_equal(j.cohits, hits.T @ hits)
    assert [t.hits for t in result.targets if t.p_hit is not None] == list(np.diag(j.cohits))
    for group, members in j.groups.items():
        columns = [j.ids.index(m) for m in members]
        np.testing.assert_array_equal(j.group_histograms[group],
                                      np.bincount(hits[:, columns].sum(axis=1), minlength=len(members) + 1))


def test_joint_probability_never_exceeds_any_members(result):
    j = result.joint
    p = dict(zip(j.ids, j.p_hit()))
    for g in j.group_table():
        assert g["p_all"] <= min(p[m] for m in g["targets"]) + 1e-15, g["group"]
        assert all(a >= b for a, b in zip(g["p_at_least"], g["p_at_least"][1:]))  # P(≥ k) falls with k
        assert g["p_at_least"][0] == 1.0
    both = j.p_both()
    assert np.all(both <= np.minimum.outer(j.p_hit(), j.p_hit()) + 1e-15)


def test_conditional_times_marginal_is_the_joint_on_the_paths(result):
    hits = result.full_hits
    ids = result.joint.ids
    for given in ("1a", "1c", "3-services", "5-pci", "15-level", "20"):
        b = hits[:, ids.index(given)]
        frame = result.conditional(given)
        for a_id in ("1b", "2-level", "7", "10", "5-papi", "22"):
            a = hits[:, ids.index(a_id)]
            p_a_given_b = frame.set_index("id").loc[a_id, "p_hit_given"]
            if b.any():
                assert p_a_given_b * b.mean() == pytest.approx((a & b).mean(), abs=1e-12)
            else:
                assert np.isnan(p_a_given_b)


def test_correlation_matches_numpy_on_the_hit_indicators(result):
    hits = result.full_hits.astype(float)
    corr = result.joint.correlation()
    varying = hits.std(axis=0) > 0
    expected = np.corrcoef(hits[:, varying], rowvar=False)
    np.testing.assert_allclose(corr[np.ix_(varying, varying)], expected, atol=1e-10)
    assert np.all(np.isnan(corr[~varying][:, ~varying]))


def test_counter_is_exact_whatever_the_chunking():
    rng = np.random.default_rng(3)
    hits = rng.random((1000, 4)) < [0.2, 0.5, 0.7, 0.9]
    whole = JointCounter(("a", "b", "c", "d"), {"x": ("a", "c"), "all": ("a", "b", "c", "d")})
    parts = JointCounter(("a", "b", "c", "d"), {"x": ("a", "c"), "all": ("a", "b", "c", "d")})
    whole.add(hits)
    for first in range(0, 1000, 333):
        parts.add(hits[first: first + 333])
    np.testing.assert_array_equal(whole.cohits, parts.cohits)
    assert all(np.array_equal(whole.group_histograms[g], parts.group_histograms[g]) for g in whole.groups)


def test_prior_correlation_makes_priors_one_bet_without_moving_their_probabilities():
    independent = simulator.run(BASE, paths=20000, overrides=["target_options.prior_correlation=0.0"])
    common = simulator.run(BASE, paths=20000, overrides=["target_options.prior_correlation=0.9"])
    for r in (independent, common):
        p = {t.id: t for t in r.targets}
        # P(hit) of a fixed-probability prior is its probability, whatever the correlation
        assert p["26-conscription"].p_hit_ci95[0] - 0.01 <= 0.95 <= p["26-conscription"].p_hit_ci95[1] + 0.01
    j0, j9 = independent.joint, common.joint
    a, b = j0.ids.index("5-par"), j0.ids.index("27-drug-free")
    assert abs(j0.correlation()[a, b]) < 0.05 < j9.correlation()[a, b]
    assert common.joint.p_all("party") > independent.joint.p_all("party")


def test_results_json_has_the_joint_section(tmp_path):
    import json

    assert main([str(BASE), "--paths", "2000", "--out", str(tmp_path), "--format", "json"]) == 0
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert {"scenario", "targets", "provenance", "joint"} <= set(data)
    assert {g["group"] for g in data["joint"]["groups"]} >= {"economy", "society", "environment", "infrastructure", "all_modelled"}
    n = len(data["joint"]["targets"])
    assert len(data["joint"]["cohits"]) == n and len(data["joint"]["correlation"][0]) == n
    for name in ("joint_groups.csv", "joint_cohits.csv", "joint_correlation.csv"):
        assert (tmp_path / name).is_file()


def test_cli_given_prints_conditionals(capsys):
    assert main([str(BASE), "--paths", "2000", "--no-write", "--given", "1c"]) == 0
    out = capsys.readouterr().out
    assert "P(each target | 1c hit)" in out and "P(hit | given)" in out


def test_cli_given_unknown_target_is_a_clean_error(capsys):
    assert main([str(BASE), "--paths", "500", "--no-write", "--given", "99z"]) == 2
    err = capsys.readouterr().err
    assert "--given" in err and "99z" in err and "Traceback" not in err
