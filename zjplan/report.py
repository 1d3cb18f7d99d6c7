"""Yearly reports: papermill runs the notebooks into ``reports/<year>/``, then HTML and the PDF brief.

For one report year (``as_of``) the batch writes::

    reports/<year>/indicators/NN_<key>.ipynb   executed indicator notebooks
    reports/<year>/scorecard.ipynb             the executed brief notebook
    reports/<year>/results/NN_<key>.json       one validated result per indicator
    reports/<year>/scorecard.csv               the scorecard (spreadsheet-safe)
    reports/<year>/html/*.html                 self-contained HTML, code hidden
    reports/<year>/brief_<year>.pdf            A4 brief made from the scorecard's HTML

Parameters are checked before any kernel starts. Every file is written under a
temporary name and moved into place, so a failure never leaves a half-written file
under a final name, and each job first removes what an earlier run of it wrote, so a
failed job leaves nothing that looks current; a failed notebook is kept as
``*.failed.ipynb`` with its error, the other notebooks still run, and the batch ends
with a summary and a non-zero exit. Ctrl-C stops the batch at once: running and queued
jobs are stopped, their outputs removed, and the summary says what finished.
Nothing is fetched from the network: the HTML carries no script or stylesheet links,
the PDF renderer is given a fetcher that refuses every remote URL, and kernels talk to
papermill over Unix sockets (IPC), so a report runs without any network interface.
Outputs are readable by others as the umask allows (0644 under the usual 022).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import data, narrative
from .definitions import Indicator, plan as default_plan

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"
FIRST_REPORT_YEAR = 2020
KERNEL = "python3"
RESULT_KEYS = ("indicator", "as_of", "level", "lang", "deflator", "status", "progress", "forecast", "data")


class ReportError(ValueError):
    """Bad report parameters; the message lists the valid values."""


# --- Parameters ----------------------------------------------------------------------------

def latest_data_year(raw_folder=None, definitions=None) -> int:
    """The last year with any indicator figure: the newest report year there can be."""
    p = data.panel(raw_folder=raw_folder, definitions=definitions)
    return int(p.loc[p["value"].notna(), "year"].max())


def report_years(raw_folder=None, definitions=None) -> list[int]:
    return list(range(FIRST_REPORT_YEAR, latest_data_year(raw_folder, definitions) + 1))


def check_params(as_of: int, indicators=None, lang: str = "both", deflator: str | None = None,
                 level: float = 0.8, definitions=None, raw_folder=None, jobs: int = 1) -> list[int]:
    """Refuse bad parameters before a kernel starts; returns the indicator ids to run.

    The definitions file and the raw data are loaded here, so that a missing or bad one
    is reported before anything runs.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ReportError(f"jobs must be a whole number of at least 1, got {jobs!r}")
    years = report_years(raw_folder, definitions)
    if as_of not in years:
        raise ReportError(f"as_of {as_of} is outside the data; valid report years: {years[0]}-{years[-1]}")
    if lang not in narrative.LANGS:
        raise ReportError(f"unknown lang {lang!r}; valid: {', '.join(narrative.LANGS)}")
    if deflator is not None and deflator not in data.DEFLATORS:
        raise ReportError(f"unknown deflator {deflator!r}; valid: {', '.join(data.DEFLATORS)}")
    if not 0 < level < 1:
        raise ReportError(f"level must be between 0 and 1, got {level}")
    the_plan = default_plan(definitions)
    if not indicators:
        return [i.id for i in the_plan.indicators]
    ids = []
    for ref in indicators:
        try:
            ids.append(the_plan.get(ref).id)
        except KeyError as exc:
            raise ReportError(str(exc).strip('"')) from None
    return sorted(set(ids))


# --- Results --------------------------------------------------------------------------------

def result_name(ref, definitions=None) -> str:
    """``NN_key`` of an indicator (an Indicator, or an id or key looked up in the definitions)."""
    ind = ref if isinstance(ref, Indicator) else default_plan(definitions).get(ref)
    return f"{ind.id:02d}_{ind.key}"


