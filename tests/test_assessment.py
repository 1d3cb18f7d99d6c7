"""The progress lenses, the status and the outcome, against hand-computed values."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import zjplan
from zjplan import assessment as assess
from zjplan.assessment import AssessmentError, eurostat_category, midterm_category, progress

IND6 = zjplan.indicator(6)    # 14.0 (2019) → 19 (2025), higher is better
IND13 = zjplan.indicator(13)  # 17.87 (2019), ceiling < 20, lower is better
IND2 = zjplan.indicator(2)    # average real growth 2020-2025 ≥ 6.0


def S(d):
    return pd.Series(d, dtype=float)


# --- Eurostat thresholds: just below, at, just above ----------------------------------------

@pytest.mark.parametrize("ratio, expected", [
    (0.9501, "significant"), (0.95, "significant"), (0.9499, "moderate"),
    (0.6001, "moderate"), (0.60, "moderate"), (0.5999, "insufficient"),
    (0.0001, "insufficient"), (0.0, "insufficient"), (-0.0001, "away"),
    (None, "insufficient_data"),
])
def test_eurostat_boundaries(ratio, expected):
    assert eurostat_category(ratio, met=False) == expected


def test_eurostat_met_overrides_ratio():
    assert eurostat_category(-3.0, met=True) == "met"


@pytest.mark.parametrize("completion, elapsed, expected", [
    (0.5501, 0.5, "ahead"), (0.55, 0.5, "ahead"), (0.5499, 0.5, "on_schedule"),
    (0.4501, 0.5, "on_schedule"), (0.45, 0.5, "on_schedule"), (0.4499, 0.5, "lagging"),
    (-0.1, 0.5, "lagging"), (None, 0.5, "insufficient_data"),
])
def test_midterm_boundaries(completion, elapsed, expected):
    assert midterm_category(completion, elapsed, met=False) == expected


@pytest.mark.parametrize("prob, expected", [
    (0.6667, "on_track"), (2 / 3, "on_track"), (0.6666, "at_risk"),
    (0.3334, "at_risk"), (1 / 3, "at_risk"), (0.3333, "off_track"), (0.0, "off_track"),
])
def test_status_boundaries(prob, expected):
    fc = zjplan.forecast_series(S({2019: 14.0, 2020: 15.0, 2021: 16.0}), to_year=2025, target=19)
    assert assess.status(IND6, None, replace(fc, prob_meet=prob), outcome=None) == expected


def test_status_outcome_qualitative_and_no_forecast():
    assert assess.status(IND6, None, None, outcome=True) == "met"
    assert assess.status(IND6, None, None, outcome=False) == "missed"
    assert assess.status(IND6, None, None, outcome=None) == "insufficient_data"
    assert assess.status(zjplan.indicator(12), None, None, outcome=None) == "qualitative"


# --- Level targets by hand ------------------------------------------------------------------

def test_level_progress_by_hand():
    p = progress(S({2019: 14.0, 2022: 16.0}), IND6)
    cagr_a = (16 / 14) ** (1 / 3) - 1
    cagr_r = (19 / 14) ** (1 / 6) - 1
    assert_allclose(p.cagr_observed, cagr_a)
    assert_allclose(p.cagr_required, cagr_r)
    assert_allclose(p.eurostat_ratio, cagr_a / cagr_r)  # 0.8628: moderate
    assert p.eurostat == "moderate"
    assert_allclose([p.completion, p.elapsed], [2 / 5, 3 / 6])  # c/e = 0.8: lagging
    assert p.midterm == "lagging"
    assert_allclose(p.change_per_year_required, (19 - 16) / 3)
    assert_allclose(p.cagr_required_from_latest, (19 / 16) ** (1 / 3) - 1)
    assert_allclose(p.change_per_year_so_far, 2 / 3)


def test_value_exactly_at_target_is_met():
    p = progress(S({2019: 14.0, 2022: 19.0}), IND6)
    assert p.met_now and p.eurostat == "met" and p.midterm == "achieved"
    assert p.change_per_year_required == 0.0


def test_ceiling_already_met():
    p = progress(S({2019: 17.87, 2021: 13.3}), IND13)
    assert p.met_now and p.eurostat == "met" and p.midterm == "achieved"


def test_ceiling_broken_after_a_base_that_met_it():
    p = progress(S({2019: 17.87, 2021: 21.0}), IND13)
    assert not p.met_now
    assert (p.eurostat, p.midterm) == ("away", "lagging")
    assert "hold it" in " ".join(p.notes)
    assert p.change_per_year_required == pytest.approx((20 - 21) / 4)


def test_direction_flip_lower_is_better():
    ind = replace(IND13, target_value=15.0)  # a ceiling below the base: must fall
    p = progress(S({2019: 17.87, 2022: 16.0}), ind)
    cagr_a = (16 / 17.87) ** (1 / 3) - 1
    cagr_r = (15 / 17.87) ** (1 / 6) - 1
    assert cagr_a < 0 and cagr_r < 0
    assert_allclose(p.eurostat_ratio, cagr_a / cagr_r)  # both falling: a positive ratio
    assert p.eurostat == "significant"
    assert_allclose(p.completion, (16 - 17.87) / (15 - 17.87))
    rising = progress(S({2019: 17.87, 2022: 18.5}), ind)
    assert rising.eurostat == "away"


def test_base_missing():
    p = progress(S({2022: 16.0}), replace(IND6, baseline_value=None))
    assert (p.eurostat, p.midterm) == ("insufficient_data", "insufficient_data")
    assert "no base value for 2019" in p.notes


def test_only_the_base_known_still_shows_required_pace():
    p = progress(S({2019: 14.0}), IND6)
    assert p.eurostat == "insufficient_data"
    assert p.latest_year == 2019
    assert_allclose(p.change_per_year_required, (19 - 14) / 6)
    assert "no published figure after the base year" in p.notes


def test_as_of_truncates_and_refuses_years_before_the_base():
    p = progress(S({2019: 14.0, 2021: 15.0, 2023: 17.0}), IND6, as_of=2022)
    assert (p.latest_year, p.latest_value) == (2021, 15.0)
    with pytest.raises(AssessmentError, match=r"as_of 2017 is before the base year 2019 of indicator 6 \(hitech_mfg_share\)"):
        progress(S({2019: 14.0}), IND6, as_of=2017)
    with pytest.raises(AssessmentError, match="before the plan's base year 2019"):
        zjplan.assess(as_of=2018)


# --- Indicator 2: geometric mean ----------------------------------------------------------

def test_geometric_mean_by_hand():
    assert_allclose(assess.geometric_mean_growth([10.0, -10.0]), (np.sqrt(1.1 * 0.9) - 1) * 100)


def test_average_growth_with_negative_year():
    p = progress(S({2019: 6.6, 2020: -1.0, 2021: 3.0}), IND2)
    assert p.growth_years == (2020, 2021)
    assert_allclose(p.realised_average_growth, (np.sqrt(0.99 * 1.03) - 1) * 100)
    needed = ((1.06 ** 6 / (0.99 * 1.03)) ** (1 / 4) - 1) * 100
    assert_allclose(p.required_average_growth_remaining, needed)
    assert_allclose(p.eurostat_ratio, p.realised_average_growth / 6.0)
    assert p.eurostat == "insufficient"
    assert_allclose(p.completion, (0.99 * 1.03 - 1) / (1.06 ** 6 - 1))


def test_average_growth_gap_is_named():
    p = progress(S({2020: 5.0, 2022: 6.0}), IND2)
    assert "growth not published for [2021]" in p.notes
    assert p.required_average_growth_remaining is None


def test_average_growth_probability_uses_the_published_years():
    fc = assess.forecast(2, as_of=2024)
    assert "average_growth" in fc.flags
    assert 0.0 <= fc.prob_meet <= 1.0
    assert fc.lower <= fc.point <= fc.upper


# --- Indicator 12: no probability ----------------------------------------------------------

def test_qualitative_gets_trend_and_comparison_not_probability():
    card = zjplan.assess(as_of=2024)
    row = card.loc[12]
    assert row["status"] == "qualitative"
    assert pd.isna(row["prob_meet"]) and pd.isna(row["forecast"])
    assert "rank 29 of 30" in row["comparison"]  # 2020: +6.34 %, second-largest rise


# --- The scorecard and the outcome -----------------------------------------------------------

@pytest.mark.parametrize("as_of", range(2020, 2026))
def test_scorecard_has_sixteen_rows_every_year(as_of):
    card = zjplan.assess(as_of=as_of)
    assert list(card.index) == list(range(1, 17))
    assert set(card["status"]) <= set(assess.STATUS_LABELS)
    assert card["latest_year"].dropna().max() <= as_of


@pytest.fixture
def raw_with_2025(raw_folder):
    rows = {2020: 15.6, 2021: 16.0, 2022: 16.8, 2023: 17.5, 2024: 18.4, 2025: 19.2}
    return raw_folder(
        "source_id,title,publisher,url,published,accessed,note\n"
        "plan2020,Plan,Office,,2020-03-13,,\nb,Bulletins,Bureau,,2026-03-03,,\n",
        figures="series,year,value,unit,basis,status,source_id,quote,note\n"
        + "".join(f"hitech_mfg_va_share,{y},{v},%,ratio,final,b,,\n" for y, v in rows.items()))


def test_outcome_mode_met_and_vintages(raw_with_2025):
    card = zjplan.assess(as_of=2025, raw_folder=raw_with_2025)
    assert card.loc[6, "status"] == "met" and card.loc[6, "outcome"] == "met"
    v = assess.vintages(6, raw_folder=raw_with_2025)
    assert list(v["as_of"]) == [2020, 2021, 2022, 2023, 2024]
    assert_allclose(v["error"], v["point"] - 19.2)
    assert v["inside"].dtype == bool
    assert ((v["lower"] <= 19.2) & (19.2 <= v["upper"]) == v["inside"]).all()
    # no figure after the base (indicator 4): nothing to score
    assert assess.vintages(4).empty


@pytest.mark.parametrize("value, expected", [("18.9", "basically_met"), ("18.5", "missed")])
def test_missed_outcome(raw_with_2025, value, expected):
    # 19 − 18.9 = 0.1 < 2 % of 19 (0.38): 基本完成; 0.5 short is 未完成
    text = (raw_with_2025 / "figures.csv").read_text(encoding="utf-8").replace("2025,19.2", f"2025,{value}")
    (raw_with_2025 / "figures.csv").write_text(text, encoding="utf-8")
    assert zjplan.assess(as_of=2025, raw_folder=raw_with_2025).loc[6, "status"] == expected


def test_an_indicator_declares_which_calibration_serves_it():
    # Indicator 13 (water per unit of value added, falling by design) is forecast with the
    # M3 calibration, as its definition says; the others with the provincial one.
    ind = zjplan.indicator(13)
    assert ind.calibration == "m3" and zjplan.indicator(11).calibration == "domain"
    y = zjplan.series(13, as_of=2024)
    fc = zjplan.forecast(13, as_of=2024)
    same = zjplan.forecast_series(y, to_year=2025, target=20, direction="lower", log=assess.model_on_logs(ind),
                                  calibration="m3")
    assert fc.point == same.point and fc.prob_meet == same.prob_meet
    assert fc.point < y.iloc[-1]  # a falling intensity is not forecast to turn up
