"""Target assessment: progress lenses, the probability of meeting each target, a status.

Three lenses are reported side by side, each computed only from data up to ``as_of``:

1. Eurostat's ratio of the observed to the required compound annual growth rate
   (Eurostat, *Sustainable development in the EU*, monitoring report methodology; the
   Open SDG ``ProgressMeasure`` implementation), with its thresholds 95 % / 60 % / 0.
2. China's five-year-plan midterm practice, 时间过半、任务过半: the share of the task done
   against the share of the time gone (NDRC midterm evaluations of the 12th–14th plans).
   No official numeric cut-offs exist; zjplan's are :data:`MIDTERM_THRESHOLDS`.
3. The probability of meeting the target, from the calibrated forecast distribution
   (as in the OECD's stochastic projections of distance to the SDG targets).

The overall status uses the probability (:data:`STATUS_THRESHOLDS`) before the target
year, and the published figure once the target year is observed. Every threshold lives
in this module's constants, and the brief prints them from there.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from . import data, terms
from .definitions import Indicator, plan as default_plan
from .forecasting import Forecast, forecast_series

# Eurostat: ratio of observed to required CAGR.
EUROSTAT_THRESHOLDS = {"significant": 0.95, "moderate": 0.60, "insufficient": 0.0}
# 时间过半、任务过半: completion share over elapsed-time share.
MIDTERM_THRESHOLDS = {"ahead": 1.10, "on_schedule": 0.90}
# Overall status from P(meet): IPCC's "likely" (≥ 66 %) and "unlikely" (< 33 %).
STATUS_THRESHOLDS = {"on_track": 2 / 3, "at_risk": 1 / 3}

# The words for every status and category live in zjplan.terms (one place); re-exported here.
EUROSTAT_LABELS, MIDTERM_LABELS, STATUS_LABELS = terms.EUROSTAT_LABELS, terms.MIDTERM_LABELS, terms.STATUS_LABELS
# No probability and no firm status from this many points or fewer (base included).
MIN_POINTS_FOR_STATUS = 4
# A final figure short of the target by less than this share of the target: 基本完成.
BASICALLY_MET_TOLERANCE = 0.02
#: The outcomes that judge a target once its year is published (``not_met``: only a
#: bound is published, and it shows the target was not reached).
JUDGED_OUTCOMES = ("met", "basically_met", "missed", "not_met")


class AssessmentError(ValueError):
    """An assessment was asked for something the data cannot support (e.g. as_of before the base)."""


@dataclass(frozen=True)
class Progress:
    """The progress lenses for one indicator, computed from data up to ``as_of``."""

    indicator_id: int
    base_year: int
    base_value: float | None
    latest_year: int | None
    latest_value: float | None
    target_year: int
    target_value: float | None
    met_now: bool | None
    # Eurostat
    cagr_observed: float | None = None
    cagr_required: float | None = None
    eurostat_ratio: float | None = None
    eurostat: str = "insufficient_data"
    # "cagr" (Eurostat's ratio of compound rates) or "linear" (ratio of linear paces, where a
    # compound rate is undefined because a value is zero or negative)
    eurostat_method: str | None = None
    # 时间过半、任务过半
    completion: float | None = None
    elapsed: float | None = None
    midterm: str = "insufficient_data"
    # pace
    change_per_year_so_far: float | None = None
    change_per_year_required: float | None = None
    cagr_required_from_latest: float | None = None
    # average-growth targets (indicator 2)
    growth_years: tuple[int, ...] = ()
    realised_average_growth: float | None = None
    required_average_growth_remaining: float | None = None
    # qualitative targets (indicator 12)
    trend: float | None = None
    comparison: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        # numpy scalars in, plain floats out: the record is written to JSON
        for name, value in asdict(self).items():
            if isinstance(value, np.generic):
                object.__setattr__(self, name, value.item())

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else _finite(v)) for k, v in asdict(self).items()}


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


# --- Lenses --------------------------------------------------------------------------------

def _cagr(start: float, end: float, years: int) -> float | None:
    """Compound annual growth rate; None where it is undefined (non-positive values, no time)."""
    if years <= 0 or start is None or end is None or start <= 0 or end <= 0:
        return None
    return (end / start) ** (1.0 / years) - 1.0


def eurostat_category(ratio: float | None, met: bool) -> str:
    r"""Eurostat's category from the ratio of observed to required CAGR.

    Notes
    -----
    :math:`\text{ratio} = \text{CAGR}_a / \text{CAGR}_r`, with
    :math:`\text{CAGR}_a = (x_t / x_0)^{1/(t-t_0)} - 1` and
    :math:`\text{CAGR}_r = (x^* / x_0)^{1/(T-t_0)} - 1`. A target already met is
    ``met``; ratio ≥ 0.95 significant, 0.60–0.95 moderate, 0–0.60 insufficient, below 0
    movement away. For a lower-is-better indicator both rates are negative when moving
    the right way, so the ratio keeps its meaning.
    """
    if met:
        return "met"
    if ratio is None or not math.isfinite(ratio):
        return "insufficient_data"
    t = EUROSTAT_THRESHOLDS
    if ratio >= t["significant"]:
        return "significant"
    if ratio >= t["moderate"]:
        return "moderate"
    if ratio >= t["insufficient"]:
        return "insufficient"
    return "away"


def midterm_category(completion: float | None, elapsed: float | None, met: bool) -> str:
    r"""时间过半、任务过半: completion share against elapsed-time share.

    Notes
    -----
    Completion :math:`c = (x_t - x_0)/(x^* - x_0)`, elapsed :math:`e = (t - t_0)/(T - t_0)`.
    A target met is 提前完成 (``achieved``); otherwise :math:`c/e \ge 1.10` is 快于序时进度,
    :math:`0.90 \le c/e < 1.10` 符合序时进度, below that 滞后于序时进度 (words: :mod:`zjplan.terms`).
    """
    if met:
        return "achieved"
    if completion is None or not elapsed or not math.isfinite(completion):
        return "insufficient_data"
    ratio = completion / elapsed
    if ratio >= MIDTERM_THRESHOLDS["ahead"]:
        return "ahead"
    if ratio >= MIDTERM_THRESHOLDS["on_schedule"]:
        return "on_schedule"
    return "lagging"


def geometric_mean_growth(growth_pct) -> float:
    r"""Average yearly growth in per cent from yearly growth rates in per cent.

    Notes
    -----
    :math:`\bar g = \left(\prod_i (1 + g_i/100)\right)^{1/n} - 1`, times 100.
    """
    g = np.asarray(growth_pct, dtype=float)
    return float((np.prod(1 + g / 100.0) ** (1.0 / len(g)) - 1) * 100.0)


def _checked_series(series) -> pd.Series:
    """A series by int year with finite values or gaps (NaN); anything else is refused, not dropped."""
    if not isinstance(series, pd.Series):
        raise AssessmentError(f"series must be a pandas Series indexed by year, got {type(series).__name__}")
    if not (pd.api.types.is_integer_dtype(series.index.dtype) or len(series) == 0):
        raise AssessmentError(f"series must be indexed by integer years (e.g. index.year of dates), got {series.index.dtype}")
    values = pd.to_numeric(series, errors="coerce").astype(float)
    bad = list(values.index[np.isinf(values.to_numpy()) | (values.isna() & series.notna())])
    if bad:
        raise AssessmentError(f"series has infinite or non-numeric values in years {bad}")
    return values


def _check_as_of(ind: Indicator, as_of: int | None) -> None:
    if as_of is not None and as_of < ind.baseline_year:
        raise AssessmentError(
            f"as_of {as_of} is before the base year {ind.baseline_year} of indicator {ind.id} ({ind.key})"
        )


def _level_progress(s: pd.Series, ind: Indicator, as_of: int | None) -> Progress:
    t0, T, target = ind.baseline_year, ind.target_year, ind.target_value
    base = ind.baseline_value if ind.baseline_value is not None else s.get(t0)
    later = s[s.index > t0]
    latest_year = int(later.index.max()) if len(later) else (t0 if base is not None else None)
    latest = float(s[latest_year]) if latest_year is not None and latest_year in s.index else base
    notes = []
    if base is None:
        notes.append(f"no base value for {t0}")
    if not len(later):
        notes.append("no published figure after the base year")
    met = None if latest is None else ind.meets(latest)
    out = dict(indicator_id=ind.id, base_year=t0, base_value=base, latest_year=latest_year,
               latest_value=latest, target_year=T, target_value=target, met_now=met)

    remaining = T - latest_year if latest_year is not None else None
    if latest is not None and remaining and remaining > 0 and not met:
        out["change_per_year_required"] = (target - latest) / remaining
        out["cagr_required_from_latest"] = _cagr(latest, target, remaining)
    elif met:
        out["change_per_year_required"] = 0.0
    if base is None or not len(later):
        return Progress(**out, eurostat="met" if met else "insufficient_data",
                        midterm="achieved" if met else "insufficient_data", notes=tuple(notes))

    elapsed_years = latest_year - t0
    out["change_per_year_so_far"] = (latest - base) / elapsed_years
    out["cagr_observed"] = _cagr(base, latest, elapsed_years)
    out["elapsed"] = elapsed_years / (T - t0)
    base_already_meets = ind.meets(base)
    if base_already_meets:
        # A floor or ceiling the base already satisfied: the task is to hold it.
        notes.append("the base already met the target; the task is to hold it")
    elif target == base:
        notes.append("the target equals the base value: no pace is required, so no ratio or completion")
    else:
        out["cagr_required"] = _cagr(base, target, T - t0)
        out["eurostat_ratio"], out["eurostat_method"], note = _pace_ratio(out, base, target, T - t0)
        notes += [note] if note else []
        out["completion"] = (latest - base) / (target - base)
    eurostat = eurostat_category(out.get("eurostat_ratio"), met) if not base_already_meets else ("met" if met else "away")
    midterm = midterm_category(out.get("completion"), out["elapsed"], met) if not base_already_meets else ("achieved" if met else "lagging")
    return Progress(**out, eurostat=eurostat, midterm=midterm, notes=tuple(notes))


def _pace_ratio(out: dict, base: float, target: float, years: int) -> tuple[float | None, str | None, str]:
    r"""Eurostat's ratio of observed to required pace: compound where defined, else linear.

    Notes
    -----
    The compound rate :math:`(x_t/x_0)^{1/n} - 1` is undefined where a value is zero or
    negative (a loss year of a profit margin). The ratio then compares linear paces,
    :math:`\frac{(x_t - x_0)/(t - t_0)}{(x^* - x_0)/(T - t_0)}`, which keeps the sign
    convention: negative means movement away from the target.
    """
    if out["cagr_required"] and out["cagr_observed"] is not None:
        return out["cagr_observed"] / out["cagr_required"], "cagr", ""
    required = (target - base) / years
    return (out["change_per_year_so_far"] / required, "linear",
            "compound growth undefined (a value is zero or negative): Eurostat ratio of linear paces")


def _average_growth_progress(s: pd.Series, ind: Indicator, as_of: int | None) -> Progress:
    t0, T, target = ind.baseline_year, ind.target_year, ind.target_value
    period = list(range(t0 + 1, T + 1))
    observed = s[[y for y in s.index if y in period]]
    years = tuple(int(y) for y in observed.index)
    missing = [y for y in range(t0 + 1, (max(years) if years else t0) + 1) if y not in years]
    notes = [f"growth not published for {missing}"] if missing else []
    out = dict(indicator_id=ind.id, base_year=t0, base_value=None, target_year=T, target_value=target,
               growth_years=years)
    if not years:
        return Progress(**out, latest_year=None, latest_value=None, met_now=None,
                        notes=tuple(notes + ["no growth figure for the plan period yet"]))
    realised = geometric_mean_growth(observed.to_numpy())
    latest_year = max(years)
    done = len(years)
    remaining = len(period) - done
    needed = None
    if remaining > 0 and not missing:
        total = (1 + target / 100.0) ** len(period)
        needed = ((total / np.prod(1 + observed.to_numpy() / 100.0)) ** (1.0 / remaining) - 1) * 100.0
    met = realised >= target
    completion = ratio = None
    if target == 0:
        notes.append("a target of 0 % growth: no ratio or completion")
    elif not missing:
        cum = np.prod(1 + observed.to_numpy() / 100.0) - 1
        completion = cum / ((1 + target / 100.0) ** len(period) - 1)
        ratio = realised / target
    elapsed = done / len(period)
    final = remaining == 0
    return Progress(
        **out, latest_year=latest_year, latest_value=float(observed[latest_year]), met_now=met,
        realised_average_growth=realised, required_average_growth_remaining=needed,
        eurostat_ratio=ratio, eurostat=eurostat_category(ratio, met and final),
        completion=completion, elapsed=elapsed,
        midterm=midterm_category(completion, elapsed, met and final),
        change_per_year_so_far=realised, notes=tuple(notes),
    )


def _qualitative_progress(s: pd.Series, ind: Indicator, as_of: int | None, raw_folder=None) -> Progress:
    later = s[s.index > ind.baseline_year]
    notes = []
    out = dict(indicator_id=ind.id, base_year=ind.baseline_year, base_value=None,
               latest_year=int(later.index.max()) if len(later) else None,
               latest_value=float(later.iloc[-1]) if len(later) else None,
               target_year=ind.target_year, target_value=None, met_now=None)
    trend = float(later.mean()) if len(later) else None
    comparison = province_comparison(ind, as_of, raw_folder)
    if comparison is None:
        notes.append("no table of other provinces for these years")
    return Progress(**out, trend=trend, comparison=comparison, eurostat="insufficient_data",
                    midterm="insufficient_data", notes=tuple(notes))


@dataclass(frozen=True)
class Standing:
    """Zhejiang's place among the provinces in one year of a province table."""

    year: int
    series: str
    name_zh: str
    name_en: str
    value: float
    unit: str
    rank: int
    n: int
    proxy: bool

    def third(self) -> str:
        """``front``, ``middle`` or ``back``: which third of the provinces (1 = best)."""
        if self.rank <= self.n / 3:
            return "front"
        if self.rank > 2 * self.n / 3:
            return "back"
        return "middle"

    def text(self) -> str:
        return (f"{self.year}: {self.name_en} {self.value:+.2f}{self.unit}, "
                f"rank {self.rank} of {self.n} provinces (1 = best)")


