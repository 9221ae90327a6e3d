"""Render briefs and the run index from Jinja2 templates (autoescaped) into self-contained HTML.

Figures are the PNGs the notebooks wrote, embedded as ``data:`` URIs so one file opens anywhere
(from disk, as an e-mail attachment). Each headline number in the page carries ``data-key`` and
``data-value`` (the unrounded number) so tests and readers can check it against the result files.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from model.brief.data import HEADLINE_OUTCOMES, BriefData

TEMPLATES = Path(__file__).resolve().parent / "templates"

FIGURES = (  # file stem, caption, alt text
    ("continuum_ce_plane", "Cost-effectiveness plane: the four strategies against IFA + inpatient care",
     "Scatter of probabilistic draws of incremental cost (US$ per pregnancy, vertical axis) against DALYs "
     "averted per pregnancy (horizontal axis) for IFA + MAMI, MMS + inpatient and MMS + MAMI against "
     "IFA + inpatient care, with each strategy's mean, a 95% ellipse and dashed threshold lines."),
    ("uncertainty_continuum_ceaf", "Cost-effectiveness acceptability frontier",
     "Line chart of the probability that the strategy with the highest expected net benefit is "
     "cost-effective (vertical axis, 0 to 1) across thresholds in US$ per DALY averted (horizontal axis)."),
    ("uncertainty_continuum_ceac", "Cost-effectiveness acceptability curves",
     "Line chart of the probability that each of the four strategies is the most cost-effective "
     "(vertical axis) across thresholds in US$ per DALY averted (horizontal axis)."),
    ("uncertainty_continuum_tornado", "Tornado diagram: inputs that move the net benefit most",
     "Horizontal bars, one per input, showing the incremental net monetary benefit of the best "
     "combination against IFA + inpatient when the input is set to its low and high value; longest bar first."),
    ("budget_impact", "Budget impact by year and implementation phase",
     "Bar chart of the additional cost in US$ per year over five years, by implementation phase "
     "(exploration, pilot, scale-up)."),
)


def fmt_number(value: float, digits: int | None = None) -> str:
    """A count or ratio for reading: thousands separators; decimals only where the number is small."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if digits is None:
        size = abs(value)
        digits = 0 if size >= 100 else 1 if size >= 10 else 2
    text = f"{abs(value):,.{digits}f}"
    return f"-{text}" if value < 0 and float(text.replace(",", "")) != 0 else text


def fmt_money(value: float, digits: int | None = None) -> str:
    """US$ with thousands separators, a minus sign before the currency for savings."""
    text = fmt_number(value, digits if digits is not None else (0 if abs(value) >= 10 else 2))
    if text == "n/a":
        return text
    return f"-US${text[1:]}" if text.startswith("-") else f"US${text}"


def fmt_percent(value: float) -> str:
    """A probability or share as a whole percentage."""
    return "n/a" if not math.isfinite(value) else f"{value:.0%}"


def fmt_rate(value: float) -> str:
    """A rate such as a discount rate: one decimal where it has one (3%, 3.5%)."""
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.1%}".replace(".0%", "%")


def web_url(value) -> str | None:
    """``value`` if it is an http(s) address, else ``None``: only these become links (a
    ``javascript:`` address in an old run's parameters.csv stays text)."""
    if not isinstance(value, str):
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def data_uri(path: Path) -> str | None:
    """``data:image/png;base64,...`` of a figure, or ``None`` when the file is missing."""
    try:
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError:
        return None


def environment() -> Environment:
    """The Jinja2 environment: autoescaping on for every template, unknown names are errors."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=fmt_number, money=fmt_money, pct=fmt_percent, rate=fmt_rate, web_url=web_url)
    return env


def _key_assumptions(data: BriefData) -> list[dict]:
    """Assumed inputs among the drivers of the result, then the other assumed inputs with wide ranges."""
    params = data.parameters.set_index("parameter")
    drivers = [p for p in data.drivers["parameter"] if p in params.index]
    assumed = [p for p in drivers if params.loc[p, "status"] == "assumption"]
    rows = []
    for p in assumed:
        r = params.loc[p]
        rows.append({"parameter": p, "value": r["value"], "low": r["low"], "high": r["high"],
                     "unit": r["unit"], "note": r["note"] if isinstance(r["note"], str) else ""})
    return rows


def research_rows(data: BriefData) -> list[dict]:
    """One row per study for the brief's research section: the summary's numbers, plus the shortest
    decision horizon (if any) over which the study would be worth funding."""
    if data.research is None:
        return []
    rows = []
    for r in data.research.to_dict("records"):
        h = data.research_horizons
        longer = h[(h["study"] == r["study"]) & h["fund"].astype(bool)] if h is not None else h
        first = longer.sort_values("horizon_years").iloc[0] if longer is not None and len(longer) else None
        rows.append(r | {"fund": bool(r["fund"]),
                         "funded_from_years": None if first is None else int(first["horizon_years"]),
                         "funded_from_n": None if first is None else int(first["n_optimal"])})
    return rows


def brief_html(data: BriefData) -> str:
    """The brief as one self-contained HTML document."""
    figures = [{"id": stem, "caption": cap, "alt": alt, "src": data_uri(data.folder / f"{stem}.png")}
               for stem, cap, alt in FIGURES]
    params = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
              for row in data.parameters.to_dict("records")]
    return environment().get_template("brief.html.j2").render(
        d=data, ctx=data.context, figures=[f for f in figures if f["src"]],
        missing_figures=[f["caption"] for f in figures if not f["src"]],
        outcomes=HEADLINE_OUTCOMES, assumptions=_key_assumptions(data), parameters=params,
        research=research_rows(data),
        css=(TEMPLATES / "brief.css").read_text())


def index_html(run: dict, rows: list[dict], columns, league_png: Path | None) -> str:
    """The run index: every job in a sortable table, links to briefs and notebooks, a league chart."""
    return environment().get_template("index.html.j2").render(
        run=run, rows=rows, columns=columns, league=data_uri(league_png) if league_png else None,
        css=(TEMPLATES / "brief.css").read_text())
