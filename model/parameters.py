"""Parameter files: schema, loading, inheritance, validation and price-year conversion.

Layout under the parameter root (``parameters/`` by default)::

    global/*.yaml            parameters shared by every country (effects, costs, conventions)
    global/deflators.csv     US CPI-U by year (price-year conversion)
    global/life_table.csv    GBD 2019 reference life table (YLL)
    countries/<CODE>.yaml    a country (ISO 3166-1 alpha-3) or subnational unit (``IND-MH``)
    scenarios/<name>.yaml    overrides with a one-line description
    sources.yaml             source key -> citation, URL and what was read

Each parameter entry carries a short human ``label`` (one line of at most ``LABEL_MAX``
characters, shown instead of the key in figures, tables and spreadsheets), ``value``, ``low``,
``high`` (a 95% interval or plausible range; optional only for ``fixed``), ``distribution``,
``unit``, ``source`` (a key of sources.yaml), ``status`` (``verified``: the value was read in
the cited source; ``unverified``; or ``assumption``, which needs a ``note`` saying why), an
optional ``note``, optional explicit ``dist_params``, and for costs ``currency`` and ``cost_year``.

Kinds are read from the entry: a ``unit`` of ``probability`` or ``proportion`` must lie in
[0, 1] (a unit starting with ``%`` in [0, 100], with ``per 1,000`` in [0, 1000]); a
``relative risk`` must be positive; an entry with a ``currency`` (or a unit that mentions US$)
is a cost, must be non-negative and must carry ``currency`` and ``cost_year``.

A ``beta`` entry whose unit is a percentage or a rate per 1,000 is fitted on that scale and
stays inside its bounds. Inputs drawn together are declared in a file's ``correlations`` block:
a name -> ``parameters`` (a list), ``matrix`` (their correlation on the normal-score scale),
``source``, ``status`` and ``note``; every member must exist once the files are merged (a group
whose members are absent from a unit is ignored only when none of them exists).

Inheritance: global -> country (-> subnational unit) -> scenario. An override in a country or
scenario file is merged field by field into the inherited entry and the result is validated as a
whole; an override that changes ``value``, ``low`` or ``high`` must name its ``source`` and
``status``. A scenario may only override parameters that exist. Every problem is reported with
the file, the key and the reason, all at once, before any model runs.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pycountry
from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from model.currency import DeflatorError, Deflators
from model.dalys import LifeTable, LifeTableError
from model.distributions import (
    DISTRIBUTIONS,
    PARAMS,
    Correlation,
    Distribution,
    DistributionError,
    FitWarning,
    fit,
)
from model.distributions import sample as sample_distributions
from model.readers import InputFileError, load_yaml
from model.timing import timed

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "parameters"
PROBABILITY_UNITS = ("probability", "proportion")
BOUNDED_UNIT_PREFIXES = {"%": 100.0, "per 1,000": 1000.0}  # unit prefix -> upper bound
RATIO_UNITS = ("relative risk", "ratio", "odds ratio", "hazard ratio")
STATUSES = ("verified", "unverified", "assumption")
CURRENCIES = ("USD",)
PARAM_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
UNIT_CODE = re.compile(r"^[A-Z]{3}(-[A-Z0-9]{1,3})?$")
SCENARIO_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
RANGE_FIELDS = ("value", "low", "high")
URL_SCHEMES = ("http", "https")


def _known_status(v: str) -> str:
    """Pydantic check shared by parameters and correlations: ``status`` is one of STATUSES."""
    if v not in STATUSES:
        raise ValueError(f"unknown status '{v}' (expected one of {', '.join(STATUSES)})")
    return v


def _one_line(what: str):
    """A pydantic check that a text field is one non-empty line (returned stripped); the error says
    that ``what`` is one."""
    def check(v: str) -> str:
        if not v.strip() or "\n" in v.strip():
            raise ValueError(f"{what} is one non-empty line")
        return v.strip()
    return check


@dataclass(frozen=True)
class MagnitudeBound:
    """The plausible range of one kind of input, and why: a value outside it is a typing or unit
    slip (thousands for units, a total for a unit cost, a percentage for a fraction), never data."""

    what: str
    applies: Callable[[str, bool], bool]  # (unit in lower case, is a cost) -> applies?
    high: float
    reason: str
    low: float | None = None  # None: the kind's own check covers the low end (costs >= 0, ratios > 0)
    low_reason: str = ""

    def problems(self, numbers: Mapping[str, float]) -> list[str]:
        """One message per number outside the bound, with the reason."""
        out = []
        for k, v in numbers.items():
            if v > self.high:
                out.append(f"{k}={v:g} is above {self.high:g}, the most for {self.what}: {self.reason}")
            elif self.low is not None and v < self.low:
                out.append(f"{k}={v:g} is below {self.low:g}, the least for {self.what}: {self.low_reason}")
        return out


def _first_word(unit: str) -> str:
    return unit.split(" ", 1)[0] if unit else ""


TOTAL_COST_UNITS = ("per year", "per study", "per programme", "per program", "total")


def _is_total_cost(unit: str, is_cost: bool) -> bool:
    """A cost for a whole programme, study or year (not per person, item or episode)."""
    return is_cost and any(t in unit for t in TOTAL_COST_UNITS) and "per person" not in unit


_LIFE = "longer than any human life (125 years)"
_NEGATIVE_TIME = "a duration cannot be negative"
MAGNITUDE_BOUNDS = (
    MagnitudeBound("live births per year", lambda u, c: "births per year" in u, 5e7,
                   "India, the largest national birth cohort, has about 23 million live births a year "
                   "(UN WPP 2024, countries/IND.yaml), so a larger figure is a typing or unit slip",
                   low=1.0, low_reason="a unit without live births has no one to model"),
    MagnitudeBound("a unit cost (US$ per person, item or episode)", lambda u, c: c and not _is_total_cost(u, c),
                   1e6, "the largest per-person figure in these models, GDP per capita, is below US$ 300,000 in "
                   "every country, so a unit cost above US$ 1 million is a total or a typing slip"),
    MagnitudeBound("a total cost (US$ per year, per study or per programme)", _is_total_cost, 1e14,
                   "that is more than world GDP (about US$ 100 trillion a year)"),
    MagnitudeBound("a relative effect (ratio)", lambda u, c: u.strip() in RATIO_UNITS, 1e3,
                   "no relative risk, odds or hazard ratio in these models comes near 1,000"),
    MagnitudeBound("a discount rate", lambda u, c: "discount rate" in u, 0.25,
                   "rates are fractions (0.03 for 3%); above 0.25 is a percentage typed as a number",
                   low=0.0, low_reason="economic evaluations do not use negative discount rates"),
    MagnitudeBound("a duration in years", lambda u, c: _first_word(u) in ("year", "years"), 125.0, _LIFE,
                   low=0.0, low_reason=_NEGATIVE_TIME),
    MagnitudeBound("a duration in weeks", lambda u, c: _first_word(u) in ("week", "weeks"), 125 * 52.18, _LIFE,
                   low=0.0, low_reason=_NEGATIVE_TIME),
    MagnitudeBound("a duration in days", lambda u, c: _first_word(u) in ("day", "days"), 125 * 365.25, _LIFE,
                   low=0.0, low_reason=_NEGATIVE_TIME),
)


@functools.lru_cache(maxsize=8192)
def _extremes(family: str, params: tuple[tuple[str, float], ...]) -> tuple[float, float]:
    return Distribution(family, dict(params)).extremes()


@functools.lru_cache(maxsize=8192)
def _magnitude_problems(unit: str, is_cost: bool, numbers: tuple[tuple[str, float], ...]) -> list[str]:
    return [msg for bound in MAGNITUDE_BOUNDS if bound.applies(unit, is_cost) for msg in bound.problems(dict(numbers))]


def _no_bool(v: Any) -> Any:
    """YAML reads yes/no/true/false as booleans, which pydantic would take as 1 and 0."""
    if isinstance(v, bool):
        raise ValueError(f"expected a number, got a boolean ({str(v).lower()})")
    return v
LABEL_MAX = 60  # characters in a parameter's human label (tornado rows, tables, spreadsheets)


# --------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class Problem:
    """One validation failure: which file, which key, and why."""

    file: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.reason}"


class ParameterError(ValueError):
    """Invalid parameter files; ``problems`` lists every failure found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the parameter files:\n{lines}")