def validate_result(result: dict) -> dict:
    missing = [k for k in RESULT_KEYS if k not in result]
    if missing:
        raise ValueError(f"result is missing {', '.join(missing)}")
    json.dumps(result, allow_nan=False)  # JSON-safe: no NaN, no numpy scalars
    return result


def write_text(path: Path, text: str) -> Path:
    """Write through a temporary file in the same folder, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600: others could not read the page
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_result(result: dict, path: str | Path) -> Path:
    """Validate a notebook's result and write it as sorted, indented JSON (byte-stable)."""
    text = json.dumps(validate_result(result), ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False)
    return write_text(Path(path), text + "\n")


# --- HTML and PDF ---------------------------------------------------------------------------

PAGE_CSS = """
@font-face { font-family: "Noto Sans CJK SC"; src: url("{font_url}"); }
@page { size: A4; margin: 11mm 10mm 13mm 10mm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #666; } }
html { font-family: "Noto Sans CJK SC", "DejaVu Sans", sans-serif; font-size: 9.5pt; line-height: 1.45; color: #111; }
body { margin: 0 auto; max-width: 190mm; }
h1 { font-size: 15pt; margin: 0 0 3pt 0; } h2 { font-size: 12pt; margin: 10pt 0 4pt 0; border-bottom: 1px solid #999;
     page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 8pt 0 3pt 0; page-break-after: avoid; }
p.subtitle { font-size: 8.5pt; color: #333; margin: 0 0 4pt 0; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; margin: 4pt 0; }
table.compact { font-size: 7.5pt; line-height: 1.3; } table.compact td, table.compact th { padding: 1pt 2pt; }
tr, tbody.indicator { page-break-inside: avoid; }
div.page-start { break-before: page; }
th, td { border-bottom: 0.5px solid #bbb; padding: 2pt 3pt; text-align: left; vertical-align: top; }
th { background: #eee; }
tr.category td { font-weight: bold; background: #f4f4f4; page-break-after: avoid; }
table.scorecard { font-size: 8.5pt; line-height: 1.3; table-layout: fixed; }
td.nowrap { white-space: nowrap; }
table.scorecard td, table.scorecard th { padding: 1.5pt 2pt; }
table.scorecard tr.main td { border-bottom: none; page-break-after: avoid; }
table.scorecard tr.oneline td { color: #333; padding: 0 2pt 3pt 10pt; font-size: 8.5pt; }
tr.legend td { font-size: 8.5pt; color: #333; border-bottom: none; }
table.verdicts { table-layout: fixed; } table.verdicts td { padding: 1.5pt 2pt; }
span.pending { color: #666; font-weight: normal; } table.verdicts span.en { font-size: 8pt; }
span.en { color: #444; } span.unit { color: #555; }
sup.mark { font-size: 6.5pt; color: #b35806; margin-left: 1pt; }
ul { margin: 2pt 0; padding-left: 14pt; } li { font-size: 8.5pt; }
td.status { font-weight: bold; }
img { max-width: 100%; }
.footnote, .jp-RenderedText pre, pre { font-size: 8pt; white-space: pre-wrap; }
"""


def font_url() -> str:
    from .plots import font_path

    return font_path().resolve().as_uri()


def notebook_html(nb_path: Path, title: str, lang: str) -> str:
    """The executed notebook as one self-contained page: outputs only, our stylesheet, no links."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.anchor_link_text = ""  # no "¶" after every heading in a printed brief
    body, _ = exporter.from_notebook_node(nbformat.read(nb_path, as_version=4))
    html_lang = "en" if lang == "en" else "zh"
    css = PAGE_CSS.replace("{font_url}", font_url())
    return (f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head><meta charset="utf-8">'
            f"<title>{narrative.esc(title)}</title><style>{css}</style></head>\n<body>\n{body}\n</body>\n</html>\n")


def offline_fetcher():
    """WeasyPrint URL fetcher for local files and data: URLs only: a remote URL is refused
    before any connection is attempted (the renderer warns and leaves that resource out)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"file", "data"}, timeout=1)


