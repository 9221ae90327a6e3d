"""Published results beside a run's: loading, validation, price-year conversion worked by hand."""

from __future__ import annotations

import shutil

import pytest

from model import published
from model.parameters import DEFAULT_ROOT


def test_every_entry_loads_and_names_a_known_source():
    table = published.load()
    assert {"puett2013_community", "puett2013_inpatient", "bachmann2009"} <= set(table.index)
    assert set(table["decision"]) <= set(published.DECISIONS)


def test_conversion_to_the_run_price_year_by_hand():
    table = published.compare("infant_care", {"MAMI vs no programme": (500.0, 15000.0)}, 2023, "Testland")
    assert table.loc["this run", "US$ per DALY averted (2023)"] == 500.0
    # Puett 2013: US$26 per DALY, 2009 US$ (assumed) -> CPI-U 304.702 / 214.537
    assert table.loc["puett2013_community", "US$ per DALY averted (2023)"] == pytest.approx(26 * 304.702 / 214.537)
    # Bachmann 2009: I$1,760 per life saved, 2008 -> 304.702 / 215.303
    assert table.loc["bachmann2009", "US$ per death averted (2023)"] == pytest.approx(1760 * 304.702 / 215.303)
    assert "assumed" in table.loc["puett2013_community", "as published"]


@pytest.mark.parametrize("change,message", [
    (("puett2013_community", "source", "nobody2099"), "is not a key of sources.yaml"),
    (("puett2013_community", "cost_per_daly", -3), "must be a positive number"),
    (("puett2013_community", "decision", "vaccines"), "is not one of"),
    (("puett2013_community", "colour", "blue"), "unknown \\['colour'\\]"),
])
def test_bad_entries_are_named(tmp_path, change, message):
    import yaml

    root = tmp_path / "parameters"
    shutil.copytree(DEFAULT_ROOT, root)
    data = yaml.safe_load((root / "published.yaml").read_text())
    study, field, value = change
    data["studies"][study][field] = value
    (root / "published.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(published.PublishedError, match=message) as err:
        published.load(root)
    assert "published.yaml: puett2013_community" in str(err.value)


def test_this_run_shows_no_ratio_for_a_dominated_strategy():
    import math

    import pandas as pd

    inc = pd.DataFrame({"incremental_cost": [0.0, 2.0, 3.0], "dalys_averted": [0.0, -0.01, 0.02],
                        "infant_deaths_averted": [0.0, -0.001, 0.0005]}, index=["IFA", "MMS", "X"])
    ((label, (daly, death)),) = published.this_run(inc, "MMS", "MMS vs IFA").items()
    assert label == "MMS vs IFA (dominated)" and math.isnan(daly) and math.isnan(death)
    ((label, (daly, death)),) = published.this_run(inc, "X", "X vs IFA").items()
    assert label == "X vs IFA (more costly, more effective)"
    assert daly == pytest.approx(150.0) and death == pytest.approx(6000.0)
