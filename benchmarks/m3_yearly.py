r"""
Benchmark of the zjplan forecast engine on the yearly M3 series.

Every series is fitted on the years up to its forecast origin and forecast 6
years ahead, exactly as the 22 original methods of the M3 competition
(Makridakis & Hibon, 2000) did. One run scores, on the same 430 series:

* sMAPE (M3 definition, mean of 200|F-A|/(|F|+|A|) over series and horizons)
  and MASE (Hyndman & Koehler, 2006) of zjplan's methods, of the 22 original
  methods (``fts.csv``) and of automatic ARIMA and ETS (``pis_fts.csv``);
* 80 % interval coverage, mean scaled interval score (MSIS, the Winkler score
  divided by the MASE scale) and the raw mean Winkler score of zjplan's
  calibrated intervals against the ARIMA and ETS intervals;
* sMAPE by fitting-window length on rolling origins inside the training
  years, which is what ``method="auto"`` is chosen from.

zjplan's methods are scored with the M3 calibration (``auto`` is then
``combo``; ``forecast_series(..., calibration="m3")``). The default
calibration of ``auto`` is the Chinese provincial one, scored by
``benchmarks/cn_provinces.py``; ``--calibrate`` here rewrites only the M3 part
of the calibration file and keeps the provincial one.

Calibration. Windows of every length (2, 3, 4, 5, 6, 8, 11 points and the
whole history) ending at the M3 origin are forecast 6 years ahead; their
scaled errors give the per-method, per-length, per-horizon quantile tables
that ``--calibrate`` writes to ``zjplan/forecasting_calibration.json``. The
intervals scored in the tables are cross-fitted (5 folds of series: a
series' intervals come from the other series' errors), so the coverage is out
of sample across series, as it will be for the hidden third of M3. Rolling
origins 1-6 years earlier (inside the training years only) give the accuracy
by length from which ``auto`` is chosen, and an alternative calibration whose
coverage is reported too: scaled errors there are larger than in the test
years, so it over-covers.

Usage::

    python benchmarks/m3_yearly.py [--data DIR] [--calibrate] [--workers 2]
"""
from __future__ import annotations

import os

# One BLAS thread per worker: the fits are tiny and threads only contend.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
from concurrent.futures import ProcessPoolExecutor
import json
from pathlib import Path
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import importlib  # noqa: E402

# zjplan re-exports a function named `forecast`, so import the module by path.
zf = importlib.import_module("zjplan.forecasting")

DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "m3_yearly"
RESULTS = REPO / "benchmarks" / "results" / "m3_yearly.md"
H = 6  # M3 yearly horizon
CAL_H = 6  # longest calibrated horizon (beyond it the spread grows linearly)
WINDOW_LENGTHS = (2, 3, 4, 5, 6, 8, 11, None)  # None: all years up to the origin
ORIGIN_BACKS = (6, 5, 4, 3, 2, 1)  # rolling origins, years before the M3 origin
LEVEL = 0.8
PROBS = [0.005, 0.01, 0.025] + [round(p, 3) for p in np.arange(0.05, 0.951, 0.025)] + [0.975, 0.99, 0.995]
ZJ_METHODS = zf.BASE_METHODS + ("auto",)


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def load(data: Path) -> tuple[list[dict], pd.DataFrame, pd.DataFrame]:
    """Read the three tables; fail with a clear message if they are absent."""
    missing = [f for f in ("tsts.csv", "fts.csv", "pis_fts.csv") if not (data / f).is_file()]
    if missing:
        sys.exit(f"m3_yearly: data not found: {', '.join(str(data / f) for f in missing)}\n"
                 f"Expected the M3 yearly benchmark folder at {data} "
                 "(../shared/benchmarks/m3_yearly from the repo root); pass --data DIR.")
    ts = pd.read_csv(data / "tsts.csv")
    fts = pd.read_csv(data / "fts.csv")
    pis = pd.read_csv(data / "pis_fts.csv")
    origin = fts.groupby("series_id")["origin_timestamp"].first()
    series = []
    for sid, g in ts.sort_values(["series_id", "timestamp"]).groupby("series_id", sort=True):
        g = g.set_index("timestamp")["value"].astype(float)
        o = int(origin[sid])
        train, test = g[g.index <= o], g[g.index > o].iloc[:H]
        series.append({"id": sid, "train": train, "test": test})
    return series, fts, pis