def province_standing(ind: Indicator, as_of: int | None, raw_folder=None) -> Standing | None:
    """Zhejiang's rank among the provinces in the latest comparison year up to ``as_of``
    (:func:`zjplan.provinces.compare` on the indicator's declared province series); rank 1
    is the best in the indicator's direction. None where there is no such table."""
    from . import provinces

    try:
        table = provinces.compare(ind, as_of=as_of, raw_folder=raw_folder)
    except data.DataError:
        return None
    home = table[table["home"]]
    if home.empty:
        return None
    a, h = table.attrs, home.iloc[0]
    return Standing(int(h["year"]), str(h["series"]), a["label_zh"], a["label_en"], float(h["value"]),
                    str(h["unit"]), int(h["rank"]), len(table), h["role"] != "indicator")


def province_comparison(ind: Indicator, as_of: int | None, raw_folder=None) -> str | None:
    """:func:`province_standing` as one line of text (None without a province table)."""
    standing = province_standing(ind, as_of, raw_folder)
    return None if standing is None else standing.text()


def progress(series: pd.Series, indicator: Indicator, as_of: int | None = None, raw_folder=None) -> Progress:
    """The progress lenses for one series, from data up to ``as_of``.

    Parameters
    ----------
    series : pd.Series
        The indicator's values by int year, on the target's price basis
        (:func:`zjplan.series`).
    indicator : Indicator
    as_of : int, optional
        The last data year to use.

    Raises
    ------
    AssessmentError
        If ``as_of`` is before the indicator's base year.
    """
    _check_as_of(indicator, as_of)
    s = _checked_series(series).dropna()
    if as_of is not None:
        s = s[s.index <= as_of]
    if indicator.target_kind == "qualitative":
        return _qualitative_progress(s, indicator, as_of, raw_folder)
    if indicator.target_kind == "average_growth":
        return _average_growth_progress(s, indicator, as_of)
    return _level_progress(s, indicator, as_of)


