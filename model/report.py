"""What a model run reports, the same way for every model: base case, incremental analysis,
PSA summaries, acceptability at the country's thresholds, plain-language findings, files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model import cea, plots
from model.io import write_frame, write_json


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

    def save_ce_plane(self, folder: str | Path, title: str, unit: str = "per unit") -> list[Path]:
        """Draw and write ``<prefix>_ce_plane.png`` and ``.svg``."""
        return plots.save(self.ce_plane(title, unit), Path(folder) / f"{self.prefix}_ce_plane")


def frontier_lines(inc: pd.DataFrame, thresholds: dict[str, float], acceptability: pd.DataFrame,
                   focus: str) -> list[str]:
    """Plain-language lines on the frontier and on the probability of being cost-effective."""
    on_frontier = [s for s in inc.index if inc.loc[s, "status"] == cea.ND]
    lines = ["Strategies on the efficiency frontier: " + ", ".join(on_frontier) + "."]
    for label, value in thresholds.items():
        best = acceptability[label].idxmax()
        line = (f"At {label} (US${value:,.0f} per DALY), {best} is most often cost-effective "
                f"({acceptability.loc[best, label]:.0%} of PSA draws)")
        if focus != best:
            line += f"; {focus}: {acceptability.loc[focus, label]:.0%}"
        lines.append(line + ".")
    return lines


def build(prefix: str, base, psa, strategies: Sequence[str], reference: str, averted: Sequence[str],
          thresholds: dict[str, float], scale: float, unit_label: str,
          headline: Callable[[pd.DataFrame], list[str]], focus: str, notes: dict | None = None) -> Report:
    """Assemble a :class:`Report` from a base-case result and a PSA result of the same model
    (objects with ``summary``, ``national``, ``long`` and ``outcomes``)."""
    per_unit = base.summary()
    inc = cea.incremental(per_unit, reference, averted=averted)
    psa_summary, acceptability = cea.psa_tables(list(strategies), psa.outcomes["cost"],
                                                psa.outcomes["dalys"], thresholds,
                                                reference=list(strategies).index(reference))
    findings = "\n".join(headline(inc) + frontier_lines(inc, thresholds, acceptability, focus))
    return Report(prefix=prefix, unit_label=unit_label, base=per_unit * scale, base_national=base.national(),
                  incremental=inc, psa=psa.long(), psa_summary=psa_summary, acceptability=acceptability,
                  thresholds=thresholds, findings=findings, strategies=list(strategies), notes=notes or {},
                  reference=reference)