# --------------------------------------------------------------------------- schema
class Parameter(BaseModel):
    """One sourced model input. Units are stated in ``unit``; costs in ``currency`` of ``cost_year``.

    Numbers must be finite (NaN and infinity are refused) and within the magnitude bounds of their
    kind (``MAGNITUDE_BOUNDS``); explicit ``dist_params`` must define a proper distribution whose
    central 99% holds ``value``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    distribution: str
    unit: str
    source: str
    status: str
    note: str | None = None
    currency: str | None = None
    cost_year: int | None = None
    dist_params: dict[str, float] | None = None

    @field_validator("value", "low", "high", "cost_year", mode="before")
    @classmethod
    def _number_not_bool(cls, v: Any) -> Any:
        return _no_bool(v)

    @field_validator("dist_params", mode="before")
    @classmethod
    def _params_not_bool(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for k, x in v.items():
                if isinstance(x, bool):
                    raise ValueError(f"{k}: expected a number, got a boolean ({str(x).lower()})")
        return v

    @field_validator("distribution")
    @classmethod
    def _known_distribution(cls, v: str) -> str:
        if v not in DISTRIBUTIONS:
            raise ValueError(f"unknown distribution '{v}' (expected one of {', '.join(DISTRIBUTIONS)})")
        return v

    _known_status = field_validator("status")(_known_status)

    @field_validator("label")
    @classmethod
    def _short_label(cls, v: str) -> str:
        if not v.strip() or "\n" in v.strip() or len(v.strip()) > LABEL_MAX:
            raise ValueError(f"a label is one line of 1 to {LABEL_MAX} characters that a reader understands "
                             f"(got {v!r})")
        return v.strip()

    @property
    def is_probability(self) -> bool:
        return self.unit.strip().lower() in PROBABILITY_UNITS

    @property
    def is_cost(self) -> bool:
        return self.currency is not None or "us$" in self.unit.lower()

    @model_validator(mode="after")
    def _coherent(self) -> Parameter:
        problems: list[str] = []
        if self.distribution != "fixed":
            for name in ("low", "high"):
                if getattr(self, name) is None:
                    problems.append(f"missing field '{name}' (required unless distribution is fixed)")
        if self.low is not None and self.low > self.value:
            problems.append(f"low ({self.low:g}) > value ({self.value:g})")
        if self.high is not None and self.high < self.value:
            problems.append(f"high ({self.high:g}) < value ({self.value:g})")
        numbers = {k: getattr(self, k) for k in RANGE_FIELDS if getattr(self, k) is not None}
        if self.is_probability:
            bad = {k: v for k, v in numbers.items() if not 0.0 <= v <= 1.0}
            problems += [f"probability {k}={v:g} is outside [0, 1]" for k, v in bad.items()]
        for prefix, top in BOUNDED_UNIT_PREFIXES.items():
            if self.unit.strip().lower().startswith(prefix):
                problems += [f"{k}={v:g} is outside [0, {top:g}] for a unit of '{self.unit}'"
                             for k, v in numbers.items() if not 0.0 <= v <= top]
        if self.unit.strip().lower() in RATIO_UNITS:
            problems += [f"{self.unit} {k}={v:g} must be > 0" for k, v in numbers.items() if v <= 0]
        problems += _magnitude_problems(self.unit.strip().lower(), self.is_cost, tuple(numbers.items()))
        if self.is_cost:
            problems += [f"negative cost: {k}={v:g}" for k, v in numbers.items() if v < 0]
            if self.currency is None:
                problems.append("a cost must carry 'currency'")
            elif self.currency not in CURRENCIES:
                problems.append(f"unknown currency '{self.currency}' (expected one of {', '.join(CURRENCIES)}): the "
                                "workbook has no exchange-rate table, so convert the cost to US$ of its cost_year "
                                "and say how in 'note'")
            if self.cost_year is None:
                problems.append("a cost must carry 'cost_year'")
        elif self.cost_year is not None:
            problems.append("'cost_year' given for an entry that is not a cost (add 'currency')")
        if self.status == "assumption" and not (self.note and self.note.strip()):
            problems.append("status 'assumption' needs a 'note' saying why")
        if self.dist_params is not None:
            want = set(PARAMS[self.distribution])
            if set(self.dist_params) != want:
                problems.append(
                    f"dist_params for {self.distribution} must be {sorted(want)}, "
                    f"got {sorted(self.dist_params)}"
                )
            else:
                scale = self.upper_bound if self.distribution == "beta" and self.upper_bound else 1.0
                problems += _explicit_distribution_problems(self.distribution, self.dist_params, self.value, scale)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def upper_bound(self) -> float | None:
        """The top of a bounded unit (100 for a percentage, 1000 per 1,000), else None."""
        unit = self.unit.strip().lower()
        return next((top for prefix, top in BOUNDED_UNIT_PREFIXES.items() if unit.startswith(prefix)), None)

    def to_distribution(self, label: str) -> Distribution:
        """The entry's distribution: explicit ``dist_params`` or fitted from value and range. A
        beta on a percentage or per-1,000 unit carries that scale."""
        scale = self.upper_bound if self.distribution == "beta" and self.upper_bound else 1.0
        if self.dist_params is not None:
            params = dict(self.dist_params) | ({"scale": scale} if scale != 1.0 else {})
            return Distribution(self.distribution, params)
        return fit(self.distribution, self.value, self.low, self.high, label=label, scale=scale)


def url_problem(value: object) -> str | None:
    """Why ``value`` is not an http(s) address (briefs turn source addresses into links), or ``None``."""
    text = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(text)
    if parts.scheme.lower() not in URL_SCHEMES or not parts.netloc or re.search(r"\s", text):
        return f"url must be an http:// or https:// address (got {value!r}): briefs turn it into a link"
    return None


def _explicit_distribution_problems(family: str, params: Mapping[str, float], value: float,
                                    scale: float = 1.0) -> list[str]:
    """Problems of explicit ``dist_params``: not a proper distribution, or one that does not
    describe ``value`` (outside its central 99%: a transcription error in mu/sigma, a/b ...)."""
    try:
        dist = Distribution(family, dict(params) | ({"scale": scale} if scale != 1.0 else {}))
    except DistributionError as exc:
        return [f"dist_params: {exc}"]
    lo, hi = (float(q) for q in dist.ppf(np.array([0.005, 0.995])))
    if not lo <= value <= hi:
        return [f"dist_params: {dist.describe()} has its central 99% in [{lo:.4g}, {hi:.4g}], which does not "
                f"hold value {value:g}"]
    return []


class Source(BaseModel):
    """A citation, where to find it (an http or https address) and what was read in it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    citation: str
    url: str | None = None
    read: str

    @field_validator("url")
    @classmethod
    def _web_address(cls, v: str | None) -> str | None:
        why = None if v is None else url_problem(v)
        if why:
            raise ValueError(why)
        return v if v is None else v.strip()


