"""Write panel_observations.csv from the shared source files (run once; kept for provenance).

    python calibration/data/make_panel_observations.py SHARED_SOURCES_DIR [STAGING_CSV]

Copies rows, never computes a value: the 63-province GRDP back-series (grdp_constant_2010) and
the growth targets and outcomes of past plans, from

* ``observations-panel.csv`` and ``outside-view.csv`` (the shared ``sources/`` folder),
* ``outside_view_new.csv`` (issue 12's staging research). That file was not kept; without
  STAGING_CSV the rows once copied from it are carried over from the current
  ``panel_observations.csv`` (their note ends with its name), so the script can be rerun when the
  shared files change.

What changes on the way: the schema (calibration/data/README.md: a period becomes its last year
plus a span in the indicator name, e.g. 2016–2020 → year 2020, ``growth_target_min_5yr``), region
names (snake case), ranges written "7.5-8" split into a ``_min`` and a ``_max`` row, and the note,
which starts with the page date (for the source-choice rule) and ends with the file it was copied
from. Targets for 2026 and later, level targets without an outcome, ranks, counts and text rows
are left in the shared files.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: how the notes of rows from issue 12's staging file name it
STAGING_SOURCE = "staging issue12/outside_view_new.csv"
COLUMNS = ("region", "year", "indicator", "value", "unit", "price_basis", "source", "note")

#: outside-view.csv region names -> snake-case regions of the panel.
REGIONS = {
    "Can Tho": "can_tho_old", "Can Tho (merged)": "can_tho_merged",
    "Can Tho+Hau Giang+Soc Trang (merged area)": "can_tho_merged",
    "Hau Giang": "hau_giang", "Soc Trang": "soc_trang", "An Giang": "an_giang", "Kien Giang": "kien_giang",
    "Long An": "long_an", "Tra Vinh": "tra_vinh", "Ca Mau": "ca_mau", "Dong Thap": "dong_thap",
    "Bac Lieu": "bac_lieu", "Tien Giang": "tien_giang", "Vinh Long": "vinh_long", "Ben Tre": "ben_tre",
    "Mekong Delta": "mekong_delta", "Vietnam": "vietnam",
    "Dong Thap+Tien Giang (merged area; reported as Dong Thap)": "dong_thap_merged",
    "Vinh Long+Tra Vinh+Ben Tre (merged area; reported as Vinh Long)": "vinh_long_merged",
}
MEKONG = {"can_tho_old", "soc_trang", "hau_giang", "an_giang", "kien_giang", "long_an", "tra_vinh", "ca_mau",
          "dong_thap", "bac_lieu", "tien_giang", "vinh_long", "ben_tre", "can_tho_merged", "dong_thap_merged",
          "vinh_long_merged", "an_giang_merged", "mekong_delta"}
_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                           "nov", "dec"))}


def _date(text: str) -> str:
    """The first date in a note: YYYY-MM-DD, YYYY-MM, 'Oct 2020', or a bare year in parentheses."""
    m = re.search(r"(\d{4})-(0[1-9]|1[0-2])(?:-(\d{2}))?(?!\d)", text)
    if m:
        return m.group(0)
    m = re.search(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?/?[a-z]*\s+(\d{4})", text, re.I)
    if m:
        return f"{m.group(2)}-{_MONTHS[m.group(1)[:3].lower()]:02d}"
    m = re.search(r"\((\d{4})\)", text)
    return m.group(1) if m else ""


def _period(text: str) -> tuple[int, int]:
    """'2016-2020' -> (2016, 2020); the term '2020-2025' of the outside-view file is 2021–2025 (growth
    over five years from the 2020 base); a single year -> (year, year)."""
    parts = [int(p) for p in re.findall(r"\d{4}", text)]
    if len(parts) == 1:
        return parts[0], parts[0]
    first, last = parts[0], parts[-1]
    if last - first == 5:  # a term written base year–end year
        first += 1
    return first, last


def _span(first: int, last: int) -> str:
    return f"{last - first + 1}yr"


def _note(date: str, text: str, copied_from: str, extra: str = "") -> str:
    parts = [p for p in (date, text.strip(), extra) if p]
    return " | ".join(parts) + f" || copied from {copied_from}"


def from_panel(path: Path) -> list[dict]:
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            ind = r["indicator"]
            if ind == "grdp_constant_2010":
                out.append({**r, "note": r["note"] + " || copied from shared observations-panel.csv"})
                continue
            names = {"growth_target_5yr": "growth_target_min", "growth_target_5yr_min": "growth_target_min",
                     "growth_target_5yr_max": "growth_target_max", "growth_outcome_5yr": "growth_outcome",
                     "growth_outcome_period": "growth_outcome", "growth_target_period": "growth_target_min"}
            if ind not in names:
                continue
            first, last = _period(r["year"])
            base = names[ind]
            indicator = f"{base}_{_span(first, last)}" + ("_reported" if base == "growth_outcome" else "")
            basis = r["price_basis"] if r["price_basis"] in ("constant_2010", "current") else ""
            extra = f"period {first}-{last}"
            if ind == "growth_target_5yr":
                extra += "; a point target (no range), written as the minimum"
            if r["price_basis"] not in ("constant_2010", "current", ""):
                extra += f"; price basis as the source row gives it: {r['price_basis']}"
            out.append({"region": r["region"], "year": last, "indicator": indicator, "value": r["value"], "unit": "pct",
                        "price_basis": basis, "source": r["source"],
                        "note": _note(_date(r["note"]), r["note"], "shared observations-panel.csv", extra)})
    return out


def _values(text: str) -> list[tuple[str, str]]:
    """A value cell of outside-view.csv -> [(suffix, number)]: '7.5-8' -> min and max, '>=11' -> min."""
    text = text.strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", text)
    if m:
        return [("min", m.group(1)), ("max", m.group(2))]
    m = re.match(r"(?:>=|>|~)?\s*(\d+(?:\.\d+)?)", text)
    return [("", m.group(1))] if m else []


def from_outside_view(path: Path) -> list[dict]:
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            region = REGIONS.get(r["region"])
            ind = r["indicator"]
            if region is None or ind not in ("plan_target_growth", "grdp_real_growth_avg", "grdp_real_growth"):
                continue
            first, last = _period(r["year_or_period"])
            if last > 2025 or (ind == "grdp_real_growth" and (region not in MEKONG or "-" in r["year_or_period"])):
                continue
            if ind == "grdp_real_growth_avg" and region not in MEKONG:
                continue
            note = _note(r["source_date"], f"{r['unit']}; quote: '{r['quote']}'", "shared outside-view.csv",
                         f"period {first}-{last}" if first != last else "")
            for suffix, number in _values(r["value"]):
                if ind == "plan_target_growth":
                    indicator = f"growth_target_{suffix or 'min'}_{_span(first, last)}"
                elif ind == "grdp_real_growth_avg":
                    indicator = f"growth_outcome_{_span(first, last)}_reported"
                else:
                    indicator = "grdp_real_growth_reported"
                extra = "" if suffix or ind != "plan_target_growth" else "; single value written as the minimum"
                out.append({"region": region, "year": last, "indicator": indicator, "value": number, "unit": "pct",
                            "price_basis": "", "source": r["source_url"], "note": note + extra})
    return out


def from_staging(path: Path) -> list[dict]:
    out, first_note = [], {}
    keep = {"growth_target_min": "growth_target_min", "growth_target_max": "growth_target_max",
            "growth_outcome": "growth_outcome", "growth_outcome_period": "growth_outcome",
            "growth_target_annual": "growth_target_min", "growth_target_annual_min": "growth_target_min",
            "growth_target_annual_max": "growth_target_max"}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        first_note.setdefault(r["source"], r["note"])
    for r in rows:
        ind = r["indicator"]
        first, last = _period(r["period"])
        note = r["note"]
        same = note.lower().startswith("same")
        date = (_date(first_note[r["source"]]) or _date(note)) if same else (_date(note) or _date(first_note[r["source"]]))
        if same:
            note += f" [the same page as: '{first_note[r['source']][:120]}']"
        extra = f"period {first}-{last}" if first != last else ""
        if ind in keep and last <= 2025:
            base = keep[ind]
            indicator = f"{base}_{_span(first, last)}" + ("_reported" if base == "growth_outcome" else "")
            unit, basis = "pct", ""
        elif ind == "grdp_real_growth" and r["region"] in MEKONG and "-" not in r["period"]:
            indicator, unit, basis = "grdp_real_growth_reported", "pct", ""
        elif ind in ("grdp_per_capita_target", "grdp_per_capita_outcome") and last <= 2025 and r["unit"] == "mvnd":
            indicator = ind + ("_reported" if ind.endswith("outcome") else "")
            unit, basis = "mvnd", "current"
        else:
            continue
        out.append({"region": r["region"], "year": last, "indicator": indicator, "value": r["value"], "unit": unit,
                    "price_basis": basis, "source": r["source"],
                    "note": _note(date, note, STAGING_SOURCE, extra)})
    return out


def carried_staging_rows(path: Path) -> list[dict]:
    """The rows of an existing panel file that were copied from the staging file, as they stand."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["note"].endswith("copied from " + STAGING_SOURCE)]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    shared = Path(argv[1])
    staged = from_staging(Path(argv[2])) if len(argv) > 2 else carried_staging_rows(HERE / "panel_observations.csv")
    rows = from_panel(shared / "observations-panel.csv") + from_outside_view(shared / "outside-view.csv") + staged
    seen, unique = set(), []
    for r in rows:
        key = (r["region"], int(r["year"]), r["indicator"], r["source"])
        if key in seen:  # the same figure from the same page in two input files: keep the first
            continue
        seen.add(key)
        unique.append(r)
    unique.sort(key=lambda r: (r["region"], r["indicator"], int(r["year"]), r["source"]))
    with (HERE / "panel_observations.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: r[k] for k in COLUMNS} for r in unique)
    print(f"wrote {len(unique)} rows to {HERE / 'panel_observations.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
