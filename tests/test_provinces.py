"""zjplan.compare: every province's value and rank, declared in the definitions file."""

import shutil

import pytest
import yaml

import zjplan
from zjplan import DataError, DefinitionError, data, provinces
from zjplan.definitions import DEFAULT_DEFINITIONS, load_definitions

HEADER = "region,series,year,value,unit,basis,status,source_id,quote,note\n"
SOURCES = (
    "source_id,title,publisher,url,published,accessed,note\n"
    "table_a,省际表A,国家统计局,,2022-01-01,2026-01-01,fixture\n"
    "table_b,省际表B,国家统计局,,2023-01-01,2026-01-01,fixture\n"
    "zj_own,浙江公报,浙江省统计局,,2024-01-01,2026-01-01,fixture\n"
)
# 2020 energy intensity change by province, as in data/raw/energy_by_province.csv
# (the 2020 NBS table: 30 provinces, Tibet missing).
ENERGY_2020 = {
    "上海": -6.64, "云南": 2.71, "内蒙古": 6.89, "北京": -9.18, "吉林": -1.57, "四川": -1.79, "天津": -3.07,
    "宁夏": -0.16, "安徽": 2.03, "山东": -2.41, "山西": -2.88, "广东": -1.16, "广西": 1.05, "新疆": -0.70,
    "江苏": -3.10, "江西": -2.27, "河北": -3.01, "河南": 0.76, "浙江": 6.34, "海南": -3.12, "湖北": -1.17,
    "湖南": -1.98, "甘肃": -0.20, "福建": -1.83, "贵州": -2.45, "辽宁": 3.96, "重庆": -3.88, "陕西": -1.89,
    "青海": -3.47, "黑龙江": -1.70,
}
# The same 30 provinces sorted by hand, lowest (best) change first.
ENERGY_2020_ORDER = [
    "北京", "上海", "重庆", "青海", "海南", "江苏", "天津", "河北", "山西", "贵州", "山东", "江西", "湖南", "陕西",
    "福建", "四川", "黑龙江", "吉林", "湖北", "广东", "新疆", "甘肃", "宁夏", "河南", "广西", "安徽", "云南", "辽宁",
    "浙江", "内蒙古",
]
REGIONS = sorted(provinces.REGION_EN)  # the 31 provincial regions


def row(region, series, year, value, unit="%", basis="ratio", status="final", source="table_a"):
    return f"{region},{series},{year},{value},{unit},{basis},{status},{source},,\n"


@pytest.fixture
def raw(tmp_path):
    """A raw folder with the shipped series declarations and fixture province tables."""
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy(data.RAW_DIR / "series.meta.yml", folder / "series.meta.yml")
    (folder / "sources.csv").write_text(SOURCES, encoding="utf-8")

    def write(name, rows):
        (folder / name).write_text(HEADER + "".join(rows), encoding="utf-8")
        return folder

    return write


@pytest.fixture
def plan_file(tmp_path):
    """The shipped definitions plus a proxy ratio for indicator 1 and context for indicator 10."""
    doc = yaml.safe_load(DEFAULT_DEFINITIONS.read_text(encoding="utf-8"))
    for ind in doc["indicators"]:
        if ind["id"] == 1:
            ind["provinces"] = [{"series": "industry_va", "per": "gdp", "scale": 100, "unit": "%", "role": "proxy"}]
        if ind["id"] == 10:
            ind["provinces"] = [{"series": "rd_intensity_gdp", "role": "context"}]
    path = tmp_path / "plan.yml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def energy_rows(values=ENERGY_2020, year=2020, source="table_a"):
    return [row(r, "energy_per_gdp_change", year, v, basis="comparable_growth", source=source) for r, v in values.items()]


# --- Ranks ------------------------------------------------------------------------------------

