"""Price-year conversion of US$ costs with the US CPI-U deflator table.

A cost of ``x`` US$ in year ``y`` is ``x * CPI(target) / CPI(y)`` US$ of the target year.
The table is ``parameters/global/deflators.csv`` (copied from the team's evidence notes, with
its source columns); only the CPI-U rows (series id ``BLS CUUR0000SA0``) are used, because that
series covers every year from 2007 to 2024, while the WDI GDP-deflator rows stop in 2021.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

CPI_SERIES_PREFIX = "BLS CUUR0000SA0"


class DeflatorError(ValueError):
    """A price year that the deflator table cannot convert."""


@dataclass(frozen=True)
class Deflators:
    """CPI-U annual index by year (1982-84 = 100) and where it came from."""

    index: dict[int, float]
    path: str

    @classmethod
    def from_csv(cls, path: str | Path) -> Deflators:
        """Read the CPI-U rows of a deflator CSV (columns ``year``, ``series_id``, ``index_value``)."""
        index: dict[int, float] = {}
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row.get("series_id", "").startswith(CPI_SERIES_PREFIX):
                    index[int(row["year"])] = float(row["index_value"])
        if not index:
            raise DeflatorError(f"{path}: no rows with series_id starting '{CPI_SERIES_PREFIX}'")
        return cls(index=index, path=str(path))

    @property
    def years(self) -> tuple[int, int]:
        """First and last year covered."""
        return min(self.index), max(self.index)

    def factor(self, from_year: int, to_year: int) -> float:
        """Multiplier that turns US$ of ``from_year`` into US$ of ``to_year`` (dimensionless)."""
        for year in (from_year, to_year):
            if year not in self.index:
                first, last = self.years
                raise DeflatorError(
                    f"price year {year} is not in the deflator table {self.path} "
                    f"(CPI-U covers {first}-{last})"
                )
        return self.index[to_year] / self.index[from_year]

    def convert(self, amount: float, from_year: int, to_year: int) -> float:
        """``amount`` US$ of ``from_year`` expressed in US$ of ``to_year``."""
        return amount * self.factor(from_year, to_year)
