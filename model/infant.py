"""Small and nutritionally at-risk infants under 6 months: inpatient care vs MAMI community care.

A weekly Markov cohort model (``model/markov.py``) of identified at-risk infants, from their age
at enrolment to 6 months (26 weeks), then a terminal reward for survivors.

States (``STATES``): untreated (at risk, not in care), in MAMI community care, in inpatient care,
recovered, defaulted, relapsed, dead.

Entry. Each year ``births x p_at_risk_u6m x p_identified`` infants are identified, split into
high risk (complications or danger signs: referred for admission in both arms) and moderate risk
(uncomplicated: referred for admission under the status quo, offered MAMI community care in the
MAMI arm). Referred infants are admitted with probability ``uptake_inpatient``; MAMI starts with
probability ``uptake_mami``; the others start untreated. Enrolment ages come from
``settings.enrolment_ages_weeks`` and ``enrolment_age_weights``; each age group is followed
until 26 weeks (one run; each group's rewards stop at its own horizon).

Transitions are weekly competing risks built from per-episode evidence: a state with total exit
rate ``lam`` per week is left with probability ``1 - exp(-lam)`` per week, split among the
destinations in proportion to their episode probabilities, so an episode has the sourced mean
duration and outcome shares.

* inpatient: mean stay ``los_inpatient_days``; death ``cfr_inpatient``, default, and of those
  discharged alive ``p_recovered_inpatient_discharge`` recover (the rest leave untreated);
* MAMI: mean duration ``duration_mami_weeks``; death ``cfr_mami``, default, referral to inpatient
  care (admitted with ``uptake_inpatient``), and of completers ``p_recovered_mami_completers``
  recover;
* untreated and relapsed: death at the untreated rate of the risk class, recovery with median
  ``recovery_untreated_median_weeks``; defaulted: defaulter mortality, same recovery;
* recovered: post-recovery mortality, relapse (``relapse_3m`` over 13 weeks).
Mortality in care, after default and after recovery is multiplied by ``rr_mortality_moderate_risk``
for moderate-risk infants; untreated mortality has a source per class.

Rewards. Provider: bed-days x country bed-day cost per week in inpatient care; MAMI visits x
(country outpatient visit cost + staff time) per week, plus a set-up cost per pair (training,
supervision). Household: caretaker cost per inpatient or outpatient episode. DALYs: YLL at the age
of death (GBD 2019 reference life table, discounted) as a transition reward on death, YLD for time
at risk (severe-wasting disability weight x share severe), and for survivors at 6 months the
expected YLL of deaths at 6-12 months by state. Costs and effects are discounted from enrolment.

Units: per identified infant, costs in the run's price year US$, DALYs in years.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.dalys import LifeTable, discounted_years
from model.markov import correction_weights, simulate
from model.parameters import ParameterSet, Settings

STATES = ("untreated", "mami", "inpatient", "recovered", "defaulted", "relapsed", "dead")
U, MAMI, IN, REC, DEF, REL, DEAD = range(len(STATES))
ALIVE = [U, MAMI, IN, REC, DEF, REL]
AT_RISK = [U, MAMI, IN, DEF, REL]
STRATEGIES = ("inpatient", "MAMI")
STATUS_QUO = "inpatient"
RISKS = ("high", "moderate")
WEEK_YEARS = 7 / 365.25
WEEKS_PER_YEAR = 365.25 / 7
SIX_MONTHS = 26
AFTER_HORIZON_YEARS = 0.5  # terminal reward: deaths between 6 and 12 months
OUTCOMES = ("cost", "cost_provider", "cost_household", "dalys", "yll", "yld", "deaths", "recoveries",
            "admissions", "mami_enrolments")

GLOBAL_KEYS = [
    "p_at_risk_u6m", "p_identified", "p_high_risk", "uptake_inpatient", "uptake_mami",
    "rr_mortality_moderate_risk", "cfr_inpatient", "p_default_inpatient",
    "p_recovered_inpatient_discharge", "los_inpatient_days", "duration_mami_weeks",
    "p_recovered_mami_completers", "cfr_mami", "p_default_mami", "p_referral_mami",
    "mortality_untreated_moderate_per_year", "mortality_untreated_high_1y",
    "recovery_untreated_median_weeks", "mortality_recovered_1y", "mortality_defaulter_1y", "relapse_3m",
    "mami_visits_per_week", "staff_cost_per_visit", "mami_setup_cost_per_pair",
    "household_cost_inpatient_episode", "household_cost_outpatient_episode", "dw_severe_wasting",
    "p_severe_among_at_risk", "discount_rate_costs", "discount_rate_effects",
]
COUNTRY_KEYS = ["live_births", "cost_bed_day", "cost_outpatient_visit"]
REQUIRED = GLOBAL_KEYS + COUNTRY_KEYS


def _rate_per_week_from_annual_probability(p) -> np.ndarray:
    return -np.log1p(-np.asarray(p, dtype=float)) / WEEKS_PER_YEAR


def _competing(lam: np.ndarray, shares: Mapping[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Weekly probabilities of leaving to each destination: share x (1 - exp(-lam))."""
    leave = -np.expm1(-lam)
    return {k: s * leave for k, s in shares.items()}


