"""Indicator definitions: the plan's annex, declared in YAML, loaded into frozen dataclasses.

The default file is ``zjplan/indicators.yml`` (the 16 key indicators of
《制造强省建设行动计划》, 浙委办发〔2020〕8号). A plan with other targets is a new file of the
same form passed to :func:`load_definitions`; nothing in the code names an indicator.

Every field is validated on load. An error names the file, the indicator and the field,
so that a typo in a definitions file is found before any number is computed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd
import yaml

DEFAULT_DEFINITIONS = Path(__file__).with_name("indicators.yml")
# libyaml's safe loader where installed (the same documents, parsed faster)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

TargetKind = Literal["level", "average_growth", "ceiling", "qualitative"]
Comparator = Literal[">=", "<"]
Direction = Literal["higher", "lower"]
PriceBasis = Literal["current", "constant_2019", "comparable", "ratio"]
Deflator = Literal["ppi", "gdp_deflator"]
DeflateAs = Literal["amount", "intensity", "none"]
Role = Literal["indicator", "proxy", "context"]
# Which stored calibration of the forecast engine serves the indicator (zjplan.forecasting).
Calibration = Literal["domain", "m3"]
# A proxy that bounds the indicator by construction: "upper" is never below it (all
# industry's share of GDP over manufacturing's), "lower" never above it.
BoundSide = Literal["upper", "lower"]


class DefinitionError(ValueError):
    """A definitions file is malformed; the message names the file, indicator and field."""


@dataclass(frozen=True)
class Category:
    key: str
    zh: str
    en: str


@dataclass(frozen=True)
class Derivation:
    """``numerator / denominator * scale``, both published series in the same unit family."""

    numerator: str
    denominator: str
    scale: float = 1.0

    @property
    def formula(self) -> str:
        scale = "" if self.scale == 1 else f" × {self.scale:g}"
        return f"{self.numerator} / {self.denominator}{scale}"


@dataclass(frozen=True)
class ProvinceSeries:
    """A series published for every province that an indicator is compared on.

    ``role`` says what it is: the indicator itself, a labelled proxy for it, or context
    (a related measure, never read as the indicator). With ``per``, the value is the
    ratio of two published series, ``series / per * scale``, and is labelled derived.
    """

    series: str
    role: Role
    per: str | None = None
    scale: float = 1.0
    unit: str | None = None
    label_zh: str = ""
    label_en: str = ""

    @property
    def key(self) -> str:
        """The series key, or ``num/den`` for a ratio (how a reader asks for it)."""
        return self.series if self.per is None else f"{self.series}/{self.per}"

    @property
    def formula(self) -> str:
        if self.per is None:
            return self.series
        scale = "" if self.scale == 1 else f" × {self.scale:g}"
        return f"{self.series} / {self.per}{scale}"


@dataclass(frozen=True)
class BackFromChange:
    """The year before from a level and its published change:
    ``level(t-1) = level(t) - change(t)`` (a share and its 比上年提高…个百分点)."""

    change: str

    def formula(self, level: str) -> str:
        return f"{level}(t−1) = {level}(t) − {self.change}(t)"


@dataclass(frozen=True)
class Indicator:
    """One key indicator of the plan, as its annex defines it."""

    id: int
    key: str
    category: Category
    name_zh: str
    name_en: str
    unit: str
    unit_en: str
    baseline_year: int
    baseline_value: float | None
    target_year: int
    target_value: float | None
    target_text: str
    target_kind: TargetKind
    comparator: Comparator | None
    direction: Direction
    price_basis: PriceBasis
    deflate_as: DeflateAs
    series: str
    deflator: Deflator | None = None
    derive: Derivation | None = None
    proxies: tuple[str, ...] = ()
    # A proxy computed from published parts where it is not published itself
    # (规上工业 profit / revenue for the manufacturing margin), as (proxy key, derivation).
    proxy_derive: tuple[tuple[str, Derivation], ...] = ()
    # Proxies that bound the indicator rather than stand in for it, as (proxy key, side).
    proxy_bounds: tuple[tuple[str, BoundSide], ...] = ()
    calibration: Calibration = "domain"
    note_en: str = ""
    declared_bounds: tuple[float, float] | None = None  # the file's `bounds`, where a default does not fit
    provinces: tuple[ProvinceSeries, ...] = ()
    short_zh: str = ""
    short_en: str = ""
    back_from_change: BackFromChange | None = None
    # What a reader sees where the annex's wording contradicts its own base (indicator 7).
    label_zh: str = ""
    label_en: str = ""
    note_zh: str = ""

    @property
    def display_zh(self) -> str:
        return self.label_zh or self.name_zh

    @property
    def display_en(self) -> str:
        return self.label_en or self.name_en

    @property
    def sign(self) -> int:
        """+1 where higher is better, -1 where lower is better."""
        return 1 if self.direction == "higher" else -1

    @property
    def is_quantitative(self) -> bool:
        return self.target_kind != "qualitative"

    @property
    def bounds(self) -> tuple[float, float] | None:
        """Natural bounds of the value: a share in per cent lies in [0, 100], unless the
        definitions give other ``bounds`` (a profit margin turns negative in a loss year)."""
        if self.declared_bounds is not None:
            return self.declared_bounds
        if self.unit == "%" and self.target_kind in ("level", "ceiling"):
            return (0.0, 100.0)
        return None

    def meets(self, value: float) -> bool:
        """Whether ``value`` satisfies the target (a minimum, or a strict ceiling)."""
        if self.target_value is None or self.comparator is None:
            raise ValueError(f"indicator {self.id} ({self.key}) has no numeric target")
        if self.comparator == ">=":
            return value >= self.target_value
        return value < self.target_value

    def bound_side(self, series: str) -> str | None:
        """"upper" or "lower" where ``series`` is a proxy that bounds the indicator, else None."""
        return dict(self.proxy_bounds).get(series)

    def label(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def short(self, lang: str = "zh") -> str:
        """The name in a small chart (the full name where no short one is declared)."""
        return (self.short_zh or self.name_zh) if lang == "zh" else (self.short_en or self.name_en)


@dataclass(frozen=True)
class Plan:
    title_zh: str
    title_en: str
    document: str
    issued: str
    source_id: str
    base_year: int
    target_year: int
    price_note_zh: str
    price_note_en: str
    indicators: tuple[Indicator, ...] = field(default_factory=tuple)
    path: str = ""
    peers: tuple[str, ...] = ()

    def get(self, ref: int | str) -> Indicator:
        """Look an indicator up by id (1..16, also "6") or by key."""
        for ind in self.indicators:
            if ref == ind.id or ref == ind.key or (isinstance(ref, str) and ref.strip() == str(ind.id)):
                return ind
        valid = ", ".join(f"{i.id}={i.key}" for i in self.indicators)
        raise KeyError(f"unknown indicator {ref!r}; valid: {valid}")

    def table(self) -> pd.DataFrame:
        """One row per indicator, indexed by id."""
        rows = [
            {
                "id": i.id,
                "key": i.key,
                "category": i.category.zh,
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "unit": i.unit,
                "baseline_year": i.baseline_year,
                "baseline": i.baseline_value,
                "target": i.target_value,
                "target_text": i.target_text,
                "target_kind": i.target_kind,
                "direction": i.direction,
                "price_basis": i.price_basis,
                "deflator": i.deflator,
            }
            for i in self.indicators
        ]
        return pd.DataFrame(rows).set_index("id")


# --- Loading and validation ---------------------------------------------------------

_REQUIRED = (
    "id", "key", "category", "name_zh", "name_en", "unit", "unit_en", "baseline",
    "target", "target_kind", "comparator", "direction", "price_basis", "deflate_as", "series",
)
_OPTIONAL = ("deflator", "derive", "proxies", "proxy_derive", "proxy_bounds", "calibration", "note_en", "bounds", "provinces", "short", "back_from_change",
             "label_zh", "label_en", "note_zh")
_PROVINCE_FIELDS = {"series", "role", "per", "scale", "unit", "label_zh", "label_en"}
_CHOICES = {
    "target_kind": get_args(TargetKind),
    "comparator": get_args(Comparator),
    "direction": get_args(Direction),
    "price_basis": get_args(PriceBasis),
    "deflator": get_args(Deflator),
    "deflate_as": get_args(DeflateAs),
    "role": get_args(Role),
    "calibration": get_args(Calibration),
}


def _fail(path: Path, where: str, msg: str) -> DefinitionError:
    return DefinitionError(f"{path}: {where}: {msg}")


def _number(value: Any, path: Path, where: str, name: str, allow_none: bool) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(path, where, f"field '{name}' must be a number, got {value!r}")
    return float(value)


def _year(value: Any, path: Path, where: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1990 <= value <= 2100:
        raise _fail(path, where, f"field '{name}' must be a year (integer 1990-2100), got {value!r}")
    return value


def _choice(raw: dict, name: str, path: Path, where: str, allow_none: bool = False) -> Any:
    value = raw.get(name)
    if value is None and allow_none:
        return None
    if value not in _CHOICES[name]:
        raise _fail(path, where, f"field '{name}' must be one of {list(_CHOICES[name])}, got {value!r}")
    return value


def _parse_derivation(value: Any, path: Path, where: str, name: str) -> Derivation | None:
    """``{numerator, denominator, scale}`` with series keys as text, or None where absent."""
    if value is None:
        return None
    if (not isinstance(value, dict) or not {"numerator", "denominator"} <= set(value) <= {"numerator", "denominator", "scale"}
            or not all(isinstance(value[k], str) and value[k] for k in ("numerator", "denominator"))):
        raise _fail(path, where, f"field '{name}' must be {{numerator, denominator, scale}} with series keys as text")
    scale = _number(value.get("scale", 1), path, where, f"{name}.scale", allow_none=False)
    if scale == 0:
        raise _fail(path, where, f"field '{name}.scale' must not be 0")
    return Derivation(value["numerator"], value["denominator"], scale)


def _parse_proxy_bounds(value: Any, proxies: list, kind: str, path: Path, where: str) -> tuple[tuple[str, str], ...]:
    """``{proxy key: upper | lower}`` for proxies listed in ``proxies``; a bound can settle a
    minimum or a ceiling, not an average growth rate."""
    if value is None:
        return ()
    sides = get_args(BoundSide)
    if not isinstance(value, dict) or not set(value) <= set(proxies) or not all(v in sides for v in value.values()):
        raise _fail(path, where, f"field 'proxy_bounds' must map series keys listed in 'proxies' to one of {list(sides)}, "
                                 f"got {value!r}")
    if kind not in ("level", "ceiling"):
        raise _fail(path, where, f"field 'proxy_bounds' needs a level or ceiling target, not {kind!r}")
    return tuple(value.items())


def _parse_indicator(raw: Any, categories: dict[str, Category], path: Path, pos: int) -> Indicator:
    where = f"indicator #{pos + 1}"
    if not isinstance(raw, dict):
        raise _fail(path, where, "must be a mapping of fields")
    if "id" in raw:
        where = f"indicator {raw['id']} ({raw.get('key', '?')})"
    missing = [name for name in _REQUIRED if name not in raw]
    if missing:
        raise _fail(path, where, f"missing field(s): {', '.join(missing)}")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise _fail(path, where, f"unknown field(s): {', '.join(unknown)}")
    if isinstance(raw["id"], bool) or not isinstance(raw["id"], int) or raw["id"] < 1:
        raise _fail(path, where, f"field 'id' must be a positive integer, got {raw['id']!r}")
    for name in ("key", "name_zh", "name_en", "unit", "unit_en", "series"):
        if not isinstance(raw[name], str) or not raw[name].strip():
            raise _fail(path, where, f"field '{name}' must be a non-empty string")
    if not raw["key"].isidentifier() or raw["key"] != raw["key"].lower():
        raise _fail(path, where, f"field 'key' must be snake_case, got {raw['key']!r}")
    if not isinstance(raw["category"], str) or raw["category"] not in categories:
        raise _fail(path, where, f"field 'category' must be one of {sorted(categories)}, got {raw['category']!r}")

    base, target = raw["baseline"], raw["target"]
    if not isinstance(base, dict) or set(base) != {"year", "value"}:
        raise _fail(path, where, "field 'baseline' must be {year, value}")
    if not isinstance(target, dict) or set(target) != {"year", "value", "text"}:
        raise _fail(path, where, "field 'target' must be {year, value, text}")
    kind = _choice(raw, "target_kind", path, where)
    qualitative = kind == "qualitative"
    comparator = _choice(raw, "comparator", path, where, allow_none=qualitative)
    if qualitative and comparator is not None:
        raise _fail(path, where, "field 'comparator' must be null for a qualitative target")
    target_value = _number(target["value"], path, where, "target.value", allow_none=qualitative)
    if qualitative and target_value is not None:
        raise _fail(path, where, "field 'target.value' must be null for a qualitative target")
    if kind == "ceiling" and comparator != "<":
        raise _fail(path, where, "a ceiling target needs comparator '<'")
    direction = _choice(raw, "direction", path, where)
    if comparator == "<" and direction != "lower":
        raise _fail(path, where, "a '<' target needs direction 'lower'")

    price_basis = _choice(raw, "price_basis", path, where)
    deflate_as = _choice(raw, "deflate_as", path, where)
    deflator = _choice(raw, "deflator", path, where, allow_none=True)
    if price_basis == "constant_2019" and deflate_as != "none" and deflator is None:
        raise _fail(path, where, "field 'deflator' is required where price_basis is constant_2019")
    if price_basis != "constant_2019" and (deflator is not None or deflate_as != "none"):
        raise _fail(path, where, "only a constant_2019 indicator takes a deflator")

    derive = _parse_derivation(raw.get("derive"), path, where, "derive")
    back = raw.get("back_from_change")
    if back is not None:
        if not isinstance(back, dict) or set(back) != {"change"} or not isinstance(back["change"], str):
            raise _fail(path, where, "field 'back_from_change' must be {change: <series key>}")
        back = BackFromChange(back["change"])
    proxies = raw.get("proxies") or []
    if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
        raise _fail(path, where, "field 'proxies' must be a list of series keys")
    proxy_derive = raw.get("proxy_derive") or {}
    if not isinstance(proxy_derive, dict) or not set(proxy_derive) <= set(proxies):
        raise _fail(path, where, "field 'proxy_derive' must map series keys listed in 'proxies' to "
                                 "{numerator, denominator, scale}")
    proxy_derive = tuple((key, _parse_derivation(d, path, where, f"proxy_derive.{key}")) for key, d in proxy_derive.items())
    proxy_bounds = _parse_proxy_bounds(raw.get("proxy_bounds"), proxies, kind, path, where)

    bounds = raw.get("bounds")
    if bounds is not None:
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise _fail(path, where, f"field 'bounds' must be [low, high], got {bounds!r}")
        bounds = tuple(_number(b, path, where, "bounds", allow_none=False) for b in bounds)
        if not bounds[0] < bounds[1]:
            raise _fail(path, where, f"field 'bounds' must be [low, high] with low < high, got {list(bounds)}")
    baseline_year = _year(base["year"], path, where, "baseline.year")
    target_year = _year(target["year"], path, where, "target.year")
    if target_year <= baseline_year:
        raise _fail(path, where, f"field 'target.year' ({target_year}) must be after baseline.year ({baseline_year})")
    return Indicator(
        id=raw["id"],
        key=raw["key"],
        category=categories[raw["category"]],
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        unit=raw["unit"],
        unit_en=raw["unit_en"],
        baseline_year=baseline_year,
        baseline_value=_number(base["value"], path, where, "baseline.value", allow_none=True),
        target_year=target_year,
        target_value=target_value,
        target_text=str(target["text"]),
        target_kind=kind,
        comparator=comparator,
        direction=direction,
        price_basis=price_basis,
        deflate_as=deflate_as,
        series=raw["series"],
        deflator=deflator,
        derive=derive,
        proxies=tuple(proxies),
        proxy_derive=proxy_derive,
        proxy_bounds=proxy_bounds,
        calibration=_choice(raw, "calibration", path, where, allow_none=True) or "domain",
        note_en=str(raw.get("note_en", "")).strip(),
        declared_bounds=bounds,
        provinces=_parse_provinces(raw.get("provinces"), raw["series"], derive, path, where),
        **_parse_short(raw.get("short"), path, where),
        back_from_change=back,
        label_zh=str(raw.get("label_zh", "")).strip(),
        label_en=str(raw.get("label_en", "")).strip(),
        # YAML folds lines with a space; Chinese text takes none
        note_zh=re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", str(raw.get("note_zh", "")).strip()),
    )


def _parse_provinces(raw: Any, series: str, derive: Derivation | None, path: Path, where: str) -> tuple[ProvinceSeries, ...]:
    """The ``provinces`` list of an indicator: the series it is compared on across provinces."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(path, where, "field 'provinces' must be a list of {series, role, per, scale, unit}")
    out = []
    for n, entry in enumerate(raw, start=1):
        at = f"{where}: provinces[{n}]"
        if not isinstance(entry, dict) or not {"series", "role"} <= set(entry):
            raise _fail(path, at, "needs at least 'series' and 'role'")
        unknown = sorted(set(entry) - _PROVINCE_FIELDS)
        if unknown:
            raise _fail(path, at, f"unknown field(s): {', '.join(unknown)}")
        for name in ("series", "per", "unit", "label_zh", "label_en"):
            value = entry.get(name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise _fail(path, at, f"field '{name}' must be a non-empty string")
        role = _choice(entry, "role", path, at)
        scale = _number(entry.get("scale", 1), path, at, "scale", allow_none=False)
        if scale <= 0:
            raise _fail(path, at, f"field 'scale' must be positive, got {scale:g}")
        per = entry.get("per")
        if per is not None and entry.get("unit") is None:
            raise _fail(path, at, "a ratio (field 'per') needs its 'unit'")
        if per is None and "scale" in entry:
            raise _fail(path, at, "field 'scale' applies to a ratio only (give 'per')")
        # Only the indicator's own series, or its own derivation, may be called the indicator.
        own = (entry["series"] == series and per is None) or (
            derive is not None and (entry["series"], per, scale) == (derive.numerator, derive.denominator, derive.scale))
        if role == "indicator" and not own:
            raise _fail(path, at, f"role 'indicator' is only for the indicator's own series {series!r} "
                                  "(or its derivation); call this one proxy or context")
        out.append(ProvinceSeries(entry["series"], role, per, scale, entry.get("unit"),
                                  entry.get("label_zh", ""), entry.get("label_en", "")))
    keys = [p.key for p in out]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise _fail(path, where, f"field 'provinces' lists {dupes} more than once")
    return tuple(out)


def _parse_short(raw: Any, path: Path, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or set(raw) != {"zh", "en"} or not all(isinstance(v, str) and v.strip() for v in raw.values()):
        raise _fail(path, where, "field 'short' must be {zh, en}, two non-empty names")
    return {"short_zh": raw["zh"].strip(), "short_en": raw["en"].strip()}


def _parse_peers(raw: Any, path: Path) -> tuple[str, ...]:
    """The peer group: provinces (short names, as in the data's ``region`` column) read beside Zhejiang."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw):
        raise _fail(path, "peers", f"must be a list of province names, got {raw!r}")
    dupes = sorted({p for p in raw if raw.count(p) > 1})
    if dupes:
        raise _fail(path, "peers", f"lists {dupes} more than once")
    return tuple(p.strip() for p in raw)


def load_definitions(path: str | Path = DEFAULT_DEFINITIONS) -> Plan:
    """Read and validate a definitions file.

    Parameters
    ----------
    path : str or Path
        A YAML file with ``plan``, ``categories`` and ``indicators`` sections (and
        optionally ``peers``), in the form of ``zjplan/indicators.yml``.

    Returns
    -------
    Plan
        Frozen; ``plan.indicators`` is ordered by id.

    Raises
    ------
    DefinitionError
        Naming the file, the indicator and the field that is missing or wrong.
    """
    path = Path(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except FileNotFoundError:
        raise DefinitionError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"{path}: cannot be read as UTF-8 text ({type(exc).__name__})") from None
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not {"plan", "categories", "indicators"} <= set(doc):
        raise DefinitionError(f"{path}: needs top-level sections plan, categories, indicators")
    for section, kind in (("plan", dict), ("categories", dict), ("indicators", list)):
        if not isinstance(doc[section], kind):
            what = "a mapping" if kind is dict else "a list"
            raise _fail(path, section, f"section must be {what}, got {'null' if doc[section] is None else type(doc[section]).__name__}")

    categories = {}
    for key, names in doc["categories"].items():
        if (not isinstance(key, str) or not isinstance(names, dict) or not {"zh", "en"} <= set(names)
                or not all(isinstance(names[n], str) for n in ("zh", "en"))):
            raise _fail(path, f"category {key}", "needs zh and en names (text)")
        categories[key] = Category(key, names["zh"], names["en"])

    indicators = [_parse_indicator(raw, categories, path, i) for i, raw in enumerate(doc["indicators"])]
    if not indicators:
        raise DefinitionError(f"{path}: no indicators")
    for attr in ("id", "key"):
        seen = [getattr(i, attr) for i in indicators]
        dupes = sorted({v for v in seen if seen.count(v) > 1}, key=str)
        if dupes:
            raise DefinitionError(f"{path}: duplicate indicator {attr}(s): {dupes}")

    meta = doc["plan"]
    plan_fields = [f.name for f in fields(Plan) if f.name not in ("indicators", "path", "peers")]
    missing = [name for name in plan_fields if name not in meta]
    if missing:
        raise _fail(path, "plan", f"missing field(s): {', '.join(missing)}")
    values = {name: meta[name] for name in plan_fields}
    values["issued"] = str(values["issued"])
    for name in ("title_zh", "title_en", "document", "source_id", "price_note_zh", "price_note_en"):
        if not isinstance(values[name], str):
            raise _fail(path, "plan", f"field '{name}' must be text, got {values[name]!r}")
    for name in ("base_year", "target_year"):
        values[name] = _year(values[name], path, "plan", name)
    if values["target_year"] <= values["base_year"]:
        raise _fail(path, "plan", f"field 'target_year' ({values['target_year']}) must be after base_year ({values['base_year']})")
    return Plan(**values, indicators=tuple(sorted(indicators, key=lambda i: i.id)), path=str(path),
                peers=_parse_peers(doc.get("peers"), path))


@lru_cache(maxsize=8)
def _cached(path: str) -> Plan:
    return load_definitions(path)


def plan(path: str | Path | None = None) -> Plan:
    """The plan (default: the shipped 2020 plan), loaded once per path."""
    return _cached(str(Path(path or DEFAULT_DEFINITIONS).resolve()))


def indicators(path: str | Path | None = None) -> pd.DataFrame:
    """The indicator table: one row per indicator, indexed by id."""
    return plan(path).table()


def indicator(ref: int | str, path: str | Path | None = None) -> Indicator:
    """One indicator by id or key; an unknown ref raises ``KeyError`` listing the valid ones."""
    return plan(path).get(ref)
