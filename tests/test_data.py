"""Loading and validating data/raw, the panel's selection and derivation rules, data build."""


import pandas as pd
import pytest
from numpy.testing import assert_allclose

import zjplan
from zjplan import data
from zjplan.data import DataError


SOURCES = """\
source_id,title,publisher,url,published,accessed,note
plan2020,Plan,Office,,2020-03-13,2026-11-27,
bulletin_2021,2021 bulletin,Bureau,http://example.org/2021,2022-02-24,2026-11-27,
bulletin_2022,2022 bulletin,Bureau,http://example.org/2022,2023-03-16,2026-11-27,
census,Census revision,Bureau,http://example.org/census,2025-03-01,2026-11-27,
"""

HEADER = "series,year,value,unit,basis,status,source_id,quote,note\n"

FIGURES = HEADER + """\
ppi,2020,-2.0,%,pct_change,final,bulletin_2021,,
ppi,2021,5.0,%,pct_change,final,bulletin_2021,,
ppi,2022,4.0,%,pct_change,final,bulletin_2022,,
above_scale_industry_va_per_mu,2021,140,万元/亩,current,final,bulletin_2021,,
digital_core_va,2021,8348,亿元,current,final,bulletin_2021,,
gdp,2021,7.35,万亿元,current,preliminary,bulletin_2021,,
gdp,2021,73516,亿元,current,final,bulletin_2022,,
gdp,2021,74000,亿元,current,revised,census,,
hitech_mfg_va_share,2021,16.0,%,ratio,final,bulletin_2021,,
hitech_mfg_va_share,2022,17.0,%,ratio,preliminary,bulletin_2022,,
above_scale_industry_va_growth,2020,5.4,%,comparable_growth,final,bulletin_2021,,
above_scale_industry_va_growth,2021,12.9,%,comparable_growth,final,bulletin_2021,,
"""


@pytest.fixture
def raw(raw_folder):
    return raw_folder(SOURCES, figures=FIGURES)


def _panel(folder, **kw):
    return data.panel(raw_folder=folder, **kw)


def _value(p, ind, year, column="value"):
    rows = p[(p["indicator_id"] == ind) & (p["year"] == year)]
    assert len(rows) == 1, f"indicator {ind} {year}: {len(rows)} rows"
    return rows.iloc[0][column]


# --- selection, derivation, deflation ---------------------------------------------------

def test_latest_final_wins_and_others_stay_in_raw(raw):
    raw_data = data.load_raw(raw)
    gdp = raw_data.figures[raw_data.figures["series"] == "gdp"]
    assert sorted(gdp["value"]) == [73500.0, 73516.0, 74000.0]  # 7.35 万亿元 converted, all kept
    chosen = data.select_latest(raw_data.figures)
    assert chosen.loc[chosen["series"] == "gdp", "value"].item() == 74000.0  # census revision
    # a preliminary figure is used only where no final exists
    assert _value(_panel(raw), 6, 2022) == 17.0
    assert _value(_panel(raw), 6, 2022, "status") == "preliminary"


def test_derived_share_from_parts(raw):
    p = _panel(raw)
    # The 2021 bulletin printed both parts: 8348 / 73500 (7.35 万亿元) × 100, its own vintage,
    # although a later final (73516) and a census-revised GDP (74000) exist.
    assert_allclose(_value(p, 9, 2021), 8348 / 73500 * 100)
    assert bool(_value(p, 9, 2021, "derived"))
    assert "digital_core_va / gdp" in _value(p, 9, 2021, "note")
    assert _value(p, 9, 2021, "source_ids") == "bulletin_2021"  # each source once


def test_derived_share_never_mixes_census_vintages(raw):
    # Without the same source, an unrevised numerator takes the latest unrevised denominator
    # (73516), never the census-revised 74000: that would read the revision as a fall in the share.
    _with_figures(raw, FIGURES.removeprefix(HEADER).replace("gdp,2021,7.35,万亿元,current,preliminary,bulletin_2021,,\n", ""))
    p = _panel(raw)
    assert_allclose(_value(p, 9, 2021), 8348 / 73516 * 100)
    assert _value(p, 9, 2021, "source_ids") == "bulletin_2021;bulletin_2022"
    # Once the numerator is revised too, the revised pair is used.
    _with_figures(raw, FIGURES.removeprefix(HEADER) + "digital_core_va,2021,8400,亿元,current,revised,census,,\n")
    assert_allclose(_value(_panel(raw), 9, 2021), 8400 / 74000 * 100)


def test_proxy_is_labelled(raw):
    p = _panel(raw)
    assert _value(p, 2, 2021) == 12.9
    assert bool(_value(p, 2, 2021, "proxy"))
    assert _value(p, 2, 2021, "note").startswith("proxy: above_scale_industry_va_growth")


