"""Worker processes kept for a command: one pool serves every phase, starts ahead of its first
use, is terminated when a phase fails, and nothing outlives the command."""

import multiprocessing
import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import pool
from simulator.draws import chunks
from simulator.runner import map_tasks


def _process_of(state, item):
    """The process that ran an item (slow enough that the parent cannot run them all)."""
    time.sleep(0.05)
    return os.getpid()


def _fails_on_three(state, item):
    if item == 3:
        raise ValueError("item three")
    return item


def _workers_that_ran(items=6) -> set[int]:
    return set(map_tasks(_process_of, None, range(items), workers=2)) - {os.getpid()}


def test_a_command_keeps_its_workers_for_every_phase_and_ends_them():
    with pool.kept_pools():
        pool.start(1)
        assert len(multiprocessing.active_children()) == 1  # started ahead of the first phase
        first, second = _workers_that_ran(), _workers_that_ran()
        assert first and first == second
    assert multiprocessing.active_children() == []


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads the process table in /proc")
def test_a_command_leaves_no_process_behind():
    """multiprocessing's resource tracker, started with the first pool, is ended and reaped with
    the command: no process of the command's group outlives it (before, the tracker ended after
    the command and stayed a zombie until the system reaped it)."""
    import subprocess
    import sys
    from pathlib import Path

    command = subprocess.Popen([sys.executable, "-m", "simulator", "scenarios/base.toml", "--paths", "40000",
                                "--workers", "2", "--no-write", "--quiet"], cwd=Path(__file__).resolve().parents[1],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    _, errors = command.communicate(timeout=300)
    assert command.returncode == 0, errors.decode()
    group = command.pid  # the session's leader: its group id is its pid
    left = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # not a process, or one that just ended
        if int(fields[2]) == group:
            left.append((entry.name, fields[0]))
    assert left == [], f"processes of the command's group still there (pid, state): {left}"


def test_without_a_command_each_use_has_its_own_workers():
    first, second = _workers_that_ran(), _workers_that_ran()
    assert first and second and first.isdisjoint(second)
    assert multiprocessing.active_children() == []


def test_a_failed_phase_ends_the_kept_workers_and_the_next_phase_starts_new_ones():
    with pool.kept_pools():
        before = _workers_that_ran()
        with pytest.raises(ValueError, match="item three"):
            map_tasks(_fails_on_three, None, range(8), workers=2)
        after = _workers_that_ran()
        assert before and after and before.isdisjoint(after)
    assert multiprocessing.active_children() == []


def test_an_error_in_the_command_terminates_its_workers():
    with pytest.raises(KeyError):
        with pool.kept_pools():
            pool.start(1)
            raise KeyError("the command failed")
    assert multiprocessing.active_children() == []


def test_start_outside_a_command_starts_nothing():
    pool.start(1)
    assert multiprocessing.active_children() == []


@settings(deadline=None)
@given(paths=st.integers(1, 10**6), block=st.integers(64, 10**5), chunk=st.integers(1, 10**6), workers=st.integers(1, 8))
def test_workers_start_early_only_for_a_run_of_several_chunks(paths, block, chunk, workers):
    several = len(chunks(paths, block, chunk)) > 1
    assert pool.processes_for(workers, paths=paths, block_size=block, chunk_size=chunk) == (workers - 1 if several else 0)


def test_more_workers_than_cores_run_on_the_cores_and_say_so(capsys, monkeypatch):
    """--workers above the cores is capped (each extra process only costs its start-up), with a
    note on stderr; the numbers are the same as on one process."""
    import json

    from simulator.cli import main

    monkeypatch.setattr(pool, "cores", lambda: 1)
    started = []
    monkeypatch.setattr(pool, "WorkerPool", lambda n: started.append(n))
    argv = ["scenarios/base.toml", "--paths", "20000", "--chunk-size", "8192", "--no-write", "--quiet", "--format", "json"]
    assert main(argv + ["--workers", "7"]) == 0
    capped = capsys.readouterr()
    assert "--workers 7 is more than the 1 core here: running 1" in capped.err
    assert started == []  # no worker process: one core runs every chunk here
    assert main(argv + ["--workers", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["targets"] == json.loads(capped.out)["targets"]
    assert pool.at_most_cores(None) is None and pool.at_most_cores(1) == 1