class Settings(BaseModel):
    """Run-wide choices that are not uncertain numbers.

    ``comparator_iron_mg``: iron dose of the IFA comparator (picks its price and the MMS neonatal
    mortality effect): ``national`` (the country's ``antenatal_iron_dose_mg``), or 30 or 60 mg
    everywhere; ``neonatal_effect``: ``total`` calibrates each trial's neonatal-mortality RR
    as a total effect (birth-category pathway plus a residual), ``mediated`` keeps only the
    birth-category pathway; ``stillbirths_in_dalys``: count a stillbirth's YLL at age 0;
    ``perspective``: ``provider`` or ``societal`` (adds household costs); ``effect_weighting``:
    ``anaemia`` weights the MMS effects on LBW, SGA and neonatal mortality by the country's anaemia
    prevalence in pregnancy (Smith 2017 subgroup RRs for anaemic women, the overall RR for the
    others); ``anaemia-sex`` weights LBW and SGA by anaemia and neonatal mortality by infant sex;
    ``enrolment_ages_weeks`` / ``enrolment_age_weights``: ages at which at-risk infants enter the
    infant model and their shares (each group is followed to 1 year of age); ``infant_correction``:
    within-cycle correction of the infant model; ``decision_threshold``: which of the country's
    thresholds (``model.cea.country_thresholds``) decisions, sensitivity analyses and briefs use;
    ``rollout_*``: the budget-impact coverage path (``model.budget.Rollout``): the target of 90%
    of antenatal attendees is the coverage Young et al. 2022 modelled; the 1-year exploration,
    1-year pilot at 10% and 3-year linear scale-up are this workbook's assumptions.

    ``life_table_path`` is not a YAML key: :func:`load` sets it to the life table of the parameter
    folder the settings came from, so the models compute YLL from that folder's table."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    _life_table_path: Path | None = PrivateAttr(default=None)

    price_year: int = 2023
    currency: Literal["USD"] = "USD"
    comparator_iron_mg: Literal[30, 60, "national"] = "national"
    neonatal_effect: Literal["total", "mediated"] = "total"
    stillbirths_in_dalys: bool = False
    perspective: Literal["provider", "societal"] = "provider"
    effect_weighting: Literal["none", "anaemia", "anaemia-sex"] = "none"
    enrolment_ages_weeks: tuple[int, ...] = (4, 12, 20)
    enrolment_age_weights: tuple[float, ...] = (1 / 3, 1 / 3, 1 / 3)
    infant_correction: Literal["none", "half-cycle", "simpson", "beginning", "end"] = "half-cycle"
    rollout_years: int = 5
    rollout_exploration_years: int = 1
    rollout_pilot_years: int = 1
    rollout_pilot_coverage: float = 0.1
    rollout_scale_up_years: int = 3
    rollout_target_coverage: float = 0.9
    decision_threshold: Literal[
        "opportunity cost (Ochalek 2018)", "opportunity cost (Woods 2016, mid)",
        "0.5 x GDP per capita", "1 x GDP per capita",
    ] = "opportunity cost (Ochalek 2018)"

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_not_bool(cls, v: Any, info: ValidationInfo) -> Any:
        return _no_bool(v) if cls.model_fields[info.field_name].annotation in (int, float) else v

    @property
    def life_table_path(self) -> Path | None:
        """The life table (CSV) of the parameter folder these settings were loaded from."""
        return self._life_table_path

    @model_validator(mode="after")
    def _enrolment(self) -> Settings:
        ages, weights = self.enrolment_ages_weeks, self.enrolment_age_weights
        if len(ages) != len(weights) or not ages:
            raise ValueError("enrolment_ages_weeks and enrolment_age_weights need the same, non-zero length")
        if any(not 0 <= a < 26 for a in ages):
            raise ValueError("enrolment ages must lie in [0, 26) weeks")
        if any(w < 0 for w in weights) or abs(sum(weights) - 1) > 1e-9:
            raise ValueError("enrolment_age_weights must be non-negative and sum to 1")
        return self


class _GlobalFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str | None = None
    settings: dict[str, Any] = {}
    parameters: dict[str, dict[str, Any]] = {}
    correlations: dict[str, dict[str, Any]] = {}


class CorrelationSpec(BaseModel):
    """A ``correlations`` entry: which inputs move together, how, and on what evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    parameters: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]
    source: str
    status: str
    note: str

    _known_status = field_validator("status")(_known_status)


