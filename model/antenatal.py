"""Antenatal supplementation: IFA vs MMS, with and without adherence support.

Per pregnancy reached by antenatal care, four strategies are compared (``STRATEGIES``):
IFA (the status quo), MMS, IFA + adherence support (AS) and MMS + AS. The decision tree, for
each strategy, is::

    adherence (reaches 90+ days or not)
      -> stillbirth | live birth
           -> birth category: term-AGA, term-SGA, preterm-AGA, preterm-SGA   (LBW is a payoff here)
                -> neonatal death | survives 28 days
                     -> post-neonatal death | alive at 1 year

How the evidence enters (every step is vectorised over the sample axis):

0. **Denominators.** Every probability and cost is per pregnancy *reached by antenatal care* (the
   women who can be given a supplement): ``pregnancies reached = live births / (1 - SBR) x ANC1``.
   The DHS adherence indicator ("took iron for 90+ days") is a share of *all* women with a recent
   live birth, so it is divided by the same ANC1 coverage to become a share of the women reached
   (capped at 1): ``a = min(1, adherence_all / ANC1)`` (assumed: women outside antenatal care take
   no iron for 90+ days).
1. **Adherence.** A share ``a`` of women reached reach the adherence threshold; ``a`` under IFA
   and MMS alike, and ``min(1, a (1 + d))`` with adherence support (``d`` = the programme-reported
   relative increase, a claim with no peer-reviewed support, applied to MMS as well: both are
   daily tablets). Adherent women get the full trial effect; the others keep a fraction ``f`` of it
   on the log relative-risk scale (``RR ** f``), with ``f`` from Smith 2025's birthweight effects by
   adherence (9 g at <60% vs 56 g at >=90%): two classes, not a dose-response, because the DHS
   distribution of days taken (none, <60, 60-89, 90+) could not be read for these countries.
   Adherence scales two effect layers alike: iron vs no iron (Pena-Rosas 2015) and MMS vs IFA.
2. **Birth outcomes as joint categories.** Preterm and SGA are independent within an adherence
   group (assumption); stillbirth comes first. The no-supplement baseline risks are calibrated so
   that the status quo (IFA at the country's adherence) reproduces the country's stillbirth and
   preterm rates; the country's SGA prevalence, which no dataset gives, is calibrated so that the
   status quo reproduces its LBW prevalence given the LBW share of each category.
3. **LBW** is derived from the categories (``p_lbw_*``), never a separate mortality path. A
   within-category LBW factor per layer (applied to categories not already all-LBW) is calibrated
   so that each layer's total LBW relative risk equals the trial's (e.g. MMS 0.88) given its
   preterm and SGA effects, because birthweight shifts also move AGA babies across 2500 g.
4. **Mortality.** Neonatal and post-neonatal risks by category are Katz 2013 ratios times a
   term-AGA baseline calibrated so the status quo reproduces the country's NMR and post-neonatal
   mortality (so its IMR = NMR + (1 - NMR) x PNMR; sampling NMR and PNMR, not NMR and IMR,
   keeps IMR >= NMR in every draw). With
   ``neonatal_effect = total`` each layer's trial neonatal-mortality RR is honoured as a *total*
   effect: a residual multiplier equal to the trial RR divided by the RR the category shift already
   implies (no double counting). The MMS trial RR depends on the comparator's iron dose: the
   country's national antenatal dose (``antenatal_iron_dose_mg``) unless a scenario fixes
   ``settings.comparator_iron_mg`` to 30 or 60. With ``effect_weighting`` the mortality RR comes
   instead from Smith 2017's IPD subgroups weighted by the country (``anaemia``: anaemic women vs
   the others; ``anaemia-sex``: female vs male infants, by the share of female births). With
   ``mediated``, only the category pathway acts.
5. **Costs** (provider and household kept apart): tablets x price x (1 + wastage), delivery, a
   one-off transition cost for MMS, adherence support, and admissions of preterm or LBW babies
   (bed-days x country bed-day cost; household cost per admission).
6. **DALYs:** discounted YLL at the age of death from the GBD 2019 reference life table;
   stillbirths only when ``stillbirths_in_dalys``; no YLD (no sourced disability weight for LBW or
   preterm sequelae was found).

Units: probabilities per pregnancy or per live birth as named; costs in the run's price year US$
per pregnancy reached; DALYs per pregnancy reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from model.dalys import LifeTable, discounted_years
from model.outcomes import Outcomes
from model.parameters import ParameterSet, Settings
from model.tree import REST, Chance, Decision, Terminal, TreeResult, evaluate

STRATEGIES = ("IFA", "MMS", "IFA+AS", "MMS+AS")
STATUS_QUO = "IFA"
GROUPS = ("hi", "lo")
CATEGORIES = ("term_aga", "term_sga", "preterm_aga", "preterm_sga")
OUTCOMES = ("cost", "cost_provider", "cost_household", "dalys", "stillbirths", "neonatal_deaths",
            "postneonatal_deaths", "infant_deaths", "lbw_births", "preterm_births", "live_births")
CALIBRATION_ITERATIONS = 30

GLOBAL_KEYS = [
    "rr_lbw_mms", "rr_sga_mms", "rr_preterm_mms", "rr_stillbirth_mms", "rr_nmr_mms_vs_ifa30",
    "rr_nmr_mms_vs_ifa60", "rr_nmr_preterm_aga", "rr_nmr_term_sga", "rr_nmr_preterm_sga",
    "rr_pnmr_preterm_aga", "rr_pnmr_term_sga", "rr_pnmr_preterm_sga", "rr_lbw_ifa_vs_none",
    "rr_preterm_ifa_vs_none", "rr_nmr_ifa_vs_none", "rr_sga_ifa_vs_none", "rr_stillbirth_ifa_vs_none",
    "effect_fraction_low_adherence", "adherence_support_relative_increase",
    "adherence_support_cost_per_woman", "p_lbw_term_sga", "p_lbw_preterm_aga", "p_lbw_preterm_sga",
    "p_lbw_term_aga", "price_mms_180", "price_ifa30_180", "price_ifa60_180", "tablets_per_pregnancy",
    "supplement_wastage", "delivery_cost_per_woman", "transition_cost_per_woman",
    "p_admission_small_newborn", "bed_days_small_newborn", "household_cost_per_admission",
    "age_neonatal_death", "age_postneonatal_death", "discount_rate_effects",
]
COUNTRY_KEYS = ["nmr", "pnmr", "sbr", "preterm_prevalence", "lbw_prevalence", "ifa_adherence_90d",
                "live_births", "anc1_coverage", "cost_bed_day", "antenatal_iron_dose_mg"]
DOSES = (30, 60)  # mg of elemental iron a day in the IFA comparator
REQUIRED = GLOBAL_KEYS + COUNTRY_KEYS


class CalibrationError(ValueError):
    """Country inputs that no valid set of baseline risks can reproduce."""


def _mms(strategy: str) -> bool:
    return strategy.startswith("MMS")


def _support(strategy: str) -> bool:
    return strategy.endswith("+AS")


def _categories(pt, sga) -> dict[str, np.ndarray]:
    """Joint category probabilities among live births, preterm and SGA independent."""
    return {"term_aga": (1 - pt) * (1 - sga), "term_sga": (1 - pt) * sga,
            "preterm_aga": pt * (1 - sga), "preterm_sga": pt * sga}


def _lbw(cats: Mapping[str, np.ndarray], lbw_share: Mapping[str, np.ndarray], factor=1.0):
    """LBW probability per live birth given category probabilities and within-category shares."""
    return factor * sum(cats[c] * lbw_share[c] for c in CATEGORIES)


def _weighted_rr(cats: Mapping[str, np.ndarray], rr: Mapping[str, np.ndarray]):
    return sum(cats[c] * rr[c] for c in CATEGORIES)


class _Guard:
    """Checks calibrated probabilities: raise (strict, the base case) or clip and flag the samples
    (PSA, where independent draws of, say, LBW and preterm prevalence can be inconsistent)."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.clipped: np.ndarray | bool = False

    def __call__(self, name: str, value: np.ndarray, low: float, high: float, hint: str) -> np.ndarray:
        value = np.asarray(value, dtype=float)
        bad = ~((value >= low) & (value <= high))
        if not np.any(bad):
            return value
        if self.strict:
            i = int(np.flatnonzero(bad.ravel())[0])
            raise CalibrationError(
                f"calibration: {name} = {value.ravel()[i]:.6g} for sample {i}, "
                f"outside [{low:g}, {high:g}]: {hint}")
        self.clipped = self.clipped | bad
        return np.clip(np.nan_to_num(value, nan=high), low, high)


