"""Disability-adjusted life years: life table, discounted years of life lost, YLD.

YLL for a death at age ``x`` (years) is the remaining life expectancy ``e(x)`` of the GBD 2019
reference life table (``parameters/global/life_table.csv``, table ``GBD2019_TMRLT``), linearly
interpolated between its ages, discounted continuously at rate ``r`` from the age of death with no
age weighting: ``(1 - exp(-r * e(x))) / r`` (``e(x)`` when ``r = 0``). YLD is a disability weight
times the years lived with it, discounted the same way.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.parameters import DEFAULT_ROOT

LIFE_TABLE = DEFAULT_ROOT / "global" / "life_table.csv"


@dataclass(frozen=True)
class LifeTable:
    """Remaining life expectancy (years) at exact ages (years)."""

    ages: np.ndarray
    expectancy: np.ndarray
    name: str

    @classmethod
    def from_csv(cls, path: str | Path = LIFE_TABLE, table: str = "GBD2019_TMRLT") -> LifeTable:
        """Read one table (column ``table``) of the life-table CSV."""
        ages, ex = [], []
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["table"] == table:
                    ages.append(float(row["age"]))
                    ex.append(float(row["remaining_life_expectancy"]))
        if not ages:
            raise ValueError(f"{path}: no rows for life table '{table}'")
        order = np.argsort(ages)
        return cls(np.asarray(ages)[order], np.asarray(ex)[order], table)

    def remaining(self, age) -> np.ndarray:
        """Remaining life expectancy at ``age`` (years), interpolated; broadcasts over ``age``."""
        return np.interp(np.asarray(age, dtype=float), self.ages, self.expectancy)


def discounted_years(years, rate) -> np.ndarray:
    """Present value at its start of a stream of 1 per year for ``years``, continuous ``rate``."""
    years = np.asarray(years, dtype=float)
    rate = np.asarray(rate, dtype=float)
    safe = np.where(rate > 0, rate, 1.0)
    return np.where(rate > 0, (1.0 - np.exp(-safe * years)) / safe, years)


def yll(age, rate, table: LifeTable | None = None) -> np.ndarray:
    """Discounted years of life lost for one death at ``age`` (years)."""
    table = table or LifeTable.from_csv()
    return discounted_years(table.remaining(age), rate)


def yld(weight, duration_years, rate) -> np.ndarray:
    """Discounted years lived with disability: ``weight`` x discounted ``duration_years``."""
    return np.asarray(weight, dtype=float) * discounted_years(duration_years, rate)
