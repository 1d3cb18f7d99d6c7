r"""
Forecasts of short annual indicator series with calibrated prediction ranges.

An indicator of ``zjplan`` has a handful of annual points (often 2-10, with
gaps) and needs a value for a target year together with an honest range and,
when a target is set, the probability of meeting it. The engine follows what
the forecasting competitions found on yearly data:

* simple extrapolations are hard to beat, and a combination of simple methods
  beat the individual methods on the yearly M3 and M4 series;
* analytic prediction intervals of fitted models are much too narrow, because
  they ignore parameter, model and structural uncertainty.

Point forecasts come from six base methods: the naive forecast, the random
walk with drift, the random walk with a damped drift (Gardner & McKenzie's
damped trend with fixed parameters), the least-squares linear trend, the Theta
method (simple exponential smoothing plus half the slope of the linear trend)
and exponential smoothing with an additive damped trend, ETS(A,Ad,N), fitted
by statsmodels. ``"combo"`` averages Theta, damped drift and naive: on the
yearly M3 series it was the most accurate method on the test years and at or
near the best at every series length from 2 to 40 points (see
``benchmarks/results/m3_yearly.md``); ``"auto"`` uses it with the M3
calibration. For positive series
without bounds, the methods that were more accurate on logs on M3 (naive,
damped drift, Theta, combo) work on logs, which also keeps amounts positive;
drift, linear trend and ETS stay on the original scale, where a straight line
stays straight.

Intervals are not analytic. For every method and series length the
distribution of out-of-sample forecast errors, scaled by the mean absolute
one-step change of the fitting window (:func:`series_scale`), is stored per
horizon as empirical quantiles (``forecasting_calibration.json``). A
forecast's interval is the point forecast plus the series' scale times those
quantiles; sample paths draw the scaled errors from the same quantiles,
joined across horizons by a Gaussian copula with the correlation of the
calibration errors, so ``prob_meet`` (the share of paths beyond the target)
and the probabilities of derived events agree with the intervals.

Two calibrations are stored. The M3 tables (``benchmarks/m3_yearly.py
--calibrate``) come from the 430 yearly M3 development series; with them
(``calibration="m3"``) ``auto`` is ``combo``. The domain tables
(``benchmarks/cn_provinces.py --calibrate``, the default for ``auto``) come
from Chinese provincial series of the S&T statistical yearbook, 2010-2023 --
the plan's own kind of data, with 2-8 points, persistent growth and shocks
shared by all provinces -- fitted on a tuning half of the provinces only.
They hold, per group the engine can see (bounded, i.e. percentages of a
whole, or not: :func:`domain_group`) and per length bucket: the method
``auto`` uses (the group's most accurate method on the tuning windows unless
another is at least 5 % better in that bucket: naive for percentages; for
amounts naive with two points and the damped drift from three), a volatility
prior for short series fitted to the domain (median yearly log change 0.16
for amounts against 0.08 on M3), the error quantiles by horizon, and whether
the point is moved to the median of the calibrated paths (it was more
accurate on the tuning windows in both groups: the damped drift leaves out
part of the domain's persistent growth). The domain calibration may also put
the bounded group on a logit working scale (:func:`to_logit`: fit, scale,
calibrate and simulate on the logit of the value's place between the
bounds, then map back, as amounts work on logs); the shipped one does not.
Compared by inner cross-validation on the tuning provinces
(``benchmarks/results/cn_provinces_selection.md``), the logit variants were
more accurate on percentages on average (sMAPE gap to the best peer -1.7 to
-1.9 against -1.2 over the six kind x regime cells) but their 80 % intervals
were further from 80 % in every percentage cell (mean distance 5.8-6.3
points against 3.9), so they were not chosen and not scored on the checking
half. Last, each group's quantiles are stretched about their median by the
smallest factor that gives the calibration windows 80 % coverage when each
tuning province is scored against the quantiles of the others (1.05 for
percentages, 1.04 for amounts): quantiles fitted on a few provinces cover a
new province less often than they say, because errors are alike within a
province (the cluster analogue of the cross-validation intervals of Barber
et al., 2021). Chosen the same way, by inner cross-validation (mean coverage
distance 3.31 against 3.87 without it).

Measured on series never used for tuning (``benchmarks/results/``). On the
checking half of the provinces, fitting up to 2014 or 2017 and forecasting
up to 6 years: sMAPE 34.1 (all history) and 34.0 (last 3 points) for amounts
against 43.6 and 44.5 for the best peer (statsmodels damped ETS, Theta);
for percentages at or below the naive forecast except shares with all
history (22.7 against 22.1); 80 % intervals hold 79.1 % and 80.3 % of the
amounts, 89.3 %/82.9 % of ratios and 74.8 %/79.4 % of shares; ``prob_meet``
for plan-like targets has an expected calibration error of 0.039 (all
history) and 0.047 (last 3 points); the same cases with the M3
calibration are in the report for comparison. Those checking provinces
also judged four design choices (see the report), so they flatter; with
the halves swapped (``--swap``: fitted on them, scored on the tuning
provinces) the 80 % intervals hold 71-79 % (too narrow), percentages are a
little less accurate than the naive forecast, amounts still far more
accurate than every peer, and the calibration error of ``prob_meet`` is
0.029 and 0.022. On M3 yearly (M3 tables, cross-fitted) ``auto`` ranks first by
sMAPE (16.20) among the 22 original methods, with MASE 2.65 against NAIVE2's
3.07 and 79.2 % coverage of its 80 % intervals.

References
----------
Makridakis, S., & Hibon, M. (2000). The M3-Competition: results, conclusions
and implications. International Journal of Forecasting, 16(4), 451-476.

Assimakopoulos, V., & Nikolopoulos, K. (2000). The theta model: a
decomposition approach to forecasting. International Journal of Forecasting,
16(4), 521-530.

Hyndman, R. J., & Billah, B. (2003). Unmasking the Theta method.
International Journal of Forecasting, 19(2), 287-290.

Gardner, E. S., & McKenzie, E. (1985). Forecasting trends in time series.
Management Science, 31(10), 1237-1246.

Hyndman, R. J., Koehler, A. B., Ord, J. K., & Snyder, R. D. (2008).
Forecasting with Exponential Smoothing: The State Space Approach. Springer.

Hyndman, R. J., & Koehler, A. B. (2006). Another look at measures of
forecast accuracy. International Journal of Forecasting, 22(4), 679-688.

Barber, R. F., Candes, E. J., Ramdas, A., & Tibshirani, R. J. (2021).
Predictive inference with the jackknife+. The Annals of Statistics, 49(1),
486-507.

Brier, G. W. (1950). Verification of forecasts expressed in terms of
probability. Monthly Weather Review, 78(1), 1-3.

Naeini, M. P., Cooper, G., & Hauskrecht, M. (2015). Obtaining well
calibrated probabilities using Bayesian binning. Proceedings of AAAI, 29(1).

Makridakis, S., Spiliotis, E., & Assimakopoulos, V. (2020). The M4
Competition: 100,000 time series and 61 forecasting methods. International
Journal of Forecasting, 36(1), 54-74.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import functools
import json
import math
from pathlib import Path
import warnings

import numpy as np
import pandas as pd
from scipy.special import expit, logit, ndtr, ndtri  # lighter than scipy.stats: every notebook imports this

__all__ = ["METHODS", "Forecast", "forecast_series", "backtest"]

#: Names accepted by the ``method`` argument of :func:`forecast_series`.
METHODS: tuple[str, ...] = (
    "naive",
    "drift",
    "drift_damped",
    "ets_damped",
    "theta",
    "linear",
    "combo",
    "auto",
)
#: Methods that own a calibration table (``auto`` resolves to one of them).
BASE_METHODS: tuple[str, ...] = METHODS[:-1]
#: Members of ``combo``; chosen on the M3 yearly benchmark.
COMBO_MEMBERS: tuple[str, ...] = ("theta", "drift_damped", "naive")
#: Damping factor of ``drift_damped``; chosen on the M3 yearly benchmark.
DAMPING = 0.8
#: Whether a method works on logs of a positive, unbounded series. Chosen on
#: the M3 yearly benchmark, which scores both scales: compounding a drift or a
#: straight line on logs over-extrapolates, fading trends on logs do best.
PREFERS_LOG = {"naive": True, "drift": False, "drift_damped": True, "ets_damped": False,
               "theta": True, "linear": False, "combo": True}
#: Fewest observations each method needs before it falls back to drift.
MIN_OBS = {"naive": 1, "drift": 2, "drift_damped": 2, "linear": 2, "theta": 4, "ets_damped": 6}
#: Series with at most this many observations are flagged ``short_series``.
SHORT_SERIES = 3
N_SIMS = 5000
#: Prior of the error scale (median mean absolute yearly log change on M3)
#: and its weight in pseudo-differences; see :func:`series_scale`. The
#: domain calibration carries its own prior per group.
PRIOR_SCALE = 0.08
PRIOR_WEIGHT = 2.0
CALIBRATION_FILE = Path(__file__).with_name("forecasting_calibration.json")
#: Calibrations accepted by ``forecast_series``: the Chinese provincial domain
#: tables (default; M3 tables where the domain has none) or the M3 tables only.
CALIBRATIONS: tuple[str, ...] = ("domain", "m3")
#: Share of the bounded range kept between a value and a bound on the logit
#: working scale (:func:`to_logit`): 1e-5 of (0, 100) is 0.001 percentage
#: points, a tenth of the finest rounding of published percentages (0.01), so
#: every positive published value stays itself and only a value at or beyond
#: a bound (e.g. exactly 0) is moved.
LOGIT_EPS = 1e-5

_DIRECTIONS = ("higher", "lower")


# ---------------------------------------------------------------------------
# Result container
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Forecast:
    """
    Forecast of one annual series for a target year.

    Attributes
    ----------
    point, lower, upper : float or None
        Point forecast and the bounds of the central ``level`` interval for
        ``to_year``; None when no forecast could be made.
    level : float
        Coverage probability of the interval.
    method : str
        Method that produced the forecast (``auto`` resolved), or ``"none"``.
    n_obs : int
        Number of observed (non-missing) values used.
    last_year : int or None
        Last observed year.
    to_year : int
        Target year.
    target : float or None
        Target value, if any.
    direction : {"higher", "lower"}
        Whether higher or lower values are better.
    prob_meet : float or None
        P(Y >= target) for ``"higher"``, P(Y < target) for ``"lower"``.
    path : pandas.DataFrame
        Index: every year from ``last_year + 1`` to ``to_year``; columns
        ``mean`` (point forecast), ``lower``, ``upper``.
    flags : tuple of str
        Qualifiers such as ``short_series``, ``gaps``, ``bounded``,
        ``log_scale``, ``logit_scale``, ``median_point``, ``fallback``,
        ``uncalibrated``, ``no_forecast``.
    reason : str or None
        Plain-English reason for a missing forecast or a fallback.
    samples : numpy.ndarray or None
        Calibrated simulated paths, shape ``(n_sims, horizon)``; column ``j``
        is year ``last_year + 1 + j``. Not part of :meth:`to_dict`.
    """

    point: float | None
    lower: float | None
    upper: float | None
    level: float
    method: str
    n_obs: int
    last_year: int | None
    to_year: int
    target: float | None
    direction: str
    prob_meet: float | None
    path: pd.DataFrame
    flags: tuple[str, ...] = ()
    reason: str | None = None
    samples: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """
        JSON-safe dictionary of the forecast (samples excluded).

        Returns
        -------
        dict
            Floats, ints, strings and lists only; NaN becomes None and the
            path becomes ``{year: {"mean", "lower", "upper"}}``.
        """
        path = {
            int(year): {col: _json_float(row[col]) for col in ("mean", "lower", "upper")}
            for year, row in self.path.iterrows()
        }
        return {
            "point": _json_float(self.point),
            "lower": _json_float(self.lower),
            "upper": _json_float(self.upper),
            "level": float(self.level),
            "method": self.method,
            "n_obs": int(self.n_obs),
            "last_year": None if self.last_year is None else int(self.last_year),
            "to_year": int(self.to_year),
            "target": _json_float(self.target),
            "direction": self.direction,
            "prob_meet": _json_float(self.prob_meet),
            "path": path,
            "flags": list(self.flags),
            "reason": self.reason,
        }

    def prob(self, event: Callable[[np.ndarray], np.ndarray]) -> float | None:
        """
        Probability of an event defined on the simulated paths.

        Parameters
        ----------
        event : callable
            Maps the ``(n_sims, horizon)`` sample array to a boolean array
            of length ``n_sims``.

        Returns
        -------
        float or None
            Share of paths for which the event holds; None without samples.
        """
        if self.samples is None:
            return None
        hits = np.asarray(event(self.samples), dtype=bool)
        if hits.shape != (self.samples.shape[0],):
            raise ValueError(
                f"event must return one boolean per path, shape "
                f"({self.samples.shape[0]},), got {hits.shape}"
            )
        return float(hits.mean())


def _json_float(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# ---------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------
def _clean_series(y) -> pd.Series:
    """Validate an annual series and return its observed values, sorted."""
    if not isinstance(y, pd.Series):
        raise ValueError(f"y must be a pandas Series indexed by year, got {type(y).__name__}")
    index = y.index
    if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)) or pd.api.types.is_timedelta64_dtype(index.dtype):
        # as floats these would be nanoseconds, not years
        raise ValueError(f"y must be indexed by integer years, got a {type(index).__name__}; use y.index.year")
    if not (pd.api.types.is_integer_dtype(index.dtype) or len(index) == 0):
        # Whole-number floats (e.g. 2015.0) are accepted, anything else not.
        try:
            as_float = np.asarray(index, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                f"y must be indexed by integer years, got index of dtype {index.dtype}"
            ) from None
        if not np.all(np.isfinite(as_float)) or np.any(as_float != np.round(as_float)):
            raise ValueError(
                f"y must be indexed by integer years, got non-integer values in index of "
                f"dtype {index.dtype}"
            )
    if index.has_duplicates:
        dups = sorted({int(v) for v in index[index.duplicated()]})
        raise ValueError(f"y has duplicate years: {dups}")
    given = pd.Series(np.asarray(y), index=np.asarray(index, dtype=np.int64))
    values = pd.to_numeric(given, errors="coerce").astype(float)
    bad = values.isna() & given.notna()
    if bad.any():
        raise ValueError(f"y has non-numeric values in years {list(values.index[bad])}")
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        raise ValueError(f"y has infinite values in years {list(values.index[infinite])}")
    values = values.dropna().sort_index()
    if values.empty:
        raise ValueError("y has no finite values (all NaN or empty)")
    return values


def _check_args(to_year, level, method, direction, bounds, last_year, target=None):
    if target is not None and (isinstance(target, bool) or not isinstance(target, (int, float, np.number))
                               or not np.isfinite(target)):
        raise ValueError(f"target must be a finite number or None, got {target!r}")
    if not (0 < level < 1):
        raise ValueError(f"level must be in (0, 1), got {level}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    if direction not in _DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}; expected 'higher' or 'lower'")
    if int(to_year) != to_year:
        raise ValueError(f"to_year must be an integer year, got {to_year}")
    if to_year <= last_year:
        raise ValueError(f"to_year ({to_year}) must be after the last observed year ({last_year})")
    if bounds is not None:
        lo, hi = bounds
        if not lo < hi:
            raise ValueError(f"bounds must be (lo, hi) with lo < hi, got {bounds}")


# ---------------------------------------------------------------------------
# Point forecasts on the working scale
# ---------------------------------------------------------------------------
def _regular_grid(years: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Values on every year from first to last, gaps linearly interpolated.

    Only used to fit the methods that need equally spaced data; the
    interpolated values are never returned as data.
    """
    grid = np.arange(years[0], years[-1] + 1)
    return np.interp(grid, years, x)


