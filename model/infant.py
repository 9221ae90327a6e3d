"""Small and nutritionally at-risk infants under 6 months: no programme, inpatient care, MAMI care.

A weekly Markov cohort model (``model/markov.py``) of at-risk infants who would be identified by a
programme, from their age at enrolment to 1 year of age (52 weeks), in two risk classes:

* **high risk** (approximated by severe underweight, WAZ < -3): referred for admission in both
  care arms;
* **moderate risk** (moderate underweight, -3 <= WAZ < -2): referred for admission under
  inpatient care (the status quo), offered MAMI community care in the MAMI arm.

Strategies (``STRATEGIES``):

* ``no programme`` - no identification and no nutrition care: every infant follows the untreated
  natural history (their families keep whatever illness care they would use anyway);
* ``inpatient`` - identified infants are referred for admission; a share ``uptake_inpatient``
  arrives, the rest stay untreated;
* ``MAMI`` - high-risk infants as above; moderate-risk pairs start MAMI community care with
  probability ``uptake_mami``.

With both uptakes at zero every strategy *is* the no-programme strategy (tested), and nothing is
spent on identification: the comparison is of care, for the same identified infants.

**States** (``STATES``): ``untreated`` (at risk, not in care), ``mami`` (at risk, in MAMI care),
``mami_recovered`` (recovered, still enrolled in MAMI until 6 months), ``inpatient``,
``recovered``, ``defaulted`` (left care before its end), ``relapsed``, ``dead``.

**Natural history** (``model/natural_history.py``): the weekly death hazards while at risk and
after recovery are calibrated, per risk class and PSA draw, so that an untreated cohort reproduces
the country's cumulative risks over the evidence's horizon, with spontaneous recovery and relapse
in place; relapsed infants carry the moderate-risk hazard (relapse is most often to moderate
underweight). Defaulted infants return to that natural history (``hr_mortality_defaulted`` times the
at-risk hazard, 1 in the base case: leaving care does not itself harm an infant; observed
defaulter mortality mixes in selection).

**Care** changes the hazards, not the natural history:

* *inpatient*: the stay lasts ``los_inpatient_days`` on average (all exits together, so the
  episode cost is exact); the death hazard in hospital is ``hr_death_inpatient`` times the
  infant's untreated hazard (hospital case-fatality rates come from children admitted for acute
  illness and are not comparable with a screened cohort, so the model does not use them as
  inputs); leaving alive: ``p_default_inpatient`` default, of the rest
  ``p_recovered_inpatient_discharge`` recover, the others go home still at risk;
* *MAMI*: support lasts until the infant is 6 months old. While at risk the death hazard is
  ``hr_death_mami`` times the untreated hazard; the active phase ends after a mean of
  ``mami_treatment_weeks`` in recovery (share ``p_recovered_mami``), referral to hospital
  (``p_referral_mami``, admitted with ``uptake_inpatient``; the others stay in MAMI) or default
  (the rest); recovered pairs stay enrolled (``mami_recovered``, visits continue) and may relapse
  back into active care. At 6 months enrolment ends: recovered pairs become ``recovered``,
  the others ``untreated``.

A weekly probability of leaving a state for each destination comes from competing constant rates
(``model.natural_history.weekly``).

**Rewards.** Provider: each admission costs ``los_inpatient_days`` x (the country's bed-day
(WHO-CHOICE: staff, hotel, capital) + ``inpatient_feeding_drugs_per_day``); each week enrolled
in MAMI (paid at the start of the week, so enrolment to 6 months costs exactly its weeks) costs
``mami_visits_per_week`` x the country's outpatient visit (WHO-CHOICE; staff time is part of the
visit cost and is not added again), plus ``mami_setup_cost_per_pair`` at enrolment. Household
(societal perspective only): ``household_cost_inpatient_episode`` per admission and
``household_cost_ratio_community`` times it per MAMI enrolment. DALYs: YLL at the age of death
(GBD 2019 reference life table, discounted) and YLD for weeks at risk (``dw_severe_wasting`` x
``p_severe_among_at_risk``). Costs and effects are discounted from enrolment.

Units: per identified at-risk infant; costs in the run's price year US$; DALYs in years.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model import natural_history
from model.dalys import LifeTable, discounted_years
from model.markov import check_transitions, correction_weights, simulate
from model.natural_history import weekly
from model.outcomes import Outcomes
from model.parameters import ParameterSet, Settings
from model.timing import timed

STATES = ("untreated", "mami", "mami_recovered", "inpatient", "recovered", "defaulted", "relapsed", "dead")
U, MAMI, MAMI_REC, IN, REC, DEF, REL, DEAD = range(len(STATES))
AT_RISK = (U, MAMI, IN, DEF, REL)
STRATEGIES = ("no programme", "inpatient", "MAMI")
NO_PROGRAMME, STATUS_QUO = "no programme", "inpatient"
RISKS = ("high", "moderate")
WEEK_YEARS = 7 / 365.25
MAMI_END_WEEKS = 26  # MAMI support lasts until the infant is 6 months old
HORIZON_WEEKS = 52  # followed to 1 year of age
OUTCOMES = ("cost", "cost_provider", "cost_household", "dalys", "yll", "yld", "deaths", "deaths_by_6m",
            "recoveries", "admissions", "mami_enrolments", "weeks_at_risk")

GLOBAL_KEYS = [
    "p_at_risk_u6m", "p_identified", "p_high_risk", "uptake_inpatient", "uptake_mami",
    "mortality_untreated_high", "mortality_untreated_moderate", "mortality_not_at_risk",
    "source_share_severe_underweight", "source_share_moderate_underweight", "share_postneonatal_hazard_in_horizon",
    "natural_history_horizon_weeks", "recovery_untreated_median_weeks",
    "relapse_3m", "hr_mortality_defaulted",
    "los_inpatient_days", "p_default_inpatient", "p_recovered_inpatient_discharge", "hr_death_inpatient",
    "mami_treatment_weeks", "p_recovered_mami", "p_referral_mami", "hr_death_mami",
    "inpatient_feeding_drugs_per_day", "mami_visits_per_week", "mami_setup_cost_per_pair",
    "household_cost_inpatient_episode", "household_cost_ratio_community",
    "dw_severe_wasting", "p_severe_among_at_risk", "discount_rate_costs", "discount_rate_effects",
]
COUNTRY_KEYS = ["live_births", "pnmr", "cost_bed_day", "cost_outpatient_visit"]
REQUIRED = GLOBAL_KEYS + COUNTRY_KEYS


def _capped(*shares: np.ndarray) -> list[np.ndarray]:
    """Outcome shares scaled down proportionally where they sum to more than 1 (extreme draws)."""
    total = sum(np.asarray(s, dtype=float) for s in shares)
    scale = np.where(total > 1.0, 1.0 / np.where(total > 0, total, 1.0), 1.0)
    return [np.asarray(s, dtype=float) * scale for s in shares]


def rates(p: Mapping[str, np.ndarray], h: Mapping[str, np.ndarray]) -> dict[int, dict[int, np.ndarray]]:
    """Weekly competing rates ``{from state: {to state: rate}}`` before 6 months of age; each
    rate has a trailing risk-class axis. ``h`` is :func:`model.natural_history.hazards`."""
    mu = h["mu_at_risk"]
    mu_rec, mu_rel = h["mu_recovered"][..., None], h["mu_relapsed"][..., None]
    recover, relapse = h["recovery"][..., None], h["relapse"][..., None]

    def col(name):
        return np.asarray(p[name], dtype=float)[..., None]

    out: dict[int, dict[int, np.ndarray]] = {
        U: {DEAD: mu, REC: recover},
        REL: {DEAD: np.broadcast_to(mu_rel, mu.shape), REC: recover},
        DEF: {DEAD: mu * col("hr_mortality_defaulted"), REC: recover},
        REC: {DEAD: mu_rec, REL: relapse},
        MAMI_REC: {DEAD: mu_rec, MAMI: relapse},
    }
    # inpatient: all exits together at 7 / LOS per week; death at hr x the untreated hazard
    leave = 7.0 / col("los_inpatient_days")
    death = np.minimum(mu * col("hr_death_inpatient"), leave)
    alive = leave - death
    default = col("p_default_inpatient")
    recovered = col("p_recovered_inpatient_discharge")
    out[IN] = {DEAD: death, DEF: alive * default, REC: alive * (1 - default) * recovered,
               U: alive * (1 - default) * (1 - recovered)}
    # MAMI active phase: death competing with the end of the active phase (recovery, referral, default)
    active = 1.0 / col("mami_treatment_weeks")
    rec_share, ref_share = _capped(col("p_recovered_mami"), col("p_referral_mami"))
    out[MAMI] = {DEAD: mu * col("hr_death_mami"), MAMI_REC: active * rec_share,
                 IN: active * ref_share * col("uptake_inpatient"), DEF: active * (1 - rec_share - ref_share)}
    return out


def transition_matrix(p: Mapping[str, np.ndarray], h: Mapping[str, np.ndarray] | None = None,
                      mami_ends: bool = False) -> np.ndarray:
    """Weekly transition matrices, shape ``(*samples, 2 risks, 1, K, K)`` (shared by all
    strategies). With ``mami_ends`` the week in which infants turn 6 months: MAMI enrolment ends,
    so whoever would stay in ``mami`` goes to ``untreated`` and ``mami_recovered`` to ``recovered``."""
    h = h if h is not None else natural_history.hazards(p, strict=False)
    flows = {s: weekly(d) for s, d in rates(p, h).items()}
    shape = np.broadcast_shapes(*(np.shape(v) for d in flows.values() for v in d.values()))
    k = len(STATES)
    out = np.zeros((*shape[:-1], len(RISKS), 1, k, k))
    for i, dest in flows.items():
        stay = 1.0 - sum(dest.values())
        for j, v in dest.items():
            out[..., :, 0, i, j] += v
        out[..., :, 0, i, i] += stay
    out[..., DEAD, DEAD] = 1.0
    return _end_mami(out) if mami_ends else out


def _end_mami(matrix: np.ndarray) -> np.ndarray:
    """The week MAMI enrolment ends: flows that would stay in (or enter) ``mami`` go to
    ``untreated``, and those of ``mami_recovered`` to ``recovered``."""
    out = matrix.copy()
    out[..., U] += out[..., MAMI]
    out[..., REC] += out[..., MAMI_REC]
    out[..., MAMI] = 0.0
    out[..., MAMI_REC] = 0.0
    return out


STUDY_INPUTS = ("hr_death_mami", "mami_treatment_weeks", "p_recovered_mami", "p_referral_mami", "hr_death_inpatient",
                "los_inpatient_days", "p_default_inpatient", "p_recovered_inpatient_discharge",
                *natural_history.KEYS)  # what the episode shares depend on
STUDY_QUANTITIES = ("mami_episode_death", "mami_episode_default", "mami_episode_referral", "mami_episode_recovery",
                    "inpatient_episode_death", "inpatient_episode_default", "inpatient_episode_recovery")


def study_quantities(p: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What a study of moderate-risk infants in care would observe, per draw: the share of MAMI's
    active phase ending in death, default, referral (admitted or not) and recovery, and of an
    inpatient stay ending in death, default and recovery at discharge (the competing rates of
    :func:`rates` turned into episode shares, ignoring the end of MAMI at 6 months)."""
    p = {k: np.asarray(v, dtype=float) for k, v in p.items()}
    h = natural_history.hazards(p, strict=False)
    mu = h["mu_at_risk"][..., RISKS.index("moderate")]
    death = mu * p["hr_death_mami"]
    active = 1.0 / p["mami_treatment_weeks"]
    rec_share, ref_share = _capped(p["p_recovered_mami"], p["p_referral_mami"])
    total = death + active
    leave = 7.0 / p["los_inpatient_days"]
    death_in = np.minimum(mu * p["hr_death_inpatient"], leave) / leave
    return {
        "mami_episode_death": death / total, "mami_episode_recovery": active * rec_share / total,
        "mami_episode_referral": active * ref_share / total,
        "mami_episode_default": active * (1 - rec_share - ref_share) / total,
        "inpatient_episode_death": death_in, "inpatient_episode_default": (1 - death_in) * p["p_default_inpatient"],
        "inpatient_episode_recovery": (1 - death_in) * (1 - p["p_default_inpatient"])
        * p["p_recovered_inpatient_discharge"],
    }


