"""Shared test set-up: a headless matplotlib backend, as QuantEcon's tests/matplotlibrc does,
and a builder of small raw-data folders."""

import os
import shutil

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

# Property-based tests (tests/test_fuzz.py): 2,000 examples each, derandomized so that CI
# is stable and a failure reproduces; HYPOTHESIS_PROFILE=dev runs 200 for a quick check.
from hypothesis import HealthCheck, settings  # noqa: E402

_COMMON = dict(derandomize=True, deadline=None, database=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=2000, **_COMMON)
settings.register_profile("dev", max_examples=200, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def raw_folder(tmp_path):
    """``raw_folder(sources, **files)``: a data/raw folder with the shipped series
    declarations, ``sources`` as sources.csv and each keyword as ``<name>.csv``."""
    from zjplan import data

    def make(sources: str, **files: str):
        folder = tmp_path / "raw"
        folder.mkdir()
        shutil.copy(data.RAW_DIR / "series.meta.yml", folder / "series.meta.yml")
        (folder / "sources.csv").write_text(sources, encoding="utf-8")
        for name, text in files.items():
            (folder / f"{name}.csv").write_text(text, encoding="utf-8")
        return folder

    return make
