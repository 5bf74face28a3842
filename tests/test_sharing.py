"""What variants on one draw share, and how the chunks are cut for the workers: the shortcuts
change no number."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import draws
from simulator.engine import path_values, simulate
from simulator.inputs import resolve
from simulator.runner import Variant, _batches, _tapered, _values_key, run_variants
from simulator.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "scenarios" / "base.toml"
VARIANTS = REPO / "scenarios" / "variants"


def _inputs(path=BASE, **settings):
    return resolve(load_scenario(path, **settings))


def test_lever_variants_share_path_values_and_a_calibration_change_does_not():
    base, lever = _inputs(), _inputs(VARIANTS / "investment_40.toml")
    climate = _inputs(VARIANTS / "climate_saline.toml")
    assert _values_key(base) == _values_key(lever)
    assert _values_key(base) != _values_key(climate)
    assert _values_key(base) != _values_key(_inputs(volatility_scale=0.5))


def test_variants_run_together_give_the_numbers_of_separate_runs():
    files = [BASE, VARIANTS / "investment_40.toml", VARIANTS / "climate_saline.toml", VARIANTS / "plan_all.toml"]
    variants = [Variant(_inputs(f, paths=6000, chunk_size=4096, block_size=2048)) for f in files]
    together = run_variants(variants).results
    for variant, result in zip(variants, together):
        alone = run_variants([variant]).results[0].to_dict()
        shared = result.to_dict()
        alone.pop("provenance"), shared.pop("provenance")
        assert shared == alone, variant.label


def test_a_fixed_parameter_variant_beside_the_base_keeps_its_own_values():
    inputs = _inputs(paths=3000)
    fixed = Variant(inputs, fixed={"production.capital_share": 0.45}, name="fixed")
    together = run_variants([Variant(inputs), fixed]).results[1].to_dict()
    alone = run_variants([fixed]).results[0].to_dict()
    together.pop("provenance"), alone.pop("provenance")
    assert together == alone


def test_path_values_of_some_paths_are_those_of_their_draws():
    inputs = _inputs()
    drawn = draws.draw(inputs.contract, draws.chunks(3000, inputs.contract.block_size, 3000)[0])
    paths = np.array([5, 17, 2999, 0])
    taken = path_values(inputs, drawn).take(paths)
    direct = path_values(inputs, drawn.take(paths))
    np.testing.assert_array_equal(taken.prior_hits, direct.prior_hits)
    for values, expected in ((taken.parameters, direct.parameters),
                             (taken.satellite_parameters, direct.satellite_parameters)):
        assert values.keys() == expected.keys()
        for name in values:
            np.testing.assert_array_equal(values[name], expected[name], err_msg=name)
    given_values = simulate(inputs, drawn.take(paths), values=taken).series
    for metric, series in simulate(inputs, drawn.take(paths)).series.items():
        np.testing.assert_array_equal(given_values[metric], series, err_msg=metric)


def test_counting_hits_only_gives_the_paired_counts_of_a_full_run():
    inputs = _inputs(paths=5000)
    plan = _inputs(VARIANTS / "plan_all.toml", paths=5000)
    full = run_variants([Variant(inputs), Variant(plan)])
    light = run_variants([Variant(inputs, counts_only=True), Variant(plan, counts_only=True)])
    assert light.results == () and light.paths == full.paths == 5000
    np.testing.assert_array_equal(light.paired.both, full.paired.both)
    with pytest.raises(ValueError, match="counts hits only"):
        run_variants([Variant(inputs, counts_only=True), Variant(plan)])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400), st.integers(1, 16), st.integers(1, 4), st.integers(1, 8))
def test_tapered_batches_hold_every_block_once_in_order(n_blocks, blocks_per_chunk, workers, variants):
    block = 100
    work = draws.chunks(n_blocks * block - 7, block, blocks_per_chunk * block)
    batches = _batches(work, workers, variants)
    tapered = _tapered(batches, workers)
    flat = [b for batch in tapered for chunk in batch for b in chunk]
    assert flat == [b for chunk in work for b in chunk]
    assert all(batch and all(batch) for batch in tapered)
    # the last batches are cut in two: by whole chunks, or a lone chunk by its blocks (when each
    # half keeps two)
    assert len(tapered) >= len(batches)
    most_chunks = max(len(batch) for batch in batches)
    for piece in tapered[-2 * workers:]:
        if most_chunks >= 2:
            assert len(piece) <= -(-most_chunks // 2)
        else:
            assert len(piece[0]) <= max(3, -(-blocks_per_chunk // 2))


def test_map_tasks_keeps_the_order_on_workers_and_reports_each_item():
    from simulator.runner import map_tasks

    items = [np.arange(k, k + 3) for k in range(9)]
    seen = []
    out = map_tasks(np.add, np.array([10, 20, 30]), items, workers=2, on_done=seen.append)
    assert [o.tolist() for o in out] == [(np.array([10, 20, 30]) + i).tolist() for i in items]
    assert sorted(seen) == list(range(9))
    assert [o.tolist() for o in map_tasks(np.add, 1, items)] == [(i + 1).tolist() for i in items]


def test_a_worker_gets_no_outside_view_and_never_imports_pandas(tmp_path):
    """The outside view's reference (the panel's rows) stays in this process: a worker that
    unpickles its set-up imports numpy and the engine only (pandas would cost it 0.3 s)."""
    import subprocess
    import sys

    from simulator.runner import _for_workers, _payload, _setups

    inputs = _inputs()
    assert inputs.outside_view is not None
    payload = tmp_path / "payload.pickle"
    payload.write_bytes(_payload(_setups, _for_workers([Variant(inputs)])))
    code = ("import pickle, sys; build, argument = pickle.loads(open(sys.argv[1], 'rb').read()); build(argument); "
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(payload)], capture_output=True, text=True, check=True,
                         cwd=REPO)
    assert out.stdout.strip() == "False"
