"""``results.xlsx``: a job's numbers for economists who check them in Excel.

Per job, sheets in the order a reader meets them in the brief: About (what, units, settings,
cautions, a guide to the sheets), Headline (every number the brief shows, in the brief's order, with
its unit), Check (the three decisions' increments and ICERs as live Excel formulas over the
base-case cells, so a reader can see and change the arithmetic), Budget impact, All strategies (the
continuum frontier), each model's base case, national totals, incremental analysis, PSA summary and
acceptability, Drivers (one-way), EVPPI, Parameters (label first, with sources). Per run: Summary
(one row per job, the index's columns) and Jobs (manifest).

Every sheet has readable headers with units and the price year (``US$ 2023``), a frozen header row
and first column, column widths fitted to their contents and number formats (thousands
separators, decimals by magnitude, percentages for probabilities). Incremental tables carry each
strategy's status and a blank cost per outcome averted where it is not one (the briefs'
vocabulary, :mod:`model.brief.words`). Written to a temporary name and renamed.

Text from parameter files, manifests and error messages is written as text: a cell whose text
starts with ``=`` would otherwise be stored as a live formula (``=HYPERLINK(...)`` in a note, a
unit named ``=cmd|...``). Only the Check sheet's own arithmetic is a formula.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from model import tables
from model.brief.data import BriefData
from model.io import write_atomic

MODELS = ("antenatal", "infant", "continuum")
SCOPE = {"antenatal": ("per 100,000 pregnancies", 100_000), "infant": ("per 1,000 identified infants", 1_000),
         "continuum": ("per 100,000 pregnancies", 100_000)}  # base tables' scope; increments rescaled to it
REFERENCE = {"antenatal": "IFA", "infant": "no programme", "continuum": "IFA + inpatient"}
COUNTS = {  # outcome column -> words (a count of the scope's units)
    "dalys": "DALYs", "yll": "YLL", "yld": "YLD", "infant_deaths": "infant deaths", "deaths": "deaths",
    "deaths_by_6m": "deaths by 6 months", "neonatal_deaths": "neonatal deaths",
    "postneonatal_deaths": "post-neonatal deaths", "stillbirths": "stillbirths", "lbw_births": "low-birthweight births",
    "preterm_births": "preterm births", "live_births": "live births", "recoveries": "recoveries",
    "admissions": "admissions", "mami_enrolments": "MAMI enrolments", "weeks_at_risk": "weeks at risk",
    "at_risk_identified": "at-risk infants identified", "care_deaths_averted": "deaths averted by infant care",
}
COSTS = {"cost": "Cost", "cost_provider": "Provider cost", "cost_household": "Household cost",
         "infant_care_cost": "Infant-care cost", "recurrent_cost": "Recurrent cost", "one_off_cost": "One-off cost",
         "total_cost": "Total cost", "total_cost_discounted": "Total cost, discounted"}
HEADER_ROW_HEIGHT = 15.0  # points per line of a wrapped header


def header(col: str, year: int, scope: str = "") -> str:
    """A readable column header with its unit and the price year."""
    at = f" {scope}" if scope else ""
    if col in COSTS:
        return f"{COSTS[col]} (US$ {year}){at}"
    if col in COUNTS:
        return f"{COUNTS[col][0].upper()}{COUNTS[col][1:]}{at}"
    for stem, words in (("incremental_cost", "Incremental cost"), ("dalys_averted", "DALYs averted")):
        if col.startswith(stem):
            tail = col.removeprefix(stem).strip("_")
            unit = f" (US$ {year})" if stem == "incremental_cost" else ""
            return f"{words}{unit}{at}{', ' + tail.replace('_', ' ') if tail else ''}"
    if col.startswith("cost_per_") and col.endswith("_averted"):
        what = COUNTS.get(col.removeprefix("cost_per_").removesuffix("_averted"), col)
        one = what[:-1] if what.endswith("s") else what
        return f"US$ {year} per {one} averted (blank unless more costly and more effective)"
    if col.endswith("_averted"):
        what = COUNTS.get(col.removesuffix("_averted"), col.removesuffix("_averted").replace("_", " "))
        return f"{what[0].upper()}{what[1:]} averted{at}"
    return col.replace("_", " ")[:1].upper() + col.replace("_", " ")[1:]


def number_format(values: pd.Series, percent: bool = False) -> str | None:
    """An Excel number format for a numeric column: percentages, or decimals by magnitude."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    if percent:
        return "0.0%"
    finite = np.abs(values.to_numpy(dtype=float))
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size == 0:
        return "#,##0"
    m = float(np.median(finite))
    if np.all(finite == np.round(finite)) and m >= 1:
        return "#,##0"
    if m >= 1000:
        return "#,##0"
    if m >= 10:
        return "#,##0.0"
    if m >= 0.01:
        return "#,##0.000"
    return "0.000E+00"