def test_indicator_12_ranks_match_hand_sorted_values_lower_is_better():
    table = zjplan.compare(12)  # the shipped data
    assert list(table["region"]) == ENERGY_2020_ORDER
    assert list(table["rank"]) == list(range(1, 31))
    assert len(table) == 30 and set(table["year"]) == {2020}
    zj = table[table["home"]].iloc[0]
    assert (zj["region"], zj["rank"], zj["value"]) == ("浙江", 29, 6.34)
    assert set(table["role"]) == {"proxy"} and table.attrs["direction"] == "lower"
    assert table.attrs["series"] == "energy_per_gdp_change" and table.attrs["indicator"] == 12


# 中国科技统计年鉴, 2023, as in data/raw/st_yearbook_provinces.csv: high-tech industry revenue
# (亿元) and valid invention patents (件), every province, sorted by hand, largest first.
HITECH_REVENUE_2023_ORDER = [
    "广东", "江苏", "浙江", "四川", "山东", "福建", "上海", "河南", "北京", "江西", "重庆", "湖北", "安徽", "湖南",
    "陕西", "天津", "河北", "辽宁", "云南", "山西", "广西", "贵州", "内蒙古", "黑龙江", "吉林", "青海", "宁夏", "甘肃",
    "海南", "新疆", "西藏",
]
PATENTS_2023_ORDER = [
    "广东", "北京", "江苏", "浙江", "上海", "山东", "安徽", "湖北", "四川", "湖南", "陕西", "福建", "河南", "辽宁",
    "河北", "重庆", "天津", "黑龙江", "江西", "广西", "吉林", "山西", "云南", "贵州", "甘肃", "内蒙古", "新疆", "海南",
    "宁夏", "青海", "西藏",
]


def test_shipped_context_levels_match_hand_sorted_values():
    revenue = zjplan.compare(6)
    assert list(revenue["region"]) == HITECH_REVENUE_2023_ORDER and list(revenue["rank"]) == list(range(1, 32))
    assert revenue.attrs["year"] == 2023 and set(revenue["role"]) == {"context"} and not revenue["derived"].any()
    assert revenue.loc[revenue["home"], "value"].iloc[0] == 15358
    patents = zjplan.compare(11, series="valid_invention_patents")  # the plain count, declared second
    assert list(patents["region"]) == PATENTS_2023_ORDER and patents.attrs["series"] == "valid_invention_patents"


def test_shipped_context_ratios_match_hand_computed_values():
    margin = zjplan.compare(3)  # high-tech profit / revenue × 100, 2023
    assert len(margin) == 31 and margin["derived"].all() and margin.attrs["unit"] == "%"
    zj = margin[margin["home"]].iloc[0]
    assert zj["value"] == pytest.approx(1183 / 15358 * 100)
    # the provinces with a higher margin than Zhejiang's 7.70 %, sorted by hand
    above = ["西藏", "吉林", "新疆", "海南", "云南", "河北", "陕西", "青海", "福建", "辽宁", "贵州", "甘肃", "广东"]
    assert list(margin["region"][:13]) == above and zj["rank"] == 14
    assert dict(zip(margin["region"], margin["rank"]))["江苏"] == 20  # 2265 / 36553 = 6.20 %
    rd = zjplan.compare(10)  # high-tech R&D (万元) / revenue (亿元) × 0.01 = per cent, 2023
    zj = rd[rd["home"]].iloc[0]
    assert zj["value"] == pytest.approx(5143593 / 15358 / 100) and zj["rank"] == 12
    assert list(rd["region"][:3]) == ["湖北", "甘肃", "上海"]
    assert rd.loc[rd["region"] == "上海", "value"].iloc[0] == pytest.approx(3295519 / 8594 / 100)


def test_at_least_five_indicators_compare_thirty_provinces():
    counts = {i.id: len(provinces.comparisons(i.id)[0]) for i in zjplan.plan().indicators if provinces.comparisons(i.id)}
    assert 12 in counts and len(counts) >= 5 and min(counts.values()) >= 30
    assert set(counts) == {1, 2, 3, 6, 10, 11, 12}