def initial_distribution(p: Mapping[str, np.ndarray]) -> np.ndarray:
    """Starting states, shape ``(*samples, 2 risks, 3 strategies, K)``."""
    u_in, u_mami = np.asarray(p["uptake_inpatient"], float), np.asarray(p["uptake_mami"], float)
    shape = np.broadcast_shapes(u_in.shape, u_mami.shape)
    m = np.zeros((*shape, len(RISKS), len(STRATEGIES), len(STATES)))
    none, inpatient, mami = (STRATEGIES.index(s) for s in ("no programme", "inpatient", "MAMI"))
    m[..., :, none, U] = 1.0
    m[..., :, [inpatient, mami], IN] = u_in[..., None, None]
    m[..., :, [inpatient, mami], U] = 1 - u_in[..., None, None]
    moderate = RISKS.index("moderate")
    m[..., moderate, mami, IN] = 0.0
    m[..., moderate, mami, MAMI] = u_mami
    m[..., moderate, mami, U] = 1 - u_mami
    return m


@dataclass(frozen=True)
class InfantResult(Outcomes):
    """Outcomes per identified infant (:class:`model.outcomes.Outcomes`, 3 strategies; the population
    is the infants identified in a year); ``by_risk`` keeps the risk axis ``(*samples, 2 risks, 3
    strategies)``; ``natural_history`` is the calibration (:func:`model.natural_history.hazards`)."""

    by_risk: dict[str, np.ndarray]
    correction: str
    natural_history: dict

    @property
    def identified_per_year(self) -> np.ndarray:
        """At-risk infants identified in the country in one year (the population)."""
        return self.population


