"""Untreated natural history of at-risk infants under 6 months: country risks, calibrated hazards.

**Evidence.** One community cohort gives the cumulative risk of death over a horizon of ``H``
weeks (``natural_history_horizon_weeks``) for three groups measured at the same visit and not
treated for malnutrition: severely underweight infants (the high-risk class), moderately
underweight infants (the moderate-risk class) and infants not underweight (Vesel et al. 2010,
India: first immunisation visit to 6 months). The inputs are those cumulative risks, as the source
reports them (``mortality_untreated_high``, ``mortality_untreated_moderate``,
``mortality_not_at_risk``).

**Country.** The source's relative risks travel; its mortality *level* does not. The source
cohort's all-infant risk is the mix of its three groups (``source_share_severe_underweight``,
``source_share_moderate_underweight``, the rest not underweight). The country's all-infant
cumulative hazard over the same ages is the share ``share_postneonatal_hazard_in_horizon`` of its
post-neonatal cumulative hazard (UN IGME ``pnmr``, deaths between 28 days and 1 year per 1,000
alive at 28 days; the share comes from the age pattern of post-neonatal deaths). Every group's
cumulative hazard is scaled by the ratio of the two (proportional hazards across populations)::

    f = -share ln(1 - pnmr / 1000) / -ln(1 - r_all_source)
    r_group = 1 - (1 - r_group_source) ** f

A country whose all-infant risk equals the source cohort's gets the source's risks back exactly
(tested). Assumed: the country's mix of at-risk infants is like the source's, and the hazard ratios
between groups hold across populations and decades.

**Calibration.** Untreated infants are not at risk forever: they recover (median
``recovery_untreated_median_weeks``), and recovered infants relapse (``relapse_3m`` over 13
weeks). So the weekly death hazard *while at risk* (``mu_at_risk``) and *after recovery*
(``mu_recovered``) are solved together, per risk class and per PSA draw, so that in the model's own
weekly chain::

    at risk --mu_at_risk--> dead,  at risk --recovery--> recovered,
    recovered --mu_recovered--> dead,  recovered --relapse--> at risk

a cohort starting at risk has cumulative mortality ``r_class`` after ``H`` weeks and a cohort
starting recovered has ``r_not``. The weekly probabilities are the competing-risk ones the infant
model uses (:func:`weekly`), the ``H``-step matrix power is taken by repeated squaring of the 2 x 2
transient block, and a two-dimensional Newton iteration on the log hazards converges to machine
precision in a few steps, vectorised over draws.

Units: hazards per week; risks are probabilities over ``H`` weeks.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

NEWTON_ITERATIONS = 12  # a fixed count: every draw gets the same steps, however draws are batched

KEYS = ["mortality_untreated_high", "mortality_untreated_moderate", "mortality_not_at_risk",
        "source_share_severe_underweight", "source_share_moderate_underweight",
        "share_postneonatal_hazard_in_horizon", "natural_history_horizon_weeks",
        "recovery_untreated_median_weeks", "relapse_3m", "pnmr"]


class CalibrationError(ValueError):
    """Inputs that no positive weekly hazards can reproduce."""


def weekly(rates: Mapping[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Weekly probabilities of leaving to each destination from competing constant rates (per
    week): ``rate_j / total x (1 - exp(-total))``; zero where every rate is zero."""
    rates = {k: np.asarray(v, dtype=float) for k, v in rates.items()}
    total = sum(rates.values())
    safe = np.where(total > 0, total, 1.0)
    leave = -np.expm1(-total)
    return {k: np.where(total > 0, v / safe * leave, 0.0) for k, v in rates.items()}


def source_all_infant_risk(p: Mapping[str, np.ndarray]) -> np.ndarray:
    """The source cohort's all-infant cumulative risk: its three groups mixed by their shares."""
    sev, mod = (np.asarray(p[k], dtype=float) for k in ("source_share_severe_underweight",
                                                       "source_share_moderate_underweight"))
    return (sev * np.asarray(p["mortality_untreated_high"], dtype=float)
            + mod * np.asarray(p["mortality_untreated_moderate"], dtype=float)
            + (1 - sev - mod) * np.asarray(p["mortality_not_at_risk"], dtype=float))