def test_higher_is_better_reverses_the_order(raw):
    folder = raw("p.csv", energy_rows())
    table = zjplan.compare("energy_per_gdp_change", direction="higher", raw_folder=folder)
    assert list(table["region"]) == ENERGY_2020_ORDER[::-1]
    # a series no indicator declares is context, and higher is better unless told
    folder = raw("q.csv", [r.replace("energy_per_gdp_change", "electricity_per_gdp_change") for r in energy_rows()])
    table = zjplan.compare("electricity_per_gdp_change", raw_folder=folder)
    assert list(table["region"]) == ENERGY_2020_ORDER[::-1] and set(table["role"]) == {"context"}


def test_a_series_declared_for_an_indicator_keeps_its_direction_and_role(raw):
    folder = raw("p.csv", energy_rows())
    table = zjplan.compare("energy_per_gdp_change", raw_folder=folder)
    assert table.attrs["indicator"] == 12 and table.attrs["direction"] == "lower"
    assert table.iloc[0]["region"] == "北京" and set(table["role"]) == {"proxy"}


def test_ties_share_the_better_rank_and_skip_the_next(raw):
    values = {r: 1.0 for r in REGIONS}
    values.update({"北京": 9.0, "上海": 7.5, "浙江": 7.5, "江苏": 3.0})
    folder = raw("p.csv", [row(r, "rd_intensity_gdp", 2022, v) for r, v in values.items()])
    table = zjplan.compare("rd_intensity_gdp", raw_folder=folder)
    ranks = dict(zip(table["region"], table["rank"]))
    assert (ranks["北京"], ranks["上海"], ranks["浙江"], ranks["江苏"]) == (1, 2, 2, 4)
    assert set(table.loc[table["value"] == 1.0, "rank"]) == {5}  # 27 provinces tied after the first four
    assert list(table["region"][:3]) == ["北京", "上海", "浙江"]  # ties by name


def test_peer_flags_come_from_the_definitions_file(raw, plan_file):
    folder = raw("p.csv", energy_rows())
    table = zjplan.compare(12, raw_folder=folder, definitions=plan_file)
    assert sorted(table.loc[table["peer"], "region"]) == sorted(["江苏", "广东", "山东", "上海"])
    assert list(table.loc[table["home"], "region"]) == ["浙江"] and not table.loc[table["home"], "peer"].any()
    doc = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    doc["peers"] = ["北京", "天津"]
    other = plan_file.with_name("other_peers.yml")  # plans are cached per path
    other.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    table = zjplan.compare(12, raw_folder=folder, definitions=other)
    assert sorted(table.loc[table["peer"], "region"]) == ["北京", "天津"]


def test_default_year_is_the_latest_with_twenty_provinces(raw):
    rows = [row(r, "rd_intensity_gdp", 2021, 1 + i / 10) for i, r in enumerate(REGIONS[:20])]
    rows += [row(r, "rd_intensity_gdp", 2022, 2.0) for r in REGIONS[:19]]  # 19: not a national table
    rows += [row(r, "rd_intensity_gdp", 2019, 1.5) for r in REGIONS]
    folder = raw("p.csv", rows)
    assert zjplan.compare("rd_intensity_gdp", raw_folder=folder)["year"].iloc[0] == 2021
    assert len(zjplan.compare("rd_intensity_gdp", raw_folder=folder)) == 20
    assert len(zjplan.compare("rd_intensity_gdp", 2022, raw_folder=folder)) == 19  # asked for: given
    assert zjplan.compare("rd_intensity_gdp", as_of=2020, raw_folder=folder)["year"].iloc[0] == 2019


