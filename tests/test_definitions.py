"""The indicator definitions against the plan's annex, and the loader's errors.

The expected numbers are typed from the annex of 浙委办发〔2020〕8号
(../shared/seed/000_23aa7289d150e731.txt), not read back from indicators.yml.
"""

import re
import textwrap
from pathlib import Path

import pytest
import yaml

import zjplan
from zjplan.definitions import DEFAULT_DEFINITIONS, DefinitionError, load_definitions

# id: (category, name_zh, unit, base year, base value, target text, target value)
ANNEX = {
    1: ("质效提升", "制造业增加值占GDP比重", "%", 2018, 34.6, "33.3以上", 33.3),
    2: ("质效提升", "规模以上制造业增加值年均增速", "%", 2019, None, "6.0", 6.0),
    3: ("质效提升", "规模以上制造业营业收入利润率", "%", 2019, 6.38, "7.0", 7.0),
    4: ("质效提升", "规模以上制造业增加值率", "%", 2019, 22.2, "24", 24),
    5: ("质效提升", "规模以上制造业全员劳动生产率", "万元/人", 2019, 23.1, "35以上", 35),
    6: ("结构优化", "高技术制造业增加值占规模以上工业比重", "%", 2019, 14.0, "19", 19),
    7: ("结构优化", "高新技术产品出口额占货物贸易比重", "%", 2019, 6.8, "8", 8),
    8: ("结构优化", "营业收入超百亿元的制造业企业数", "家", 2018, 91, "120", 120),
    9: ("动能转换", "数字经济核心产业增加值占GDP比重", "%", 2019, 10.0, "15", 15),
    10: ("动能转换", "规模以上制造业研发经费占营业收入比重", "%", 2019, 2.44, "2.5以上", 2.5),
    11: ("动能转换", "规模以上工业企业每百亿元营业收入有效发明专利数", "件", 2018, 91, "140", 140),
    12: ("绿色集约", "单位工业增加值能耗", "%", 2019, None, "保持国内领先水平", None),
    13: ("绿色集约", "单位工业增加值用水量", "立方米/万元", 2019, 17.87, "<20", 20),
    14: ("绿色集约", "工业固体废物利用处置率", "%", 2018, 92.1, "99", 99),
    15: ("绿色集约", "规模以上工业亩均增加值", "万元/亩", 2019, 122, "150", 150),
    16: ("绿色集约", "规模以上工业亩均税收", "万元/亩", 2019, 30.5, "37", 37),
}


def test_sixteen_indicators_indexed_by_id():
    table = zjplan.indicators()
    assert list(table.index) == list(range(1, 17))
    assert table.index.name == "id"


@pytest.mark.parametrize("ind_id", sorted(ANNEX))
def test_every_annex_number(ind_id):
    category, name, unit, base_year, base, text, target = ANNEX[ind_id]
    ind = zjplan.indicator(ind_id)
    assert ind.category.zh == category
    assert ind.name_zh == name
    assert ind.unit == unit
    assert ind.baseline_year == base_year
    assert ind.baseline_value == base
    assert ind.target_text == text
    assert ind.target_value == target
    assert ind.target_year == 2025


def test_reading_rules():
    # 2018 bases are the ones the annex marks **.
    assert [i for i in ANNEX if zjplan.indicator(i).baseline_year == 2018] == [1, 8, 11, 14]
    assert zjplan.indicator(1).price_basis == "current"
    assert {i for i in ANNEX if zjplan.indicator(i).price_basis == "constant_2019"} == {5, 8, 11, 13, 15, 16}
    assert zjplan.indicator(2).target_kind == "average_growth"
    assert zjplan.indicator(12).target_kind == "qualitative"
    assert zjplan.indicator(12).comparator is None
    ceiling = zjplan.indicator(13)
    assert (ceiling.target_kind, ceiling.comparator, ceiling.direction) == ("ceiling", "<", "lower")
    # A target written without 以上 is still a minimum for a higher-is-better indicator.
    assert zjplan.indicator(3).comparator == ">="
    assert zjplan.indicator(13).deflate_as == "intensity"
    assert zjplan.indicator(15).deflate_as == "amount"


def test_meets_minimum_and_ceiling():
    assert zjplan.indicator(6).meets(19.0)
    assert not zjplan.indicator(6).meets(18.99)
    assert zjplan.indicator(13).meets(19.99)
    assert not zjplan.indicator(13).meets(20.0)  # "<20" is strict
    with pytest.raises(ValueError, match="no numeric target"):
        zjplan.indicator(12).meets(1.0)


def test_lookup_by_key_and_string_id():
    assert zjplan.indicator("hitech_mfg_share").id == 6
    assert zjplan.indicator("6").key == "hitech_mfg_share"


