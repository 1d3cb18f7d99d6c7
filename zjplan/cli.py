"""The ``zjplan`` command line."""

from __future__ import annotations

import argparse
import sys

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
    print("P published · D derived from published parts · X proxy · blank: no figure")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zjplan", description=__doc__)
    parser.add_argument("--definitions", default=None, help="indicator definitions file (default: the shipped 2020 plan)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("indicators", help="print the indicator table")
    p.set_defaults(func=_print_indicators)

    p = sub.add_parser("data", help="build or inspect the indicator panel from data/raw")
    p.add_argument("--raw", default=None, help="raw-data folder (default: data/raw)")
    dsub = p.add_subparsers(dest="data_command", required=True)
    b = dsub.add_parser("build", help="validate data/raw and write data/processed")
    b.add_argument("--out", default=None, help="output folder (default: data/processed)")
    b.set_defaults(func=_data_build)
    c = dsub.add_parser("coverage", help="print which indicator has which years")
    c.set_defaults(func=_data_coverage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, KeyError) as exc:
        print(f"zjplan: error: {exc}", file=sys.stderr)
        return 2
