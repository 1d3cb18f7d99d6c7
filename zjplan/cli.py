"""The ``zjplan`` command line.

Where the data is: ``--raw DIR`` (before or after the command), else the environment
variable ``ZJPLAN_DATA_DIR``, else the shipped ``data/raw``; the same for every command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from . import data, definitions


def _print_indicators(args: argparse.Namespace) -> int:
    table = definitions.indicators(args.definitions)
    cols = ["category", "name_zh", "unit", "baseline_year", "baseline", "target_text", "target_kind", "direction", "price_basis"]
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 40):
        print(table[cols].to_string())
    return 0


def _data_build(args: argparse.Namespace) -> int:
    paths = data.build(args.out, raw_folder=args.raw, definitions=args.definitions)
    for name, path in paths.items():
        print(f"wrote {name}: {path}")
    return 0


def _data_coverage(args: argparse.Namespace) -> int:
    p = data.panel(raw_folder=args.raw, definitions=args.definitions)
    table = data.coverage(p)
    names = definitions.indicators(args.definitions)["name_zh"]
    table.insert(0, "indicator", [names[i] for i in table.index])
    print(table.to_string())
    print("P published · D derived from published parts · X proxy · B bound (a proxy on one side of the indicator) · blank: no figure")
    return 0


def _data_import(args: argparse.Namespace) -> int:
    from . import importers

    source = importers.SourceSpec(args.source or "", args.title, args.publisher, args.url, args.published,
                                  args.accessed, args.source_note)
    if args.kind == "nbs":
        plan = importers.import_nbs(args.file, source, series=args.series, raw_folder=args.raw,
                                    target=args.to or importers.NBS_TARGET)
    else:
        plan = importers.import_bulletin(args.file, source, args.year, region=args.region, raw_folder=args.raw,
                                         target=args.to or importers.BULLETIN_TARGET)
    sys.stdout.write(importers.format_rows(plan.rows))
    print(plan.summary(), file=sys.stderr)
    if not args.apply:
        print("nothing written: review the rows, then run again with --apply", file=sys.stderr)
        return 1 if plan.conflicts else 0
    written = importers.apply_plan(plan, data.raw_dir(args.raw), definitions=args.definitions)
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    if not written:
        print("nothing to write: every row is already in data/raw", file=sys.stderr)
    return 0


def _import_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the file to read")
    p.add_argument("--source", default=None, help="source id in sources.csv (or a new one, with --title ...)")
    p.add_argument("--title", default="", help="new source: title")
    p.add_argument("--publisher", default="", help="new source: original publisher")
    p.add_argument("--url", default="", help="new source: the publisher's address")
    p.add_argument("--published", default="", help="new source: publication date YYYY-MM-DD")
    p.add_argument("--accessed", default="", help="new source: date read, YYYY-MM-DD")
    p.add_argument("--source-note", default="", help="new source: what was read and where (the copy read)")
    p.add_argument("--to", default=None, help="data/raw file for the rows (default nbs_provinces.csv / bulletins.csv)")
    p.add_argument("--apply", action="store_true", help="write the rows (after the checks of `data build`)")
    p.set_defaults(func=_data_import)


SCORECARD_COLUMNS = ["latest_year", "latest", "target_text", "outcome", "outcome_value", "outcome_margin",
                     "outcome_figure_status", "outcome_source", "prob_meet", "status"]


def scorecard_text(as_of: int | None, raw_folder=None, definitions=None) -> str:
    """The scorecard's main columns as fixed-width text (what the README shows)."""
    from . import assessment

    card = assessment.assess(as_of=as_of, raw_folder=raw_folder, definitions=definitions)
    table = card[SCORECARD_COLUMNS].copy()
    for col in ("latest", "outcome_value", "outcome_margin", "prob_meet"):
        table[col] = pd.to_numeric(table[col], errors="coerce").round(2)
    table["latest_year"] = table["latest_year"].astype("Int64")
    with pd.option_context("display.max_rows", None, "display.width", 250, "display.max_columns", None):
        return table.astype(object).where(table.notna(), "").to_string()


def _scorecard(args: argparse.Namespace) -> int:
    from . import report

    year = args.as_of or report.latest_data_year(args.raw, args.definitions)
    text = f"zjplan.assess(as_of={year})\n" + scorecard_text(year, args.raw, args.definitions)
    if args.readme:
        update_readme(Path(args.readme), text)
        print(f"wrote the scorecard into {args.readme}")
    else:
        print(text)
    return 0


README_MARKERS = ("<!-- scorecard:start (zjplan scorecard --readme README.md) -->", "<!-- scorecard:end -->")


