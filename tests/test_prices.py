"""Deflation arithmetic, checked against values computed by hand."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from zjplan import prices


def test_chain_three_years_forward_and_back():
    # 2019 = 100; 2020 rises 2 %, 2021 rises 5 %; 2019's own index (on 2018) 98.
    yoy = pd.Series({2019: 98.0, 2020: 102.0, 2021: 105.0})
    level = prices.chain_index(yoy, base_year=2019)
    # by hand: 2018 = 100 / 0.98 = 102.0408..., 2020 = 102, 2021 = 102 * 1.05 = 107.1
    assert list(level.index) == [2018, 2019, 2020, 2021]
    assert_allclose(level.values, [100 / 0.98, 100.0, 102.0, 107.1])


def test_chain_base_at_the_start_and_from_pct_change():
    yoy = prices.yoy_from_change({2022: 4.0, 2023: -2.7, 2024: -2.2})
    assert_allclose(yoy.values, [104.0, 97.3, 97.8])
    level = prices.chain_index(yoy, base_year=2021)
    assert_allclose(level[2024], 100 * 1.04 * 0.973 * 0.978)


def test_chain_refuses_gap_and_unreachable_base():
    with pytest.raises(prices.PriceIndexError, match=r"no value for \[2021\]"):
        prices.chain_index({2020: 101.0, 2022: 103.0})
    with pytest.raises(prices.PriceIndexError, match=r"cannot chain to base year 2019.*2022\.\.2023"):
        prices.chain_index({2022: 101.0, 2023: 103.0}, base_year=2019)
    with pytest.raises(ValueError, match="must be positive"):
        prices.chain_index({2020: 0.0})


def test_rebase():
    idx = pd.Series({2018: 50.0, 2019: 80.0, 2020: 100.0})
    assert_allclose(prices.rebase(idx, 2019).values, [62.5, 100.0, 125.0])
    with pytest.raises(prices.PriceIndexError, match="base year 2017"):
        prices.rebase(idx, 2017)


def test_implied_deflator_by_hand():
    # Nominal 100 → 110 → 115.5; real growth 5 % then 3 %.
    nominal = {2019: 100.0, 2020: 110.0, 2021: 115.5}
    real = {2020: 5.0, 2021: 3.0}
    d = prices.implied_deflator(nominal, real, base_year=2019)
    # 2020: 100 * 1.10 / 1.05 = 104.7619; 2021: that * 1.05 / 1.03
    assert_allclose(d[2020], 110 / 1.05)
    assert_allclose(d[2021], (110 / 1.05) * (1.05 / 1.03))


def test_amount_and_intensity_by_hand():
    index = {2019: 100.0, 2020: 98.0, 2021: 105.0}
    # value added per mu 136 (2020, current prices), PPI level 98: 136 / 0.98 = 138.7755
    const = prices.to_constant({2020: 136.0, 2021: 150.0}, index)
    assert_allclose(const.values, [136 / 0.98, 150 / 1.05])
    # water per 10,000 yuan 13.3 at 2021 prices: 13.3 * 1.05 = 13.965 at 2019 prices
    assert_allclose(prices.to_constant({2021: 13.3}, index, kind="intensity")[2021], 13.965)


@pytest.mark.parametrize("kind", ["amount", "intensity"])
def test_round_trip(kind):
    index = pd.Series({2018: 99.0, 2019: 101.0, 2020: 97.5, 2021: 104.2})
    x = pd.Series({2018: 10.0, 2019: 11.0, 2020: 12.5, 2021: 13.0})
    back = prices.to_current(prices.to_constant(x, index, kind=kind), index, kind=kind)
    assert_allclose(back.values, x.values)
    # base year unchanged by either conversion
    assert_allclose(prices.to_constant(x, index, kind=kind)[2019], 11.0)


def test_missing_index_year_is_named():
    with pytest.raises(prices.PriceIndexError, match=r"no value for \[2024, 2025\]"):
        prices.to_constant({2023: 1.0, 2024: 1.0, 2025: 1.0}, {2019: 100.0, 2023: 99.0})
    with pytest.raises(ValueError, match="kind must be"):
        prices.to_constant({2019: 1.0}, {2019: 100.0}, kind="ratio")