def _transitions(during: np.ndarray, ages: np.ndarray, ns: int):
    """Cycle -> transition matrices: ``during`` is shared by every enrolment-age group except in
    the week each group turns 6 months, when its MAMI enrolment ends (a leading group axis for
    that cycle)."""
    ending = _end_mami(during)

    def at(t: int) -> np.ndarray:
        ends = ages + t == MAMI_END_WEEKS - 1
        if not ends.any():
            return during
        return np.where(ends.reshape((-1,) + (1,) * (ns + 4)), ending, during)

    return at


CHUNK = 10_000  # draws per pass: every draw is computed on its own, so chunks only bound memory


def _in_chunks(p: Mapping[str, np.ndarray], settings: Settings, table: LifeTable, strict: bool,
               n: int) -> InfantResult:
    """:func:`run` over blocks of ``CHUNK`` draws, joined (identical numbers, bounded memory)."""
    parts = [run({k: (v[i:i + CHUNK] if v.shape[:1] == (n,) else v) for k, v in p.items()}, settings, table,
                 strict) for i in range(0, n, CHUNK)]

    def join(values):
        first = values[0]
        if isinstance(first, dict):
            return {k: join([v[k] for v in values]) for k in first}
        if isinstance(first, np.ndarray) and first.ndim and first.shape[0] == min(CHUNK, n):
            return np.concatenate(values)
        return first

    return InfantResult(join([r.outcomes for r in parts]), STRATEGIES, join([r.population for r in parts]),
                        join([r.by_risk for r in parts]), parts[0].correction,
                        join([r.natural_history for r in parts]))