def update_readme(path: Path, text: str) -> None:
    """Put the scorecard text between the README's markers (written atomically)."""
    from .report import write_text

    start, end = README_MARKERS
    doc = path.read_text(encoding="utf-8")
    if start not in doc or end not in doc:
        raise ValueError(f"{path}: markers {start!r} and {end!r} not found")
    head, rest = doc.split(start, 1)
    _, tail = rest.split(end, 1)
    write_text(path, f"{head}{start}\n```\n{text}\n```\n{end}{tail}")


def _report(args: argparse.Namespace) -> int:
    from . import report

    if sum([args.all, args.latest, args.as_of is not None]) != 1:
        print("zjplan report: give --as-of YEAR, --latest or --all", file=sys.stderr)
        return 2
    indicators = [x.strip() for x in args.indicators.split(",")] if args.indicators else None
    where = {"definitions": args.definitions, "raw_folder": args.raw}
    try:
        definitions.plan(args.definitions)  # a missing or bad definitions file stops here
        years = (report.report_years(args.raw, args.definitions) if args.all
                 else [report.latest_data_year(args.raw, args.definitions)] if args.latest else [args.as_of])
        for year in years:  # refuse bad parameters before any kernel starts
            report.check_params(year, indicators, args.lang, args.deflator, args.level, jobs=args.jobs, **where)
    except report.ReportError as exc:
        print(f"zjplan report: {exc}", file=sys.stderr)
        return 2
    summaries = report.build_reports(years, indicators=indicators, lang=args.lang, jobs=args.jobs,
                                     level=args.level, deflator=args.deflator, out_root=args.out,
                                     show_progress=not args.quiet, **where)
    for summary in summaries:
        print(summary.text())
    if any(s.interrupted for s in summaries):
        return INTERRUPTED
    return 1 if any(s.failed for s in summaries) else 0


INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
RAW_HELP = "raw-data folder (default: $ZJPLAN_DATA_DIR, else the shipped data/raw)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zjplan", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--definitions", default=None, help="indicator definitions file (default: the shipped 2020 plan)")
    parser.add_argument("--raw", default=None, help=RAW_HELP)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("indicators", help="print the indicator table")
    p.set_defaults(func=_print_indicators)

    p = sub.add_parser("data", help="build or inspect the indicator panel from data/raw")
    # SUPPRESS: a --raw given before the command is not reset by the subcommand's default
    p.add_argument("--raw", default=argparse.SUPPRESS, help=RAW_HELP)
    dsub = p.add_subparsers(dest="data_command", required=True)
    b = dsub.add_parser("build", help="validate data/raw and write data/processed")
    b.add_argument("--out", default=None, help="output folder (default: data/processed)")
    b.set_defaults(func=_data_build)
    c = dsub.add_parser("coverage", help="print which indicator has which years")
    c.set_defaults(func=_data_coverage)
    imp = dsub.add_parser("import", help="read a statistics-portal export or a bulletin into data/raw (review, then --apply)")
    isub = imp.add_subparsers(dest="kind", required=True)
    n = isub.add_parser("nbs", help="国家统计局 分省年度数据 export (CSV, XLS, XLSX), every province")
    _import_options(n)
    n.add_argument("--series", nargs="+", default=None, metavar="KEY",
                   help="import only these series (one-indicator exports: the series the file holds)")
    bl = isub.add_parser("bulletin", help="统计公报 saved as HTML or text")
    _import_options(bl)
    bl.add_argument("--year", type=int, default=None, help="the year the bulletin reports on (required)")
    bl.add_argument("--region", default="浙江", help="the province (default 浙江)")

    p = sub.add_parser("scorecard", help="print the scorecard's main columns (default: the latest data year)")
    p.add_argument("--as-of", type=int, default=None, help="the last data year used")
    p.add_argument("--raw", default=argparse.SUPPRESS, help=RAW_HELP)
    p.add_argument("--readme", default=None, help="write it into this README between the scorecard markers")
    p.set_defaults(func=_scorecard)

    p = sub.add_parser("report", help="run the notebooks into reports/<year>/: notebooks, html, json, PDF brief")
    p.add_argument("--as-of", type=int, default=None, help="the report year (the last data year used)")
    p.add_argument("--all", action="store_true", help="every report year from 2020 to the latest data year")
    p.add_argument("--latest", action="store_true", help="the latest data year only")
    p.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2, at least 1)")
    p.add_argument("--raw", default=argparse.SUPPRESS, help=RAW_HELP)
    p.add_argument("--indicators", default=None, help="comma-separated ids or keys, e.g. 1,6 (default all)")
    p.add_argument("--lang", default="both", help="zh | en | both (default both)")
    p.add_argument("--level", type=float, default=0.8, help="forecast interval level (default 0.8)")
    p.add_argument("--deflator", default=None, help="override the deflator: ppi | gdp_deflator")
    p.add_argument("--out", default=None, help="output root (default reports/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, KeyError) as exc:
        print(f"zjplan: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("zjplan: interrupted", file=sys.stderr)
        return INTERRUPTED
