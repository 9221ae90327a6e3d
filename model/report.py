"""What a model run reports, the same way for every model: base case, incremental analysis,
PSA summaries, acceptability at the country's thresholds, plain-language findings, files.

The reporting layer: :func:`antenatal_report`, :func:`infant_report` and :func:`continuum_report`
build each model's :class:`Report` (the models themselves know nothing of thresholds, frontiers or
wording); ``BY_MODEL`` maps a model name to its builder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model import antenatal, cea, continuum, infant, plots
from model.io import write_frame, write_json
from model.parameters import ParameterSet
from model.timing import span, timed


@dataclass(frozen=True)
class Report:
    """Tidy frames of one model for one (unit, scenario); ``prefix`` names its files."""

    prefix: str
    unit_label: str
    base: pd.DataFrame
    base_national: pd.DataFrame
    incremental: pd.DataFrame
    psa: pd.DataFrame
    psa_summary: pd.DataFrame
    acceptability: pd.DataFrame
    thresholds: dict[str, float]
    findings: str
    strategies: list[str]
    notes: dict = field(default_factory=dict)
    reference: str = ""  # the strategy increments are taken against (the CE plane's origin)

    @timed("write results")
    def write(self, folder: str | Path) -> list[Path]:
        """Write every frame (CSV; the PSA also as Parquet) and the findings, atomically."""
        folder = Path(folder)
        p = self.prefix
        return [
            write_frame(folder / f"{p}_base.csv", self.base.reset_index()),
            write_frame(folder / f"{p}_base_national.csv", self.base_national.reset_index()),
            write_frame(folder / f"{p}_incremental.csv", self.incremental.reset_index()),
            write_frame(folder / f"{p}_psa_summary.csv", self.psa_summary.reset_index()),
            write_frame(folder / f"{p}_acceptability.csv", self.acceptability.reset_index()),
            write_frame(folder / f"{p}_psa.parquet", self.psa),
            write_json(folder / f"{p}_findings.json", {
                "base_unit": self.unit_label, "thresholds_usd_per_daly": self.thresholds,
                "findings": self.findings, **self.notes}),
        ]

    def psa_arrays(self, outcome: str) -> np.ndarray:
        """``(samples, strategies)`` array of one PSA outcome, strategies in report order."""
        return self.psa.pivot(index="sample", columns="strategy", values=outcome)[self.strategies].to_numpy()

    def ce_plane(self, title: str, unit: str = "per unit"):
        """CE plane of every strategy against the reference, PSA cloud and means, threshold lines."""
        ref = self.strategies.index(self.reference) if self.reference in self.strategies else 0
        return plots.ce_plane(self.strategies, self.psa_arrays("cost"), self.psa_arrays("dalys"), reference=ref,
                              thresholds=self.thresholds, title=title, unit=unit)

    @timed("figures")
    def save_ce_plane(self, folder: str | Path, title: str, unit: str = "per unit") -> list[Path]:
        """Draw and write ``<prefix>_ce_plane.png`` and ``.svg``."""
        return plots.save(self.ce_plane(title, unit), Path(folder) / f"{self.prefix}_ce_plane")


def frontier_lines(inc: pd.DataFrame, thresholds: dict[str, float], acceptability: pd.DataFrame,
                   focus: str, *, unit: str = "DALY") -> list[str]:
    """Plain-language lines on the frontier and on the probability of being cost-effective;
    thresholds are in US$ per ``unit`` of health ("DALY", "QALY")."""
    on_frontier = [s for s in inc.index if inc.loc[s, "status"] == cea.ND]
    lines = ["Strategies on the efficiency frontier: " + ", ".join(on_frontier) + "."]
    for label, value in thresholds.items():
        best = acceptability[label].idxmax()
        line = (f"At {label} (US${value:,.0f} per {unit}), {best} is most often cost-effective "
                f"({acceptability.loc[best, label]:.0%} of PSA draws)")
        if focus != best:
            line += f"; {focus}: {acceptability.loc[focus, label]:.0%}"
        lines.append(line + ".")
    return lines


def build(prefix: str, base, psa, strategies: Sequence[str], reference: str, averted: Sequence[str],
          thresholds: dict[str, float], scale: float, unit_label: str,
          headline: Callable[[pd.DataFrame], list[str]], focus: str, notes: dict | None = None, *,
          outcome: str = "dalys", more_is_better: bool = False, gained: Sequence[str] | None = None,
          unit: str = "DALY") -> Report:
    """Assemble a :class:`Report` from a base-case result and a PSA result of the same model
    (objects with ``summary``, ``national``, ``long`` and ``outcomes``). The decision is made on
    ``outcome`` (DALYs by default; ``more_is_better=True`` for QALYs or life years, with
    ``unit="QALY"``); ``averted`` and ``gained`` list the columns reported as averted or gained."""
    per_unit = base.summary()
    inc = cea.incremental(per_unit, reference, averted=averted, outcome=outcome, more_is_better=more_is_better,
                          gained=gained)
    psa_summary, acceptability = cea.psa_tables(list(strategies), psa.outcomes["cost"],
                                                psa.outcomes[outcome], thresholds,
                                                reference=list(strategies).index(reference),
                                                outcome=outcome, more_is_better=more_is_better)
    findings = "\n".join(headline(inc) + frontier_lines(inc, thresholds, acceptability, focus, unit=unit))
    return Report(prefix=prefix, unit_label=unit_label, base=per_unit * scale, base_national=base.national(),
                  incremental=inc, psa=psa.long(), psa_summary=psa_summary, acceptability=acceptability,
                  thresholds=thresholds, findings=findings, strategies=list(strategies), notes=notes or {},
                  reference=reference)


# ------------------------------------------------------------------ the three models' reports
def antenatal_report(ps: ParameterSet, draws: int = 1000, seed: int = 1) -> Report:
    """Base case per 100,000 pregnancies, incremental analysis against IFA, PSA summary,
    acceptability at the country's thresholds and plain-language findings (a
    :class:`model.report.Report` with file prefix ``antenatal``)."""
    with span("psa"):
        psa = antenatal.run_set(ps, draws=draws, seed=seed)
    base = antenatal.run_set(ps)
    return build("antenatal", base, psa, antenatal.STRATEGIES, antenatal.STATUS_QUO, antenatal.AVERTED,
                 cea.thresholds_for(ps), 100_000, "per 100,000 pregnancies reached",
                 lambda inc: antenatal_headline(ps, inc), "MMS",
                 {"calibration_clipped_share": float(np.mean(psa.derived["calibration_clipped"])),
                  "coherence_redrawn_share": float(np.mean(psa.derived.get("coherence_redrawn", False))),
                  "comparator_dose_mg": float(np.mean(psa.derived["comparator_dose_mg"])),
                  "adherence_among_reached": float(np.asarray(base.derived["adherence_among_reached"])),
                  "data_quality": ps.quality()})


def antenatal_headline(ps: ParameterSet, inc: pd.DataFrame) -> list[str]:
    """Plain-language result of MMS vs IFA from the base-case incremental table."""
    name = ps.unit_name or ps.unit or "this setting"
    m = inc.loc["MMS"]

    def change(count: float, what: str) -> str:
        n = count * 1e5
        return f"avert about {n:,.0f} {what}" if n >= 0 else f"cause about {-n:,.0f} more {what}"

    lines = [f"In {name}, replacing IFA with MMS for 100,000 pregnancies reached by antenatal care "
             f"would {change(m['lbw_births_averted'], 'low-birthweight births')}, "
             f"{change(m['stillbirths_averted'], 'stillbirths')} and "
             f"{change(m['infant_deaths_averted'], 'infant deaths')}, at an extra cost of "
             f"US${m['incremental_cost'] * 1e5:,.0f} ({ps.settings.price_year} US$)."]
    if m["dalys_averted"] > 0 and m["incremental_cost"] > 0:
        lines.append(f"That is US${m['cost_per_dalys_averted']:,.0f} per DALY averted and "
                     f"US${m['cost_per_infant_deaths_averted']:,.0f} per infant death averted.")
    elif m["dalys_averted"] > 0:
        lines.append("MMS both saves money and averts DALYs: it dominates IFA.")
    else:
        verdict = "it is dominated by IFA" if m["incremental_cost"] >= 0 else "it saves money but loses health"
        lines.append(f"MMS loses {-m['dalys_averted'] * 1e5:,.0f} DALYs per 100,000 pregnancies in the base case: "
                     f"{verdict}.")
    return lines


def infant_report(ps: ParameterSet, draws: int = 1000, seed: int = 1) -> Report:
    """No programme, inpatient care and MAMI per 1,000 identified at-risk infants (a
    :class:`model.report.Report` with file prefix ``infant``); increments are against no
    programme, so each care model's absolute value shows, and the frontier gives MAMI vs inpatient."""
    base = infant.run_set(ps)
    with span("psa"):
        psa = infant.run_set(ps, draws=draws, seed=seed)

    def headline(inc: pd.DataFrame) -> list[str]:
        name = ps.unit_name or ps.unit or "this setting"
        lines = [f"In {name}, for 1,000 identified at-risk infants under 6 months, compared with no programme:"]
        for s in ("inpatient", "MAMI"):
            m = inc.loc[s]
            what = (f"averts {m['deaths_averted'] * 1e3:,.1f} deaths and {m['dalys_averted'] * 1e3:,.0f} DALYs"
                    if m["dalys_averted"] > 0 else
                    f"causes {-m['deaths_averted'] * 1e3:,.1f} more deaths and {-m['dalys_averted'] * 1e3:,.0f} "
                    "more DALYs")
            cost = (f"for US${m['incremental_cost'] * 1e3:,.0f}" if m["incremental_cost"] >= 0
                    else f"and saves US${-m['incremental_cost'] * 1e3:,.0f}")
            per = (f" (US${m['cost_per_dalys_averted']:,.0f} per DALY averted)"
                   if m["dalys_averted"] > 0 and m["incremental_cost"] > 0 else "")
            label = "inpatient care" if s == "inpatient" else "MAMI community care for moderate-risk pairs"
            lines.append(f"- {label} {what} {cost}{per}.")
        return lines

    return build("infant", base, psa, infant.STRATEGIES, infant.NO_PROGRAMME, infant.AVERTED,
                 cea.thresholds_for(ps), 1_000, "per 1,000 identified at-risk infants", headline, "MAMI",
                 {"within_cycle_correction": base.correction, "cycle": "1 week",
                  "horizon": "enrolment to 1 year of age",
                  "enrolment_ages_weeks": list(ps.settings.enrolment_ages_weeks),
                  "natural_history_clipped_share": float(np.mean(psa.natural_history["clipped"])),
                  "natural_history_failed_share": float(np.mean(psa.natural_history["failed"])),
                  "untreated_risk_over_horizon": {k: float(np.asarray(v)) for k, v in
                                                  base.natural_history["risks"].items()},
                  "data_quality": ps.quality()})