def country_factor(p: Mapping[str, np.ndarray]) -> np.ndarray:
    """Ratio of the country's all-infant cumulative hazard over the horizon's ages to the source
    cohort's (see the module docstring)."""
    country = -np.asarray(p["share_postneonatal_hazard_in_horizon"], dtype=float) * np.log1p(
        -np.asarray(p["pnmr"], dtype=float) / 1000.0)
    return country / -np.log1p(-source_all_infant_risk(p))


def country_risks(p: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The country's cumulative risks of death over the horizon: ``high``, ``moderate`` (at-risk
    classes, untreated) and ``not_at_risk``."""
    f = country_factor(p)
    return {name: -np.expm1(f * np.log1p(-np.asarray(p[key], dtype=float)))
            for name, key in (("high", "mortality_untreated_high"), ("moderate", "mortality_untreated_moderate"),
                              ("not_at_risk", "mortality_not_at_risk"))}


def recovery_rate(median_weeks) -> np.ndarray:
    """Weekly recovery rate from a median time to recovery (exponential): ``ln 2 / median``."""
    return np.log(2.0) / np.asarray(median_weeks, dtype=float)


def relapse_rate(relapse_3m) -> np.ndarray:
    """Weekly relapse rate from the probability of relapse within 13 weeks."""
    return -np.log1p(-np.asarray(relapse_3m, dtype=float)) / 13.0


def _transient(mu_a, mu_r, recovery, relapse):
    """Weekly 2 x 2 block among (at risk, recovered) as four arrays (row-major): the same
    competing-risk probabilities as :func:`weekly` (hazards here are positive)."""
    total_a, total_r = mu_a + recovery, mu_r + relapse
    leave_a, leave_r = -np.expm1(-total_a) / total_a, -np.expm1(-total_r) / total_r
    return (1 - total_a * leave_a, recovery * leave_a, relapse * leave_r, 1 - total_r * leave_r)


def _matmul(x, y):
    return (x[0] * y[0] + x[1] * y[2], x[0] * y[1] + x[1] * y[3],
            x[2] * y[0] + x[3] * y[2], x[2] * y[1] + x[3] * y[3])


def _power(m, n: int):
    """``m ** n`` for a 2 x 2 block of arrays, by repeated squaring."""
    result = (np.ones_like(m[0]), np.zeros_like(m[0]), np.zeros_like(m[0]), np.ones_like(m[0]))
    while n:
        if n & 1:
            result = _matmul(result, m)
        n >>= 1
        if n:
            m = _matmul(m, m)
    return result


def _row_sums_of_power(m, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row sums of ``m ** n`` (survival from each starting state) for a 2 x 2 block: closed form
    from the eigenvalues (``M^n = (l1^n (M - l2) - l2^n (M - l1)) / (l1 - l2)``), with repeated
    squaring where the eigenvalues are too close for it."""
    a, b, c, d = m
    half_trace, disc = (a + d) / 2, np.sqrt(((a - d) / 2) ** 2 + b * c)
    l1, l2 = half_trace + disc, half_trace - disc
    gap = l1 - l2
    safe = np.where(gap > 1e-7, gap, 1.0)
    p1, p2 = l1 ** n, l2 ** n
    # rows of M - l I times (1, 1): (a + b - l, c + d - l)
    s_top = (p1 * (a + b - l2) - p2 * (a + b - l1)) / safe
    s_bottom = (p1 * (c + d - l2) - p2 * (c + d - l1)) / safe
    if np.any(gap <= 1e-7):
        close = gap <= 1e-7
        q = _power(tuple(np.where(close, x, 0.0) for x in m), n)
        s_top = np.where(close, q[0] + q[1], s_top)
        s_bottom = np.where(close, q[2] + q[3], s_bottom)
    return s_top, s_bottom