def _write_sheet(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame, percent=(), widths_max: int = 48) -> None:
    """Write ``frame`` (headers already readable) with formats, widths, a frozen header and first column."""
    from openpyxl.styles import Alignment, Font

    frame = frame.replace([np.inf, -np.inf], np.nan)
    frame.to_excel(writer, sheet_name=name, index=False)
    ws = writer.sheets[name]
    _as_text(ws)  # text such as '=HYPERLINK(...)' from a parameter file stays text
    lines = 1
    for j, col in enumerate(frame.columns, start=1):
        letter = ws.cell(row=1, column=j).column_letter
        fmt = number_format(frame[col], percent=col in percent)
        shown = [len(str(col))] if len(str(col)) <= 14 else [14]
        for i, value in enumerate(frame[col], start=2):
            cell = ws.cell(row=i, column=j)
            if fmt and isinstance(value, int | float) and not isinstance(value, bool):
                cell.number_format = fmt
                shown.append(len(f"{value:,.3f}") if math.isfinite(value) else 1)
            else:
                shown.append(min(len(str(value)), widths_max))
        width = min(widths_max, max(10, max(shown) + 2))
        ws.column_dimensions[letter].width = width
        head = ws.cell(row=1, column=j)
        head.alignment = Alignment(wrap_text=True, vertical="top")
        head.font = Font(bold=True)
        lines = max(lines, math.ceil(len(str(col)) / max(width - 2, 1)))
    ws.row_dimensions[1].height = HEADER_ROW_HEIGHT * min(lines, 6)
    ws.freeze_panes = "B2"


