"""YLL and YLD with the GBD 2019 reference life table."""

from __future__ import annotations

import numpy as np
import pytest

from model.dalys import LifeTable, discounted_years, yld, yll


def test_life_table_values_and_interpolation():
    lt = LifeTable.from_csv()
    assert lt.remaining(0) == pytest.approx(88.8718951)
    assert lt.remaining(1) == pytest.approx(88.00051053)
    assert lt.remaining(0.5) == pytest.approx((88.8718951 + 88.00051053) / 2)
    assert LifeTable.from_csv(table="WHO_GHE_standard").remaining(0) == pytest.approx(91.94)


def test_discounting_closed_form():
    assert discounted_years(10.0, 0.0) == pytest.approx(10.0)
    assert discounted_years(10.0, 0.03) == pytest.approx((1 - np.exp(-0.3)) / 0.03)
    np.testing.assert_allclose(discounted_years(np.array([1.0, 2.0]), np.array([0.0, 0.05])),
                               [1.0, (1 - np.exp(-0.1)) / 0.05])


def test_yll_and_yld():
    assert yll(0.0, 0.0) == pytest.approx(88.8718951)
    assert yll(0.0, 0.03) == pytest.approx((1 - np.exp(-0.03 * 88.8718951)) / 0.03)
    assert yld(0.128, 0.5, 0.0) == pytest.approx(0.064)


def test_unknown_table_fails():
    with pytest.raises(ValueError, match="no rows for life table 'nope'"):
        LifeTable.from_csv(table="nope")


def _table(tmp_path, transform=lambda rows: rows):
    import csv

    from model.dalys import LIFE_TABLE

    with open(LIFE_TABLE, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, rows = reader.fieldnames, list(reader)
    rows = transform(rows)
    path = tmp_path / "life_table.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("transform,key,reason", [
    (lambda rows: [r for r in rows if r["age"] != "5"], "table GBD2019_TMRLT",
     "age(s) 5 missing: the table needs 0, 1 and every 5 years to 85"),
    (lambda rows: [dict(r, remaining_life_expectancy="N/A") if r["age"] == "10" else r for r in rows],
     "remaining_life_expectancy (line 5)", "'N/A' is not a finite non-negative number"),
    (lambda rows: [dict(r, remaining_life_expectancy="90") if r["age"] == "1" else r for r in rows],
     "table GBD2019_TMRLT, age 1", "remaining life expectancy 90 is not below 88.8719 at age 0"),
    (lambda rows: [dict(r, remaining_life_expectancy="60") if r["age"] == "20" else r for r in rows],
     "table GBD2019_TMRLT, age 20", "expected age at death 80 is below 89.07 at age 15"),
    (lambda rows: rows + [rows[3]], "table GBD2019_TMRLT", "age(s) 10 given more than once"),
    (lambda rows: [], "rows", "no data rows (only a header)"),
])
def test_a_life_table_the_models_cannot_use_is_refused_with_the_cell(tmp_path, transform, key, reason):
    from model.dalys import LifeTableError

    with pytest.raises(LifeTableError) as info:
        LifeTable.from_csv(_table(tmp_path, transform))
    assert any(k == key and r.startswith(reason) for k, r in info.value.problems), info.value.problems


def test_the_models_read_the_life_table_of_their_parameter_folder(tmp_path):
    """A run with --root X computes YLL from X's life table, not the project's."""
    import shutil

    from model import antenatal, infant
    from model import parameters as P

    root = tmp_path / "parameters"
    shutil.copytree(P.DEFAULT_ROOT, root)
    _table(tmp_path, lambda rows: [dict(r, remaining_life_expectancy=str(float(r["remaining_life_expectancy"]) / 2))
                                   for r in rows])
    shutil.copy(tmp_path / "life_table.csv", root / "global" / "life_table.csv")
    ours, halved = P.load("BGD", "base"), P.load("BGD", "base", root)
    assert halved.settings.life_table_path == (root / "global" / "life_table.csv").resolve()
    r = 0.03
    assert antenatal.derive(halved.base(), halved.settings)["dalys_neonatal_death"] == pytest.approx(
        discounted_years(88.8718951 / 2 - 0.02 * (88.8718951 - 88.00051053) / 2, r) * np.exp(-r * 0.02), rel=1e-9)
    assert antenatal.derive(ours.base(), ours.settings)["dalys_neonatal_death"] == pytest.approx(
        discounted_years(88.8718951 - 0.02 * (88.8718951 - 88.00051053), r) * np.exp(-r * 0.02), rel=1e-9)
    assert (antenatal.run_set(halved).summary()["dalys"] < antenatal.run_set(ours).summary()["dalys"]).all()
    assert (infant.run_set(halved).summary()["yll"] < infant.run_set(ours).summary()["yll"]).all()