def test_ratio_of_two_published_series_is_derived_and_excludes_the_nation(raw, plan_file):
    rows = [row(r, "industry_va", 2023, 100 + i, unit="亿元", basis="current") for i, r in enumerate(REGIONS)]
    rows += [row(r, "gdp", 2023, 400, unit="亿元", basis="current") for r in REGIONS]
    rows += [row("全国", "industry_va", 2023, 399103, unit="亿元", basis="current"),
             row("全国", "gdp", 2023, 1260582, unit="亿元", basis="current")]
    folder = raw("p.csv", rows)
    table = zjplan.compare(1, raw_folder=folder, definitions=plan_file)
    assert len(table) == 31 and "全国" not in set(table["region"])
    assert table["derived"].all() and set(table["role"]) == {"proxy"} and table.attrs["unit"] == "%"
    last = REGIONS[-1]  # the largest numerator: 130 / 400 * 100
    assert table.iloc[0]["region"] == last and table.iloc[0]["value"] == pytest.approx(32.5)
    assert table.iloc[0]["source_ids"] == "table_a;table_a"
    assert table.attrs["national"] == pytest.approx(399103 / 1260582 * 100)
    assert zjplan.compare("industry_va/gdp", raw_folder=folder, definitions=plan_file).equals(table)


def test_one_table_compares_like_with_like(raw):
    """A province's own later figure does not replace the national table's value."""
    rows = energy_rows() + [row("浙江", "energy_per_gdp_change", 2020, -1.0, basis="comparable_growth",
                                status="revised", source="zj_own")]
    rows += [row("西藏", "energy_per_gdp_change", 2020, 0.5, basis="comparable_growth", source="zj_own")]
    folder = raw("p.csv", rows)
    table = zjplan.compare(12, raw_folder=folder)
    zj = table[table["home"]].iloc[0]
    assert zj["value"] == 6.34 and zj["source_ids"] == "table_a"
    # a province the table lacks is filled from its own figure
    assert table.loc[table["region"] == "西藏", "source_ids"].iloc[0] == "zj_own" and len(table) == 31


def test_rank_history_and_words_for_indicator_12():
    hist = provinces.rank_history(12)
    zj = hist[hist["region"] == "浙江"]
    assert list(zj[["year", "rank", "n"]].itertuples(index=False, name=None)) == [(2020, 29, 30)]
    assert set(hist["region"]) == {"浙江", "江苏", "广东", "山东", "上海"}
    text = provinces.sentence(zjplan.compare(12), "both")
    assert "浙江+6.34%，在30个省份中居第29位" in text and "rank 29 of 30 provinces" in text
    assert "上海第2" in text and "Jiangsu 6" in text
    reading = provinces.leading_reading(12, lang="both")
    assert "2020年第29/30位" in reading and "浙江未处于领先" in reading
    assert "does not lead" in reading and "no trend" in reading and "not the level" in reading
    # and Zhejiang's own figures beside the rank: the 2020 table's +6.34 and the bulletins' 规上工业 changes
    assert "浙江本身：万元地区生产总值能耗比上年升降 2020 +6.34；规模以上工业单位增加值能耗比上年升降 2024 -1.60" in reading


def test_leading_reading_sees_a_trend_over_several_years(raw):
    later = dict(ENERGY_2020, 浙江=-5.0)  # rank 3 of 30 in 2021 (after 北京 -9.18, 上海 -6.64)
    folder = raw("p.csv", energy_rows() + energy_rows(later, year=2021))
    hist = provinces.rank_history(12, raw_folder=folder)
    assert list(hist.loc[hist["region"] == "浙江", "rank"]) == [29, 3]
    reading = provinces.leading_reading(12, lang="en", raw_folder=folder)
    assert "rose by 26" in reading and "leads in some years only" in reading


# --- Errors -----------------------------------------------------------------------------------

def test_unknown_reference_is_a_key_error():
    with pytest.raises(KeyError, match="unknown indicator or series 'nonsense'"):
        zjplan.compare("nonsense")
    with pytest.raises(KeyError, match="unknown indicator or series 99"):
        zjplan.compare(99)


def test_no_provincial_data_is_a_data_error(raw, plan_file):
    with pytest.raises(DataError, match=r"indicator 4 \(mfg_va_rate\): no provincial comparison declared"):
        zjplan.compare(4)
    folder = raw("p.csv", [row(r, "rd_intensity_gdp", 2022, 2.0) for r in REGIONS[:19]])
    with pytest.raises(DataError, match="none of rd_intensity_gdp has a year with at least 20 provinces"):
        zjplan.compare(10, raw_folder=folder, definitions=plan_file)
    with pytest.raises(DataError, match="no provincial data for 12 up to 2019"):
        zjplan.compare(12, as_of=2019)
    with pytest.raises(DataError, match=r"no province has a value for 2018; years with data: \[2020\]"):
        zjplan.compare(12, 2018)


