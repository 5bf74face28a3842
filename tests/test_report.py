"""The report as a person would look at it: every section in both languages, valid PNGs, fonts that
carry Vietnamese, byte-identical files for the same inputs on any number of workers, and the page
rendered in headless Chromium without errors (skipped, with the reason, where /usr/bin/chromium is
absent)."""

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from matplotlib.image import imread

from simulator.cli import main
from simulator.output import labels
from simulator.report import SECTIONS
from simulator.report.charts import FONT

from conftest import BASE, REPO

CHROMIUM = Path("/usr/bin/chromium")
VARIANT = REPO / "scenarios" / "variants" / "investment_40.toml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _report(out: Path, lang: str, *more: str) -> Path:
    argv = ["report", str(BASE), "--compare", str(VARIANT), "--sensitivity", "--paths", "1000", "--targets", "1c",
            "4-share", "--samples", "32", "--inner", "4", "--resamples", "99", "--sensitivity-paths", "512",
            "--out", str(out), "--lang", lang, "--quiet", *more]
    assert main(argv) == 0
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    return {lang: _report(root / lang, lang) for lang in ("en", "vi")}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.ids = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if "id" in attrs:
            self.ids.append(attrs["id"])


def _page(folder: Path) -> _Page:
    page = _Page()
    page.feed((folder / "index.html").read_text(encoding="utf-8"))
    return page


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_every_section_in_markdown_and_html(reports, lang):
    folder = reports[lang]
    words = labels(lang)["report"]
    md = (folder / "report.md").read_text(encoding="utf-8")
    page = _page(folder)
    assert [i for i in page.ids if i in SECTIONS] == list(SECTIONS)
    # the title's year is the scenario's last simulated year (2030 here), not a number of the labels
    assert "{year}" in words["title"] and "2030" in md.splitlines()[0]
    titles = ["summary_title", "fans_title", "bars_title", "joint_title", "compare_title", "sensitivity_title",
              "discovery_title", "audit_title", "assumptions_title", "provenance_title"]
    for k, (anchor, key) in enumerate(zip(SECTIONS, titles), start=1):
        assert f'<a id="{anchor}"></a>' in md and f"## {k}. {words[key]}" in md
    # the sections hold their content, not a placeholder: comparison rows, Sobol and tornado, boxes
    assert "investment_40" in md and "production.trend_growth" in md
    assert re.search(r"^- 4-share \(.+\) (is hit on|đạt trên) \d+ %", md, flags=re.M)
    figures = set(page.images)
    assert {"p_hit_bars.png", "hit_correlation.png", "comparison.png", "sensitivity_1c.png", "sensitivity_4-share.png",
            "fan_grdp_current_bn_vnd.png", "fan_sector_shares.png", "fan_population_persons.png"} <= figures


def test_vietnamese_report_is_in_vietnamese(reports):
    md = (reports["vi"] / "report.md").read_text(encoding="utf-8")
    en_words = labels("en")["report"]
    for key in ("summary_title", "fans_title", "joint_title", "sensitivity_title", "audit_title", "provenance_title",
                "summary_methods", "discovery_lead"):
        assert en_words[key].split("{")[0] not in md, key
    assert "Tổng sản phẩm trên địa bàn (GRDP) theo giá hiện hành" in md  # the registry's name_vi
    assert "GRDP at current prices" not in md
    assert "0,034" in md or re.search(r"\d,\d{3}", md)  # Vietnamese decimal commas
    assert "tỷ đồng" in md
    assert "mức và tăng trưởng của Kim ngạch xuất khẩu" in md and "không nhất quán" in md  # the audit, worded in vi
    assert "level and growth of" not in md


def test_every_image_exists_and_is_a_png(reports):
    for folder in reports.values():
        page = _page(folder)
        assert len(page.images) >= 20
        for src in page.images:
            path = folder / src
            assert path.is_file(), src
            assert path.read_bytes()[:8] == PNG_SIGNATURE, src
            pixels = imread(path)  # decodes the whole file
            assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.std() > 0.01, src
        md = (folder / "report.md").read_text(encoding="utf-8")
        assert sorted(re.findall(r"!\[[^]]*\]\(([^)]+)\)", md)) == sorted(page.images)