def html_to_pdf(html_path: Path, pdf_path: Path) -> Path:
    import weasyprint

    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
    try:
        weasyprint.HTML(filename=str(html_path), url_fetcher=offline_fetcher()).write_pdf(str(tmp))
        os.replace(tmp, pdf_path)
    finally:
        tmp.unlink(missing_ok=True)
    return pdf_path


# --- Running notebooks ---------------------------------------------------------------------

@dataclass
class Outcome:
    name: str
    path: Path | None  # the notebook written (or kept as *.failed.ipynb); None when none was
    ok: bool
    seconds: float
    error: str = ""


def kernel_config(socket_dir: str | Path):
    """Kernel manager settings: ZMQ over Unix sockets in ``socket_dir`` (IPC), not TCP.

    A kernel on TCP needs the loopback interface (none exists under ``unshare -n`` or in
    some sandboxes) and warns that its traffic is unencrypted; sockets in a private
    folder need neither.
    """
    from traitlets.config import Config

    return Config({"KernelManager": {"transport": "ipc", "ip": str(Path(socket_dir) / "kernel")}})


def run_notebook(template: Path, out_path: Path, params: dict, kernel: str = KERNEL,
                 socket_dir: str | Path | None = None) -> Outcome:
    """Execute one notebook with papermill into ``out_path`` (via a temporary name).

    The kernel's sockets live in a new folder under ``socket_dir`` (default: the system's
    temporary folder), removed afterwards.
    """
    import papermill as pm

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.stem}.running.ipynb")
    failed = out_path.with_name(f"{out_path.stem}.failed.ipynb")
    # one private folder per kernel: two kernels choosing socket names in one folder could collide
    sockets = Path(tempfile.mkdtemp(prefix="zjplan-kernel-", dir=socket_dir))
    start = time.perf_counter()
    try:
        # No save after every cell: the notebook is written once at the end (and on error),
        # which spares the client re-serialising outputs for each cell.
        pm.execute_notebook(str(template), str(tmp), parameters=params, kernel_name=kernel,
                            progress_bar=False, cwd=str(out_path.parent), request_save_on_cell_execute=False,
                            config=kernel_config(sockets))
    except Exception as exc:  # papermill raises PapermillExecutionError with the cell's traceback
        kept = None
        if tmp.exists():
            os.replace(tmp, failed)
            kept = failed
        out_path.unlink(missing_ok=True)
        first_line = str(exc).strip().splitlines()
        return Outcome(out_path.stem, kept, False, time.perf_counter() - start,
                       next((l for l in reversed(first_line) if l.strip()), type(exc).__name__))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    os.replace(tmp, out_path)
    failed.unlink(missing_ok=True)
    return Outcome(out_path.stem, out_path, True, time.perf_counter() - start)


@dataclass(frozen=True)
class Job:
    """One unit of the batch: a notebook, its HTML, and for the scorecard the PDF brief."""

    kind: str
    template: str
    out_path: str
    params: dict
    html_path: str
    title: str
    lang: str
    # every file the job writes (notebook, html, result JSON, scorecard.csv, PDF): removed
    # before it runs, so that a failed run leaves no older output that looks current
    outputs: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return Path(self.out_path).stem

    def clear(self) -> None:
        """Remove the job's outputs and any temporary file a stopped run left beside them."""
        out = Path(self.out_path)
        for path in map(Path, (*self.outputs, out.with_name(f".{out.stem}.running.ipynb"))):
            path.unlink(missing_ok=True)
            if path.parent.is_dir():
                for tmp in [*path.parent.glob(f".{path.name}.*tmp"), *path.parent.glob(f"{path.name}.tmp")]:
                    tmp.unlink(missing_ok=True)


def _job(job: Job, socket_dir: str | None = None) -> Outcome:
    """Run one job (in a worker process), so that exports overlap with other notebooks."""
    job.clear()
    outcome = run_notebook(Path(job.template), Path(job.out_path), job.params, socket_dir=socket_dir)
    if not outcome.ok:
        return outcome
    try:
        write_text(Path(job.html_path), notebook_html(Path(job.out_path), job.title, job.lang))
        if job.kind == "scorecard":
            folder = Path(job.out_path).parent
            html_to_pdf(Path(job.html_path), folder / f"brief_{folder.name}.pdf")
    except Exception as exc:
        outcome.ok, outcome.error = False, f"export failed: {type(exc).__name__}: {exc}"
    return outcome