def _capped(*shares: np.ndarray) -> list[np.ndarray]:
    """Episode outcome shares scaled down proportionally where they sum to more than 1."""
    total = sum(np.asarray(s, dtype=float) for s in shares)
    scale = np.where(total > 1.0, 1.0 / np.where(total > 0, total, 1.0), 1.0)
    return [np.asarray(s, dtype=float) * scale for s in shares]


def transition_matrix(p: Mapping[str, np.ndarray]) -> np.ndarray:
    """Weekly transition matrices, shape ``(*samples, 2 risks, 1, K, K)`` (same in both arms)."""
    p = {k: np.asarray(v, dtype=float) for k, v in p.items()}
    shape = np.broadcast_shapes(*(np.shape(p[k]) for k in GLOBAL_KEYS))
    k = len(STATES)
    out = np.zeros((*shape, len(RISKS), 1, k, k))
    recover = np.log(2.0) / p["recovery_untreated_median_weeks"]
    untreated_mu = {"high": _rate_per_week_from_annual_probability(p["mortality_untreated_high_1y"]),
                    "moderate": p["mortality_untreated_moderate_per_year"] / WEEKS_PER_YEAR}
    for r, risk in enumerate(RISKS):
        mult = 1.0 if risk == "high" else p["rr_mortality_moderate_risk"]
        rows: dict[int, dict[int, np.ndarray]] = {}
        # inpatient care (exit shares above 1 in total, possible only at extreme draws, are scaled down)
        death, default = _capped(p["cfr_inpatient"] * mult, p["p_default_inpatient"])
        rest = 1.0 - death - default
        rows[IN] = _competing(7.0 / p["los_inpatient_days"], {
            DEAD: death, DEF: default, REC: rest * p["p_recovered_inpatient_discharge"],
            U: rest * (1 - p["p_recovered_inpatient_discharge"])})
        # MAMI community care
        death, default, referral = _capped(p["cfr_mami"] * mult, p["p_default_mami"], p["p_referral_mami"])
        rest = 1.0 - death - default - referral
        rows[MAMI] = _competing(1.0 / p["duration_mami_weeks"], {
            DEAD: death, DEF: default, IN: referral * p["uptake_inpatient"],
            U: referral * (1 - p["uptake_inpatient"]) + rest * (1 - p["p_recovered_mami_completers"]),
            REC: rest * p["p_recovered_mami_completers"]})
        # outside care
        for state, mu in ((U, untreated_mu[risk]), (REL, untreated_mu[risk]),
                          (DEF, _rate_per_week_from_annual_probability(p["mortality_defaulter_1y"]) * mult)):
            lam = mu + recover
            rows[state] = _competing(lam, {DEAD: mu / lam, REC: recover / lam})
        mu = _rate_per_week_from_annual_probability(p["mortality_recovered_1y"]) * mult
        relapse = -np.log1p(-p["relapse_3m"]) / 13.0
        rows[REC] = _competing(mu + relapse, {DEAD: mu / (mu + relapse), REL: relapse / (mu + relapse)})
        for i, dest in rows.items():
            for j, v in dest.items():
                out[..., r, 0, i, j] += v
            out[..., r, 0, i, i] = 1.0 - sum(dest.values())
        out[..., r, 0, DEAD, DEAD] = 1.0
    return out


