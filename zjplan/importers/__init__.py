"""Importers: the statistics portal's exports and the statistical bulletins, into data/raw.

``zjplan data import nbs FILE --source ID`` and ``zjplan data import bulletin FILE --source ID
--year YEAR`` print the candidate rows and what they would change; ``--apply`` writes them
after the checks of ``zjplan data build``. The maps from printed names to series keys are
data: ``data/raw/nbs_indicators.yml`` and ``data/raw/bulletin_phrases.yml``.
"""

from __future__ import annotations

from pathlib import Path

from .. import data
from .common import REGIONS, ImportPlan, SourceSpec, apply_plan, check_region, format_rows, plan_import

NBS_TARGET = "nbs_provinces.csv"
BULLETIN_TARGET = "bulletins.csv"


def import_nbs(file, source: SourceSpec, series=None, raw_folder=None, target: str = NBS_TARGET) -> ImportPlan:
    """Review a statistics-portal export: candidate rows and how they compare with data/raw."""
    from .nbs import read_export

    folder, path = data.raw_dir(raw_folder), Path(file)
    rows = read_export(path, source.source_id, folder, series=series or None)
    return plan_import(rows, path, folder / target, folder, source)


def import_bulletin(file, source: SourceSpec, year: int | None, region: str = data.HOME_REGION,
                    raw_folder=None, target: str = BULLETIN_TARGET) -> ImportPlan:
    """Review a statistical bulletin (HTML or text): candidate rows and how they compare with data/raw."""
    from .bulletin import extract

    folder, path = data.raw_dir(raw_folder), Path(file)
    rows = extract(path, year, check_region(region), source.source_id, folder)
    return plan_import(rows, path, folder / target, folder, source)


__all__ = ["REGIONS", "ImportPlan", "SourceSpec", "apply_plan", "format_rows", "import_bulletin", "import_nbs"]