class _CountryFile(_GlobalFile):
    code: str
    name: str
    parent: str | None = None

    _one_line_name = field_validator("name")(_one_line("a unit's name"))


class _ScenarioFile(_GlobalFile):
    name: str
    description: str

    _one_line_description = field_validator("description")(_one_line("a scenario description"))


# --------------------------------------------------------------------------- reading
def display_path(path: Path, root: Path) -> str:
    """How problems name a file: relative to the folder that holds the parameter root
    (``parameters/countries/BGD.yaml``), or as given when it lies elsewhere."""
    return _display_path(str(path), str(root))


@functools.lru_cache(maxsize=4096)
def _display_path(path: str, root: str) -> str:
    path, root = Path(path), Path(root)
    try:
        return str(path.resolve().relative_to(root.resolve().parent))
    except ValueError:
        return str(path)


_YAML_CACHE: dict[tuple[str, int, int], Any] = {}


def _parse_yaml_cached(path: Path) -> Any:
    """Strictly load a YAML file (:func:`model.readers.load_yaml`: UTF-8, no duplicate keys, safe
    tags), cached on (path, mtime, size); callers get a deep copy. Failures are cached too."""
    st = path.stat()
    key = (os.path.abspath(path), st.st_mtime_ns, st.st_size)
    if key not in _YAML_CACHE:
        try:
            _YAML_CACHE[key] = load_yaml(path)
        except InputFileError as exc:
            _YAML_CACHE[key] = exc
    cached = _YAML_CACHE[key]
    if isinstance(cached, InputFileError):
        raise cached
    return copy.deepcopy(cached)


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> dict | None:
    fname = display_path(path, root)
    try:
        data = _parse_yaml_cached(path)
    except FileNotFoundError:
        problems.append(Problem(fname, "-", "file not found"))
        return None
    except IsADirectoryError:
        problems.append(Problem(fname, "-", "is a folder, not a file"))
        return None
    except OSError as exc:
        problems.append(Problem(fname, "-", f"cannot read: {exc.strerror or exc}"))
        return None
    except InputFileError as exc:
        problems.extend(Problem(fname, k, r) for k, r in exc.problems)
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(fname, "-", f"top level must be a mapping (got {type(data).__name__})"))
        return None
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        problems.append(Problem(fname, str(bad_keys[0]), "top-level keys must be names"))
        return None
    return data


