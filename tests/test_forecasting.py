"""Tests of zjplan.forecasting on seeded synthetic series (no M3 files needed)."""
import importlib
import json
import warnings

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal
import pandas as pd
import pytest

# zjplan re-exports a function called `forecast`; import the module itself.
zf = importlib.import_module("zjplan.forecasting")
forecast_series = zf.forecast_series


DOMAIN = json.loads(zf.CALIBRATION_FILE.read_text(encoding="utf-8"))["domain"]


@pytest.fixture
def noisy():
    rng = np.random.default_rng(12345)
    values = 100 * np.exp(np.cumsum(rng.normal(0.06, 0.03, 10)))
    return pd.Series(values, index=range(2011, 2021))


@pytest.fixture
def line():
    return pd.Series(3.0 + 0.5 * np.arange(8), index=range(2013, 2021))


def test_drift_recovers_straight_line(line):
    fc = forecast_series(line, to_year=2025, method="drift")
    expected = 3.0 + 0.5 * np.arange(8, 13)
    assert_allclose(fc.path["mean"].to_numpy(), expected, rtol=1e-12)
    assert_allclose(fc.point, 3.0 + 0.5 * 12, rtol=1e-12)
    assert "log_scale" not in fc.flags


def test_drift_line_with_gaps(line):
    gappy = line.drop([2015, 2016, 2019])
    fc = forecast_series(gappy, to_year=2023, method="drift")
    assert_allclose(fc.path["mean"].to_numpy(), 3.0 + 0.5 * np.arange(8, 11), rtol=1e-12)


def test_linear_recovers_straight_line(line):
    fc = forecast_series(line, to_year=2022, method="linear")
    assert_allclose(fc.path["mean"].to_numpy(), [7.0, 7.5], rtol=1e-10)


def test_naive_returns_last_value(noisy):
    fc = forecast_series(noisy, to_year=2024, method="naive")
    assert_allclose(fc.path["mean"].to_numpy(), np.full(4, noisy.iloc[-1]), rtol=1e-12)


@pytest.mark.parametrize("method", zf.METHODS)
def test_intervals_contain_point_and_widen(noisy, method):
    fc = forecast_series(noisy, to_year=2026, method=method)
    p = fc.path
    assert (p["lower"] < p["mean"]).all() and (p["mean"] < p["upper"]).all()
    width = (p["upper"] - p["lower"]).to_numpy()
    assert np.all(np.diff(width) > 0)
    assert fc.point == p["mean"].iloc[-1] and fc.upper == p["upper"].iloc[-1]
    assert "uncalibrated" not in fc.flags


def test_higher_level_gives_wider_interval(noisy):
    narrow = forecast_series(noisy, to_year=2024, level=0.5)
    wide = forecast_series(noisy, to_year=2024, level=0.95)
    assert wide.lower < narrow.lower < narrow.upper < wide.upper


def test_gaps_are_handled_and_not_returned():
    y = pd.Series({2015: 1.0, 2017: 2.0, 2018: 3.0, 2021: 4.0})
    fc = forecast_series(y, to_year=2025)
    assert list(fc.path.index) == [2022, 2023, 2024, 2025]
    assert fc.n_obs == 4 and fc.last_year == 2021
    assert "gaps" in fc.flags
    assert np.isfinite(fc.path.to_numpy()).all()


def test_nan_values_are_gaps():
    y = pd.Series([1.0, np.nan, 3.0, 4.0, np.nan], index=range(2016, 2021))
    fc = forecast_series(y, to_year=2022)
    assert fc.n_obs == 3 and fc.last_year == 2019 and "gaps" in fc.flags
    assert list(fc.path.index) == [2020, 2021, 2022]


def test_one_point_gives_reason():
    fc = forecast_series(pd.Series({2020: 5.0}), to_year=2025, target=6)
    assert fc.point is None and fc.lower is None and fc.prob_meet is None
    assert fc.method == "none" and "no_forecast" in fc.flags
    assert fc.samples is None
    assert "one observation" in fc.reason
    assert fc.path.isna().all().all() and list(fc.path.index) == list(range(2021, 2026))
    assert fc.prob(lambda s: s[:, -1] > 0) is None


