"""The files of a run: one complete set or the previous one, never NaN, never over a folder
without --force, every output-folder fault in one line."""

import json
import math
import os
import resource
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, assert_cli_fails

from simulator.cli import main
from simulator.folder import check_target, recover, write_folder
from simulator.integrity import OutputIntegrityError, check_results, check_table, results_json
from simulator.table import Table
from simulator.errors import InputError
from simulator.output import PARQUET_FILES, RESULT_FILES, output_files, write_set

RUN = ["scenarios/base.toml", "--paths", "300", "--quiet"]


@pytest.fixture(scope="module")
def small_result():
    import simulator

    return simulator.run(REPO / "scenarios" / "base.toml", paths=300)


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_run_writes_its_set_and_no_hidden_file(capsys, tmp_path):
    out = tmp_path / "results"
    assert main([*RUN, "--out", str(out)]) == 0
    names = _listing(out)
    assert set(RESULT_FILES) <= set(names) <= set(RESULT_FILES + PARQUET_FILES)
    assert not any(n.startswith(".") for n in _listing(tmp_path))  # no temporary sibling either
    json.loads((out / "results.json").read_text(encoding="utf-8"),
               parse_constant=lambda c: pytest.fail(f"{c} in results.json"))


@pytest.mark.parametrize("argv", [RUN, ["solve", "scenarios/base.toml", "--target", "1c", "--lever", "investment_share",
                                          "--deterministic"]])
def test_written_files_are_readable_as_new_files_are(capsys, tmp_path, argv):
    """0666 less the umask, not the 0600 of the temporary file each one is renamed from."""
    out = tmp_path / "results"
    previous = os.umask(0o022)
    try:
        assert main([*argv, "--out", str(out)]) == 0
    finally:
        os.umask(previous)
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in out.iterdir()}
    assert modes and set(modes.values()) == {oct(0o644)}, modes


def test_an_existing_results_folder_needs_force(capsys, tmp_path):
    out = tmp_path / "results"
    assert main([*RUN, "--out", str(out), "--seed", "1"]) == 0
    before = {n: (out / n).read_bytes() for n in _listing(out)}
    capsys.readouterr()
    assert_cli_fails(capsys, [*RUN, "--out", str(out), "--seed", "2"], "results", "--force")
    assert {n: (out / n).read_bytes() for n in _listing(out)} == before
    assert main([*RUN, "--out", str(out), "--seed", "2", "--force"]) == 0
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["seed"] == 2
    assert not any(n.startswith(".") for n in _listing(tmp_path))