# ---------------------------------------------------------------------------
# Per-series work (runs in the worker processes)
# ---------------------------------------------------------------------------
def work(item: dict) -> dict:
    """Test-origin forecasts and rolling-origin calibration errors of one series."""
    train = item["train"]
    years = train.index.to_numpy(dtype=np.int64)
    raw = train.to_numpy()
    out = {"id": item["id"], "n": len(raw), "test": {}, "windows": []}
    for scale_name, use_log in (("log", True), ("raw", False)):
        x = np.log(raw) if use_log else raw
        paths, _ = zf._base_paths(years, x, H)
        out["test"][scale_name] = {"paths": paths, "scale": zf.series_scale(years, x, use_log)}
    # Back 0 is the M3 origin itself: its windows forecast the test years.
    full = np.concatenate([raw, item["test"].to_numpy()])
    years = np.concatenate([years, item["test"].index.to_numpy(dtype=np.int64)])
    # Each method is calibrated on the scale it works on (zf.PREFERS_LOG).
    by_scale = {True: [m for m in zf.BASE_METHODS if zf.PREFERS_LOG[m]],
                False: [m for m in zf.BASE_METHODS if not zf.PREFERS_LOG[m]]}
    big_t = len(raw)
    for back in (0,) + ORIGIN_BACKS:
        o = big_t - back  # window ends at index o (exclusive)
        for length in WINDOW_LENGTHS:
            start = 0 if length is None else o - length
            if start < 0 or o - start < 2 or (length is not None and length >= o):
                continue  # too short, or a duplicate of the full window
            # Rolling origins are scored inside the training years only.
            hmax = H if back == 0 else min(CAL_H, big_t - o)
            for use_log, methods in by_scale.items():
                x = np.log(full) if use_log else full
                wy, wx = years[start:o], x[start:o]
                paths, _ = zf._base_paths(wy, wx, hmax, wanted=methods)
                s = zf.series_scale(wy, wx, use_log)
                for m in methods:
                    if m in paths:
                        out["windows"].append((o - start, back, m, s, paths[m], x[o:o + hmax], use_log))
    return out


# ---------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------
def window_frame(results: list[dict]) -> pd.DataFrame:
    rows = []
    for si, r in enumerate(results):
        for n, back, m, s, f, a, use_log in r["windows"]:
            fo, ao = (np.exp(f), np.exp(a)) if use_log else (f, a)
            for h in range(len(a)):
                rows.append((si, f"{si}-{n}-{back}", n, back, m, h + 1, (a[h] - f[h]) / s, fo[h], ao[h]))
    return pd.DataFrame(rows, columns=["series", "window", "n", "back", "method", "h", "err", "f", "a"])


def calibrate(win: pd.DataFrame) -> dict:
    """Quantiles and horizon correlations of scaled errors per method and bucket."""
    win = win.assign(bucket=win["n"].map(zf.obs_bucket))
    out = {"version": 1,
           "note": "per method and series-length bucket: for horizons 1-6, quantiles at `probs` of "
                   "(actual - forecast) / series_scale on the method's working scale, and the "
                   "correlation of their normal scores across horizons",
           "source": "430 M3 yearly development series, windows of 2-40 points ending at the "
                     "M3 forecast origin, forecast over the 6 test years",
           "probs": PROBS, "methods": {}}
    for m, gm in win.groupby("method"):
        out["methods"][m] = {}
        for b, gb in gm.groupby("bucket"):
            quant = []
            for h in range(1, CAL_H + 1):
                e = gb.loc[gb["h"] == h, "err"].to_numpy()
                quant.append(np.quantile(e, PROBS).round(5).tolist() if len(e) >= 30 else None)
            # Horizons with too few errors copy the last good row, scaled.
            good = max(i for i, q in enumerate(quant) if q is not None)
            for i in range(CAL_H):
                if quant[i] is None:
                    quant[i] = (np.asarray(quant[good]) * (i + 1) / (good + 1)).round(5).tolist()
            # Normal scores per horizon, then pairwise correlation across horizons.
            gb = gb.assign(z=gb.groupby("h")["err"].transform(
                lambda e: stats.norm.ppf((e.rank() - 0.5) / len(e))))
            wide = gb.pivot_table(index="window", columns="h", values="z")
            corr = wide.reindex(columns=range(1, CAL_H + 1)).corr(min_periods=30)
            corr = corr.ffill().bfill().ffill(axis=1).bfill(axis=1).to_numpy().copy()
            np.fill_diagonal(corr, 1.0)
            out["methods"][m][b] = {"n_windows": int(gb["window"].nunique()),
                                    "quantiles": quant, "corr": corr.round(4).tolist()}
        # Buckets in increasing length order, so error_table's fallback works.
        order = ["2", "3", "4", "5-6", "7-9", "10-14", "15+"]
        out["methods"][m] = {b: out["methods"][m][b] for b in order if b in out["methods"][m]}
    return out


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------
def smape(f, a):
    return 200 * np.abs(f - a) / (np.abs(f) + np.abs(a))


