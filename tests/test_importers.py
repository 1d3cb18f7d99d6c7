"""`zjplan data import nbs|bulletin`: real portal exports and the real 2025 Zhejiang bulletin.

Expected rows are typed by hand from the fixtures' text (tests/fixtures/README.md says
where each file comes from); nothing here reads them back from the YAML maps.
"""

import csv
import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from zjplan import cli, data
from zjplan.data import DataError
from zjplan.importers import SourceSpec, apply_plan, import_bulletin, import_nbs
from zjplan.importers.bulletin import expand_respectively

FIXTURES = Path(__file__).parent / "fixtures"
NBS = FIXTURES / "nbs"
ANNUAL_2023 = NBS / "nbs_annual_2023.csv"
GDP_INDEX = NBS / "nbs_gdp_index_2016_2025.csv"
CPI = NBS / "nbs_cpi_2016_2024.csv"
ZJ_HTML = FIXTURES / "bulletins" / "zj_bulletin_2025.html"
ZJ_TEXT = FIXTURES / "bulletins" / "zj_bulletin_2025.html.txt"

NEW_SOURCE = dict(title="分省年度数据", publisher="国家统计局", url="https://data.stats.gov.cn/", published="2025-09")


IMPORTED = ("bulletins.csv", "nbs_provinces.csv")  # what the shipped data/raw got from these importers


@pytest.fixture
def raw(tmp_path):
    """A copy of the shipped data/raw as it was before the imports: their files and sources removed."""
    folder = tmp_path / "raw"
    shutil.copytree(data.RAW_DIR, folder)
    cited = set()
    for name in IMPORTED:
        if (folder / name).exists():
            cited |= {r["source_id"] for r in csv.DictReader(io.StringIO((folder / name).read_text(encoding="utf-8")))}
            (folder / name).unlink()
    sources = folder / "sources.csv"
    lines = sources.read_text(encoding="utf-8").splitlines(keepends=True)
    sources.write_text("".join(l for l in lines if l.split(",", 1)[0] not in cited), encoding="utf-8")
    return folder


def source(sid="nbs_test", **kw):
    return SourceSpec(sid, **{**NEW_SOURCE, **kw})


def by_key(rows):
    return {(r["region"], r["series"], r["year"]): r for r in rows}


def snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# --- Statistics-portal exports ---------------------------------------------------------------

def test_one_year_export_gives_every_province_and_indicator(raw):
    plan = import_nbs(ANNUAL_2023, source(), raw_folder=raw)
    rows = by_key(plan.rows)
    assert len(plan.rows) == 31 * 14 and len(plan.new) == 31 * 14
    assert {r for r, _, _ in rows} == set(data_regions())
    zj = rows[("浙江", "industry_va", "2023")]
    assert (zj["value"], zj["unit"], zj["basis"], zj["status"]) == ("28844.1", "亿元", "current", "revised")
    assert zj["quote"] == "浙江省 | 工业增加值 (亿元) | 2023年: 28844.1"
    assert "fifth economic census" in zj["note"]
    assert rows[("北京", "gdp", "2023")]["value"] == "47353.7"
    assert rows[("内蒙古", "secondary_va", "2023")]["value"] == "11130.4"
    assert rows[("广西", "tertiary_va", "2023")]["value"] == "14055.1"
    assert rows[("新疆", "gdp_per_capita", "2023")]["value"] == "75616"
    assert rows[("新疆", "gdp_per_capita", "2023")]["unit"] == "元/人"


def data_regions():
    return ["北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
            "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
            "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆"]


def test_series_selects_columns_of_a_one_year_export(raw):
    plan = import_nbs(NBS / "nbs_annual_2019.csv", source(), series=["gdp", "industry_va"], raw_folder=raw)
    assert len(plan.rows) == 62
    rows = by_key(plan.rows)
    assert rows[("浙江", "industry_va", "2019")]["value"] == "22736.6"
    assert rows[("浙江", "gdp", "2019")]["value"] == "64632.0"