def _ses_level(x: np.ndarray) -> tuple[float, float]:
    r"""Simple exponential smoothing fitted by least squares.

    Returns the final level :math:`\ell_T` and :math:`\alpha`. The level
    starts at :math:`x_1`; :math:`\alpha \in [0.01, 1]` minimises the sum of
    squared one-step errors, first on a grid (evaluated for all candidates at
    once, so a ragged likelihood cannot trap it) and then refined locally.
    """
    def sse(alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        level = np.full(alphas.shape, x[0], dtype=float)
        total = np.zeros(alphas.shape)
        for value in x[1:]:
            err = value - level
            total += err**2
            level = level + alphas * err
        return total, level

    grid = np.linspace(0.01, 1.0, 100)
    best = grid[np.argmin(sse(grid)[0])]
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda a: sse(np.array([a]))[0][0], method="bounded",
                          bounds=(max(0.01, best - 0.01), min(1.0, best + 0.01)))
    alpha = float(res.x) if res.fun <= sse(np.array([best]))[0][0] else float(best)
    return float(sse(np.array([alpha]))[1][0]), alpha


def _fit_theta(grid: np.ndarray, horizon: int) -> np.ndarray:
    # The standard Theta method (theta = 2) in the form of Hyndman & Billah
    # (2003), as in statsmodels' ThetaModel; fitted here by least squares
    # because the state-space MLE is ~20x slower and no more accurate.
    n = len(grid)
    level, alpha = _ses_level(grid)
    b0 = np.polyfit(np.arange(n), grid, 1)[0]
    h = np.arange(1, horizon + 1)
    return level + 0.5 * b0 * (h - 1 + 1 / alpha - (1 - alpha) ** n / alpha)


