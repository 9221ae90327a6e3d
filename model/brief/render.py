"""Render briefs and the run index from Jinja2 templates (autoescaped) into self-contained HTML.

Figures are the PNGs the notebooks wrote, embedded as ``data:`` URIs so one file opens anywhere
(from disk, as an e-mail attachment). Each headline number in the page carries ``data-key`` and
``data-value`` (the unrounded number) so tests and readers can check it against the result files.
"""

from __future__ import annotations

import base64
import math
import re
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from model.brief import cheers, words
from model.brief.data import HEADLINE_OUTCOMES, BriefData

TEMPLATES = Path(__file__).resolve().parent / "templates"

FIGURES = (  # file stem, caption, alt text; the CEAC is shown with the results (page 2 holds four)
    ("continuum_ce_plane", "Cost-effectiveness plane: five strategies against IFA + inpatient care",
     "Scatter of probabilistic draws of incremental cost (US$ per pregnancy, vertical axis) against DALYs "
     "averted per pregnancy (horizontal axis) for each of the five other strategies against IFA + inpatient "
     "care, with each strategy's mean, a 95% ellipse, and one line per threshold, each with its own dash "
     "pattern; the legend is under the plot."),
    ("uncertainty_continuum_ceaf", "Cost-effectiveness acceptability frontier",
     "Line chart on a 0 to 1 axis of the probability that the strategy with the highest expected net benefit "
     "is the most cost-effective, across thresholds in US$ per DALY averted; each stretch is labelled with "
     "that strategy and a dotted vertical line marks the decision threshold."),
    ("uncertainty_continuum_ceac", "Cost-effectiveness acceptability curves",
     "Line chart on a 0 to 1 axis of the probability that each of the six strategies is the most "
     "cost-effective, across thresholds in US$ per DALY averted, with the decision threshold marked."),
    ("uncertainty_continuum_tornado", "Tornado diagram: inputs that move the net benefit most",
     "Horizontal bars, one per input named in words with its low and high value, showing the incremental net "
     "monetary benefit (US$ per pregnancy) of MMS + MAMI against IFA + inpatient at the decision threshold "
     "when the input is set to its low and to its high value; longest bar first."),
    ("budget_impact", "Budget impact of the recommended strategy by year and phase",
     "Bar chart of the additional cost in US$ million per year over five years by implementation phase "
     "(exploration, pilot, scale-up; below zero is a saving), with DALYs averted per year as a line."),
)


LATER_FIGURES = ("uncertainty_continuum_ceac",)


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


class Marker:
    """Marks the numbers of a sentence from :mod:`model.brief.words` with ``data-key`` (``key(name)``),
    ``data-value`` (signed) and ``data-shown="magnitude"`` (the text shows the size; the words say
    which way), and escapes everything else."""

    def __init__(self, key):
        self.key, self.spans = key, []

    def __call__(self, name: str, value: float, text: str) -> str:
        self.spans.append(Markup('<span class="num" data-key="{}" data-value="{}" data-shown="magnitude">{}</span>')
                          .format(self.key(name), f"{value:.17g}", text))
        return f"\x00{len(self.spans) - 1}\x00"

    def html(self, sentence: str) -> Markup:
        out = str(escape(sentence))
        for i, span in enumerate(self.spans):
            out = out.replace(f"\x00{i}\x00", str(span))
        return Markup(out)


def comparison_html(c) -> Markup:
    """A comparison's answer sentence with its cost, DALYs and ICER marked."""
    m = Marker(lambda name: f"{c.key}.icer" if name == "icer" else f"{c.key}.per_100k.{name}")
    return m.html(words.comparison_sentence(c.new, c.old, c.per_100k["cost"], c.per_100k, c.threshold, mark=m))


def changes_html(prefix: str, averted: dict, outcomes=("infant_deaths", "stillbirths", "dalys"),
                 suffix: str = "") -> Markup:
    """'averts 12 infant deaths, but causes 3.0 more stillbirths' with each number marked
    ``<prefix>.<outcome><suffix>``."""
    m = Marker(lambda name: f"{prefix}.{name}{suffix}")
    return m.html(words.changes(averted, tuple(outcomes), mark=m))


def cost_changes_html(prefix: str, d_cost: float, averted: dict,
                      outcomes=("infant_deaths", "stillbirths", "dalys")) -> Markup:
    """'saves US$1,234 but causes 3.0 more infant deaths ...' with each number marked ``<prefix>.<name>``."""
    m = Marker(lambda name: f"{prefix}.{name}")
    return m.html(words.cost_and_changes(d_cost, averted, tuple(outcomes), mark=m))


def outcome_cell(key: str, averted: float) -> Markup:
    """A table cell: the magnitude (marked) and 'fewer' or 'more'."""
    number, word = words.direction(averted, "")
    span = Markup('<span class="num" data-key="{}" data-value="{}" data-shown="magnitude">{}</span>').format(
        key, f"{averted:.17g}", number)
    return span + (Markup(" ") + word if word else "")


