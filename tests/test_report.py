"""The yearly batch: real papermill runs, exports, the PDF brief, failures and bad parameters."""

import json
import re
import shutil
import socket
import subprocess
from pathlib import Path

import nbformat
import pytest

from zjplan import cli, report

YEAR = 2024


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One real batch: indicators 15 (constant 2019 prices) and 12 (qualitative), and the brief."""
    out = tmp_path_factory.mktemp("reports")
    (summary,) = report.build_reports([YEAR], indicators=[15, 12], lang="both", jobs=2, out_root=out,
                                      show_progress=False)
    return summary, out / str(YEAR)


def test_batch_writes_every_part(batch):
    summary, folder = batch
    assert not summary.failed, summary.text()
    assert sorted(p.name for p in (folder / "indicators").iterdir()) == ["12_industry_energy_intensity.ipynb", "15_va_per_mu.ipynb"]
    assert sorted(p.name for p in (folder / "results").iterdir()) == ["12_industry_energy_intensity.json", "15_va_per_mu.json"]
    assert (folder / "scorecard.ipynb").exists() and (folder / "scorecard.csv").exists()
    assert sorted(p.name for p in (folder / "html").iterdir()) == [
        "12_industry_energy_intensity.html", "15_va_per_mu.html", "scorecard.html"]
    assert summary.pdf == folder / f"brief_{YEAR}.pdf"
    assert not list(folder.rglob(".*"))  # no temporary files left behind


def test_results_json_is_validated_and_says_what_it_found(batch):
    _, folder = batch
    r15 = json.loads((folder / "results" / "15_va_per_mu.json").read_text(encoding="utf-8"))
    assert r15["indicator"]["id"] == 15 and r15["as_of"] == YEAR
    assert r15["forecast"]["to_year"] == 2025 and 0 <= r15["forecast"]["prob_meet"] <= 1
    assert any(row["basis"].startswith("constant_2019") for row in r15["data"])
    r12 = json.loads((folder / "results" / "12_industry_energy_intensity.json").read_text(encoding="utf-8"))
    assert r12["status"] == "qualitative" and r12["forecast"] is None
    assert "rank" in r12["progress"]["comparison"]


def test_executed_notebooks_have_no_errors_and_no_missing_glyphs(batch):
    _, folder = batch
    for path in [*folder.joinpath("indicators").glob("*.ipynb"), folder / "scorecard.ipynb"]:
        nb = nbformat.read(path, as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"], path
        assert "missing from font" not in json.dumps(outputs), path
        assert nb.metadata.kernelspec.name == "python3"


def test_html_is_self_contained(batch):
    _, folder = batch
    for path in (folder / "html").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text and "https://" not in text.split("<body>")[0], path
        assert 'src="http' not in text and 'href="http' not in text.split("<body>")[0]


def test_every_page_carries_its_charts(batch):
    # an indicator page: its fan chart, plus the provinces' bars where there is provincial
    # data (12, not 15; the track-record chart comes with a 2025 outcome); the brief: the
    # pace chart, the small multiples and the provinces page
    _, folder = batch
    expected = {"12_industry_energy_intensity": 2, "15_va_per_mu": 1}
    for path in (folder / "html").glob("*.html"):
        charts = path.read_text(encoding="utf-8").count('src="data:image/png')
        if path.stem == "scorecard":
            assert charts >= 3, path
        else:
            assert charts == expected.get(path.stem, charts) and charts >= 1, path


def test_batch_rebuilds_the_archive_page(batch):
    _, folder = batch
    page = folder.parent / "index.html"
    text = page.read_text(encoding="utf-8")
    assert f'href="{YEAR}/brief_{YEAR}.pdf"' in text and f'href="{YEAR}/html/12_industry_energy_intensity.html"' in text
    assert oct(page.stat().st_mode & 0o777) == "0o644"
    assert oct((folder / "html" / "scorecard.html").stat().st_mode & 0o777) == "0o644"  # readable by others


def test_plain_papermill_cli(tmp_path):
    """`papermill notebooks/indicator.ipynb out.ipynb -p indicator 6 -p as_of 2023` works as users expect."""
    import sys

    out = tmp_path / "out.ipynb"
    subprocess.run([sys.executable, "-m", "papermill", str(report.NOTEBOOKS / "indicator.ipynb"), str(out),
                    "-p", "indicator", "6", "-p", "as_of", "2023", "-k", "python3", "--no-progress-bar"],
                   check=True, capture_output=True, cwd=tmp_path)
    nb = nbformat.read(out, as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "indicator = 6" in injected.source and "as_of = 2023" in injected.source
    text = json.dumps([o for c in nb.cells if c.cell_type == "code" for o in c.outputs], ensure_ascii=False)
    assert "高技术制造业增加值占规模以上工业比重" in text


def test_pdf_brief_has_chinese_text(batch):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is installed by `make test`")
    _, folder = batch
    text = subprocess.run(["pdftotext", "-layout", str(folder / f"brief_{YEAR}.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    flat = text.replace("\n", "").replace(" ", "")
    for name in ("规模以上工业亩均增加值", "单位工业增加值能耗", "制造业增加值占GDP比重", "数据采集日期", "一句话总体结论",
                 "浙江在全国", "29/30", "「领先」的读法"):
        assert name in flat, name
    assert "数据截至" not in flat and "Dataversion" not in flat  # a collection date, not a cut-off or a hash
    assert "Key indicators brief" in text and "Zhejiang among the provinces" in text


def test_rerun_gives_identical_results(batch, tmp_path):
    _, folder = batch
    (again,) = report.build_reports([YEAR], indicators=[15], lang="both", jobs=1, out_root=tmp_path, show_progress=False)
    assert not again.failed
    first = (folder / "results" / "15_va_per_mu.json").read_bytes()
    assert (tmp_path / str(YEAR) / "results" / "15_va_per_mu.json").read_bytes() == first


# --- failures and bad parameters --------------------------------------------------------------

@pytest.fixture
def broken_notebooks(tmp_path):
    """A copy of the notebooks whose indicator notebook fails for indicator 12 only."""
    folder = tmp_path / "notebooks"
    shutil.copytree(report.NOTEBOOKS, folder)
    nb = nbformat.read(folder / "indicator.ipynb", as_version=4)
    tagged = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(tagged + 2, nbformat.v4.new_code_cell("if indicator == 12:\n    raise RuntimeError('deliberate failure')"))
    nbformat.write(nb, folder / "indicator.ipynb")
    return folder


def test_a_failing_notebook_does_not_stop_the_others(broken_notebooks, tmp_path):
    out = tmp_path / "out"
    (summary,) = report.build_reports([YEAR], indicators=[12, 6], jobs=2, out_root=out,
                                      notebooks=broken_notebooks, show_progress=False)
    assert [o.name for o in summary.failed] == ["12_industry_energy_intensity"]
    assert "deliberate failure" in summary.failed[0].error
    ind = out / str(YEAR) / "indicators"
    assert (ind / "12_industry_energy_intensity.failed.ipynb").exists()
    assert not (ind / "12_industry_energy_intensity.ipynb").exists()
    assert (ind / "06_hitech_mfg_share.ipynb").exists()
    assert "FAILED 12_industry_energy_intensity" in summary.text()


def test_cli_exits_non_zero_on_a_failed_notebook(broken_notebooks, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(report, "NOTEBOOKS", broken_notebooks)
    code = cli.main(["report", "--as-of", str(YEAR), "--indicators", "12", "--out", str(tmp_path), "--quiet"])
    assert code == 1
    assert "FAILED 12_industry_energy_intensity" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--as-of", "2019"], "as_of 2019 is outside the data; valid report years: 2020-"),
    (["--as-of", str(YEAR), "--lang", "fr"], "unknown lang 'fr'; valid: zh, en, both"),
    (["--as-of", str(YEAR), "--indicators", "1,99"], "unknown indicator '99'; valid: 1=mfg_va_share_gdp"),
    (["--as-of", str(YEAR), "--deflator", "cpi"], "unknown deflator 'cpi'; valid: ppi, gdp_deflator"),
    ([], "give --as-of YEAR, --latest or --all"),
])
def test_bad_parameters_are_refused_before_any_kernel(args, message, tmp_path, capsys, monkeypatch):
    def no_kernel(*a, **k):
        raise AssertionError("a kernel was started")
    monkeypatch.setattr(report, "run_notebook", no_kernel)
    assert cli.main(["report", *args, "--out", str(tmp_path / "r")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_pdf_builds_with_the_network_unreachable(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network unreachable (test)")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    page = tmp_path / "page.html"
    page.write_text('<html><body><p>离线 offline</p><img src="https://example.org/x.png">'
                    '<link rel="stylesheet" href="http://example.org/s.css"></body></html>', encoding="utf-8")
    pdf = report.html_to_pdf(page, tmp_path / "page.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_result_validation():
    with pytest.raises(ValueError, match="result is missing status"):
        report.validate_result({k: 1 for k in report.RESULT_KEYS if k != "status"})
    with pytest.raises(ValueError):
        report.validate_result({**{k: 1 for k in report.RESULT_KEYS}, "level": float("nan")})


def test_explore_notebook_runs(tmp_path):
    outcome = report.run_notebook(report.NOTEBOOKS / "explore.ipynb", tmp_path / "explore.ipynb", {})
    assert outcome.ok, outcome.error


def test_committed_notebooks_are_clean():
    for path in report.NOTEBOOKS.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata.kernelspec.name == "python3", path
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), f"{path} has outputs"


def test_calibration_coverage_names_the_default_calibration(monkeypatch):
    from zjplan import forecasting, report

    monkeypatch.setattr(forecasting, "_load_calibration",
                        lambda: {"coverage": 0.7922, "domain": {"coverage": 0.7951}})
    assert report.calibration_coverage() == (
        "80% intervals covered 79.5% of held-out Chinese provincial test values")
    monkeypatch.setattr(forecasting, "_load_calibration", lambda: {"coverage": 0.7922})
    assert report.calibration_coverage() == "80% intervals covered 79.2% of held-out M3 yearly test values"


def test_method_note_names_the_interval_calibration_once_per_language():
    coverage = report.calibration_coverage()
    assert coverage  # the shipped calibration records its benchmark coverage
    from zjplan import narrative

    note = narrative.method_note("both", coverage)
    share = re.search(r"covered ([\d.]+%)", coverage).group(1)
    assert note.count(coverage) == 1  # the English forecast line
    assert note.count(f"覆盖了{share}") == 1  # the Chinese one, in Chinese
    assert note.count(share) == 2
    assert "区间校准" not in note and "Interval calibration" not in note  # no second bullet
