"""Property-based tests of the two loaders: whatever a user puts in a file, the loader
either loads it or raises its named error (DataError, DefinitionError), never anything
else. Example counts and derandomization come from the hypothesis profile in conftest.py
(2,000 examples each in CI)."""

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from zjplan import data
from zjplan.data import DataError
from zjplan.definitions import DEFAULT_DEFINITIONS, DefinitionError, Plan, load_definitions

SOURCES = """\
source_id,title,publisher,url,published,accessed,note
bulletin_2021,2021 bulletin,Bureau,http://example.org/2021,2022-02-24,2026-11-27,
"""
META = """\
series:
  ppi: {unit: "%", name_zh: 工业生产者出厂价格, name_en: PPI}
  gdp: {unit: 亿元, name_zh: 地区生产总值, name_en: GDP}
  hitech_mfg_va_share: {unit: "%", name_zh: 高技术制造业增加值占比, name_en: High-tech share}
  above_scale_industry_revenue: {unit: 亿元, name_zh: 规模以上工业企业营业收入, name_en: Revenue}
"""
VALID_ROW = "hitech_mfg_va_share,2021,16.0,%,ratio,final,bulletin_2021,占16.0%,"

# Cells a spreadsheet user might leave: plausible values, near misses, separators,
# quotes and line breaks, digits of other scripts, and arbitrary unicode.
TOKENS = [
    "", " ", "ppi", "gdp", "hitech_mfg_va_share", "unknown_series", "2021", "1990", "2031", "２０２１", "21",
    "16.0", "-150", "-100", "1e400", "1" + "0" * 400, "nan", "inf", "１６", "١٦", "约5", "12.3%", "1,234",
    "%", "亿元", "万亿元", "current", "ratio", "pct_change", "comparable_growth", "final", "revised", "draft",
    "bulletin_2021", "nobody", "浙江", "浙江省", "全国", '"', '""', "'", "\r", "\n", "\r\n", ",", ";", "\t",
    "\x00", "\ufeff", "=HYPERLINK(1)", "above_scale_industry_revenue", "C13 农副食品加工业", "B06 煤炭开采和洗选业",
    "C99 x", "C13",
]
CELL = st.one_of(
    st.sampled_from(TOKENS),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=8),
    st.integers(-10**9, 10**9).map(str),
    st.floats().map(repr),
)
ROW = st.one_of(st.lists(CELL, max_size=12).map(",".join), st.just(VALID_ROW), st.text(max_size=30))
HEADERS = [
    ",".join(data.FIGURE_COLUMNS), "region," + ",".join(data.FIGURE_COLUMNS), ",".join(data.FIGURE_COLUMNS) + ",",
    "Region," + ",".join(data.FIGURE_COLUMNS), ",".join(data.FIGURE_COLUMNS[:-1]), "",
    ",".join(data.FIGURE_COLUMNS) + ",industry",
]
HEADER = st.one_of(st.sampled_from(HEADERS), st.lists(CELL, max_size=11).map(",".join))
NEWLINE = st.sampled_from(["\n", "\r\n", "\r"])
ENCODING = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "mixed"])


def _encode(lines: list[str], newline: str, encoding: str) -> bytes:
    if encoding != "mixed":
        return newline.join(lines).encode(encoding, errors="replace")
    # every other line GBK, the rest UTF-8: a row pasted from another program
    return newline.encode().join(l.encode("gb18030" if i % 2 else "utf-8", errors="replace") for i, l in enumerate(lines))


def _load(folder: Path):
    """The loader without its cache (files are rewritten faster than mtimes change)."""
    sources = data.load_sources(folder)
    meta = data.load_series_meta(folder)
    return data.load_figures(folder, meta, sources)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    # one folder for every example (rewritten each time): no directory churn
    return tmp_path_factory.mktemp("fuzz_raw")


@given(target=st.sampled_from(["figures.csv", "sources.csv"]), header=HEADER, rows=st.lists(ROW, max_size=6),
       newline=NEWLINE, encoding=ENCODING)
