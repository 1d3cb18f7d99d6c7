"""Yearbook table 7-5 by industry division: 规上制造业 derived from its divisions, checked, and kept out of plain series."""


import pytest

from zjplan import data
from zjplan.data import DataError
from zjplan.definitions import plan

SHIPPED = data.RAW_DIR

SOURCES = """\
source_id,title,publisher,url,published,accessed,note
plan2020,Plan,Office,,2020-03-13,2026-11-27,
yb2025,浙江统计年鉴2025 表7-5,浙江省统计局,http://example.org/yb,2025-12-08,2026-11-30,
"""

HEADER = "series,year,value,unit,basis,status,source_id,quote,note,industry\n"

# A miniature table 7-5 for 2024: five division rows typed from 浙江统计年鉴2025 (营业收入 and
# 利润总额, 亿元) and a total that is their sum, added by hand:
#   revenue: manufacturing 1317.76 + 14849.13 + 10659.39 = 26826.28;
#            total = 26826.28 + 169.44 (mining) + 6171.51 (utilities) = 33167.23
#   profit:  manufacturing 23.15 + 587.68 + 486.92 = 1097.75;
#            total = 1097.75 + 13.04 + 473.69 = 1584.48
ROWS = [
    ("", "33167.23", "1584.48"),
    ("B10 非金属矿采选业", "169.44", "13.04"),
    ("C13 农副食品加工业", "1317.76", "23.15"),
    ("C38 电气机械和器材制造业", "14849.13", "587.68"),
    ("C39 计算机、通信和其他电子设备制造业", "10659.39", "486.92"),
    ("D44 电力、热力的生产和供应业", "6171.51", "473.69"),
]


def _table(rows=ROWS) -> str:
    lines = [HEADER]
    for industry, revenue, profit in rows:
        lines.append(f"above_scale_industry_revenue,2024,{revenue},亿元,current,final,yb2025,,,{industry}\n")
        lines.append(f"above_scale_industry_profit,2024,{profit},亿元,current,final,yb2025,,,{industry}\n")
    return "".join(lines)


@pytest.fixture
def raw(raw_folder):
    return raw_folder(SOURCES, yearbook=_table())


def _latest(folder, series, year):
    chosen = data.select_latest(data.load_raw(folder).figures)
    return chosen.loc[(chosen["series"] == series) & (chosen["year"] == year), "value"].item()


def test_manufacturing_is_the_sum_of_its_divisions(raw):
    assert _latest(raw, "above_scale_mfg_revenue", 2024) == pytest.approx(26826.28, abs=1e-9)
    assert _latest(raw, "above_scale_mfg_profit", 2024) == pytest.approx(1097.75, abs=1e-9)
    derived = data.load_raw(raw).figures.query("series == 'above_scale_mfg_revenue'")
    assert derived["derived"].all()
    assert "sum of the 3 manufacturing divisions (C13-C43) = 26826.28" in derived["note"].item()


def test_plain_series_is_the_total_row_not_a_division(raw):
    assert _latest(raw, "above_scale_industry_revenue", 2024) == 33167.23
    assert _latest(raw, "above_scale_industry_profit", 2024) == 1584.48


def test_margin_of_indicator_3_is_derived_from_the_sums(raw):
    p = data.panel(raw_folder=raw)
    row = p[(p["indicator_id"] == 3) & (p["year"] == 2024)].iloc[0]
    # 1097.75 / 26826.28 × 100, by hand: 4.0921 %
    assert row["value"] == pytest.approx(4.0921, abs=1e-4)
    assert bool(row["derived"]) and not bool(row["proxy"])


def test_a_mistyped_division_fails_the_cross_check_loudly(raw):
    # 1317.76 typed as 1371.76: the divisions no longer add up to the total
    doctored = [(i, "1371.76" if r == "1317.76" else r, p) for i, r, p in ROWS]
    (raw / "yearbook.csv").write_text(_table(doctored), encoding="utf-8")
    with pytest.raises(DataError, match=r"yearbook\.csv:\d+: above_scale_industry_revenue 2024 \(yb2025\): manufacturing "
                                        r"divisions sum to 26880\.28 but the total minus mining and utilities is 26826\.28"):
        data.load_raw(raw)