def winkler(lo, hi, a, level=LEVEL):
    k = 2 / (1 - level)
    return (hi - lo) + k * np.clip(lo - a, 0, None) + k * np.clip(a - hi, 0, None)


def zj_forecasts(results, series, calibration, other_scale=False):
    """Long frame of zjplan test forecasts with calibrated 80 % intervals.

    With ``other_scale`` each method runs on the scale it does not prefer,
    points only: the comparison behind ``PREFERS_LOG``.
    """
    rows = []
    for r, it in zip(results, series):
        n = r["n"]
        for m in ZJ_METHODS:
            used = zf.auto_method(n) if m == "auto" else m
            use_log = zf.PREFERS_LOG[used] != other_scale
            if m == "naive" and other_scale:
                continue  # identical on both scales
            test = r["test"]["log" if use_log else "raw"]
            if used not in test["paths"]:  # fall back as forecast_series does
                used = "drift"
                use_log = zf.PREFERS_LOG[used] != other_scale
                test = r["test"]["log" if use_log else "raw"]
            f = test["paths"][used]
            probs, quant, _, _ = zf.error_table(used, n, H, calibration)
            lo = f + test["scale"] * zf._quantile_at(probs, quant, (1 - LEVEL) / 2)
            hi = f + test["scale"] * zf._quantile_at(probs, quant, (1 + LEVEL) / 2)
            if use_log:
                f, lo, hi = np.exp(f), np.exp(lo), np.exp(hi)
            suffix = ""
            if other_scale:  # calibrated on the other scale: compare points only
                lo = hi = np.full(H, np.nan)
                suffix = " (log scale)" if use_log else " (raw scale)"
            for h in range(H):
                rows.append((it["id"], f"zjplan {m}{suffix}", h + 1, f[h], lo[h], hi[h]))
    return pd.DataFrame(rows, columns=["series_id", "method_id", "horizon", "forecast", "lo80", "hi80"])


def score(fc: pd.DataFrame, series) -> pd.DataFrame:
    """sMAPE, MASE, coverage, Winkler and MSIS per method: mean over horizons, then series."""
    actual = pd.DataFrame([(it["id"], h + 1, v) for it in series
                           for h, v in enumerate(it["test"].to_numpy())],
                          columns=["series_id", "horizon", "actual"])
    mscale = pd.Series({it["id"]: np.mean(np.abs(np.diff(it["train"].to_numpy()))) for it in series},
                       name="mscale")
    d = fc.merge(actual, on=["series_id", "horizon"]).join(mscale, on="series_id")
    d["smape"] = smape(d["forecast"], d["actual"])
    d["ase"] = np.abs(d["forecast"] - d["actual"]) / d["mscale"]
    has_pi = d["lo80"].notna()
    d.loc[has_pi, "inside"] = ((d["lo80"] <= d["actual"]) & (d["actual"] <= d["hi80"]))[has_pi].astype(float)
    d.loc[has_pi, "wink"] = winkler(d["lo80"], d["hi80"], d["actual"])[has_pi]
    d["msis"] = d["wink"] / d["mscale"]
    per_series = d.groupby(["method_id", "series_id"])[["smape", "ase", "inside", "wink", "msis"]].mean()
    t = per_series.groupby("method_id").mean()
    t.columns = ["sMAPE", "MASE", "Cover80", "Winkler", "MSIS"]
    t["Cover80"] *= 100
    return t.sort_values("sMAPE")