def _message(err: dict) -> str:
    """A pydantic error in words a parameter author can act on."""
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "finite_number":
        return f"must be a finite number (got {err.get('input')!r}): NaN and infinity are refused"
    if err["type"] in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        return f"{msg} (got {err.get('input')!r})"
    return msg


def _pydantic_problems(fname: str, exc: ValidationError, prefix: str = "") -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        key = ".".join(p for p in (prefix, loc) if p) or "-"
        msg = _message(err)
        if err["type"] in ("extra_forbidden", "missing"):  # named by the mapping it is in, or itself at the top
            name = str(err["loc"][-1])
            msg = f"unknown key '{name}'" if err["type"] == "extra_forbidden" else f"missing field '{name}'"
            key = ".".join(p for p in (prefix, ".".join(str(p) for p in err["loc"][:-1])) if p) or name
        out.append(Problem(fname, key, msg))
    return out


def _parse(model: type[BaseModel], data: dict, fname: str, problems: list[Problem]):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(fname, exc))
        return None


def load_sources(root: Path, problems: list[Problem]) -> dict[str, Source]:
    """Read ``sources.yaml``: a mapping of key -> {citation, url, read}."""
    path = root / "sources.yaml"
    data = _read_yaml(path, root, problems)
    fname = display_path(path, root)
    sources: dict[str, Source] = {}
    for key, entry in (data or {}).items():
        if not isinstance(entry, dict):
            problems.append(Problem(fname, str(key), "a source must be a mapping"))
            continue
        try:
            sources[str(key)] = Source.model_validate(entry)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(fname, exc, prefix=str(key)))
    return sources


# --------------------------------------------------------------------------- merging
@dataclass
class _Layer:
    """Raw parameter entries, each with the file that last set it."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    introduced: dict[str, str] = field(default_factory=dict)
    field_origin: dict[str, dict[str, str]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    settings_origin: dict[str, str] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)
    correlations: dict[str, tuple[dict, str]] = field(default_factory=dict)  # name -> (spec, file)


def _apply(layer: _Layer, params: dict, settings: dict, fname: str, problems: list[Problem],
           *, allow_new: bool, correlations: dict | None = None) -> None:
    for name, spec in (correlations or {}).items():
        layer.correlations[str(name)] = (spec, fname)
    for key, override in params.items():
        if not isinstance(key, str) or not PARAM_KEY.match(key):
            problems.append(Problem(fname, str(key), "parameter names are lower_snake_case"))
            continue
        if not isinstance(override, dict):
            problems.append(Problem(fname, key, "a parameter entry must be a mapping"))
            continue
        if key in layer.entries:
            changes_range = any(f in override for f in RANGE_FIELDS)
            missing = [f for f in ("source", "status") if f not in override]
            if changes_range and missing:
                problems.append(Problem(
                    fname, key,
                    f"an override of value/low/high must name its {' and '.join(missing)}",
                ))
            merged = {**layer.entries[key], **override}
            if override.get("distribution") == "fixed" and not any(f in override for f in ("low", "high")):
                merged.pop("low", None)
                merged.pop("high", None)
        elif allow_new:
            merged = dict(override)
        else:
            problems.append(Problem(
                fname, key, "unknown parameter (not defined in the global or country files)"
            ))
            continue
        layer.entries[key] = merged
        layer.origin[key] = fname
        layer.introduced.setdefault(key, fname)
        layer.field_origin.setdefault(key, {}).update(dict.fromkeys(override, fname))
    layer.settings.update(settings)
    layer.settings_origin.update(dict.fromkeys(map(str, settings), fname))


def _settings_problems(layer: _Layer, exc: ValidationError) -> list[Problem]:
    """Attribute each settings error to the file that set the offending key (a check across keys,
    such as the enrolment ages and weights, to the files that set the keys it names)."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        msg = _message(err)
        name = loc[0] if loc else next((k for k in layer.settings_origin if re.search(rf"\b{k}\b", msg)), None)
        if err["type"] == "extra_forbidden":
            msg = f"unknown setting '{name}' (known: {', '.join(Settings.model_fields)})"
        fname = layer.settings_origin.get(name or "", "") or ", ".join(sorted(set(layer.settings_origin.values()))) \
            or "settings"
        out.append(Problem(fname, f"settings.{name}" if name else "settings", msg))
    return out