def test_rounding_of_the_printed_cells_is_tolerated(raw):
    # total off by 0.03 亿元: within 0.01 per summed cell (6 cells)
    rounded = [("", "33167.26", "1584.48")] + ROWS[1:]
    (raw / "yearbook.csv").write_text(_table(rounded), encoding="utf-8")
    assert _latest(raw, "above_scale_mfg_revenue", 2024) == pytest.approx(26826.28, abs=1e-9)


def test_divisions_without_a_total_row_are_refused(raw):
    (raw / "yearbook.csv").write_text(_table(ROWS[1:]), encoding="utf-8")
    with pytest.raises(DataError, match=r"need the total row \(empty industry\)"):
        data.load_raw(raw)


@pytest.mark.parametrize("industry", ["13 农副食品加工业", "C05 煤炭", "B13 农副食品加工业", "C13"])
def test_bad_industry_cell_names_file_line_and_column(raw, industry):
    bad = [ROWS[0], (industry, "1317.76", "23.15")]
    (raw / "yearbook.csv").write_text(_table(bad), encoding="utf-8")
    with pytest.raises(DataError, match=r"yearbook\.csv:4: column 'industry': must be empty or a division"):
        data.load_raw(raw)


# --- the shipped tables -----------------------------------------------------------------

def test_shipped_manufacturing_totals_and_margins():
    raw = data.load_raw(SHIPPED)
    chosen = data.select_latest(raw.figures).set_index(["series", "year"])["value"]
    # sums of the 31 manufacturing rows of table 7-5 (亿元)
    assert chosen["above_scale_mfg_revenue", 2023] == pytest.approx(103383.35, abs=1e-6)
    assert chosen["above_scale_mfg_profit", 2023] == pytest.approx(5562.52, abs=1e-6)
    assert chosen["above_scale_mfg_revenue", 2024] == pytest.approx(110248.57, abs=1e-6)
    assert chosen["above_scale_mfg_profit", 2024] == pytest.approx(5497.68, abs=1e-6)
    # the total row is the plain series: indicator 11's denominator for 2023
    assert chosen["above_scale_industry_revenue", 2023] == 111421.80
    p = data.panel(raw_folder=SHIPPED)
    margin = p[p["indicator_id"] == 3].set_index("year")["value"]
    assert margin[2023] == pytest.approx(5562.52 / 103383.35 * 100)  # 5.3805 %
    assert margin[2024] == pytest.approx(5497.68 / 110248.57 * 100)  # 4.9866 %
    patents = p[p["indicator_id"] == 11].set_index("year")["value_as_published"]
    assert patents[2023] == pytest.approx(181101 / 111421.80 * 100)  # 162.54 per 百亿元, before deflation


CONTEXT = ("hitech_industry_firms", "hitech_industry_revenue", "hitech_industry_profit",
           "hitech_industry_rd_expenditure", "valid_invention_patents", "rd_expenditure", "rd_intensity_gdp")


def test_context_series_never_become_an_indicator():
    for ind in plan().indicators:
        used = {ind.series, *ind.proxies}
        if ind.derive is not None:
            used |= {ind.derive.numerator, ind.derive.denominator}
        assert not used & set(CONTEXT), f"indicator {ind.id} reads a context series"
    p = data.panel(raw_folder=SHIPPED)
    assert not set(p["series"]) & set(CONTEXT)


def test_st_yearbook_table_covers_every_province():
    figures = data.load_raw(SHIPPED).figures
    st = figures[figures["file"] == "st_yearbook_provinces.csv"]
    assert st["region"].nunique() == 31
    assert set(st["series"]) == set(CONTEXT) - {"rd_expenditure", "rd_intensity_gdp"}
    zj = st[(st["region"] == "浙江") & (st["year"] == 2023)].set_index("series")["value"]
    assert zj["hitech_industry_revenue"] == 15358 and zj["valid_invention_patents"] == 364913