def test_constant_2019_deflation_by_hand(raw):
    p = _panel(raw)
    # PPI: 2020 98.0, 2021 98.0 * 1.05 = 102.9 (2019 = 100); 140 / 1.029
    assert_allclose(_value(p, 15, 2021), 140 / 1.029)
    assert _value(p, 15, 2021, "value_as_published") == 140
    assert _value(p, 15, 2021, "basis") == "constant_2019 (ppi)"
    # the plan's own base stays as printed
    assert _value(p, 15, 2019) == 122


def test_missing_deflator_year_leaves_a_labelled_gap(raw):
    text = (raw / "figures.csv").read_text(encoding="utf-8").replace("ppi,2021,5.0,%,pct_change,final,bulletin_2021,,\n", "")
    (raw / "figures.csv").write_text(text, encoding="utf-8")
    p = _panel(raw)
    assert pd.isna(_value(p, 15, 2021))
    assert "Not deflated" in _value(p, 15, 2021, "note")
    assert 2021 not in zjplan.series(15, raw_folder=raw).index


def test_deflator_override(raw):
    with pytest.raises(ValueError, match="unknown deflator 'cpi'"):
        _panel(raw, deflator="cpi")


def test_as_of_truncates(raw):
    p = _panel(raw, as_of=2021)
    assert p["year"].max() == 2021
    s = zjplan.series(6, as_of=2021, raw_folder=raw)
    assert list(s.index) == [2019, 2021]
    assert s.index.dtype.kind == "i"


def test_plan_bases_are_in_the_panel(raw):
    p = _panel(raw)
    for ind in zjplan.plan().indicators:
        if ind.baseline_value is not None:
            assert _value(p, ind.id, ind.baseline_year) == ind.baseline_value
            assert _value(p, ind.id, ind.baseline_year, "source_ids") == "plan2020"


def test_coverage_codes(raw):
    cov = data.coverage(_panel(raw))
    assert cov.loc[6, "2021"] == "P"
    assert cov.loc[9, "2021"] == "D"
    assert cov.loc[2, "2021"] == "X"
    assert cov.loc[14, "2021"] == ""


# --- bad input: file, line and column named -----------------------------------------------

def _with_figures(raw, body: str, header: str = HEADER):
    (raw / "figures.csv").write_text(header + body, encoding="utf-8")
    return raw


@pytest.mark.parametrize(
    "row, message",
    [
        ("hitech_mfg_va_share,2021,约5,%,ratio,final,bulletin_2021,,\n", r"figures.csv:2: column 'value': not a number: '约5'"),
        ("hitech_mfg_va_share,2021,12.3%,%,ratio,final,bulletin_2021,,\n", r"figures.csv:2: column 'value': not a number: '12.3%'"),
        ("hitech_mfg_va_share,21,12.3,%,ratio,final,bulletin_2021,,\n", r"figures.csv:2: column 'year': must be an integer year in 1990-2030, got '21'"),
        ("hitech_mfg_va_share,2031,12.3,%,ratio,final,bulletin_2021,,\n", r"figures.csv:2: column 'year'.*'2031'"),
        ("hitech_mfg_share,2021,12.3,%,ratio,final,bulletin_2021,,\n", r"figures.csv:2: column 'series': unknown series 'hitech_mfg_share'"),
        ("hitech_mfg_va_share,2021,12.3,亿元,ratio,final,bulletin_2021,,\n", r"figures.csv:2: column 'unit': '亿元' contradicts series 'hitech_mfg_va_share', whose unit is '%'"),
        ("hitech_mfg_va_share,2021,12.3,%,ratio,final,nobody,,\n", r"figures.csv:2: column 'source_id': unknown source 'nobody'"),
        ("hitech_mfg_va_share,2021,12.3,%,ratio,draft,bulletin_2021,,\n", r"figures.csv:2: column 'status': must be one of preliminary, final, revised"),
        ("hitech_mfg_va_share,2021,12.3,%,share,final,bulletin_2021,,\n", r"figures.csv:2: column 'basis': must be one of"),
    ],
)
def test_bad_cell(raw, row, message):
    _with_figures(raw, row)
    with pytest.raises(DataError, match=message):
        data.load_raw(raw)


def test_missing_column(raw):
    _with_figures(raw, "hitech_mfg_va_share,2021,%,ratio,final,bulletin_2021,,\n",
                  header="series,year,unit,basis,status,source_id,quote,note\n")
    with pytest.raises(DataError, match=r"figures.csv:1: missing column\(s\): value"):
        data.load_raw(raw)