def test_unknown_ref_lists_valid_ones():
    with pytest.raises(KeyError, match=r"unknown indicator 17.*1=mfg_va_share_gdp.*16=tax_per_mu"):
        zjplan.indicator(17)
    with pytest.raises(KeyError, match="unknown indicator 'gdp'"):
        zjplan.indicator("gdp")


# --- Schema errors ---------------------------------------------------------------------

def _write_variant(tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load(DEFAULT_DEFINITIONS.read_text(encoding="utf-8"))
    edit(doc)
    path = tmp_path / "plan.yml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _ind(doc, ind_id):
    return next(i for i in doc["indicators"] if i["id"] == ind_id)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: _ind(d, 6).pop("direction"), r"indicator 6 \(hitech_mfg_share\): missing field\(s\): direction"),
        (lambda d: _ind(d, 6).update(direction="up"), r"indicator 6 .*field 'direction' must be one of \['higher', 'lower'\], got 'up'"),
        (lambda d: _ind(d, 13).update(comparator=">="), r"indicator 13 .*a ceiling target needs comparator '<'"),
        (lambda d: _ind(d, 5).pop("deflator"), r"indicator 5 .*field 'deflator' is required"),
        (lambda d: _ind(d, 6).update(deflator="ppi"), r"indicator 6 .*only a constant_2019 indicator takes a deflator"),
        (lambda d: _ind(d, 3)["target"].update(value="7%"), r"indicator 3 .*field 'target.value' must be a number, got '7%'"),
        (lambda d: _ind(d, 3)["baseline"].update(year=19), r"indicator 3 .*field 'baseline.year' must be a year"),
        (lambda d: _ind(d, 12)["target"].update(value=1.0), r"indicator 12 .*must be null for a qualitative target"),
        (lambda d: _ind(d, 4).update(colour="red"), r"indicator 4 .*unknown field\(s\): colour"),
        (lambda d: _ind(d, 4).update(category="other"), r"indicator 4 .*field 'category' must be one of"),
        (lambda d: _ind(d, 4).update(key="Mfg VA"), r"indicator 4 .*field 'key' must be snake_case"),
        (lambda d: _ind(d, 4).update(id=3), r"duplicate indicator id\(s\): \[3\]"),
        (lambda d: d.pop("categories"), r"needs top-level sections"),
        (lambda d: _ind(d, 3).update(proxy_derive={"gdp": {"numerator": "a", "denominator": "b"}}),
         r"indicator 3 .*field 'proxy_derive' must map series keys listed in 'proxies'"),
        (lambda d: _ind(d, 3)["proxy_derive"]["above_scale_industry_profit_margin"].update(scale=0),
         r"indicator 3 .*field 'proxy_derive.above_scale_industry_profit_margin.scale' must not be 0"),
        (lambda d: _ind(d, 13).update(calibration="provincial"),
         r"indicator 13 .*field 'calibration' must be one of \['domain', 'm3'\], got 'provincial'"),
        (lambda d: _ind(d, 3)["derive"].pop("denominator"), r"indicator 3 .*field 'derive' must be \{numerator, denominator, scale\}"),
        (lambda d: _ind(d, 1).update(proxy_bounds={"gdp": "upper"}),
         r"indicator 1 .*field 'proxy_bounds' must map series keys listed in 'proxies' to one of \['upper', 'lower'\]"),
        (lambda d: _ind(d, 1).update(proxy_bounds={"industry_va_share_gdp": "above"}),
         r"indicator 1 .*field 'proxy_bounds' must map .* got \{'industry_va_share_gdp': 'above'\}"),
        (lambda d: _ind(d, 2).update(proxy_bounds={"above_scale_industry_va_growth": "upper"}),
         r"indicator 2 .*field 'proxy_bounds' needs a level or ceiling target, not 'average_growth'"),
    ],
)
def test_schema_errors_name_indicator_and_field(tmp_path, edit, message):
    path = _write_variant(tmp_path, edit)
    with pytest.raises(DefinitionError, match=message) as err:
        load_definitions(path)
    assert str(path) in str(err.value)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(DefinitionError, match="file not found"):
        load_definitions(tmp_path / "nope.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("plan: [unclosed", encoding="utf-8")
    with pytest.raises(DefinitionError, match="not valid YAML"):
        load_definitions(bad)


def test_another_plan_is_a_file_not_code(tmp_path):
    def to_2030(doc):
        doc["plan"]["target_year"] = 2030
        doc["indicators"] = [_ind(doc, 6)]
        doc["indicators"][0]["target"] = {"year": 2030, "value": 25, "text": "25"}

    plan = load_definitions(_write_variant(tmp_path, to_2030))
    assert plan.target_year == 2030
    assert plan.get("hitech_mfg_share").target_value == 25
    assert list(plan.table().index) == [6]
