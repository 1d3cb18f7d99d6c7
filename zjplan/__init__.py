"""zjplan: track the 16 key indicators of Zhejiang's 2020 manufacturing plan.

The public API (see README and ../shared/DESIGN.md §4)::

    import zjplan
    zjplan.indicators()          # the 16 indicators, indexed by id
    zjplan.indicator(6)          # one Indicator, by id or key
    zjplan.panel(as_of=None)     # tidy panel of published, derived and proxy values
    zjplan.series(6, as_of=2023) # one indicator by int year, on its target's price basis
"""

from . import prices
from .data import DataError, panel, series
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
