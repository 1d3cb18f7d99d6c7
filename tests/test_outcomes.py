"""The final assessment: outcomes per target kind, the 「提高…个百分点」 derivation, the
status vocabulary, the few-points rule and the track record, on hand-made cases."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import zjplan
from zjplan import assessment as assess, data, narrative, terms

IND1, IND2, IND5, IND6, IND9, IND12, IND13 = (zjplan.indicator(i) for i in (1, 2, 5, 6, 9, 12, 13))


# --- Outcome per target kind ------------------------------------------------------------------

@pytest.mark.parametrize("ind, value, word, margin", [
    (IND6, 18.2, "missed", -0.8),         # minimum 19: short by 0.8 points
    (IND6, 19.0, "met", 0.0),             # exactly at a minimum is met
    (IND6, 18.7, "basically_met", -0.3),  # within 2 % of 19 (0.38)
    (IND9, 13.0, "missed", -2.0),
    (IND5, 35.0, "met", 0.0),             # 35以上: 35 itself meets it
    (IND5, 34.0, "missed", -1.0),
    (IND13, 19.9, "met", -0.1),           # ceiling <20: below it is met
    (IND13, 20.5, "missed", 0.5),         # above by 0.5 > 0.4 tolerance
    (IND13, 20.0, "basically_met", 0.0),  # the strict ceiling itself is not met
])
def test_verdict_per_target_kind(ind, value, word, margin):
    got_word, got_margin = assess.verdict(ind, value)
    assert got_word == word
    assert got_margin == pytest.approx(margin)


@pytest.mark.parametrize("ind, bound, side, expected", [
    # minimum 33.3 (indicator 1); 2 % of it is 0.666, so 基本完成 reaches down to 32.634
    (IND1, 33.07, "upper", ("not_met", -0.23)),  # x <= 33.07 < 33.3, but x may lie within 2 %
    (IND1, 32.0, "upper", ("missed", -1.3)),      # x <= 32.0: short by 1.3 or more, beyond 2 %
    (IND1, 33.3, "upper", None),                  # x <= 33.3 allows 33.3 itself: settles nothing
    (IND1, 35.1, "upper", None),
    (IND1, 33.3, "lower", ("met", 0.0)),          # x >= 33.3 meets a minimum
    (IND1, 33.0, "lower", None),
    # ceiling < 20 (indicator 13); 2 % of it is 0.4
    (IND13, 19.0, "upper", ("met", -1.0)),        # x <= 19 < 20
    (IND13, 20.0, "upper", None),                 # x <= 20 allows 19.9 and 20 alike
    (IND13, 20.0, "lower", ("not_met", 0.0)),     # x >= 20 breaks the strict ceiling, by 0 or more
    (IND13, 20.5, "lower", ("missed", 0.5)),      # over by 0.5 or more, beyond 0.4
    (IND13, 19.5, "lower", None),
])
def test_bound_verdict_settles_only_what_the_bound_decides(ind, bound, side, expected):
    got = assess.bound_verdict(ind, bound, side)
    if expected is None:
        assert got is None
    else:
        assert got[0] == expected[0] and got[1] == pytest.approx(expected[1])


def test_average_growth_outcome_is_the_geometric_mean_including_2025():
    s = pd.Series({2020: 5.4, 2021: 12.9, 2022: 4.2, 2023: 6.0, 2024: 7.5, 2025: 6.9})
    assert assess.outcome_value(IND2, s) == pytest.approx(7.1146939, abs=1e-6)
    assert assess.verdict(IND2, assess.outcome_value(IND2, s)) == ("met", pytest.approx(1.1146939, abs=1e-6))
    assert assess.outcome_value(IND2, s.drop(2025)) is None      # 2025 not out: no outcome
    assert assess.outcome_value(IND2, s.drop(2022)) is None      # a gap in the period: no outcome


def test_qualitative_target_gets_no_verdict():
    rows = pd.DataFrame(columns=data.PANEL_COLUMNS)
    out = assess.target_outcome(IND12, pd.Series({2025: 0.5}), rows, 2025)
    assert out.outcome == "qualitative" and out.value is None
    assert assess.target_outcome(IND12, pd.Series({2025: 0.5}), rows, 2024) is None  # not a final report


# --- A hand-made raw folder: bulletin 2025 then a yearbook ----------------------------------------

def _raw(tmp_path, figures: str) -> "Path":
    folder = tmp_path / "raw"
    folder.mkdir(parents=True)
    meta = (data.RAW_DIR / "series.meta.yml").read_text(encoding="utf-8")
    if "hitech_mfg_va_share_change_pp" not in meta:
        meta += ('  hitech_mfg_va_share_change_pp: {unit: 个百分点, name_zh: 高技术制造业增加值占比比上年提高, '
                 'name_en: Change of the high-tech manufacturing share}\n')
    (folder / "series.meta.yml").write_text(meta, encoding="utf-8")
    (folder / "sources.csv").write_text(
        "source_id,title,publisher,url,published,accessed,note\n"
        "plan2020,Plan,Office,,2020-03-13,,\n"
        "b,Bulletin 2025,Bureau,,2026-03-03,,\n"
        "y,Yearbook 2026,Bureau,,2026-10-01,,\n", encoding="utf-8")
    (folder / "figures.csv").write_text("series,year,value,unit,basis,status,source_id,quote,note\n" + figures,
                                        encoding="utf-8")
    return folder


BULLETIN = ("hitech_mfg_va_share,2025,18.2,%,ratio,preliminary,b,占规上工业增加值的18.2%,\n"
            "hitech_mfg_va_share_change_pp,2025,1.0,个百分点,ratio,preliminary,b,比重比上年提高1.0个百分点,\n")


def test_previous_from_change_by_hand():
    got = data.previous_from_change(pd.Series({2024: 17.5, 2025: 18.2}), pd.Series({2025: 1.0, 2023: 0.4}))
    assert got.to_dict() == {2024: pytest.approx(17.2)}   # 18.2 − 1.0; 2023's change has no level


def test_derivation_from_change_in_the_panel(tmp_path):
    folder = _raw(tmp_path, BULLETIN)
    p = zjplan.panel(raw_folder=folder)
    row = p[(p["indicator_id"] == 6) & (p["year"] == 2024)].iloc[0]
    assert row["value"] == pytest.approx(17.2)
    assert row["derived"] and not row["proxy"]
    assert row["status"] == "preliminary" and row["source_ids"] == "b"
    assert "hitech_mfg_va_share(t−1) = hitech_mfg_va_share(t) − hitech_mfg_va_share_change_pp(t) = 18.2 − 1" in row["note"]


def test_published_level_beats_the_derived_one(tmp_path):
    folder = _raw(tmp_path, BULLETIN + "hitech_mfg_va_share,2024,17.4,%,ratio,final,y,,\n")
    s = zjplan.series(6, raw_folder=folder)
    assert s[2024] == 17.4


def test_back_from_change_must_name_a_series(tmp_path):
    text = (zjplan.plan().path and open(zjplan.plan().path, encoding="utf-8").read())
    bad = text.replace("back_from_change: {change: hitech_mfg_va_share_change_pp}", "back_from_change: {level: x}")
    path = tmp_path / "defs.yml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(zjplan.DefinitionError, match=r"back_from_change' must be \{change: <series key>\}"):
        zjplan.load_definitions(path)


def test_missed_outcome_with_value_and_source(tmp_path):
    folder = _raw(tmp_path, BULLETIN)
    card = zjplan.assess(as_of=2025, raw_folder=folder)
    r = card.loc[6]
    assert (r["outcome"], r["status"], r["status_zh"]) == ("missed", "missed", "未完成")
    assert r["outcome_value"] == pytest.approx(18.2) and r["outcome_margin"] == pytest.approx(-0.8)
    assert r["outcome_figure_status"] == "preliminary" and r["outcome_source"] == "b"
    assert pd.isna(r["prob_meet"])                               # no probability once published
    assert card.loc[4, "outcome"] == "not_published"            # no 2025 figure: never met/missed
    assert card.loc[12, "outcome"] == "qualitative"
    assert zjplan.assess(as_of=2024, raw_folder=folder)["outcome"].isna().all()


def test_final_figure_supersedes_preliminary_and_both_are_kept(tmp_path):
    folder = _raw(tmp_path, BULLETIN + "hitech_mfg_va_share,2025,19.1,%,ratio,final,y,,\n")
    r = zjplan.assess(as_of=2025, raw_folder=folder).loc[6]
    assert r["outcome"] == "met" and r["outcome_value"] == pytest.approx(19.1)
    assert r["outcome_figure_status"] == "final" and r["outcome_source"] == "y"
    assert r["outcome_superseded_value"] == pytest.approx(18.2) and r["outcome_superseded"] == "missed"
    line = narrative.outcome_line(r, "zh")
    assert "19.1%" in line and "18.2" in line and "未完成" in line


def test_proxy_outcome_is_labelled(tmp_path):
    growth = {2020: 5.4, 2021: 12.9, 2022: 4.2, 2023: 6.0, 2024: 7.5, 2025: 5.0}
    folder = _raw(tmp_path, "".join(f"above_scale_industry_va_growth,{y},{v},%,comparable_growth,final,b,,\n"
                                    for y, v in growth.items()))
    r = zjplan.assess(as_of=2025, raw_folder=folder).loc[2]
    assert r["outcome"] == "met" and r["outcome_proxy"]
    assert r["outcome_value"] == pytest.approx(6.795015569, abs=1e-6)
    assert "替代指标" in narrative.outcome_line(r, "zh")


def test_an_upper_bound_is_shown_judged_and_never_taken_for_the_indicator(tmp_path):
    figures = ("gdp,2024,90007,亿元,current,final,y,,\nindustry_va,2024,30077.9,亿元,current,final,y,,\n"
               "gdp,2025,94545,亿元,current,preliminary,b,,\nindustry_va,2025,31262,亿元,current,preliminary,b,,\n")
    folder = _raw(tmp_path, figures)
    rows = zjplan.panel(raw_folder=folder)
    rows = rows[rows["indicator_id"] == 1].set_index("year")
    assert_allclose(rows.loc[[2024, 2025], "value"], [30077.9 / 90007 * 100, 31262 / 94545 * 100])
    assert (rows.loc[[2024, 2025], "bound"] == "upper").all() and rows.loc[[2024, 2025], "proxy"].all()
    assert list(zjplan.series(1, raw_folder=folder).index) == [2018]          # only the plan's base is a value
    assert "".join(data.coverage(zjplan.panel(raw_folder=folder)).loc[1, ["2024", "2025"]]) == "BB"

    r = zjplan.assess(as_of=2025, raw_folder=folder).loc[1]
    assert (r["outcome"], r["status"], r["outcome_bound"], r["outcome_source"]) == ("not_met", "not_met", "upper", "b")
    assert r["outcome_value"] == pytest.approx(33.065736, abs=1e-6)
    assert r["outcome_margin"] == pytest.approx(33.065736 - 33.3, abs=1e-6)
    assert pd.isna(r["prob_meet"])
    line = narrative.outcome_line(r, "zh")
    # one decimal more than the plan prints, rounded away from what it bounds: ≤ 33.0657 → 33.07, ≥ 0.2343 → 0.23
    assert "不高于33.07%" in line and "至少0.23个百分点" in line and "基本完成" in line
    card = zjplan.assess(as_of=2025, raw_folder=folder)
    assert "另有1项仅有2025年的上限或下限" in narrative.data_header(card, 2025, "2026-11-30", "zh")
    gaps = narrative.gaps_table(2025, "en", raw_folder=folder).set_index("Indicator")
    assert gaps.loc["1. Manufacturing value added, share of GDP", "Proxy"].endswith("(upper bound)")
    assert narrative.data_table(IND1, 2025, raw_folder=folder, lang="en").loc[2025, "kind"] == "upper bound (proxy)"
    # the year before the target: a bound above the target settles nothing, and no trend is read through it
    before = zjplan.assess(as_of=2024, raw_folder=folder).loc[1]
    assert before["outcome"] is None and before["status"] == "insufficient_data"
    assert before["judge_note_en"] == "no figure after the base year was collected"   # a bound is not a point


def test_a_bound_beyond_the_tolerance_is_missed_outright(tmp_path):
    folder = _raw(tmp_path, "gdp,2025,100,亿元,current,final,y,,\nindustry_va,2025,32,亿元,current,final,y,,\n")
    r = zjplan.assess(as_of=2025, raw_folder=folder).loc[1]
    assert (r["outcome"], r["outcome_margin"]) == ("missed", pytest.approx(-1.3))
    assert "基本完成" not in narrative.outcome_line(r, "zh")


def test_no_pace_from_here_once_a_bound_settled_the_target():
    row = zjplan.assess(as_of=2025, only={1}).loc[1]          # the shipped data: own figures 2018 and 2020
    prog = assess.progress(zjplan.series(1, as_of=2025), IND1, as_of=2025)
    assert prog.change_per_year_required is not None           # the pace the lens computes ...
    text = narrative.conclusion(IND1, prog, None, row["status"], "zh", row=row)
    assert text.startswith("未达到目标") and "此后每年需变化" not in text   # ... is not said after the end


def test_no_fan_on_the_indicator_page_once_a_bound_settled_the_target():
    from zjplan import report

    settled = report.indicator_context(1, 2025)
    assert settled.status == "not_met" and settled.forecast is None
    assert settled.result["outcome"]["bound"] == "upper"
    assert report.indicator_context(1, 2024).forecast is not None      # before the target year: the model's view


@pytest.mark.parametrize("value, up, text", [(33.0657, True, "33.07"), (33.061, True, "33.07"), (33.3, True, "33.30"),
                                             (0.2343, False, "0.23"), (0.239, False, "0.23"), (1.3, False, "1.30")])
def test_a_printed_bound_is_rounded_outward(value, up, text):
    assert narrative._outward(value, 2, up) == text


# --- Too few points: no probability, no firm status -----------------------------------------------

def test_three_points_give_no_probability_and_say_why(tmp_path):
    folder = _raw(tmp_path, "hitech_mfg_va_share,2020,15.0,%,ratio,final,y,,\nhitech_mfg_va_share,2021,16.0,%,ratio,final,y,,\n")
    r = zjplan.assess(as_of=2024, raw_folder=folder).loc[6]
    assert r["status"] == "too_few_points" and r["status_zh"] == "暂难判断"
    assert pd.isna(r["prob_meet"]) and pd.isna(r["forecast"])
    assert r["judge_note_zh"] == "基期后仅有2020、2021年数据，数据点不足4个，不足以估计趋势"
    four = _raw(tmp_path / "four", "".join(f"hitech_mfg_va_share,{y},{v},%,ratio,final,y,,\n"
                                            for y, v in {2020: 15.0, 2021: 16.0, 2022: 16.5}.items()))
    r4 = zjplan.assess(as_of=2024, raw_folder=four).loc[6]
    assert r4["judgeable"] and 0 <= r4["prob_meet"] <= 1


def test_a_proxy_on_another_scope_than_the_base_gives_no_status():
    r = zjplan.assess(as_of=2024).loc[3]   # 规上工业 7.10 (2020) joined to a 规上制造业 base 6.38
    assert r["status"] == "too_few_points" and pd.isna(r["prob_meet"])
    assert "替代指标" in r["judge_note_zh"] and "口径" in r["judge_note_zh"]


def test_met_before_the_target_year_is_achieved_early_only_with_enough_points(tmp_path):
    figures = "".join(f"industry_water_per_va,{y},{v},立方米/万元,constant_2019,final,y,,\n"
                      for y, v in {2020: 15.0, 2021: 14.0, 2022: 13.0}.items())
    folder = _raw(tmp_path, figures)
    assert zjplan.assess(as_of=2024, raw_folder=folder).loc[13, "status"] == "achieved_early"


# --- The vocabulary: one place, the official terms --------------------------------------------------

def test_status_vocabulary_has_the_official_terms():
    zh = {k: v[0] for k, v in terms.STATUS_LABELS.items()}
    assert zh["on_track"] == "进展顺利、达到序时进度"
    assert zh["at_risk"] == "完成有一定难度"
    assert zh["off_track"] == "进度滞后、完成难度较大"
    assert zh["achieved_early"] == "提前完成"
    assert zh["insufficient_data"] == "数据暂缺、暂无法评估"
    assert (zh["met"], zh["basically_met"], zh["missed"]) == ("完成", "基本完成", "未完成")
    assert terms.STATUS_LABELS["off_track"][1] == "unlikely to be met"
    assert {v[0] for v in terms.MIDTERM_LABELS.values()} >= {"快于序时进度", "符合序时进度", "滞后于序时进度"}
    assert terms.PROB_LABEL[0] == "实现概率（模型测算）"
    assert assess.STATUS_LABELS is terms.STATUS_LABELS   # re-exported, not copied
    assert "off track" not in " ".join(v[1] for v in terms.STATUS_LABELS.values())


def test_marks_are_distinct_and_use_one_term_for_proxy():
    symbols = [m[0] for m in terms.MARKS.values()]
    assert len(set(symbols)) == len(symbols)
    assert terms.MARKS["proxy"][1] == "替代指标"
    from zjplan import plots, report
    for module in (narrative, plots, assess, report, terms):
        assert "代理指标" not in Path(module.__file__).read_text(encoding="utf-8"), module.__name__


# --- Track record on a hand-made two-vintage case ------------------------------------------------------

def test_track_record_two_vintages_by_hand():
    a = pd.DataFrame({"as_of": [2023, 2024], "point": [18.0, 18.5], "lower": [17.0, 18.3], "upper": [19.0, 18.7],
                      "prob_meet": [0.3, 0.2], "judgeable": [True, False], "actual": [18.2, 18.2],
                      "met": [False, False], "error": [-0.2, 0.3], "inside": [True, False], "method": ["x", "x"]})
    tr = assess.track_record([a, pd.DataFrame(columns=assess.VINTAGE_COLUMNS)])
    assert (tr.vintages, tr.inside, tr.on_outcomes) == (2, 1, 2)  # 17 ≤ 18.2 ≤ 19, but not in 18.3–18.7
    assert tr.brier == pytest.approx(0.09) and tr.brier_n == 1  # (0.3 − 0)², the printed vintage only
    assert tr.brier_all == pytest.approx(0.065) and tr.brier_all_n == 2  # ((0.3)² + (0.2)²) / 2
    assert assess.brier_score([1.0, 0.0], [1, 0]) == 0.0
    assert assess.brier_score([np.nan], [1]) is None
    text = narrative.track_record_text(tr, "zh")
    assert "2个" in text and "1个" in text and "0.09" in text


def test_vintages_score_against_the_outcome(tmp_path):
    figures = "".join(f"hitech_mfg_va_share,{y},{v},%,ratio,final,y,,\n"
                      for y, v in {2020: 15.6, 2021: 16.0, 2022: 16.8, 2023: 17.5, 2024: 18.4, 2025: 18.2}.items())
    folder = _raw(tmp_path, figures)
    v = assess.vintages(6, raw_folder=folder)
    assert list(v["as_of"]) == [2020, 2021, 2022, 2023, 2024]
    assert (v["actual"] == 18.2).all() and not v["met"].any()
    assert list(v["judgeable"]) == [False, False, True, True, True]   # base + 2020, + 2021: too few
    assert_allclose(v["error"], v["point"] - 18.2)


def test_without_2025_the_vintages_are_scored_on_the_latest_year(tmp_path):
    figures = "".join(f"industry_water_per_va,{y},{v},立方米/万元,constant_2019,final,y,,\n"
                      for y, v in {2020: 16.0, 2021: 15.0, 2022: 14.0, 2023: 13.0}.items())
    v = assess.vintages(13, raw_folder=_raw(tmp_path, figures))
    assert list(v["as_of"]) == [2020, 2021, 2022] and (v["to_year"] == 2023).all()
    assert (v["actual"] == 13.0).all() and v["met"].isna().all() and v["prob_meet"].isna().all()
    tr = assess.track_record([v])
    assert tr.vintages == 3 and tr.on_outcomes == 0 and tr.brier is None   # no outcome, no Brier score