def _as_text(ws) -> None:
    """Store every cell that openpyxl took for a formula (text starting with ``=``) as plain text."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _readable(frame: pd.DataFrame, year: int, scope: str = "") -> pd.DataFrame:
    return frame.rename(columns={c: header(c, year, scope) for c in frame.columns})


def _check_sheet(writer: pd.ExcelWriter, data: BriefData) -> None:
    """Base-case costs and DALYs per 100,000 pregnancies with the increments and ICERs as formulas
    (the ICER only where the new strategy costs more and averts DALYs, as in the brief)."""
    from openpyxl.styles import Alignment, Font

    year = data.context["settings"]["price_year"]
    ws = writer.book.create_sheet("Check")
    ws.append(["Check the arithmetic: per 100,000 pregnancies; the increments, ICERs and statuses are Excel formulas"])
    ws.append(["Decision", "Strategy", f"Cost (US$ {year})", "DALYs", f"Incremental cost (US$ {year})",
               "DALYs averted", f"US$ {year} per DALY averted", "Status"])
    for c in data.comparisons:
        base = pd.read_csv(data.folder / f"{c.prefix}_base.csv").set_index("strategy")
        r = ws.max_row + 1
        ws.append([c.key, c.old, float(base.loc[c.old, "cost"]), float(base.loc[c.old, "dalys"])])
        ws.append([c.key, c.new, float(base.loc[c.new, "cost"]), float(base.loc[c.new, "dalys"]),
                   f"=C{r + 1}-C{r}", f"=D{r}-D{r + 1}", f'=IF(AND(E{r + 1}>0,F{r + 1}>0),E{r + 1}/F{r + 1},"")',
                   f'=IF(AND(E{r + 1}=0,F{r + 1}=0),"no difference",IF(AND(E{r + 1}<=0,F{r + 1}>=0),"dominant",'
                   f'IF(AND(E{r + 1}>=0,F{r + 1}<=0),"dominated",IF(E{r + 1}>0,"more costly, more effective",'
                   f'"less costly, less effective"))))'])
    for row in ws.iter_rows(min_row=3):
        for cell in row[2:7]:
            cell.number_format = "#,##0.0"
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = HEADER_ROW_HEIGHT * 2
    for letter, width in zip("ABCDEFGH", (10, 20, 16, 14, 18, 14, 18, 28), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "C3"


def headline_rows(data: BriefData) -> pd.DataFrame:
    """Every number the brief shows, in its reading order: section, item, value, unit, key (the
    page's ``data-key``)."""
    year = data.context["settings"]["price_year"]
    rows = [("The answer", "Decision threshold", data.context["decision_threshold"]["value"],
             f"US$ {year} per DALY averted", "threshold")]
    for c in data.comparisons:
        sec = f"{c.new} vs {c.old}"
        rows += [(sec, "Status", c.status, "", f"{c.key}.status"), (sec, "Verdict at the threshold", c.verdict, "",
                                                                    f"{c.key}.verdict"),
                 (sec, "Cost per DALY averted", None if math.isnan(c.icer) else c.icer,
                  f"US$ {year} per DALY averted (blank unless more costly and more effective)", f"{c.key}.icer"),
                 (sec, "Probability cost-effective", c.probability_ce, "share of PSA draws",
                  f"{c.key}.probability_ce")]
        for scope, table, unit in (("per_100k", c.per_100k, "per 100,000 pregnancies"),
                                   ("national", c.national, "one year's national cohort")):
            rows.append((sec, "Incremental cost", table["cost"], f"US$ {year} {unit}", f"{c.key}.{scope}.cost"))
            rows += [(sec, f"{COUNTS.get(k, k)} averted (negative: more)", v, unit, f"{c.key}.{scope}.{k}")
                     for k, v in table.items() if k != "cost"]
    rows += [("Recommended", "Strategy", data.recommended, "highest expected net benefit at the threshold",
              "best.strategy"),
             ("Recommended", "Probability it is the best", data.best["probability_ce"], "share of PSA draws",
              "best.probability_ce")]
    rows += [("Budget impact of the recommended strategy", f"Total cost, {phase}", value,
              f"US$ {year}, undiscounted (negative: saved)", f"budget.{phase}")
             for phase, value in data.budget_totals.items()]
    rows.append(("Value of information", "EVPI for the country", data.notes["evpi_population_at_threshold"],
                 f"US$ {year} over {data.notes['evpi_horizon_years']} years", "evpi.population"))
    research = data.research.to_dict("records") if data.research is not None else []
    horizon = f"over {data.notes.get('research_horizon_years')} years"
    for r in research:
        sec = f"Research worth paying for: {r['title']}"
        rows += [(sec, "Best sample size", r["n_best"], str(r["sample_size_unit"]), f"research.{r['study']}.n_best"),
                 (sec, "Worth to the country (EVSI)", r["evsi_population"], f"US$ {year} {horizon}",
                  f"research.{r['study']}.evsi_population"),
                 (sec, "Study cost", r["study_cost"], f"US$ {year}", f"research.{r['study']}.study_cost"),
                 (sec, "Net benefit of sampling", r["enbs_max"], f"US$ {year} {horizon}",
                  f"research.{r['study']}.enbs_max"),
                 (sec, "Fund?", "yes" if r["fund"] else "no", "", f"research.{r['study']}.fund")]
    return pd.DataFrame(rows, columns=["section", "item", "value", "unit", "key"])


def job_workbook(data: BriefData, path: str | Path) -> Path:
    """Write one job's ``results.xlsx``."""
    folder = data.folder
    ctx = data.context
    year = ctx["settings"]["price_year"]
    guide = [("Headline", "every number the brief shows, in its order"),
             ("Check", "live formulas: the three decisions"),
             ("Budget impact", "the recommended strategy, year by year"),
             ("All strategies", "the six strategies on one frontier")]
    sheets: list[tuple[str, pd.DataFrame, tuple]] = []
    budget = data.budget.copy()
    sheets.append(("Budget impact", _readable(budget, year), (header("coverage", year),)))
    frontier = tables.per_100k(tables.with_status(
        pd.read_csv(folder / "continuum_incremental.csv").set_index("strategy"), REFERENCE["continuum"]))
    sheets.append(("All strategies", _readable(frontier.reset_index(), year, "per 100,000 pregnancies"), ()))
    for m in MODELS:
        base_scope, scale = SCOPE[m]
        inc = tables.per_100k(tables.with_status(pd.read_csv(folder / f"{m}_incremental.csv").set_index("strategy"),
                                                 REFERENCE[m]), scale)
        psa = tables.per_100k(pd.read_csv(folder / f"{m}_psa_summary.csv").set_index("strategy"), scale)
        acc = pd.read_csv(folder / f"{m}_acceptability.csv")
        for title, frame, scope, percent in (
                ("base", pd.read_csv(folder / f"{m}_base.csv"), base_scope, ()),
                ("national", pd.read_csv(folder / f"{m}_base_national.csv"), "national, 1 year", ()),
                ("incremental", inc.reset_index(), base_scope, ()),
                ("PSA", psa.reset_index(), base_scope, ()),
                ("acceptability", acc, "", tuple(c for c in acc.columns if c != "strategy"))):
            sheets.append((f"{m} {title}"[:31], _readable(frame, year, scope), percent))
            what = scope or "probability of the highest net benefit"
            guide.append((f"{m} {title}"[:31], f"{m} model, {title} ({what})"))
    one_way = pd.read_csv(folder / "uncertainty_continuum_one_way.csv")
    one_way.insert(0, "input", [data.label(p) for p in one_way["parameter"]])
    sheets.append(("Drivers (one-way)", one_way.rename(columns=lambda c: c.replace("inmb", "INMB (US$ per pregnancy)")
                                                        .replace("_", " ") if c != "input" else "Input"), ()))
    evppi = data.evppi.copy()
    evppi.insert(0, "label", [data.label(i) for i in evppi["input"]])
    evppi = evppi.rename(columns={"label": "Input or group", "input": "Key",
                                  "evppi": f"EVPPI (US$ {year} per pregnancy)",
                                  "evppi_population": f"EVPPI for the country (US$ {year}, "
                                                      f"{data.notes['evpi_horizon_years']} years)"})
    sheets.append(("EVPPI", evppi, ()))
    params = data.parameters.copy()
    first = [c for c in ("label", "parameter", "value", "low", "high", "unit") if c in params.columns]
    params = params[first + [c for c in params.columns if c not in first]]
    sheets.append(("Parameters", params.rename(columns=lambda c: {
        "cost_year_original": "Cost year as reported", "value": f"Value (costs in US$ {year})"}.get(
        c, c.replace("_", " ").capitalize())), ()))
    guide += [("Drivers (one-way)", "tornado table: INMB of MMS + MAMI vs IFA + inpatient, each input low and high"),
              ("EVPPI", "value of perfect information on each input or group"),
              ("Parameters", "every input with label, value in the price year, range, distribution, status, source")]
    about = pd.DataFrame([
        ("Unit", ctx["unit"]), ("Name", data.unit_name), ("Scenario", ctx["scenario"]),
        ("Scenario description", ctx["scenario_description"]), ("Currency and price year", f"US$ {year}"),
        ("Perspective", ctx["settings"]["perspective"]), ("PSA draws", ctx["draws"]), ("Seed", ctx["seed"]),
        ("Decision threshold", f"{ctx['decision_threshold']['label']}: US${ctx['decision_threshold']['value']:,.0f} "
                               "per DALY averted"),
        ("Recommended strategy", data.recommended),
        ("Cautions", " ".join(data.cautions) or "none"),
        ("Inputs verified / unverified / assumed",
         f"{data.quality['verified']} / {data.quality['unverified']} / {data.quality['assumption']}"),
        ("Workbook version", ctx.get("version", "")),
        *[(f"Sheet: {name}", what) for name, what in guide],
    ], columns=["Item", "Value"])

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            _write_sheet(writer, "About", about, widths_max=110)
            headline = headline_rows(data)
            _write_sheet(writer, "Headline", headline.rename(columns=str.capitalize), widths_max=60)
            ws = writer.sheets["Headline"]
            ws.column_dimensions["C"].width = 18
            for i, (value, unit) in enumerate(zip(headline["value"], headline["unit"], strict=True), start=2):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    ws.cell(row=i, column=3).number_format = (
                        "0.0%" if unit == "share of PSA draws" else "#,##0" if abs(value) >= 100 else "#,##0.00")
            _check_sheet(writer, data)
            for name, frame, percent in sheets:
                _write_sheet(writer, name, frame, percent=percent)

    return write_atomic(path, write)


def run_workbook(summary: pd.DataFrame, jobs: pd.DataFrame, path: str | Path,
                 headers: dict[str, str] | None = None) -> Path:
    """Write the run's ``results.xlsx``: one row per job (``headers`` renames the summary's columns),
    and the manifest's job list."""
    probability = [h for k, h in (headers or {}).items() if k.endswith("_p")]

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            _write_sheet(writer, "Summary", summary.rename(columns=headers or {}), percent=probability)
            _write_sheet(writer, "Jobs", jobs)

    return write_atomic(path, write)