def initial_distribution(p: Mapping[str, np.ndarray]) -> np.ndarray:
    """Starting states, shape ``(*samples, 2 risks, 2 strategies, K)``."""
    u_in, u_mami = np.asarray(p["uptake_inpatient"], float), np.asarray(p["uptake_mami"], float)
    shape = np.broadcast_shapes(u_in.shape, u_mami.shape)
    m = np.zeros((*shape, len(RISKS), len(STRATEGIES), len(STATES)))
    m[..., :, :, IN] = u_in[..., None, None]
    m[..., :, :, U] = 1 - u_in[..., None, None]
    moderate, mami = RISKS.index("moderate"), STRATEGIES.index("MAMI")
    m[..., moderate, mami, IN] = 0.0
    m[..., moderate, mami, MAMI] = u_mami
    m[..., moderate, mami, U] = 1 - u_mami
    return m


@dataclass(frozen=True)
class InfantResult:
    """Outcomes per identified infant: ``outcomes[name]`` has shape ``(*samples, 2 strategies)``;
    ``by_risk`` keeps the risk axis ``(*samples, 2 risks, 2 strategies)``."""

    outcomes: dict[str, np.ndarray]
    by_risk: dict[str, np.ndarray]
    identified_per_year: np.ndarray
    correction: str

    def summary(self, scale: float | np.ndarray = 1.0) -> pd.DataFrame:
        """Mean outcomes per strategy (rows) times ``scale`` (e.g. 1,000 infants)."""
        n = len(STRATEGIES)
        data = {k: (np.asarray(v) * scale).reshape(-1, n).mean(axis=0) for k, v in self.outcomes.items()}
        return pd.DataFrame(data, index=pd.Index(STRATEGIES, name="strategy"))

    def national(self) -> pd.DataFrame:
        """Mean outcomes for the infants identified in the country in one year."""
        n = len(STRATEGIES)
        data = {k: (np.asarray(v) * self.identified_per_year[..., None]).reshape(-1, n).mean(axis=0)
                for k, v in self.outcomes.items()}
        return pd.DataFrame(data, index=pd.Index(STRATEGIES, name="strategy"))

    def long(self) -> pd.DataFrame:
        """Tidy per-sample outcomes: sample, strategy, one column per outcome."""
        n = len(STRATEGIES)
        flat = {k: np.asarray(v).reshape(-1, n) for k, v in self.outcomes.items()}
        m = next(iter(flat.values())).shape[0]
        frame = {"sample": np.repeat(np.arange(m), n), "strategy": np.tile(STRATEGIES, m)}
        frame.update({k: v.ravel() for k, v in flat.items()})
        return pd.DataFrame(frame)


