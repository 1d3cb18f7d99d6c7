"""Tests of the provincial benchmark's uncertainty and variant-selection code
(benchmarks/cn_provinces.py) on hand-built and seeded synthetic inputs."""
import importlib.util
import json
from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose
import pandas as pd
import pytest
from scipy.special import ndtri

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "cn_provinces.py"
_spec = importlib.util.spec_from_file_location("cn_provinces_bench", _PATH)
cnp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cnp)

NAIVE, THETA, ETS = cnp.PEERS


def case(series, k, n=5, zjplan=10.0, naive=12.0, theta=11.0, ets=15.0, kind="share", regime="all"):
    """One case row as tables() builds it for bootstrap_cells."""
    return {"kind": kind, "regime": regime, "series": series, "zjplan": zjplan, NAIVE: naive,
            THETA: theta, ETS: ets, "k zjplan": k, "n_inside": n}


# ---------------------------------------------------------------------------
# bootstrap_cells
# ---------------------------------------------------------------------------
def test_bootstrap_identical_series_give_a_point_interval():
    # Every series covers 4 of 5 and has the same sMAPEs: no resample can differ.
    pts = pd.DataFrame([case(f"s{i}", 4) for i in range(6)])
    b = cnp.bootstrap_cells(pts, n_boot=200)
    row = b.loc[("share", "all")]
    assert_allclose(row[["cover lo", "cover hi"]].to_numpy(float), [80.0, 80.0])
    # zjplan 10 against the best peer (theta, 11).
    assert_allclose(row[["gap", "gap lo", "gap hi"]].to_numpy(float), [-1.0, -1.0, -1.0])


def test_bootstrap_two_series_hand_computed():
    # Resamples of two series: (A, A) 100 % w.p. 1/4, (A, B) 50 % w.p. 1/2, (B, B) 0 % w.p. 1/4.
    pts = pd.DataFrame([case("A", 5), case("B", 0)])
    wide = cnp.bootstrap_cells(pts, n_boot=4000, level=0.9).loc[("share", "all")]
    assert_allclose(wide[["cover lo", "cover hi"]].to_numpy(float), [0.0, 100.0])
    narrow = cnp.bootstrap_cells(pts, n_boot=4000, level=0.4).loc[("share", "all")]
    assert_allclose(narrow[["cover lo", "cover hi"]].to_numpy(float), [50.0, 50.0])


def test_bootstrap_resamples_whole_series_not_cases():
    # Series A has two cases (both inside), B one (none inside). Drawing series:
    # P(coverage 0) = 1/4, so the 10 % quantile is 0. Drawing the three cases
    # instead would give P(0) = 1/27 and a 10 % quantile of 33.3.
    pts = pd.DataFrame([case("A", 5), case("A", 5), case("B", 0)])
    row = cnp.bootstrap_cells(pts, n_boot=4000, level=0.8).loc[("share", "all")]
    assert_allclose(row["cover lo"], 0.0)
    assert_allclose(row["cover hi"], 100.0)


def test_bootstrap_gap_takes_the_best_peer_of_each_resample():
    # S1: naive is best (10); S2: theta is best (10). Full sample: both peers 15, gap -5.
    # Resamples (S1, S1) and (S2, S2) have a peer at 10 (gap 0); (S1, S2) gap -5.
    # A fixed best peer (naive) would give gap -10 on (S2, S2).
    pts = pd.DataFrame([case("S1", 4, zjplan=10, naive=10, theta=20, ets=30),
                        case("S2", 4, zjplan=10, naive=20, theta=10, ets=30)])
    row = cnp.bootstrap_cells(pts, n_boot=4000, level=0.8).loc[("share", "all")]
    assert_allclose(row[["gap", "gap lo", "gap hi"]].to_numpy(float), [-5.0, -5.0, 0.0])