def _fit_ets_damped(grid: np.ndarray, horizon: int) -> np.ndarray:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    res = ETSModel(grid, error="add", trend="add", damped_trend=True).fit(disp=False)
    if not res.mle_retvals.get("converged", True):
        raise RuntimeError("ETS optimiser did not converge")
    return np.asarray(res.forecast(horizon), dtype=float)


def _base_paths(years: np.ndarray, x: np.ndarray, horizon: int,
                wanted=BASE_METHODS) -> tuple[dict, dict]:
    r"""
    Point forecasts of every base method for horizons ``1..horizon``.

    Parameters
    ----------
    years : ndarray of int
        Observed years, increasing (gaps allowed).
    x : ndarray
        Observed values on the working scale.
    horizon : int
        Steps ahead of ``years[-1]``.
    wanted : iterable of str
        Methods to compute (``combo`` pulls in its members).

    Returns
    -------
    paths : dict
        Method name -> forecast array of length ``horizon``, for every
        method that could be fitted.
    failures : dict
        Method name -> plain-English reason it could not be used.

    Notes
    -----
    With :math:`x_1, \dots, x_T` on a yearly grid spanning :math:`N` years:

    * naive: :math:`\hat x_{T+h} = x_T`;
    * drift: :math:`\hat x_{T+h} = x_T + h (x_T - x_1)/(N-1)`, the random
      walk with drift, which reproduces a straight line exactly;
    * drift_damped: :math:`\hat x_{T+h} = x_T + (\phi + \dots + \phi^h)
      (x_T - x_1)/(N-1)` with :math:`\phi` = ``DAMPING``, the damped trend of
      Gardner & McKenzie (1985) with fixed parameters (ETS(A,Ad,N) with
      :math:`\alpha = 1, \beta = 0`): the trend fades instead of being
      extrapolated for ever, which is what yearly series reward;
    * linear: ordinary least squares of :math:`x` on the observed years;
    * theta: :math:`\hat x_{T+h} = \tilde x_T + \tfrac{b_0}{2}
      [h - 1 + 1/\alpha - (1-\alpha)^T/\alpha]` with :math:`\tilde x_T` the
      simple exponential smoothing level and :math:`b_0` the OLS slope
      (Hyndman & Billah, 2003; statsmodels ``ThetaModel``);
    * ets_damped: ETS(A,Ad,N), :math:`\hat x_{T+h} = \ell_T +
      (\phi + \dots + \phi^h) b_T` (Gardner & McKenzie, 1985), fitted by
      maximum likelihood in statsmodels;
    * combo: the mean of those members of ``COMBO_MEMBERS`` that fitted.

    Fits on few points are guarded: a method with fewer than ``MIN_OBS``
    points, a failed or non-converged fit, or a forecast that runs away
    (moves more than ``h + 1`` times the data range) is dropped and reported
    in ``failures``.
    """
    wanted = set(wanted)
    if "combo" in wanted:
        wanted |= set(COMBO_MEMBERS)
    n = len(x)
    steps = np.arange(1, horizon + 1)
    paths: dict[str, np.ndarray] = {}
    failures: dict[str, str] = {}
    grid = _regular_grid(years, x) if n >= 2 else x
    if "naive" in wanted:
        paths["naive"] = np.full(horizon, x[-1])
    if n >= 2:
        slope = (x[-1] - x[0]) / (years[-1] - years[0])
        if "drift" in wanted:
            paths["drift"] = x[-1] + slope * steps
        if "drift_damped" in wanted:
            paths["drift_damped"] = x[-1] + slope * np.cumsum(DAMPING**steps)
        if "linear" in wanted:
            b, a = np.polyfit(years - years[-1], x, 1)
            paths["linear"] = a + b * steps
    span = np.ptp(x) if n >= 2 else 0.0
    if "ets_damped" in wanted:
        # Import before silencing warnings: statsmodels installs an "always"
        # filter for its ConvergenceWarning at import, which would otherwise
        # land in front of ours.
        import statsmodels.tsa.exponential_smoothing.ets  # noqa: F401
    for name, fitter in (("theta", _fit_theta), ("ets_damped", _fit_ets_damped)):
        if name not in wanted:
            continue
        if n < MIN_OBS[name]:
            failures[name] = f"{name} needs at least {MIN_OBS[name]} observations, got {n}"
            continue
        try:
            # Tiny samples make statsmodels warn (bounds, convergence); the
            # guards below decide, so the warnings are silenced here only.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc = fitter(grid, horizon)
        except Exception as exc:  # noqa: BLE001 - any fit failure means fallback
            failures[name] = f"{name} fit failed ({type(exc).__name__}: {exc})"
            continue
        if not np.all(np.isfinite(fc)) or np.any(np.abs(fc - x[-1]) > (steps + 1) * max(span, 1e-12)):
            failures[name] = f"{name} forecast was not finite or ran away"
            continue
        paths[name] = fc
    for name in ("naive", "drift", "drift_damped", "linear"):
        if name in wanted and name not in paths:
            failures[name] = f"{name} needs at least {MIN_OBS[name]} observations, got {n}"
    if "combo" in wanted:
        members = [paths[m] for m in COMBO_MEMBERS if m in paths]
        if members:
            paths["combo"] = np.mean(members, axis=0)
        else:
            failures["combo"] = "no member of the combination could be fitted"
    return paths, failures


