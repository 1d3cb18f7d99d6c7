"""The ``zjplan`` command line."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from . import definitions


def _print_indicators(args: argparse.Namespace) -> int:
    table = definitions.indicators(args.definitions)
    cols = ["category", "name_zh", "unit", "baseline_year", "baseline", "target_text", "target_kind", "direction", "price_basis"]
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 40):
        print(table[cols].to_string())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zjplan", description=__doc__)
    parser.add_argument("--definitions", default=None, help="indicator definitions file (default: the shipped 2020 plan)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("indicators", help="print the indicator table")
    p.set_defaults(func=_print_indicators)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, KeyError) as exc:
        print(f"zjplan: error: {exc}", file=sys.stderr)
        return 2