def _entry_problems(layer: _Layer, key: str, exc: ValidationError) -> list[Problem]:
    """Attribute each error of a merged entry to the file that wrote the offending field."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        msg = _message(err)
        if err["type"] == "extra_forbidden":
            fname, where, msg = layer.field_origin[key][loc[-1]], key, f"unknown key '{loc[-1]}'"
        elif err["type"] == "missing":
            fname, where, msg = layer.introduced[key], key, f"missing field '{loc[-1]}'"
        elif loc:
            fname, where = layer.field_origin[key].get(loc[0], layer.origin[key]), f"{key}.{'.'.join(loc)}"
        else:
            fname, where = layer.origin[key], key
        out.append(Problem(fname, where, msg))
    return out


# --------------------------------------------------------------------------- the parameter set
@dataclass(frozen=True)
class ParameterSet:
    """Validated inputs of one (unit, scenario): entries in the run's price year, and settings."""

    unit: str | None
    unit_name: str | None
    scenario: str
    scenario_description: str
    settings: Settings
    params: Mapping[str, Parameter]
    origin: Mapping[str, str]
    sources: Mapping[str, Source]
    cost_year_original: Mapping[str, int]
    dists: Mapping[str, Distribution]
    fit_warnings: tuple[str, ...] = ()
    correlations: Mapping[str, tuple[Correlation, CorrelationSpec]] = field(default_factory=dict)
    settings_origin: Mapping[str, str] = field(default_factory=dict)
    root: Path | None = None

    def __getitem__(self, key: str) -> Parameter:
        return self.params[key]

    def __contains__(self, key: object) -> bool:
        return key in self.params

    def base(self) -> dict[str, np.ndarray]:
        """Point values as 0-d float arrays (the base case)."""
        return {k: np.asarray(p.value, dtype=float) for k, p in self.params.items()}

    @property
    def uncertain(self) -> list[str]:
        """Names of parameters that are not fixed, in file order."""
        return [k for k, d in self.dists.items() if d.family != "fixed"]

    def sample(self, n: int, seed: int, start: int = 0, names: Iterable[str] | None = None,
               tag: str = "") -> dict[str, np.ndarray]:
        """Draws ``start .. start+n-1`` of every parameter (or only ``names``), shape ``(n,)``;
        fixed ones repeated; declared correlations applied. A parameter's draws do not depend on
        which others are drawn. ``tag`` selects alternative streams (for redrawing)."""
        dists = self.dists if names is None else {k: self.dists[k] for k in names}
        return sample_distributions(dists, n, seed, start, tag=tag,
                                    correlations=[c for c, _ in self.correlations.values()])

    def require(self, names: Iterable[str], what: str) -> None:
        """Raise :class:`ParameterError` naming every missing parameter that ``what`` needs."""
        missing = [n for n in names if n not in self.params]
        if missing:
            where = f"countries/{self.unit}.yaml" if self.unit else "global files"
            raise ParameterError(
                Problem(where, n, f"missing: {what} needs this parameter") for n in missing
            )

    def quality(self) -> dict[str, int]:
        """How many inputs are verified, unverified and assumed."""
        counts = dict.fromkeys(STATUSES, 0)
        for p in self.params.values():
            counts[p.status] += 1
        return counts

    def table(self) -> pd.DataFrame:
        """Every parameter with its label, value, range, distribution, unit, status, source and file."""
        rows = []
        for k, p in self.params.items():
            src = self.sources.get(p.source)
            rows.append({
                "parameter": k,
                "label": p.label,
                "value": p.value,
                "low": p.low,
                "high": p.high,
                "unit": p.unit,
                "distribution": self.dists[k].describe(),
                "status": p.status,
                "source": p.source,
                "citation": src.citation if src else "",
                "url": (src.url or "") if src else "",
                "cost_year_original": self.cost_year_original.get(k),
                "note": p.note or "",
                "file": self.origin[k],
            })
        return pd.DataFrame(rows)


def _unit_problems(code: str, data: dict, fname: str, path_stem: str) -> list[Problem]:
    problems = []
    if not UNIT_CODE.match(code):
        return [Problem(fname, "code", f"bad code '{code}': expected ISO3 or ISO3-SUB (e.g. IND-MH)")]
    if code != path_stem:
        problems.append(Problem(fname, "code", f"code '{code}' does not match the file name '{path_stem}'"))
    iso3, _, sub = code.partition("-")
    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        problems.append(Problem(fname, "code", f"bad ISO3 code '{iso3}': not an ISO 3166-1 alpha-3 code"))
    elif sub:
        if pycountry.subdivisions.get(code=f"{country.alpha_2}-{sub}") is None:
            problems.append(Problem(
                fname, "code", f"'{country.alpha_2}-{sub}' is not an ISO 3166-2 subdivision of {iso3}"
            ))
        if data.get("parent") != iso3:
            problems.append(Problem(fname, "parent", f"a subnational unit must name parent '{iso3}'"))
    elif data.get("parent") is not None:
        problems.append(Problem(fname, "parent", "only subnational units have a parent"))
    return problems


def _country_chain(code: str, root: Path, problems: list[Problem]) -> list[tuple[Path, dict]]:
    """The country file and, for a subnational unit, its parent's, parent first."""
    if not UNIT_CODE.match(code or ""):
        problems.append(Problem("countries", str(code),
                                "bad unit code: expected ISO3 or ISO3-SUB (e.g. BGD, IND-MH)"))
        return []
    chain = []
    path = root / "countries" / f"{code}.yaml"
    data = _read_yaml(path, root, problems)
    if data is None:
        return []
    parsed = _parse(_CountryFile, data, display_path(path, root), problems)
    if parsed is None:
        return []
    unit_problems = _unit_problems(parsed.code, data, display_path(path, root), path.stem)
    problems += unit_problems
    # the parent becomes a path only once it is known to be this unit's ISO3 country
    if parsed.parent and not any(p.key in ("code", "parent") for p in unit_problems):
        parent_path = root / "countries" / f"{parsed.parent}.yaml"
        pdata = _read_yaml(parent_path, root, problems)
        pparsed = None if pdata is None else _parse(_CountryFile, pdata, display_path(parent_path, root), problems)
        if pparsed is not None:
            problems += _unit_problems(pparsed.code, pdata, display_path(parent_path, root), parent_path.stem)
            chain.append((parent_path, pdata))
    chain.append((path, data))
    return chain


