"""Regression tests of issue 12: hostile but fair input, one test (or more) per defect,
named after the defect's number. Each reproduction must give a named error (file, line,
field) or the right result."""

import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

import zjplan
from zjplan import assessment, cli, data, narrative, report
from zjplan.assessment import AssessmentError
from zjplan.data import DataError
from zjplan.definitions import DEFAULT_DEFINITIONS, DefinitionError, load_definitions
from zjplan.forecasting import forecast_series

from test_data import FIGURES, HEADER, SOURCES

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2024


@pytest.fixture
def raw(raw_folder):
    return raw_folder(SOURCES, figures=FIGURES)


def _add(raw: Path, *rows: str) -> Path:
    with open(raw / "figures.csv", "a", encoding="utf-8") as fh:
        fh.write("".join(r + "\n" for r in rows))
    return raw


def _line_of(raw: Path, text: str) -> int:
    return next(i for i, l in enumerate((raw / "figures.csv").read_text(encoding="utf-8").splitlines(), 1) if text in l)


def _no_kernel(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a kernel was started")
    monkeypatch.setattr(report, "run_notebook", refuse)


def _shipped_copy(tmp_path) -> Path:
    folder = tmp_path / "shipped_raw"
    shutil.copytree(data.RAW_DIR, folder)
    return folder


# --- 1. every reader applies the build's checks --------------------------------------------

def test_defect_01_every_reader_applies_build_checks(raw, tmp_path, monkeypatch, capsys):
    _add(raw, "hitech_mfg_va_share,2023,150,%,ratio,final,bulletin_2022,,")
    line = _line_of(raw, ",150,")
    message = rf"figures.csv:{line}: indicator 6 2023: 150 outside \[0, 100\]"
    for read in (lambda: data.panel(raw_folder=raw), lambda: data.series(6, raw_folder=raw),
                 lambda: zjplan.assess(as_of=2023, raw_folder=raw), lambda: report.report_years(raw),
                 lambda: data.build(tmp_path / "out", raw_folder=raw)):
        with pytest.raises(DataError, match=message):
            read()
    _no_kernel(monkeypatch)
    assert cli.main(["--raw", str(raw), "report", "--as-of", "2023", "--out", str(tmp_path / "r"), "--quiet"]) == 2
    assert "150 outside [0, 100]" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() and not (tmp_path / "out").exists()


# --- 2. no infinite value gets through -------------------------------------------------------

@pytest.mark.parametrize("value, message", [
    ("1e400", "column 'value': not a number: '1e400'"),
    ("1" + "0" * 400, "column 'value': number too large"),
])
def test_defect_02_infinite_values_are_refused_on_load(raw, value, message):
    _add(raw, f"hitech_mfg_va_share,2022,{value},%,ratio,final,bulletin_2022,,")
    with pytest.raises(DataError, match=f"figures.csv:{_line_of(raw, ',2022,' + value[:5])}: {message}"):
        data.panel(raw_folder=raw)


def test_defect_02_zero_denominator_names_series_year_and_inputs(raw):
    _add(raw, "digital_core_va,2022,9000,亿元,current,final,bulletin_2022,,",
         "gdp,2022,0,亿元,current,final,bulletin_2022,,")
    gdp_line, num_line = _line_of(raw, "gdp,2022,0,"), _line_of(raw, "digital_core_va,2022")
    with pytest.raises(DataError, match=rf"figures.csv:{gdp_line}: column 'value': gdp 2022 is 0, so digital_core_share_gdp = "
                                        rf"digital_core_va / gdp × 100 cannot be derived \(digital_core_va 2022 = 9000, "
                                        rf".*figures.csv:{num_line}\)"):
        zjplan.series(9, raw_folder=raw)


# --- 3. text from user-edited files is escaped in HTML ---------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_defect_03_markdown_escapes_names_units_targets_and_notes():
    ind = zjplan.indicator(13)
    evil = replace(ind, name_zh=SCRIPT, name_en=SCRIPT, unit=SCRIPT, unit_en="<b>u</b>", target_text="<img src=x>",
                   note_en="[click](javascript:alert(1))")
    prog = zjplan.progress(zjplan.series(13, as_of=2021), evil, as_of=2021)
    texts = [narrative.target_statement(evil, "both"), narrative.conclusion(evil, prog, None, "on_track", "both")]
    from nbconvert.filters.markdown import markdown2html_mistune

    for text in texts:
        rendered = markdown2html_mistune(text)
        assert "<script" not in rendered and "<img" not in rendered and "<b>" not in rendered
        assert 'href="javascript' not in rendered
        assert "&lt;script&gt;" in rendered
    assert "<strong>" in markdown2html_mistune(texts[0])  # our own markdown still renders
    card = zjplan.assess(as_of=2021).assign(name_zh=SCRIPT, name_en=SCRIPT, unit=SCRIPT, target_text=SCRIPT)
    html = narrative.scorecard_html(card, "both")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<script" not in narrative.summary(card, "both")


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory):
    """One real batch from another definitions file and another raw folder, both carrying
    `<script>` in names: the names must reach the pages, escaped."""
    tmp = tmp_path_factory.mktemp("hostile")
    raw = shutil.copytree(data.RAW_DIR, tmp / "raw")
    meta = (raw / "series.meta.yml").read_text(encoding="utf-8")
    (raw / "series.meta.yml").write_text(
        meta.replace("name_zh: 万元地区生产总值能耗比上年升降", f'name_zh: "{SCRIPT}能耗"'), encoding="utf-8")
    doc = yaml.safe_load(DEFAULT_DEFINITIONS.read_text(encoding="utf-8"))
    twelve = next(i for i in doc["indicators"] if i["id"] == 12)
    twelve["name_zh"] = f"{SCRIPT}另一规划的能耗指标"
    doc["plan"]["title_zh"] = f"{SCRIPT}另一规划"
    defs = tmp / "other_plan.yml"
    defs.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (summary,) = report.build_reports([YEAR], indicators=[12], jobs=2, out_root=tmp / "out", show_progress=False,
                                      definitions=defs, raw_folder=raw)
    return summary, tmp / "out" / str(YEAR)


