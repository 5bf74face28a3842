"""Runs interrupted at random moments (SIGINT, SIGTERM, SIGKILL) leave the output folder holding
the previous complete set of files or the new complete set, never a mixture, never a hidden
temporary file inside it; a killed run's temporary sibling folder goes with the next run."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

from simulator.cli import main

PATHS = "20000"
#: Exit statuses each signal may end a run with: done before the signal came, handled (130, 143),
#: or ended by the signal itself (before the handler is installed, or SIGKILL).
ALLOWED = {signal.SIGINT: {0, 130, -signal.SIGINT}, signal.SIGTERM: {0, 143, -signal.SIGTERM},
           signal.SIGKILL: {0, -signal.SIGKILL}}


def _start(argv: list[str], **options) -> subprocess.Popen:
    """``python -m simulator ARGV`` with Ctrl-C handled as in a terminal: a background job of a
    non-interactive shell (CI, a tool runner) inherits SIGINT ignored, and Python keeps it so."""
    restore = (lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) if os.name == "posix" else None
    return subprocess.Popen([sys.executable, "-m", "simulator", *argv], cwd=REPO, preexec_fn=restore, **options)


def _content(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def _argv(seed: int, out: Path) -> list[str]:
    return ["scenarios/base.toml", "--paths", PATHS, "--seed", str(seed), "--out", str(out), "--force", "--quiet",
            "--format", "json"]


def _interrupt_runs(tmp_path: Path, kills: int, rng: random.Random) -> dict:
    references = {}
    for seed in (1, 2):  # the two complete sets a run can leave
        folder = tmp_path / "references" / str(seed)
        assert main(_argv(seed, folder)) == 0
        references[seed] = _content(folder)
    work = tmp_path / "work"
    work.mkdir()
    out = work / "results"
    assert main(_argv(1, out)) == 0
    current, seen = 1, {"previous": 0, "new": 0}
    started = time.monotonic()
    process = _start(_argv(2, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    process.wait()
    duration = time.monotonic() - started  # how long one run takes here, to spread the kills over it
    current = 2
    for k in range(kills):
        sig = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)[k % 3]
        seed = 1 if current == 2 else 2
        process = _start(_argv(seed, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.0, duration * 1.1))
        process.send_signal(sig)
        _, err = process.communicate(timeout=120)
        assert process.returncode in ALLOWED[sig], (sig, process.returncode, err)
        content = _content(out)
        assert not [name for name in content if name.startswith(".")], sorted(content)
        if content == references[seed]:
            current, seen["new"] = seed, seen["new"] + 1
        else:
            assert content == references[current], f"after {sig!r}: a mixture of sets ({sorted(content)})"
            seen["previous"] += 1
        if sig != signal.SIGKILL:  # a handled signal removes the run's temporary folder on the way out
            hidden = [p.name for p in work.iterdir() if p.name.startswith(".")]
            assert not hidden or process.returncode == -sig, hidden
    assert main(_argv(1, out)) == 0  # a complete run tidies what SIGKILL left beside the folder
    assert sorted(p.name for p in work.iterdir()) == ["results"]
    return seen


def test_interrupted_runs_leave_one_complete_set(tmp_path):
    seen = _interrupt_runs(tmp_path, kills=6, rng=random.Random(13))
    assert sum(seen.values()) == 6


@pytest.mark.slow
def test_interrupted_runs_leave_one_complete_set_many_times(tmp_path):
    seen = _interrupt_runs(tmp_path, kills=60, rng=random.Random(int(time.time())))
    assert sum(seen.values()) == 60


#: A run long enough to be interrupted on two worker processes.
_LONG_RUN = ["scenarios/base.toml", "--paths", "50000000", "--no-write", "--quiet", "--workers", "2"]


@pytest.mark.parametrize("after", [0.3, 4.0], ids=["while importing", "while running"])
def test_ctrl_c_is_one_line_and_status_130(after):
    process = _start(_LONG_RUN, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)  # the worker processes are stopped, not waited for
    assert process.returncode == 130, err
    assert err == "simulate: interrupted\n"


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM is POSIX")
@pytest.mark.parametrize("after", [0.3, 4.0], ids=["while importing", "while running"])
def test_sigterm_is_one_line_and_status_143(after):
    process = _start(_LONG_RUN, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143 and err == "simulate: terminated\n", err