def _global_layer(root: Path, problems: list[Problem]) -> _Layer:
    layer = _Layer()
    files = sorted((root / "global").glob("*.yaml"))
    if not files:
        problems.append(Problem(display_path(root / "global", root), "-", "no global parameter files"))
    for path in files:
        fname = display_path(path, root)
        data = _read_yaml(path, root, problems)
        if data is None or _parse(_GlobalFile, data, fname, problems) is None:
            continue
        for key in data.get("parameters") or {}:
            if key in layer.entries:
                problems.append(Problem(fname, str(key), f"duplicate: also defined in {layer.origin[key]}"))
        for key, entry in (data.get("parameters") or {}).items():
            if isinstance(entry, dict):  # each global entry must be valid on its own
                try:
                    Parameter.model_validate(entry)
                except ValidationError as exc:
                    problems.extend(_pydantic_problems(fname, exc, prefix=str(key)))
                    layer.reported.add(str(key))
        _apply(layer, data.get("parameters") or {}, data.get("settings") or {}, fname, problems,
               allow_new=True, correlations=data.get("correlations"))
    return layer


def _finalise(layer: _Layer, root: Path, sources: dict[str, Source], problems: list[Problem],
              fit_notes: list[str]
              ) -> tuple[Settings | None, dict[str, Parameter], dict[str, Distribution], dict[str, int]]:
    """Validate merged entries, check sources, convert costs, fit distributions.

    Fit warnings are collected into ``fit_notes`` (shown by ``cea validate`` and kept in every
    run's manifest) rather than raised."""
    settings = None
    try:
        settings = Settings.model_validate(layer.settings)
    except ValidationError as exc:
        problems.extend(_settings_problems(layer, exc))
    deflators = None
    deflator_file = display_path(root / "global" / "deflators.csv", root)
    try:
        deflators = Deflators.from_csv(root / "global" / "deflators.csv")
    except FileNotFoundError:
        problems.append(Problem(deflator_file, "-", "file not found"))
    except OSError as exc:
        problems.append(Problem(deflator_file, "-", f"cannot read: {exc.strerror or exc}"))
    except DeflatorError as exc:
        problems.extend(Problem(deflator_file, k, r) for k, r in exc.problems or [("-", str(exc))])
    if settings is not None and deflators is not None and settings.price_year not in deflators.index:
        first, last = deflators.years
        problems.append(Problem(layer.settings_origin.get("price_year", deflator_file), "settings.price_year",
                                f"price year {settings.price_year} is not in {deflator_file} (CPI-U covers "
                                f"{first}-{last})"))
        deflators = None  # no cost can be converted; each cost is not reported again
    life_table = root / "global" / "life_table.csv"
    try:
        LifeTable.from_csv(life_table)
    except LifeTableError as exc:
        problems.extend(Problem(display_path(life_table, root), k, r) for k, r in exc.problems)
    if settings is not None:
        settings._life_table_path = life_table.resolve()
    params: dict[str, Parameter] = {}
    dists: dict[str, Distribution] = {}
    original_year: dict[str, int] = {}
    for key, raw in layer.entries.items():
        fname = layer.origin[key]
        try:
            p = Parameter.model_validate(raw)
        except ValidationError as exc:
            if not (key in layer.reported and layer.origin[key] == layer.introduced[key]):
                problems.extend(_entry_problems(layer, key, exc))
            continue
        if p.source not in sources:
            problems.append(Problem(fname, key, f"unknown source key '{p.source}' (not in sources.yaml)"))
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", FitWarning)
                dist = p.to_distribution(label=f"{fname}: {key}")
            fit_notes += [str(w.message) for w in caught if issubclass(w.category, FitWarning)]
        except DistributionError as exc:
            problems.append(Problem(fname, key, str(exc)))
            continue
        extremes = _extremes(dist.family, tuple(dist.params.items()))
        if not np.all(np.isfinite(extremes)):
            problems.append(Problem(fname, key, f"{dist.describe()} can draw non-finite values (its most extreme "
                                                f"draws are {extremes[0]:g} and {extremes[1]:g}): narrow the range"))
            continue
        if p.is_cost and settings is not None and deflators is not None:
            try:
                factor = deflators.factor(p.cost_year, settings.price_year)
            except DeflatorError as exc:
                problems.append(Problem(fname, key, str(exc)))
                continue
            original_year[key] = p.cost_year
            p = p.model_copy(update={
                "value": p.value * factor,
                "low": None if p.low is None else p.low * factor,
                "high": None if p.high is None else p.high * factor,
                "cost_year": settings.price_year,
            })
            dist = dist.scaled(factor)
        params[key] = p
        dists[key] = dist
    return settings, params, dists, original_year


