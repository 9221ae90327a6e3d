"""The mother-infant continuum: antenatal supplement x care for at-risk infants, on one frontier.

MMS lowers low birthweight; fewer LBW babies means fewer small and nutritionally at-risk infants
under 6 months, so the supplement choice changes the size of the infant-care programme. The
combined strategies are ``supplement + care`` for the three care strategies of the infant model
(no programme, inpatient, MAMI); ``IFA + inpatient`` is the status quo and ``IFA + no programme``
shows what infant care buys against doing nothing.

Link (evidence note ``mami_evidence.md`` section 6c). The at-risk share of live births is
``L p1 + (1 - L) p0`` with ``L`` the LBW share, and the odds of being at risk ``or_at_risk_lbw``
times higher for LBW babies (``p1``). ``p0`` is solved so that the status quo (IFA, the country's
LBW prevalence) reproduces ``p_at_risk_u6m``; each supplement's LBW share, from the antenatal
model, then gives its at-risk share. Identified at-risk infants per pregnancy =
live births x at-risk share x ``p_identified``.

Double counting. The antenatal model reproduces the country's infant mortality, which already
includes the deaths of at-risk infants under today's care (inpatient referral, the status quo).
So the continuum takes all deaths, DALYs and antenatal costs from the antenatal model, adds the
infant-care costs of every identified at-risk infant under the chosen care strategy, and adds only
the *change* in infant deaths and DALYs that the chosen care makes relative to inpatient care.
Nothing the antenatal model counts is counted again; fewer at-risk infants under MMS lower the
infant-care bill and shrink (or grow) MAMI's gain in proportion.

Units: per pregnancy reached by antenatal care (``summary(100_000)`` per 100,000), and per year
nationally (pregnancies reached).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from model import antenatal, infant
from model.outcomes import Outcomes
from model.parameters import ParameterSet, Settings

SUPPLEMENTS = ("IFA", "MMS")
CARE = infant.STRATEGIES
STATUS_QUO = "IFA + inpatient"
OUTCOMES = ("cost", "cost_provider", "cost_household", "dalys", "infant_deaths", "stillbirths",
            "lbw_births", "at_risk_identified", "infant_care_cost", "care_deaths_averted")
REQUIRED = sorted(set(antenatal.REQUIRED) | set(infant.REQUIRED) | {"or_at_risk_lbw"})


def required(settings: Settings) -> list[str]:
    """Inputs the model reads under ``settings`` (what a PSA must sample)."""
    return sorted(set(REQUIRED) | set(antenatal.required(settings)))


def strategies(supplements: Sequence[str] = SUPPLEMENTS) -> list[str]:
    """Combined strategy labels, supplement-major: ``IFA + inpatient``, ``IFA + MAMI``, ..."""
    return [f"{s} + {c}" for s in supplements for c in CARE]


def baseline_risk_non_lbw(prevalence, lbw, odds_ratio) -> np.ndarray:
    """Risk ``p0`` of non-LBW babies such that ``lbw p1 + (1 - lbw) p0 = prevalence`` with
    ``odds(p1) = odds_ratio x odds(p0)``: the positive root of
    ``(1-L)(o-1) p0^2 + [L o + 1 - L - prevalence (o-1)] p0 - prevalence = 0``."""
    prev, lbw, o = (np.asarray(x, dtype=float) for x in (prevalence, lbw, odds_ratio))
    a = (1 - lbw) * (o - 1)
    b = lbw * o + 1 - lbw - prev * (o - 1)
    safe_a = np.where(np.abs(a) > 1e-12, a, 1.0)
    root = (-b + np.sqrt(b * b + 4 * safe_a * prev)) / (2 * safe_a)
    return np.where(np.abs(a) > 1e-12, root, prev / b)


def risk_lbw(p0, odds_ratio) -> np.ndarray:
    """Risk of LBW babies given the non-LBW risk and the odds ratio."""
    p0, o = np.asarray(p0, dtype=float), np.asarray(odds_ratio, dtype=float)
    return o * p0 / (1 - p0 + o * p0)


@dataclass(frozen=True)
class ContinuumResult(Outcomes):
    """Outcomes per pregnancy reached (:class:`model.outcomes.Outcomes`, one per ``supplement +
    care`` strategy; the population is the pregnancies reached in a year) and the two models'
    results for the same draws."""

    antenatal: antenatal.AntenatalResult
    infant: infant.InfantResult

    @property
    def pregnancies_reached(self) -> np.ndarray:
        """Pregnancies reached by antenatal care in one year (the population)."""
        return self.population


def combine(p: Mapping[str, np.ndarray], ante: antenatal.AntenatalResult, inf: infant.InfantResult,
            supplements: Sequence[str] = SUPPLEMENTS) -> dict[str, np.ndarray]:
    """Per-pregnancy outcomes of every ``supplement + care`` strategy from the two models' results
    for the same parameter draws (see the module docstring for the rules)."""
    a = {k: np.asarray(v) for k, v in ante.outcomes.items()}
    i = {k: np.asarray(v) for k, v in inf.outcomes.items()}
    idx = {s: antenatal.STRATEGIES.index(s) for s in supplements}
    sq = antenatal.STRATEGIES.index(antenatal.STATUS_QUO)
    lbw_share = a["lbw_births"] / a["live_births"]
    p0 = baseline_risk_non_lbw(p["p_at_risk_u6m"], lbw_share[..., sq], p["or_at_risk_lbw"])
    p1 = risk_lbw(p0, p["or_at_risk_lbw"])
    ref_care = CARE.index(infant.STATUS_QUO)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in OUTCOMES}
    for s in supplements:
        j = idx[s]
        at_risk = lbw_share[..., j] * p1 + (1 - lbw_share[..., j]) * p0
        identified = a["live_births"][..., j] * at_risk * np.asarray(p["p_identified"], dtype=float)
        for c in range(len(CARE)):
            extra_dalys = i["dalys"][..., c] - i["dalys"][..., ref_care]
            extra_deaths = i["deaths"][..., c] - i["deaths"][..., ref_care]
            cols["cost_provider"].append(a["cost_provider"][..., j] + identified * i["cost_provider"][..., c])
            cols["cost_household"].append(a["cost_household"][..., j]
                                          + identified * i["cost_household"][..., c])
            cols["cost"].append(a["cost"][..., j] + identified * i["cost"][..., c])
            cols["infant_care_cost"].append(identified * i["cost"][..., c])
            cols["dalys"].append(a["dalys"][..., j] + identified * extra_dalys)
            cols["infant_deaths"].append(a["infant_deaths"][..., j] + identified * extra_deaths)
            cols["care_deaths_averted"].append(-identified * extra_deaths)
            cols["stillbirths"].append(a["stillbirths"][..., j])
            cols["lbw_births"].append(a["lbw_births"][..., j])
            cols["at_risk_identified"].append(identified)
    return {k: np.stack(np.broadcast_arrays(*v), axis=-1) for k, v in cols.items()}


def run(p: Mapping[str, np.ndarray], settings: Settings, supplements: Sequence[str] = SUPPLEMENTS
        ) -> ContinuumResult:
    """Run both models on the same parameters and combine them."""
    missing = [k for k in REQUIRED if k not in p]
    if missing:
        raise KeyError(f"continuum: missing parameters {missing}")
    ante = antenatal.run(p, settings)
    inf = infant.run(p, settings)
    return ContinuumResult(combine(p, ante, inf, supplements), tuple(strategies(supplements)),
                           ante.pregnancies_reached, ante, inf)


def evaluate_outcomes(p: Mapping[str, np.ndarray], settings: Settings, supplements: Sequence[str] = SUPPLEMENTS
                      ) -> dict[str, np.ndarray]:
    """``run(p, settings, supplements).outcomes``, to the bit, sooner when many draws share their
    infant inputs (a Sobol or Morris design, a one-way, two-way or threshold analysis of an
    antenatal input): the infant model runs once per distinct row of its own inputs. What the
    uncertainty analyses evaluate (:func:`model.uncertainty.evaluator`)."""
    missing = [k for k in REQUIRED if k not in p]
    if missing:
        raise KeyError(f"continuum: missing parameters {missing}")
    infant_outcomes = SimpleNamespace(outcomes=_infant_outcomes_by_distinct_rows(p, settings))
    return combine(p, antenatal.run(p, settings), infant_outcomes, supplements)


def _infant_outcomes_by_distinct_rows(p: Mapping[str, np.ndarray], settings: Settings) -> dict[str, np.ndarray]:
    """The infant model's outcomes per draw, computed once per distinct row of the inputs it reads
    (``infant.REQUIRED``; rows compared bit for bit) and copied to the draws that share it. Each
    draw's outcomes depend on that draw's inputs alone (the model has no cross-draw step), so
    this equals running every row."""
    arrays = {k: np.asarray(p[k], dtype=float) for k in infant.REQUIRED}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    if len(shape) != 1:
        return infant.run(p, settings).outcomes
    n = shape[0]
    varying = [a for a in arrays.values() if a.shape == (n,)]
    bits = np.stack(varying, axis=1).view(np.uint64) if varying else np.zeros((n, 0), dtype=np.uint64)
    _, first, inverse = np.unique(bits, axis=0, return_index=True, return_inverse=True)
    if first.size == n:
        return infant.run(p, settings).outcomes
    distinct = {k: (np.asarray(v)[first] if np.shape(v) == (n,) else v) for k, v in p.items()}
    out = infant.run(distinct, settings).outcomes
    return {k: np.asarray(v)[inverse.reshape(-1)] for k, v in out.items()}


def run_set(ps: ParameterSet, draws: int | None = None, seed: int = 1,
            supplements: Sequence[str] = SUPPLEMENTS) -> ContinuumResult:
    """Run for a loaded parameter set: the base case, or ``draws`` PSA samples."""
    ps.require(required(ps.settings), "the continuum model")
    p = ps.base() if draws is None else coherent_sample(ps, draws, seed, names=required(ps.settings))
    return run(p, ps.settings, supplements)


coherent_sample = antenatal.coherent_sample  # PSA draws whose birth outcomes can be calibrated


AVERTED = ("dalys", "infant_deaths", "stillbirths", "lbw_births")