def test_one_indicator_export_years_as_columns_with_gaps(raw):
    plan = import_nbs(GDP_INDEX, source(), series=["gdp_index"], raw_folder=raw)
    rows = by_key(plan.rows)
    assert len(plan.rows) == 31 * 9  # the 2025 column is empty: a gap, no row
    assert not any(r["year"] == "2025" for r in plan.rows)
    assert rows[("浙江", "gdp_index", "2024")]["value"] == "105.5"
    assert rows[("湖北", "gdp_index", "2020")]["value"] == "94.6"
    assert rows[("浙江", "gdp_index", "2016")]["value"] == "107.7"
    assert rows[("浙江", "gdp_index", "2024")]["basis"] == "comparable_growth"
    assert rows[("浙江", "gdp_index", "2024")]["status"] == "revised"
    assert rows[("浙江", "gdp_index", "2024")]["quote"] == "浙江省 | 2024年: 105.5"  # the file names no indicator


def test_cpi_export_without_census_footnote_is_final(raw):
    plan = import_nbs(CPI, source(), series=["cpi_index"], raw_folder=raw)
    rows = by_key(plan.rows)
    assert len(plan.rows) == 31 * 9
    assert rows[("浙江", "cpi_index", "2024")]["value"] == "100.3"
    assert rows[("宁夏", "cpi_index", "2024")]["value"] == "99.7"
    assert {r["status"] for r in plan.rows} == {"final"}
    assert rows[("浙江", "cpi_index", "2024")]["unit"] == "上年=100"


def test_one_indicator_export_needs_series_when_unnamed(raw):
    with pytest.raises(DataError, match=r"nbs_gdp_index_2016_2025.csv: one indicator with years as columns.*no 指标： line.*--series KEY \(known: .*gdp_index"):
        import_nbs(GDP_INDEX, source(), raw_folder=raw)
    with pytest.raises(DataError, match=r"--series 'gdp_deflator' is not in nbs_indicators.yml"):
        import_nbs(GDP_INDEX, source(), series=["gdp_deflator"], raw_folder=raw)