# --- Forecast of an indicator ------------------------------------------------------------

def forecast(ref, as_of: int | None = None, level: float = 0.8, method: str = "auto", seed: int = 0,
             deflator: str | None = None, raw_folder=None, definitions=None) -> Forecast:
    """Forecast an indicator to its target year, with P(meet) where the target is numeric.

    For an average-growth target (indicator 2) the forecast is of the average growth over
    the plan period: each simulated path of yearly growth is joined to the published years
    and averaged geometrically.
    """
    the_plan = default_plan(definitions)
    ind = the_plan.get(ref)
    _check_as_of(ind, as_of)
    s = data.series(ind.id, as_of=as_of, deflator=deflator, raw_folder=raw_folder, definitions=definitions)
    target = ind.target_value if ind.target_kind in ("level", "ceiling") else None
    y = s
    if len(y) and y.index.max() >= ind.target_year:
        y = y[y.index < ind.target_year]  # forecast the target year as if unseen; outcome mode compares
    fc = forecast_series(y, to_year=ind.target_year, level=level, method=method, target=target,
                         direction=ind.direction, seed=seed, bounds=ind.bounds, log=model_on_logs(ind),
                         calibration=ind.calibration)
    if ind.target_kind == "average_growth":
        return _average_growth_forecast(fc, s, ind)
    return fc


