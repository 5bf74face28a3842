"""The report: a self-contained folder with ``report.md``, ``index.html``, PNG charts beside them
and the CSV tables, from the results of a run (and optionally of a comparison and a sensitivity
analysis). :func:`build_report` assembles the document in memory (charts as PNG bytes);
:func:`write_report` writes it. Both languages come from ``simulator/labels.toml``; the same
inputs give the same bytes (no timestamp, no PNG metadata).

>>> import simulator
>>> from simulator.report import build_report, write_report  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..audit import Audit
from ..compare import Comparison
from ..inputs import Inputs
from ..output import labels
from ..results import Result
from ..sensitivity import SensitivityResult
from . import charts, sections
from .document import Document, render_html, render_markdown
from .history import History, load_history

__all__ = ["Report", "SECTIONS", "build_report", "check_report_folder", "load_history", "write_report"]

#: The anchors of the report's sections, in order (the HTML ids the tests look for).
SECTIONS = ("summary", "fan-charts", "probabilities", "joint", "comparison", "sensitivity", "discovery", "audit",
            "assumptions", "provenance")


@dataclass(frozen=True)
class Report:
    """A built report: the document, its PNGs and its CSV tables (file name → text)."""

    document: Document
    tables: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def markdown(self) -> str:
        return render_markdown(self.document)

    @property
    def html(self) -> str:
        return render_html(self.document)


def build_report(*, result: Result, inputs: Inputs, audit: Audit, history: History | None = None,
                 comparison: Comparison | None = None, sensitivity: SensitivityResult | None = None,
                 lang: str = "en", workers: int = 1) -> Report:
    """Every section of the report, in ``lang`` (``en`` or ``vi``).

    Parameters
    ----------
    result : Result
        The run of the scenario (the first variant when comparing).
    inputs : Inputs
        Its resolved inputs (registry, calibration: the assumptions and sources).
    audit : Audit
        :func:`simulator.audit.audit` of the inputs.
    history : History, optional
        The sourced history for the fan charts (:func:`load_history`); none drawn without it.
    comparison : Comparison, optional
        Variants on the same draws (:func:`simulator.compare.from_run`).
    sensitivity : SensitivityResult, optional
        :func:`simulator.sensitivity.analyse` of the inputs.
    workers : int
        Local processes that draw the charts (the same bytes on any number).
    """
    w = sections.Words(labels(lang), lang)
    history = history or History()
    images: dict[str, charts.Chart] = {}
    names = {t.id: w.name(t) for t in result.targets}
    body = (
        sections.headline(result, w),
        sections.fans(result, inputs, history, w, images),
        sections.probabilities(result, w, images),
        sections.joint(result, w, images),
        sections.comparison(comparison, names, w, images),
        sections.sensitivity(sensitivity, w, images),
        sections.discovery(sensitivity, w),
        sections.audit(audit, w),
        sections.assumptions(result, inputs, w),
        sections.provenance(result, inputs, history, sensitivity, comparison, w),
    )
    region = result.region_vi if lang == "vi" else result.region
    registry = inputs.registry.title_vi if lang == "vi" else inputs.registry.title_en
    document = Document(title=w["title"].format(region=region, scenario=result.name, year=int(result.years[-1])),
                        lead=w["lead"].format(scenario=result.name, title=result.title, registry=registry),
                        lang=lang, sections=body, images=charts.draw_all(images, workers=workers),
                        contents_title=w["contents"])
    tables = {"targets.csv": result.targets_frame().to_csv(index=False, float_format="%.6g"),
              "series.csv": result.series_frame().to_csv(index=False, float_format="%.6g"),
              "joint_groups.csv": result.groups_frame().to_csv(index=False, float_format="%.6g")}
    if comparison is not None:
        tables["compare_targets.csv"] = comparison.targets_frame().to_csv(index=False, float_format="%.6g")
    if sensitivity is not None:
        tables.update(sensitivity.tables())
    return Report(document, tables)


#: What a report folder holds: a folder with any other file is never replaced.
REPORT_SUFFIXES = (".png", ".csv")
#: The report's two documents; another Markdown or HTML file (a user's notes) is not the report's.
REPORT_DOCUMENTS = ("report.md", "index.html")


def report_files(directory: Path) -> frozenset[str]:
    """The names in ``directory`` that a report writes (its documents, its charts and tables),
    which a new report replaces."""
    try:
        return frozenset(p.name for p in Path(directory).iterdir()
                         if p.is_file() and (p.suffix in REPORT_SUFFIXES or p.name in REPORT_DOCUMENTS))
    except OSError:
        return frozenset()


def check_report_folder(directory: Path, *, force: bool) -> None:
    """Refuse, before any work, a report folder that the report may not replace: one that holds
    files needs ``force``, and even then only report files (:func:`report_files`) are replaced."""
    from ..folder import check_target, probe

    check_target(directory, force=force, known=report_files(directory), what="report")
    probe(directory)


def write_report(report: Report, directory: Path, *, force: bool = False) -> list[Path]:
    """report.md, index.html, the PNGs and the CSVs as the whole content of ``directory``
    (:func:`simulator.folder.write_folder`: a complete new folder takes the old one's place, so
    no chart of an earlier report stays beside this one's); an existing report folder only with
    ``force``."""
    from ..folder import write_folder

    files = {"report.md": report.markdown, "index.html": report.html, **report.tables}
    files = {name: text.encode("utf-8") for name, text in files.items()}
    files.update(sorted(report.document.images.items()))
    return write_folder(Path(directory), files, force=force, known=report_files(directory), what="report")
