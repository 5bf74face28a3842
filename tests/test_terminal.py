"""Everyday use: tables that fit the terminal, filters, the progress line, the Vietnamese words,
the notebook view and the frames' units."""

import io

import numpy as np
import pytest
from conftest import REPO, assert_cli_fails

import simulator
from simulator.cli import main
from simulator.output import labels, render_joint, render_table
from simulator.terminal import ProgressLine, fit_table, shorten


@pytest.fixture(scope="module")
def result():
    return simulator.run(REPO / "scenarios" / "base.toml", paths=400)


def test_fit_table_shortens_then_drops_in_the_order_given():
    head = ("id", "name", "a", "b")
    rows = [("1", "x" * 40, "aaaa", "bbbb")]
    same = fit_table(head, rows, width=None, steps=(("shorten", 1, 10),))
    assert same == (head, rows, [0, 1, 2, 3])
    fitted_head, fitted, kept = fit_table(head, rows, width=30, steps=(("shorten", 1, 20), ("drop", 3),
                                                                        ("shorten", 1, 5)))
    # 2 + 40 + 4 + 4 (+ 6 between) > 30: the name stops at its first floor (20): 36, still too wide;
    # b goes: 2 + 20 + 4 (+ 4) = 30 fits, so the second shortening is not needed
    assert kept == [0, 1, 2] and fitted_head == ("id", "name", "a")
    assert len(fitted[0][1]) == 20 and fitted[0][1].endswith("…")
    _, tighter, _ = fit_table(head, rows, width=20, steps=(("shorten", 1, 20), ("drop", 3), ("shorten", 1, 5)))
    assert len(tighter[0][1]) == 20 - 2 - 4 - 4


def test_shorten_marks_the_cut():
    assert shorten("abcdef", 4) == "abc…" and shorten("abc", 4) == "abc"


@pytest.mark.parametrize("width", [80, 100, 120, 140])
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_tables_fit_the_width(result, width, lang):
    for text in (render_table(result, lang=lang, width=width), render_joint(result, lang=lang, width=width)):
        assert max(len(line) for line in text.splitlines()) <= width, text


def test_wide_shows_every_column_and_full_names(result):
    text = render_table(result, width=None)
    words = labels("en")
    assert words["ci"] in text and words["band"] in text
    assert "Exports of goods and services and foreign-currency earnings in 2030" in text
    narrow = render_table(result, width=100)
    assert "Columns left out" in narrow and "--wide" in narrow


@pytest.mark.parametrize("columns", ["80", "100"])
def test_the_terminal_width_comes_from_columns(capsys, monkeypatch, columns):
    """Everything the run prints fits: the targets, the joint table, the outside view."""
    monkeypatch.setenv("COLUMNS", columns)
    assert main(["scenarios/base.toml", "--paths", "200", "--no-write", "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= int(columns)
    assert main(["scenarios/base.toml", "--paths", "200", "--no-write", "--quiet", "--wide"]) == 0
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) > 100


def test_targets_and_group_filters(result, capsys):
    text = render_table(result, targets=["1a", "15-level"])
    rows = [line.split()[0] for line in text.splitlines()[3:] if line and line.split()[0] in {t.id for t in result.targets}]
    assert rows == ["1a", "15-level"]
    economy = render_table(result, group="economy")
    ids = {line.split()[0] for line in economy.splitlines()[3:] if line.strip()}
    assert "1a" in ids and "15-level" not in ids
    joint = render_joint(result, group="economy")
    assert "economy" in joint and "society" not in joint
    assert_cli_fails(capsys, ["scenarios/base.toml", "--no-write", "--targets", "15-levl"], "--targets",
                     "'15-level'")
    assert_cli_fails(capsys, ["scenarios/base.toml", "--no-write", "--group", "economi"], "--group", "economy")
    assert_cli_fails(capsys, ["scenarios/base.toml", "--no-write", "--given", "21"], "--given", "not an evaluated")


def test_the_outside_view_follows_the_targets_shown(capsys):
    assert main(["scenarios/base.toml", "--paths", "300", "--no-write", "--quiet", "--targets", "1c", "9"]) == 0
    view = capsys.readouterr().out.split("Outside view")[1]
    assert "1c " in view and "1a " not in view and "1b " not in view
    assert main(["scenarios/base.toml", "--paths", "300", "--no-write", "--quiet", "--targets", "9"]) == 0
    assert "Outside view" not in capsys.readouterr().out  # 9 has no reference class: no table


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_line_on_a_terminal_only():
    stream = _Terminal()
    line = ProgressLine(stream=stream, interval=0.0)
    line(50_000, 200_000)
    line(200_000, 200_000)
    line.close()
    text = stream.getvalue()
    assert "50,000 of 200,000 paths (25%)" in text and "left" in text and text.endswith("\r\x1b[K")
    quiet, piped = _Terminal(), io.StringIO()
    ProgressLine(stream=quiet, enabled=False)(1, 2)
    ProgressLine(stream=piped)(1, 2)
    assert quiet.getvalue() == "" and piped.getvalue() == ""


def test_the_runner_reports_progress_once_per_chunk():
    calls = []
    simulator.run(REPO / "scenarios" / "base.toml", paths=3000, chunk_size=1024, block_size=1024,
                  progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1024, 3000), (2048, 3000), (3000, 3000)]


