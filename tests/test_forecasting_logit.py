"""Tests of the logit working scale of bounded series in zjplan.forecasting (seeded, no files needed
beyond the shipped calibration)."""
import copy
import importlib
import json

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal
import pandas as pd
import pytest
from scipy.stats import norm

zf = importlib.import_module("zjplan.forecasting")
forecast_series = zf.forecast_series

SHIPPED = json.loads(zf.CALIBRATION_FILE.read_text(encoding="utf-8"))
PRIOR = 0.2
B = (0.0, 100.0)


def _logit(p):
    return np.log(p / (1 - p))


def _hand_calibration():
    """Shipped M3 part; a bounded domain group on the logit scale whose naive scaled errors are
    normal with standard deviation h at horizon h, independent across horizons."""
    cal = copy.deepcopy(SHIPPED)
    probs = np.asarray(cal["domain"]["probs"])
    q = [(h * norm.ppf(probs)).tolist() for h in range(1, 7)]
    cal["domain"] = {"probs": probs.tolist(), "prior_scale": {"bounded": PRIOR},
                     "auto": {"bounded": {"4": "naive"}}, "median_point": {"bounded": False},
                     "logit": {"bounded": True},
                     "methods": {"bounded": {"naive": {"4": {"quantiles": q, "corr": np.eye(6).tolist()}}}}}
    return cal


@pytest.fixture
def hand(monkeypatch):
    cal = _hand_calibration()
    monkeypatch.setattr(zf, "_load_calibration", lambda *a, **k: cal)
    return cal


def _scale(y):
    x = _logit(np.asarray(y) / 100)
    k = len(x) - 1
    return (k * np.mean(np.abs(np.diff(x))) + zf.PRIOR_WEIGHT * PRIOR) / (k + zf.PRIOR_WEIGHT), x


# ---------------------------------------------------------------------------
# The map and its inverse
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("bounds, values", [((0.0, 100.0), [0.006, 0.5, 12.3, 50.0, 87.6, 99.99]),
                                            ((-5.0, 20.0), [-4.9, 0.0, 7.5, 19.0])])
def test_logit_round_trip(bounds, values):
    x = zf.to_logit(values, bounds)
    lo, hi = bounds
    assert_allclose(x, _logit((np.asarray(values) - lo) / (hi - lo)), rtol=1e-12)
    assert_allclose(zf.from_logit(x, bounds), values, rtol=1e-10)


def test_logit_values_at_or_beyond_a_bound():
    # 0 and a negative margin sit LOGIT_EPS = 1e-5 of the range inside the lower bound:
    # logit(1e-5) = ln(1e-5 / 0.99999) = -11.5129...
    x = zf.to_logit([0.0, -0.31, 100.0, 101.0], B)
    assert_allclose(x, [-11.512915464920228] * 2 + [11.512915464920228] * 2, rtol=1e-12)
    assert_allclose(zf.from_logit(x, B), [0.001, 0.001, 99.999, 99.999], rtol=1e-9)
    assert np.all(np.isfinite(zf.from_logit([-800.0, 800.0], B)))


# ---------------------------------------------------------------------------
# Forecasts on the logit scale
# ---------------------------------------------------------------------------
def test_logit_interval_hand_computed(hand):
    y = pd.Series([2.0, 2.4, 2.2, 2.6], index=range(2017, 2021))
    fc = forecast_series(y, to_year=2023, bounds=B)
    assert "logit_scale" in fc.flags and "log_scale" not in fc.flags and "median_point" not in fc.flags
    assert fc.method == "naive"
    s, x = _scale(y)
    h = np.arange(1, 4)
    lower = 100 / (1 + np.exp(-(x[-1] + s * h * norm.ppf(0.1))))
    upper = 100 / (1 + np.exp(-(x[-1] + s * h * norm.ppf(0.9))))
    assert_allclose(fc.path["mean"], 2.6, rtol=1e-12)
    assert_allclose(fc.path["lower"], lower, rtol=1e-10)
    assert_allclose(fc.path["upper"], upper, rtol=1e-10)