def test_conflicting_duplicate(raw):
    _with_figures(raw, "hitech_mfg_va_share,2021,16.0,%,ratio,final,bulletin_2021,,\n"
                       "hitech_mfg_va_share,2021,16.5,%,ratio,final,bulletin_2021,,\n")
    with pytest.raises(DataError, match=r"figures.csv:2 and .*figures.csv:3: column 'value'.*'hitech_mfg_va_share' 2021 from source 'bulletin_2021' has different values \(16, 16.5\)"):
        data.load_raw(raw)


def test_empty_file(raw):
    (raw / "figures.csv").write_bytes(b"")
    with pytest.raises(DataError, match=r"figures.csv: file is empty"):
        data.load_raw(raw)
    (raw / "figures.csv").write_text(HEADER, encoding="utf-8")
    with pytest.raises(DataError, match=r"figures.csv: no data rows"):
        data.load_raw(raw)


def test_excel_bom_and_gbk_are_read(raw):
    body = HEADER + "hitech_mfg_va_share,2021,16.0,%,ratio,final,bulletin_2021,高技术制造业,\n"
    (raw / "figures.csv").write_bytes(body.encode("utf-8-sig"))
    assert data.load_raw(raw).figures["quote"].item() == "高技术制造业"
    (raw / "figures.csv").write_bytes(body.encode("gbk"))
    assert data.load_raw(raw).figures["quote"].item() == "高技术制造业"


def test_undecodable_file_names_encoding(raw):
    (raw / "figures.csv").write_bytes(HEADER.encode() + b"\xff\xfe\xfa,2021\n")
    with pytest.raises(DataError, match="neither UTF-8 nor GBK/GB18030"):
        data.load_raw(raw)