def run(p: Mapping[str, np.ndarray], settings: Settings, table: LifeTable | None = None,
        strict: bool | None = None, keep_trace: bool = False) -> InfantResult:
    """Evaluate the infant model for a parameter mapping (0-d arrays or a sample axis).

    ``strict`` (default: True for 0-d inputs) makes a natural history that cannot be calibrated
    an error; in a PSA such draws give NaN outcomes and are counted in ``natural_history``."""
    missing = [k for k in REQUIRED if k not in p]
    if missing:
        raise KeyError(f"infant model: missing parameters {missing}")
    p = {k: np.asarray(v, dtype=float) for k, v in p.items()}
    if strict is None:
        strict = all(np.ndim(p[k]) == 0 for k in REQUIRED)
    table = table or LifeTable.for_settings(settings)
    shape = np.broadcast_shapes(*(np.shape(p[k]) for k in REQUIRED))
    if len(shape) == 1 and shape[0] > CHUNK and not keep_trace:
        return _in_chunks(p, settings, table, strict, shape[0])
    h = natural_history.hazards(p, strict=strict)
    ages = np.asarray(settings.enrolment_ages_weeks, dtype=int)
    horizons = HORIZON_WEEKS - ages
    n_cycles = int(horizons.max())
    n_groups = len(ages)
    shape = np.broadcast_shapes(*(np.shape(p[k]) for k in REQUIRED))
    ns = len(shape)
    # every reward total gets a leading enrolment-age-group axis: (A, *samples, R, S)

    weights = np.zeros((n_cycles + 1, n_groups))
    for a, hz in enumerate(horizons):  # each group's own correction over its own horizon
        weights[: hz + 1, a] = correction_weights(settings.infant_correction, int(hz))
    weights = weights.reshape((n_cycles + 1, n_groups) + (1,) * (ns + 2))

    def per_state(**values) -> np.ndarray:
        """A ``(*samples, 1, 1, K)`` reward vector from state-name keyword values."""
        v = np.zeros((*shape, 1, 1, len(STATES)))
        for name, x in values.items():
            v[..., STATES.index(name)] = np.asarray(x, dtype=float)[..., None, None]
        return v

    episode_inpatient = p["los_inpatient_days"] * (p["cost_bed_day"] + p["inpatient_feeding_drugs_per_day"])
    household_inpatient = p["household_cost_inpatient_episode"]
    household_mami = p["household_cost_ratio_community"] * household_inpatient
    mami_week = p["mami_visits_per_week"] * p["cost_outpatient_visit"]
    provider_week = per_state(mami=mami_week, mami_recovered=mami_week)
    yld_week = per_state(**{STATES[s]: p["dw_severe_wasting"] * p["p_severe_among_at_risk"] * WEEK_YEARS
                            for s in AT_RISK})
    at_risk_week = per_state(**{STATES[s]: 1.0 for s in AT_RISK})
    provider_entry = per_state(inpatient=episode_inpatient)
    household_entry = per_state(inpatient=household_inpatient)
    count_death, count_adm = per_state(dead=1.0), per_state(inpatient=1.0)
    count_rec = per_state(recovered=1.0, mami_recovered=1.0)
    # in the week MAMI ends, recovered pairs still enrolled move to 'recovered': not a recovery
    during = transition_matrix(p, h)
    for t, matrix in enumerate((during, _end_mami(during))):  # the only two matrices: checked once here
        check_transitions(matrix, t, STATES, STRATEGIES[:1])
    stay_enrolled = during[..., MAMI_REC, MAMI_REC]  # (*samples, R, 1)
    end_transfer = np.zeros((*shape, len(RISKS), 1, len(STATES)))
    end_transfer[..., MAMI_REC] = -stay_enrolled

    cycles = np.arange(n_cycles + 1)
    active = (cycles[:, None] < horizons[None, :]).astype(float)  # (T+1, A): cycle within the group's horizon
    by_6m = (cycles[:, None] < (MAMI_END_WEEKS - ages)[None, :]).astype(float)
    mami_end = (cycles[:, None] == (MAMI_END_WEEKS - 1 - ages)[None, :]).astype(float)
    # YLL for a death in cycle t of group a, at age (a + t + 0.5) weeks: (T+1, A, *samples)
    death_age = (ages[None, :] + cycles[:, None] + 0.5) * WEEK_YEARS
    r_eff = p["discount_rate_effects"]
    yll_death = discounted_years(table.remaining(death_age).reshape(death_age.shape + (1,) * ns), r_eff)

    def group_weights(x: np.ndarray) -> np.ndarray:
        """(T+1, A[, *samples]) -> (T+1, A, *samples or 1s, 1, 1) to broadcast with totals (A, *s, R, S)
        (no copy along sample axes the weights do not vary over)."""
        return x.reshape(x.shape + (1,) * (2 + ns - x.ndim) + (1, 1))

    r_cost = p["discount_rate_costs"][..., None, None]  # broadcasts with totals (A, *samples, R, S)
    r_dalys = r_eff[..., None, None]
    m0 = initial_distribution(p)
    res = simulate(
        np.broadcast_to(m0, (n_groups, *shape, *m0.shape[-3:])), _transitions(during, ages, ns), n_cycles,
        state_rewards={"cost_provider_weekly": provider_week, "yld": yld_week, "weeks_at_risk": at_risk_week},
        entry_rewards={"cost_provider_entry": provider_entry, "cost_household": household_entry,
                       "deaths": count_death, "deaths_by_6m": count_death, "admissions_later": count_adm,
                       "yll": count_death, "recoveries": count_rec},
        instant_rewards={"recoveries_not_new": end_transfer},
        reward_weights={
            "cost_provider_weekly": group_weights(active),  # a visit at the start of each week enrolled
            "yld": group_weights(weights[..., 0, 0]), "weeks_at_risk": group_weights(weights[..., 0, 0]),
            **{k: group_weights(active) for k in ("cost_provider_entry", "cost_household", "deaths",
                                                  "recoveries", "admissions_later")},
            "deaths_by_6m": group_weights(by_6m), "recoveries_not_new": group_weights(mami_end),
            "yll": group_weights(active[(...,) + (None,) * ns] * yll_death),
        },
        correction="none",  # the group-specific correction weights are in reward_weights
        discount={"cost_provider_weekly": r_cost, "cost_provider_entry": r_cost, "cost_household": r_cost,
                  "yld": r_dalys, "yll": r_dalys},
        cycle_years=WEEK_YEARS, states=STATES, strategies=STRATEGIES, keep_trace=keep_trace,
        check=False,  # the two matrices the cycles use were checked above
    )
    group_w = np.asarray(settings.enrolment_age_weights, dtype=float).reshape((n_groups,) + (1,) * (ns + 2))
    tot = {k: np.sum(v * group_w, axis=0) for k, v in res.totals.items()}
    # one-offs for those who start in care (the engine pays entries only on transitions)
    first_provider = (m0[..., IN] * episode_inpatient[..., None, None]
                      + m0[..., MAMI] * p["mami_setup_cost_per_pair"][..., None, None])
    first_household = (m0[..., IN] * household_inpatient[..., None, None]
                       + m0[..., MAMI] * household_mami[..., None, None])
    by_risk = {
        "cost_provider": tot["cost_provider_weekly"] + tot["cost_provider_entry"] + first_provider,
        "cost_household": tot["cost_household"] + first_household,
        "yll": tot["yll"], "yld": tot["yld"], "deaths": tot["deaths"], "deaths_by_6m": tot["deaths_by_6m"],
        "recoveries": tot["recoveries"] + tot["recoveries_not_new"],
        "admissions": tot["admissions_later"] + m0[..., IN],
        "mami_enrolments": m0[..., MAMI], "weeks_at_risk": tot["weeks_at_risk"],
    }
    by_risk["dalys"] = by_risk["yll"] + by_risk["yld"]
    societal = settings.perspective == "societal"
    by_risk["cost"] = by_risk["cost_provider"] + (by_risk["cost_household"] if societal else 0.0)
    high = np.broadcast_to(p["p_high_risk"], shape)
    risk_w = np.stack([high, 1 - high], axis=-1)[..., None]
    by_risk = {k: np.broadcast_to(v, (*shape, len(RISKS), len(STRATEGIES))) for k, v in by_risk.items()}
    outcomes = {k: np.sum(by_risk[k] * risk_w, axis=-2) for k in OUTCOMES}
    identified = p["live_births"] * p["p_at_risk_u6m"] * p["p_identified"]
    nh = {**h, "failed": ~np.isfinite(h["mu_at_risk"]).all(axis=-1)}  # only when not strict
    if keep_trace:
        nh["trace"] = res.trace
    return InfantResult(outcomes, STRATEGIES, np.broadcast_to(identified, shape), by_risk, settings.infant_correction,
                        nh)


