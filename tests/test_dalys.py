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