def series_scale(years: np.ndarray, x: np.ndarray, log_scale: bool,
                 prior_scale: float = PRIOR_SCALE) -> float:
    r"""
    Scale that turns forecast errors into unit-free scaled errors.

    Parameters
    ----------
    years : ndarray of int
        Observed years.
    x : ndarray
        Observed values on the working scale.
    log_scale : bool
        Whether ``x`` holds logarithms.
    prior_scale : float
        :math:`s_0` below; :data:`PRIOR_SCALE` (M3) or the domain's
        (:func:`domain_prior`).

    Returns
    -------
    float
        The in-sample mean absolute one-step change (the MASE denominator of
        Hyndman & Koehler, 2006), shrunk towards a prior:

        .. math::

            s = \frac{k\,\bar d + k_0\,s_0}{k + k_0},\qquad
            \bar d = \frac1k \sum_t \frac{|x_t - x_{t-1}|}
                                       {\text{year}_t - \text{year}_{t-1}},

        with :math:`k` the number of differences, :math:`k_0` =
        ``PRIOR_WEIGHT`` and :math:`s_0` = ``prior_scale`` (on the original
        scale, times the mean absolute level).

    Notes
    -----
    With two or three points :math:`\bar d` rests on one or two changes; a
    series that happened to stand still would otherwise get a range of
    almost zero width. :math:`s_0 = 0.08` is the median mean absolute
    yearly log change of the M3 yearly series, so the prior fades as real
    changes accumulate; the Chinese provincial series move faster (their
    median, fitted by ``benchmarks/cn_provinces.py --calibrate``, is stored
    per group in the domain calibration).
    """
    prior = prior_scale if log_scale else prior_scale * max(float(np.mean(np.abs(x))), 1e-9)
    k = len(x) - 1
    if k < 1:
        return prior
    d = float(np.mean(np.abs(np.diff(x)) / np.diff(years)))
    return (k * d + PRIOR_WEIGHT * prior) / (k + PRIOR_WEIGHT)


