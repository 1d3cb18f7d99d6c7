"""What both importers share: region names, the source row, the review summary, the atomic write.

An import is two steps. :func:`plan_import` compares the candidate rows with everything
already in ``data/raw`` (new / identical / conflicting) and changes nothing; the command
prints the rows and that summary. :func:`apply_plan` refuses a plan with conflicts,
writes the new rows and the new source row into a copy of ``data/raw``, runs every check
``zjplan data build`` runs on that copy, and only then moves the changed files into place.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .. import data
from ..data import DataError

# The project's short region names by the names the statistics portal and the bulletins
# print: one table for all 31 provinces (zjplan.data.PROVINCES).
REGIONS = data.REGION_BY_FULL_NAME

OUT_COLUMNS = ("region",) + data.FIGURE_COLUMNS
NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)")


def normalize(text: str) -> str:
    """Half-width characters (，→,  （→(  ％→%  ０→0) and no whitespace: how names and sentences are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def region_name(text: str) -> str | None:
    """The project's short name for a printed region name (浙江省 → 浙江), or None."""
    name = normalize(text)
    if name in REGIONS:
        return REGIONS[name]
    return name if name in data.REGIONS else None


def check_region(region: str) -> str:
    """A region given on the command line, as its short name; a name not in the table is refused."""
    short = region_name(region)
    if short is None:
        raise DataError(f"--region: unknown region {region!r}; use a province's name, e.g. 浙江 or 浙江省 (or 全国)")
    return short


# --- Sources ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceSpec:
    """The source of an import: an id of sources.csv, or a new row given with it."""

    source_id: str
    title: str = ""
    publisher: str = ""
    url: str = ""
    published: str = ""
    accessed: str = ""
    note: str = ""

    def row(self) -> dict[str, str]:
        return {c: getattr(self, c) for c in data.SOURCE_COLUMNS}

    def given(self) -> dict[str, str]:
        return {c: v for c, v in self.row().items() if v and c != "source_id"}


def new_source_row(spec: SourceSpec, folder: Path, file: Path) -> dict[str, str] | None:
    """The sources.csv row to add, or None when ``spec`` names an existing source.

    An unknown id without title, publisher and date is refused: no figure without a source.
    """
    if not spec.source_id:
        raise DataError(f"{file}: --source is required (an id of {folder / 'sources.csv'}, or a new id with --title, --publisher, --url and --published)")
    sources = data.load_sources(folder)
    if spec.source_id in sources.index:
        stored = sources.loc[spec.source_id]
        differ = [c for c, v in spec.given().items() if str(stored[c]) != v]
        if differ:
            shown = "; ".join(f"{c}: {stored[c]!r} in sources.csv, {spec.given()[c]!r} given" for c in differ)
            raise DataError(f"{file}: --source {spec.source_id!r} is already in sources.csv with other values ({shown})")
        return None
    missing = [c for c in ("title", "publisher", "url", "published") if not getattr(spec, c)]
    if missing:
        raise DataError(
            f"{file}: unknown source {spec.source_id!r}: not in {folder / 'sources.csv'}; "
            f"add it there, or give {', '.join('--' + c for c in missing)} to add it with this import"
        )
    if not re.fullmatch(r"[a-z0-9_]+", spec.source_id):
        raise DataError(f"{file}: --source must be lower-case letters, digits and _, got {spec.source_id!r}")
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", spec.published):
        raise DataError(f"{file}: --published must be YYYY-MM-DD (or YYYY-MM), got {spec.published!r}")
    return spec.row()


# --- Review ------------------------------------------------------------------------------

@dataclass
class ImportPlan:
    """Candidate rows for one file of data/raw, sorted against what is already there."""

    file: Path                      # the input read
    target: Path                    # the data/raw file the new rows go to
    rows: list[dict[str, str]]      # every candidate, in data/raw columns
    new: list[dict[str, str]] = field(default_factory=list)
    identical: list[dict[str, str]] = field(default_factory=list)
    conflicts: list[tuple[dict[str, str], str]] = field(default_factory=list)  # (row, what is there)
    source_row: dict[str, str] | None = None

    def summary(self) -> str:
        text = (f"{self.file}: {len(self.rows)} candidate rows for {self.target}: {len(self.new)} new, "
                f"{len(self.identical)} already present and identical, {len(self.conflicts)} conflicting")
        if self.source_row:
            text += f"; new source {self.source_row['source_id']!r} for sources.csv"
        lines = [text] + [f"  conflict: {self.describe(r)} = {r['value']} here, {there}" for r, there in self.conflicts]
        return "\n".join(lines)

    @staticmethod
    def describe(row: dict[str, str]) -> str:
        return f"{row['series']} {row['region']} {row['year']} ({row['status']}, {row['source_id']})"


def _key(series, region, year, status, source) -> tuple:
    return (series, region, int(year), status, source)


def plan_import(rows: list[dict[str, str]], file: Path, target: Path, folder: Path, spec: SourceSpec) -> ImportPlan:
    """Compare candidates with data/raw (same series, region, year, status and source) without writing."""
    if not rows:
        raise DataError(f"{file}: no figures found")
    source_row = new_source_row(spec, folder, file)
    raw = data.load_raw(folder)
    unknown = sorted({r["series"] for r in rows} - set(raw.meta))
    if unknown:
        raise DataError(f"{file}: series not declared in {folder / 'series.meta.yml'}: {', '.join(unknown)}")
    existing = {}
    for f in raw.figures.itertuples():
        if getattr(f, "industry", ""):
            continue  # a division row of an industry table, not the series itself
        existing[_key(f.series, f.region, f.year, f.status, f.source_id)] = f
    plan = ImportPlan(file, target, rows, source_row=source_row)
    seen: dict[tuple, dict] = {}
    for row in rows:
        key = _key(row["series"], row["region"], row["year"], row["status"], row["source_id"])
        value = _in_series_unit(row, raw.meta, file)
        if key in seen:
            first = seen[key]
            if _in_series_unit(first, raw.meta, file) != value:
                raise DataError(f"{file}: {ImportPlan.describe(row)} appears twice with different values ({first['value']}, {row['value']})")
            continue
        seen[key] = row
        there = existing.get(key)
        if there is None:
            plan.new.append(row)
        elif abs(there.value - value) <= 1e-9 * max(1.0, abs(value)):
            plan.identical.append(row)
        else:
            plan.conflicts.append((row, f"{there.value_as_published:g} {there.unit_as_published} in {there.file}:{there.line}"))
    return plan


def _in_series_unit(row: dict[str, str], meta: dict, file: Path) -> float:
    unit = meta[row["series"]].unit
    factors = data.UNIT_FACTORS.get(unit, {unit: 1.0})
    if row["unit"] not in factors:
        raise DataError(f"{file}: {ImportPlan.describe(row)}: unit {row['unit']!r} contradicts series {row['series']!r}, whose unit is {unit!r}")
    return float(row["value"]) * factors[row["unit"]]


def format_rows(rows: list[dict[str, str]]) -> str:
    """The candidate rows as CSV in the data/raw columns."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=OUT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# --- Apply -------------------------------------------------------------------------------

def _appended(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...]) -> str:
    """The file's text with ``rows`` added at the end; existing lines are kept byte for byte."""
    if not path.exists():
        return format_rows_as(rows, columns, header=True)
    text = data.read_text(path)
    header = next(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in header]
    missing = [c for c in columns if c not in header and c != "region" and any(r.get(c) for r in rows)]
    if "region" in columns and "region" not in header and any(r["region"] != data.HOME_REGION for r in rows):
        missing.append("region")
    if missing:
        raise DataError(f"{path}:1: has no column(s) {', '.join(missing)} for the imported rows")
    if not text.endswith("\n"):
        text += "\n"
    return text + format_rows_as(rows, tuple(header), header=False)


def format_rows_as(rows, columns, header: bool) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def apply_plan(plan: ImportPlan, folder: Path, definitions=None) -> list[Path]:
    """Write the plan's new rows (and source row), after the checks of ``zjplan data build``.

    Refuses the whole import on any conflict. The files are written into a copy of the
    folder first and checked there, so a failed check leaves data/raw untouched; then
    each changed file is moved into place.
    """
    if plan.conflicts:
        raise DataError(
            f"{plan.file}: import refused, {len(plan.conflicts)} row(s) conflict with data/raw "
            "(same series, region, year, status and source, another value):\n" +
            "\n".join(f"  {ImportPlan.describe(r)}: {r['value']} {r['unit']} in the import, {there}" for r, there in plan.conflicts)
        )
    texts: dict[str, str] = {}
    if plan.new:
        texts[plan.target.name] = _appended(plan.target, plan.new, OUT_COLUMNS)
    if plan.source_row:
        texts["sources.csv"] = _appended(folder / "sources.csv", [plan.source_row], data.SOURCE_COLUMNS)
    if not texts:
        return []
    with tempfile.TemporaryDirectory(prefix=".import-", dir=folder.parent) as tmp:
        copy = Path(tmp) / folder.name
        shutil.copytree(folder, copy)
        for name, text in texts.items():
            (copy / name).write_text(text, encoding="utf-8")
        data.check(raw_folder=copy, definitions=definitions)
    written = []
    for name, text in texts.items():
        path = folder / name
        tmp_path = path.with_name(path.name + ".tmp")
        tmp_path.write_text(text, encoding="utf-8")
        written.append((tmp_path, path))
    for tmp_path, path in written:
        os.replace(tmp_path, path)
    return [p for _, p in written]