def test_defect_03_pages_escape_script_from_series_meta_and_definitions(hostile_batch):
    summary, folder = hostile_batch
    assert not summary.failed, summary.text()
    pages = {p.name: p.read_text(encoding="utf-8") for p in (folder / "html").glob("*.html")}
    assert sorted(pages) == ["12_industry_energy_intensity.html", "scorecard.html"]
    for name, text in pages.items():
        assert "<script" not in text, name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;能耗" in pages["12_industry_energy_intensity.html"]  # the comparison
    assert "&lt;script&gt;alert(1)&lt;/script&gt;另一规划" in pages["scorecard.html"]  # the brief's title


def test_defect_09_definitions_file_drives_notebooks_and_brief(hostile_batch):
    _, folder = hostile_batch
    result = json.loads((folder / "results" / "12_industry_energy_intensity.json").read_text(encoding="utf-8"))
    assert result["indicator"]["name_zh"] == f"{SCRIPT}另一规划的能耗指标"
    nb = nbformat.read(folder / "scorecard.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "other_plan.yml" in injected.source and "raw_folder" in injected.source
    card = pd.read_csv(folder / "scorecard.csv")
    assert card.loc[card["id"] == 12, "name_zh"].item() == f"{SCRIPT}另一规划的能耗指标"


# --- 4. a failed job leaves nothing that looks current ---------------------------------------

@pytest.fixture
def failing_notebooks(tmp_path):
    """Notebooks that fail: the indicator notebook for indicator 12, and the scorecard."""
    folder = tmp_path / "notebooks"
    shutil.copytree(report.NOTEBOOKS, folder)
    for name, cond in (("indicator.ipynb", "indicator == 12"), ("scorecard.ipynb", "True")):
        nb = nbformat.read(folder / name, as_version=4)
        tagged = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
        nb.cells.insert(tagged + 1, nbformat.v4.new_code_cell(f"if {cond}:\n    raise RuntimeError('deliberate failure')"))
        nbformat.write(nb, folder / name)
    return folder


def test_defect_04_a_failed_job_removes_its_previous_outputs(failing_notebooks, tmp_path):
    folder = tmp_path / "out" / str(YEAR)
    stale = [folder / "results" / "12_industry_energy_intensity.json", folder / "html" / "12_industry_energy_intensity.html",
             folder / "indicators" / "12_industry_energy_intensity.ipynb", folder / "scorecard.csv",
             folder / "scorecard.ipynb", folder / "html" / "scorecard.html", folder / f"brief_{YEAR}.pdf"]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("from an earlier run", encoding="utf-8")
    (summary,) = report.build_reports([YEAR], indicators=[12], jobs=2, out_root=tmp_path / "out",
                                      notebooks=failing_notebooks, show_progress=False)
    assert sorted(o.name for o in summary.failed) == ["12_industry_energy_intensity", "scorecard"]
    assert [p for p in stale if p.exists()] == []
    assert (folder / "indicators" / "12_industry_energy_intensity.failed.ipynb").exists()
    assert summary.pdf is None and "no brief" in summary.text()


# --- 5. spreadsheet leftovers get named errors -----------------------------------------------

@pytest.mark.parametrize("body, message", [
    (",,,,,,,,,\n", r"figures.csv:2: 10 cells, but the header has 9 columns"),
    ("hitech_mfg_va_share,2021,16.0,%,ratio,final,bulletin_2021,a\rb,\n", r"figures.csv:2: a stray carriage return \(CR\)"),
])
def test_defect_05_spreadsheet_leftovers_name_file_and_line(raw, body, message):
    (raw / "figures.csv").write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        data.load_raw(raw)


def test_defect_05_cr_only_line_endings_are_read(raw):
    (raw / "figures.csv").write_bytes(FIGURES.replace("\n", "\r").encode("utf-8"))
    p = data.panel(raw_folder=raw)
    assert p.loc[(p["indicator_id"] == 6) & (p["year"] == 2021), "value"].item() == 16.0


@pytest.mark.parametrize("name", ["sources.csv", "series.meta.yml"])
def test_defect_05_missing_file_is_a_data_error(raw, name):
    (raw / name).unlink()
    with pytest.raises(DataError, match=rf"{name}: file not found"):
        data.load_raw(raw)


def test_defect_05_series_meta_as_a_list(raw):
    (raw / "series.meta.yml").write_text("- ppi\n- gdp\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"series.meta.yml: must be a mapping"):
        data.load_raw(raw)


def test_defect_05_category_given_as_a_list(tmp_path):
    text = DEFAULT_DEFINITIONS.read_text(encoding="utf-8").replace("category: quality", "category: [quality]", 1)
    (tmp_path / "plan.yml").write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"plan.yml: indicator 1 \(mfg_va_share_gdp\): field 'category' must be one of"):
        load_definitions(tmp_path / "plan.yml")


# --- 6. reports without a network interface --------------------------------------------------

def _can_unshare() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def test_defect_06_kernels_use_ipc_and_summary_names_only_existing_files(tmp_path):
    config = report.kernel_config(tmp_path)
    assert config.KernelManager.transport == "ipc" and config.KernelManager.ip.startswith(str(tmp_path))
    gone = report.ReportSummary(YEAR, tmp_path, [report.Outcome("06_hitech_mfg_share", None, False, 1.0, "kernel died")])
    assert "kept as" not in gone.text() and "FAILED 06_hitech_mfg_share: kernel died" in gone.text()


@pytest.mark.skipif(not _can_unshare(), reason="needs root and `unshare -n` (a network namespace without interfaces)")
def test_defect_06_report_runs_without_any_network_interface(tmp_path):
    out = tmp_path / "out"
    run = subprocess.run(["unshare", "-n", sys.executable, "-m", "zjplan", "report", "--as-of", str(YEAR),
                          "--indicators", "6", "--out", str(out), "--quiet"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"2 of 2 notebooks ran; brief: {out / str(YEAR) / f'brief_{YEAR}.pdf'}" in run.stdout
    assert (out / str(YEAR) / f"brief_{YEAR}.pdf").exists()
    assert "running over TCP" not in run.stderr
    # defect 8 as well: what a web server must read is 0644 under the usual umask
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in files), \
        {str(p): oct(p.stat().st_mode) for p in files}


# --- 7. Ctrl-C --------------------------------------------------------------------------------

def test_defect_07_ctrl_c_stops_promptly_and_says_what_finished(tmp_path):
    out = tmp_path / "out"
    # The batch starts as from a terminal, where Ctrl-C is delivered: a test run started in
    # the background of a non-interactive shell inherits SIGINT ignored, and so would the batch.
    proc = subprocess.Popen([sys.executable, "-m", "zjplan", "report", "--as-of", str(YEAR), "--indicators",
                             "1,3,5,6,7,9", "--jobs", "1", "--out", str(out), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    results = out / str(YEAR) / "results"
    deadline = time.monotonic() + 300
    while not (results.is_dir() and any(results.glob("*.json"))) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the batch ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    start = time.monotonic()
    stdout, stderr = proc.communicate(timeout=60)
    assert time.monotonic() - start < 15
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    assert "INTERRUPTED" in stdout and "NOT RUN" in stdout
    folder = out / str(YEAR)
    for line in stdout.splitlines():
        name = line.split()[-1] if line.strip().startswith("ok ") else None
        if line.strip().startswith("NOT RUN"):
            name = line.split()[2]
            assert not (folder / "results" / f"{name}.json").exists(), line
            assert not (folder / "indicators" / f"{name}.ipynb").exists(), line
        elif name and name != "scorecard":
            assert (folder / "indicators" / f"{name}.ipynb").exists(), line
    assert not [p for p in folder.rglob(".*")]  # no temporary file left behind


# --- 8. outputs respect the umask -------------------------------------------------------------

@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_defect_08_outputs_are_written_with_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        page = report.write_text(tmp_path / "page.html", "<p>x</p>")
        result = report.write_result({k: 1 for k in report.RESULT_KEYS}, tmp_path / "r.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(page.stat().st_mode) == mode and stat.S_IMODE(result.stat().st_mode) == mode


# --- 9. definitions checks and --definitions ---------------------------------------------------

def _plan_with(tmp_path, old: str, new: str) -> Path:
    text = DEFAULT_DEFINITIONS.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "plan.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("old, new, message", [
    ("target: {year: 2025, value: 7.0,", "target: {year: 2018, value: 7.0,",
     r"indicator 3 \(mfg_profit_margin\): field 'target.year' \(2018\) must be after baseline.year \(2019\)"),
    ("target: {year: 2025, value: 7.0,", "target: {year: 2019, value: 7.0,",
     r"indicator 3 \(mfg_profit_margin\): field 'target.year' \(2019\) must be after baseline.year \(2019\)"),
])
def test_defect_09_target_year_must_follow_base_year(tmp_path, old, new, message):
    with pytest.raises(DefinitionError, match=message):
        load_definitions(_plan_with(tmp_path, old, new))


@pytest.mark.parametrize("section, kind", [("plan", "a mapping"), ("categories", "a mapping"), ("indicators", "a list")])
def test_defect_09_null_section(tmp_path, section, kind):
    doc = yaml.safe_load(DEFAULT_DEFINITIONS.read_text(encoding="utf-8"))
    doc[section] = None
    path = tmp_path / "plan.yml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError, match=rf"plan.yml: {section}: section must be {kind}, got null"):
        load_definitions(path)


def test_defect_09_series_key_must_be_declared_in_series_meta(tmp_path):
    path = _plan_with(tmp_path, "series: hitech_mfg_va_share", "series: hitech_mfg_va_shares")
    with pytest.raises(DefinitionError, match=r"plan.yml: indicator 6 \(hitech_mfg_share\): field 'series': series "
                                              r"'hitech_mfg_va_shares' is not declared in .*series.meta.yml"):
        data.panel(definitions=path)


def test_defect_09_missing_definitions_file_stops_before_anything_runs(tmp_path, monkeypatch, capsys):
    _no_kernel(monkeypatch)
    missing = tmp_path / "nope.yml"
    assert cli.main(["--definitions", str(missing), "report", "--as-of", str(YEAR), "--out", str(tmp_path / "r")]) == 2
    assert f"{missing}: file not found" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


# --- 10. progress on zero and negative values ---------------------------------------------------

def test_defect_10_loss_year_falls_back_to_linear_pace():
    ind = zjplan.indicator(3)  # base 6.38 (2019), target 7.0 (2025)
    prog = zjplan.progress(pd.Series({2019: 6.38, 2021: -1.5}), ind, as_of=2021)
    # (−1.5 − 6.38)/2 per year against (7.0 − 6.38)/6 per year
    assert prog.eurostat_method == "linear"
    assert prog.eurostat_ratio == pytest.approx((-7.88 / 2) / (0.62 / 6))
    assert prog.eurostat == "away" and prog.cagr_observed is None
    assert any("linear paces" in n for n in prog.notes)
    assert zjplan.progress(pd.Series({2019: 6.38, 2021: 6.6}), ind, as_of=2021).eurostat_method == "cagr"


def test_defect_10_assess_survives_a_loss_year(raw):
    _add(raw, "above_scale_mfg_profit_margin,2021,-1.5,%,ratio,final,bulletin_2021,,")
    card = zjplan.assess(as_of=2022, raw_folder=raw)
    assert card.loc[3, "latest"] == -1.5 and card.loc[3, "eurostat"] == "away"


def test_defect_10_ceiling_equal_to_base_and_nan_ratio():
    ind = replace(zjplan.indicator(13), target_value=17.87)  # ceiling equal to the base, 17.87
    prog = zjplan.progress(pd.Series({2019: 17.87, 2021: 18.0}), ind, as_of=2021)
    assert prog.completion is None and prog.eurostat == "insufficient_data" and prog.midterm == "insufficient_data"
    assert any("target equals the base" in n for n in prog.notes)
    assert assessment.eurostat_category(math.nan, False) == "insufficient_data"
    assert assessment.midterm_category(math.nan, 0.5, False) == "insufficient_data"


def test_defect_10_zero_base_value():
    ind = replace(zjplan.indicator(6), baseline_value=0.0)
    prog = zjplan.progress(pd.Series({2021: 3.0}), ind, as_of=2021)
    # linear: 3.0/2 a year against 19/6 a year
    assert prog.eurostat_method == "linear" and prog.eurostat_ratio == pytest.approx(1.5 / (19 / 6))


# --- 11. plausible wrong input ---------------------------------------------------------------------

def test_defect_11_region_typo_lists_known_regions(raw):
    (raw / "figures.csv").write_text("region," + HEADER + "浙江省,hitech_mfg_va_share,2021,16.0,%,ratio,final,bulletin_2021,,\n",
                                     encoding="utf-8")
    with pytest.raises(DataError, match=r"figures.csv:2: column 'region': unknown region '浙江省'; known: 北京, 天津, .*浙江"):
        data.load_raw(raw)


def test_defect_11_unknown_column(raw):
    (raw / "figures.csv").write_text(HEADER.strip() + ",comment\n" + "hitech_mfg_va_share,2021,16.0,%,ratio,final,bulletin_2021,,,x\n",
                                     encoding="utf-8")
    with pytest.raises(DataError, match=r"figures.csv:1: unknown column comment; known columns: series, year"):
        data.load_raw(raw)


@pytest.mark.parametrize("cell, column", [("１６.０", "value"), ("١٦", "value"), ("1.6e1", "value"), ("1.6E+1", "value"),
                                          ("２０２１", "year")])
def test_defect_11_only_plain_ascii_digits(raw, cell, column):
    row = ["hitech_mfg_va_share", "2021", "16.0", "%", "ratio", "final", "bulletin_2021", "", ""]
    row[1 if column == "year" else 2] = cell
    (raw / "figures.csv").write_text(HEADER + ",".join(row) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"figures.csv:2: column '{column}'"):
        data.load_raw(raw)


def test_defect_11_api_refuses_what_it_used_to_drop_or_misread():
    y = pd.Series({2019: 10.0, 2020: 11.0, 2021: np.inf})
    with pytest.raises(ValueError, match=r"y has infinite values in years \[2021\]"):
        forecast_series(y)
    with pytest.raises(AssessmentError, match=r"infinite or non-numeric values in years \[2021\]"):
        zjplan.progress(y, zjplan.indicator(6))
    ok = pd.Series({2019: 10.0, 2020: 11.0, 2021: 12.0})
    with pytest.raises(ValueError, match="target must be a finite number or None, got nan"):
        forecast_series(ok, target=float("nan"))
    dated = pd.Series([10.0, 11.0, 12.0], index=pd.to_datetime(["2019-12-31", "2020-12-31", "2021-12-31"]))
    with pytest.raises(ValueError, match=r"got a DatetimeIndex; use y.index.year"):
        forecast_series(dated)
    with pytest.raises(AssessmentError, match="indexed by integer years"):
        zjplan.progress(dated, zjplan.indicator(6))
    with pytest.raises(ValueError, match=r"as_of 1990 is before the first data year, 20\d\d"):
        zjplan.series(6, as_of=1990)


@pytest.mark.parametrize("jobs", ["0", "-1"])
def test_defect_11_jobs_must_be_at_least_one(jobs, tmp_path, monkeypatch, capsys):
    _no_kernel(monkeypatch)
    assert cli.main(["report", "--as-of", str(YEAR), "--jobs", jobs, "--out", str(tmp_path / "r")]) == 2
    assert f"jobs must be a whole number of at least 1, got {jobs}" in capsys.readouterr().err


# --- 12. messages point to the right place ----------------------------------------------------------

def test_defect_12_one_gbk_row_in_a_utf8_file(raw):
    text = FIGURES + "hitech_mfg_va_share,2023,18.0,%,ratio,final,bulletin_2022,高技术制造业占18.0%,\n"
    lines = text.splitlines(keepends=True)
    body = b"".join(l.encode("gb18030" if i == len(lines) - 1 else "utf-8") for i, l in enumerate(lines))
    (raw / "figures.csv").write_bytes(body)
    with pytest.raises(DataError, match=rf"figures.csv:{len(lines)}: this line is not UTF-8, though the rest of the file is"):
        data.load_raw(raw)


def test_defect_12_impossible_price_change_names_file_and_line(raw):
    _add(raw, "ppi,2023,-150,%,pct_change,final,bulletin_2022,,")
    with pytest.raises(DataError, match=rf"figures.csv:{_line_of(raw, 'ppi,2023')}: column 'value': a change of -150% is impossible"):
        data.load_raw(raw)


def test_defect_12_misspelt_header_is_named(raw):
    (raw / "figures.csv").write_text("Region," + HEADER + "浙江,hitech_mfg_va_share,2021,16.0,%,ratio,final,bulletin_2021,,\n",
                                     encoding="utf-8")
    with pytest.raises(DataError, match=r"figures.csv:1: unknown column Region \(did you mean region\?\)") as err:
        data.load_raw(raw)
    assert len(str(err.value)) < 400


# --- 13. one documented way to say where the data is ---------------------------------------------

def test_defect_13_raw_folder_for_every_command(raw, tmp_path, monkeypatch, capsys):
    _no_kernel(monkeypatch)
    missing = tmp_path / "elsewhere"
    for argv in (["--raw", str(missing), "report", "--as-of", str(YEAR)], ["report", "--raw", str(missing), "--latest"],
                 ["--raw", str(missing), "data", "build"], ["data", "--raw", str(missing), "coverage"]):
        assert cli.main(argv) == 2, argv
        assert f"{missing}: raw-data folder not found" in capsys.readouterr().err
    monkeypatch.setenv("ZJPLAN_DATA_DIR", str(missing))
    assert cli.main(["data", "coverage"]) == 2
    assert f"{missing}: raw-data folder not found" in capsys.readouterr().err
    monkeypatch.setenv("ZJPLAN_DATA_DIR", str(raw))
    assert cli.main(["data", "coverage"]) == 0


def test_defect_13_readme_documents_where_data_lives_and_the_errors():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for phrase in ("ZJPLAN_DATA_DIR", "--raw", "DataError", "DefinitionError", "unknown column", "not a number"):
        assert phrase in readme, phrase