def obs_bucket(n: int) -> str:
    """Calibration bucket of a series with ``n`` observations."""
    for upper, name in ((2, "2"), (3, "3"), (4, "4"), (6, "5-6"), (9, "7-9"), (14, "10-14")):
        if n <= upper:
            return name
    return "15+"


def auto_method(n: int, group: str | None = None, calibration: dict | None = None) -> str:
    """
    Method used by ``method="auto"`` for a series with ``n`` observations.

    Parameters
    ----------
    n : int
        Number of observations.
    group : str, optional
        Domain group of the series (:func:`domain_group`); None for the M3
        choice.
    calibration : dict, optional
        Calibration mapping; by default ``forecasting_calibration.json``.

    Returns
    -------
    str
        A base method.

    Notes
    -----
    With a ``group``, the method is the one with the lowest sMAPE on the
    tuning provinces of the Chinese provincial benchmark for that group and
    length bucket (``domain.auto`` in the calibration file, written by
    ``benchmarks/cn_provinces.py --calibrate``). Without, the M3 choice:
    -----
    Chosen on the M3 yearly benchmark (``benchmarks/m3_yearly.py``, table
    "sMAPE by fitting-window length", rolling origins inside the training
    years, so not on the scored test years): ``combo`` had the lowest sMAPE
    at 3 to 6 points and was within 0.3 points of the best single method at
    every other length (naive at 2 points, damped drift or Theta beyond 6),
    far below drift, linear trend and damped ETS, whose best length varies.
    With 2-3 points Theta cannot be fitted and ``combo`` is the mean of naive
    and damped drift, i.e. a damped drift with half the slope: a simple
    method, whose intervals come from the wide 2- and 3-point calibration
    buckets. One point gives no forecast (handled by the caller).
    """
    if group is not None:
        choice = _domain(calibration).get("auto", {}).get(group, {})
        if choice:
            return choice[_nearest_bucket(choice, n)]
    return "combo"


def _nearest_bucket(table: dict, n: int) -> str:
    # Buckets are stored in increasing length; an uncalibrated length takes
    # the longest (or shortest) calibrated one.
    bucket = obs_bucket(n)
    if bucket in table:
        return bucket
    return list(table)[-1] if n > 3 else list(table)[0]


