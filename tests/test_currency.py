"""Price-year conversion with the CPI-U table."""

from __future__ import annotations

import pytest

from model import parameters as P
from model.currency import DeflatorError, Deflators

TABLE = P.DEFAULT_ROOT / "global" / "deflators.csv"


def test_factor_is_the_ratio_of_cpi_annual_averages():
    d = Deflators.from_csv(TABLE)
    assert d.factor(2010, 2023) == pytest.approx(304.702 / 218.056)
    # agrees with the rounded factor column of the evidence file
    assert d.factor(2010, 2023) == pytest.approx(1.3974, abs=5e-5)
    assert d.factor(2019, 2023) == pytest.approx(1.1918, abs=5e-5)
    assert d.factor(2023, 2023) == 1.0
    assert d.convert(100.0, 2023, 2010) == pytest.approx(100 * 218.056 / 304.702)


def test_round_trip_is_identity():
    d = Deflators.from_csv(TABLE)
    assert d.convert(d.convert(42.0, 2012, 2023), 2023, 2012) == pytest.approx(42.0)


def test_gdp_deflator_rows_are_not_used():
    d = Deflators.from_csv(TABLE)
    assert d.years == (2007, 2024)
    assert d.index[2015] == pytest.approx(237.017)  # CPI-U, not the WDI GDP deflator (100.0)


def test_year_outside_table_is_a_clear_error():
    with pytest.raises(DeflatorError, match="price year 1999 is not in the deflator table"):
        Deflators.from_csv(TABLE).factor(1999, 2023)


def test_project_prices_arrive_in_2023_dollars():
    ps = P.load("BGD", "base")
    assert ps.settings.price_year == 2023
    assert ps["price_mms_180"].value == pytest.approx(3.42 * 304.702 / 255.657)
    assert ps.cost_year_original["price_mms_180"] == 2019


@pytest.mark.parametrize("cell,value,key,reason", [
    ("index_value", "N/A", "index_value (line 5)", "'N/A' is not a positive number (CPI-U 2010)"),
    ("index_value", "-218.056", "index_value (line 5)", "'-218.056' is not a positive number (CPI-U 2010)"),
    ("index_value", "inf", "index_value (line 5)", "'inf' is not a positive number (CPI-U 2010)"),
    ("year", "2010.5", "year (line 5)", "'2010.5' is not a year"),
    ("year", "2011", "year (line 6)", "2011 is given twice for BLS CUUR0000SA0"),
])
def test_bad_cells_are_named_with_their_line(tmp_path, cell, value, key, reason):
    import csv

    with open(TABLE, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, rows = reader.fieldnames, list(reader)
    rows[3][cell] = value  # the 2010 row, line 5 of the file
    path = tmp_path / "deflators.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DeflatorError) as info:
        Deflators.from_csv(path)
    assert (key, reason) in info.value.problems