def model_on_logs(ind: Indicator) -> bool | None:
    """Growth rates can turn negative, so they are never modelled on logs; else the engine decides."""
    return False if ind.target_kind == "average_growth" else None


def _average_growth_forecast(fc: Forecast, s: pd.Series, ind: Indicator) -> Forecast:
    period = range(ind.baseline_year + 1, ind.target_year + 1)
    observed = s[[y for y in s.index if y in period and (fc.last_year is None or y <= fc.last_year)]]
    missing = [y for y in period if y not in observed.index and (fc.last_year is None or y <= fc.last_year)]
    if fc.samples is None or missing:
        reason = fc.reason or f"growth not published for {missing}"
        return replace(fc, point=None, lower=None, upper=None, prob_meet=None, reason=reason,
                       flags=tuple(sorted(set(fc.flags) | {"average_growth"})))
    future = [y for y in period if y > fc.last_year]
    cols = [y - fc.last_year - 1 for y in future]
    growth = np.hstack([np.tile(observed.to_numpy() / 100.0, (fc.samples.shape[0], 1)), fc.samples[:, cols] / 100.0])
    means = (np.prod(1 + growth, axis=1) ** (1.0 / len(period)) - 1) * 100.0
    alpha = (1 - fc.level) / 2
    lower, upper = np.quantile(means, [alpha, 1 - alpha])
    return replace(fc, point=float(np.median(means)), lower=float(lower), upper=float(upper),
                   target=ind.target_value, prob_meet=float(np.mean(means >= ind.target_value)),
                   flags=tuple(sorted(set(fc.flags) | {"average_growth"})))


# --- Status and scorecard ----------------------------------------------------------------