def test_the_chart_font_has_every_vietnamese_character():
    path = font_manager.findfont(FONT, fallback_to_default=False)
    assert Path(path).name == "DejaVuSans.ttf"
    charmap = FT2Font(path).get_charmap()
    vi = labels("vi")
    text = json.dumps(vi, ensure_ascii=False)
    text += "".join(t for t in re.findall(r'name_vi = "([^"]*)"', (REPO / "scenarios" / "targets_2030.toml")
                                          .read_text(encoding="utf-8")))
    missing = sorted({ch for ch in text if ch.isprintable() and ord(ch) > 127 and ord(ch) not in charmap})
    assert not missing, missing


def test_same_inputs_give_byte_identical_markdown_and_csv(reports, tmp_path):
    """Again on two workers, which then also draw the charts: the same bytes, PNGs included."""
    again = _report(tmp_path / "again", "en", "--workers", "2")
    first = reports["en"]
    names = ["report.md", "index.html"] + sorted(p.name for p in first.glob("*.csv")) + sorted(
        p.name for p in first.glob("*.png"))
    assert len(names) >= 30 and sorted(p.name for p in again.iterdir()) == sorted(p.name for p in first.iterdir())
    for name in names:
        assert (again / name).read_bytes() == (first / name).read_bytes(), name
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", (first / "report.md").read_text(encoding="utf-8"))


_PROBE = """<script>window.__errors = []; window.addEventListener('error', function (e) {
  window.__errors.push(String(e.message || (e.target && e.target.src) || e.type)); }, true);</script>"""
_REPORT = """<script>window.addEventListener('load', function () {
  var images = [].slice.call(document.images);
  var result = {errors: window.__errors,
    broken: images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).map(function (i) { return i.getAttribute('src'); }),
    images: images.length,
    sections: [].slice.call(document.querySelectorAll('section')).map(function (s) { return [s.id, s.getBoundingClientRect().height]; })};
  var pre = document.createElement('pre'); pre.id = 'probe-result'; pre.textContent = JSON.stringify(result);
  document.body.appendChild(pre); });</script>"""


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _probe(folder: Path, html: str, profile: Path) -> dict:
    """Render ``html`` beside the report's files with a script that records errors, broken images and
    each section's height, and read what it recorded from the dumped DOM."""
    probe = folder / "_probe.html"
    probe.write_text(html.replace("<head>", "<head>" + _PROBE, 1).replace("</body>", _REPORT + "</body>", 1),
                     encoding="utf-8")
    try:
        done = _chromium("--virtual-time-budget=10000", "--dump-dom", probe.as_uri(), profile=profile)
    finally:
        probe.unlink()
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', done.stdout, flags=re.S)
    assert found, done.stderr[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed (/usr/bin/chromium; Debian package "
                                                  "'chromium', installed by .ci/run on CI)")
def test_index_html_renders_in_headless_chromium(reports, tmp_path):
    folder = reports["vi"]
    html = (folder / "index.html").read_text(encoding="utf-8")
    # the probe itself catches a broken page: a missing image and a script error
    broken = html.replace('src="p_hit_bars.png"', 'src="no_such_chart.png"', 1).replace(
        "</body>", "<script>undefined_function_of_the_probe_test()</script></body>", 1)
    bad = _probe(folder, broken, tmp_path / "profile-bad")
    assert bad["broken"] == ["no_such_chart.png"] and len(bad["errors"]) >= 2
    result = _probe(folder, html, tmp_path / "profile")
    assert result["errors"] == [] and result["broken"] == []
    assert result["images"] == len(_page(folder).images)
    assert [s[0] for s in result["sections"]] == list(SECTIONS)
    assert all(height > 20 for _, height in result["sections"])
    shot = folder / "screenshot.png"
    done = _chromium("--window-size=1280,2000", f"--screenshot={shot}", (folder / "index.html").as_uri(),
                     profile=tmp_path / "profile-shot")
    assert shot.is_file(), done.stderr[-2000:]
    pixels = imread(shot)
    assert pixels.shape[:2] == (2000, 1280) and pixels.std() > 0.05