def test_bootstrap_is_seeded_and_per_cell():
    rng = np.random.default_rng(7)
    pts = pd.DataFrame([case(f"s{i}", int(rng.integers(0, 6)), zjplan=float(rng.uniform(5, 30)),
                             kind=kind, regime=regime)
                        for kind in ("ratio", "share") for regime in ("all", "last3") for i in range(12)])
    a = cnp.bootstrap_cells(pts, n_boot=300, seed=3)
    b = cnp.bootstrap_cells(pts, n_boot=300, seed=3)
    c = cnp.bootstrap_cells(pts, n_boot=300, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert list(a.index) == [("ratio", "all"), ("ratio", "last3"), ("share", "all"), ("share", "last3")]
    assert (a["cover lo"] <= a["cover hi"]).all() and (a["gap lo"] <= a["gap hi"]).all()


def test_spread_sentence():
    boot = pd.DataFrame({"series": [30, 30, 250, 260], "cover lo": [70.0, 75.0, 77.0, 76.0],
                         "cover hi": [85.0, 83.0, 82.5, 82.0]},
                        index=pd.MultiIndex.from_tuples([("share", "all"), ("share", "last3"),
                                                         ("level", "all"), ("level", "last3")],
                                                        names=["kind", "regime"]))
    assert cnp.spread(boot) == ("The level cells rest on 250-260 series (coverage intervals 5.5-6.0 "
                                "points wide); share cells rest on 30 series (coverage intervals "
                                "8.0-15.0 points wide).")


# ---------------------------------------------------------------------------
# Pooling of error quantiles
# ---------------------------------------------------------------------------
def test_pool_tables_shrinks_by_window_counts():
    tables = {"3": {"n_windows": 100, "quantiles": [[-1.0, 0.0, 1.0]], "corr": [[1.0]]},
              "4": {"n_windows": 300, "quantiles": [[-2.0, 1.0, 2.0]], "corr": [[1.0]]}}
    pooled = {"n_windows": 400, "quantiles": [[-3.0, 0.0, 3.0]], "corr": [[1.0]]}
    out = cnp.pool_tables(tables, pooled, weight=100.0)
    # Bucket 3: weight 100 / (100 + 100) = 0.5 on its own quantiles.
    assert_allclose(out["3"]["quantiles"], [[-2.0, 0.0, 2.0]])
    # Bucket 4: 300 / 400 = 0.75 on its own.
    assert_allclose(out["4"]["quantiles"], [[-0.75 * 2 - 0.25 * 3, 0.75, 0.75 * 2 + 0.25 * 3]])
    assert out["4"]["n_windows"] == 300 and out["4"]["corr"] == [[1.0]]
    replaced = cnp.pool_tables(tables, pooled, weight=None)
    assert_allclose(replaced["3"]["quantiles"], pooled["quantiles"])
    assert_allclose(replaced["4"]["quantiles"], pooled["quantiles"])
    assert tables["3"]["quantiles"] == [[-1.0, 0.0, 1.0]]  # input untouched


def _synthetic_windows(n_series=24, seed=11):
    """Scaled-error rows of seeded bounded series, as --calibrate computes them."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_series):
        level = rng.uniform(5, 60)
        y = np.clip(level + np.cumsum(rng.normal(0.3, 1.5, 14)), 0.5, 99.5)
        s = {"y": pd.Series(y, index=range(2010, 2024)), "bounds": (0.0, 100.0),
             "key": f"t/v/p{i:02d}"}
        rows += cnp.window_errors(s)
    return pd.DataFrame(rows, columns=cnp.WINDOW_COLUMNS)


@pytest.fixture(scope="module")
def windows():
    return _synthetic_windows()


def test_calibrate_variants_of_the_bounded_group(windows):
    shipped = cnp.calibrate(windows, {"bounded": "shipped"})
    pooled = cnp.calibrate(windows, {"bounded": "pooled_no_median"})
    shrunk = cnp.calibrate(windows, {"bounded": "shrink"})
    # On these drifting series the rule moves the point; "no_median" variants never do.
    assert shipped["median_point"]["bounded"] is True
    assert pooled["median_point"]["bounded"] is False
    # Same methods and buckets; pooled tables are one table for every length.
    assert shipped["auto"] == pooled["auto"] == shrunk["auto"]
    assert set(pooled["methods"]["bounded"]) == {"naive", "theta"}
    assert list(pooled["methods"]["bounded"]["naive"]) == ["3", "5-6", "7-9"]
    assert not np.allclose(shrunk["methods"]["bounded"]["naive"]["3"]["quantiles"],
                           shipped["methods"]["bounded"]["naive"]["3"]["quantiles"])
    for m, tabs in pooled["methods"]["bounded"].items():
        assert list(tabs) == list(shipped["methods"]["bounded"][m])
        first = np.asarray(next(iter(tabs.values()))["quantiles"])
        for t in tabs.values():
            assert_allclose(t["quantiles"], first)
        # Shrinkage lies between a bucket's own quantiles and the pooled ones.
        for b, t in shrunk["methods"]["bounded"][m].items():
            own = np.asarray(shipped["methods"]["bounded"][m][b]["quantiles"])
            w = t["n_windows"] / (t["n_windows"] + cnp.SHRINK_WINDOWS)
            assert_allclose(t["quantiles"], w * own + (1 - w) * first, atol=1e-5)
    # The volatility prior does not depend on the variant.
    assert shipped["prior_scale"] == pooled["prior_scale"]


def test_calibrate_rejects_an_unknown_variant(windows):
    with pytest.raises(KeyError, match="no_such_variant"):
        cnp.calibrate(windows, {"bounded": "no_such_variant"})


# ---------------------------------------------------------------------------
# Stretch of the error quantiles: leave-one-province-out coverage
# ---------------------------------------------------------------------------
def _lopo_rows(errors_by_province, method="naive", bucket="3", h=1):
    return pd.DataFrame([{"method": method, "bucket": bucket, "h": h, "err": float(e),
                          "window": f"t/v/{p}|2014|3"} for p, errs in errors_by_province.items()
                         for e in errs])


def test_lopo_spread_hand_computed():
    # Province A's errors are an even grid on [-1, 1] (40 points, k/39 for odd k); B's are twice
    # them. Held out, A is scored on B's quantiles (q10, q50, q90 = -1.6, 0, 1.6): all 40 inside
    # for any factor >= 0.625. B is scored on A's (-0.8, 0, 0.8): inside iff |e| <= 0.4 c.
    # Unstretched (c = 1): 16 of B's 40 (k <= 15), coverage (40 + 16) / 80 = 0.7. 80 % needs 24 of
    # B's 40, |e| <= 23/39, so c >= 23 / (39 * 0.4) = 1.474: the grid's first such factor is 1.48.
    grid = np.linspace(-1, 1, 40)
    win = _lopo_rows({"pA": grid, "pB": 2 * grid})
    factor, unstretched = cnp.lopo_spread(win, {"3": "naive"})
    assert factor == pytest.approx(1.48)
    assert unstretched == pytest.approx(0.7)


def test_lopo_spread_counts_only_autos_method_and_big_enough_cells():
    grid = np.linspace(-1, 1, 40)
    win = _lopo_rows({"pA": grid, "pB": 2 * grid})
    other = _lopo_rows({"pA": 50 * grid, "pB": grid}, method="theta")
    small = _lopo_rows({"pA": grid[:20], "pB": 9 * grid[:20]}, h=2)  # 20 others: left out
    assert cnp.lopo_spread(pd.concat([win, other, small]), {"3": "naive"}) == cnp.lopo_spread(win, {"3": "naive"})
    assert cnp.lopo_spread(small, {"3": "naive"})[0] == 1.0  # nothing to score: no stretch


def test_lopo_spread_is_one_for_alike_provinces_and_grows_with_their_differences():
    # Every province has the same errors (normal scores of 400 points) times its own scale.
    z = ndtri((np.arange(400) + 0.5) / 400)

    def spread(n_provinces, log_range):
        scales = np.exp(np.linspace(-log_range, log_range, n_provinces))
        return cnp.lopo_spread(_lopo_rows({f"p{i:02d}": z * s for i, s in enumerate(scales)}),
                               {"3": "naive"})
    # Alike provinces: the others' quantiles are the held-out one's, exactly 80 % inside.
    assert spread(6, 0.0) == (1.0, 0.8)
    # A held-out wide province falls outside the others' narrower band more often than a narrow
    # one gains: coverage below 80 %, more so the more the provinces differ and the fewer they are.
    factors = {(n, r): spread(n, r) for n in (4, 12) for r in (0.5, 1.0)}
    assert all(f > 1.0 and c < 0.8 for f, c in factors.values())
    assert factors[(4, 1.0)][0] > factors[(4, 0.5)][0] and factors[(12, 1.0)][0] > factors[(12, 0.5)][0]
    assert factors[(4, 1.0)][0] > factors[(12, 1.0)][0]


def test_stretch_tables_keeps_the_median():
    probs = np.asarray(cnp.PROBS)
    tables = {"3": {"n_windows": 50, "quantiles": [(1 + probs - 0.5).tolist()], "corr": [[1.0]]}}
    out = cnp.stretch_tables(tables, 2.0)
    assert_allclose(out["3"]["quantiles"], [1 + 2 * (probs - 0.5)], atol=1e-5)
    assert out["3"]["n_windows"] == 50 and out["3"]["corr"] == [[1.0]]
    assert tables["3"]["quantiles"][0][0] == pytest.approx(1 + probs[0] - 0.5)  # input untouched


def test_calibrate_with_the_stretch(windows):
    fitted = cnp.calibrate(windows, {"bounded": "shipped"})
    stretched = cnp.calibrate(windows, {"bounded": "shipped", "spread": "lopo"})
    assert "spread" not in fitted
    factor = stretched["spread"]["bounded"]["factor"]
    assert factor in cnp.SPREAD_GRID
    i50 = cnp.PROBS.index(0.5)
    for m, tabs in fitted["methods"]["bounded"].items():
        for b, t in tabs.items():
            q = np.asarray(t["quantiles"])
            assert_allclose(stretched["methods"]["bounded"][m][b]["quantiles"],
                            q[:, [i50]] + factor * (q - q[:, [i50]]), atol=1e-5)
    # Points and the rest of the calibration do not move.
    assert stretched["auto"] == fitted["auto"] and stretched["median_point"] == fitted["median_point"]
    assert stretched["prior_scale"] == fitted["prior_scale"]


def test_calibrate_rejects_an_unknown_spread_rule(windows):
    with pytest.raises(KeyError, match="unknown spread rule 'wide'"):
        cnp.calibrate(windows, {"bounded": "shipped", "spread": "wide"})


def test_shipped_design_stretches_and_the_calibration_file_records_it():
    assert cnp.DESIGN["spread"] == "lopo"
    domain = json.loads(Path(cnp.zf.CALIBRATION_FILE).read_text(encoding="utf-8"))["domain"]
    assert set(domain["spread"]) == {"bounded", "unbounded"}
    assert all(f["factor"] in cnp.SPREAD_GRID for f in domain["spread"].values())


# ---------------------------------------------------------------------------
# Inner cross-validation: folds and the criterion
# ---------------------------------------------------------------------------
def test_inner_folds_alternate_over_tuning_provinces_only():
    series = [{"province": p, "part": part} for p, part in
              (("b", "tune"), ("a", "tune"), ("c", "check"), ("d", "tune"), ("e", "tune"), ("d", "tune"))]
    assert cnp.inner_folds(series) == {"a": 0, "b": 1, "d": 0, "e": 1}


def _summary(dist, gap):
    return pd.DataFrame({"coverage distance": dist, "sMAPE gap": gap},
                        index=pd.Index(list("wxyz")[:len(dist)], name="variant"))


def test_choose_variant_criterion():
    # x is 0.4 from the best coverage (tie) and more accurate: x.
    assert cnp.choose_variant(_summary([3.0, 3.4, 5.0], [-1.0, -1.5, -3.0])) == "x"
    # x is 0.6 from the best coverage: no tie, w wins despite its sMAPE.
    assert cnp.choose_variant(_summary([3.0, 3.6, 5.0], [-1.0, -1.5, -3.0])) == "w"
    # Equal sMAPE gaps go to the smaller coverage distance, whatever the name order.
    assert cnp.choose_variant(_summary([3.3, 3.1, 3.0], [-1.0, -1.0, -0.5])) == "x"


def test_cv_summary_hand_computed():
    rows = pd.DataFrame([
        {"variant": "v", "kind": "share", "regime": "all", "zjplan": 10.0, NAIVE: 12.0, THETA: 14.0,
         ETS: 20.0, "k": 3, "n": 4},
        {"variant": "v", "kind": "share", "regime": "all", "zjplan": 14.0, NAIVE: 12.0, THETA: 8.0,
         ETS: 20.0, "k": 5, "n": 6},
        {"variant": "v", "kind": "ratio", "regime": "all", "zjplan": 5.0, NAIVE: 4.0, THETA: 6.0,
         ETS: 7.0, "k": 9, "n": 10},
    ])
    s = cnp.cv_summary(rows).loc["v"]
    # share/all: coverage 8/10 = 80 %, zjplan 12 vs best peer mean (theta 11): +1.
    # ratio/all: coverage 90 %, zjplan 5 vs naive 4: +1.
    assert_allclose(s["Cover80 share/all"], 80.0)
    assert_allclose(s["Cover80 ratio/all"], 90.0)
    assert_allclose(s["gap share/all"], 1.0)
    assert_allclose(s["coverage distance"], 5.0)
    assert_allclose(s["sMAPE gap"], 1.0)


def test_main_rejects_two_modes(capsys):
    with pytest.raises(SystemExit):
        cnp.main(["--swap", "--select"])
    assert "use at most one of --calibrate, --swap and --select" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# The logit working scale of the bounded group
# ---------------------------------------------------------------------------
def test_window_errors_score_bounded_series_on_both_scales():
    y = pd.Series([10.0, 11.0, 12.5, 12.0, 13.5, 14.0, 15.2, 15.0, 16.1, 17.0], index=range(2010, 2020))
    rows = pd.DataFrame(cnp.window_errors({"y": y, "bounds": (0.0, 100.0), "key": "t/v/p"}),
                        columns=cnp.WINDOW_COLUMNS)
    logit = rows[rows["scale"] == "logit"]
    assert set(rows["scale"]) == {"linear", "logit"}
    assert set(logit["method"]) == set(cnp.CAL_METHODS)
    # Logit rows: errors in logit units, prior level 1, actuals kept on the original scale.
    one = logit[(logit["method"] == "naive") & (logit["window"] == "t/v/p|2015|3") & (logit["h"] == 2)].iloc[0]
    # Origin 2015 (14.0), two years ahead 2017 (15.0): logit(0.15) - logit(0.14).
    assert_allclose(one["err"], np.log(0.15 / 0.85) - np.log(0.14 / 0.86), rtol=1e-10)
    assert one["lvl"] == 1.0 and one["actual"] == 15.0
    unbounded = pd.DataFrame(cnp.window_errors({"y": y, "bounds": None, "key": "t/v/q"}),
                             columns=cnp.WINDOW_COLUMNS)
    assert set(unbounded["scale"]) == {"log", "linear"}


@pytest.mark.parametrize("scale, bounds", [("linear", (0.0, 100.0)), ("log", (-np.inf, np.inf)),
                                           ("logit", (0.0, 100.0)), ("logit", (-5.0, 20.0))])
def test_to_scale_and_back(scale, bounds):
    v = np.array([0.5, 3.0, 12.0, 19.5])
    assert_allclose(cnp.from_scale(scale, cnp.to_scale(scale, v, bounds), bounds), v, rtol=1e-10)
    assert cnp.from_scale("linear", np.array([-3.0, 120.0]), (0.0, 100.0)).tolist() == [0.0, 100.0]


def test_calibrate_logit_variant(windows):
    shipped = cnp.calibrate(windows, {"bounded": "shipped"})
    logit = cnp.calibrate(windows, {"bounded": "logit_no_median"})
    assert "logit" not in shipped  # the shipped file stays as it was
    assert logit["logit"] == {"bounded": True} and logit["median_point"]["bounded"] is False
    # The prior is the median mean absolute yearly change of the windows in logit units.
    lw = windows[(windows["scale"] == "logit")].drop_duplicates("window")
    assert_allclose(logit["prior_scale"]["bounded"], round(float(np.median(lw["d"])), 5))
    assert logit["prior_scale"]["bounded"] != shipped["prior_scale"]["bounded"]


def test_candidates_are_the_shipped_design_and_the_logit_variants():
    assert cnp.CANDIDATES == ("shipped", "logit", "logit_no_median", "logit_shrink",
                              "logit_shrink_no_median", "logit_pooled", "logit_pooled_no_median")
    assert all(cnp.VARIANTS[v]["scale"] == "logit" for v in cnp.CANDIDATES[1:])


def test_logit_lines_from_the_selection_record(tmp_path):
    assert cnp.logit_lines(tmp_path / "absent.json") == []
    summary = {v: {"coverage distance": 4.0, "sMAPE gap": -1.0} for v in cnp.VARIANTS}
    summary["logit_shrink"] = {"coverage distance": 5.5, "sMAPE gap": -1.7}
    summary["shipped"] = {"coverage distance": 3.9, "sMAPE gap": -1.2}
    for v in ("logit", "logit_no_median", "logit_pooled", "logit_pooled_no_median", "logit_shrink_no_median"):
        summary[v] = {"coverage distance": 6.0, "sMAPE gap": -1.9}
    path = tmp_path / "sel.json"
    path.write_text(json.dumps({"chosen": "shipped", "candidates": list(cnp.CANDIDATES), "summary": summary}))
    text = "\n".join(cnp.logit_lines(path))
    assert "(not chosen, not shipped)" in text
    assert "chose `shipped`." in text and "shipped design 3.90 and -1.20;" in text
    assert "logit variant nearest 80 % (`logit_shrink`) 5.50 and -1.70;" in text
    # Ties in the gap go to the first candidate in order: logit.
    assert "most accurate logit variant (`logit`) 6.00 and -1.90." in text