def judgeable(ind: Indicator, rows: pd.DataFrame) -> tuple[bool, str, str]:
    """Whether the figures can carry a probability and a firm status, and why not.

    Parameters
    ----------
    ind : Indicator
    rows : pd.DataFrame
        The indicator's panel rows up to ``as_of`` (columns ``year``, ``value``, ``proxy``).

    Returns
    -------
    (ok, reason_zh, reason_en)
        Not ok with :data:`MIN_POINTS_FOR_STATUS` − 1 points or fewer, or where a proxy on
        another scope than the base is joined to it (a change of scope is not a trend). A
        proxy that only bounds the indicator is not one of its points and is left out.
    """
    rows = rows[rows["value"].notna() & (rows["bound"] == "")]
    after = rows[rows["year"] > ind.baseline_year]
    if not len(after):
        return False, "基期后本次未采集到数据", "no figure after the base year was collected"
    years = [str(int(y)) for y in after["year"]]
    if rows["proxy"].any() and (~rows["proxy"]).any():
        proxy_years = [str(int(y)) for y in rows.loc[rows["proxy"], "year"]]
        return (False, f"{'、'.join(proxy_years)}年为替代指标，与基期口径不同，不能连成趋势",
                f"{', '.join(proxy_years)}: a proxy on another scope than the base, so no trend can be read")
    if len(rows) < MIN_POINTS_FOR_STATUS:
        return (False, f"基期后仅有{'、'.join(years)}年数据，数据点不足{MIN_POINTS_FOR_STATUS}个，不足以估计趋势",
                f"only {', '.join(years)} after the base: fewer than {MIN_POINTS_FOR_STATUS} points, too few for a trend")
    return True, "", ""


def status(ind: Indicator, prog: Progress, fc: Forecast | None, outcome, can_judge: bool = True) -> str:
    """The overall status (keys of :data:`zjplan.terms.STATUS_LABELS`).

    Once the target year is observed: ``met``, ``basically_met`` or ``missed`` (``outcome``
    is that word, or a bool for met / missed). Before it: ``too_few_points`` where the data
    cannot carry a judgement (:func:`judgeable`), ``achieved_early`` where the latest figure
    already meets the target, else from P(meet).
    """
    if not ind.is_quantitative:
        return "qualitative"
    if outcome is not None:
        return outcome if isinstance(outcome, str) else ("met" if outcome else "missed")
    if prog is not None and (prog.latest_year is None or prog.latest_year <= prog.base_year) \
            and ind.target_kind != "average_growth":
        return "insufficient_data"
    if not can_judge:
        return "too_few_points"
    if prog is not None and prog.met_now and ind.target_kind != "average_growth":
        return "achieved_early"
    if fc is None or fc.prob_meet is None:
        return "insufficient_data"
    if fc.prob_meet >= STATUS_THRESHOLDS["on_track"]:
        return "on_track"
    if fc.prob_meet >= STATUS_THRESHOLDS["at_risk"]:
        return "at_risk"
    return "off_track"


def outcome(ind: Indicator, s: pd.Series) -> bool | None:
    """Whether the target was met, once the target year's figure is published."""
    value = outcome_value(ind, s)
    return None if value is None else ind.meets(value) if ind.target_kind != "average_growth" else value >= ind.target_value


def outcome_value(ind: Indicator, s: pd.Series) -> float | None:
    """The figure the target is judged on: the target year's value, or for an average-growth
    target the geometric mean of the plan period's growth rates; None until published."""
    if not ind.is_quantitative or ind.target_year not in s.index:
        return None
    if ind.target_kind == "average_growth":
        period = list(range(ind.baseline_year + 1, ind.target_year + 1))
        if not all(y in s.index for y in period):
            return None
        return geometric_mean_growth(s[period].to_numpy())
    return float(s[ind.target_year])


def verdict(ind: Indicator, value: float) -> tuple[str, float]:
    r"""met / basically_met / missed and the margin in the target's unit.

    Notes
    -----
    The margin is :math:`x - x^*` (for an average-growth target, percentage points of
    average growth). A minimum (≥, also 以上) is met at :math:`x \ge x^*`; a ceiling (<) at
    :math:`x < x^*`. A figure on the wrong side by less than
    :data:`BASICALLY_MET_TOLERANCE` × :math:`|x^*|` is 基本完成 (basically met).
    """
    margin = value - ind.target_value
    met = ind.meets(value) if ind.target_kind != "average_growth" else value >= ind.target_value
    if met:
        return "met", margin
    if abs(margin) < BASICALLY_MET_TOLERANCE * abs(ind.target_value):
        return "basically_met", margin
    return "missed", margin


def bound_verdict(ind: Indicator, bound: float, side: str) -> tuple[str, float] | None:
    r"""What a bound of the target year's figure settles about the target, if anything.

    Parameters
    ----------
    ind : Indicator
        With a minimum (≥, 以上) or a ceiling (<).
    bound : float
        The proxy's value in the target year.
    side : {"upper", "lower"}
        ``upper``: the indicator is never above the proxy (:math:`x \le b`); ``lower``:
        never below it (:math:`x \ge b`).

    Returns
    -------
    (word, margin) or None
        ``met``, ``missed`` or ``not_met``, with the margin :math:`b - x^*`, a bound of the
        indicator's own margin on the same side; None where the bound settles nothing.

    Notes
    -----
    With :math:`x \le b < x^*` a minimum is not reached and a ceiling is kept; with
    :math:`x \ge b \ge x^*` a minimum is reached and a ceiling broken. A target not
    reached is ``missed`` only where the bound is short by at least
    :data:`BASICALLY_MET_TOLERANCE` × :math:`|x^*|` (the indicator is then short by as much
    or more); nearer, the indicator may be short by less, which would be 基本完成, so
    the word is ``not_met``. A bound on the other side of the target settles nothing.
    """
    margin = bound - ind.target_value
    if (side == "upper") == (margin >= 0):
        return None  # an upper bound above the target, or a lower one below it
    reached = (side == "upper") == (ind.comparator == "<")
    if reached:
        return "met", margin
    return ("missed" if abs(margin) >= BASICALLY_MET_TOLERANCE * abs(ind.target_value) else "not_met"), margin