ANAEMIA_KEYS = ["anaemia_pregnant", "rr_lbw_mms_anaemic", "rr_sga_mms_anaemic", "rr_mortality_mms_anaemic",
                "rr_nmr_mms_ipd_overall"]
SEX_KEYS = ["share_female_births", "rr_nmr_mms_female", "rr_nmr_mms_male"]


def required(settings: Settings) -> list[str]:
    """Inputs the model reads under ``settings`` (what a PSA must sample): ``REQUIRED``, plus
    ``ANAEMIA_KEYS`` (and ``SEX_KEYS`` for ``anaemia-sex``) when the effects are subgroup-weighted."""
    extra = [] if settings.effect_weighting == "none" else ANAEMIA_KEYS
    return REQUIRED + extra + (SEX_KEYS if settings.effect_weighting == "anaemia-sex" else [])


def _mix(share, rr_in, rr_out) -> np.ndarray:
    """``exp(share ln rr_in + (1 - share) ln rr_out)``: a relative risk weighted on the log scale."""
    share = np.asarray(share, dtype=float)
    return np.exp(share * np.log(rr_in) + (1 - share) * np.log(rr_out))


def anaemia_weighted(p: Mapping[str, np.ndarray], by_sex: bool = False) -> dict[str, np.ndarray]:
    """MMS effects weighted by the country (as Engle-Stone 2019 did with Smith 2017's subgroups).

    LBW and SGA: ``ln RR = s ln RR_anaemic + (1 - s) ln RR`` with ``s`` the share of pregnant women
    with Hb < 110 g/L (non-anaemic women keep the overall RR: the evidence has no non-anaemic
    subgroup RR, which slightly overstates their benefit). Neonatal mortality (``rr_nmr_mms``):
    anaemic women get the IPD's 6-month mortality RR (most deaths by 6 months are neonatal), the
    others the IPD's overall neonatal RR; with ``by_sex`` instead, female and male infants get their
    own neonatal RRs, weighted by the share of female births."""
    missing = [k for k in ANAEMIA_KEYS + (SEX_KEYS if by_sex else []) if k not in p]
    if missing:
        raise KeyError(f"subgroup-weighted effects need parameters {missing}")
    share = np.asarray(p["anaemia_pregnant"], dtype=float) / 100
    out = {f"rr_{o}_mms": _mix(share, p[f"rr_{o}_mms_anaemic"], p[f"rr_{o}_mms"]) for o in ("lbw", "sga")}
    if by_sex:
        out["rr_nmr_mms"] = _mix(p["share_female_births"], p["rr_nmr_mms_female"], p["rr_nmr_mms_male"])
    else:
        out["rr_nmr_mms"] = _mix(share, p["rr_mortality_mms_anaemic"], p["rr_nmr_mms_ipd_overall"])
    return out


