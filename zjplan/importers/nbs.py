"""Read the statistics portal's exports (国家统计局 数据库 → 分省年度数据), CSV or Excel.

The portal writes two layouts:

one year, indicators as columns::

    数据库：分省年度数据
    时间：2023年
    地区	,地区生产总值 (亿元) 	,第一产业增加值 (亿元) 	,...
    北京市	,47353.7	,115.1	,...
    注：1. …在第五次全国经济普查后，…进行了系统修订。
    数据来源：国家统计局

one indicator, years as columns (the indicator in a ``指标：`` line, or not named at all)::

    数据库：分省年度数据
    时间：2016年-2025年
    地区	,2025年	,2024年	,...
    北京市	,	,105.1	,...

Every cell ends in a tab before the comma; files are UTF-8 with BOM or GBK. Each province
row becomes rows of ``data/raw`` with the project's short region name; an empty cell is a
gap. A footnote on the fifth economic census revision makes the figures ``revised``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import data
from ..data import DataError
from .common import NUMBER, normalize, region_name

MAP_FILE = "nbs_indicators.yml"
EXCEL_SUFFIXES = (".xls", ".xlsx")
# Excel opens files "protected" with this password without asking (default read protection).
EXCEL_DEFAULT_PASSWORD = "VelvetSweatshop"
META_KEYS = ("数据库", "指标", "时间")
FOOTER_KEYS = ("注", "数据来源")
YEAR_COLUMN = re.compile(r"(\d{4})年")


@dataclass(frozen=True)
class PortalIndicator:
    key: str
    names: tuple[str, ...]
    unit: str
    basis: str


def load_indicator_map(folder: Path) -> dict[str, PortalIndicator]:
    """``nbs_indicators.yml``: the portal's indicator names → series key, unit, basis."""
    path = folder / MAP_FILE
    doc = data.read_yaml(path, "the map from the portal's indicator names to series keys")
    out = {}
    for key, entry in (doc.get("indicators") or {}).items():
        if not isinstance(entry, dict) or not {"names", "unit", "basis"} <= set(entry):
            raise DataError(f"{path}: indicator {key}: needs names, unit and basis")
        if entry["basis"] not in data.BASES:
            raise DataError(f"{path}: indicator {key}: basis must be one of {', '.join(data.BASES)}, got {entry['basis']!r}")
        out[key] = PortalIndicator(key, tuple(normalize(n) for n in entry["names"]), str(entry["unit"]), entry["basis"])
    if not out:
        raise DataError(f"{path}: no indicators")
    return out


# --- Load --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    text: str
    where: str   # "FILE:LINE" for CSV, "FILE: cell C5" for a workbook


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def read_grid(path: Path) -> list[list[Cell]]:
    """The file's rows as stripped cells (the portal's trailing tabs and empty end cells dropped)."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if path.suffix.lower() in EXCEL_SUFFIXES:
        frame = pd.read_excel(_workbook_bytes(path), header=None, dtype=str, engine=None)
        rows = [[("" if pd.isna(v) else str(v)) for v in row] for row in frame.itertuples(index=False)]
        grid = [[Cell(t.strip(), f"{path}: cell {_column_letter(j)}{i + 1}") for j, t in enumerate(row)]
                for i, row in enumerate(rows)]
    else:
        reader = csv.reader(io.StringIO(data.read_text(path)))
        grid = [[Cell(t.strip(), f"{path}:{reader.line_num}") for t in row] for row in reader]
    out = []
    for row in grid:
        while row and not row[-1].text:
            row.pop()
        out.append(row)
    return out


def _workbook_bytes(path: Path) -> io.BytesIO:
    """The workbook, decrypted if it carries Excel's default read protection.

    A workbook locked with a real password is refused: it cannot be read without it.
    """
    import msoffcrypto
    from msoffcrypto.exceptions import FileFormatError, InvalidKeyError

    raw = path.read_bytes()
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(raw))
        encrypted = office.is_encrypted()
    except (FileFormatError, OSError, ValueError, KeyError):
        encrypted = False  # not an Office container msoffcrypto knows: let pandas say what it is
    if not encrypted:
        return io.BytesIO(raw)
    out = io.BytesIO()
    try:
        office.load_key(password=EXCEL_DEFAULT_PASSWORD)
        office.decrypt(out)
    except (InvalidKeyError, FileFormatError, ValueError) as exc:
        raise DataError(
            f"{path}: the workbook is locked with a password (not Excel's default read protection); "
            f"open it in Excel with its password, save a copy without one, and import that ({type(exc).__name__})"
        ) from None
    out.seek(0)
    return out


# --- Process -----------------------------------------------------------------------------

@dataclass
class Export:
    """An export split into its parts."""

    meta: dict[str, str]           # 数据库 / 指标 / 时间 → text after the colon
    header: list[Cell]             # the 地区 row
    rows: list[list[Cell]]         # province rows
    footers: list[str]


def _labelled(cell: Cell, keys: tuple[str, ...]) -> tuple[str, str] | None:
    text = normalize(cell.text)
    for key in keys:
        if text.startswith(key + ":"):
            return key, text[len(key) + 1:]
    return None


def split_export(path: Path, grid: list[list[Cell]]) -> Export:
    meta, header, rows, footers = {}, None, [], []
    for row in grid:
        if not row:
            continue
        first = row[0]
        if header is None:
            label = _labelled(first, META_KEYS)
            if label and len(row) == 1:
                meta[label[0]] = label[1]
            elif normalize(first.text) == "地区" and len(row) >= 2:
                header = row
            continue
        label = _labelled(first, FOOTER_KEYS)
        if label or footers:
            footers.append(" ".join(c.text for c in row))
            continue
        rows.append(row)
    if header is None:
        raise DataError(
            f"{path}: neither layout of a 分省年度数据 export: no header row starting with 地区 "
            "(expected 数据库：/时间： lines, then 地区, indicator or year columns, then one row per province)"
        )
    if not rows:
        raise DataError(f"{header[0].where}: no province rows below the header (expected rows such as 北京市, 浙江省)")
    return Export(meta, header, rows, footers)


def _map_names(path: Path, header: list[Cell], mapping: dict[str, PortalIndicator],
               series: list[str] | None) -> list[tuple[int, PortalIndicator]]:
    """(column index, indicator) for a one-year export's indicator columns."""
    by_name = {name: ind for ind in mapping.values() for name in ind.names}
    columns, unknown = [], []
    for j, cell in enumerate(header[1:], start=1):
        ind = by_name.get(normalize(cell.text))
        if ind is None:
            unknown.append(cell.text)
        elif not series or ind.key in series:
            columns.append((j, ind))
    if series:
        absent = [k for k in series if k not in {ind.key for _, ind in columns}]
        if absent:
            raise DataError(f"{header[0].where}: --series {', '.join(absent)}: no such column in {path.name} "
                            f"(columns: {', '.join(c.text for c in header[1:])})")
    elif unknown:
        raise DataError(
            f"{header[0].where}: indicator(s) not in {MAP_FILE}: {', '.join(unknown)}; "
            f"known: {', '.join(n for ind in mapping.values() for n in ind.names)} "
            "(add them to the map, or import only known ones with --series KEY ...)"
        )
    return columns


