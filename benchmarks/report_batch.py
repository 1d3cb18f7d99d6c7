"""Benchmark: `zjplan report --all` against a plain serial papermill loop, in the same run.

Both run the same notebooks with the same parameters: for every report year, the 16
indicator notebooks and the scorecard. The serial loop only executes notebooks (one
papermill call after another in one process); the batch also writes HTML, the results
JSON and the PDF brief, so the comparison favours the loop. Goal: the batch takes at
most 0.6 of the loop's time.

Usage: python benchmarks/report_batch.py [--jobs 2] [--years 2023,2024]
Prints the figures and writes them to benchmarks/results/report_batch.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from zjplan import report

RESULTS = Path(__file__).resolve().parent / "results" / "report_batch.md"
GOAL = 0.6


def serial_loop(years: list[int], out: Path) -> float:
    """The plain way: papermill.execute_notebook over the same notebooks, one after another."""
    import papermill as pm

    start = time.perf_counter()
    for year in years:
        for job in report._jobs_for_year(year, report.check_params(year), "both", 0.8, None, out / str(year),
                                         report.NOTEBOOKS):
            Path(job.out_path).parent.mkdir(parents=True, exist_ok=True)
            pm.execute_notebook(job.template, job.out_path, parameters=job.params, kernel_name=report.KERNEL,
                                progress_bar=False, cwd=str(Path(job.out_path).parent))
    return time.perf_counter() - start


def batch(years: list[int], out: Path, jobs: int) -> float:
    start = time.perf_counter()
    summaries = report.build_reports(years, jobs=jobs, out_root=out, show_progress=False)
    elapsed = time.perf_counter() - start
    failed = [o.name for s in summaries for o in s.failed]
    if failed:
        raise SystemExit(f"batch had failures: {failed}")
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--years", default=None, help="comma-separated report years (default: all)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    years = [int(y) for y in args.years.split(",")] if args.years else report.report_years()
    n = len(years) * 17
    with tempfile.TemporaryDirectory() as tmp:
        t_batch = batch(years, Path(tmp) / "batch", args.jobs)
        t_serial = serial_loop(years, Path(tmp) / "serial")
    ratio = t_batch / t_serial
    lines = [
        "# Report batch benchmark",
        "",
        f"Command: `python benchmarks/report_batch.py --jobs {args.jobs}`; machine: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}.",
        f"Report years {years[0]}-{years[-1]}: {n} notebooks (16 indicators + the scorecard per year).",
        "",
        "| run | seconds | per notebook |",
        "|---|---|---|",
        f"| plain serial papermill loop (execution only) | {t_serial:.1f} | {t_serial / n:.2f} |",
        f"| `zjplan report` batch, {args.jobs} jobs (execution + HTML + JSON + PDF) | {t_batch:.1f} | {t_batch / n:.2f} |",
        "",
        f"Batch / serial: **{ratio:.2f}** (goal ≤ {GOAL}: {'met' if ratio <= GOAL else 'NOT met'}).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
