r"""Price indices and deflation: current prices ↔ constant 2019 prices.

Chinese statistics publish price indices year on year, with the previous year = 100
(上年=100), e.g. 工业生产者出厂价格指数 102.5, or as a change in per cent ("下降2.7%").
The plan sets every price-bearing target except indicator 1 at constant 2019 prices
(annex note), so a current-price figure must be brought to 2019 prices before it is held
against its target. This module chains the year-on-year indices into a level index,
rebases it, derives an implied deflator from nominal and real growth, and converts.

Nothing is filled: a year missing from an index raises an error that names the years.

References
----------
National Bureau of Statistics of China, 《中国统计年鉴》, explanatory notes on price
indices (上年=100) and on value added at comparable prices.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

DeflateKind = Literal["amount", "intensity"]


class PriceIndexError(ValueError):
    """An index lacks a year it is needed for; the message lists the years."""


def _as_year_series(values, name: str) -> pd.Series:
    s = pd.Series(values, dtype="float64").copy()
    try:
        s.index = pd.Index([int(y) for y in s.index], name="year")
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be indexed by integer years") from None
    if s.index.has_duplicates:
        raise ValueError(f"{name} has duplicate years: {sorted(set(s.index[s.index.duplicated()]))}")
    return s.sort_index()


def _missing_years(index: pd.Series, years) -> list[int]:
    present = set(index.dropna().index)
    return sorted({int(y) for y in years} - present)


def yoy_from_change(pct_change) -> pd.Series:
    """Year-on-year index (previous year = 100) from a change in per cent: 100 + change.

    >>> yoy_from_change({2023: -2.7}).loc[2023]
    97.3
    """
    return _as_year_series(pct_change, "pct_change") + 100.0


def chain_index(yoy, base_year: int = 2019) -> pd.Series:
    r"""Chain year-on-year indices (previous year = 100) into a level index, base_year = 100.

    Parameters
    ----------
    yoy : pd.Series or mapping
        Indexed by int year; ``yoy[t]`` is the price level of year ``t`` with ``t - 1`` = 100.
        The years must be consecutive.
    base_year : int
        The year whose level is 100.

    Returns
    -------
    pd.Series
        Level index for ``min(yoy.index) - 1`` through ``max(yoy.index)``.

    Raises
    ------
    PriceIndexError
        If the years have a gap, or the chain cannot reach ``base_year``.

    Notes
    -----
    With :math:`r_t` the index of year :math:`t` on :math:`t-1 = 100` and :math:`b` the
    base year,

    .. math::

        P_b = 100, \qquad P_t = P_{t-1} \frac{r_t}{100} \ (t > b), \qquad
        P_{t-1} = P_t \frac{100}{r_t} \ (t \le b).
    """
    r = _as_year_series(yoy, "yoy").dropna()
    if r.empty:
        raise PriceIndexError("yoy is empty")
    if (r <= 0).any():
        raise ValueError(f"a year-on-year index must be positive (previous year = 100); got {r[r <= 0].to_dict()}")
    first, last = int(r.index.min()), int(r.index.max())
    gaps = _missing_years(r, range(first, last + 1))
    if gaps:
        raise PriceIndexError(f"year-on-year index has no value for {gaps}; the chain would break there")
    if not first - 1 <= base_year <= last:
        raise PriceIndexError(
            f"cannot chain to base year {base_year}: the indices cover {first}..{last}, "
            f"which link {first - 1}..{last}"
        )
    years = range(first - 1, last + 1)
    level = pd.Series(np.nan, index=pd.Index(years, name="year"))
    level[base_year] = 100.0
    for t in range(base_year + 1, last + 1):
        level[t] = level[t - 1] * r[t] / 100.0
    for t in range(base_year, first - 1, -1):
        level[t - 1] = level[t] * 100.0 / r[t]
    return level.rename("index")


def rebase(index, base_year: int = 2019) -> pd.Series:
    r"""Rescale a level index so that ``base_year`` = 100.

    Notes
    -----
    :math:`P'_t = 100\, P_t / P_b`.
    """
    s = _as_year_series(index, "index")
    if _missing_years(s, [base_year]):
        raise PriceIndexError(f"index has no value for the base year {base_year}; years present: {list(s.dropna().index)}")
    return (s * 100.0 / s[base_year]).rename("index")


def implied_deflator(nominal, real_growth, base_year: int = 2019) -> pd.Series:
    r"""Implied deflator from a current-price level and its real growth in per cent.

    Parameters
    ----------
    nominal : pd.Series or mapping
        Current-price level by year (e.g. GDP in 亿元).
    real_growth : pd.Series or mapping
        Growth at comparable prices in per cent, ``g[t]`` from ``t - 1`` to ``t``.
    base_year : int

    Returns
    -------
    pd.Series
        Deflator level index, ``base_year`` = 100, over the years that nominal levels
        and growth rates link without a gap.

    Notes
    -----
    The deflator rises by nominal growth over real growth:

    .. math::

        r_t = 100 \, \frac{N_t / N_{t-1}}{1 + g_t / 100},

    and the :math:`r_t` are chained with :func:`chain_index`.
    """
    n = _as_year_series(nominal, "nominal").dropna()
    g = _as_year_series(real_growth, "real_growth").dropna()
    years = [t for t in g.index if t in n.index and t - 1 in n.index]
    if not years:
        raise PriceIndexError("no year has nominal levels for itself and the year before, and real growth")
    yoy = pd.Series({t: 100.0 * (n[t] / n[t - 1]) / (1.0 + g[t] / 100.0) for t in years})
    return chain_index(yoy, base_year=base_year)


def _factor(values: pd.Series, index, base_year: int) -> pd.Series:
    p = rebase(index, base_year)
    missing = _missing_years(p, values.dropna().index)
    if missing:
        raise PriceIndexError(f"price index has no value for {missing}; cannot convert those years")
    return p.reindex(values.index) / 100.0


def to_constant(values, index, base_year: int = 2019, kind: DeflateKind = "amount") -> pd.Series:
    r"""Current prices → constant ``base_year`` prices.

    Parameters
    ----------
    values : pd.Series or mapping
        Figures at current prices, by year.
    index : pd.Series or mapping
        Price level index by year (any base; it is rebased to ``base_year``).
    base_year : int
    kind : {"amount", "intensity"}
        ``amount``: a price-bearing amount (value added per worker, tax per mu).
        ``intensity``: a quantity per unit of a price-bearing amount (m³ per 10,000 yuan of
        value added, patents per 10 billion yuan of revenue).

    Notes
    -----
    With :math:`P_t` the index rebased to :math:`P_b = 100`:

    .. math::

        \text{amount:}\quad x^{b}_t = x_t \cdot 100 / P_t, \qquad
        \text{intensity:}\quad x^{b}_t = x_t \cdot P_t / 100 .

    An intensity's denominator is the amount, so deflating the denominator multiplies
    the ratio.
    """
    x = _as_year_series(values, "values")
    f = _factor(x, index, base_year)
    return x / f if kind == "amount" else x * f if kind == "intensity" else _bad_kind(kind)


def to_current(values, index, base_year: int = 2019, kind: DeflateKind = "amount") -> pd.Series:
    r"""Constant ``base_year`` prices → current prices; the inverse of :func:`to_constant`.

    Notes
    -----
    amount: :math:`x_t = x^{b}_t P_t / 100`; intensity: :math:`x_t = x^{b}_t \cdot 100 / P_t`.
    """
    x = _as_year_series(values, "values")
    f = _factor(x, index, base_year)
    return x * f if kind == "amount" else x / f if kind == "intensity" else _bad_kind(kind)


def _bad_kind(kind) -> pd.Series:
    raise ValueError(f"kind must be 'amount' or 'intensity', got {kind!r}")