@pytest.mark.parametrize("n", [2, 3])
def test_short_series_flagged_with_wide_intervals(noisy, n):
    short = noisy.iloc[-n:]
    fc = forecast_series(short, to_year=2025)
    long = forecast_series(noisy, to_year=2025)
    assert "short_series" in fc.flags and fc.n_obs == n
    # auto takes the method the domain calibration chose for this length.
    assert fc.method == DOMAIN["auto"]["unbounded"][str(n)]
    # Relative width: a short history buys a wider range.
    assert (fc.upper - fc.lower) / fc.point > (long.upper - long.lower) / long.point


def test_percentages_stay_in_bounds():
    y = pd.Series([90.0, 94.0, 97.0, 99.0, 99.5], index=range(2016, 2021))
    fc = forecast_series(y, to_year=2025, method="drift", bounds=(0, 100), target=99)
    assert "bounded" in fc.flags and "log_scale" not in fc.flags
    values = fc.path.to_numpy()
    assert values.min() >= 0 and values.max() <= 100
    assert fc.samples.min() >= 0 and fc.samples.max() <= 100
    falling = pd.Series([8.0, 5.0, 3.0, 1.0], index=range(2017, 2021))
    fc = forecast_series(falling, to_year=2025, bounds=(0, 100))
    assert fc.path.to_numpy().min() >= 0 and fc.samples.min() >= 0


def test_deterministic(noisy):
    a = forecast_series(noisy, to_year=2025, target=250, seed=7)
    b = forecast_series(noisy, to_year=2025, target=250, seed=7)
    assert a.to_dict() == b.to_dict()
    assert_array_equal(a.samples, b.samples)
    c = forecast_series(noisy, to_year=2025, target=250, seed=8)
    assert not np.array_equal(a.samples, c.samples)
    assert_allclose(c.point, a.point)


def test_samples_match_intervals(noisy):
    fc = forecast_series(noisy, to_year=2025, n_sims=20000)
    assert fc.samples.shape == (20000, 5)
    q = np.quantile(fc.samples, [0.1, 0.9], axis=0)
    assert_allclose(q[0], fc.path["lower"], rtol=0.02)
    assert_allclose(q[1], fc.path["upper"], rtol=0.02)


def test_prob_meet_direction(noisy):
    target = forecast_series(noisy, to_year=2025).point
    hi = forecast_series(noisy, to_year=2025, target=target, direction="higher")
    lo = forecast_series(noisy, to_year=2025, target=target, direction="lower")
    assert_allclose(hi.prob_meet + lo.prob_meet, 1.0)
    assert 0.3 < hi.prob_meet < 0.7
    easy = forecast_series(noisy, to_year=2025, target=noisy.iloc[-1] / 2)
    assert easy.prob_meet > 0.95
    assert_allclose(hi.prob(lambda s: s[:, -1] >= target), hi.prob_meet)


def test_prob_rejects_bad_event(noisy):
    fc = forecast_series(noisy, to_year=2025)
    with pytest.raises(ValueError, match="one boolean per path"):
        fc.prob(lambda s: s > 0)


def test_to_dict_is_json_safe(noisy):
    d = forecast_series(noisy, to_year=2023, target=300).to_dict()
    text = json.dumps(d, allow_nan=False)
    assert "samples" not in d
    assert set(d["path"]) == {2021, 2022, 2023}
    assert set(d["path"][2023]) == {"mean", "lower", "upper"}
    # 10 points: beyond the domain's longest bucket, whose choice applies.
    assert json.loads(text)["method"] == list(DOMAIN["auto"]["unbounded"].values())[-1]


def test_tiny_fit_falls_back_with_reason():
    y = pd.Series([1.0, 1.2, 1.1, 1.4], index=range(2017, 2021))
    fc = forecast_series(y, to_year=2023, method="ets_damped")
    assert fc.method == "drift" and "fallback" in fc.flags
    assert "ets_damped needs at least 6" in fc.reason


def test_combo_is_mean_of_members(noisy):
    members = [forecast_series(noisy, to_year=2024, method=m, log=True).path["mean"]
               for m in zf.COMBO_MEMBERS]
    combo = forecast_series(noisy, to_year=2024, method="combo").path["mean"]
    assert_allclose(combo, np.exp(np.mean(np.log(members), axis=0)), rtol=1e-10)