def run(p: Mapping[str, np.ndarray], settings: Settings, table: LifeTable | None = None) -> InfantResult:
    """Evaluate the infant model for a parameter mapping (0-d arrays or a sample axis)."""
    missing = [k for k in REQUIRED if k not in p]
    if missing:
        raise KeyError(f"infant model: missing parameters {missing}")
    p = {k: np.asarray(v, dtype=float) for k, v in p.items()}
    table = table or LifeTable.for_settings(settings)
    ages = np.asarray(settings.enrolment_ages_weeks, dtype=float)
    horizons = (SIX_MONTHS - ages).astype(int)
    n_cycles = int(horizons.max())
    n_groups = len(ages)
    shape = np.broadcast_shapes(*(np.shape(p[k]) for k in REQUIRED))
    ns = len(shape)
    # every reward total gets a leading enrolment-age-group axis: (A, *samples, R, S)

    def by_group(values, trailing: int) -> np.ndarray:
        """Per-group values shaped (A, 1 x samples, 1 x trailing) for broadcasting."""
        return np.asarray(values, dtype=float).reshape((n_groups,) + (1,) * (ns + trailing))

    weights = np.zeros((n_cycles + 1, n_groups))
    for a, h in enumerate(horizons):  # each group's own correction over its own horizon
        weights[: h + 1, a] = correction_weights(settings.infant_correction, int(h))
    weights = weights.reshape((n_cycles + 1, n_groups) + (1,) * (ns + 2))

    def per_state(**values) -> np.ndarray:
        """A ``(*samples, 1, 1, K)`` reward vector from state-name keyword values."""
        v = np.zeros((*shape, 1, 1, len(STATES)))
        for name, x in values.items():
            v[..., STATES.index(name)] = np.asarray(x, dtype=float)[..., None, None]
        return v

    per_visit = p["cost_outpatient_visit"] + p["staff_cost_per_visit"]
    provider_week = per_state(inpatient=7.0 * p["cost_bed_day"], mami=p["mami_visits_per_week"] * per_visit)
    yld_week = per_state(**{STATES[s]: p["dw_severe_wasting"] * p["p_severe_among_at_risk"] * WEEK_YEARS
                            for s in AT_RISK})
    provider_entry = per_state(mami=p["mami_setup_cost_per_pair"])
    household_entry = per_state(inpatient=p["household_cost_inpatient_episode"],
                                mami=p["household_cost_outpatient_episode"])
    count_death, count_rec = per_state(dead=1.0), per_state(recovered=1.0)
    count_adm = per_state(inpatient=1.0)

    cycles = np.arange(n_cycles + 1)
    active = (cycles[:, None] < horizons[None, :]).astype(float)  # (T+1, A): group still under 6 months
    at_horizon = (cycles[:, None] == horizons[None, :]).astype(float)
    # YLL for a death in cycle t of group a, at age (a + t + 0.5) weeks: (T+1, A, *samples)
    death_age = (ages[None, :] + cycles[:, None] + 0.5) * WEEK_YEARS
    r_eff = p["discount_rate_effects"]
    yll_death = discounted_years(table.remaining(death_age).reshape(death_age.shape + (1,) * ns), r_eff)

    def group_weights(x: np.ndarray) -> np.ndarray:
        """(T+1, A[, *samples]) -> (T+1, A, *samples, 1, 1) to broadcast with totals (A, *s, R, S)."""
        x = np.broadcast_to(x.reshape(x.shape + (1,) * (2 + ns - x.ndim)), x.shape[:2] + shape)
        return x.reshape(x.shape + (1, 1))

    # terminal reward at each group's 6-month point: deaths and YLL over the next 6 months
    mult = np.stack([np.ones(shape), np.broadcast_to(p["rr_mortality_moderate_risk"], shape)], axis=-1)
    rate_year = {
        U: np.stack([-np.log1p(-np.broadcast_to(p["mortality_untreated_high_1y"], shape)),
                     np.broadcast_to(p["mortality_untreated_moderate_per_year"], shape)], axis=-1),
        REC: -np.log1p(-p["mortality_recovered_1y"])[..., None] * mult,
        DEF: -np.log1p(-p["mortality_defaulter_1y"])[..., None] * mult,
    }
    after = np.zeros((*shape, len(RISKS), 1, len(STATES)))
    for s, src in ((U, U), (MAMI, U), (IN, U), (REL, U), (REC, REC), (DEF, DEF)):
        after[..., s] = (-np.expm1(-rate_year[src] * AFTER_HORIZON_YEARS))[..., None]
    yll_after = (discounted_years(table.remaining(SIX_MONTHS * WEEK_YEARS + 0.25), r_eff)
                 * (1 + r_eff) ** -0.25)[..., None, None, None]

    r_cost = p["discount_rate_costs"][..., None, None]  # broadcasts with totals (A, *samples, R, S)
    r_dalys = r_eff[..., None, None]
    res = simulate(
        initial_distribution(p), transition_matrix(p), n_cycles,
        state_rewards={"cost_provider_weekly": provider_week, "yld": yld_week},
        entry_rewards={
            "cost_provider_entry": provider_entry, "cost_household": household_entry,
            "deaths_to_6m": count_death, "recoveries": count_rec, "admissions_later": count_adm,
            "yll_to_6m": count_death,
        },
        instant_rewards={"deaths_after_6m": after, "yll_after_6m": after * yll_after},
        reward_weights={
            **{k: group_weights(active) for k in ("cost_provider_entry", "cost_household", "deaths_to_6m",
                                                  "recoveries", "admissions_later")},
            "yll_to_6m": group_weights(active[(...,) + (None,) * ns] * yll_death),
            "deaths_after_6m": group_weights(at_horizon), "yll_after_6m": group_weights(at_horizon),
        },
        correction=weights,
        discount={"cost_provider_weekly": r_cost, "cost_provider_entry": r_cost, "cost_household": r_cost,
                  "yld": r_dalys, "yll_to_6m": r_dalys, "yll_after_6m": r_dalys},
        cycle_years=WEEK_YEARS, states=STATES, strategies=STRATEGIES,
    )
    group_w = by_group(settings.enrolment_age_weights, 2)
    tot = {k: np.sum(v * group_w, axis=0) for k, v in res.totals.items()}
    m0 = initial_distribution(p)
    first = {  # one-offs for those who start in care (the engine pays entries only on transitions)
        "provider": m0[..., MAMI] * p["mami_setup_cost_per_pair"][..., None, None],
        "household": m0[..., IN] * p["household_cost_inpatient_episode"][..., None, None]
        + m0[..., MAMI] * p["household_cost_outpatient_episode"][..., None, None],
    }
    by_risk = {
        "cost_provider": tot["cost_provider_weekly"] + tot["cost_provider_entry"] + first["provider"],
        "cost_household": tot["cost_household"] + first["household"],
        "yll": tot["yll_to_6m"] + tot["yll_after_6m"],
        "yld": tot["yld"],
        "deaths": tot["deaths_to_6m"] + tot["deaths_after_6m"],
        "recoveries": tot["recoveries"],
        "admissions": tot["admissions_later"] + m0[..., IN],
        "mami_enrolments": m0[..., MAMI],
    }
    by_risk["dalys"] = by_risk["yll"] + by_risk["yld"]
    societal = settings.perspective == "societal"
    by_risk["cost"] = by_risk["cost_provider"] + (by_risk["cost_household"] if societal else 0.0)
    high = np.broadcast_to(p["p_high_risk"], shape)
    risk_w = np.stack([high, 1 - high], axis=-1)[..., None]
    by_risk = {k: np.broadcast_to(v, (*shape, len(RISKS), len(STRATEGIES))) for k, v in by_risk.items()}
    outcomes = {k: np.sum(by_risk[k] * risk_w, axis=-2) for k in OUTCOMES}
    identified = p["live_births"] * p["p_at_risk_u6m"] * p["p_identified"]
    return InfantResult(outcomes, by_risk, np.broadcast_to(identified, shape), settings.infant_correction)


