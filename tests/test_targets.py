"""The target registry: every report target present, kinds judged correctly, bad rows rejected."""

import re
from pathlib import Path

import numpy as np
import pytest

from simulator.errors import InputError
from simulator.evaluate import judge, target_values
from simulator.metrics import CATALOGUE, KNOWN_UNITS
from simulator.targets import Kind, Target, Transform, load_registry

REPO = Path(__file__).resolve().parents[1]
UNITS = KNOWN_UNITS
YEARS = np.arange(2025, 2031)


def test_registry_has_every_numbered_target_of_the_report():
    registry = load_registry(REPO / "scenarios" / "targets_2030.toml", metric_units=UNITS)
    mission = REPO.parent / "shared" / "mission" / "targets-2030.md"
    expected = set(range(1, 29))
    if mission.exists():  # the list of the English rendering, when the mission folder is beside the repo
        expected = {int(n) for n in re.findall(r"^\| (\d+)[a-h]? \|", mission.read_text(encoding="utf-8"), re.M)}
    assert expected <= {t.number for t in registry.targets}
    assert len({t.id for t in registry.targets}) == len(registry.targets)


ISSUE_2_GROUPS = {1, 2, 3, 4, 9, 11, 20}


def test_core_targets_are_modelled():
    registry = load_registry(REPO / "scenarios" / "targets_2030.toml", metric_units=UNITS)
    for t in registry.targets:
        if t.number in ISSUE_2_GROUPS and t.id != "11c" or t.id == "6a":
            assert t.metric in CATALOGUE, t.id


def _target(**kw):
    base = dict(id="x", number=1, group="economy", name_en="x", name_vi="x", metric="grdp_current_bn_vnd",
                comparator=">=", threshold=100.0, unit="bn VND")
    return Target(**{**base, **kw})


def test_kinds_by_hand():
    series = np.array([[100.0, 110, 121, 133.1, 146.41, 161.051],
                       [100.0, 120, 100, 130, 140, 150]])
    growth = _target(kind=Kind.AVERAGE_GROWTH, period=(2025, 2030), threshold=10.0, unit="%/yr")
    values = target_values(growth, series, YEARS, target_year=2030)
    np.testing.assert_allclose(values, [0.10, 1.5 ** 0.2 - 1])
    every = _target(kind=Kind.EVERY_YEAR, transform=Transform.GROWTH, period=(2025, 2030), threshold=9.99, unit="%/yr")
    shown, hit = judge(every, target_values(every, series, YEARS, target_year=2030), "bn VND", 0.0)
    assert list(hit) == [True, False]
    assert shown[1] == pytest.approx(100 / 120 - 1)  # the worst year
    total = _target(kind=Kind.CUMULATIVE, period=(2026, 2030), threshold=600.0)
    np.testing.assert_allclose(target_values(total, series, YEARS, target_year=2030), [671.561, 640.0])


def test_about_tolerance_loosens_only():
    target = _target(threshold=100.0, approx=True)
    values = np.array([97.9, 98.0, 100.0])
    assert list(judge(target, values, "bn VND", 0.02)[1]) == [False, True, True]
    ceiling = _target(comparator="<", threshold=-1.0, approx=True, unit="bn VND")
    assert list(judge(ceiling, np.array([-0.985, -0.975]), "bn VND", 0.02)[1]) == [True, False]


@pytest.mark.parametrize("row, fragment", [
    ('metric = "grdp_current_bn_vnd"\ncomparator = "=>"\nthreshold = 1\nunit = "bn VND"\n', "comparator"),
    ('metric = "grdp_current_bn_vnd"\ncomparator = ">="\nthreshold = 1\nunit = "%"\n', "does not fit metric"),
    ('metric = "grdp_current_bn_vnd"\ncomparator = ">="\nthreshold = 1\nunit = "furlongs"\n', "unit"),
    ('metric = "grdp_current_bn_vnd"\ncomparator = "between"\nthreshold = 1\nunit = "bn VND"\n', "thresholds"),
    ('metric = "grdp_current_bn_vnd"\ncomparator = ">="\nthreshold = 1\nunit = "bn VND"\ncolour = "red"\n', "unknown key"),
    ('metric = "grdp_real_bn_vnd"\nkind = "average_growth"\ncomparator = ">="\nthreshold = 1\nunit = "%/yr"\n', "period"),
])
def test_bad_rows_fail_at_load_time(write_registry, row, fragment):
    with pytest.raises(InputError, match=fragment) as info:
        load_registry(write_registry(row), metric_units=UNITS)
    assert "reg.toml" in str(info.value) and "target[0]" in str(info.value)


def test_the_statistics_office_units_convert_both_ways():
    """Thousand persons (yearbooks), thousand đồng a month (living-standards surveys) and nghìn tỷ
    đồng (congress reports) convert to the engine's units and back exactly."""
    from simulator.units import UNIT_BOUNDS, UNITS_VI, conversion_factor

    for small, large, factor in (("persons", "thousand persons", 1e-3), ("bn VND", "trillion VND", 1e-3),
                                 ("thousand VND/person/month", "m VND/person/month", 1e-3)):
        assert conversion_factor(small, large) == factor and conversion_factor(large, small) == 1 / factor
        assert large in UNITS_VI and small in UNITS_VI
    assert UNITS_VI["trillion VND"] == "nghìn tỷ đồng" and UNIT_BOUNDS["thousand persons"] == (0.0, float("inf"))


def test_a_threshold_in_trillion_vnd_is_the_same_target(project):
    """1a written as 717 nghìn tỷ đồng is judged exactly as 717,000 tỷ đồng."""
    import simulator

    registry = project / "scenarios" / "targets_2030.toml"
    text = registry.read_text(encoding="utf-8")
    row = 'threshold = 717000\nunit = "bn VND"\nunit_vi = "tỷ đồng"'
    assert text.count(row) == 1
    before = {t.id: t for t in simulator.run(project / "scenarios" / "base.toml", paths=2000).targets}["1a"]
    registry.write_text(text.replace(row, 'threshold = 717\nunit = "trillion VND"\nunit_vi = "nghìn tỷ đồng"'),
                        encoding="utf-8")
    after = {t.id: t for t in simulator.run(project / "scenarios" / "base.toml", paths=2000).targets}["1a"]
    assert after.p_hit == before.p_hit and after.unit == "trillion VND"
    assert after.median == pytest.approx(before.median / 1000, rel=1e-12)
