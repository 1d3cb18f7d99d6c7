# Two commands from a fresh clone (README): `make report` and `make test`.
# Both create .venv if it is missing and install the package with everything the
# reports need: Python packages (the CJK font comes from PyPI: mplfonts ships Noto Sans
# CJK SC), and, where we are root on Debian, the system libraries WeasyPrint and the
# tests use (pango, poppler-utils).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.zjplan-installed

.PHONY: setup system-deps report readme test lab data benchmarks clean-reports

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# System libraries: only installed where missing, and only as root with apt-get.
system-deps:
	@missing=""; \
	ldconfig -p | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	ldconfig -p | grep -q libharfbuzz-subset || missing="$$missing libharfbuzz-subset0"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "please install:$$missing (needed for PDF briefs and tests)"; \
	  fi; \
	fi

# The main job: rebuild data/processed from data/raw, then the report for the latest
# data year (reports/<year>/: notebooks, html, results, scorecard.csv, brief PDF).
# Every year: `.venv/bin/zjplan report --all`.
report: setup
	$(VENV)/bin/zjplan data build
	$(VENV)/bin/zjplan report --latest

# The README's scorecard section, regenerated from the data (never typed by hand).
readme: setup
	$(VENV)/bin/zjplan scorecard --readme README.md

test: setup
	$(PY) -m pytest -q

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

benchmarks: setup
	$(PY) benchmarks/m3_yearly.py
	$(PY) benchmarks/cn_provinces.py
	$(PY) benchmarks/report_batch.py