def test_gbk_export_reads_the_same(raw, tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(ANNUAL_2023.read_text(encoding="utf-8-sig").encode("gbk"))
    assert import_nbs(gbk, source(), raw_folder=raw).rows == import_nbs(ANNUAL_2023, source(), raw_folder=raw).rows


def _xlsx_from_csv(csv_path: Path, out: Path) -> Path:
    """The portal's CSV as a workbook: text cells as text, numbers as numbers, empty cells empty."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))):
        cells = []
        for text in (t.strip() for t in row):
            try:
                cells.append(float(text))
            except ValueError:
                cells.append(text or None)
        sheet.append(cells)
    book.save(out)
    return out


def _encrypt(plain: Path, out: Path, password: str) -> Path:
    with plain.open("rb") as src, out.open("wb") as dst:
        OOXMLFile(src).encrypt(password, dst)
    return out


def test_xlsx_and_default_read_protection_read_the_same(raw, tmp_path):
    expected = {(r["region"], r["series"], r["year"]): float(r["value"]) for r in import_nbs(ANNUAL_2023, source(), raw_folder=raw).rows}
    xlsx = _xlsx_from_csv(ANNUAL_2023, tmp_path / "export.xlsx")
    locked = _encrypt(xlsx, tmp_path / "locked.xlsx", "VelvetSweatshop")
    assert locked.read_bytes()[:4] != xlsx.read_bytes()[:4]  # really an encrypted container
    for path in (xlsx, locked):
        rows = import_nbs(path, source(), raw_folder=raw).rows
        assert {(r["region"], r["series"], r["year"]): float(r["value"]) for r in rows} == expected


def test_workbook_with_a_real_password_is_refused(raw, tmp_path):
    xlsx = _xlsx_from_csv(ANNUAL_2023, tmp_path / "export.xlsx")
    locked = _encrypt(xlsx, tmp_path / "secret.xlsx", "hunter2")
    with pytest.raises(DataError, match=r"secret.xlsx: the workbook is locked with a password \(not Excel's default read protection\)"):
        import_nbs(locked, source(), raw_folder=raw)


def test_bad_cell_in_a_workbook_names_the_cell(raw, tmp_path):
    xlsx = _xlsx_from_csv(ANNUAL_2023, tmp_path / "export.xlsx")
    book = openpyxl.load_workbook(xlsx)
    book.active["G14"] = "约28844"  # 浙江省's 工业增加值
    book.save(xlsx)
    with pytest.raises(DataError, match=r"export.xlsx: cell G14: column '工业增加值 \(亿元\)': not a number: '约28844'"):
        import_nbs(xlsx, source(), raw_folder=raw)


def _edited(tmp_path, name, old, new, src=ANNUAL_2023):
    path = tmp_path / name
    text = src.read_text(encoding="utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8-sig")
    return path


@pytest.mark.parametrize("old, new, message", [
    ("地区\t,", "省份\t,", r"neither layout of a 分省年度数据 export: no header row starting with 地区"),
    ("时间：2023年", "时间：2023年第一季度", r":3: neither layout of a 分省年度数据 export: the columns are not years"),
    ("浙江省\t,85619.6", "浙江\t,abc", r":14: column '地区生产总值 \(亿元\)': not a number: 'abc'"),
    ("浙江省\t,", "浙江市\t,", r":14: column '地区': unknown region '浙江市'"),
    ("工业增加值 (亿元) ", "工业总产值 (亿元) ", r":3: indicator\(s\) not in nbs_indicators.yml: 工业总产值 \(亿元\); known: 地区生产总值\(亿元\)"),
])
def test_bad_exports_are_refused_with_file_and_line(raw, tmp_path, old, new, message):
    path = _edited(tmp_path, "bad.csv", old, new)
    with pytest.raises(DataError, match=r"bad.csv" + message if message.startswith(":") else message):
        import_nbs(path, source(), raw_folder=raw)


def test_export_without_province_rows_is_refused(raw, tmp_path):
    lines = ANNUAL_2023.read_text(encoding="utf-8-sig").splitlines()
    path = tmp_path / "empty.csv"
    path.write_text("\n".join(lines[:3] + lines[-2:]), encoding="utf-8-sig")
    with pytest.raises(DataError, match=r"empty.csv:3: no province rows below the header"):
        import_nbs(path, source(), raw_folder=raw)


def test_unknown_source_is_refused_and_named(raw):
    with pytest.raises(DataError, match=r"nbs_annual_2023.csv: unknown source 'no_such': not in .*sources.csv; add it there, or give --title, --publisher, --url, --published"):
        import_nbs(ANNUAL_2023, SourceSpec("no_such"), raw_folder=raw)
    with pytest.raises(DataError, match=r"--source 'plan2020' is already in sources.csv with other values \(title"):
        import_nbs(ANNUAL_2023, SourceSpec("plan2020", title="另一个标题"), raw_folder=raw)


def test_apply_writes_rows_and_source_then_identical_on_rerun(raw):
    before = (raw / "macro_prices.csv").read_bytes()
    plan = import_nbs(ANNUAL_2023, source(), series=["industry_va"], raw_folder=raw)
    written = apply_plan(plan, raw)
    assert sorted(p.name for p in written) == ["nbs_provinces.csv", "sources.csv"]
    assert (raw / "macro_prices.csv").read_bytes() == before  # other files untouched
    lines = (raw / "nbs_provinces.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "region,series,year,value,unit,basis,status,source_id,quote,note"
    assert len(lines) == 32
    figures = data.load_raw(raw).figures
    zj = data.select_latest(figures)
    row = zj[(zj["series"] == "industry_va") & (zj["year"] == 2023)].iloc[0]
    assert (row["value"], row["status"], row["source_id"]) == (28844.1, "revised", "nbs_test")
    again = import_nbs(ANNUAL_2023, source(), series=["industry_va"], raw_folder=raw)
    assert (len(again.new), len(again.identical), again.source_row) == (0, 31, None)


def test_conflict_refuses_the_whole_import_showing_both_values(raw):
    apply_plan(import_nbs(ANNUAL_2023, source(), series=["industry_va"], raw_folder=raw), raw)
    path = raw / "nbs_provinces.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",28844.1,", ",28000.0,"), encoding="utf-8")
    before = snapshot(raw)
    plan = import_nbs(ANNUAL_2023, source(), series=["gdp", "industry_va"], raw_folder=raw)
    assert len(plan.conflicts) == 1 and len(plan.new) == 31
    with pytest.raises(DataError, match=r"(?s)import refused, 1 row\(s\) conflict.*industry_va 浙江 2023 \(revised, nbs_test\): 28844.1 亿元 in the import, 28000 亿元 in nbs_provinces.csv:12"):
        apply_plan(plan, raw)
    assert snapshot(raw) == before


def test_failed_checks_leave_data_raw_untouched(raw, monkeypatch):
    before = snapshot(raw)
    plan = import_nbs(ANNUAL_2023, source(), series=["gdp"], raw_folder=raw)

    def failing_check(raw_folder=None, definitions=None):
        raise DataError("panel fails its sanity checks")

    monkeypatch.setattr(data, "check", failing_check)
    with pytest.raises(DataError, match="sanity checks"):
        apply_plan(plan, raw)
    assert snapshot(raw) == before


# --- Bulletins ----------------------------------------------------------------------------------

# Typed from the 2025 Zhejiang bulletin's text: series → (value, unit as printed).
ZJ_2025 = {
    "gdp": ("94545", "亿元"), "gdp_growth": ("5.5", "%"),
    "secondary_va": ("35682", "亿元"), "secondary_va_growth": ("5.1", "%"),
    "industry_va": ("31262", "亿元"), "industry_va_growth": ("6.2", "%"),
    "above_scale_industry_va_growth": ("6.9", "%"),
    "hitech_mfg_va_growth": ("12.4", "%"), "hitech_mfg_va_share": ("18.2", "%"),
    "hitech_mfg_va_share_change_pp": ("1.0", "个百分点"),
    "equipment_mfg_va_share": ("52.7", "%"), "hightech_industry_va_share": ("69.1", "%"),
    "digital_core_va": ("12268", "亿元"), "digital_core_va_growth": ("10.2", "%"),
    "digital_core_va_share_gdp": ("13.0", "%"),
    "above_scale_industry_revenue": ("121716", "亿元"), "above_scale_industry_revenue_growth": ("2.9", "%"),
    "above_scale_industry_profit": ("6263", "亿元"), "above_scale_industry_profit_growth": ("4.1", "%"),
    "ppi": ("-2.0", "%"), "ppi_purchase": ("-3.7", "%"), "cpi": ("0", "%"),
    "above_scale_industry_energy_per_va_change": ("0.5", "%"),
    "rd_intensity_gdp": ("3.3", "%"),
    "goods_trade": ("55461", "亿元"), "goods_exports": ("41849", "亿元"), "goods_imports": ("13612", "亿元"),
}


def zj_bulletin(path, raw, **kw):
    spec = SourceSpec("zj_bulletin_2025", "2025年浙江省国民经济和社会发展统计公报", "浙江省统计局、国家统计局浙江调查总队",
                      "https://tjj.zj.gov.cn/col/col1229129205/art/2026/art_724c5ad52b8c4ac89def939cb9dee18c.html", "2026-03-03")
    return import_bulletin(path, spec, 2025, raw_folder=raw, **kw)


@pytest.mark.parametrize("path", [ZJ_HTML, ZJ_TEXT])
def test_zhejiang_2025_bulletin_figures(raw, path):
    rows = {r["series"]: r for r in zj_bulletin(path, raw).rows}
    assert {k: (rows[k]["value"], rows[k]["unit"]) for k in ZJ_2025 if k in rows} == ZJ_2025
    assert {r["status"] for r in rows.values()} == {"preliminary"}
    assert {r["region"] for r in rows.values()} == {"浙江"}
    assert rows["hitech_mfg_va_share"]["quote"] == (
        "规模以上工业中，高技术制造业、装备制造业和高新技术产业增加值分别增长12.4%、10.5%和7.9%，分别占规模以上工业的"
        "18.2%、52.7%和69.1%，比重分别比上年提高1.0个百分点、3.8个百分点和0.1个百分点。")
    assert rows["ppi"]["quote"] == "工业生产者出厂价格下降2.0%，工业生产者购进价格下降3.7%。"
    assert rows["above_scale_industry_energy_per_va_change"]["quote"] == "全年规模以上工业企业能耗总量比上年增长7.4%，单位增加值能耗上升0.5%。"
    assert rows["rd_intensity_gdp"]["note"] == "printed with 预计/左右: approximate, kept as printed"
    assert rows["gdp"]["note"] == ""
    assert rows["gdp"]["quote"].endswith("2025年全省地区生产总值94545亿元，比上年增长5.5%。")  # footnote mark [2] removed
    assert (rows["hitech_mfg_va_share"]["basis"], rows["gdp"]["basis"], rows["gdp_growth"]["basis"]) == ("ratio", "current", "comparable_growth")


def test_respectively_lists_read_item_by_item():
    s = "规模以上工业中,高技术制造业、装备制造业和高新技术产业增加值分别增长12.4%、10.5%和7.9%,分别占规模以上工业的18.2%、52.7%和69.1%"
    assert expand_respectively(s) == [
        "规模以上工业中,高技术制造业增长12.4%,占规模以上工业的18.2%",
        "规模以上工业中,装备制造业增长10.5%,占规模以上工业的52.7%",
        "规模以上工业中,高新技术产业增加值增长7.9%,占规模以上工业的69.1%",
    ]
    assert expand_respectively("工业生产者出厂价格下降2.0%") == ["工业生产者出厂价格下降2.0%"]


def _bulletin(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_another_provinces_wording_jiangsu(raw, tmp_path):
    """Sentences of the 2025 Jiangsu bulletin (js-bulletin2025.html, see fixtures/README.md), as its page prints them."""
    page = _bulletin(tmp_path, "js.html", """<html><body><div id="zoom">
<p style="text-indent: 2em;">经济总量迈上新台阶。初步核算，2025年全省地区生产总值142351.5亿元，按不变价格计算，比上年增长5.3%。</p>
<p style="text-indent: 2em;">新兴产业加快发展。全年高新技术产业产值占规模以上工业比重达52.1%，比上年提高1.4个百分点；规模以上高技术制造业增加值增长11.9%，对规上工业增长的贡献率达43%。</p>
<p style="text-indent: 2em;">工业生产者价格同比下降。全年工业生产者出厂价格比上年下降2.6%，其中生产资料出厂价格下降3.0%。</p>
<p style="text-indent: 2em;">工业生产较快增长。全年规模以上工业增加值比上年增长6.5%。</p>
<p style="text-indent: 2em;">装备制造业支撑有力。全年规模以上装备制造业增加值同比增长8.8%，占规模以上工业比重56%，对规模以上工业增长的贡献率达74.6%。</p>
<p style="text-indent: 2em;">外贸规模创历史新高。全年进出口总额5.95万亿元，同比增长6%，占同期全国进出口总额的13.1%，其中出口3.96万亿元，同比增长8.4%。</p>
<p style="text-indent: 2em;">科研投入力度加大。全社会研究与试验发展（R&amp;D）活动经费支出与地区生产总值之比3.38%左右，处于创新型国家和地区中上水平。</p>
</div></body></html>""")
    spec = SourceSpec("js_bulletin_2025", "2025年江苏省国民经济和社会发展统计公报", "江苏省统计局、国家统计局江苏调查总队",
                      "http://www.jiangsu.gov.cn/art/2026/4/23/art_64797_11761592.html", "2026-04-23")
    rows = {r["series"]: r for r in import_bulletin(page, spec, 2025, region="江苏省", raw_folder=raw).rows}
    got = {k: (r["value"], r["unit"]) for k, r in rows.items()}
    assert got == {
        "gdp": ("142351.5", "亿元"), "gdp_growth": ("5.3", "%"), "above_scale_industry_va_growth": ("6.5", "%"),
        "hitech_mfg_va_growth": ("11.9", "%"), "equipment_mfg_va_growth": ("8.8", "%"),
        "equipment_mfg_va_share": ("56", "%"), "ppi": ("-2.6", "%"),
        "goods_trade": ("5.95", "万亿元"), "goods_trade_growth": ("6", "%"),
        "goods_exports": ("3.96", "万亿元"), "goods_exports_growth": ("8.4", "%"),
        "rd_intensity_gdp": ("3.38", "%"),
    }  # 高新技术产业产值 share is output, not value added: not read as hightech_industry_va_share
    assert {r["region"] for r in rows.values()} == {"江苏"}
    assert rows["rd_intensity_gdp"]["note"] == "printed with 左右: approximate, kept as printed"


def test_another_provinces_wording_chongqing(raw, tmp_path):
    """Sentences of the 2025 Chongqing bulletin's text (cq-bulletin2025.html.txt), spaces as extracted."""
    text = _bulletin(tmp_path, "cq.txt", (
        "全年规模以上工业战略性新兴产业增加值和高技术制造业增加值占规模以上工业增加值的比重分别为 36.3% 和 17.7% 。"
        "全年规模以上工业企业利润总额比上年下降 3.7% 。"
        "规模以上工业企业每百元营业收入中的成本为 86.57 元，比上年减少 0.21 元；营业收入利润率为 4.6% 。\n"
        "全年货物进出口总额 8006.78 亿元，比上年增长 12.0% 。其中，出口 5587.32 亿元，增长 10.2% ；进口 2419.46 亿元，增长 16.4% 。\n"
        "全年规模以上工业综合能源消费量比上年下降 2.9% ，其中，六大高耗能行业综合能源消费量下降 4.3% 。单位工业增加值能耗下降 8.3% 。"))
    spec = SourceSpec("cq_bulletin_2025", "2025年重庆市国民经济和社会发展统计公报", "重庆市统计局、国家统计局重庆调查总队",
                      "https://tjj.cq.gov.cn/", "2026-03-26")
    rows = {r["series"]: (r["value"], r["unit"]) for r in import_bulletin(text, spec, 2025, region="重庆", raw_folder=raw).rows}
    assert rows == {
        "hitech_mfg_va_share": ("17.7", "%"), "above_scale_industry_profit_growth": ("-3.7", "%"),
        "above_scale_industry_profit_margin": ("4.6", "%"), "industry_energy_per_va_change": ("-8.3", "%"),
        "goods_trade": ("8006.78", "亿元"), "goods_trade_growth": ("12.0", "%"),
        "goods_exports": ("5587.32", "亿元"), "goods_exports_growth": ("10.2", "%"), "goods_imports": ("2419.46", "亿元"),
    }


def test_numbers_split_by_tags_footnote_marks_full_width_and_hedges(raw, tmp_path):
    page = _bulletin(tmp_path, "b.html", (
        "<p>全年全省地区生产总值<sup>[2]</sup><span>94</span><span>545</span>亿元，比上年增长５．５％。</p>"
        "<p>全年工业生产者出厂价格比上年减少<b>1.2</b>%。全年规模以上工业增加值比上年增长约6.5%。</p>"
        "<p>数字经济核心产业增加值1.2万亿元，比上年增长10.2%，占全省地区生产总值的13.0%［3］。</p>"))
    rows = {r["series"]: r for r in zj_bulletin(page, raw).rows}
    assert (rows["gdp"]["value"], rows["gdp"]["unit"]) == ("94545", "亿元")
    assert rows["gdp_growth"]["value"] == "5.5"
    assert rows["ppi"]["value"] == "-1.2"
    assert (rows["above_scale_industry_va_growth"]["value"], rows["above_scale_industry_va_growth"]["note"]) == (
        "6.5", "printed with 约: approximate, kept as printed")
    assert (rows["digital_core_va"]["value"], rows["digital_core_va"]["unit"]) == ("1.2", "万亿元")
    assert rows["digital_core_va_share_gdp"]["value"] == "13.0"
    assert rows["gdp"]["quote"] == "全年全省地区生产总值94545亿元，比上年增长５．５％。"


def test_bulletin_without_recognised_sentence_is_refused(raw, tmp_path):
    path = _bulletin(tmp_path, "notes.txt", "今天召开了全省统计工作会议。会议总结了全年工作。\n")
    with pytest.raises(DataError, match=r"notes.txt: no sentence matched the phrase catalogue .*bulletin_phrases.yml"):
        zj_bulletin(path, raw)


def test_bulletin_needs_a_year_and_a_known_region(raw):
    spec = SourceSpec("zj_bulletin_2025")
    with pytest.raises(DataError, match=r"zj_bulletin_2025.html: --year is required"):
        import_bulletin(ZJ_HTML, spec, None, raw_folder=raw)
    with pytest.raises(DataError, match=r"--region: unknown region '浙北'"):
        import_bulletin(ZJ_HTML, spec, 2025, region="浙北", raw_folder=raw)


def test_bulletin_apply_shows_in_the_panel(raw):
    plan = zj_bulletin(ZJ_HTML, raw)
    assert plan.source_row["source_id"] == "zj_bulletin_2025" and not plan.conflicts
    apply_plan(plan, raw)
    p = data.panel(raw_folder=raw)
    six = p[(p["indicator_id"] == 6) & (p["year"] == 2025)].iloc[0]
    nine = p[(p["indicator_id"] == 9) & (p["year"] == 2025)].iloc[0]
    assert (six["value"], six["status"], six["source_ids"], bool(six["proxy"])) == (18.2, "preliminary", "zj_bulletin_2025", False)
    assert (nine["value"], nine["status"]) == (13.0, "preliminary")


def test_shipped_rows_are_what_the_importers_give():
    """data/raw/bulletins.csv and nbs_provinces.csv were written by these importers from the fixtures."""
    plans = [import_bulletin(ZJ_HTML, SourceSpec("zj_bulletin_2025"), 2025)]
    for year in range(2019, 2025):
        plans.append(import_nbs(NBS / f"nbs_annual_{year}.csv", SourceSpec(f"nbs_annual_by_province_{year}"),
                                series=["gdp", "primary_va", "secondary_va", "tertiary_va", "industry_va"]))
    plans.append(import_nbs(GDP_INDEX, SourceSpec("nbs_gdp_index_by_province"), series=["gdp_index"]))
    plans.append(import_nbs(CPI, SourceSpec("nbs_cpi_by_province"), series=["cpi_index"]))
    assert [(len(p.new), len(p.conflicts)) for p in plans] == [(0, 0)] * len(plans)
    assert sum(len(p.identical) for p in plans) == 36 + 6 * 155 + 279 + 279


# --- The command line -------------------------------------------------------------------------

def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_review_prints_rows_and_summary_and_writes_nothing(raw, capsys):
    before = snapshot(raw)
    code, out, err = run(capsys, "data", "--raw", str(raw), "import", "nbs", str(GDP_INDEX), "--series", "gdp_index",
                         "--source", "nbs_gdp_index_by_province", "--title", "地区生产总值指数", "--publisher", "国家统计局",
                         "--url", "https://data.stats.gov.cn/", "--published", "2025-09")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 279 and rows[0]["region"] == "北京"
    assert "279 candidate rows" in err and "279 new, 0 already present and identical, 0 conflicting" in err
    assert "nothing written" in err
    assert snapshot(raw) == before


def test_cli_bulletin_apply_then_build(raw, tmp_path, capsys):
    code, out, err = run(capsys, "data", "--raw", str(raw), "import", "bulletin", str(ZJ_HTML), "--year", "2025",
                         "--source", "zj_bulletin_2025", "--title", "2025年浙江省国民经济和社会发展统计公报",
                         "--publisher", "浙江省统计局、国家统计局浙江调查总队", "--url", "https://tjj.zj.gov.cn/",
                         "--published", "2026-03-03", "--apply")
    assert code == 0 and "wrote" in err and (raw / "bulletins.csv").exists()
    assert run(capsys, "data", "--raw", str(raw), "build", "--out", str(tmp_path / "out"))[0] == 0
    panel = (tmp_path / "out" / "panel.csv").read_text(encoding="utf-8")
    assert "6,hitech_mfg_share,2025,18.2," in panel


@pytest.mark.parametrize("argv, message", [
    (["bulletin", str(ZJ_HTML), "--source", "zj_bulletin_2025"], "zj_bulletin_2025.html: --year is required"),
    (["bulletin", str(ZJ_HTML), "--year", "2025", "--source", "nope"], "zj_bulletin_2025.html: unknown source 'nope'"),
    (["bulletin", str(ZJ_HTML), "--year", "2025"], "zj_bulletin_2025.html: --source is required"),
    (["nbs", str(GDP_INDEX), "--source", "nope"], "nbs_gdp_index_2016_2025.csv: one indicator with years as columns"),
])
def test_cli_errors_exit_2_with_the_file(raw, capsys, argv, message):
    code, out, err = run(capsys, "data", "--raw", str(raw), "import", *argv)
    assert code == 2
    assert message in err


def test_cli_conflict_exit_2_and_both_values(raw, capsys):
    args = ["data", "--raw", str(raw), "import", "nbs", str(ANNUAL_2023), "--series", "gdp", "--source", "nbs_t",
            "--title", "分省年度数据", "--publisher", "国家统计局", "--url", "https://data.stats.gov.cn/", "--published", "2025-09"]
    assert run(capsys, *args, "--apply")[0] == 0
    path = raw / "nbs_provinces.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",85619.6,", ",85620,"), encoding="utf-8")
    code, _, err = run(capsys, *args)
    assert code == 1 and "1 conflicting" in err and "gdp 浙江 2023 (revised, nbs_t) = 85619.6 here, 85620 亿元 in nbs_provinces.csv" in err
    code, _, err = run(capsys, *args, "--apply")
    assert code == 2 and "import refused" in err and "85619.6 亿元 in the import, 85620 亿元" in err


def test_another_provinces_wording_beijing(raw, tmp_path):
    """Sentences of the 2025 Beijing bulletin (bj-bulletin2025.html), with its footnote marks and full-width spaces."""
    page = _bulletin(tmp_path, "bj.html", """<div id="mainText">
<p>　　初步核算，全年实现地区生产总值52073.4亿元，按不变价格计算，比上年增长5.4%。其中，第一产业增加值109.2亿元，下降0.7%；第二产业增加值7187.4亿元，增长3.5%；第三产业增加值44776.9亿元，增长5.8%。</p>
<p>　　全年居民消费价格比上年下降0.1%。工业生产者出厂价格下降1.7%，工业生产者购进价格下降1.8%。</p>
<p>　　科技创新引领新质生产力发展。全社会研究与试验发展（R&amp;D）经费投入强度保持在6%左右，基础研究经费占比超过15%。加快建设全球数字经济标杆城市，全年实现数字经济增加值24166.3亿元，按现价计算，比上年增长8.7%，占全市地区生产总值的比重为46.4%；其中，数字经济核心产业增加值增长10.4%,占地区生产总值的29.3%。</p>
<p>　　全年实现工业增加值6126.5亿元，按不变价格计算，比上年增长6.4%。其中，规模以上工业[7]增加值按可比价格计算，增长6.5%；重点行业中，计算机、通信和其他电子设备制造业增长20.2%。</p>
<p>　　全市规模以上工业企业实现营业收入32909.5亿元，比上年增长5.6%；实现利润总额2056.6亿元，增长2.3%。</p>
<p>　　全年北京地区货物贸易进出口总值31929.7亿元，比上年下降11.5%。其中，出口值6286.8亿元，增长3.8%；进口值25642.9亿元，下降14.6%。</p>
</div>""")
    spec = SourceSpec("bj_bulletin_2025", "北京市2025年国民经济和社会发展统计公报", "北京市统计局、国家统计局北京调查总队",
                      "https://tjj.beijing.gov.cn/", "2026-03")
    rows = {r["series"]: r for r in import_bulletin(page, spec, 2025, region="北京市", raw_folder=raw).rows}
    assert {k: r["value"] for k, r in rows.items()} == {
        "gdp": "52073.4", "gdp_growth": "5.4", "primary_va": "109.2", "primary_va_growth": "-0.7",
        "secondary_va": "7187.4", "secondary_va_growth": "3.5", "tertiary_va": "44776.9", "tertiary_va_growth": "5.8",
        "industry_va": "6126.5", "industry_va_growth": "6.4", "above_scale_industry_va_growth": "6.5",
        "digital_core_va_growth": "10.4", "digital_core_va_share_gdp": "29.3",
        "above_scale_industry_revenue": "32909.5", "above_scale_industry_revenue_growth": "5.6",
        "above_scale_industry_profit": "2056.6", "above_scale_industry_profit_growth": "2.3",
        "ppi": "-1.7", "ppi_purchase": "-1.8", "cpi": "-0.1", "rd_intensity_gdp": "6",
        "goods_trade": "31929.7", "goods_trade_growth": "-11.5", "goods_exports": "6286.8",
        "goods_exports_growth": "3.8", "goods_imports": "25642.9",
    }
    assert rows["rd_intensity_gdp"]["note"] == "printed with 左右: approximate, kept as printed"
    assert rows["above_scale_industry_va_growth"]["quote"] == "其中，规模以上工业增加值按可比价格计算，增长6.5%；重点行业中，计算机、通信和其他电子设备制造业增长20.2%。"