def test_logit_prob_meet_agrees_with_paths_and_hand_probability(hand):
    y = pd.Series([2.0, 2.4, 2.2, 2.6], index=range(2017, 2021))
    fc = forecast_series(y, to_year=2023, bounds=B, target=3.0, n_sims=20000, seed=3)
    final = fc.samples[:, -1]
    assert fc.prob_meet == np.mean(final >= 3.0)
    s, x = _scale(y)
    # Final year: x_T + 3 s Z on the logit scale, so P(Y >= 3) = 1 - Phi((logit(0.03) - x_T) / (3 s)).
    assert_allclose(fc.prob_meet, norm.sf((_logit(0.03) - x[-1]) / (3 * s)), atol=0.01)
    lower = forecast_series(y, to_year=2023, bounds=B, target=3.0, direction="lower", n_sims=20000, seed=3)
    assert lower.prob_meet == np.mean(final < 3.0)
    assert_allclose(np.quantile(final, [0.1, 0.9]), [fc.lower, fc.upper], rtol=0.02)


@pytest.mark.parametrize("y", [[97.0, 98.5, 99.6, 99.9], [0.0, 0.4, 0.9, 1.5]])
def test_logit_bounds_respected_and_values_at_a_bound(hand, y):
    fc = forecast_series(pd.Series(y, index=range(2017, 2021)), to_year=2025, bounds=B, target=99.0)
    assert np.all(np.isfinite(fc.samples))
    # Strictly inside the bounds, without clipping onto them.
    assert fc.samples.min() > 0 and fc.samples.max() < 100
    assert fc.path["lower"].min() > 0 and fc.path["upper"].max() < 100


def test_logit_interval_proportional_near_zero(hand):
    # Shares of a national total: doubling a tiny share doubles its interval.
    y = pd.Series([0.010, 0.012, 0.011, 0.013], index=range(2017, 2021))
    small = forecast_series(y, to_year=2025, bounds=B)
    large = forecast_series(2 * y, to_year=2025, bounds=B)
    assert_allclose(large.path.to_numpy() / small.path.to_numpy(), 2.0, rtol=1e-3)
    assert small.lower > 0


def test_logit_off_for_named_methods_and_explicit_scale(hand):
    y = pd.Series([20.0, 22.0, 25.0, 26.0], index=range(2017, 2021))
    assert "logit_scale" not in forecast_series(y, bounds=B, method="naive").flags
    assert "logit_scale" not in forecast_series(y, bounds=B, log=False).flags
    assert "logit_scale" not in forecast_series(y, bounds=B, calibration="m3").flags


def test_logit_switch_leaves_unbounded_series_unchanged(monkeypatch):
    y = pd.Series(100 * np.exp(np.cumsum(np.random.default_rng(7).normal(0.05, 0.04, 6))),
                  index=range(2015, 2021))
    before = forecast_series(y, to_year=2025, target=150.0)
    cal = copy.deepcopy(SHIPPED)
    cal["domain"]["logit"] = {"bounded": True}
    monkeypatch.setattr(zf, "_load_calibration", lambda *a, **k: cal)
    after = forecast_series(y, to_year=2025, target=150.0)
    assert_array_equal(after.samples, before.samples)
    assert after.flags == before.flags and after.prob_meet == before.prob_meet
    assert "logit_scale" in forecast_series(y.clip(upper=99) / 2, to_year=2025, bounds=B).flags


def test_shipped_calibration_keeps_bounded_series_linear():
    assert not zf.domain_logit("bounded") and not zf.domain_logit(None)
    y = pd.Series([20.0, 22.0, 25.0, 26.0], index=range(2017, 2021))
    assert "logit_scale" not in forecast_series(y, bounds=B).flags