def domain_group(bounds) -> str:
    """
    Domain calibration group of a series: ``"bounded"`` or ``"unbounded"``.

    Notes
    -----
    Percentages of a whole (``bounds=(0, 100)``) move differently from
    amounts and counts: on the tuning provinces the naive forecast was the
    most accurate for them at every length, a damped drift for the rest. A
    further split by trend persistence (every change of the same sign or
    not) was tried and did not improve the benchmark's coverage, so the
    groups stay two.
    """
    return "unbounded" if bounds is None else "bounded"


def domain_prior(group: str | None, calibration: dict | None = None) -> float:
    """Volatility prior :math:`s_0` of :func:`series_scale` for a domain group (M3's without)."""
    if group is None:
        return PRIOR_SCALE
    return float(_domain(calibration).get("prior_scale", {}).get(group, PRIOR_SCALE))


def domain_logit(group: str | None, calibration: dict | None = None) -> bool:
    """Whether the domain calibration puts ``group`` on the logit working scale (:func:`to_logit`)."""
    if group is None:
        return False
    return bool(_domain(calibration).get("logit", {}).get(group, False))


def to_logit(values, bounds) -> np.ndarray:
    r"""
    Logit working scale of a bounded series.

    Parameters
    ----------
    values : array_like
        Values on the original scale.
    bounds : tuple of float
        ``(lo, hi)`` limits of the indicator.

    Returns
    -------
    numpy.ndarray
        :math:`x' = \operatorname{logit}(p)`, :math:`p = (x - lo)/(hi - lo)`
        clipped to :math:`[\varepsilon, 1 - \varepsilon]`,
        :math:`\varepsilon` = :data:`LOGIT_EPS`.

    Notes
    -----
    Near a bound the logit behaves like a logarithm (:math:`\log p`), so a
    small share of a whole moves proportionally, as positive amounts do on
    logs; mid-range it is close to linear. A value at or beyond a bound
    (a published 0, or a negative margin) is moved to :math:`\varepsilon`
    of the range inside it: :func:`from_logit` returns it that close to the
    bound, not on it.
    """
    lo, hi = bounds
    p = np.clip((np.asarray(values, dtype=float) - lo) / (hi - lo), LOGIT_EPS, 1 - LOGIT_EPS)
    return logit(p)


def from_logit(x, bounds) -> np.ndarray:
    r"""Inverse of :func:`to_logit`: :math:`lo + (hi - lo)/(1 + e^{-x'})`, strictly inside ``bounds``
    up to rounding."""
    lo, hi = bounds
    return lo + (hi - lo) * expit(np.asarray(x, dtype=float))


def _domain(calibration: dict | None) -> dict:
    cal = _load_calibration() if calibration is None else calibration
    return (cal or {}).get("domain", {})


# ---------------------------------------------------------------------------
# Calibrated error distribution
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _load_calibration(path: str = str(CALIBRATION_FILE)) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None