def test_force_never_replaces_a_folder_with_other_files(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert_cli_fails(capsys, [*RUN, "--out", str(tmp_path), "--force"], "notes.txt", "not results of a run")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_an_empty_folder_is_used_without_force(capsys, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert main([*RUN, "--out", str(out)]) == 0


def test_a_file_in_place_of_the_folder(capsys, tmp_path):
    (tmp_path / "results").write_text("x", encoding="utf-8")
    assert_cli_fails(capsys, [*RUN, "--out", str(tmp_path / "results")], "results", "not a folder")


def test_the_folder_check_comes_before_any_work(capsys, tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "results.json").write_text("{}", encoding="utf-8")
    # a million-path run would take seconds: the refusal must come first
    assert_cli_fails(capsys, ["scenarios/base.toml", "--paths", "100000000", "--out", str(out)], "--force")


def _immutable(folder) -> bool:
    """Make a folder read-only even for root (chattr +i); False where that is not possible."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return True
    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0


def _mutable(folder) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o755)
    else:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)


def test_a_read_only_folder(capsys, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    if not _immutable(locked):
        pytest.skip("cannot make a read-only folder here")
    try:
        assert_cli_fails(capsys, [*RUN, "--out", str(locked / "results")], "locked", "cannot write")
    finally:
        _mutable(locked)


def test_a_full_disk(tmp_path):
    """Writes past RLIMIT_FSIZE fail with EFBIG, as a full disk fails with ENOSPC: one line, exit 2."""
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    out = tmp_path / "results"
    done = subprocess.run([sys.executable, "-m", "simulator", *RUN, "--out", str(out)], cwd=REPO, capture_output=True,
                          text=True, preexec_fn=limit, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "cannot write the results" in done.stderr and str(out) in done.stderr
    assert not out.exists() and not any(n.startswith(".") for n in _listing(tmp_path))


def test_stale_temporary_folders_of_dead_runs_are_removed(tmp_path):
    dead = 2**22 + 12345  # above the default pid_max: no such process
    stale = tmp_path / f".results.tmp-{dead}-abcd"
    stale.mkdir()
    (stale / "results.json").write_text("{}", encoding="utf-8")
    write_folder(tmp_path / "results", {"results.json": b"{}\n"}, force=False)
    assert _listing(tmp_path) == ["results"]


def test_an_old_folder_set_aside_by_a_killed_run_is_put_back(tmp_path):
    dead = 2**22 + 12345
    old = tmp_path / f".results.old-{dead}-abcd"
    old.mkdir()
    (old / "results.json").write_text('{"seed": 1}', encoding="utf-8")
    recover(tmp_path / "results")
    assert (tmp_path / "results" / "results.json").read_text(encoding="utf-8") == '{"seed": 1}'
    assert _listing(tmp_path) == ["results"]


def test_write_folder_replaces_the_whole_set(tmp_path):
    target = tmp_path / "results"
    write_folder(target, {"a.csv": b"1", "b.csv": b"2"}, force=False)
    write_folder(target, {"a.csv": b"3"}, force=True, known={"a.csv", "b.csv"})
    assert _listing(target) == ["a.csv"] and (target / "a.csv").read_bytes() == b"3"
    with pytest.raises(Exception, match="--force"):
        check_target(target, force=False, known={"a.csv"})


# ---------------------------------------------------------------- no NaN, ever


def test_results_are_checked_for_non_finite_numbers(small_result):
    payload = small_result.to_dict()
    payload["targets"][0]["p_hit"] = float("nan")
    with pytest.raises(OutputIntegrityError, match=r"results.targets\[0\].p_hit is nan"):
        check_results(payload)
    payload = small_result.to_dict()
    payload["joint"]["groups"][0]["expected_hits"] = float("inf")
    with pytest.raises(OutputIntegrityError, match="expected_hits is inf"):
        results_json(payload)
    payload = small_result.to_dict()
    payload["targets"][0]["p_hit"] = None
    with pytest.raises(OutputIntegrityError, match="p_hit is missing"):
        check_results(payload)


def test_tables_are_checked_for_infinity():
    with pytest.raises(OutputIntegrityError, match="column 'x', row 1"):
        check_table("t.csv", Table({"x": [1.0, np.inf], "y": ["a", "b"]}))
    with pytest.raises(OutputIntegrityError, match="column 'z', row 0"):  # the first infinite cell, row by row
        check_table("t.csv", Table({"x": [1.0, -np.inf], "z": [np.inf, 2.0]}))
    check_table("t.csv", Table({"x": [1.0, np.nan, None], "y": ["inf", "b", "c"]}))  # NaN: an empty cell, allowed


def test_undefined_values_are_null_not_nan(small_result):
    payload = json.loads(output_files(small_result)["results.json"])
    correlation = payload["joint"]["correlation"]
    assert any(x is None for row in correlation for x in row)  # targets hit on no path have no correlation
    assert all(x is None or math.isfinite(x) for row in correlation for x in row)


def test_a_bug_producing_nan_exits_1_and_writes_nothing(capsys, tmp_path, monkeypatch):
    """An engine fault (simulated here by a result whose JSON would hold NaN) is reported as a bug."""
    import simulator.results as results

    original = results.Result.to_dict
    monkeypatch.setattr(results.Result, "to_dict",
                        lambda self: {**original(self), "paths": float("nan")})
    out = tmp_path / "results"
    assert main([*RUN, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" in err and "results.paths is nan" in err
    assert not out.exists()


# ---------------------------------------------------------------- Parquet


def test_parquet_files_only_with_pyarrow(small_result, monkeypatch):
    files = output_files(small_result)
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        assert not set(PARQUET_FILES) & set(files)
    else:
        import io

        frame = pd.read_parquet(io.BytesIO(files["targets.parquet"]))
        assert frame["threshold"].dtype == float and len(frame) == len(small_result.targets)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as on a machine without the extra
    without = output_files(small_result)
    assert set(without) == set(RESULT_FILES)


def test_the_other_commands_write_their_files_as_one_set(tmp_path, monkeypatch):
    """compare, solve, report, backtest and calibrate write several files: a failure while writing
    any of them (here the disk refuses the second flush) leaves every old file as it was."""
    import errno

    from simulator import output

    old = {"a.csv": "old a\n", "sub/b.md": "old b\n"}
    for name, text in old.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    new = [(tmp_path / "a.csv", "new a\n"), (tmp_path / "sub/b.md", b"new b\n"), (tmp_path / "c.json", "{}\n")]
    flushes = []
    real_fsync = os.fsync

    def fsync(fd):
        flushes.append(fd)
        if len(flushes) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(output.os, "fsync", fsync)
    with pytest.raises(InputError, match="No space left") as caught:
        write_set(new)
    assert "b.md" in str(caught.value)
    assert {name: (tmp_path / name).read_text(encoding="utf-8") for name in old} == old
    assert not (tmp_path / "c.json").exists()
    assert _listing(tmp_path) == ["a.csv", "sub"] and _listing(tmp_path / "sub") == ["b.md"]

    monkeypatch.setattr(output.os, "fsync", real_fsync)
    assert write_set(new) == [path for path, _ in new]
    assert [path.read_bytes() for path, _ in new] == [b"new a\n", b"new b\n", b"{}\n"]
    umask = os.umask(0)
    os.umask(umask)
    assert all((path.stat().st_mode & 0o777) == (0o666 & ~umask) for path, _ in new)
    assert _listing(tmp_path) == ["a.csv", "c.json", "sub"]


_HUGE = ["--paths", "100000000"]  # seconds of work: a refusal must come first
_WRITERS = {
    "compare": ["compare", "scenarios/base.toml", "scenarios/variants/investment_40.toml", *_HUGE],
    "solve": ["solve", "scenarios/base.toml", "--target", "1c", "--lever", "investment_share", *_HUGE],
    "update": ["update", "scenarios/base.toml", "--observed", "{observed}", *_HUGE],
    "sensitivity": ["sensitivity", "scenarios/base.toml", "--targets", "1c", *_HUGE],
    "report": ["report", "scenarios/base.toml", *_HUGE],
    "audit": ["audit", "scenarios/base.toml"],
    "backtest": ["backtest", "calibration/calibrate.toml", "--paths", "100000"],
}


@pytest.mark.parametrize("command", sorted(_WRITERS))
def test_no_command_writes_into_a_folder_of_files_without_force(capsys, tmp_path, command):
    observed = tmp_path / "observed.csv"
    observed.write_text("year,metric,value,unit,source\n2026,grdp_real_growth,6.0,%/yr,test\n", encoding="utf-8")
    argv = [str(observed) if a == "{observed}" else a for a in _WRITERS[command]]
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert_cli_fails(capsys, [*argv, "--out", str(out)], str(out), "--force")
    assert _listing(out) == ["notes.txt"]
    (tmp_path / "a_file").write_text("", encoding="utf-8")
    assert_cli_fails(capsys, [*argv, "--out", str(tmp_path / "a_file")], "not a folder")


def test_with_force_a_command_replaces_its_files_and_keeps_the_others(capsys, tmp_path):
    out = tmp_path / "out"
    argv = ["solve", "scenarios/base.toml", "--target", "1c", "--lever", "investment_share", "--deterministic",
            "--out", str(out)]
    assert main(argv) == 0
    first = (out / "solve_deterministic.json").read_bytes()
    (out / "solve_deterministic.json").write_text("stale\n", encoding="utf-8")
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert main(argv + ["--force"]) == 0
    assert (out / "solve_deterministic.json").read_bytes() == first
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    capsys.readouterr()


def test_a_report_replaces_its_whole_folder_and_nothing_else(capsys, tmp_path):
    """A new report takes the old report folder's place (no chart of the earlier report stays);
    a folder holding anything but report files is refused before any work, even with --force."""
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.md").write_text("old\n", encoding="utf-8")
    (out / "fan_old_series.png").write_bytes(b"old chart")
    argv = ["report", "scenarios/base.toml", "--paths", "300", "--quiet", "--out", str(out)]
    assert_cli_fails(capsys, argv, "--force")
    assert main(argv + ["--force"]) == 0
    names = _listing(out)
    assert "fan_old_series.png" not in names and "report.md" in names and "index.html" in names
    assert (out / "report.md").read_text(encoding="utf-8") != "old\n"
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert_cli_fails(capsys, ["report", "scenarios/base.toml", *_HUGE, "--out", str(out), "--force"], "notes.txt",
                     "not results of a report", "only a report folder")
    assert "notes.txt" in _listing(out) and not any(n.startswith(".") for n in _listing(tmp_path))
    (out / "notes.txt").unlink()
    (out / "my_notes.md").write_text("mine\n", encoding="utf-8")  # Markdown, but not the report's
    assert_cli_fails(capsys, ["report", "scenarios/base.toml", *_HUGE, "--out", str(out), "--force"], "my_notes.md")
    assert (out / "my_notes.md").read_text(encoding="utf-8") == "mine\n"


def test_write_set_finishes_the_set_before_a_ctrl_c_acts(tmp_path, monkeypatch):
    """A Ctrl-C that arrives while the temporary files are written waits for the set to be in
    place and no temporary left, then acts (KeyboardInterrupt)."""
    import signal

    from simulator import output

    new = [(tmp_path / "a.csv", "a\n"), (tmp_path / "b.md", "b\n")]
    real_mkstemp = output.tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        created = real_mkstemp(*args, **kwargs)
        signal.raise_signal(signal.SIGINT)  # between the temporary's creation and its note
        return created

    monkeypatch.setattr(output.tempfile, "mkstemp", mkstemp)
    with pytest.raises(KeyboardInterrupt):
        write_set(new)
    assert [path.read_text(encoding="utf-8") for path, _ in new] == ["a\n", "b\n"]
    assert _listing(tmp_path) == ["a.csv", "b.md"]