def test_bad_source_row(raw):
    (raw / "sources.csv").write_text(SOURCES + "bulletin_2021,again,Bureau,,2022-02-24,,\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"sources.csv:6: column 'source_id': 'bulletin_2021' already defined on line 3"):
        data.load_raw(raw)


# --- build --------------------------------------------------------------------------------

def test_build_writes_and_failure_leaves_nothing(raw, tmp_path):
    out = tmp_path / "processed"
    paths = data.build(out, raw_folder=raw)
    assert sorted(p.name for p in out.iterdir()) == ["coverage.csv", "panel.csv"]
    # every indicator but 12, which has neither a base value nor a figure in this folder
    assert sorted(pd.read_csv(paths["panel"])["indicator_id"].unique()) == [i for i in range(1, 17) if i != 12]
    _with_figures(raw, "hitech_mfg_va_share,2021,x,%,ratio,final,bulletin_2021,,\n")
    fresh = tmp_path / "fresh"
    with pytest.raises(DataError):
        data.build(fresh, raw_folder=raw)
    assert not fresh.exists()


def test_sanity_checks_refuse_impossible_share(raw):
    _with_figures(raw, "hitech_mfg_va_share,2021,160,%,ratio,final,bulletin_2021,,\n")
    with pytest.raises(DataError, match=r"figures.csv:2: indicator 6 2021: 160 outside \[0, 100\]"):
        data.build(raw.parent / "out", raw_folder=raw)


def test_csv_text_cannot_start_a_formula(tmp_path):
    frame = pd.DataFrame({"note": ["=HYPERLINK(1)", "+1", "-x", "@a", "fine"], "value": [-1.5, 2, 3, 4, 5]})
    data.write_csv(frame, tmp_path / "x.csv")
    back = pd.read_csv(tmp_path / "x.csv")
    assert list(back["note"]) == ["'=HYPERLINK(1)", "'+1", "'-x", "'@a", "fine"]
    assert back["value"].iloc[0] == -1.5


# --- the shipped data ---------------------------------------------------------------------

def test_shipped_data_loads_and_passes_sanity_checks():
    p = zjplan.panel()
    data.sanity_checks(p, zjplan.plan())
    raw = data.load_raw()
    assert set(raw.figures["source_id"]) <= set(raw.sources.index)
    after_base = p[(p["year"] > 2019) & p["value"].notna()]
    assert after_base["indicator_id"].nunique() >= 12


def test_national_ppi_fills_a_missing_year_and_says_so(raw):
    text = (raw / "figures.csv").read_text(encoding="utf-8").replace("ppi,2021,5.0,%,pct_change,final,bulletin_2021,,\n", "")
    (raw / "figures.csv").write_text(text, encoding="utf-8")
    (raw / "national.csv").write_text(
        "region,series,year,value,unit,basis,status,source_id,quote,note\n"
        "全国,ppi,2021,8.0,%,pct_change,final,bulletin_2021,,\n", encoding="utf-8")
    p = _panel(raw)
    # Zhejiang 2020 -2.0 %, national 2021 +8.0 %: 140 / (0.98 * 1.08)
    assert_allclose(_value(p, 15, 2021), 140 / (0.98 * 1.08))
    assert "national PPI for 2021" in _value(p, 15, 2021, "basis")
    # the national figure never enters Zhejiang's own series
    assert set(data.select_latest(data.load_raw(raw).figures).query("series == 'ppi'")["year"]) == {2020, 2022}


def test_count_over_current_amount_is_deflated_as_intensity(raw):
    text = (raw / "figures.csv").read_text(encoding="utf-8") + (
        "above_scale_industry_valid_invention_patents,2021,120873,件,count,final,bulletin_2021,,\n"
        "above_scale_industry_revenue,2021,97968,亿元,current,final,bulletin_2021,,\n")
    (raw / "figures.csv").write_text(text, encoding="utf-8")
    p = _panel(raw)
    # patents per 100 亿元 at 2021 prices × P(2021) / 100, P = 0.98 * 1.05
    assert_allclose(_value(p, 11, 2021), 120873 / 97968 * 100 * 0.98 * 1.05)
    assert _value(p, 11, 2021, "basis") == "constant_2019 (ppi)"


def test_committed_processed_files_match_a_fresh_build(tmp_path):
    """data/processed is what `zjplan data build` makes of data/raw: rebuild after editing raw."""
    data.build(tmp_path)
    for name in ("panel.csv", "coverage.csv"):
        assert (tmp_path / name).read_bytes() == (data.PROCESSED_DIR / name).read_bytes(), (
            f"data/processed/{name} is stale: run `zjplan data build`")


@pytest.mark.parametrize("ind_id", [i.id for i in zjplan.plan().indicators if i.derive is not None])
def test_each_derivation_formula(raw, ind_id):
    """numerator / denominator × scale, brought to 2019 prices where the indicator asks for it."""
    ind = zjplan.indicator(ind_id)
    d = ind.derive
    meta = data.load_series_meta(raw)
    num_basis = "count" if meta[d.numerator].unit == "件" else "current"
    text = (raw / "figures.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines(keepends=True)
             if not line.startswith((f"{d.numerator},", f"{d.denominator},", f"{ind.series},"))]
    lines += [f"{d.numerator},2022,300,{meta[d.numerator].unit},{num_basis},final,bulletin_2022,,\n",
              f"{d.denominator},2022,2000,{meta[d.denominator].unit},current,final,bulletin_2022,,\n"]
    (raw / "figures.csv").write_text("".join(lines), encoding="utf-8")
    expected = 300 / 2000 * d.scale
    if ind.price_basis == "constant_2019" and ind.deflate_as == "intensity":
        expected *= 0.98 * 1.05 * 1.04  # PPI 2019 = 100: -2 %, +5 %, +4 %
    p = _panel(raw)
    assert_allclose(_value(p, ind_id, 2022), expected)
    assert bool(_value(p, ind_id, 2022, "derived"))
    assert d.formula in _value(p, ind_id, 2022, "note")


def test_a_proxy_is_derived_from_published_parts_where_it_is_not_printed(raw):
    # Indicator 3's proxy, the 规上工业 margin, from the bulletin's profit and revenue:
    # 6263 / 121716 × 100 = 5.1456 %, labelled both proxy and derived.
    _with_figures(raw, FIGURES.removeprefix(HEADER)
                  + "above_scale_industry_profit,2022,6263,亿元,current,preliminary,bulletin_2022,,\n"
                  + "above_scale_industry_revenue,2022,12.1716,万亿元,current,preliminary,bulletin_2022,,\n")
    p = _panel(raw)
    assert_allclose(_value(p, 3, 2022), 6263 / 121716 * 100)
    assert bool(_value(p, 3, 2022, "proxy")) and bool(_value(p, 3, 2022, "derived"))
    assert _value(p, 3, 2022, "series") == "above_scale_industry_profit_margin"
    assert _value(p, 3, 2022, "note").startswith(
        "proxy: above_scale_industry_profit_margin. derived: above_scale_industry_profit / above_scale_industry_revenue"
        " × 100 = 6263 / 121716 × 100")
    # a printed margin wins over the derived one
    _with_figures(raw, FIGURES.removeprefix(HEADER)
                  + "above_scale_industry_profit,2022,6263,亿元,current,preliminary,bulletin_2022,,\n"
                  + "above_scale_industry_revenue,2022,121716,亿元,current,preliminary,bulletin_2022,,\n"
                  + "above_scale_industry_profit_margin,2022,5.2,%,ratio,preliminary,bulletin_2022,,\n")
    assert _value(_panel(raw), 3, 2022) == 5.2
    assert not bool(_value(_panel(raw), 3, 2022, "derived"))