def _fallback_table(horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Without calibration: normal scaled errors whose spread grows linearly
    # with the horizon (a trend-uncertainty shape), deliberately wide.
    probs = np.array([0.005, 0.01, 0.025] + list(np.arange(0.05, 0.951, 0.025)) + [0.975, 0.99, 0.995])
    h = np.arange(1, horizon + 1)[:, None]
    quant = 1.5 * h * ndtri(probs)[None, :]
    corr = np.sqrt(np.minimum.outer(h[:, 0], h[:, 0]) / np.maximum.outer(h[:, 0], h[:, 0]))
    return probs, quant, corr


def error_table(method: str, n: int, horizon: int, calibration: dict | None = None,
                group: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """
    Quantiles and horizon correlation of scaled errors for one method.

    Parameters
    ----------
    method : str
        A base method.
    n : int
        Number of observations (selects the calibration bucket).
    horizon : int
        Number of steps needed.
    calibration : dict, optional
        Calibration mapping; by default ``forecasting_calibration.json``.
    group : str, optional
        Domain group (:func:`domain_group`): use the Chinese provincial
        tables of this group and method where there are any, else M3's.

    Returns
    -------
    probs : ndarray
        Probability levels of the quantiles, increasing.
    quant : ndarray
        Shape ``(horizon, len(probs))``: quantiles of the scaled error
        (actual minus forecast, divided by :func:`series_scale`).
    corr : ndarray
        Shape ``(horizon, horizon)``: correlation of the normal scores of
        the errors across horizons.
    calibrated : bool
        False if the built-in fallback was used.

    Notes
    -----
    Beyond the longest calibrated horizon :math:`H` the quantiles grow
    linearly, :math:`q_h = q_H h / H`, as forecast errors of trending yearly
    series do, and the correlation of two horizons is taken from the
    nearest calibrated pair, then repaired to be positive semi-definite.
    """
    cal = _load_calibration() if calibration is None else calibration
    domain = _domain(cal).get("methods", {}).get(group, {}).get(method, {})
    if domain:
        cal, table = _domain(cal), domain
    elif cal is None or method not in cal.get("methods", {}):
        return (*_fallback_table(horizon), False)
    else:
        table = cal["methods"][method]
    entry = table[_nearest_bucket(table, n)]
    probs = np.asarray(cal["probs"], dtype=float)
    q = np.asarray(entry["quantiles"], dtype=float)
    c = np.asarray(entry["corr"], dtype=float)
    big_h = q.shape[0]
    h = np.arange(1, horizon + 1)
    idx = np.minimum(h, big_h) - 1
    quant = q[idx] * np.maximum(h / big_h, 1.0)[:, None]
    corr = c[np.ix_(idx, idx)]
    np.fill_diagonal(corr, 1.0)
    return probs, quant, _nearest_psd(corr), True


def _nearest_psd(corr: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((corr + corr.T) / 2)
    fixed = vecs @ np.diag(np.clip(vals, 1e-6, None)) @ vecs.T
    d = np.sqrt(np.diag(fixed))
    return fixed / np.outer(d, d)


def _quantile_at(probs: np.ndarray, quant: np.ndarray, p) -> np.ndarray:
    """Interpolate each row of ``quant`` at probability ``p`` (scalar or array)."""
    p = np.asarray(p, dtype=float)
    if p.ndim == 0:
        return np.array([np.interp(p, probs, row) for row in quant])
    return np.stack([np.interp(p[:, j], probs, quant[j]) for j in range(quant.shape[0])], axis=1)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------
def forecast_series(y, to_year=2025, level=0.8, method="auto", target=None,
                    direction="higher", seed=0, bounds=None, *, log=None,
                    n_sims=N_SIMS, calibration="domain") -> Forecast:
    r"""
    Forecast an annual series to ``to_year`` with a calibrated interval.

    Parameters
    ----------
    y : pandas.Series
        Annual values indexed by integer year; gaps and NaN allowed.
    to_year : int
        Target year, after the last observed year.
    level : float
        Coverage of the central prediction interval, in (0, 1).
    method : str
        One of :data:`METHODS`.
    target : float, optional
        Target value for ``to_year``; enables ``prob_meet``.
    direction : {"higher", "lower"}
        Whether meeting the target means being at or above it, or below it.
    seed : int
        Seed of the simulated sample paths.
    bounds : tuple of float, optional
        ``(lo, hi)`` limits of the indicator, e.g. ``(0, 100)`` for a share
        in percent; the point, the interval and the samples respect them.
    log : bool, optional
        Model on the log scale. Default: yes when every value is positive,
        no bounds are given and the method does better on logs
        (``PREFERS_LOG``: naive, damped drift, Theta, combo).
    n_sims : int
        Number of sample paths.
    calibration : {"domain", "m3"}
        For ``method="auto"``: ``"domain"`` takes the method, volatility
        prior, error tables, median point and working scale fitted on Chinese
        provincial series, by group (:func:`domain_group`) and length; ``"m3"`` the
        M3 yearly choice (``combo``) and tables. A method named explicitly
        always uses the M3 tables.

    Returns
    -------
    Forecast

    Notes
    -----
    With working-scale forecast :math:`\hat x_{T+h}`, series scale :math:`s`
    (:func:`series_scale`) and calibrated scaled-error quantile
    :math:`q_h(p)`, the interval at level :math:`L` is

    .. math::

        \left[\hat x_{T+h} + s\,q_h\!\left(\tfrac{1-L}{2}\right),\;
              \hat x_{T+h} + s\,q_h\!\left(\tfrac{1+L}{2}\right)\right],

    back-transformed (``exp`` on the log scale, :func:`from_logit` on the
    logit scale of a bounded group whose domain calibration asks for it,
    :func:`domain_logit`) and clipped to ``bounds``.
    Sample paths are :math:`\hat x_{T+h} + s\,q_h(\Phi(z_h))` with
    :math:`z \sim N(0, R)`, :math:`R` the calibrated correlation of errors
    across horizons, drawn with ``numpy.random.default_rng(seed)``;
    ``prob_meet`` is the share of their final values beyond the target. Where
    the domain calibration sets ``median_point``, the point forecast is
    :math:`\hat x_{T+h} + s\,q_h(0.5)`, the median of those paths.
    """
    values = _clean_series(y)
    years = values.index.to_numpy(dtype=np.int64)
    last_year = int(years[-1])
    _check_args(to_year, level, method, direction, bounds, last_year, target)
    if calibration not in CALIBRATIONS:
        raise ValueError(f"unknown calibration {calibration!r}; expected one of {CALIBRATIONS}")
    to_year = int(to_year)
    n = len(values)
    horizon = to_year - last_year
    path_index = pd.Index(np.arange(last_year + 1, to_year + 1), name="year")
    flags: list[str] = []
    if years[-1] - years[0] + 1 > n:
        flags.append("gaps")
    if n <= SHORT_SERIES:
        flags.append("short_series")
    if bounds is not None:
        flags.append("bounded")

    if n == 1:
        empty = pd.DataFrame(np.nan, index=path_index, columns=["mean", "lower", "upper"])
        return Forecast(None, None, None, level, "none", n, last_year, to_year,
                        _maybe_float(target), direction, None, empty,
                        tuple(flags + ["no_forecast"]),
                        f"only one observation ({last_year}); at least two are needed to "
                        "extrapolate a trend", None)

    raw = values.to_numpy()
    if log and np.any(raw <= 0):
        raise ValueError("log=True needs all values to be positive")

    def working_scale(m: str) -> bool:
        if log is not None:
            return bool(log)
        return bounds is None and bool(np.all(raw > 0)) and PREFERS_LOG[m]

    # The domain calibration serves "auto"; a method asked for by name keeps
    # its textbook point forecast and the M3 tables.
    group = domain_group(bounds) if calibration == "domain" and method == "auto" else None
    # A bounded group may be calibrated on the logit scale (domain_logit); then
    # every method works there, as amounts work on logs.
    use_logit = log is None and bounds is not None and domain_logit(group)

    def to_working(use_log: bool) -> np.ndarray:
        return np.log(raw) if use_log else to_logit(raw, bounds) if use_logit else raw

    requested = auto_method(n, group) if method == "auto" else method
    use_log = working_scale(requested)
    x = to_working(use_log)
    paths, failures = _base_paths(years, x, horizon, wanted=(requested,))
    reason = None
    used = requested
    if requested not in paths:
        # Drift on its own preferred scale: a compounded drift on logs of two
        # or three points can explode.
        used = "drift"
        use_log = working_scale(used)
        x = to_working(use_log)
        paths = _base_paths(years, x, horizon, wanted=(used,))[0]
        reason = f"{failures[requested]}; used drift instead"
        flags.append("fallback")
    elif requested == "combo":
        dropped = [failures[m] for m in COMBO_MEMBERS if m in failures]
        if dropped:
            reason = "combination without: " + "; ".join(dropped)
    mean = paths[used]
    if use_log:
        flags.append("log_scale")
    if use_logit:
        flags.append("logit_scale")

    if group is not None and used not in _domain(None).get("methods", {}).get(group, {}):
        group = None  # no domain table for this method (ets_damped): M3's table and prior
    # On the logit scale, as on logs, the prior is in working-scale units.
    scale = series_scale(years, x, use_log or use_logit, domain_prior(group))
    probs, quant, corr, calibrated = error_table(used, n, horizon, group=group)
    if not calibrated:
        flags.append("uncalibrated")
    alpha = (1 - level) / 2
    if group is not None and _domain(None).get("median_point", {}).get(group):
        # The point becomes the median of the calibrated paths: the method's
        # typical miss on the domain (e.g. growth a naive forecast leaves
        # out) is added back. Paths, interval and P(meet) are unchanged.
        median = _quantile_at(probs, quant, 0.5)
        mean = mean + scale * median
        quant = quant - median[:, None]
        flags.append("median_point")
    lo = mean + scale * _quantile_at(probs, quant, alpha)
    hi = mean + scale * _quantile_at(probs, quant, 1 - alpha)

    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_sims, horizon)) @ np.linalg.cholesky(corr).T
    sims = mean + scale * _quantile_at(probs, quant, ndtr(z))

    back = np.exp if use_log else (lambda v: from_logit(v, bounds)) if use_logit else (lambda v: v)
    mean, lo, hi, sims = back(mean), back(lo), back(hi), back(sims)
    if bounds is not None:
        mean, lo, hi, sims = (np.clip(a, bounds[0], bounds[1]) for a in (mean, lo, hi, sims))
    path = pd.DataFrame({"mean": mean, "lower": lo, "upper": hi}, index=path_index)

    prob_meet = None
    if target is not None:
        final = sims[:, -1]
        hit = final >= target if direction == "higher" else final < target
        prob_meet = float(hit.mean())
    return Forecast(float(mean[-1]), float(lo[-1]), float(hi[-1]), level,
                    used,
                    n, last_year, to_year, _maybe_float(target), direction, prob_meet,
                    path, tuple(flags), reason, sims)


def _maybe_float(value) -> float | None:
    return None if value is None else float(value)


def backtest(y, methods=None, min_train=3, max_horizon=None, *, level=0.8) -> pd.DataFrame:
    """
    Rolling-origin evaluation of forecasting methods on one series.

    Parameters
    ----------
    y : pandas.Series
        Annual values indexed by integer year (gaps allowed).
    methods : sequence of str, optional
        Methods to evaluate; default all of :data:`METHODS`.
    min_train : int
        Fewest observations before the first origin (at least 2).
    max_horizon : int, optional
        Longest horizon in years; default unlimited.
    level : float
        Interval level used for ``inside_interval``.

    Returns
    -------
    pandas.DataFrame
        Columns ``method, origin, horizon, forecast, actual, error,
        inside_interval``; ``error`` is actual minus forecast and
        ``horizon`` is in years. Empty (same columns) if the series is too
        short for one origin.

    Notes
    -----
    Origin ``k`` fits on the first ``k`` observations and is scored on every
    later observed year within ``max_horizon``, so each method is judged
    exactly as :func:`forecast_series` would have been used at the time.
    """
    columns = ["method", "origin", "horizon", "forecast", "actual", "error", "inside_interval"]
    values = _clean_series(y)
    methods = METHODS if methods is None else tuple(methods)
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"unknown method {m!r}; expected one of {METHODS}")
    if min_train < 2:
        raise ValueError(f"min_train must be at least 2, got {min_train}")
    rows = []
    years = values.index.to_numpy(dtype=np.int64)
    for k in range(min_train, len(values)):
        train, test = values.iloc[:k], values.iloc[k:]
        origin = int(years[k - 1])
        if max_horizon is not None:
            test = test[test.index - origin <= max_horizon]
        if test.empty:
            continue
        for m in methods:
            fc = forecast_series(train, to_year=int(test.index[-1]), level=level, method=m)
            for year, actual in test.items():
                row = fc.path.loc[year]
                rows.append((m, origin, int(year - origin), float(row["mean"]), float(actual),
                             float(actual - row["mean"]),
                             bool(row["lower"] <= actual <= row["upper"])))
    return pd.DataFrame(rows, columns=columns)
