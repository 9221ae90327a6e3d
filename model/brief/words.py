"""Plain words from signed results: one vocabulary for dominance, and losses read as losses.

Every place that labels a comparison of ``new`` against ``old`` (the brief, the run index,
``summary.csv``, the spreadsheets) takes its status from :func:`status`, from the incremental cost
(US$) and the DALYs averted (positive: ``new`` is better)::

    dominant                      costs no more and averts at least as many DALYs (one strictly)
    dominated                     costs no less and averts no more DALYs (one strictly)
    more costly, more effective   the ICER is US$ per DALY averted
    less costly, less effective   savings per DALY lost; no ICER is shown (it is not a cost per DALY averted)
    no difference                 the same cost and DALYs

so a cost per DALY averted (:func:`icer`) is shown only for ``more costly, more effective`` and is
blank (``None``) otherwise. On an efficiency frontier (``model.cea``) strategies are
``non-dominated``, ``dominated`` or ``extendedly dominated``; :data:`FRONTIER_TEXT` says what each
means. A result's *verdict* at a threshold is ``cost-effective`` when its incremental net monetary
benefit is positive, whatever the quadrant.

Sentences never print a negative count after a verb of gain: :func:`outcome_change` says
"averts 6,641 DALYs" or "loses 6,641 healthy life-years (DALYs)", "averts 12 infant deaths" or
"causes 12 more infant deaths".
"""

from __future__ import annotations

from collections.abc import Callable

DOMINANT, DOMINATED = "dominant", "dominated"
NORTH_EAST, SOUTH_WEST, SAME = "more costly, more effective", "less costly, less effective", "no difference"
STATUSES = (DOMINANT, DOMINATED, NORTH_EAST, SOUTH_WEST, SAME)
STATUS_TEXT = {
    DOMINANT: "saves money and averts DALYs",
    DOMINATED: "costs more and averts no DALYs",
    NORTH_EAST: "costs more and averts DALYs",
    SOUTH_WEST: "saves money but loses DALYs",
    SAME: "the same cost and DALYs",
}
FRONTIER_TEXT = {
    "non-dominated": "on the efficiency frontier",
    "dominated": "dominated: another strategy costs no more and averts at least as many DALYs",
    "extendedly dominated": ("extendedly dominated: a mix of the strategies either side of it on the frontier "
                             "would avert more DALYs for the same money"),
}
# outcome column -> (singular, plural, word for more of it)
NOUNS = {
    "infant_deaths": ("infant death", "infant deaths"),
    "deaths": ("death", "deaths"),
    "stillbirths": ("stillbirth", "stillbirths"),
    "lbw_births": ("low-birthweight birth", "low-birthweight births"),
    "dalys": ("DALY", "DALYs"),
}
TOLERANCE = 1e-9  # |difference| at or below this counts as none (results are means of floats)


def _zero(x: float) -> bool:
    return abs(x) <= TOLERANCE


def status(d_cost: float, d_dalys_averted: float) -> str:
    """The pairwise status of a strategy against its comparator (see the module docstring)."""
    c, e = float(d_cost), float(d_dalys_averted)
    if _zero(c) and _zero(e):
        return SAME
    if c <= TOLERANCE and e >= -TOLERANCE:
        return DOMINANT
    if c >= -TOLERANCE and e <= TOLERANCE:
        return DOMINATED
    return NORTH_EAST if c > 0 else SOUTH_WEST


def icer(d_cost: float, d_dalys_averted: float) -> float | None:
    """US$ per DALY averted where it means that (more costly, more effective), else ``None``."""
    return float(d_cost) / float(d_dalys_averted) if status(d_cost, d_dalys_averted) == NORTH_EAST else None


def verdict(d_cost: float, d_dalys_averted: float, threshold: float) -> str:
    """``dominant`` or ``dominated`` when one of them; otherwise ``cost-effective`` when the
    incremental net monetary benefit at ``threshold`` (US$ per DALY) is positive, else
    ``not cost-effective``; ``no difference`` for identical results."""
    s = status(d_cost, d_dalys_averted)
    if s in (DOMINANT, DOMINATED, SAME):
        return s
    return "cost-effective" if threshold * d_dalys_averted - d_cost > 0 else "not cost-effective"


def count(value: float) -> str:
    """A count for a sentence: whole numbers from 100, one decimal from 1, two below."""
    size = abs(value)
    digits = 0 if size >= 100 else 1 if size >= 1 else 2
    return f"{size:,.{digits}f}"


def money(value: float) -> str:
    """US$ magnitude for a sentence (the sign goes into the verb)."""
    size = abs(value)
    if _zero(size):
        return "US$0"
    return f"US${size:,.0f}" if size >= 10 else f"US${size:,.2f}"


Mark = Callable[[str, float, str], str]