def run_set(ps: ParameterSet, draws: int | None = None, seed: int = 1) -> InfantResult:
    """Run for a loaded parameter set: the base case, or ``draws`` PSA samples."""
    ps.require(REQUIRED, "the infant model")
    p = ps.base() if draws is None else ps.sample(draws, seed, names=REQUIRED)
    return run(p, ps.settings)


def diagram() -> str:
    """Mermaid Markdown of the states and allowed transitions."""
    edges = [("untreated", "recovered"), ("untreated", "dead"), ("inpatient", "recovered"),
             ("inpatient", "defaulted"), ("inpatient", "untreated"), ("inpatient", "dead"),
             ("mami", "recovered"), ("mami", "defaulted"), ("mami", "inpatient"), ("mami", "untreated"),
             ("mami", "dead"), ("defaulted", "recovered"), ("defaulted", "dead"), ("recovered", "relapsed"),
             ("recovered", "dead"), ("relapsed", "recovered"), ("relapsed", "dead")]
    labels = {"untreated": "at risk, not in care", "mami": "MAMI community care",
              "inpatient": "inpatient care", "recovered": "recovered", "defaulted": "defaulted",
              "relapsed": "relapsed", "dead": "dead"}
    lines = ["flowchart LR"] + [f'    {s}["{labels[s]}"]' for s in STATES]
    lines += [f"    {a} --> {b}" for a, b in edges]
    return "```mermaid\n" + "\n".join(lines) + "\n```"


AVERTED = ("dalys", "deaths")


def report(ps: ParameterSet, draws: int = 1000, seed: int = 1):
    """MAMI vs inpatient care per 1,000 identified at-risk infants (a :class:`model.report.Report`
    with file prefix ``infant``); the within-cycle correction used is in its notes."""
    from model import cea
    from model.report import build

    base = run_set(ps)
    psa = run_set(ps, draws=draws, seed=seed)

    def headline(inc: pd.DataFrame) -> list[str]:
        name = ps.unit_name or ps.unit or "this setting"
        m = inc.loc["MAMI"]
        verdict = ("saves money and averts deaths" if m["incremental_cost"] < 0 < m["deaths_averted"]
                   else f"costs US${m['cost_per_dalys_averted']:,.0f} per DALY averted")
        return [f"In {name}, for 1,000 identified at-risk infants under 6 months, MAMI community care for "
                f"uncomplicated cases instead of inpatient referral would avert about "
                f"{m['deaths_averted'] * 1e3:,.1f} deaths and {m['dalys_averted'] * 1e3:,.0f} DALYs, with a "
                f"cost difference of US${m['incremental_cost'] * 1e3:,.0f}: it {verdict}."]

    return build("infant", base, psa, STRATEGIES, STATUS_QUO, AVERTED, cea.thresholds_for(ps), 1_000,
                 "per 1,000 identified at-risk infants", headline, "MAMI",
                 {"within_cycle_correction": base.correction, "cycle": "1 week",
                  "enrolment_ages_weeks": list(ps.settings.enrolment_ages_weeks),
                  "data_quality": ps.quality()})
