"""Country briefs, the run index and spreadsheets, made from a job's result files.

``build_brief(folder)`` writes ``brief.html`` (self-contained), ``brief.pdf`` (headless Chromium;
skipped with a clear message when Chromium is missing) and ``results.xlsx`` into a finished job's
folder. ``build_index(run_dir, jobs)`` writes the run's ``index.html``, ``league.png`` and
``results.xlsx``. Nothing here runs a model.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from model import parameters as P
from model.brief import data as brief_data
from model.brief import pdf as brief_pdf
from model.brief import render
from model.io import write_text
from model.timing import span

__all__ = ["build_brief", "build_index", "rebuild"]


def build_brief(folder: str | Path, pdf: bool = True) -> dict:
    """Write a job's brief and spreadsheet; return ``{"html", "pdf", "xlsx"}`` with a file name or
    the reason it was not written (the PDF is the only part allowed to be missing)."""
    from model import spreadsheet

    folder = Path(folder)
    with span("brief html"):
        d = brief_data.load(folder)
        html = write_text(folder / "brief.html", render.brief_html(d))
    with span("spreadsheet"):
        out = {"html": html.name, "xlsx": spreadsheet.job_workbook(d, folder / "results.xlsx").name}
    if not pdf:
        out["pdf"] = "skipped (--no-pdf)"
    else:
        try:
            with span("pdf"):
                out["pdf"] = brief_pdf.html_to_pdf(html, folder / "brief.pdf").name
        except brief_pdf.PdfUnavailable as exc:
            out["pdf"] = str(exc)
    return out


INDEX_COLUMNS = (  # (key in a row, header, kind)
    ("unit", "Unit", "text"), ("name", "Country", "text"), ("scenario", "Scenario", "text"),
    ("status", "Run", "text"), ("cautions", "Cautions", "flag"),
    ("mms_status", "MMS vs IFA: status", "text"), ("mms_icer", "MMS vs IFA, US$ per DALY averted", "money"),
    ("mms_p", "P(MMS cost-effective)", "pct"),
    ("mami_status", "MAMI vs inpatient: status", "text"),
    ("mami_icer", "MAMI vs inpatient, US$ per DALY averted", "money"), ("mami_p", "P(MAMI cost-effective)", "pct"),
    ("best", "Recommended strategy", "text"),
    ("deaths_averted", "Infant deaths averted a year by the recommended strategy (negative: more deaths)", "num"),
    ("budget", "Its budget impact, 5 years (US$; negative: saved)", "money"),
    ("quality", "Inputs verified / unverified / assumed", "text"),
)


def _row(job: dict, run_dir: Path) -> dict:
    folder = run_dir / job["unit"] / job["scenario"]
    rel = f"{job['unit']}/{job['scenario']}"
    q = job.get("quality") or {}
    row = {"unit": job["unit"], "scenario": job["scenario"], "status": job["status"], "name": job["unit"],
           "error": job.get("error") or "", "note": "", "cautions": 0, "caution_list": [], "links": [],
           "quality": f"{q.get('verified', '')} / {q.get('unverified', '')} / {q.get('assumption', '')}"}
    for name in ("brief.html", "brief.pdf", "results.xlsx"):
        if (folder / name).exists():
            row["links"].append((name, f"{rel}/{name}"))
    for nb in job.get("notebooks", []):
        if "notebook" in nb and (folder / "notebooks" / nb["notebook"]).exists():
            row["links"].append((nb["notebook"].split("_")[0], f"{rel}/notebooks/{nb['notebook']}"))
    if job["status"] != "ok":
        return row
    try:
        d = brief_data.load(folder)
    except brief_data.BriefDataError as exc:
        row["error"] = str(exc)
        return row
    s = d.summary_row()
    row.update(name=d.unit_name, mms_status=s["mms_status"], mms_icer=s["mms_cost_per_daly_averted"],
               mms_p=s["mms_probability_cost_effective"], mami_status=s["mami_status"],
               mami_icer=s["mami_cost_per_daly_averted"], mami_p=s["mami_probability_cost_effective"],
               best=s["recommended"], budget=s["recommended_budget_5y"],
               deaths_averted=s["recommended_infant_deaths_averted_per_year"], threshold=d.comparisons[0].threshold,
               cautions=len(d.cautions), caution_list=d.cautions, note=s["caution_text"])
    return row


def _league(rows: list[dict], path: Path) -> Path | None:
    """Horizontal bars of MMS vs IFA and MAMI vs inpatient cost per DALY averted by unit and scenario
    (the status written where there is no cost per DALY), with each unit's decision threshold as a
    marker; greyscale-safe (hatching, not colour, separates series)."""
    ok = [r for r in rows if r["status"] == "ok" and "mms_status" in r]
    if not ok:
        return None
    from model import plots

    nan = float("nan")
    fig = plots.league([f"{r['unit']} / {r['scenario']}" for r in ok],
                       [nan if r["mms_icer"] is None else r["mms_icer"] for r in ok],
                       [nan if r["mami_icer"] is None else r["mami_icer"] for r in ok], [r["threshold"] for r in ok],
                       [r["mms_status"] for r in ok], [r["mami_status"] for r in ok])
    return plots.save(fig, path.with_suffix(""), formats=("png",))[0]


def check_jobs(jobs, where: str) -> list[dict]:
    """The job entries of a manifest, refused (:class:`~model.brief.data.BriefDataError`, naming the
    manifest and the key) when one is not a mapping or its unit or scenario is not a valid name:
    they become folder names, and a manifest saying ``unit: "../victim"`` must not write outside
    the run folder."""
    if not isinstance(jobs, list):
        raise brief_data.BriefDataError(f"{where}: jobs: expected a list of jobs")
    for i, job in enumerate(jobs):
        if not isinstance(job, dict):
            raise brief_data.BriefDataError(f"{where}: jobs[{i}]: expected a mapping")
        for key, pattern, what in (("unit", P.UNIT_CODE, "ISO3 or ISO3-SUB, e.g. BGD or IND-MH"),
                                   ("scenario", P.SCENARIO_NAME, "lower-case letters, digits, '-' and '_'")):
            value = job.get(key)
            if not isinstance(value, str) or not pattern.match(value):
                raise brief_data.BriefDataError(f"{where}: jobs[{i}].{key}: {value!r} is not a valid {key} name "
                                                f"({what})")
        if not isinstance(job.get("status"), str):
            raise brief_data.BriefDataError(f"{where}: jobs[{i}].status: missing or not text")
    return jobs


def build_index(run_dir: str | Path, jobs: list[dict], run: dict) -> dict:
    """Write ``index.html``, ``league.png`` and ``results.xlsx`` for a run from its jobs' manifests."""
    from model import spreadsheet

    run_dir = Path(run_dir)
    check_jobs(jobs, str(run_dir / "manifest.json"))
    rows = [_row(job, run_dir) for job in jobs]
    league = _league(rows, run_dir / "league.png")
    html = write_text(run_dir / "index.html", render.index_html(run, rows, INDEX_COLUMNS, league))
    summary = pd.DataFrame([{k: r.get(k) for k, _, _ in INDEX_COLUMNS} | {"cautions_text": r["note"],
                                                                         "error": r["error"]} for r in rows])
    jobs_frame = pd.DataFrame([{k: v for k, v in j.items() if not isinstance(v, (list, dict))} for j in jobs])
    headers = {k: h for k, h, _ in INDEX_COLUMNS} | {"cautions_text": "What the cautions say", "error": "Error"}
    xlsx = spreadsheet.run_workbook(summary, jobs_frame, run_dir / "results.xlsx", headers)
    return {"html": html.name, "xlsx": xlsx.name, "league": league.name if league else None}


def rebuild(run_dir: str | Path, pdf: bool = True) -> list[str]:
    """Re-render every finished job's brief and spreadsheet and the run's index from the result files
    (after a template change, or to add PDFs to a ``--no-pdf`` run). Returns one line per job."""
    import json

    from model.runlock import hold

    run_dir = Path(run_dir)
    path = run_dir / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        jobs = manifest["jobs"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise brief_data.BriefDataError(f"{path}: not a run manifest ({type(exc).__name__}: {exc})") from None
    check_jobs(jobs, str(path))  # every name, before anything is written
    lines = []
    with hold(run_dir, "cea brief"):
        for job in jobs:
            if job.get("status") == "ok":
                out = build_brief(run_dir / job["unit"] / job["scenario"], pdf=pdf)
                lines.append(f"{job['unit']}/{job['scenario']}: {out['html']}, {out['xlsx']}, {out['pdf']}")
        info = {k: manifest.get(k, "") for k in ("run", "seed", "draws", "executor")}
        versions = manifest.get("versions") if isinstance(manifest.get("versions"), dict) else {}
        build_index(run_dir, jobs, info | {"version": versions.get("model", "")})
    return lines