def plain(name: str, value: float, text: str) -> str:
    """The default :data:`Mark`: a number as shown. A renderer may instead wrap ``text`` in an
    element that carries ``name`` and the signed ``value``."""
    return text


def _noun(outcome: str, value: float) -> str:
    one, many = NOUNS.get(outcome, (outcome.replace("_", " "), outcome.replace("_", " ")))
    return one if count(value) in ("1", "1.0") else many


def outcome_change(averted: float, outcome: str, mark: Mark = plain) -> str:
    """'averts 12 infant deaths', 'causes 12 more infant deaths', 'changes no infant deaths';
    DALYs: 'averts 6,641 DALYs', 'loses 6,641 healthy life-years (DALYs)'."""
    if _zero(averted) or count(averted) in ("0.00", "0"):
        return f"changes no {NOUNS.get(outcome, ('', outcome))[1]}"
    n, noun = mark(outcome, averted, count(averted)), _noun(outcome, averted)
    if averted > 0:
        return f"averts {n} {noun}"
    if outcome == "dalys":
        return f"loses {n} healthy life-years ({noun})"
    return f"causes {n} more {noun}"


def cost_change(d_cost: float, mark: Mark = plain) -> str:
    """'costs US$1,234 more', 'saves US$1,234', 'costs the same'."""
    if _zero(d_cost):
        return "costs the same"
    shown = mark("cost", d_cost, money(d_cost))
    return f"costs {shown} more" if d_cost > 0 else f"saves {shown}"


def join(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    parts = [p for p in parts if p]
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def changes(averted: dict[str, float], outcomes: tuple[str, ...], mark: Mark = plain) -> str:
    """Gains first, then losses: 'averts 3.0 stillbirths and 1.2 DALYs, but causes 4.0 more infant
    deaths and loses 9.1 healthy life-years (DALYs)'."""
    gains, more, lost = [], [], ""
    for o in outcomes:
        if o not in averted or _zero(averted[o]):
            continue
        n, noun = mark(o, averted[o], count(averted[o])), _noun(o, averted[o])
        if averted[o] > 0:
            gains.append(f"{n} {noun}")
        elif o == "dalys":
            lost = f"loses {n} healthy life-years ({noun})"
        else:
            more.append(f"{n} more {noun}")
    losses = join(([f"causes {join(more)}"] if more else []) + ([lost] if lost else []))
    if gains and losses:
        return f"averts {join(gains)}, but {losses}"
    if gains:
        return f"averts {join(gains)}"
    return losses or "changes none of these outcomes"


def comparison_sentence(new: str, old: str, d_cost: float, averted: dict[str, float], threshold: float,
                        scope: str = "per 100,000 pregnancies", mark: Mark = plain) -> str:
    """One sentence for a pairwise result, right in every quadrant of the cost-effectiveness plane."""
    e = averted["dalys"]
    s = status(d_cost, e)
    what = f"{new} instead of {old} {cost_change(d_cost, mark)} and {outcome_change(e, 'dalys', mark)} {scope}"
    if s == NORTH_EAST:
        ratio = d_cost / e
        side = "below" if ratio <= threshold else "above"
        icer_text = mark("icer", ratio, money(ratio))
        return f"{what}: {icer_text} per DALY averted, {side} the threshold of {money(threshold)}."
    if s == DOMINANT:
        return f"{what}: it dominates {old}."
    if s == DOMINATED:
        return f"{what}: {old} dominates it."
    if s == SOUTH_WEST:
        ratio = d_cost / e  # savings per DALY lost (both negative)
        worth = "more" if ratio > threshold else "less"
        return (f"{what}: {money(ratio)} saved for each DALY lost, {worth} than the threshold of "
                f"{money(threshold)} per DALY, so the saving {'is' if worth == 'more' else 'is not'} worth the "
                "health lost.")
    return f"{new} and {old} have the same cost and DALYs {scope}."


def direction(averted: float, outcome: str) -> tuple[str, str]:
    """A table cell's number and word: (magnitude as shown, 'fewer' | 'more' | ''), e.g.
    ('4.1', 'fewer') for 4.1 infant deaths averted, ('145', 'more') for 145 added."""
    if _zero(averted) or count(averted) in ("0.00", "0"):
        return "0", ""
    return count(averted), "fewer" if averted > 0 else "more"


def cost_and_changes(d_cost: float, averted: dict[str, float], outcomes: tuple[str, ...], mark: Mark = plain) -> str:
    """'costs US$5 more and averts 3.0 infant deaths', 'saves US$5 but causes 3.0 more infant deaths',
    'saves US$5 and averts ...': 'but' joins a saving to a loss of health."""
    health = changes(averted, outcomes, mark)
    joint = "but" if d_cost < -TOLERANCE and not health.startswith("averts") else "and"
    return f"{cost_change(d_cost, mark)} {joint} {health}"