# ---------------------------------------------------------------- Vietnamese


def test_plain_vietnamese_words():
    words = labels("vi")

    def strings(table):
        for value in table.values():
            yield from strings(value) if isinstance(value, dict) else [str(value)]

    text = " ".join(strings(words)).lower()  # every table: terminal, report, outside view
    for calque in ("hạt giống", "đường mô phỏng", "tiên nghiệm", "hệ số nâng", "kỳ vọng"):
        assert calque not in text, calque
    assert "lần mô phỏng" in words["title"] and words["expected_hits"] == "số chỉ tiêu đạt bình quân"


def test_counts_and_ranks_print_without_decimals(result):
    text = render_table(result, lang="vi", targets=["5-pci", "18-new-rural", "22"])
    assert "<= 15 " in text and ">= 65 " in text and "15,00" not in text and "65,00" not in text


def test_one_spelling_in_the_registry():
    text = (REPO / "scenarios" / "targets_2030.toml").read_text(encoding="utf-8")
    names = [line for line in text.splitlines() if line.startswith(("name_vi", "unit_vi"))]
    assert not any("Tỉ" in line for line in names)
    assert not any(line == 'unit_vi = "tuổi"' for line in names)


# ---------------------------------------------------------------- notebook


def test_short_repr_and_html(result):
    assert len(repr(result)) < 300 and "400 paths" in repr(result)
    html = result._repr_html_()
    assert html.count("<tr") == len(result.targets) + 1  # the header and one row per target
    assert "<th>p_hit</th>" in html and "Cần Thơ" in html


def test_frames_have_one_type_per_column_and_one_unit_convention(result):
    frame = result.targets_frame()
    for column in ("threshold", "threshold_high", "effective_threshold", "effective_threshold_high", "p_hit"):
        assert frame[column].dtype == float, column
    ranged = simulator.run(REPO / "scenarios" / "base.toml", paths=100, overrides=['target_options.readings."11c"="range"'])
    between = ranged.targets_frame().set_index("id").loc["11c"]  # the 'range' reading scores a band
    assert between.comparator == "between" and between.threshold < between.threshold_high
    series = result.series_frame()
    share = series[series.metric == "urbanisation_rate"]
    assert set(share.unit) == {"%"} and 40 < share.p50.iloc[0] < 60  # percent, as the registry's thresholds
    engine = result.series_frame(units="engine")
    assert engine[engine.metric == "urbanisation_rate"].p50.iloc[0] == pytest.approx(share.p50.iloc[0] / 100)


def test_the_base_year_has_no_false_spread(result):
    series = result.series_frame()
    base = series[(series.year == 2025) & (series.metric == "population_persons")].iloc[0]
    quantiles = base[["p05", "p10", "p25", "p50", "p75", "p90", "p95"]].to_numpy(dtype=float)
    assert np.all(quantiles == 3_223_088)
    later = series[(series.year == 2030) & (series.metric == "population_persons")].iloc[0]
    assert later.p05 < later.p95  # a real spread stays