def comparator_dose(p: Mapping[str, np.ndarray], settings: Settings) -> np.ndarray:
    """Iron dose (mg) of the IFA comparator: the country's, unless the settings fix one."""
    if settings.comparator_iron_mg != "national":
        return np.asarray(float(settings.comparator_iron_mg))
    dose = np.asarray(p["antenatal_iron_dose_mg"], dtype=float)
    if not np.all(np.isin(dose, DOSES)):
        raise CalibrationError(f"antenatal_iron_dose_mg must be one of {DOSES} mg (got {np.unique(dose)})")
    return dose


def adherence_among_reached(p: Mapping[str, np.ndarray]) -> np.ndarray:
    """Share of pregnancies reached by antenatal care that take iron for 90+ days: the DHS share
    among all women with a recent birth divided by first-visit ANC coverage, capped at 1."""
    return np.minimum(1.0, np.asarray(p["ifa_adherence_90d"], dtype=float)
                      / np.asarray(p["anc1_coverage"], dtype=float))


def derive(p: Mapping[str, np.ndarray], settings: Settings, strict: bool = True) -> dict[str, np.ndarray]:
    """Every calibrated and strategy-specific quantity the tree reads, by name.

    With ``strict`` a calibration that cannot reproduce the country's inputs raises
    :class:`CalibrationError`; otherwise the offending samples are clipped into range and flagged
    in ``calibration_clipped`` (their status quo no longer reproduces the inputs exactly).

    Names: ``adh__S`` (share adherent), ``sb__S__G`` (stillbirth per pregnancy), ``pc__S__G__C``
    (category per live birth), ``lbw__S__G__C`` (LBW given category), ``qn__S__G__C`` and
    ``qpn__C`` (neonatal and post-neonatal death), ``cost_provider__S``, ``care__C``,
    ``care_household__C``, DALYs per death; plus calibration results (``sga_prevalence``,
    ``q_term_aga``, ``residual_nmr_mms`` ...) for reporting.
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # bad draws are caught by the guard
        return _derive(p, settings, strict)


def _derive(p: Mapping[str, np.ndarray], settings: Settings, strict: bool) -> dict[str, np.ndarray]:
    p = {k: np.asarray(v, dtype=float) for k, v in p.items()}
    dose = comparator_dose(p, settings)
    rr_nmr_mms = np.where(dose >= 60, p["rr_nmr_mms_vs_ifa60"], p["rr_nmr_mms_vs_ifa30"])
    if settings.effect_weighting != "none":
        weighted = anaemia_weighted(p, by_sex=settings.effect_weighting == "anaemia-sex")
        rr_nmr_mms = weighted.pop("rr_nmr_mms")
        p.update(weighted)
    guard = _Guard(strict)
    f = p["effect_fraction_low_adherence"]
    expo = {"hi": 1.0, "lo": f}
    a0 = adherence_among_reached(p)
    a_support = np.minimum(1.0, a0 * (1 + p["adherence_support_relative_increase"]))
    adherence = {s: (a_support if _support(s) else a0) for s in STRATEGIES}
    weights0 = {"hi": a0, "lo": 1 - a0}

    def layered(rr_ifa, rr_mms, s, g):
        out = rr_ifa ** expo[g]
        return out * rr_mms ** expo[g] if _mms(s) else out

    # 1. no-supplement baselines reproduce the status quo's stillbirth and preterm rates
    sb0, pt0 = p["sbr"] / 1000, p["preterm_prevalence"] / 100
    lbw0, nmr0, pnmr0 = p["lbw_prevalence"] / 100, p["nmr"] / 1000, p["pnmr"] / 1000
    sb_none = sb0 / sum(weights0[g] * p["rr_stillbirth_ifa_vs_none"] ** expo[g] for g in GROUPS)
    pt_none = pt0 / sum(weights0[g] * p["rr_preterm_ifa_vs_none"] ** expo[g] for g in GROUPS)
    sb = {(s, g): sb_none * layered(p["rr_stillbirth_ifa_vs_none"], p["rr_stillbirth_mms"], s, g)
          for s in STRATEGIES for g in GROUPS}
    pt = {(s, g): pt_none * layered(p["rr_preterm_ifa_vs_none"], p["rr_preterm_mms"], s, g)
          for s in STRATEGIES for g in GROUPS}
    sga_rel = {(s, g): layered(p["rr_sga_ifa_vs_none"], p["rr_sga_mms"], s, g)
               for s in STRATEGIES for g in GROUPS}
    share = {c: p[f"p_lbw_{c}"] for c in CATEGORIES}

    # 2-3. SGA prevalence and within-category LBW factors, solved together (fixed point).
    # A factor scales the LBW share of categories not already all-LBW (share < 1).
    def scaled(k):
        return {c: np.where(share[c] < 1, share[c] * k, share[c]) for c in CATEGORIES}

    def factor_for(target, cats, k_before):
        """Factor k with sum_c cats[c] * scaled(k_before * k)[c] == target."""
        sat = sum(np.where(share[c] >= 1, cats[c] * share[c], 0.0) for c in CATEGORIES)
        unsat = sum(np.where(share[c] < 1, cats[c] * share[c], 0.0) for c in CATEGORIES)
        return (target - sat) / (k_before * unsat)

    k_ifa = np.ones_like(pt0)
    k_mms = np.ones_like(pt0)
    for _ in range(CALIBRATION_ITERATIONS):
        eff = {g: scaled(k_ifa ** expo[g]) for g in GROUPS}
        # LBW0 = sum_g w_g [A_g + B_g * sga_none]: linear in the no-supplement SGA prevalence
        a_term = sum(weights0[g] * (pt[STATUS_QUO, g] * eff[g]["preterm_aga"]
                                    + (1 - pt[STATUS_QUO, g]) * eff[g]["term_aga"]) for g in GROUPS)
        b_term = sum(weights0[g] * sga_rel[STATUS_QUO, g] * (
            pt[STATUS_QUO, g] * (eff[g]["preterm_sga"] - eff[g]["preterm_aga"])
            + (1 - pt[STATUS_QUO, g]) * (eff[g]["term_sga"] - eff[g]["term_aga"])) for g in GROUPS)
        sga_none = guard("no-supplement SGA prevalence", (lbw0 - a_term) / b_term, 0.0, 1.0,
                         "LBW prevalence cannot be reproduced from the preterm rate and p_lbw_* shares")
        # iron layer at full adherence vs none; MMS layer vs IFA at full adherence
        none = _categories(pt_none, sga_none)
        full_ifa = _categories(pt_none * p["rr_preterm_ifa_vs_none"], sga_none * p["rr_sga_ifa_vs_none"])
        full_mms = _categories(pt_none * p["rr_preterm_ifa_vs_none"] * p["rr_preterm_mms"],
                               sga_none * p["rr_sga_ifa_vs_none"] * p["rr_sga_mms"])
        k_ifa = guard("within-category LBW factor (iron)", factor_for(
            p["rr_lbw_ifa_vs_none"] * _lbw(none, share), full_ifa, 1.0), 0.0, np.inf,
            "the iron LBW effect exceeds what its preterm/SGA effects allow")
        k_mms = guard("within-category LBW factor (MMS)", factor_for(
            p["rr_lbw_mms"] * _lbw(full_ifa, scaled(k_ifa)), full_mms, k_ifa), 0.0, np.inf,
            "the MMS LBW effect exceeds what its preterm/SGA effects allow")
    sga = {(s, g): guard(f"SGA prevalence under {s} ({g})", sga_none * rel, 0.0, 1.0, "outside [0, 1]")
           for (s, g), rel in sga_rel.items()}
    pt = {(s, g): guard(f"preterm prevalence under {s} ({g})", v, 0.0, 1.0, "outside [0, 1]")
          for (s, g), v in pt.items()}
    sb = {(s, g): guard(f"stillbirth risk under {s} ({g})", v, 0.0, 1.0, "outside [0, 1]")
          for (s, g), v in sb.items()}

    out: dict[str, np.ndarray] = {"sga_prevalence": sga_none, "k_lbw_ifa": k_ifa, "k_lbw_mms": k_mms,
                                  "sb_none": sb_none, "preterm_none": pt_none}
    cats = {key: _categories(pt[key], sga[key]) for key in pt}
    for s in STRATEGIES:
        out[f"adh__{s}"] = adherence[s]
        for g in GROUPS:
            lbw_share = scaled(k_ifa ** expo[g] * (k_mms ** expo[g] if _mms(s) else 1.0))
            out[f"sb__{s}__{g}"] = sb[s, g]
            for c in CATEGORIES:
                out[f"pc__{s}__{g}__{c}"] = cats[s, g][c]
                out[f"lbw__{s}__{g}__{c}"] = guard(f"LBW share of {c} under {s} ({g})",
                                                   lbw_share[c], 0.0, 1.0, "outside [0, 1]")

    # 4. mortality: Katz ratios x calibrated term-AGA baselines; trial RRs as total effects
    rr_n = {"term_aga": 1.0, "term_sga": p["rr_nmr_term_sga"], "preterm_aga": p["rr_nmr_preterm_aga"],
            "preterm_sga": p["rr_nmr_preterm_sga"]}
    rr_pn = {"term_aga": 1.0, "term_sga": p["rr_pnmr_term_sga"],
             "preterm_aga": p["rr_pnmr_preterm_aga"], "preterm_sga": p["rr_pnmr_preterm_sga"]}
    if settings.neonatal_effect == "total":
        resid_ifa = p["rr_nmr_ifa_vs_none"] / (_weighted_rr(full_ifa, rr_n) / _weighted_rr(none, rr_n))
        resid_mms = rr_nmr_mms / (_weighted_rr(full_mms, rr_n) / _weighted_rr(full_ifa, rr_n))
    else:
        resid_ifa = resid_mms = np.ones_like(pt0)
    out["residual_nmr_ifa"], out["residual_nmr_mms"] = resid_ifa, resid_mms
    resid = {(s, g): resid_ifa ** expo[g] * (resid_mms ** expo[g] if _mms(s) else 1.0)
             for s in STRATEGIES for g in GROUPS}
    q_ta = nmr0 / sum(weights0[g] * resid[STATUS_QUO, g] * _weighted_rr(cats[STATUS_QUO, g], rr_n)
                      for g in GROUPS)
    survivors = sum(weights0[g] * sum(cats[STATUS_QUO, g][c] * (1 - q_ta * rr_n[c] * resid[STATUS_QUO, g])
                                      * rr_pn[c] for c in CATEGORIES) for g in GROUPS)
    # post-neonatal deaths per live birth = pnmr (per survivor at 28 days) x (1 - NMR)
    q_pta = pnmr0 * (1 - nmr0) / survivors
    out["q_term_aga"], out["qpn_term_aga"] = q_ta, q_pta
    for s in STRATEGIES:
        for g in GROUPS:
            for c in CATEGORIES:
                out[f"qn__{s}__{g}__{c}"] = guard(
                    f"neonatal death risk of {c} under {s} ({g})", q_ta * rr_n[c] * resid[s, g], 0.0, 1.0,
                    "the NMR and the Katz ratios imply a risk outside [0, 1]")
    for c in CATEGORIES:
        out[f"qpn__{c}"] = guard(f"post-neonatal death risk of {c}", q_pta * rr_pn[c], 0.0, 1.0,
                                 "the IMR, NMR and Katz ratios imply a risk outside [0, 1]")

    # 5. costs per pregnancy reached (provider), care of small babies per live birth
    per_tablet_ifa = np.where(dose >= 60, p["price_ifa60_180"], p["price_ifa30_180"]) / 180
    per_tablet_mms = p["price_mms_180"] / 180
    tablets = p["tablets_per_pregnancy"] * (1 + p["supplement_wastage"])
    for s in STRATEGIES:
        cost = tablets * (per_tablet_mms if _mms(s) else per_tablet_ifa) + p["delivery_cost_per_woman"]
        if _mms(s):
            cost = cost + p["transition_cost_per_woman"]
        if _support(s):
            cost = cost + p["adherence_support_cost_per_woman"]
        out[f"cost_provider__{s}"] = cost
    admission = p["p_admission_small_newborn"]
    for s in STRATEGIES:
        for g in GROUPS:
            for c in CATEGORIES:
                small = 1.0 if c.startswith("preterm") else out[f"lbw__{s}__{g}__{c}"]
                out[f"admit__{s}__{g}__{c}"] = admission * small
    out["cost_admission"] = p["bed_days_small_newborn"] * p["cost_bed_day"]
    out["household_cost_admission"] = p["household_cost_per_admission"]

    # 6. DALYs per death
    table = LifeTable.for_settings(settings)
    r = p["discount_rate_effects"]
    for name, age in (("neonatal", p["age_neonatal_death"]), ("postneonatal", p["age_postneonatal_death"])):
        out[f"dalys_{name}_death"] = discounted_years(table.remaining(age), r) * np.exp(-r * age)
    out["dalys_stillbirth"] = (discounted_years(table.remaining(0.0), r) if settings.stillbirths_in_dalys
                               else np.zeros_like(r))
    out["calibration_clipped"] = np.broadcast_to(guard.clipped, np.shape(pt0)).copy()
    out["comparator_dose_mg"] = np.broadcast_to(dose, np.shape(pt0)).copy()
    out["adherence_among_reached"] = a0
    out["rr_nmr_mms_used"] = np.broadcast_to(rr_nmr_mms, np.shape(pt0)).copy()
    return out


def build_tree() -> Decision:
    """The antenatal decision tree; probabilities and payoffs name keys of :func:`derive`."""

    def infant(s: str, g: str, c: str) -> Chance:
        key = f"{s}__{g}__{c}"
        survive = Chance("post-neonatal period", [
            ("post-neonatal death", f"qpn__{c}",
             Terminal("post-neonatal death", postneonatal_deaths=1, dalys="dalys_postneonatal_death")),
            ("alive at 1 year", REST, Terminal("alive at 1 year")),
        ])
        return Chance("neonatal period", [
            ("neonatal death", f"qn__{key}",
             Terminal("neonatal death", neonatal_deaths=1, dalys="dalys_neonatal_death")),
            ("survives 28 days", REST, survive),
        ], live_births=1, lbw_births=f"lbw__{key}", preterm_births=float(c.startswith("preterm")),
            cost_provider=lambda m, k=key: m[f"admit__{k}"] * m["cost_admission"],
            cost_household=lambda m, k=key: m[f"admit__{k}"] * m["household_cost_admission"])

    def group(s: str, g: str) -> Chance:
        births = Chance("birth category", [(c, f"pc__{s}__{g}__{c}", infant(s, g, c)) for c in CATEGORIES])
        return Chance("pregnancy outcome", [
            ("stillbirth", f"sb__{s}__{g}", Terminal("stillbirth", stillbirths=1, dalys="dalys_stillbirth")),
            ("live birth", REST, births),
        ])

    return Decision("antenatal supplement", [
        (s, Chance("adherence", [("reaches 90+ days", f"adh__{s}", group(s, "hi")),
                                 ("below threshold", REST, group(s, "lo"))],
                   cost_provider=f"cost_provider__{s}"))
        for s in STRATEGIES
    ])


@dataclass(frozen=True)
class AntenatalResult(Outcomes):
    """Outcomes per pregnancy reached (:class:`model.outcomes.Outcomes`, 4 strategies; the
    population is the pregnancies reached in a year), the calibration, the evaluated tree and the
    settings used."""

    derived: dict[str, np.ndarray]
    tree: TreeResult
    settings: Settings

    @property
    def pregnancies_reached(self) -> np.ndarray:
        """Pregnancies reached by antenatal care in one year (the population)."""
        return self.population


def run(p: Mapping[str, np.ndarray], settings: Settings, strict: bool | None = None) -> AntenatalResult:
    """Evaluate the antenatal model for a parameter mapping (0-d arrays or a sample axis).

    ``strict`` (default: True for 0-d inputs, False with a sample axis) is passed to :func:`derive`."""
    missing = [k for k in REQUIRED if k not in p]
    if missing:
        raise KeyError(f"antenatal model: missing parameters {missing}")
    if strict is None:
        strict = all(np.ndim(p[k]) == 0 for k in REQUIRED)
    p = dict(p)
    coherence = {k: p.pop(k) for k in ("coherence_redrawn", "coherence_failed") if k in p}
    derived = derive(p, settings, strict)
    derived.update(coherence)
    result = evaluate(build_tree(), {**p, **derived})
    out = {k: result.expected(k) for k in ("cost_provider", "cost_household", "dalys", "stillbirths",
                                           "neonatal_deaths", "postneonatal_deaths", "lbw_births",
                                           "preterm_births", "live_births")}
    shape = (*np.broadcast_shapes(*(np.shape(p[k]) for k in REQUIRED)), len(STRATEGIES))
    out = {k: np.broadcast_to(v, shape) for k, v in out.items()}
    out["infant_deaths"] = out["neonatal_deaths"] + out["postneonatal_deaths"]
    societal = settings.perspective == "societal"
    out["cost"] = out["cost_provider"] + (out["cost_household"] if societal else 0.0)
    out = {k: np.array(v) for k, v in out.items()}  # writable copies
    sbr = np.asarray(p["sbr"], dtype=float) / 1000
    reached = np.asarray(p["live_births"], dtype=float) / (1 - sbr) * np.asarray(p["anc1_coverage"]) / 100
    return AntenatalResult({k: out[k] for k in OUTCOMES}, STRATEGIES, np.asarray(reached), derived, result, settings)


COHERENT_KEYS = ("lbw_prevalence", "preterm_prevalence")
REDRAWS = 20


def coherent_sample(ps: ParameterSet, n: int, seed: int, start: int = 0,
                    names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """PSA draws in which the country's LBW and preterm prevalences can be reproduced together.

    Independent (or loosely correlated) draws of the two can be mutually impossible given the
    LBW shares of each birth category (a preterm rate too high for the LBW rate); the calibration
    would then clip them. Such draws get the two inputs redrawn from alternative streams
    (``~1`` .. ``~REDRAWS``, same marginals and correlation) until the calibration holds, i.e. they
    are drawn from the joint distribution *conditional on coherence*; draw ``i`` still depends
    only on ``i``. The share redrawn is in ``coherence_redrawn`` and the share still clipped
    after every try in ``coherence_failed`` (both arrays of booleans, popped by the model)."""
    names = list(names) if names is not None else list(ps.dists)
    p = ps.sample(n, seed, start, names=names)
    if not all(k in p for k in COHERENT_KEYS) or not all(k in p for k in REQUIRED):
        return p
    bad = derive(p, ps.settings, strict=False)["calibration_clipped"]
    redrawn = bad.copy()
    for k in range(1, REDRAWS + 1):
        if not bad.any():
            break
        alt = ps.sample(n, seed, start, names=COHERENT_KEYS, tag=f"~{k}")
        idx = np.flatnonzero(bad)
        trial = {key: v[idx] for key, v in p.items()}
        trial.update({key: alt[key][idx] for key in COHERENT_KEYS})
        ok = ~derive(trial, ps.settings, strict=False)["calibration_clipped"]
        for key in COHERENT_KEYS:
            p[key][idx[ok]] = alt[key][idx[ok]]
        bad[idx[ok]] = False
    p["coherence_redrawn"], p["coherence_failed"] = redrawn, bad
    return p


def run_set(ps: ParameterSet, draws: int | None = None, seed: int = 1) -> AntenatalResult:
    """Run for a loaded parameter set: the base case, or ``draws`` PSA samples (coherent)."""
    ps.require(required(ps.settings), "the antenatal model")
    p = ps.base() if draws is None else coherent_sample(ps, draws, seed, names=required(ps.settings))
    return run(p, ps.settings)


CATEGORY_WORDS = {"term_aga": "term, appropriate size", "term_sga": "term, small for age",
                  "preterm_aga": "preterm, appropriate size", "preterm_sga": "preterm, small for age"}
EDGE_WORDS = {"adh": "share adherent", "sb": "stillbirth risk", "pc": "share of live births",
              "qn": "neonatal death risk", "qpn": "post-neonatal death risk"}


def diagram(strategy: str = "MMS", values: Mapping[str, np.ndarray] | None = None) -> str:
    """Mermaid Markdown of one strategy's subtree (all four share the same structure). Edges are
    labelled in words (``sb__MMS__hi`` reads 'stillbirth risk'), with the base-case probability as a
    percentage when ``values`` (e.g. ``run_set(ps).derived``) is given; REST is 'the rest'."""
    from model.tree import REST, mermaid_markdown

    def describe(p) -> str | None:
        if isinstance(p, str) and p == REST:
            return "the rest"
        if not isinstance(p, str) or "__" not in p:
            return None
        if values is not None and p in values:
            return f"{float(np.mean(values[p])):.2%}"
        return EDGE_WORDS.get(p.split("__")[0], p)

    tree = build_tree()
    text = mermaid_markdown(Decision(tree.name, [o for o in tree.options if o[0] == strategy]), describe=describe)
    for code, words in CATEGORY_WORDS.items():
        text = text.replace(f'"{code}:', f'"{words}:')
    return text


AVERTED = ("dalys", "infant_deaths", "neonatal_deaths", "stillbirths", "lbw_births")
