"""zjplan: track the 16 key indicators of Zhejiang's 2020 manufacturing plan.

The public API (see README and ../shared/DESIGN.md §4)::

    import zjplan
    zjplan.indicators()          # the 16 indicators, indexed by id
    zjplan.indicator(6)          # one Indicator, by id or key
    zjplan.panel(as_of=None)     # tidy panel of published, derived and proxy values
    zjplan.series(6, as_of=2023) # one indicator by int year, on its target's price basis
    zjplan.forecast(6, as_of=2023)               # Forecast for the target year
    zjplan.forecast_series(y, to_year=2025)      # the same engine on any annual series
    zjplan.progress(series, indicator, as_of)    # the progress lenses
    zjplan.assess(as_of=2024)                    # the scorecard, one row per indicator
    zjplan.compare(12, year=None)                # every province's value and rank
"""

from . import prices
from .assessment import AssessmentError, assess, forecast, progress, vintages
from .data import DataError, panel, series
from .forecasting import Forecast, forecast_series
from .provinces import compare
from .definitions import (
    DefinitionError,
    Indicator,
    Plan,
    indicator,
    indicators,
    load_definitions,
    plan,
)

__version__ = "0.1.0"

__all__ = [
    "AssessmentError",
    "Forecast",
    "assess",
    "compare",
    "forecast",
    "forecast_series",
    "progress",
    "vintages",
    "DataError",
    "DefinitionError",
    "Indicator",
    "Plan",
    "indicator",
    "indicators",
    "load_definitions",
    "panel",
    "plan",
    "prices",
    "series",
]