def continuum_report(ps: ParameterSet, draws: int = 1000, seed: int = 1) -> Report:
    """All six ``supplement + care`` strategies on one frontier, per 100,000 pregnancies (a
    :class:`model.report.Report` with file prefix ``continuum``)."""
    base = continuum.run_set(ps)
    with span("psa"):
        psa = continuum.run_set(ps, draws=draws, seed=seed)

    def headline(inc: pd.DataFrame) -> list[str]:
        name = ps.unit_name or ps.unit or "this setting"
        both = inc.loc["MMS + MAMI"]
        identified = base.summary()["at_risk_identified"]
        fewer = (identified["IFA + inpatient"] - identified["MMS + inpatient"]) * 1e5
        none = inc.loc["IFA + no programme"]
        care = -none["infant_deaths_averted"] * 1e5
        def change(n: float, what: str, lost: str) -> str:  # losses read as losses, never 'avert -n'
            return f"avert {n:,.0f} {what}" if n >= 0 else f"{lost.format(f'{-n:,.0f}')}"

        cost = both["incremental_cost"] * 1e5
        return [f"In {name}, per 100,000 pregnancies reached, MMS would mean about {fewer:,.0f} fewer "
                "identified at-risk infants to care for; MMS with MAMI community care would "
                f"{change(both['dalys_averted'] * 1e5, 'DALYs', 'lose {} healthy life-years (DALYs)')} and "
                f"{change(both['infant_deaths_averted'] * 1e5, 'infant deaths', 'cause {} more infant deaths')} "
                "compared with IFA and inpatient care, "
                + (f"for US${cost:,.0f} more." if cost >= 0 else f"and save US${-cost:,.0f}."),
                f"Without any programme for at-risk infants (IFA + no programme), {care:,.1f} more infants "
                f"would die per 100,000 pregnancies than under today's inpatient referral"
                if care >= 0 else
                f"Without any programme for at-risk infants (IFA + no programme), {-care:,.1f} fewer infants "
                "would die per 100,000 pregnancies than under today's inpatient referral"]

    return build("continuum", base, psa, base.strategies, continuum.STATUS_QUO, continuum.AVERTED,
                 cea.thresholds_for(ps),
                 100_000, "per 100,000 pregnancies reached", headline, "MMS + MAMI",
                 {"data_quality": ps.quality(),
                  "calibration_clipped_share": float(np.mean(psa.antenatal.derived["calibration_clipped"])),
                  "coherence_redrawn_share": float(np.mean(psa.antenatal.derived.get("coherence_redrawn", False)))})


BY_MODEL = {"antenatal": antenatal_report, "infant": infant_report, "continuum": continuum_report}
