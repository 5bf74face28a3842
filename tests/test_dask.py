"""The Dask backend gives the numbers of a local run, bit for bit, on a LocalCluster started here."""

import json

import pytest
from conftest import REPO

import simulator
from simulator.cli import main
from simulator.integrity import results_json

distributed = pytest.importorskip("dask.distributed")

BASE = REPO / "scenarios" / "base.toml"


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as cluster:
        yield cluster.scheduler_address


def _json(result) -> str:
    """results.json as text."""
    return results_json(result.to_dict())


def test_results_json_is_the_same_for_every_chunk_size_worker_count_and_backend(scheduler):
    """The same file, byte for byte: chunk sizes 1,000 (one block a chunk), 16,384 and 100,000,
    one and two local workers, and the Dask backend (the issue's matrix)."""
    local = _json(simulator.run(BASE, paths=30_000, chunk_size=16_384))
    for chunk in (1_000, 16_384, 100_000):
        assert _json(simulator.run(BASE, paths=30_000, chunk_size=chunk)) == local, chunk
        assert _json(simulator.run(BASE, paths=30_000, chunk_size=chunk, workers=2)) == local, chunk
        assert _json(simulator.run(BASE, paths=30_000, chunk_size=chunk, dask=scheduler)) == local, chunk


def test_variants_on_dask_keep_their_paired_counts(scheduler):
    from simulator.inputs import resolve
    from simulator.runner import Variant, run_variants
    from simulator.scenario import load_scenario

    plan = REPO / "scenarios" / "variants" / "investment_40.toml"
    variants = [Variant(resolve(load_scenario(f, paths=8_000))) for f in (BASE, plan)]
    local, remote = run_variants(variants), run_variants(variants, dask=scheduler)
    assert [_json(r) for r in remote.results] == [_json(r) for r in local.results]
    assert (remote.paired.both == local.paired.both).all()


def test_cli_dask_local_prints_the_local_numbers(capsys):
    argv = ["scenarios/base.toml", "--paths", "4000", "--no-write", "--quiet", "--format", "json"]
    assert main(argv) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(argv + ["--dask", "local"]) == 0
    assert json.loads(capsys.readouterr().out) == local


def test_compare_on_dask_prints_the_local_comparison(scheduler, capsys):
    argv = ["compare", "scenarios/base.toml", "scenarios/variants/investment_40.toml", "--paths", "4000", "--no-write",
            "--format", "json"]
    assert main(argv) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(argv + ["--dask", scheduler]) == 0
    assert json.loads(capsys.readouterr().out) == local


def test_an_unreachable_scheduler_is_one_line_and_status_2(capsys, monkeypatch):
    from simulator import dask_backend

    monkeypatch.setattr(dask_backend, "CONNECT_TIMEOUT", "1s")
    assert main(["scenarios/base.toml", "--paths", "2000", "--no-write", "--dask", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--dask" in err[0] and "cannot reach a dask scheduler" in err[0]


def test_solve_all_on_dask_prints_the_local_table(scheduler, capsys):
    argv = ["solve", "scenarios/base.toml", "--all", "--lever", "investment_share", "--grid", "3", "--paths", "3000",
            "--no-write", "--format", "json"]
    assert main(argv) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(argv + ["--dask", scheduler]) == 0
    assert json.loads(capsys.readouterr().out) == local


def test_one_target_on_dask_and_on_workers_solves_as_locally(scheduler, capsys):
    argv = ["solve", "scenarios/base.toml", "--target", "1c", "--lever", "investment_share", "--paths", "6000",
            "--chunk-size", "2048", "--set", "montecarlo.block_size=1024", "--no-write", "--format", "json"]
    assert main(argv) == 0
    local = json.loads(capsys.readouterr().out)
    for where in (["--dask", scheduler], ["--workers", "2"]):
        assert main(argv + where) == 0
        assert json.loads(capsys.readouterr().out) == local, where


def test_dask_for_the_deterministic_path_is_refused_with_the_reason(capsys):
    argv = ["solve", "scenarios/base.toml", "--target", "1c", "--lever", "investment_share", "--deterministic",
            "--no-write", "--dask", "local"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--dask" in err[0] and "--deterministic" in err[0]


def test_sensitivity_on_dask_is_the_local_analysis(scheduler, capsys):
    argv = ["sensitivity", "scenarios/base.toml", "--targets", "1c", "--samples", "16", "--inner", "4", "--paths",
            "1024", "--resamples", "49", "--no-write", "--format", "json", "--quiet"]
    assert main(argv) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(argv + ["--dask", scheduler]) == 0
    assert json.loads(capsys.readouterr().out) == local