def _worker_init() -> None:
    """Workers leave Ctrl-C to the batch, which stops them with SIGTERM; their kernels notice
    that their parent is gone (ipykernel polls it) and exit too."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(128 + signal.SIGTERM))


@dataclass
class ReportSummary:
    as_of: int
    folder: Path
    outcomes: list[Outcome] = field(default_factory=list)
    pdf: Path | None = None
    not_run: list[str] = field(default_factory=list)  # stopped or never started (Ctrl-C)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def interrupted(self) -> bool:
        return bool(self.not_run)

    def text(self) -> str:
        ok = len(self.outcomes) - len(self.failed)
        total = len(self.outcomes) + len(self.not_run)
        lines = [f"report {self.as_of}: {ok} of {total} notebooks ran"
                 + (f"; brief: {self.pdf}" if self.pdf else "; no brief")
                 + ("; INTERRUPTED" if self.interrupted else "")]
        lines += [f"  ok {o.name}" for o in self.outcomes if o.ok and self.interrupted]
        lines += [f"  FAILED {o.name}: {o.error}" + (f" (kept as {o.path})" if o.path and o.path.exists() else "")
                  for o in self.failed]
        lines += [f"  NOT RUN {name} (interrupted; its outputs removed)" for name in self.not_run]
        return "\n".join(lines)


def _jobs_for_year(as_of: int, ids: list[int], lang: str, level: float, deflator: str | None,
                   folder: Path, notebooks: Path, definitions: str | None = None,
                   raw_folder: str | None = None) -> list[Job]:
    the_plan = default_plan(definitions)
    sources = {"definitions": definitions, "raw_folder": raw_folder}
    jobs = []
    for i in ids:
        ind = the_plan.get(i)
        name = result_name(ind)
        out, html_path = folder / "indicators" / f"{name}.ipynb", folder / "html" / f"{name}.html"
        params = {"indicator": i, "as_of": as_of, "level": level, "lang": lang, "deflator": deflator,
                  "results_dir": str(folder / "results"), **sources}
        outputs = (out, html_path, folder / "results" / f"{name}.json")
        jobs.append(Job("indicator", str(notebooks / "indicator.ipynb"), str(out), params, str(html_path),
                        f"{i}. {ind.name_zh}", lang, tuple(map(str, outputs))))
    params = {"as_of": as_of, "lang": lang, "level": level, "out_dir": str(folder), **sources}
    out, html_path = folder / "scorecard.ipynb", folder / "html" / "scorecard.html"
    outputs = (out, html_path, folder / "scorecard.csv", folder / f"brief_{as_of}.pdf")
    jobs.append(Job("scorecard", str(notebooks / "scorecard.ipynb"), str(out), params, str(html_path),
                    f"{the_plan.title_zh} {as_of}", lang, tuple(map(str, outputs))))
    return jobs


def build_reports(years: list[int], indicators=None, lang: str = "both", jobs: int = 2, level: float = 0.8,
                  deflator: str | None = None, out_root: str | Path | None = None,
                  notebooks: str | Path | None = None, show_progress: bool = True,
                  definitions: str | Path | None = None, raw_folder: str | Path | None = None) -> list[ReportSummary]:
    """Run the batch for each report year; returns one summary per year.

    ``definitions`` and ``raw_folder`` reach every notebook as papermill parameters (as
    absolute paths: the kernels run in the output folders). On Ctrl-C the batch stops its
    workers, removes the outputs of every job that did not finish, and returns summaries
    whose ``not_run`` lists those jobs.
    """
    from tqdm import tqdm

    # kernels run elsewhere: pass what they must read as absolute paths
    definitions = str(Path(definitions).resolve()) if definitions else None
    raw_folder = str(data.raw_dir(raw_folder).resolve()) if raw_folder else None
    ids = None
    for year in years:
        ids = check_params(year, indicators, lang, deflator, level, definitions, raw_folder, jobs)
    root = Path(out_root or REPORTS)
    nb_dir = Path(notebooks or NOTEBOOKS)
    summaries = {y: ReportSummary(y, root / str(y)) for y in years}
    work = [(y, job) for y in years
            for job in _jobs_for_year(y, ids, lang, level, deflator, root / str(y), nb_dir, definitions, raw_folder)]
    work.sort(key=lambda item: item[1].kind != "scorecard")  # the longest jobs first: no lone straggler at the end
    bar = tqdm(total=len(work), desc="notebooks", unit="nb", disable=not show_progress)
    # Kernels are separate processes anyway; worker processes add parallel exports and
    # papermill bookkeeping. 'spawn' avoids forking a process that holds ZMQ sockets.
    import multiprocessing as mp

    sockets = tempfile.mkdtemp(prefix="zjplan-kernels-")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn"), initializer=_worker_init)
    done = set()
    try:
        futures = {pool.submit(_job, job, sockets): i for i, (_, job) in enumerate(work)}
        for fut in as_completed(futures):
            done.add(futures[fut])
            year, job = work[futures[fut]]
            try:
                outcome = fut.result()
            except Exception as exc:
                outcome = Outcome(job.name, None, False, 0.0, f"{type(exc).__name__}: {exc}")
            summaries[year].outcomes.append(outcome)
            bar.update(1)
            bar.set_postfix_str(f"{year} {outcome.name} {'ok' if outcome.ok else 'FAILED'}")
        pool.shutdown()
    except KeyboardInterrupt:
        _stop(pool)
        for year, job in (item for i, item in enumerate(work) if i not in done):
            job.clear()
            summaries[year].not_run.append(job.name)
    finally:
        bar.close()
        shutil.rmtree(sockets, ignore_errors=True)
    for summary in summaries.values():
        summary.outcomes.sort(key=lambda o: o.name)
        summary.not_run.sort()
        pdf = summary.folder / f"brief_{summary.as_of}.pdf"
        if pdf.exists() and any(o.name == "scorecard" and o.ok for o in summary.outcomes):
            summary.pdf = pdf
    from .archive import write_index

    write_index(root)  # every report year on disk, this run's included
    return [summaries[y] for y in years]


def _stop(pool: ProcessPoolExecutor, grace: float = 5.0) -> None:
    """Cancel queued jobs and end the running ones now (SIGTERM, then SIGKILL after ``grace`` s)."""
    processes = list((pool._processes or {}).values())  # the executor has no public handle on them
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()
    deadline = time.monotonic() + grace
    for proc in processes:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)


# --- What the notebooks compute ------------------------------------------------------------

def data_version(raw_folder=None) -> str:
    """A short hash of the raw data files: the brief says which data it was made from."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(data.raw_dir(raw_folder).glob("*")):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def calibration_coverage() -> str | None:
    """The interval coverage the forecast engine reached in its benchmark, if recorded."""
    from . import forecasting as fc_module

    calib = fc_module._load_calibration()
    if not calib:
        return None
    domain = calib.get("domain", {})
    if "coverage" in domain:  # the calibration auto uses by default
        return (f"80% intervals covered {float(domain['coverage']):.1%} of held-out Chinese provincial "
                "test values")
    if "coverage" not in calib:
        return None
    cov = calib["coverage"]
    return f"{cov}" if isinstance(cov, str) else f"80% intervals covered {float(cov):.1%} of held-out M3 yearly test values"