@dataclass(frozen=True)
class TargetOutcome:
    """The final assessment of one indicator in the target year (or why there is none yet)."""

    indicator_id: int
    outcome: str                      # met | basically_met | missed | not_met | not_published | qualitative
    year: int | None = None
    value: float | None = None
    target: float | None = None
    margin: float | None = None
    figure_status: str | None = None  # preliminary | final | revised
    proxy: bool = False
    derived: bool = False
    source_ids: str = ""
    superseded_value: float | None = None     # the preliminary figure a final one replaced
    superseded_outcome: str | None = None
    superseded_margin: float | None = None
    bound: str = ""                           # upper | lower: the value is a proxy that bounds the indicator


def _superseded(ind: Indicator, row: pd.Series, raw_folder, s: pd.Series) -> tuple[float, str, float] | None:
    """Where a final figure replaced a preliminary one of a different value: that value,
    its outcome and margin (the outcome is recomputed on the final figure)."""
    if row["status"] == "preliminary" or row["derived"]:
        return None
    figs = data.load_raw(raw_folder).figures
    prelim = figs[(figs["series"] == row["series"]) & (figs["region"] == data.HOME_REGION)
                  & (figs["year"] == ind.target_year) & (figs["status"] == "preliminary")]
    if not len(prelim):
        return None
    old = float(prelim.sort_values("published")["value"].iloc[-1])
    if math.isclose(old, float(row["value"])):
        return None
    alt = s.copy()
    alt[ind.target_year] = old
    value = outcome_value(ind, alt)
    word, margin = verdict(ind, value)
    return value, word, margin


def target_outcome(ind: Indicator, s: pd.Series, rows: pd.DataFrame, as_of: int | None, raw_folder=None) -> TargetOutcome | None:
    """The target-year outcome from the panel rows; None for a report before the target year.

    ``not_published`` where the target year has passed in ``as_of`` but its figure is not
    out; ``qualitative`` for a target without a number (judged in words elsewhere).
    """
    if as_of is not None and as_of < ind.target_year:
        return None
    if not ind.is_quantitative:
        return TargetOutcome(ind.id, "qualitative")
    value = outcome_value(ind, s)
    if value is None:
        return _bound_outcome(ind, rows) or TargetOutcome(ind.id, "not_published", target=ind.target_value)
    row = rows[(rows["year"] == ind.target_year) & (rows["bound"] == "")].iloc[0]
    word, margin = verdict(ind, value)
    old = _superseded(ind, row, raw_folder, s)
    return TargetOutcome(
        ind.id, word, ind.target_year, value, ind.target_value, margin, row["status"],
        bool(row["proxy"]), bool(row["derived"]), row["source_ids"],
        *(old if old else (None, None, None)))


def _bound_outcome(ind: Indicator, rows: pd.DataFrame) -> TargetOutcome | None:
    """The outcome a bound of the target year's figure settles (:func:`bound_verdict`), if any."""
    bounds = rows[(rows["year"] == ind.target_year) & (rows["bound"] != "") & rows["value"].notna()]
    if not len(bounds):
        return None
    row = bounds.iloc[0]
    settled = bound_verdict(ind, float(row["value"]), row["bound"])
    if settled is None:
        return None
    word, margin = settled
    return TargetOutcome(ind.id, word, ind.target_year, float(row["value"]), ind.target_value, margin, row["status"],
                         True, bool(row["derived"]), row["source_ids"], bound=row["bound"])


def _data_note(rows: pd.DataFrame) -> str:
    later = rows[rows["year"] > rows["year"].min()] if len(rows) else rows
    parts = [f"{len(rows)} points"]
    if later["proxy"].any():
        parts.append("proxy " + ",".join(sorted(set(later.loc[later["proxy"], "series"]))))
    if later["derived"].any():
        parts.append("derived")
    if later["status"].eq("preliminary").any():
        parts.append("preliminary figures")
    if later["note"].str.contains("Low confidence", na=False).any():
        parts.append("low-confidence figures")
    return "; ".join(parts)