# --- Definitions ------------------------------------------------------------------------------

def _with(tmp_path, change):
    doc = yaml.safe_load(DEFAULT_DEFINITIONS.read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _set_provinces(entries, ind_id=1):
    def change(doc):
        next(i for i in doc["indicators"] if i["id"] == ind_id)["provinces"] = entries
    return change


@pytest.mark.parametrize("entries, message", [
    ([{"series": "gdp", "role": "indicator"}], r"provinces\[1\]: role 'indicator' is only for the indicator's own series"),
    ([{"series": "gdp", "role": "peer"}], r"provinces\[1\]: field 'role' must be one of"),
    ([{"series": "gdp", "per": "gdp", "role": "context"}], r"a ratio \(field 'per'\) needs its 'unit'"),
    ([{"series": "gdp", "role": "context", "scale": 100}], "field 'scale' applies to a ratio only"),
    ([{"series": "gdp", "role": "context", "colour": "red"}], r"unknown field\(s\): colour"),
    ([{"series": "gdp", "role": "context"}, {"series": "gdp", "role": "proxy"}], r"lists \['gdp'\] more than once"),
    ("gdp", "field 'provinces' must be a list"),
])
def test_bad_province_declarations_are_refused(tmp_path, entries, message):
    with pytest.raises(DefinitionError, match=r"indicator 1 \(mfg_va_share_gdp\).*" + message):
        load_definitions(_with(tmp_path, _set_provinces(entries)))


def test_the_indicators_own_derivation_may_be_called_the_indicator(tmp_path):
    entry = {"series": "mfg_va", "per": "gdp", "scale": 100, "unit": "%", "role": "indicator"}
    ind = load_definitions(_with(tmp_path, _set_provinces([entry]))).get(1)
    assert ind.provinces[0].key == "mfg_va/gdp" and ind.provinces[0].formula == "mfg_va / gdp × 100"


def test_peers_are_validated(tmp_path):
    with pytest.raises(DefinitionError, match=r"peers: lists \['江苏'\] more than once"):
        load_definitions(_with(tmp_path, lambda d: d.update(peers=["江苏", "江苏"])))
    with pytest.raises(DefinitionError, match="peers: must be a list of province names"):
        load_definitions(_with(tmp_path, lambda d: d.update(peers="江苏")))
    assert zjplan.plan().peers == ("江苏", "广东", "山东", "上海")


def test_the_shipped_comparisons_are_declared_not_coded():
    declared = {i.id: [(p.key, p.role) for p in i.provinces] for i in zjplan.plan().indicators if i.provinces}
    assert declared[12] == [("industry_energy_per_va_change", "indicator"), ("energy_per_gdp_change", "proxy")]


def test_each_declared_series_is_its_own_comparison(raw):
    """Indicator 11 declares patents per GDP, then the plain count: two tables, not one twice."""
    rows = [row(r, "valid_invention_patents", 2023, 1000 + 10 * i, unit="件", basis="count") for i, r in enumerate(REGIONS)]
    rows += [row(r, "gdp", 2023, 2000, unit="亿元", basis="current") for r in REGIONS]
    folder = raw("p.csv", rows)
    tables = provinces.comparisons(11, raw_folder=folder)
    assert [t.attrs["series"] for t in tables] == ["valid_invention_patents/gdp", "valid_invention_patents"]
    per_gdp, count = tables
    assert per_gdp["derived"].all() and not count["derived"].any()
    zj = per_gdp[per_gdp["home"]].iloc[0]
    assert zj["value"] == pytest.approx((1000 + 10 * REGIONS.index("浙江")) / 2000 * 100)
    assert per_gdp.attrs["unit"] == "件/百亿元" and count.attrs["unit"] == "件"
    assert list(per_gdp["region"]) == list(count["region"])  # one GDP for all: the same order


def test_the_brief_table_gives_zhejiangs_rank_and_the_peers():
    table = provinces.standing_table([zjplan.compare(12), zjplan.compare(6)], lang="en")
    assert list(table.columns) == ["Indicator", "Compared on", "Year", "Zhejiang", "Rank", "Peers' ranks"]
    first, second = table.to_dict("records")
    assert first["Indicator"] == "12 Energy per unit of industrial VA" and first["Rank"] == "29/30"
    assert first["Zhejiang"] == "+6.34 %" and first["Year"] == 2020
    assert first["Peers' ranks"] == "Shanghai 2, Jiangsu 6, Shandong 11, Guangdong 20"
    assert second["Rank"] == "3/31" and second["Compared on"].endswith("(context)")


def test_brief_section_is_one_escaped_page_with_the_reading():
    html = provinces.brief_section(2024, "both")
    assert html.startswith('<h2 style="page-break-before: always">浙江在全国 / Zhejiang among the provinces</h2>')
    assert html.count('src="data:image/png;base64,') == 1 and "<script" not in html
    assert "R&amp;D" in html and "「领先」的读法" in html and "29/30" in html


# --- The statistics portal's province exports (data/raw/nbs_provinces.csv) ---------------------------

def test_indicator_1_proxy_industry_share_of_gdp_2024_by_hand():
    table = zjplan.compare(1)
    assert table.attrs["year"] == 2024 and len(table) == 31 and set(table["role"]) == {"proxy"}
    # 工业增加值 / GDP × 100, 2024, sorted by hand: 山西 9732.3 / 25353.5 = 38.39 %, 内蒙古 9952.9 / 26337.0
    # = 37.79 %, 宁夏 2042.4 / 5520.2 = 37.00 %, 江苏 49299.5 / 136696.9 = 36.06 %; last 海南 925.1 / 7972.7.
    assert list(table["region"][:4]) == ["山西", "内蒙古", "宁夏", "江苏"]
    assert list(table["region"][-3:]) == ["西藏", "北京", "海南"]
    zj = table[table["home"]].iloc[0]
    assert zj["value"] == pytest.approx(30077.9 / 90007.0 * 100) and zj["rank"] == 8  # the portal's GDP, not the bulletin's 90131
    above = {"山西", "内蒙古", "宁夏", "江苏", "青海", "陕西", "广东"}  # 1352.7/3965.5, 12069.0/35437.1, 47682.6/141488.9
    assert set(table.loc[table["rank"] < 8, "region"]) == above


def test_indicator_2_context_gdp_index_2024_with_real_ties():
    table = zjplan.compare(2)
    ranks = dict(zip(table["region"], table["rank"]))
    assert table.attrs["year"] == 2024 and len(table) == 31 and set(table["role"]) == {"context"}
    # 106.5 西藏, 106.1 新疆, then 105.8 three times, 105.7 江苏, 105.6 four times, 105.5 宁夏 and 浙江
    assert (ranks["西藏"], ranks["新疆"]) == (1, 2)
    assert ranks["内蒙古"] == ranks["安徽"] == ranks["甘肃"] == 3 and ranks["江苏"] == 6
    assert ranks["四川"] == ranks["山东"] == ranks["湖北"] == ranks["重庆"] == 7
    assert ranks["宁夏"] == ranks["浙江"] == 11 and ranks["河北"] == 13 and ranks["山西"] == 31


def test_indicator_11_patents_per_gdp_2023_by_hand():
    table = zjplan.compare(11)
    assert table.attrs["series"] == "valid_invention_patents/gdp" and table.attrs["year"] == 2023 and len(table) == 31
    zj = table[table["home"]].iloc[0]
    assert zj["value"] == pytest.approx(364913 / 85619.6 * 100)  # the portal's 2023 GDP, revised after the census
    assert list(table["region"][:5]) == ["北京", "广东", "上海", "浙江", "江苏"] and zj["rank"] == 4