@dataclass
class IndicatorContext:
    indicator: object
    as_of: int
    level: float
    lang: str
    deflator: str | None
    series: pd.Series
    panel_rows: pd.DataFrame
    table: pd.DataFrame
    nominal: pd.Series | None
    price_table: pd.DataFrame | None
    progress: object
    forecast: object
    status: str
    methods: pd.DataFrame
    backtest: pd.DataFrame
    result: dict
    row: pd.Series = None
    related: pd.DataFrame = None
    vintages: pd.DataFrame = None


def _methods_table(y: pd.Series, ind, level: float, seed: int) -> pd.DataFrame:
    from .assessment import model_on_logs
    from .forecasting import METHODS, forecast_series

    rows = []
    for method in METHODS:
        try:
            fc = forecast_series(y, to_year=ind.target_year, level=level, method=method, seed=seed, bounds=ind.bounds,
                                 log=model_on_logs(ind), calibration=ind.calibration)
        except ValueError as exc:
            rows.append({"method": method, "forecast": None, "lower": None, "upper": None, "note": str(exc)})
            continue
        rows.append({"method": f"auto → {fc.method}" if method == "auto" else method, "forecast": fc.point, "lower": fc.lower,
                     "upper": fc.upper, "note": fc.reason or ""})
    return pd.DataFrame(rows)


