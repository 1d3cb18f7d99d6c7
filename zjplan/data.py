"""Published figures: load and validate ``data/raw``, build the indicator panel, write ``data/processed``.

Load
    ``data/raw/sources.csv`` (one row a source), ``data/raw/series.meta.yml`` (what each
    series holds, in which unit) and every other ``data/raw/*.csv`` (one row a published
    figure). Any bad cell stops the load with an error naming the file, line and column.
Process
    Per series and year, the figure used is the latest final one (a census revision over
    the first final figure, a final figure over a preliminary one); the others stay in raw.
    Per indicator, the panel takes the plan's own base value, the indicator as published,
    else a value derived from published parts, else a labelled proxy; and brings
    current-price figures to constant 2019 prices where the target asks for it.
Save
    ``data/processed/panel.csv`` and ``coverage.csv``, written to temporary names and
    moved into place, so that a failed build leaves nothing half-written.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import prices
from .definitions import SAFE_LOADER, DefinitionError, Derivation, Indicator, Plan, plan as default_plan

ROOT = Path(__file__).resolve().parents[1]
RAW_DIR = ROOT / "data" / "raw"
PROCESSED_DIR = ROOT / "data" / "processed"

FIGURE_COLUMNS = ("series", "year", "value", "unit", "basis", "status", "source_id", "quote", "note")
# Columns a figures file may add: the region (default Zhejiang) and an industry division
# (GB/T 4754-2017, see SECTIONS); any other column is refused.
FIGURE_OPTIONAL_COLUMNS = ("region", "industry")
SOURCE_COLUMNS = ("source_id", "title", "publisher", "url", "published", "accessed", "note")
BASES = ("current", "constant_2019", "comparable_growth", "ratio", "count", "pct_change", "unknown")
STATUSES = ("preliminary", "final", "revised")
STATUS_RANK = {"preliminary": 0, "final": 1, "revised": 2}
YEAR_RANGE = (1990, 2030)
# Units a figure may be printed in, and the factor to the series' own unit.
UNIT_FACTORS = {
    "亿元": {"亿元": 1.0, "万亿元": 10000.0, "十亿元": 10.0},
    "万元": {"万元": 1.0, "亿元": 10000.0},
}
DEFLATORS = ("ppi", "gdp_deflator")
# Figures are Zhejiang's unless a file has a `region` column (e.g. the province table
# that indicator 12 is compared against).
HOME_REGION = "浙江"
NATIONAL = "全国"
# An optional `industry` column holds a division of GB/T 4754-2017 with its section letter
# ("C13 农副食品加工业"); empty means the whole of the series (e.g. a yearbook table's 总计).
SECTIONS = {"B": range(6, 13), "C": range(13, 44), "D": range(44, 47)}  # mining, manufacturing, utilities
# Manufacturing totals derived as the sum of a table's division rows.
DIVISION_SUMS = {"above_scale_industry_revenue": "above_scale_mfg_revenue",
                 "above_scale_industry_profit": "above_scale_mfg_profit"}
# The 31 provincial regions: the short name the data's `region` column holds, the full
# name the statistics portal and the bulletins print, and the English name. One table for
# every module that names a province.
PROVINCES = (
    ("北京", "北京市", "Beijing"), ("天津", "天津市", "Tianjin"), ("河北", "河北省", "Hebei"),
    ("山西", "山西省", "Shanxi"), ("内蒙古", "内蒙古自治区", "Inner Mongolia"), ("辽宁", "辽宁省", "Liaoning"),
    ("吉林", "吉林省", "Jilin"), ("黑龙江", "黑龙江省", "Heilongjiang"), ("上海", "上海市", "Shanghai"),
    ("江苏", "江苏省", "Jiangsu"), ("浙江", "浙江省", "Zhejiang"), ("安徽", "安徽省", "Anhui"),
    ("福建", "福建省", "Fujian"), ("江西", "江西省", "Jiangxi"), ("山东", "山东省", "Shandong"),
    ("河南", "河南省", "Henan"), ("湖北", "湖北省", "Hubei"), ("湖南", "湖南省", "Hunan"),
    ("广东", "广东省", "Guangdong"), ("广西", "广西壮族自治区", "Guangxi"), ("海南", "海南省", "Hainan"),
    ("重庆", "重庆市", "Chongqing"), ("四川", "四川省", "Sichuan"), ("贵州", "贵州省", "Guizhou"),
    ("云南", "云南省", "Yunnan"), ("西藏", "西藏自治区", "Tibet"), ("陕西", "陕西省", "Shaanxi"),
    ("甘肃", "甘肃省", "Gansu"), ("青海", "青海省", "Qinghai"), ("宁夏", "宁夏回族自治区", "Ningxia"),
    ("新疆", "新疆维吾尔自治区", "Xinjiang"),
)
REGION_BY_FULL_NAME = {full: short for short, full, _ in PROVINCES}
REGION_EN = {short: en for short, _, en in PROVINCES}
# The provinces and the nation: a typo (浙江省) would otherwise be counted as a 32nd province.
REGIONS = (*REGION_EN, NATIONAL)
# Bases whose value is a change in per cent: a fall of 100 % or more cannot be.
CHANGE_BASES = ("pct_change", "comparable_growth")


class DataError(ValueError):
    """Bad input in data/raw; the message names the file, line and column."""


@dataclass(frozen=True)
class SeriesMeta:
    key: str
    unit: str
    name_zh: str
    name_en: str
    note: str = ""


# --- Load --------------------------------------------------------------------------------

def raw_dir(path: str | Path | None = None) -> Path:
    """The raw-data folder: the argument, else $ZJPLAN_DATA_DIR, else the shipped data/raw."""
    return Path(path or os.environ.get("ZJPLAN_DATA_DIR") or RAW_DIR)


def read_text(path: Path) -> str:
    """File text, whether saved as UTF-8, UTF-8 with BOM (Excel) or GBK/GB18030.

    A file that is UTF-8 except for some rows (one row pasted from a GBK file) is refused
    with the first such line, rather than read as GBK and turned into nonsense.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not data.strip():
        raise DataError(f"{path}: file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines = data.splitlines()
    utf8 = [_decodes(line, "utf-8") for line in lines]
    if any(ok and not line.isascii() for ok, line in zip(utf8, lines)):
        bad = utf8.index(False) + 1
        raise DataError(f"{path}:{bad}: this line is not UTF-8, though the rest of the file is "
                        "(a row pasted from a GBK file?); save the file as UTF-8")
    try:
        # Excel on Chinese Windows saves "CSV" as GBK; GB18030 is its superset.
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = len(data[: exc.start + 1].splitlines())
        raise DataError(f"{path}:{line}: neither UTF-8 nor GBK/GB18030; save the file as UTF-8") from None


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _one_newline(text: str, path: Path) -> str:
    """LF line ends: CRLF (Windows) and CR-only (old Mac) files are read; a stray CR in a line is refused."""
    text = text.replace("\r\n", "\n")
    if "\r" not in text:
        return text
    if "\n" not in text.rstrip("\r"):
        return text.replace("\r", "\n")
    line = text[: text.index("\r")].count("\n") + 1
    raise DataError(f"{path}:{line}: a stray carriage return (CR) inside the line; remove it")


def read_rows(path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a CSV file with ``columns`` and, where present, ``optional`` ones.

    Any other column is refused (a misspelt header would otherwise be ignored), and so is
    a row with more cells than the header.
    """
    reader = csv.reader(io.StringIO(_one_newline(read_text(path), path)))
    try:
        header = [c.strip() for c in next(reader, [])]
        _check_header(path, header, columns, optional)
        rows = []
        for cells in reader:
            line = reader.line_num
            if len(cells) > len(header):
                raise DataError(f"{path}:{line}: {len(cells)} cells, but the header has {len(header)} columns")
            if not any(c.strip() for c in cells):
                continue
            cells = [c.strip() for c in cells] + [""] * (len(header) - len(cells))
            rows.append((line, dict(zip(header, cells))))
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: not readable as CSV ({exc})") from None
    if not rows:
        raise DataError(f"{path}: no data rows")
    return rows


def _check_header(path: Path, header: list[str], columns: tuple[str, ...], optional: tuple[str, ...]) -> None:
    known = (*columns, *optional)
    for name in header:
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1, cutoff=0.6) or difflib.get_close_matches(name.lower(), known, n=1)
            raise DataError(f"{path}:1: unknown column {name or '(empty)'}"
                            + (f" (did you mean {hint[0]}?)" if hint else "") + f"; known columns: {', '.join(known)}")
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise DataError(f"{path}:1: column(s) named twice: {', '.join(dupes)}")
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataError(f"{path}:1: missing column(s): {', '.join(missing)} (header: {', '.join(header)})")


def _cell_error(path: Path, line: int, column: str, msg: str) -> DataError:
    return DataError(f"{path}:{line}: column '{column}': {msg}")


def parse_number(text: str, path: Path, line: int, column: str) -> float:
    """A plain decimal number in ASCII digits, as the data README asks.

    '约5', '12.3%', '1,234', full-width or Arabic-Indic digits and ``e`` notation are
    refused, not guessed; so is a number too large to be finite.
    """
    if not re.fullmatch(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", text):
        raise _cell_error(path, line, column,
                          f"not a number: {text!r} (write plain ASCII digits, a point and a sign only: no unit, %, 约, "
                          "thousands separator or e notation)")
    value = float(text)
    if not math.isfinite(value):
        raise _cell_error(path, line, column, f"number too large: {text[:20]}...")
    return value


def parse_year(text: str, path: Path, line: int) -> int:
    lo, hi = YEAR_RANGE
    if not re.fullmatch(r"[0-9]{4}", text) or not lo <= int(text) <= hi:
        raise _cell_error(path, line, "year", f"must be an integer year in {lo}-{hi}, got {text!r}")
    return int(text)


def load_sources(folder: Path) -> pd.DataFrame:
    path = folder / "sources.csv"
    seen: dict[str, int] = {}
    records = []
    for line, row in read_rows(path, SOURCE_COLUMNS):
        sid = row["source_id"]
        if not re.fullmatch(r"[a-z0-9_]+", sid):
            raise _cell_error(path, line, "source_id", f"must be lower-case letters, digits and _, got {sid!r}")
        if sid in seen:
            raise _cell_error(path, line, "source_id", f"{sid!r} already defined on line {seen[sid]}")
        seen[sid] = line
        for column in ("title", "publisher", "published"):
            if not row[column]:
                raise _cell_error(path, line, column, "is empty")
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", row["published"]):
            raise _cell_error(path, line, "published", f"must be YYYY-MM-DD (or YYYY-MM), got {row['published']!r}")
        records.append({c: row[c] for c in SOURCE_COLUMNS})
    return pd.DataFrame(records).set_index("source_id")


def read_yaml(path: Path, what: str) -> dict:
    """A YAML file that must hold a mapping; ``what`` names it in the errors."""
    if not path.exists():
        raise DataError(f"{path}: file not found ({what})")
    try:
        doc = yaml.load(read_text(path), Loader=SAFE_LOADER) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise DataError(f"{path}: must be a mapping ({what}), got a {type(doc).__name__}")
    return doc


def load_series_meta(folder: Path) -> dict[str, SeriesMeta]:
    path = folder / "series.meta.yml"
    doc = read_yaml(path, "what each series holds")
    if not isinstance(doc.get("series") or {}, dict):
        raise DataError(f"{path}: must be a mapping with a 'series' mapping (key: {{unit, name_zh, name_en}})")
    out = {}
    for key, meta in (doc.get("series") or {}).items():
        if not isinstance(key, str) or not re.fullmatch(r"[a-z0-9_]+", key):
            raise DataError(f"{path}: series {key!r}: a key is lower-case letters, digits and _")
        if not isinstance(meta, dict) or not {"unit", "name_zh", "name_en"} <= set(meta):
            raise DataError(f"{path}: series {key}: needs unit, name_zh and name_en")
        for name in ("unit", "name_zh", "name_en"):
            if not isinstance(meta[name], str) or not meta[name].strip():
                raise DataError(f"{path}: series {key}: field '{name}' must be a non-empty text")
        note = meta.get("note")
        out[key] = SeriesMeta(key, meta["unit"], meta["name_zh"], meta["name_en"], "" if note is None else str(note).strip())
    if not out:
        raise DataError(f"{path}: no series declared")
    return out


def _figure_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.glob("*.csv") if p.name != "sources.csv")
    if not files:
        raise DataError(f"{folder}: no figure files (*.csv besides sources.csv)")
    return files


def _parse_industry(text: str, path: Path, line: int) -> str:
    """Empty, or a division of mining (B06-B12), manufacturing (C13-C43) or utilities (D44-D46) and its name."""
    match = re.fullmatch(r"([A-Z])(\d{2}) \S.*", text)
    if text and not (match and int(match.group(2)) in SECTIONS.get(match.group(1), ())):
        raise _cell_error(path, line, "industry",
                          f"must be empty or a division B06-B12, C13-C43 or D44-D46 with its name, "
                          f"e.g. 'C13 农副食品加工业'; got {text!r}")
    return text


def _parse_figure(path, line, row, meta, sources) -> dict:
    key = row["series"]
    if key not in meta:
        raise _cell_error(path, line, "series", f"unknown series {key!r}; declare it in series.meta.yml")
    series = meta[key]
    year = parse_year(row["year"], path, line)
    value = parse_number(row["value"], path, line, "value")
    factors = UNIT_FACTORS.get(series.unit, {series.unit: 1.0})
    if row["unit"] not in factors:
        raise _cell_error(
            path, line, "unit", f"{row['unit']!r} contradicts series {key!r}, whose unit is {series.unit!r}"
        )
    for column, allowed in (("basis", BASES), ("status", STATUSES)):
        if row[column] not in allowed:
            raise _cell_error(path, line, column, f"must be one of {', '.join(allowed)}, got {row[column]!r}")
    if row["basis"] in CHANGE_BASES and value <= -100:
        raise _cell_error(path, line, "value", f"a change of {value:g}% is impossible (a fall is above -100%)")
    if row["source_id"] not in sources.index:
        raise _cell_error(path, line, "source_id", f"unknown source {row['source_id']!r}; add it to sources.csv")
    region = row.get("region") or HOME_REGION
    if region not in REGIONS:
        raise _cell_error(path, line, "region", f"unknown region {region!r}; known: {', '.join(REGIONS)} (short names)")
    return {
        "series": key,
        "region": region,
        "industry": _parse_industry(row.get("industry", ""), path, line),
        "year": year,
        "value": value * factors[row["unit"]],
        "unit": series.unit,
        "value_as_published": value,
        "unit_as_published": row["unit"],
        "basis": row["basis"],
        "status": row["status"],
        "source_id": row["source_id"],
        "published": sources.loc[row["source_id"], "published"],
        "quote": row["quote"],
        "note": row["note"],
        "file": path.name,
        "line": line,
        "derived": False,
    }


def load_figures(folder: Path, meta: dict[str, SeriesMeta], sources: pd.DataFrame) -> pd.DataFrame:
    """Every published figure, validated, with the file and line it came from."""
    records = []
    for path in _figure_files(folder):
        records += [_parse_figure(path, line, row, meta, sources)
                    for line, row in read_rows(path, FIGURE_COLUMNS, FIGURE_OPTIONAL_COLUMNS)]
    figures = pd.DataFrame(records)
    _refuse_conflicts(figures, folder)
    derived = manufacturing_totals(figures, folder)
    return figures if derived.empty else pd.concat([figures, derived], ignore_index=True)


def _refuse_conflicts(figures: pd.DataFrame, folder: Path) -> None:
    """One source cannot print two different values for the same series and year."""
    for (series, region, _, year, source), group in figures.groupby(["series", "region", "industry", "year", "source_id"]):
        if group["value"].nunique() > 1:
            where = " and ".join(f"{folder / f}:{l}" for f, l in zip(group["file"], group["line"]))
            values = ", ".join(f"{v:g}" for v in group["value"])
            raise DataError(f"{where}: column 'value': series {series!r} {year} from source {source!r} has different values ({values})")


def manufacturing_totals(figures: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """规上制造业 revenue and profit derived from a table's division rows, cross-checked.

    Notes
    -----
    With :math:`x_d` the printed value of division :math:`d` and :math:`T` the table's
    total (the row whose ``industry`` is empty, same source, year and series),

    .. math:: M = \\sum_{d=13}^{43} x_d \\quad\\text{and}\\quad
              M' = T - \\sum_{d=6}^{12} x_d - \\sum_{d=44}^{46} x_d .

    Both are the manufacturing total; they differ only by the rounding of the printed
    cells, at most 0.01 per cell summed. A larger gap means a mistyped or missing row
    (or a division printed blank), and stops the load.
    """
    divisions = figures[(figures["industry"] != "") & figures["series"].isin(list(DIVISION_SUMS))]
    rows = []
    for (series, region, year, source), group in divisions.groupby(["series", "region", "year", "source_id"]):
        is_mfg = (group["industry"].str[0] == "C").to_numpy()
        mfg = group[is_mfg]
        total = figures[(figures["series"] == series) & (figures["region"] == region) & (figures["year"] == year)
                        & (figures["source_id"] == source) & (figures["industry"] == "")]
        where = f"{folder / group['file'].iloc[0]}:{int(group['line'].min())}"
        if total.empty or mfg.empty:
            raise DataError(f"{where}: {series} {year} ({source}): division rows need the total row (empty "
                            f"industry) and the manufacturing divisions C13-C43 to derive {DIVISION_SUMS[series]}")
        value = float(mfg["value"].sum())
        check = float(total["value"].iloc[0] - group.loc[~is_mfg, "value"].sum())
        if abs(value - check) > 0.01 * (len(group) + 1):
            raise DataError(
                f"{where}: {series} {year} ({source}): manufacturing divisions sum to {value:.2f} but the total "
                f"minus mining and utilities is {check:.2f}; a division row is mistyped or missing")
        first = mfg.iloc[0]
        rows.append({
            **first.to_dict(), "series": DIVISION_SUMS[series], "industry": "", "value": value,
            "value_as_published": value, "status": min(mfg["status"], key=STATUS_RANK.get),
            "quote": "", "line": int(mfg["line"].min()), "derived": True,
            "note": (f"derived: sum of the {len(mfg)} manufacturing divisions (C13-C43) = {value:.2f}; "
                     f"check: total {float(total['value'].iloc[0]):.2f} minus mining and utilities = {check:.2f}"),
        })
    return pd.DataFrame(rows, columns=figures.columns)


@dataclass(frozen=True, eq=False)  # hashed by identity: the cache key of the panel
class RawData:
    folder: Path
    sources: pd.DataFrame
    meta: dict[str, SeriesMeta]
    figures: pd.DataFrame


def _stamp(folder: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.iterdir()) if p.is_file())


@lru_cache(maxsize=4)
def _load_cached(folder: str, stamp: tuple) -> RawData:
    path = Path(folder)
    sources = load_sources(path)
    meta = load_series_meta(path)
    return RawData(path, sources, meta, load_figures(path, meta, sources))


def load_raw(folder: str | Path | None = None) -> RawData:
    """Validated raw data (cached until a file in the folder changes)."""
    path = raw_dir(folder)
    if not path.is_dir():
        raise DataError(f"{path}: raw-data folder not found")
    return _load_cached(str(path.resolve()), _stamp(path))


# --- Process -----------------------------------------------------------------------------

def select_latest(figures: pd.DataFrame, region: str | None = HOME_REGION) -> pd.DataFrame:
    """One figure per series and year of ``region`` (of every region where None): revised
    over final over preliminary, then the latest published.

    Division rows (non-empty ``industry``) are parts of a table, not the series itself.
    """
    figures = figures[figures["industry"] == ""]
    if region is not None:
        figures = figures[figures["region"] == region]
    ranked = figures.assign(_rank=figures["status"].map(STATUS_RANK))
    ranked = ranked.sort_values(["series", "region", "year", "_rank", "published", "source_id"])
    keys = ["series", "region", "year"]
    return ranked.groupby(keys, as_index=False).tail(1).drop(columns="_rank").reset_index(drop=True)


def _values(selected: pd.DataFrame, series: str) -> pd.Series:
    rows = selected[selected["series"] == series]
    return pd.Series(rows["value"].to_numpy(), index=rows["year"].astype(int).to_numpy(), dtype="float64")


def same_vintage(a: pd.DataFrame, b: pd.DataFrame, revised_first: bool) -> tuple[pd.Series, pd.Series] | None:
    """One figure from ``a`` and one from ``b`` of the same vintage, or None.

    The same source if one printed both; else both revised (after a census) or both
    unrevised, in the order ``revised_first`` gives, each the latest of its kind. A census
    revision restates levels: a revised figure over an unrevised one would read the revision
    as a change (of prices, or of a share).
    """
    common = sorted(set(a["source_id"]) & set(b["source_id"]),
                    key=lambda s: (a.loc[a["source_id"] == s, "published"].max(), s))
    if common:
        return a[a["source_id"] == common[-1]].iloc[-1], b[b["source_id"] == common[-1]].iloc[-1]
    for revised in ((True, False) if revised_first else (False, True)):
        pick = [select_latest(rows[(rows["status"] == "revised") == revised], region=rows["region"].iloc[0])
                for rows in (a, b) if not rows.empty]
        if len(pick) == 2 and all(len(x) for x in pick):
            return pick[0].iloc[0], pick[1].iloc[0]
    return None


def _home(figures: pd.DataFrame, series: str, year: int) -> pd.DataFrame:
    """Zhejiang's figures (all sources, no division rows) for one series and year."""
    return figures[(figures["series"] == series) & (figures["region"] == HOME_REGION)
                   & (figures["industry"] == "") & (figures["year"] == year)]


def _nominal_ratio(figures: pd.DataFrame, series: str, year: int) -> float | None:
    """N_t / N_{t-1} from figures of one vintage (:func:`same_vintage`, unrevised first)."""
    pair = same_vintage(_home(figures, series, year), _home(figures, series, year - 1), revised_first=False)
    return None if pair is None else pair[0]["value"] / pair[1]["value"]


@dataclass(frozen=True)
class DeflatorIndex:
    """A deflator as a level index (base year = 100), and the years it borrows from the nation."""

    name: str
    index: pd.Series
    national_years: tuple[int, ...] = ()

    def describe(self, year: int) -> str:
        if year in self.national_years:
            return f"{self.name}; national PPI for {year}, Zhejiang's not at hand"
        return self.name


def price_index(name: str, raw: RawData, base_year: int = 2019) -> DeflatorIndex:
    """A deflator as a level index, ``base_year`` = 100.

    ``ppi``: Zhejiang's 工业生产者出厂价格 changes chained; a year for which only the
    national change is at hand uses it, and every value deflated with it says so.
    ``gdp_deflator``: GDP at current prices over real growth
    (:func:`zjplan.prices.implied_deflator`, year pairs of one vintage).
    """
    selected = select_latest(raw.figures)
    if name == "ppi":
        home = _values(selected, "ppi")
        national = _values(select_latest(raw.figures, region=NATIONAL), "ppi")
        borrowed = tuple(sorted(int(y) for y in national.index if y not in home.index))
        yoy = prices.yoy_from_change(home.combine_first(national))
        return DeflatorIndex("ppi", prices.chain_index(yoy.loc[_contiguous_run(dict(yoy), base_year)], base_year), borrowed)
    if name == "gdp_deflator":
        growth = _values(selected, "gdp_growth")
        yoy = {}
        for year in growth.index:
            ratio = _nominal_ratio(raw.figures, "gdp", int(year))
            if ratio is not None:
                yoy[int(year)] = 100.0 * ratio / (1 + growth[year] / 100.0)
        run = _contiguous_run(yoy, base_year)
        return DeflatorIndex("gdp_deflator", prices.chain_index(pd.Series(yoy).sort_index().loc[run], base_year))
    raise ValueError(f"unknown deflator {name!r}; valid: {', '.join(DEFLATORS)}")


def _contiguous_run(yoy: dict[int, float], base_year: int) -> list[int]:
    """The consecutive years around the base year that an index can be chained over."""
    years = set(yoy)
    anchor = base_year if base_year in years else base_year + 1
    if anchor not in years:
        raise prices.PriceIndexError(f"no year-on-year value for {base_year} or {base_year + 1}")
    lo = hi = anchor
    while lo - 1 in years:
        lo -= 1
    while hi + 1 in years:
        hi += 1
    return list(range(lo, hi + 1))


PANEL_COLUMNS = (
    "indicator_id", "key", "year", "value", "unit", "value_as_published", "unit_as_published",
    "basis", "derived", "proxy", "bound", "series", "source_ids", "status", "note",
)


def _row(ind: Indicator, year: int, value: float, *, series: str, sources: str, status: str,
         basis: str, derived: bool = False, proxy: bool = False, note: str = "", unit: str | None = None) -> dict:
    return {
        "indicator_id": ind.id, "key": ind.key, "year": int(year), "value": value, "unit": ind.unit,
        "value_as_published": value, "unit_as_published": unit or ind.unit, "basis": basis,
        "derived": derived, "proxy": proxy, "bound": (ind.bound_side(series) or "") if proxy else "",
        "series": series, "source_ids": sources,
        "status": status, "note": note,
    }


def _proxy_label(ind: Indicator, series: str) -> str:
    side = ind.bound_side(series)
    return f"proxy ({side} bound of the indicator): {series}. " if side else f"proxy: {series}. "


def _published_rows(ind: Indicator, selected: pd.DataFrame, series: str, proxy: bool) -> list[dict]:
    rows = selected[selected["series"] == series]
    label = _proxy_label(ind, series) if proxy else ""
    return [
        _row(ind, r.year, r.value, series=series, sources=r.source_id, status=r.status, basis=r.basis,
             proxy=proxy, note=(label + r.note).strip(), unit=r.unit)
        for r in rows.itertuples()
    ]


def _derived_basis(numerator: str, denominator: str) -> str:
    """Price basis of a quotient: prices cancel between two current-price amounts, but a
    count over a current-price amount (patents per revenue) carries the amount's prices."""
    bases = {numerator, denominator}
    if "unknown" in bases:
        return "unknown"
    if bases == {"current"} or "current" not in bases:
        return "ratio"
    return "current"


def _source_ids(*figures) -> str:
    """The sources of a derived value, each once, in the order of its inputs."""
    return ";".join(dict.fromkeys(f["source_id"] for f in figures))


def _derived_rows(ind: Indicator, figures: pd.DataFrame, folder: Path, d: Derivation,
                  series: str | None = None) -> list[dict]:
    """Numerator over denominator per year, both of one vintage (:func:`same_vintage`).

    With ``series`` (a proxy's key) the rows are that proxy, derived, and labelled proxy.
    """
    proxy = series is not None
    years = set(figures.loc[figures["series"] == d.numerator, "year"]) & set(figures.loc[figures["series"] == d.denominator, "year"])
    rows = []
    for year in sorted(years):
        pair = same_vintage(_home(figures, d.numerator, year), _home(figures, d.denominator, year), revised_first=True)
        if pair is None:
            continue
        n, m = pair
        if m["value"] == 0:
            raise DataError(f"{folder / m['file']}:{m['line']}: column 'value': {d.denominator} {year} is 0, so "
                            f"{ind.key} = {d.formula} cannot be derived ({d.numerator} {year} = {n['value']:g}, "
                            f"{folder / n['file']}:{n['line']})")
        value = n["value"] / m["value"] * d.scale
        basis = _derived_basis(n["basis"], m["basis"])
        status = min((n["status"], m["status"]), key=STATUS_RANK.get)
        label = _proxy_label(ind, series) if proxy else ""
        rows.append(_row(
            ind, year, value, series=series or ind.series, sources=_source_ids(n, m),
            status=status, basis=basis, derived=True, proxy=proxy,
            note=f"{label}derived: {d.formula} = {n['value']:.12g} / {m['value']:.12g} × {d.scale:g}",
        ))
    return rows


def previous_from_change(levels: pd.Series, changes: pd.Series) -> pd.Series:
    r"""The level of the year before from a level and its change in the same unit.

    Notes
    -----
    :math:`x_{t-1} = x_t - \Delta x_t`, e.g. a share of 18.2 % that rose by 1.0
    percentage points on the year before gives 17.2 % for that year. Only years with
    both a level and a change give a value; the result is indexed by :math:`t-1`.
    """
    both = levels.index.intersection(changes.index)
    out = pd.Series(levels[both].to_numpy() - changes[both].to_numpy(), index=both - 1, dtype="float64")
    return out.sort_index()


def _back_from_change_rows(ind: Indicator, selected: pd.DataFrame) -> list[dict]:
    """Rows derived by :func:`previous_from_change` from the indicator's own series."""
    d = ind.back_from_change
    level = selected[selected["series"] == ind.series].set_index("year")
    change = selected[selected["series"] == d.change].set_index("year")
    values = previous_from_change(level["value"], change["value"])
    rows = []
    for prev, value in values.items():
        n, c = level.loc[prev + 1], change.loc[prev + 1]
        rows.append(_row(
            ind, prev, float(value), series=ind.series, sources=_source_ids(n, c),
            status=min((n["status"], c["status"]), key=STATUS_RANK.get), basis=n["basis"], derived=True,
            note=f"derived: {d.formula(ind.series)} = {n['value']:g} − {c['value']:g}",
        ))
    return rows


def _baseline_row(ind: Indicator, plan: Plan) -> list[dict]:
    """The base value as the annex prints it: the plan's own yardstick, never re-deflated."""
    if ind.baseline_value is None:
        return []
    basis = "constant_2019" if ind.price_basis == "constant_2019" else ind.price_basis
    return [_row(ind, ind.baseline_year, ind.baseline_value, series=ind.series, sources=plan.source_id,
                 status="final", basis=basis, note="base value printed in the plan's annex")]


def _combine(ind: Indicator, candidates: list[list[dict]]) -> list[dict]:
    """Per year, the first candidate list that has the year wins (own > derived > proxy)."""
    chosen: dict[int, dict] = {}
    for rows in candidates:
        for row in rows:
            chosen.setdefault(row["year"], row)
    return [chosen[y] for y in sorted(chosen)]


def _to_target_basis(ind: Indicator, rows: list[dict], deflator: DeflatorIndex | None, name: str | None,
                     plan_source: str) -> None:
    """Bring current-price rows of a constant-2019 indicator to 2019 prices, in place."""
    if ind.price_basis != "constant_2019":
        return
    for row in rows:
        if ind.deflate_as == "none" and row["source_ids"] != plan_source:
            row["note"] = (row["note"] + " Threshold at current prices (firm-level data would be needed for 2019 prices).").strip()
            continue
        if row["basis"] in ("constant_2019", "comparable_growth") or row["source_ids"] == plan_source:
            continue
        if row["basis"] != "current":
            row["note"] = (row["note"] + f" Price basis not stated by the source ({row['basis']}); not deflated.").strip()
            continue
        year = row["year"]
        if deflator is None or year not in deflator.index.dropna().index:
            row["value"] = math.nan
            row["note"] = (row["note"] + f" Not deflated: no {name} for {year}.").strip()
            continue
        row["value"] = float(prices.to_constant({year: row["value_as_published"]}, deflator.index, kind=ind.deflate_as)[year])
        row["basis"] = f"constant_2019 ({deflator.describe(year)})"


def indicator_panel(ind: Indicator, raw: RawData, plan: Plan, deflator: str | None = None) -> list[dict]:
    """The panel rows of one indicator (all years, no as_of cut)."""
    selected = select_latest(raw.figures)
    candidates = [_baseline_row(ind, plan), _published_rows(ind, selected, ind.series, proxy=False)]
    if ind.derive is not None:
        candidates.append(_derived_rows(ind, raw.figures, raw.folder, ind.derive))
    if ind.back_from_change is not None:
        candidates.append(_back_from_change_rows(ind, selected))
    derived_proxies = dict(ind.proxy_derive)
    for proxy in ind.proxies:
        candidates.append(_published_rows(ind, selected, proxy, proxy=True))
        if proxy in derived_proxies:
            candidates.append(_derived_rows(ind, raw.figures, raw.folder, derived_proxies[proxy], series=proxy))
    rows = _combine(ind, candidates)
    name = deflator or ind.deflator
    index = None
    if ind.price_basis == "constant_2019" and ind.deflate_as != "none":
        try:
            index = price_index(name, raw, plan.base_year)
        except prices.PriceIndexError:
            index = None  # every current-price row then says "Not deflated"
    _to_target_basis(ind, rows, index, name, plan.source_id)
    return rows


def panel(as_of: int | None = None, deflator: str | None = None, raw_folder=None, definitions=None) -> pd.DataFrame:
    """Tidy panel: one row per indicator and year, on the target's price basis.

    Parameters
    ----------
    as_of : int, optional
        Keep only figures for years up to and including ``as_of``.
    deflator : {"ppi", "gdp_deflator"}, optional
        Override the deflator named in the definitions for every constant-2019 indicator.

    Returns
    -------
    pd.DataFrame
        Columns ``indicator_id, key, year, value, unit, value_as_published,
        unit_as_published, basis, derived, proxy, bound, series, source_ids, status, note``;
        ``bound`` is "upper" or "lower" for a proxy that bounds the indicator (never a
        value of it), else empty.
    """
    if deflator is not None and deflator not in DEFLATORS:
        raise ValueError(f"unknown deflator {deflator!r}; valid: {', '.join(DEFLATORS)}")
    out = _full_panel(load_raw(raw_folder), default_plan(definitions), deflator)
    if as_of is not None:
        out = out[out["year"] <= _check_as_of(as_of, out)]
    return out.reset_index(drop=True)


def _check_as_of(as_of, p: pd.DataFrame) -> int:
    """An integer year not before the first data year (an earlier cut would leave nothing)."""
    if isinstance(as_of, bool) or not isinstance(as_of, (int, np.integer)):
        raise ValueError(f"as_of must be an integer year, got {as_of!r}")
    first = int(p.loc[p["value"].notna(), "year"].min())
    if as_of < first:
        raise ValueError(f"as_of {as_of} is before the first data year, {first}")
    return int(as_of)


@lru_cache(maxsize=16)
def _full_panel(raw: RawData, the_plan: Plan, deflator: str | None) -> pd.DataFrame:
    """All years, checked, cached per raw data (which is itself cached until a file changes).

    Every reader of data/raw (the panel, the series, the assessment, the reports, the
    build) comes through here, so each gets the same sanity checks.
    """
    check_plan_series(the_plan, raw)
    rows = [row for ind in the_plan.indicators for row in indicator_panel(ind, raw, the_plan, deflator)]
    out = pd.DataFrame(rows, columns=PANEL_COLUMNS)
    sanity_checks(out, the_plan, raw)
    return out


def check_plan_series(the_plan: Plan, raw: RawData) -> None:
    """Every series a definitions file names (own, derivation parts, proxies) is declared in series.meta.yml."""
    for ind in the_plan.indicators:
        named = [("series", ind.series), *(("proxies", p) for p in ind.proxies)]
        derivations = [("derive", ind.derive)] if ind.derive is not None else []
        derivations += [(f"proxy_derive.{key}", d) for key, d in ind.proxy_derive]
        for field_name, d in derivations:
            named += [(f"{field_name}.numerator", d.numerator), (f"{field_name}.denominator", d.denominator)]
        for field_name, key in named:
            if key not in raw.meta:
                raise DefinitionError(f"{the_plan.path or 'definitions'}: indicator {ind.id} ({ind.key}): field "
                                      f"'{field_name}': series {key!r} is not declared in {raw.folder / 'series.meta.yml'}")


def series(ref, as_of: int | None = None, deflator: str | None = None, raw_folder=None, definitions=None) -> pd.Series:
    """One indicator's values by int year, on its target's price basis (gaps stay gaps).

    A proxy that only bounds the indicator (panel column ``bound``) is not a value of it
    and is left out: trends, forecasts and progress rest on the values alone.
    """
    ind = default_plan(definitions).get(ref)
    p = panel(as_of=as_of, deflator=deflator, raw_folder=raw_folder, definitions=definitions)
    rows = p[(p["indicator_id"] == ind.id) & p["value"].notna() & (p["bound"] == "")]
    s = pd.Series(rows["value"].to_numpy(dtype=float), index=pd.Index(rows["year"].astype(int), name="year"), name=ind.key)
    return s


def coverage(p: pd.DataFrame, years: range | None = None) -> pd.DataFrame:
    """Indicator × year: P published, D derived, X proxy, B bound, blank where missing."""
    years = years or range(2015, int(max(p["year"].max(), 2025)) + 1)
    codes = np.where(p["bound"] != "", "B", np.where(p["proxy"], "X", np.where(p["derived"], "D", "P")))
    marks = p.assign(code=codes).pivot_table(index="indicator_id", columns="year", values="code", aggfunc="first")
    table = marks.reindex(index=sorted(set(p["indicator_id"])), columns=list(years)).astype(object).fillna("")
    table.index.name = "id"
    table.columns = [str(c) for c in table.columns]
    return table


# --- Sanity checks and save -------------------------------------------------------------

def sanity_checks(p: pd.DataFrame, the_plan: Plan, raw: RawData | None = None) -> None:
    """Fail loudly on a panel that cannot be right, naming the figure's file and line where known."""
    problems = []
    for ind in the_plan.indicators:
        rows = p[p["indicator_id"] == ind.id]
        if rows["year"].duplicated().any():
            problems.append(f"indicator {ind.id}: more than one row for a year")
        bad = rows[np.isinf(rows["value"].astype(float))]
        problems += [f"{_origin(raw, r)}indicator {ind.id} {r.year}: value {r.value} is not finite ({r.note})"
                     for r in bad.itertuples()]
        if ind.bounds:
            lo, hi = ind.bounds
            bad = rows[(rows["value"] < lo) | (rows["value"] > hi)]
            problems += [f"{_origin(raw, r)}indicator {ind.id} {r.year}: {r.value:g} outside [{lo:g}, {hi:g}]"
                         for r in bad.itertuples()]
        if ind.unit != "%":
            bad = rows[rows["value"] < 0]
            problems += [f"{_origin(raw, r)}indicator {ind.id} {r.year}: negative value {r.value:g}" for r in bad.itertuples()]
        if ind.baseline_value is not None and not (rows["year"] == ind.baseline_year).any():
            problems.append(f"indicator {ind.id}: the plan's base value is missing")
    if problems:
        raise DataError("panel fails its sanity checks:\n  " + "\n  ".join(problems))


def _origin(raw: RawData | None, row) -> str:
    """'file:line: ' of the published figure behind a panel row ('' for derived rows or without raw data)."""
    if raw is None or row.derived:
        return ""
    hit = _home(raw.figures, row.series, row.year)
    hit = hit[hit["source_id"] == row.source_ids]
    return "".join(f"{raw.folder / h.file}:{h.line}: " for h in hit.head(1).itertuples())


def safe_text(value):
    """A text cell a spreadsheet will not run as a formula (numbers stay numbers)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_csv(frame: pd.DataFrame, path: Path, index: bool = False) -> None:
    """Write via a temporary file and move it into place; text cells made spreadsheet-safe."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(safe_text)
    safe.to_csv(tmp, index=index, encoding="utf-8", lineterminator="\n")
    os.replace(tmp, path)


def check(raw_folder=None, definitions=None) -> pd.DataFrame:
    """Every check of :func:`build`, writing nothing: load and validate data/raw, build the panel, run its sanity checks.

    The sanity checks run inside :func:`panel`, as for every reader of data/raw.
    """
    return panel(raw_folder=raw_folder, definitions=definitions)


def build(out_dir: str | Path | None = None, raw_folder=None, definitions=None) -> dict[str, Path]:
    """Load, process, check, save: ``panel.csv`` and ``coverage.csv`` in ``out_dir``."""
    out = Path(out_dir or PROCESSED_DIR)
    p = check(raw_folder=raw_folder, definitions=definitions)
    cov = coverage(p)
    paths = {"panel": out / "panel.csv", "coverage": out / "coverage.csv"}
    write_csv(p, paths["panel"])
    write_csv(cov, paths["coverage"], index=True)
    return paths