def cost_cell(key: str, d_cost: float) -> Markup:
    """A table cell: the amount (marked) and 'more' or 'saved'."""
    span = Markup('<span class="num" data-key="{}" data-value="{}" data-shown="magnitude">{}</span>').format(
        key, f"{d_cost:.17g}", words.money(d_cost))
    return span + (" more" if d_cost > 0 else " saved" if d_cost < 0 else "")


def short_citation(study: str) -> str:
    """'kashi2019_bgd' -> 'Kashi 2019'; 'this run' stays."""
    m = re.match(r"^([a-z]+)(\d{4})", study)
    return f"{m.group(1).capitalize()} {m.group(2)}" if m else study


def _key_assumptions(data: BriefData) -> list[dict]:
    """Assumed inputs among the drivers of the result, with their labels."""
    params = data.parameters.set_index("parameter")
    drivers = [p for p in data.drivers["parameter"] if p in params.index]
    rows = []
    for p in [p for p in drivers if params.loc[p, "status"] == "assumption"]:
        r = params.loc[p]
        rows.append({"parameter": p, "label": data.label(p), "value": r["value"], "low": r["low"], "high": r["high"],
                     "unit": r["unit"], "note": r["note"] if isinstance(r["note"], str) else ""})
    return rows


def _strategies(data: BriefData) -> list[dict]:
    """Every continuum strategy per 100,000 pregnancies with its frontier status and ICER (blank
    where dominated), in order of cost."""
    base = data.strategies
    rows = []
    for s in base.sort_values("cost").index:
        f = data.frontier.loc[s]
        icer = f["icer_frontier"]
        rows.append({"strategy": s, "cost": base.loc[s, "cost"], "dalys": base.loc[s, "dalys"],
                     "infant_deaths": base.loc[s, "infant_deaths"], "status": f["status"],
                     "status_text": words.FRONTIER_TEXT.get(f["status"], f["status"]),
                     "icer": None if not isinstance(icer, float) or math.isnan(icer) else icer,
                     "compared_with": f["compared_with"] if isinstance(f["compared_with"], str) else "",
                     "recommended": s == data.recommended})
    return rows


def _value(v):
    """A table cell's number, or None for an empty (NaN) cell."""
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def _text(v) -> str:
    """A table cell's text, '' for an empty cell (pandas reads empty CSV cells as NaN)."""
    return "" if _value(v) is None else str(v)


def _published(data: BriefData) -> list[dict]:
    """Rows of the published-results table: this run's status where it has no ratio."""
    if data.published is None:
        return []
    year = data.context["settings"]["price_year"]
    daly, death = f"US$ per DALY averted ({year})", f"US$ per death averted ({year})"
    rows = []
    for r in data.published.to_dict("records"):
        ours = r["study"] == "this run"
        status = re.search(r"\(([^()]*)\)$", r["compared"]) if ours else None
        rows.append({"decision": r["decision"], "ours": ours, "study": short_citation(r["study"]),
                     "citation": _text(r.get("source")), "compared": r["compared"], "population": r["population"],
                     "per_daly": _value(r[daly]), "per_death": _value(r[death]),
                     "status": status.group(1) if status else "", "as_published": _text(r["as published"]),
                     "why": _text(r["why it may differ"])})
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
    later = [f for f in figures if f["id"] in LATER_FIGURES and f["src"]]
    params = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
              for row in data.parameters.to_dict("records")]
    value = lambda name: float(data.parameters.set_index("parameter").loc[name, "value"]) \
        if name in set(data.parameters["parameter"]) else float("nan")  # noqa: E731
    return environment().get_template("brief.html.j2").render(
        d=data, ctx=data.context, figures=[f for f in figures if f["src"] and f not in later], later_figures=later,
        missing_figures=[f["caption"] for f in figures if not f["src"]],
        outcomes=HEADLINE_OUTCOMES, assumptions=_key_assumptions(data), parameters=params,
        strategies=_strategies(data), published=_published(data), cheers=cheers, words=words, value=value,
        comparison_html=comparison_html, changes_html=changes_html, cost_changes_html=cost_changes_html,
        outcome_cell=outcome_cell, cost_cell=cost_cell, research=research_rows(data),
        css=(TEMPLATES / "brief.css").read_text())


def index_html(run: dict, rows: list[dict], columns, league_png: Path | None) -> str:
    """The run index: every job in a sortable table, links to briefs and notebooks, a league chart."""
    return environment().get_template("index.html.j2").render(
        run=run, rows=rows, columns=columns, league=data_uri(league_png) if league_png else None,
        css=(TEMPLATES / "brief.css").read_text())