def assess(as_of: int | None = None, level: float = 0.8, seed: int = 0, deflator: str | None = None,
           raw_folder=None, definitions=None, only=None) -> pd.DataFrame:
    """The scorecard: one row per indicator, from data up to ``as_of``.

    Columns include the base, the latest figure and its basis, the target, the forecast
    for the target year with its interval, ``prob_meet``, each lens's category, the
    overall ``status`` (see :data:`STATUS_LABELS`) and a data note; ``outcome`` and its
    ``outcome_*`` columns in a report for the target year. ``only``: these ids alone.
    """
    the_plan = default_plan(definitions)
    if as_of is not None and as_of < the_plan.base_year:
        raise AssessmentError(f"as_of {as_of} is before the plan's base year {the_plan.base_year}")
    p = data.panel(as_of=as_of, deflator=deflator, raw_folder=raw_folder, definitions=definitions)
    rows = []
    for ind in the_plan.indicators:
        if only is not None and ind.id not in only:
            continue
        s = data.series(ind.id, as_of=as_of, deflator=deflator, raw_folder=raw_folder, definitions=definitions)
        prog = progress(s, ind, as_of=as_of, raw_folder=raw_folder)
        fc = None
        if ind.is_quantitative and len(s) >= 1:
            fc = forecast(ind.id, as_of=as_of, level=level, seed=seed, deflator=deflator,
                          raw_folder=raw_folder, definitions=definitions)
        ind_rows = p[p["indicator_id"] == ind.id]
        ok, why_zh, why_en = judgeable(ind, ind_rows)
        result = target_outcome(ind, s, ind_rows, as_of, raw_folder)
        word = result.outcome if result is not None and result.outcome in JUDGED_OUTCOMES else None
        st = status(ind, prog, fc, word, can_judge=ok)
        shown_fc = fc if ok and word is None else None  # no probability from too few points, none once published
        latest = ind_rows[ind_rows["year"] == prog.latest_year] if prog.latest_year else ind_rows.iloc[0:0]
        standing = province_standing(ind, as_of, raw_folder) if not ind.is_quantitative else None
        rows.append({
            "id": ind.id, "key": ind.key, "category_zh": ind.category.zh, "category_en": ind.category.en,
            "name_zh": ind.name_zh, "name_en": ind.name_en, "unit": ind.unit,
            "target_kind": ind.target_kind,
            "base_year": ind.baseline_year, "base": ind.baseline_value,
            "latest_year": prog.latest_year, "latest": prog.latest_value,
            "latest_basis": latest["basis"].iloc[0] if len(latest) else None,
            "latest_status": latest["status"].iloc[0] if len(latest) else None,
            "latest_series": latest["series"].iloc[0] if len(latest) else None,
            "latest_sources": latest["source_ids"].iloc[0] if len(latest) else None,
            "latest_note": latest["note"].iloc[0] if len(latest) else None,
            "latest_as_published": latest["value_as_published"].iloc[0] if len(latest) else None,
            "latest_proxy": bool(latest["proxy"].iloc[0]) if len(latest) else False,
            "latest_derived": bool(latest["derived"].iloc[0]) if len(latest) else False,
            "target_text": ind.target_text, "target": ind.target_value,
            "forecast": None if shown_fc is None else shown_fc.point,
            "forecast_lower": None if shown_fc is None else shown_fc.lower,
            "forecast_upper": None if shown_fc is None else shown_fc.upper,
            "forecast_method": None if shown_fc is None else shown_fc.method,
            "prob_meet": None if shown_fc is None else shown_fc.prob_meet,
            "judgeable": ok, "judge_note_zh": why_zh, "judge_note_en": why_en,
            "eurostat": prog.eurostat, "eurostat_ratio": prog.eurostat_ratio,
            "midterm": prog.midterm, "completion": prog.completion, "elapsed": prog.elapsed,
            "change_per_year_required": prog.change_per_year_required,
            "realised_average_growth": prog.realised_average_growth,
            "required_average_growth_remaining": prog.required_average_growth_remaining,
            "growth_first_year": prog.growth_years[0] if prog.growth_years else None,
            "comparison": prog.comparison,
            "standing_year": None if standing is None else standing.year,
            "standing_rank": None if standing is None else standing.rank,
            "standing_n": None if standing is None else standing.n,
            "standing_value": None if standing is None else standing.value,
            "standing_series": None if standing is None else standing.series,
            "outcome": None if result is None else result.outcome,
            "outcome_year": None if result is None else result.year,
            "outcome_value": None if result is None else result.value,
            "outcome_margin": None if result is None else result.margin,
            "outcome_figure_status": None if result is None else result.figure_status,
            "outcome_proxy": None if result is None else result.proxy,
            "outcome_bound": None if result is None else result.bound,
            "outcome_source": None if result is None else result.source_ids,
            "outcome_superseded_value": None if result is None else result.superseded_value,
            "outcome_superseded": None if result is None else result.superseded_outcome,
            "status": st,
            "status_zh": STATUS_LABELS[st][0], "status_en": STATUS_LABELS[st][1],
            "n_points": int(len(s)),
            "proxy": bool(ind_rows.loc[ind_rows["year"] > ind.baseline_year, "proxy"].any()),
            "derived": bool(ind_rows.loc[ind_rows["year"] > ind.baseline_year, "derived"].any()),
            "low_confidence": bool(ind_rows["note"].str.contains("Low confidence", case=False, na=False).any()),
            "data_note": _data_note(ind_rows),
        })
    card = pd.DataFrame(rows).set_index("id")
    # where the figures and definitions came from, for the text built on the card's rows
    card.attrs.update(raw_folder=raw_folder, definitions=definitions)
    return card