@timed("load inputs")
def load(unit: str | None = None, scenario: str | None = "base", root: str | Path | None = None
         ) -> ParameterSet:
    """Load and validate the inputs of ``unit`` (ISO3 or ISO3-SUB; None = globals only) under
    ``scenario`` (None: no scenario file, the unit's own inputs). Raises :class:`ParameterError`
    listing every problem found."""
    root = Path(root) if root is not None else DEFAULT_ROOT
    problems: list[Problem] = []
    sources = load_sources(root, problems)
    layer = _global_layer(root, problems)
    unit_name = None
    if unit is not None:
        for path, data in _country_chain(unit, root, problems):
            _apply(layer, data.get("parameters") or {}, data.get("settings") or {},
                   display_path(path, root), problems, allow_new=True, correlations=data.get("correlations"))
            unit_name = data.get("name")
    if scenario is None:
        description = ""
    elif not SCENARIO_NAME.match(scenario):
        problems.append(Problem("scenarios", str(scenario),
                                "bad scenario name: lower-case letters, digits, '-' and '_' only"))
        description = ""
    else:
        description = _apply_scenario(layer, root, scenario, problems)
    fit_notes: list[str] = []
    settings, params, dists, original_year = _finalise(layer, root, sources, problems, fit_notes)
    correlations = _correlations(layer, params, sources, problems)
    if problems or settings is None:
        raise ParameterError(problems)
    return ParameterSet(
        unit=unit, unit_name=unit_name, scenario=scenario or "", scenario_description=description,
        settings=settings, params=params, origin=dict(layer.origin), sources=sources,
        cost_year_original=original_year, dists=dists, fit_warnings=tuple(fit_notes),
        correlations=correlations, settings_origin=dict(layer.settings_origin), root=root,
    )


def _correlations(layer: _Layer, params: Mapping[str, Parameter], sources: Mapping[str, Source],
                  problems: list[Problem]) -> dict[str, tuple[Correlation, CorrelationSpec]]:
    """Validate the merged ``correlations`` blocks (by name; a later file replaces a group)."""
    out: dict[str, tuple[Correlation, CorrelationSpec]] = {}
    for name, (raw, fname) in layer.correlations.items():
        where = f"correlations.{name}"
        if not isinstance(raw, dict):
            problems.append(Problem(fname, where, "a correlation entry must be a mapping"))
            continue
        try:
            spec = CorrelationSpec.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(fname, exc, prefix=where))
            continue
        present = [p for p in spec.parameters if p in params]
        if not present:
            continue  # e.g. country inputs in a globals-only load
        if len(present) < len(spec.parameters):
            missing = [p for p in spec.parameters if p not in params]
            problems.append(Problem(fname, where, f"names unknown parameter(s) {missing}"))
            continue
        if spec.source not in sources:
            problems.append(Problem(fname, where, f"unknown source key '{spec.source}' (not in sources.yaml)"))
        try:
            out[name] = (Correlation(tuple(spec.parameters), tuple(map(tuple, spec.matrix))), spec)
        except DistributionError as exc:
            problems.append(Problem(fname, where, str(exc)))
    return out


def _apply_scenario(layer: _Layer, root: Path, scenario: str, problems: list[Problem]) -> str:
    path = root / "scenarios" / f"{scenario}.yaml"
    data = _read_yaml(path, root, problems)
    if data is None:
        return ""
    fname = display_path(path, root)
    parsed = _parse(_ScenarioFile, data, fname, problems)
    if parsed is None:
        return ""
    if parsed.name != path.stem:
        problems.append(Problem(fname, "name", f"name '{parsed.name}' does not match the file name"))
    _apply(layer, parsed.parameters, parsed.settings, fname, problems, allow_new=False,
           correlations=parsed.correlations)
    return parsed.description


def units(root: str | Path | None = None) -> list[str]:
    """Codes of every country and subnational file, sorted."""
    root = Path(root) if root is not None else DEFAULT_ROOT
    return sorted(p.stem for p in (root / "countries").glob("*.yaml") if not p.stem.startswith("_"))


def scenarios(root: str | Path | None = None) -> list[str]:
    """Names of every scenario file, sorted."""
    root = Path(root) if root is not None else DEFAULT_ROOT
    return sorted(p.stem for p in (root / "scenarios").glob("*.yaml"))


def validate(paths: Iterable[str | Path] = (), root: str | Path | None = None,
             fit_notes: list[str] | None = None) -> list[Problem]:
    """Validate parameter files; return every problem (empty list = valid).

    Distribution-fit warnings of the sets that loaded are appended to ``fit_notes`` if given.

    With no ``paths``, every country under every scenario is loaded. A country path is checked
    under every scenario; a scenario path under every country; a global file or sources.yaml
    triggers the full check.
    """
    root = Path(root) if root is not None else DEFAULT_ROOT
    paths = [Path(p) for p in paths]
    all_units, all_scen = units(root), scenarios(root)
    todo_units: set[str | None] = set()
    todo_scen: set[str] = set()
    problems: list[Problem] = []
    for p in paths:
        if not p.exists():
            problems.append(Problem(str(p), "-", "file not found"))
        elif p.parent.name == "countries":
            todo_units.add(p.stem)
            todo_scen.update(all_scen or ["base"])
        elif p.parent.name == "scenarios":
            todo_scen.add(p.stem)
            todo_units.update(all_units or [None])
        else:
            todo_units.update(all_units or [None])
            todo_scen.update(all_scen or ["base"])
    if not paths:
        todo_units.update(all_units or [None])
        todo_scen.update(all_scen or ["base"])
    seen: set[Problem] = set()
    for u in sorted(todo_units, key=str):
        for s in sorted(todo_scen):
            try:
                ps = load(u, s, root)
                if fit_notes is not None:
                    fit_notes += [n for n in ps.fit_warnings if n not in fit_notes]
            except ParameterError as exc:
                for prob in exc.problems:
                    if prob not in seen:
                        seen.add(prob)
                        problems.append(prob)
    return problems
