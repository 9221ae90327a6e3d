"""Price-year conversion of US$ costs with the US CPI-U deflator table.

A cost of ``x`` US$ in year ``y`` is ``x * CPI(target) / CPI(y)`` US$ of the target year.
The table is ``parameters/global/deflators.csv`` (copied from the team's evidence notes, with
its source columns); only the CPI-U rows (series id ``BLS CUUR0000SA0``) are used, because that
series covers every year from 2007 to 2024, while the WDI GDP-deflator rows stop in 2021.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from model.readers import InputFileError, finite_number, read_csv

CPI_SERIES_PREFIX = "BLS CUUR0000SA0"


class DeflatorError(ValueError):
    """A deflator table that cannot be read, or a price year it cannot convert; ``problems`` holds
    ``(key, reason)`` pairs when the table itself is at fault."""

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


@dataclass(frozen=True)
class Deflators:
    """CPI-U annual index by year (1982-84 = 100) and where it came from."""

    index: dict[int, float]
    path: str

    @classmethod
    def from_csv(cls, path: str | Path) -> Deflators:
        """Read the CPI-U rows of a deflator CSV (columns ``year``, ``series_id``, ``index_value``).

        Raises :class:`DeflatorError` naming every bad cell (a year that is not a whole number, an
        index that is not a finite positive number, a year given twice) and the file when it is
        not UTF-8 or has no CPI-U rows."""
        try:
            rows = read_csv(path, ("year", "series_id", "index_value"))
        except InputFileError as exc:
            raise DeflatorError(str(exc), exc.problems) from None
        index: dict[int, float] = {}
        problems: list[tuple[str, str]] = []
        for line, row in rows:
            if not row.get("series_id", "").startswith(CPI_SERIES_PREFIX):
                continue
            year, value = finite_number(row["year"]), finite_number(row["index_value"])
            if year is None or year != int(year):
                problems.append((f"year (line {line})", f"'{row['year']}' is not a year"))
                continue
            if value is None or value <= 0:
                problems.append((f"index_value (line {line})",
                                 f"'{row['index_value']}' is not a positive number (CPI-U {int(year)})"))
                continue
            if int(year) in index:
                problems.append((f"year (line {line})", f"{int(year)} is given twice for {CPI_SERIES_PREFIX}"))
            index[int(year)] = value
        if not index and not problems:
            problems.append(("series_id", f"no rows with series_id starting '{CPI_SERIES_PREFIX}'"))
        if problems:
            raise DeflatorError("; ".join(f"{path}: {k}: {r}" for k, r in problems), problems)
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