def by_length(win: pd.DataFrame) -> pd.DataFrame:
    """sMAPE (horizons 1-6) of each method by fitting-window bucket."""
    w = win[win["h"] <= H].assign(bucket=win["n"].map(zf.obs_bucket))
    w = w.assign(smape=smape(w["f"], w["a"]))
    t = w.pivot_table(index="method", columns="bucket", values="smape", aggfunc="mean")
    order = [b for b in ["2", "3", "4", "5-6", "7-9", "10-14", "15+"] if b in t.columns]
    return t[order]


def crossfit(final: pd.DataFrame, results, series, folds=5) -> pd.DataFrame:
    """zjplan test forecasts whose intervals never saw the series' own errors.

    Series are split into ``folds`` groups; each group's intervals come from
    a calibration built on the other groups only, as the hidden third of M3
    will be served by the shipped calibration.
    """
    idx = np.arange(len(series))
    parts = []
    for k in range(folds):
        cal = calibrate(final[final["series"] % folds != k])
        keep = idx % folds == k
        parts.append(zj_forecasts([r for r, t in zip(results, keep) if t],
                                  [s for s, t in zip(series, keep) if t], cal))
    return pd.concat(parts, ignore_index=True)


def bucket_coverage(final: pd.DataFrame, folds=5) -> pd.DataFrame:
    """Cross-fitted 80 % coverage (%) of test years by method and window length.

    Uses the windows of every length that end at the M3 origin: a value is
    inside when its scaled error lies between the calibrated quantiles.
    """
    parts = []
    for k in range(folds):
        cal = calibrate(final[final["series"] % folds != k])
        w = final[final["series"] % folds == k].assign(bucket=lambda d: d["n"].map(zf.obs_bucket))
        probs = cal["probs"]
        for (m, b, h), g in w.groupby(["method", "bucket", "h"]):
            q = np.asarray(cal["methods"][m][b]["quantiles"][h - 1])
            lo, hi = np.interp([(1 - LEVEL) / 2, (1 + LEVEL) / 2], probs, q)
            parts.append((m, b, ((g["err"] >= lo) & (g["err"] <= hi)).sum(), len(g)))
    d = pd.DataFrame(parts, columns=["method", "bucket", "inside", "count"])
    d = d.groupby(["method", "bucket"]).sum()
    t = (100 * d["inside"] / d["count"]).unstack()
    return t[[b for b in ["2", "3", "4", "5-6", "7-9", "10-14", "15+"] if b in t.columns]]


