"""What the reader sees in the brief and on the indicator pages, checked on the text
(issue 15: signs, honest verdicts, data years, official terms, distinct marks, Chinese)."""

import re

import pandas as pd
import pytest

import zjplan
from zjplan import narrative, plots, terms


@pytest.fixture(scope="module")
def card24():
    return zjplan.assess(as_of=2024)


def test_signed_change_carries_sign_and_word():
    assert narrative.signed_change(6.34, "zh") == "+6.34%（上升）"
    assert narrative.signed_change(-1.6, "zh") == "-1.60%（下降）"
    assert narrative.signed_change(0.0, "en") == "0.00% (unchanged)"
    assert narrative.signed_change(0.5, "both") == "+0.50%（上升 / up）"


def test_indicator_12_reads_with_sign_rank_and_proxy_and_gets_a_judgement(card24):
    text = narrative.qualitative_judgement(card24.loc[12], "zh")
    assert "+6.34%（上升），居30个省份第29位" in text      # 2020, energy per unit of GDP
    assert "替代指标" in text and "判断：" in text
    assert "概率" not in text
    assert narrative.qualitative_is_negative(card24.loc[12])
    assert "单位工业增加值能耗" in narrative.summary(card24, "zh")   # among 最需关注
    assert narrative.unit_text(zjplan.indicator(12), "zh") == "%（比上年增减）"


def test_no_probability_or_firm_status_from_few_points(card24):
    few = card24[card24["status"] == "too_few_points"]
    assert len(few) and few["prob_meet"].isna().all() and few["forecast"].isna().all()
    line = narrative.one_line(card24.loc[15], "zh")
    assert "仅有2020年数据" in line and "暂难判断" in line
    assert "难以实现" not in narrative.summary(card24, "zh")
    assert narrative.one_line(card24.loc[3], "zh").count("替代指标") >= 1   # 规上工业 proxy vs 规上制造业 base


def test_header_states_the_collection_date_not_a_data_cut_off(card24):
    head = narrative.data_header(card24, 2024, "2026-11-27", "zh")
    assert "数据采集日期 2026-11-27" in head and "数据截至" not in head
    latest = narrative.latest_text(card24.loc[1], "zh")
    assert re.fullmatch(r"32\.7（2020，(快报|公报|年鉴|终核数)）", latest)
    assert "本次未采集到" in narrative.summary(card24, "zh")
    assert "无公开数据" not in narrative.summary(card24, "zh")


def test_indicator_2_shows_the_average_not_one_year(card24):
    assert narrative.latest_text(card24.loc[2], "zh").startswith("2020—2024年均7.18%")
    note = narrative.methods_note(zjplan.indicator(2), zjplan.forecast(2, as_of=2024), "zh")
    assert "单年" in note and "年均" in note


def test_labels_and_units_follow_the_computation():
    ind7 = zjplan.indicator(7)
    assert "占出口总额" in ind7.display_zh and "货物贸易" in ind7.note_zh
    assert ind7.name_zh == "高新技术产品出口额占货物贸易比重"   # the annex wording is kept
    assert narrative.value_text(zjplan.indicator(8), 91.0) == "91"
    assert narrative.value_text(zjplan.indicator(11), 130.97) == "131"
    assert narrative.value_text(zjplan.indicator(6), 18.2) == "18.2"        # the plan prints 14.0, 19
    assert narrative.value_text(zjplan.indicator(13), 13.3) == "13.30"      # the plan prints 17.87


def test_marks_are_distinct_in_the_scorecard(card24):
    html = narrative.scorecard_html(card24, "zh")
    marks = set(re.findall(r'<sup class="mark">(.)</sup>', html))
    assert marks <= {m[0] for m in terms.MARKS.values()} and {"替", "推"} <= marks
    assert "†" not in html and "代理指标" not in html
    row2 = html[html.index(">2. "):html.index(">3. ")]
    assert '<sup class="mark">替</sup>' in row2                   # 规上工业 growth stands in
    assert "完成进度" in html and "序时进度" in html