def test_negative_values_use_original_scale():
    y = pd.Series([-2.0, 1.0, -0.5, 2.0, 3.0], index=range(2016, 2021))
    fc = forecast_series(y, to_year=2022)
    assert "log_scale" not in fc.flags and np.isfinite(fc.point)


@pytest.mark.parametrize(
    "kwargs, y, match",
    [
        ({}, pd.Series([1.0, 2.0], index=["a", "b"]), "integer years"),
        ({}, pd.Series([1.0, 2.0], index=[2019.5, 2020.5]), "integer years"),
        ({}, pd.Series([1.0, 2.0, 3.0], index=[2018, 2019, 2019]), "duplicate years"),
        ({}, pd.Series([np.nan, np.nan], index=[2019, 2020]), "no finite values"),
        ({}, pd.Series(["1", "x", "3"], index=[2018, 2019, 2020]), r"non-numeric values in years \[2019\]"),
        ({"to_year": 2020}, None, r"to_year \(2020\) must be after"),
        ({"level": 0.0}, None, "level must be in"),
        ({"level": 1.2}, None, "level must be in"),
        ({"method": "arima"}, None, "unknown method 'arima'"),
        ({"direction": "up"}, None, "unknown direction 'up'"),
        ({"bounds": (100, 0)}, None, "bounds"),
    ],
)
def test_bad_input_raises(kwargs, y, match):
    if y is None:
        y = pd.Series([1.0, 2.0, 3.0], index=[2018, 2019, 2020])
    with pytest.raises(ValueError, match=match):
        forecast_series(y, **{"to_year": 2025, **kwargs})


def test_not_a_series_raises():
    with pytest.raises(ValueError, match="pandas Series"):
        forecast_series([1.0, 2.0], to_year=2025)


def test_backtest_columns_and_rows(noisy):
    bt = zf.backtest(noisy.iloc[:6], methods=["naive", "combo"], max_horizon=2)
    assert list(bt.columns) == ["method", "origin", "horizon", "forecast", "actual", "error",
                                "inside_interval"]
    # origins after 3, 4 and 5 points; horizons 1-2 where data exist: 2 + 2 + 1 per method
    assert len(bt) == 10 and set(bt["method"]) == {"naive", "combo"}
    naive = bt[bt["method"] == "naive"]
    first = naive.iloc[0]
    assert first["forecast"] == pytest.approx(noisy.iloc[2])
    assert first["error"] == pytest.approx(first["actual"] - first["forecast"])
    assert bt["inside_interval"].dtype == bool


def test_backtest_too_short_is_empty():
    bt = zf.backtest(pd.Series([1.0, 2.0], index=[2019, 2020]))
    assert bt.empty and "inside_interval" in bt.columns


def test_backtest_unknown_method():
    with pytest.raises(ValueError, match="unknown method"):
        zf.backtest(pd.Series([1.0, 2.0, 3.0, 4.0], index=range(2017, 2021)), methods=["magic"])


def test_uncalibrated_fallback_still_works(noisy, monkeypatch):
    monkeypatch.setattr(zf, "_load_calibration", lambda: None)
    fc = forecast_series(noisy, to_year=2025)
    assert "uncalibrated" in fc.flags and fc.lower < fc.point < fc.upper


def test_long_horizon_beyond_calibration(noisy):
    fc = forecast_series(noisy, to_year=2032)
    width = (fc.path["upper"] - fc.path["lower"]).to_numpy()
    assert len(width) == 12 and np.all(np.diff(width) > 0)


@pytest.mark.parametrize("method", ["ets_damped", "theta", "auto"])
def test_no_warnings_escape(noisy, method):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n in (2, 3, 6, 10):
            forecast_series(noisy.iloc[:n], to_year=2025, method=method)


# --- Domain calibration ------------------------------------------------------------------

def _same_changes(n, changes=(0.12, 0.04)):
    """n yearly points ending in 2020 whose log changes repeat ``changes``."""
    steps = np.resize(np.asarray(changes), n - 1)
    return pd.Series(100 * np.exp(np.concatenate([[0.0], np.cumsum(steps)])), index=range(2021 - n, 2021))