def test_figures_loader_loads_or_raises_data_error(folder, target, header, rows, newline, encoding):
    (folder / "series.meta.yml").write_text(META, encoding="utf-8")
    (folder / "sources.csv").write_text(SOURCES, encoding="utf-8")
    (folder / "figures.csv").write_text(",".join(data.FIGURE_COLUMNS) + "\n" + VALID_ROW + "\n", encoding="utf-8")
    if target == "sources.csv":
        header = header.replace(",".join(data.FIGURE_COLUMNS), ",".join(data.SOURCE_COLUMNS))
    (folder / target).write_bytes(_encode([header, *rows], newline, encoding))
    try:
        figures = _load(folder)
    except DataError:
        return
    # what loads is clean: known series, years in range, finite values
    assert set(figures["series"]) <= {"ppi", "gdp", "hitech_mfg_va_share", "above_scale_industry_revenue",
                                      "above_scale_mfg_revenue"}
    assert figures["year"].between(*data.YEAR_RANGE).all()
    assert figures["value"].map(lambda v: abs(v) < float("inf")).all()


# --- definitions ---------------------------------------------------------------------------

def _small_plan() -> dict:
    """The shipped plan cut to three indicators (3: derived, with bounds; 12: qualitative;
    13: a ceiling), so that each example parses quickly."""
    doc = yaml.safe_load(DEFAULT_DEFINITIONS.read_text(encoding="utf-8"))
    doc["indicators"] = [i for i in doc["indicators"] if i["id"] in (3, 12, 13)]
    return doc


def _dump(doc) -> str:
    return yaml.dump(doc, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True, sort_keys=False)


BASE_PLAN = _small_plan()
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(),
                   st.text(st.characters(exclude_categories=["Cs"]), max_size=10),
                   st.sampled_from(["level", "ceiling", "<", ">=", "higher", "ppi", "none", "quality", 2019, 2025]))
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                     max_leaves=8)
FIELDS = sorted({k for ind in BASE_PLAN["indicators"] for k in ind} | {"bounds", "nonsense"})
SUBFIELDS = ["year", "value", "text", "numerator", "denominator", "scale", "zh", "en"]


@st.composite
def mutated_plan(draw):
    doc = copy.deepcopy(BASE_PLAN)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["indicator", "subfield", "plan", "category", "section", "delete"]))
        if where in ("indicator", "subfield", "delete"):
            ind = draw(st.sampled_from(doc["indicators"])) if isinstance(doc.get("indicators"), list) and doc["indicators"] else None
            if not isinstance(ind, dict):
                continue
            name = draw(st.sampled_from(FIELDS))
            if where == "delete":
                ind.pop(name, None)
            elif where == "subfield" and isinstance(ind.get(name), dict):
                ind[name][draw(st.sampled_from(SUBFIELDS))] = draw(VALUE)
            else:
                ind[name] = draw(VALUE)
        elif where == "plan" and isinstance(doc.get("plan"), dict) and doc["plan"]:
            doc["plan"][draw(st.sampled_from(sorted(doc["plan"])))] = draw(VALUE)
        elif where == "category" and isinstance(doc.get("categories"), dict) and doc["categories"]:
            doc["categories"][draw(st.sampled_from(sorted(doc["categories"])))] = draw(VALUE)
        else:
            doc[draw(st.sampled_from(["plan", "categories", "indicators"]))] = draw(VALUE)
    return _dump(doc)


@given(text=st.one_of(mutated_plan(), st.text(max_size=200), VALUE.map(_dump)))
def test_definitions_loader_loads_or_raises_definition_error(folder, text):
    path = folder / "plan.yml"
    path.write_text(text, encoding="utf-8")
    try:
        plan = load_definitions(path)
    except DefinitionError as exc:
        assert str(path) in str(exc)  # every message names the file
        return
    assert isinstance(plan, Plan) and plan.indicators
    for ind in plan.indicators:
        assert ind.target_year > ind.baseline_year