def _backtest_summary(y: pd.Series, level: float) -> pd.DataFrame:
    from .forecasting import backtest

    bt = backtest(y, level=level)
    if bt.empty:
        return pd.DataFrame(columns=["method", "forecasts", "mean_abs_error", "inside_interval"])
    bt = bt.dropna(subset=["error"])
    return (bt.groupby("method")
              .agg(forecasts=("error", "size"), mean_abs_error=("error", lambda e: e.abs().mean()),
                   inside_interval=("inside_interval", "mean"))
              .sort_values("mean_abs_error").reset_index())


def indicator_context(indicator, as_of: int, level: float = 0.8, lang: str = "both", deflator: str | None = None,
                      seed: int = 0, raw_folder=None, definitions=None) -> IndicatorContext:
    """Everything the indicator notebook shows, computed by the library (no logic in the notebook)."""
    from . import assessment

    (ind_id,) = check_params(as_of, [indicator], lang, deflator, level, definitions, raw_folder)
    ind = default_plan(definitions).get(ind_id)
    where = {"raw_folder": raw_folder, "definitions": definitions}
    p = data.panel(as_of=as_of, deflator=deflator, **where)
    rows = p[p["indicator_id"] == ind.id]
    s = data.series(ind.id, as_of=as_of, deflator=deflator, **where)
    prog = assessment.progress(s, ind, as_of=as_of, raw_folder=raw_folder)
    card_row = assessment.assess(as_of=as_of, level=level, seed=seed, deflator=deflator, only=[ind.id], **where).loc[ind.id]
    status = card_row["status"]
    fc = None
    # as in the brief's small multiples: no fan where a bound settled the target
    if ind.is_quantitative and len(s) and not card_row.get("outcome_bound"):
        fc = assessment.forecast(ind.id, as_of=as_of, level=level, seed=seed, deflator=deflator, **where)

    nominal = price_table = None
    if ind.price_basis == "constant_2019" and ind.deflate_as != "none":
        nominal = pd.Series(rows["value_as_published"].to_numpy(), index=rows["year"].to_numpy(), dtype=float)
        other = "gdp_deflator" if (deflator or ind.deflator) == "ppi" else "ppi"
        alt = data.series(ind.id, as_of=as_of, deflator=other, **where)
        price_table = pd.DataFrame({
            "as_published": nominal,
            f"2019_prices_{deflator or ind.deflator}": s,
            f"2019_prices_{other}": alt,
        })
        price_table.index.name = "year"

    y = s[s.index < ind.target_year] if ind.target_kind != "qualitative" else s
    methods = _methods_table(y, ind, level, seed) if ind.is_quantitative and len(y) >= 2 else pd.DataFrame()
    bt = _backtest_summary(y, level) if len(y) >= 4 else pd.DataFrame()
    result = {
        "indicator": {"id": ind.id, "key": ind.key, "name_zh": ind.name_zh, "name_en": ind.name_en,
                      "unit": ind.unit, "target_text": ind.target_text, "target": ind.target_value},
        "as_of": as_of, "level": level, "lang": lang, "deflator": deflator or ind.deflator,
        "status": status,
        "judgeable": bool(card_row["judgeable"]),
        "outcome": {k.removeprefix("outcome_") if k != "outcome" else "result": (None if pd.isna(v) else v.item() if hasattr(v, "item") else v)
                    for k, v in card_row.items() if k.startswith("outcome")},
        "progress": prog.to_dict(),
        "forecast": None if fc is None else fc.to_dict(),
        "data": [{"year": int(r.year), "value": None if pd.isna(r.value) else round(float(r.value), 6),
                  "basis": r.basis, "derived": bool(r.derived), "proxy": bool(r.proxy), "sources": r.source_ids}
                 for r in rows.itertuples()],
    }
    table = narrative.data_table(ind, as_of, deflator, raw_folder, definitions, lang)
    related = narrative.related_figures(ind, as_of, raw_folder, lang, definitions)
    vintages = (assessment.vintages(ind.id, level=level, seed=seed, **where)
                if as_of >= ind.target_year and ind.is_quantitative else pd.DataFrame())
    return IndicatorContext(ind, as_of, level, lang, deflator, s, rows, table, nominal, price_table, prog, fc,
                            status, methods, bt, validate_result(result), card_row, related, vintages)


