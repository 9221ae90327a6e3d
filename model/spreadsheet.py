"""``results.xlsx``: a job's numbers for economists who check them in Excel.

Per job: About (what, units, settings), Headline (every number the brief shows), Check (the MMS vs
IFA and MAMI vs inpatient increments and ICERs as live Excel formulas over the base-case cells, so a
reader can see and change the arithmetic), Parameters (with sources), base case and incremental
analysis of each model, PSA summary and acceptability, budget impact. Per run: Summary (one row per
job) and Jobs (manifest). Written to a temporary name and renamed.

Text from parameter files, manifests and error messages is written as text: a cell whose text
starts with ``=`` would otherwise be stored as a live formula (``=HYPERLINK(...)`` in a note, a
unit named ``=cmd|...``). Only the Check sheet's own arithmetic is a formula.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from model.brief.data import BriefData
from model.io import write_atomic

MODELS = ("antenatal", "infant", "continuum")


def _autosize(ws, max_width: int = 60) -> None:
    for col in ws.columns:
        width = max((len(str(c.value)) for c in col if c.value is not None), default=8)
        ws.column_dimensions[col[0].column_letter].width = min(max_width, max(8, width + 2))
    ws.freeze_panes = "B2"


def _as_text(ws) -> None:
    """Store every cell that openpyxl took for a formula (text starting with ``=``) as plain text."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _write(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame) -> None:
    frame.to_excel(writer, sheet_name=name, index=False)
    ws = writer.sheets[name]
    _as_text(ws)
    _autosize(ws)


def _check_sheet(writer: pd.ExcelWriter, data: BriefData) -> None:
    """Base-case costs and DALYs per 100,000 pregnancies with the increments and ICERs as formulas."""
    ws = writer.book.create_sheet("Check")
    ws.append(["Check the arithmetic: per 100,000 pregnancies; the increments and ICERs are Excel formulas"])
    ws.append(["comparison", "strategy", "cost (US$)", "DALYs", "incremental cost", "DALYs averted",
               "US$ per DALY averted"])
    for c in data.comparisons:
        base = pd.read_csv(data.folder / f"{c.prefix}_base.csv").set_index("strategy")
        r = ws.max_row + 1
        ws.append([c.key, c.old, float(base.loc[c.old, "cost"]), float(base.loc[c.old, "dalys"])])
        ws.append([c.key, c.new, float(base.loc[c.new, "cost"]), float(base.loc[c.new, "dalys"]),
                   f"=C{r + 1}-C{r}", f"=D{r}-D{r + 1}", f'=IF(F{r + 1}>0,E{r + 1}/F{r + 1},"n/a")'])
    _autosize(ws)


def job_workbook(data: BriefData, path: str | Path) -> Path:
    """Write one job's ``results.xlsx``."""
    folder = data.folder
    ctx = data.context
    about = pd.DataFrame([
        ("unit", ctx["unit"]), ("name", data.unit_name), ("scenario", ctx["scenario"]),
        ("scenario description", ctx["scenario_description"]), ("currency", f"US$ {ctx['settings']['price_year']}"),
        ("perspective", ctx["settings"]["perspective"]), ("PSA draws", ctx["draws"]), ("seed", ctx["seed"]),
        ("decision threshold", f"{ctx['decision_threshold']['label']}: {ctx['decision_threshold']['value']}"),
        ("base-case tables", "per 100,000 pregnancies reached (antenatal, continuum); "
                             "per 1,000 identified at-risk infants (infant)"),
        ("incremental tables", "per pregnancy (antenatal, continuum); per infant (infant)"),
        ("national tables", "one year's cohort of pregnancies reached"),
        ("inputs verified / unverified / assumed",
         f"{data.quality['verified']} / {data.quality['unverified']} / {data.quality['assumption']}"),
        ("workbook version", ctx.get("version", "")),
    ], columns=["item", "value"])
    headline = pd.DataFrame(sorted(data.headline().items()), columns=["key", "value"])
    sheets: list[tuple[str, pd.DataFrame]] = [("About", about), ("Headline", headline),
                                              ("Parameters", data.parameters)]
    for m in MODELS:
        for suffix, title in (("base", "base"), ("base_national", "national"), ("incremental", "incremental"),
                              ("psa_summary", "PSA"), ("acceptability", "acceptability")):
            sheets.append((f"{m} {title}"[:31], pd.read_csv(folder / f"{m}_{suffix}.csv")))
    sheets.append(("budget impact", data.budget))
    sheets.append(("EVPPI", data.evppi))
    sheets.append(("one-way", pd.read_csv(folder / "uncertainty_continuum_one_way.csv")))

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets[:2]:
                _write(writer, name, frame)
            _check_sheet(writer, data)
            for name, frame in sheets[2:]:
                _write(writer, name, frame)

    return write_atomic(path, write)


def run_workbook(summary: pd.DataFrame, jobs: pd.DataFrame, path: str | Path) -> Path:
    """Write the run's ``results.xlsx``: one row per job, and the manifest's job list."""

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in (("Summary", summary), ("Jobs", jobs)):
                _write(writer, name, frame)

    return write_atomic(path, write)
