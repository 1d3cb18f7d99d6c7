"""zjplan: track the 16 key indicators of Zhejiang's 2020 manufacturing plan.

The public API (see README and ../shared/DESIGN.md §4)::

    import zjplan
    zjplan.indicators()          # the 16 indicators, indexed by id
    zjplan.indicator(6)          # one Indicator, by id or key
"""

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
    "DefinitionError",
    "Indicator",
    "Plan",
    "indicator",
    "indicators",
    "load_definitions",
    "plan",
]