def test_each_indicator_gets_one_line_and_the_whole_plan_one_sentence(card24):
    for i, row in card24.iterrows():
        assert narrative.one_line(row, "zh").strip(), i
    overall = narrative.overall_conclusion(card24, 2024, "zh")
    assert overall.startswith("截至2024年数据") and overall.count("。") == 1


def test_reasons_are_what_the_data_show(card24):
    r16 = narrative.reasons(card24.loc[16].copy().replace({"too_few_points": "off_track"}), "zh")
    assert r16.startswith("数据可见的原因：") and "2020年" in r16 and "2019年不变价" in r16


def test_pace_chart_is_sorted(card24):
    ax = plots.pace_bars(card24, "zh")
    labels = [t.get_text().split()[0] for t in ax.get_yticklabels()]
    have = card24.dropna(subset=["completion", "elapsed"])
    ratio = (have["completion"] / have["elapsed"]).sort_values()
    assert [int(x) for x in labels] == list(ratio.index)


def test_chinese_method_note_is_chinese_with_full_width_punctuation():
    import html

    zh = html.unescape(narrative.method_note("zh", "80% intervals covered 79.2% of held-out Chinese provincial test values"))
    words = set(re.findall(r"[A-Za-z]{2,}", zh))
    assert words <= {"GDP", "CAGR", "Brier", "M3", "auto"} | {"M"}, words
    assert "M3竞赛" in zh                          # M3 explained
    assert "分省序列留出检验中，80%预测区间覆盖了79.2%的实际值" in zh and "covered" not in zh
    for ch in ",;:()":
        assert ch not in zh.replace("(x", "").replace("M3", ""), ch


def test_gap_table_shows_names_not_code_keys():
    gaps = narrative.gaps_table(2024, "zh")
    assert not gaps.astype(str).apply(lambda c: c.str.contains(r"[a-z]+_[a-z]+")).any().any()
    assert "本次未采集到的年份" in gaps.columns


def test_every_published_figure_that_bears_on_an_indicator_is_shown():
    related = narrative.related_figures(zjplan.indicator(16), 2024, lang="zh")
    growth = related[related["年份"] == 2023]
    assert len(growth) and 9.4 in set(growth["数值"])           # 亩均税收 grew 9.4 % in 2023


def test_indicator_page_headers_are_chinese():
    table = narrative.data_table(zjplan.indicator(6), 2024, lang="zh")
    assert list(table.columns)[:3] == ["数值（目标口径）", "公布值", "价格口径"] and table.index.name == "年份"


def test_readme_scorecard_is_written_by_the_code(tmp_path):
    from zjplan import cli

    readme = tmp_path / "README.md"
    start, end = cli.README_MARKERS
    readme.write_text(f"# x\n{start}\nold\n{end}\ntail\n", encoding="utf-8")
    assert cli.main(["scorecard", "--as-of", "2024", "--readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "old" not in text and "zjplan.assess(as_of=2024)" in text and text.endswith(f"{end}\ntail\n")
    assert "outcome" in text and "too_few_points" in text
    readme.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="markers .* not found"):
        cli.update_readme(readme, "x")


def test_sources_cite_the_original_first_then_the_copy_read():
    sources = narrative.sources_list(2025)
    html = narrative.sources_html(sources, "zh")
    first = sources.iloc[0]
    row = html[html.index(f"<tr><td>{first['no']}</td>"):]
    row = row[:row.index("</tr>")]
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert cells[1].startswith(narrative.esc(first["publisher"]) + "：" + narrative.esc(first["title"]))
    raw_note = zjplan.data.load_raw().sources.loc[first["source_id"], "note"]
    assert cells[2] == narrative.esc(raw_note)           # where it was read comes second
    assert "source_id" not in html and first["source_id"] not in cells[1]
