"""Disability-adjusted life years: life table, discounted years of life lost, YLD.

YLL for a death at age ``x`` (years) is the remaining life expectancy ``e(x)`` of the GBD 2019
reference life table (``global/life_table.csv`` of the parameter folder the run reads, table
``GBD2019_TMRLT``), linearly interpolated between its ages, discounted continuously at rate ``r``
from the age of death with no age weighting: ``(1 - exp(-r * e(x))) / r`` (``e(x)`` when
``r = 0``). YLD is a disability weight times the years lived with it, discounted the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.readers import InputFileError, finite_number, read_csv

LIFE_TABLE = Path(__file__).resolve().parent.parent / "parameters" / "global" / "life_table.csv"
DEFAULT_TABLE = "GBD2019_TMRLT"
# Ages (years) every table must give: the abridged life-table grid (0, 1, then 5-year steps). The
# models interpolate between them (deaths at 0.02 and 0.3 years use ages 0 and 1), so a missing age
# would change DALYs silently.
STANDARD_AGES = (0.0, 1.0, *map(float, range(5, 90, 5)))
_CACHE: dict[tuple[str, str, int, int], LifeTable] = {}


class LifeTableError(InputFileError):
    """A life-table file that the models cannot use; ``problems`` names each bad cell or age."""


def _check(table: str, ages: list[float], ex: list[float]) -> list[tuple[str, str]]:
    problems = []
    where = f"table {table}"
    dup = sorted({a for a in ages if ages.count(a) > 1})
    if dup:
        problems.append((where, f"age(s) {', '.join(f'{a:g}' for a in dup)} given more than once"))
    missing = [a for a in STANDARD_AGES if a not in ages]
    if missing:
        problems.append((where, f"age(s) {', '.join(f'{a:g}' for a in missing)} missing: the table needs "
                                f"0, 1 and every 5 years to {STANDARD_AGES[-1]:g}"))
    pairs = sorted(zip(ages, ex, strict=True))
    for (a0, e0), (a1, e1) in zip(pairs, pairs[1:], strict=False):
        if a1 == a0:
            continue
        if e1 >= e0:
            problems.append((f"{where}, age {a1:g}", f"remaining life expectancy {e1:g} is not below {e0:g} "
                                                     f"at age {a0:g}"))
        elif a1 + e1 < a0 + e0 - 1e-6:
            problems.append((f"{where}, age {a1:g}", f"expected age at death {a1 + e1:.4g} is below "
                                                     f"{a0 + e0:.4g} at age {a0:g} (it cannot fall with age)"))
    return problems


@dataclass(frozen=True)
class LifeTable:
    """Remaining life expectancy (years) at exact ages (years)."""

    ages: np.ndarray
    expectancy: np.ndarray
    name: str

    @classmethod
    def from_csv(cls, path: str | Path = LIFE_TABLE, table: str = DEFAULT_TABLE) -> LifeTable:
        """Read and check one table (column ``table``) of the life-table CSV.

        Raises :class:`LifeTableError` naming every problem: a file that is not UTF-8 or has no
        rows, an age or expectancy that is not a finite non-negative number (with its line), a
        standard age missing or repeated, an expectancy that does not fall with age. Read once per
        file version (cached on path, modification time and size)."""
        path = Path(path)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise LifeTableError(path, [("-", "file not found")]) from None
        except OSError as exc:
            raise LifeTableError(path, [("-", f"cannot read: {exc.strerror or exc}")]) from None
        key = (str(path.resolve()), table, st.st_mtime_ns, st.st_size)
        if key in _CACHE:
            return _CACHE[key]
        try:
            rows = read_csv(path, ("table", "age", "remaining_life_expectancy"))
        except InputFileError as exc:
            raise LifeTableError(path, exc.problems) from None
        problems: list[tuple[str, str]] = []
        ages, ex = [], []
        for line, row in rows:
            age, e = finite_number(row["age"]), finite_number(row["remaining_life_expectancy"])
            for column, value in (("age", age), ("remaining_life_expectancy", e)):
                if value is None or value < 0:
                    problems.append((f"{column} (line {line})",
                                     f"'{row[column]}' is not a finite non-negative number"))
            if row["table"] == table and age is not None and e is not None:
                ages.append(age)
                ex.append(e)
        if not ages and not problems:
            known = sorted({r["table"] for _, r in rows})
            raise LifeTableError(path, [("table", f"no rows for life table '{table}' "
                                                  f"(found: {', '.join(known)})")])
        problems += _check(table, ages, ex) if ages else []
        if problems:
            raise LifeTableError(path, problems)
        order = np.argsort(ages)
        out = cls(np.asarray(ages)[order], np.asarray(ex)[order], table)
        _CACHE[key] = out
        return out

    @classmethod
    def for_settings(cls, settings) -> LifeTable:
        """The life table of the parameter folder ``settings`` were loaded from (``settings.life_table_path``;
        the project's table for settings made in code)."""
        return cls.from_csv(getattr(settings, "life_table_path", None) or LIFE_TABLE)

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