@pytest.mark.parametrize("calibration", zf.CALIBRATIONS)
@pytest.mark.parametrize("n", [2, 3])
def test_short_series_wider_than_long_with_same_changes(n, calibration):
    short = forecast_series(_same_changes(n), to_year=2025, calibration=calibration)
    long = forecast_series(_same_changes(12), to_year=2025, calibration=calibration)
    rel = [(f.upper - f.lower) / f.point for f in (short, long)]
    assert rel[0] > rel[1]


def test_domain_error_table_is_the_stored_one():
    group, method = "unbounded", DOMAIN["auto"]["unbounded"]["3"]
    probs, quant, corr, calibrated = zf.error_table(method, 3, 6, group=group)
    stored = DOMAIN["methods"][group][method]["3"]
    assert calibrated and probs.tolist() == DOMAIN["probs"]
    assert_allclose(quant, stored["quantiles"])
    m3 = zf.error_table(method, 3, 6)[1]
    assert not np.allclose(quant, m3)


def test_domain_uses_its_prior_for_a_two_point_series():
    y = pd.Series([100.0, 100.0], index=[2019, 2020])  # no change: the scale is the prior's
    years, x = y.index.to_numpy(), np.log(y.to_numpy())
    prior = DOMAIN["prior_scale"]["unbounded"]
    assert zf.domain_prior("unbounded") == prior and zf.domain_prior(None) == zf.PRIOR_SCALE
    # (1 * 0 + 2 * prior) / (1 + 2)
    assert_allclose(zf.series_scale(years, x, True, prior), 2 * prior / 3)


@pytest.mark.parametrize("bounds", [None, (0, 100)])
@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_prob_meet_is_share_of_paths_beyond_target(direction, bounds):
    y = pd.Series([20.0, 22.0, 25.0, 26.0], index=range(2017, 2021))
    fc = forecast_series(y, to_year=2025, target=30.0, direction=direction, bounds=bounds)
    final = fc.samples[:, -1]
    expected = np.mean(final >= 30.0) if direction == "higher" else np.mean(final < 30.0)
    assert fc.prob_meet == expected
    assert 0 < fc.prob_meet < 1
    # The interval is the same paths' central 80 %.
    assert_allclose(np.quantile(final, [0.1, 0.9]), [fc.lower, fc.upper], rtol=0.03)


@pytest.mark.parametrize("bounds", [None, (0, 100)])
def test_domain_point_is_median_of_paths(bounds):
    group = zf.domain_group(bounds)
    y = pd.Series([40.0, 43.0, 47.0, 50.0, 52.0], index=range(2016, 2021))
    fc = forecast_series(y, to_year=2025, bounds=bounds, n_sims=20000)
    assert ("median_point" in fc.flags) == bool(DOMAIN["median_point"][group])
    assert_allclose(np.median(fc.samples, axis=0), fc.path["mean"], rtol=0.01)
    assert fc.lower < fc.point < fc.upper


def test_bounded_domain_forecast_stays_in_bounds():
    y = pd.Series([97.0, 98.5, 99.6], index=range(2018, 2021))
    fc = forecast_series(y, to_year=2025, bounds=(0, 100), target=99.0)
    assert fc.method == DOMAIN["auto"]["bounded"]["3"]
    assert fc.samples.max() <= 100 and fc.upper <= 100 and fc.path.to_numpy().max() <= 100


def test_m3_calibration_is_the_combination():
    y = _same_changes(6)
    m3 = forecast_series(y, to_year=2025, calibration="m3")
    named = forecast_series(y, to_year=2025, method="combo")
    assert m3.method == "combo" and "median_point" not in m3.flags
    assert_allclose(m3.path.to_numpy(), named.path.to_numpy())


def test_unknown_calibration_raises():
    with pytest.raises(ValueError, match="unknown calibration 'm4'"):
        forecast_series(_same_changes(4), calibration="m4")


def test_single_forecast_is_fast(noisy):
    import time

    forecast_series(noisy, to_year=2025)  # warm the calibration cache
    t0 = time.perf_counter()
    for n in (2, 3, 5, 10):
        forecast_series(noisy.iloc[-n:], to_year=2025, target=200)
    assert (time.perf_counter() - t0) / 4 < 0.5