def markdown(t: pd.DataFrame, floatfmt=".2f") -> str:
    cols = list(t.columns)
    lines = ["| " + " | ".join([t.index.name or ""] + cols) + " |",
             "|" + "---|" * (len(cols) + 1)]
    for name, row in t.iterrows():
        cells = ["" if pd.isna(v) else format(int(v), "d") if col == "rank" else format(v, floatfmt)
                 for col, v in row.items()]
        lines.append("| " + " | ".join([str(name)] + cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help="folder with tsts.csv, fts.csv, pis_fts.csv")
    ap.add_argument("--calibrate", action="store_true",
                    help="rewrite zjplan/forecasting_calibration.json from this run's rolling-origin errors")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()

    series, fts, pis = load(args.data)
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(work, series, chunksize=8))
    win = window_frame(results)
    final, rolling = win[win["back"] == 0], win[win["back"] > 0]
    shipped = calibrate(final) if args.calibrate else zf._load_calibration()
    if shipped is None:
        sys.exit("m3_yearly: zjplan/forecasting_calibration.json is missing; run with --calibrate")

    others = pd.concat([fts[["series_id", "method_id", "horizon", "forecast"]],
                        pis[["series_id", "method_id", "horizon", "forecast", "lo80", "hi80"]]])
    zj = pd.concat([crossfit(final, results, series),
                    zj_forecasts(results, series, shipped, other_scale=True)])
    table = score(pd.concat([others, zj], ignore_index=True), series)
    table.index.name = "method"
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    in_sample = score(zj_forecasts(results, series, shipped), series).loc["zjplan auto", "Cover80"]
    old_era = score(zj_forecasts(results, series, calibrate(rolling)), series).loc["zjplan auto", "Cover80"]
    buckets = bucket_coverage(final)
    buckets.index.name = "method"
    lengths = by_length(rolling)
    lengths.index.name = "method"

    if args.calibrate:
        # Cross-fitted coverage of auto, read by zjplan.report for the briefs.
        shipped["coverage"] = round(float(table.loc["zjplan auto", "Cover80"]) / 100, 4)
        shipped["coverage_note"] = ("share of M3 yearly test values inside the 80 % interval of auto, "
                                    "cross-fitted over 5 folds of the 430 development series")
        # The Chinese provincial section belongs to benchmarks/cn_provinces.py: keep it.
        current = zf._load_calibration() or {}
        if "domain" in current:
            shipped["domain"] = current["domain"]
        tmp = zf.CALIBRATION_FILE.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(shipped, separators=(",", ":"), ensure_ascii=False) + "\n",
                       encoding="utf-8")
        os.replace(tmp, zf.CALIBRATION_FILE)
        zf._load_calibration.cache_clear()

    # End-to-end check: the public function gives the benchmark's numbers.
    it = series[0]
    fc = zf.forecast_series(it["train"], to_year=int(it["train"].index[-1]) + H, level=LEVEL,
                            calibration="m3")
    mine = zj_forecasts(results[:1], series[:1], shipped)
    row = mine[mine["method_id"] == "zjplan auto"]
    np.testing.assert_allclose(fc.path["lower"].to_numpy(), row["lo80"].to_numpy(), rtol=1e-9)

    elapsed = time.perf_counter() - t0
    auto = table.loc["zjplan auto"]
    naive2 = table.loc["NAIVE2"]
    pi = table[table["Cover80"].notna()][["Cover80", "MSIS", "Winkler"]].sort_values("MSIS")
    pi.index.name = "method"
    text = "\n".join([
        "# M3 yearly benchmark of zjplan.forecasting",
        "",
        f"{len(series)} yearly M3 series (development part), origin = M3 origin, horizons 1-{H}. "
        "sMAPE in %, MASE and MSIS scaled by the in-sample mean absolute one-step change, "
        "Cover80 = % of test actuals inside the 80 % interval, Winkler = raw mean 80 % interval score. "
        "Means over horizons per series, then over series. zjplan methods work on the scale they prefer "
        "(logs for naive, drift_damped, theta, combo, auto; original scale for drift, linear, ets_damped); "
        "rows marked '(log scale)' or '(raw scale)' run on the other scale, points only. "
        "zjplan rows use the M3 calibration (`calibration=\"m3\"`: auto is combo with the M3 tables); "
        "the default, provincial calibration is scored in `cn_provinces.md`.",
        "",
        "## Point accuracy, all methods",
        "",
        markdown(table.drop(columns=["Cover80", "Winkler", "MSIS"]), ".3f"),
        "",
        "## 80 % prediction intervals",
        "",
        markdown(pi, ".3f"),
        "",
        "Intervals of zjplan methods in both tables are cross-fitted: each series' interval comes from a "
        "calibration built on the scaled errors of the other series only (5 folds), so the coverage above is "
        "out of sample across series, as for the hidden third of M3.",
        "",
        f"- shipped calibration (errors of all {len(series)} series at their M3 origin), in sample: "
        f"auto covers {in_sample:.1f} %.",
        f"- calibration from rolling origins 1-6 years before the M3 origin only (test years never used): "
        f"auto covers {old_era:.1f} %. Scaled errors inside the training years are larger than in the test "
        "years, so that calibration is conservative on the M3 test period.",
        "",
        "## 80 % coverage by fitting-window length (windows ending at the M3 origin, cross-fitted, %)",
        "",
        markdown(buckets, ".1f"),
        "",
        "## sMAPE by fitting-window length (rolling origins inside the training years, horizons 1-6)",
        "",
        markdown(lengths, ".2f"),
        "",
        "## Summary",
        "",
        f"- zjplan auto: rank {int(auto['rank'])} of {len(table)} by sMAPE ({auto['sMAPE']:.3f}); "
        f"MASE {auto['MASE']:.3f} vs NAIVE2 {naive2['MASE']:.3f}; 80 % coverage {auto['Cover80']:.1f} %.",
        "- calibration: " + ("rewritten by this run." if args.calibrate
                             else "shipped zjplan/forecasting_calibration.json."),
        f"- run time: {elapsed:.1f} s with {args.workers} workers.",
        "",
    ])
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