def run_set(ps: ParameterSet, draws: int | None = None, seed: int = 1) -> InfantResult:
    """Run for a loaded parameter set: the base case, or ``draws`` PSA samples."""
    ps.require(REQUIRED, "the infant model")
    p = ps.base() if draws is None else ps.sample(draws, seed, names=REQUIRED)
    return run(p, ps.settings)


@timed("survival curves")
def survival(p: Mapping[str, np.ndarray], settings: Settings, enrolment_age_weeks: int = 4) -> pd.DataFrame:
    """Share alive by week of age for a cohort enrolled at ``enrolment_age_weeks``, by risk class
    and strategy (the mean over any sample axis): columns age_weeks, risk, strategy, alive."""
    one = settings.model_copy(update={"enrolment_ages_weeks": (int(enrolment_age_weeks),),
                                      "enrolment_age_weights": (1.0,)})
    res = run(p, one, keep_trace=True)
    trace = np.asarray(res.natural_history["trace"])[0]  # (1 group, *samples, R, S, T+1, K)
    alive = 1.0 - trace[..., DEAD]
    alive = alive.reshape((-1,) + alive.shape[-3:]).mean(axis=0)  # (R, S, T+1)
    rows = [{"age_weeks": enrolment_age_weeks + t, "risk": r, "strategy": s, "alive": alive[i, j, t]}
            for i, r in enumerate(RISKS) for j, s in enumerate(STRATEGIES) for t in range(alive.shape[-1])]
    return pd.DataFrame(rows)