def cumulative_mortality(mu_at_risk, mu_recovered, recovery, relapse, weeks: int
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative mortality after ``weeks`` weekly cycles of the untreated chain, for a cohort that
    starts at risk and one that starts recovered."""
    top, bottom = _row_sums_of_power(_transient(mu_at_risk, mu_recovered, recovery, relapse), int(weeks))
    return 1 - top, 1 - bottom


def calibrate(risk_at_risk, risk_recovered, recovery, relapse, weeks: int,
              strict: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Weekly hazards ``(mu_at_risk, mu_recovered)`` of the two-state chain (relapse returns a
    recovered infant to the at-risk state) that reproduce both cumulative risks over ``weeks``.
    Arrays broadcast. With ``strict`` a target that no positive hazards can reach raises
    :class:`CalibrationError`; otherwise such draws are returned as NaN."""
    r_a, r_r, rec, rel = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (
        risk_at_risk, risk_recovered, recovery, relapse)))
    time_at_risk = np.where(rec > 0, -np.expm1(-rec * weeks) / np.where(rec > 0, rec, 1.0), weeks)
    x = np.log(-np.log1p(-r_a) / time_at_risk)
    y = np.log(-np.log1p(-r_r) / weeks)

    def residual(x, y):
        f_a, f_r = cumulative_mortality(np.exp(x), np.exp(y), rec, rel, weeks)
        return f_a - r_a, f_r - r_r

    step = 1e-6
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(NEWTON_ITERATIONS):
            f1, f2 = residual(x, y)
            ax, bx = residual(x + step, y)
            ay, by = residual(x, y + step)
            j11, j21 = (ax - f1) / step, (bx - f2) / step
            j12, j22 = (ay - f1) / step, (by - f2) / step
            det = j11 * j22 - j12 * j21
            dx_, dy_ = (j22 * f1 - j12 * f2) / det, (j11 * f2 - j21 * f1) / det
            x = x - np.clip(np.nan_to_num(dx_), -2.0, 2.0)
            y = y - np.clip(np.nan_to_num(dy_), -2.0, 2.0)
        f1, f2 = residual(x, y)
    _check(np.abs(f1) < 1e-10, "at risk", r_a, weeks, strict)
    _check(np.abs(f2) < 1e-10, "after recovery", r_r, weeks, strict)
    bad = ~((np.abs(f1) < 1e-10) & (np.abs(f2) < 1e-10))
    return np.exp(np.where(bad, np.nan, x)), np.exp(np.where(bad, np.nan, y))


def _check(ok: np.ndarray, what: str, target: np.ndarray, weeks: int, strict: bool) -> None:
    if strict and not np.all(ok):
        i = int(np.flatnonzero(~ok.ravel())[0])
        raise CalibrationError(
            f"natural history: no positive weekly hazards reproduce a cumulative risk of "
            f"{np.ravel(target)[i]:.6g} {what} over {weeks} weeks (sample {i}); the risk of the infants "
            f"at higher risk must exceed what their deaths after recovery alone would give")


def survival_after_recovery(mu_recovered, mu_relapsed, recovery, relapse, weeks: int) -> np.ndarray:
    """Survival ``S[k]`` after ``k = 0 .. weeks`` cycles for a cohort starting recovered in the
    chain recovered <-> relapsed (relapsed infants carry ``mu_relapsed`` and recover again);
    shape ``(weeks + 1, *broadcast shape)``."""
    m = _transient(mu_relapsed, mu_recovered, recovery, relapse)  # order: (relapsed, recovered)
    r_state, l_state = np.ones_like(m[0]), np.zeros_like(m[0])
    out = [r_state + l_state]
    for _ in range(weeks):
        r_state, l_state = r_state * m[3] + l_state * m[1], r_state * m[2] + l_state * m[0]
        out.append(r_state + l_state)
    return np.stack(out)


def calibrate_class(risk, survival_recovered: np.ndarray, recovery, weeks: int,
                    strict: bool = True) -> np.ndarray:
    """Weekly at-risk hazard of a class whose recovered infants follow ``survival_recovered``
    (:func:`survival_after_recovery`), such that its untreated cohort's cumulative mortality after
    ``weeks`` cycles equals ``risk``. With ``a`` the weekly probability of staying at risk and ``b``
    of recovering, survival is ``a^H + b sum_t a^t S[H - 1 - t]`` (Horner's rule; Newton on the
    log hazard)."""
    risk, rec = np.broadcast_arrays(np.asarray(risk, dtype=float), np.asarray(recovery, dtype=float))
    s_rec = survival_recovered

    def mortality(x):
        mu = np.exp(x)
        total = mu + rec
        leave = -np.expm1(-total) / total
        stay, recover = 1 - total * leave, rec * leave
        poly = np.zeros_like(stay)
        for t in range(weeks):  # sum_{t=0}^{H-1} a^t S[H-1-t] by Horner from the highest power
            poly = poly * stay + s_rec[t]
        return 1 - (stay ** weeks + recover * poly)

    time_at_risk = -np.expm1(-rec * weeks) / rec
    x = np.log(-np.log1p(-risk) / time_at_risk)
    step = 1e-6
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(NEWTON_ITERATIONS):
            f = mortality(x) - risk
            d = (mortality(x + step) - risk - f) / step
            x = x - np.clip(np.nan_to_num(f / d), -2.0, 2.0)
        f = mortality(x) - risk
    ok = np.abs(f) < 1e-10
    _check(ok, "at risk", risk, weeks, strict)
    return np.exp(np.where(ok, x, np.nan))


