"""Shared test set-up: a headless matplotlib backend, as QuantEcon's tests/matplotlibrc does."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