def diagram() -> str:
    """Mermaid Markdown of the states and allowed transitions."""
    edges = [("untreated", "recovered"), ("untreated", "dead"), ("relapsed", "recovered"), ("relapsed", "dead"),
             ("defaulted", "recovered"), ("defaulted", "dead"), ("recovered", "relapsed"), ("recovered", "dead"),
             ("inpatient", "recovered"), ("inpatient", "untreated"), ("inpatient", "defaulted"),
             ("inpatient", "dead"), ("mami", "mami_recovered"), ("mami", "inpatient"), ("mami", "defaulted"),
             ("mami", "dead"), ("mami_recovered", "mami"), ("mami_recovered", "dead"),
             ("mami", "untreated"), ("mami_recovered", "recovered")]
    labels = {"untreated": "at risk, not in care", "mami": "MAMI community care (at risk)",
              "mami_recovered": "MAMI, recovered (enrolled to 6 months)", "inpatient": "inpatient care",
              "recovered": "recovered", "defaulted": "defaulted", "relapsed": "relapsed", "dead": "dead"}
    lines = ["flowchart LR"] + [f'    {s}["{labels[s]}"]' for s in STATES]
    lines += [f"    {a} -->|at 6 months| {b}" if (a, b) in (("mami", "untreated"), ("mami_recovered", "recovered"))
              else f"    {a} --> {b}" for a, b in edges]
    return "```mermaid\n" + "\n".join(lines) + "\n```"


AVERTED = ("dalys", "deaths")