def _calibrate_without_recovered_deaths(risk, recovery, relapse, weeks: int) -> np.ndarray:
    """At-risk hazard reproducing ``risk`` when recovered infants cannot die (fallback)."""
    r, rec, rel = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (risk, recovery, relapse)))
    x = np.log(-np.log1p(-r) / weeks)
    step = 1e-6
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(NEWTON_ITERATIONS):
            f = cumulative_mortality(np.exp(x), 0.0, rec, rel, weeks)[0] - r
            d = (cumulative_mortality(np.exp(x + step), 0.0, rec, rel, weeks)[0] - r - f) / step
            x = x - np.clip(np.nan_to_num(f / d), -2.0, 2.0)
    return np.exp(x)


def hazards(p: Mapping[str, np.ndarray], strict: bool = True) -> dict[str, np.ndarray]:
    """Calibrated weekly hazards for the country.

    Relapse makes an infant underweight again, most often moderately, so relapsed infants carry
    the moderate-risk hazard whatever their class was. Hence: the moderate at-risk hazard and the
    recovered hazard are solved together from the moderate-risk and not-at-risk targets
    (:func:`calibrate`); then the high-risk at-risk hazard from its target, with its recovered
    infants following that recovered/relapsed chain (:func:`calibrate_class`).

    Returns ``mu_at_risk`` with a trailing risk-class axis (high, moderate), ``mu_recovered``,
    ``mu_relapsed`` (= the moderate hazard), ``recovery``, ``relapse`` (weekly rates), the
    country's target ``risks`` (as used), the horizon ``weeks`` and ``clipped``: draws whose
    inputs were inconsistent and were adjusted (see the code)."""
    risks = country_risks(p)
    recovery = recovery_rate(p["recovery_untreated_median_weeks"])
    relapse = relapse_rate(p["relapse_3m"])
    horizon = np.asarray(p["natural_history_horizon_weeks"], dtype=float)
    weeks = int(horizon.ravel()[0])
    if np.any(horizon != weeks) or weeks < 1:
        raise CalibrationError("natural_history_horizon_weeks must be one whole number of weeks (>= 1)")
    # Independent draws of small counts can be inconsistent: (1) the moderate class dying less than
    # infants not at risk (a relative risk below 1; pooled cohorts put it at 2.6, Olofin 2013): its
    # target is raised to theirs; (2) recovered infants who relapse dying more than the not-at-risk
    # target allows (no solution): their own hazard is set to zero and only the moderate target is
    # reproduced. Both are counted in ``clipped``.
    clipped = risks["moderate"] < risks["not_at_risk"]
    risks["moderate"] = np.where(clipped, risks["not_at_risk"], risks["moderate"])
    mu_mod, mu_rec = calibrate(risks["moderate"], risks["not_at_risk"], recovery, relapse, weeks, strict)
    failed = ~(np.isfinite(mu_mod) & np.isfinite(mu_rec))
    if np.any(failed):
        alone = _calibrate_without_recovered_deaths(risks["moderate"], recovery, relapse, weeks)
        mu_mod, mu_rec = np.where(failed, alone, mu_mod), np.where(failed, 0.0, mu_rec)
        clipped = clipped | failed
    s_rec = survival_after_recovery(mu_rec, mu_mod, recovery, relapse, weeks)
    mu_high = calibrate_class(risks["high"], s_rec, recovery, weeks, strict)
    mu_high = np.where(np.isfinite(mu_mod) & np.isfinite(mu_rec), mu_high, np.nan)
    return {"mu_at_risk": np.stack(np.broadcast_arrays(mu_high, mu_mod), axis=-1), "mu_recovered": mu_rec,
            "mu_relapsed": mu_mod, "recovery": recovery, "relapse": relapse, "risks": risks, "weeks": weeks,
            "clipped": np.broadcast_to(clipped, np.shape(mu_mod)).copy()}