def _one_indicator(path: Path, export: Export, mapping: dict[str, PortalIndicator],
                   series: list[str] | None) -> PortalIndicator:
    """The indicator of a years-as-columns export: --series, else its 指标： line."""
    known = ", ".join(mapping)
    if series:
        if len(series) != 1:
            raise DataError(f"{path}: one indicator with years as columns: give one --series KEY, not {len(series)}")
        if series[0] not in mapping:
            raise DataError(f"{path}: --series {series[0]!r} is not in {MAP_FILE} (known: {known})")
        return mapping[series[0]]
    name = export.meta.get("指标")
    if not name:
        raise DataError(
            f"{path}: one indicator with years as columns, but the file does not say which "
            f"(no 指标： line); name it with --series KEY (known: {known})"
        )
    for ind in mapping.values():
        if normalize(name) in ind.names:
            return ind
    raise DataError(f"{path}: indicator {name!r} is not in {MAP_FILE}; known: "
                    f"{', '.join(n for ind in mapping.values() for n in ind.names)} (or give --series KEY)")


def _status(footers: list[str]) -> tuple[str, str]:
    """``revised`` when a footnote says the series were revised after an economic census."""
    for text in footers:
        if "经济普查" in text and "修订" in text:
            return "revised", "revised after the fifth economic census (the export's footnote)"
    return "final", ""


def _value(cell: Cell, column: str) -> str | None:
    text = cell.text.replace(",", "")
    if text == "":
        return None  # a gap, never 0
    if not NUMBER.fullmatch(text):
        raise DataError(f"{cell.where}: column '{column}': not a number: {cell.text!r} (expected digits, or an empty cell for a gap)")
    return text


def _region(cell: Cell) -> str:
    region = region_name(cell.text)
    if region is None:
        raise DataError(f"{cell.where}: column '地区': unknown region {cell.text!r} (expected one of the 31 provinces, e.g. 浙江省, or 全国)")
    return region


def read_export(path: Path, source_id: str, folder: Path, series: list[str] | None = None) -> list[dict[str, str]]:
    """Candidate rows (data/raw columns) for every province and year of a portal export.

    Parameters
    ----------
    path : Path
        The export (.csv, .xls or .xlsx).
    source_id : str
        The ``sources.csv`` id the rows cite.
    folder : Path
        The raw-data folder holding ``nbs_indicators.yml``.
    series : list of str, optional
        One-year layout: import only these keys. One-indicator layout: the key of the
        indicator (required when the file has no ``指标：`` line).
    """
    mapping = load_indicator_map(folder)
    export = split_export(path, read_grid(path))
    status, note = _status(export.footers)
    headers = [c.text for c in export.header]
    years = [YEAR_COLUMN.fullmatch(normalize(h)) for h in headers[1:]]
    out = []
    if all(years):  # one indicator, years as columns
        ind = _one_indicator(path, export, mapping, series)
        label = export.meta.get("指标")  # quote only what the file prints: unnamed exports have no label
        columns = [(j, ind, int(m.group(1)), label, headers[j]) for j, m in enumerate(years, start=1)]
    else:
        year = YEAR_COLUMN.fullmatch(export.meta.get("时间", ""))
        if not year:
            raise DataError(
                f"{export.header[0].where}: neither layout of a 分省年度数据 export: the columns are not years "
                f"(2024年, 2023年, …) and there is no 时间：YYYY年 line for indicator columns (header: {', '.join(headers)})"
            )
        columns = [(j, ind, int(year.group(1)), headers[j], year.group(0))
                   for j, ind in _map_names(path, export.header, mapping, series)]
    for row in export.rows:
        region = _region(row[0])
        for j, ind, year, label, period in columns:
            cell = row[j] if j < len(row) else Cell("", row[0].where)
            value = _value(cell, headers[j])
            if value is None:
                continue
            out.append({
                "region": region, "series": ind.key, "year": str(year), "value": value, "unit": ind.unit,
                "basis": ind.basis, "status": status, "source_id": source_id,
                "quote": " | ".join(t for t in (row[0].text, label, f"{period}: {cell.text}") if t),
                "note": note,
            })
    return out