@dataclass
class ScorecardContext:
    as_of: int
    lang: str
    card: pd.DataFrame
    histories: dict
    forecasts: dict
    panels: pd.DataFrame
    sources: pd.DataFrame
    gaps: pd.DataFrame
    title_html: str
    overall: str = ""
    final: bool = False
    vintages: dict = field(default_factory=dict)
    track: object = None


def data_collected(raw_folder=None) -> str:
    """The date the figures were collected: the latest 'accessed' date of the sources."""
    sources = data.load_raw(raw_folder).sources
    dates = sorted(d for d in sources["accessed"].astype(str) if d and d != "nan")
    return dates[-1] if dates else "—"


def scorecard_context(as_of: int, lang: str = "both", level: float = 0.8, seed: int = 0, raw_folder=None,
                      definitions=None) -> ScorecardContext:
    """Everything the brief shows."""
    import datetime as dt

    from . import assessment

    check_params(as_of, None, lang, None, level, definitions, raw_folder)
    the_plan = default_plan(definitions)
    where = {"raw_folder": raw_folder, "definitions": definitions}
    card = assessment.assess(as_of=as_of, level=level, seed=seed, **where)
    p = data.panel(as_of=as_of, **where)
    histories = {i.id: data.series(i.id, as_of=as_of, **where) for i in the_plan.indicators}
    # no fan where a bound settled the target: the bound is the news, not a forecast from the values before it
    settled_by_bound = set(card.index[card["outcome_bound"].fillna("").ne("")])
    forecasts = {i.id: (assessment.forecast(i.id, as_of=as_of, level=level, seed=seed, **where)
                        if i.is_quantitative and len(histories[i.id]) and i.id not in settled_by_bound else None)
                 for i in the_plan.indicators}
    sources = narrative.sources_list(as_of, raw_folder, definitions)
    final = as_of >= the_plan.target_year
    vintages = {}
    if final:
        for ind in the_plan.indicators:
            if ind.is_quantitative:
                vintages[ind.id] = assessment.vintages(ind.id, level=level, seed=seed, **where)
    track = assessment.track_record(vintages.values()) if final else None
    made = dt.date.today().isoformat()
    kind = narrative.say("终期评估简报", "Final assessment brief", lang) if final else narrative.say("关键指标进展简报", "Key indicators brief", lang)
    title = (f"<h1>{narrative.esc(the_plan.title_zh)} · {narrative.esc(kind)}</h1>"
             f"<p class=\"subtitle\">{narrative.esc(the_plan.title_en)}（{narrative.esc(the_plan.document)}）<br>"
             f"{narrative.data_header(card, as_of, data_collected(raw_folder), lang)}<br>"
             f"{narrative.esc(narrative.say('生成日期', 'Made', lang))} {made}</p>")
    return ScorecardContext(as_of, lang, card, histories, forecasts, p, sources,
                            narrative.gaps_table(as_of, lang, raw_folder, definitions), title,
                            narrative.overall_conclusion(card, as_of, lang), final, vintages, track)


def write_scorecard_csv(card: pd.DataFrame, path: str | Path) -> Path:
    data.write_csv(card.reset_index(), Path(path))
    return Path(path)