VINTAGE_COLUMNS = ["as_of", "to_year", "point", "lower", "upper", "prob_meet", "judgeable", "actual", "met",
                   "error", "inside", "method"]


def vintages(ref, first: int = 2020, last: int | None = None, level: float = 0.8, seed: int = 0,
             raw_folder=None, definitions=None) -> pd.DataFrame:
    """Every earlier forecast vintage scored against what happened.

    With the target year's figure published: each vintage as_of = first .. target year − 1,
    its point, interval and P(meet) for the target year against the outcome (``met`` is
    whether the target was met). Without it: each vintage before the latest published year
    L, its forecast for L (from the forecast path) against the figure for L; ``prob_meet``
    and ``met`` stay empty, as there is no outcome to score a probability on. ``judgeable``
    says whether that vintage had data enough to print a probability (:func:`judgeable`).
    As-of cuts use the data years (the figures as published now, revisions included), not
    the figures as they stood in each vintage's year.
    """
    the_plan = default_plan(definitions)
    ind = the_plan.get(ref)
    empty = pd.DataFrame(columns=VINTAGE_COLUMNS)
    if not ind.is_quantitative:
        return empty
    s = data.series(ind.id, raw_folder=raw_folder, definitions=definitions)
    actual = outcome_value(ind, s)
    if actual is not None:
        to_year, met = ind.target_year, verdict(ind, actual)[0] == "met"
    else:
        later = s[s.index > ind.baseline_year]
        if not len(later):
            return empty
        to_year, met = int(later.index.max()), None
        actual = float(s[to_year])
    p = data.panel(raw_folder=raw_folder, definitions=definitions)
    ind_rows = p[p["indicator_id"] == ind.id]
    rows = []
    for v in range(max(first, ind.baseline_year), min(last or to_year - 1, to_year - 1) + 1):
        if not len(s[s.index <= v]):
            continue
        fc = forecast(ind.id, as_of=v, level=level, seed=seed, raw_folder=raw_folder, definitions=definitions)
        if to_year == ind.target_year:
            point, lower, upper, prob = fc.point, fc.lower, fc.upper, fc.prob_meet
        elif fc.path is not None and to_year in fc.path.index:
            point, lower, upper, prob = (*(float(fc.path.loc[to_year, c]) for c in ("mean", "lower", "upper")), None)
        else:
            continue
        if point is None or lower is None or not math.isfinite(lower):
            continue
        ok = judgeable(ind, ind_rows[ind_rows["year"] <= v])[0]
        rows.append({"as_of": v, "to_year": to_year, "point": point, "lower": lower, "upper": upper,
                     "prob_meet": prob, "judgeable": ok, "actual": actual, "met": met,
                     "error": point - actual, "inside": bool(lower <= actual <= upper), "method": fc.method})
    return pd.DataFrame(rows, columns=VINTAGE_COLUMNS)


@dataclass(frozen=True)
class TrackRecord:
    """How the earlier vintages did against the outcomes.

    ``brier`` is over the vintages that printed a probability (enough data, see
    :func:`judgeable`); ``brier_all`` over every vintage the model could compute.
    """

    vintages: int
    inside: int
    brier: float | None
    brier_n: int
    brier_all: float | None
    brier_all_n: int
    on_outcomes: int = 0   # vintages scored against a target-year outcome (the rest: the latest year)


def brier_score(prob, outcome) -> float | None:
    r"""Mean squared difference between probabilities and 0/1 outcomes.

    Notes
    -----
    :math:`B = \frac{1}{n}\sum_i (p_i - o_i)^2`; 0 is perfect, 0.25 is what a constant
    50 % forecast scores, 1 is a certain forecast that was always wrong.
    """
    p = np.asarray(prob, dtype=float)
    o = np.asarray(outcome, dtype=float)
    keep = ~np.isnan(p)
    if not keep.any():
        return None
    return float(np.mean((p[keep] - o[keep]) ** 2))


def track_record(frames) -> TrackRecord:
    """Summarise vintage tables (one per indicator, from :func:`vintages`)."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return TrackRecord(0, 0, None, 0, None, 0, 0)
    v = pd.concat(frames, ignore_index=True)
    scored = v[v["met"].notna() & v["prob_meet"].notna()]  # a probability needs an outcome to be scored on
    printed = scored[scored["judgeable"].astype(bool)]
    return TrackRecord(
        vintages=int(len(v)), inside=int(v["inside"].astype(bool).sum()),
        brier=brier_score(printed["prob_meet"], printed["met"].astype(float)), brier_n=int(len(printed)),
        brier_all=brier_score(scored["prob_meet"], scored["met"].astype(float)), brier_all_n=int(len(scored)),
        on_outcomes=int(v["met"].notna().sum()),
    )
