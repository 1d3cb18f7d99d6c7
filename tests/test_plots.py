"""Charts: every kind of indicator drawn, Chinese in the CJK font, reproducible PNGs.

Drawing runs under the Agg backend (tests/conftest.py) with matplotlib's
"Glyph N missing from font" warning turned into an error, so a symbol or a Chinese
character that would render as an empty box fails the test that draws it.
"""

import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager, ft2font

import zjplan
from zjplan import plots
from zjplan.assessment import STATUS_LABELS

GLYPH_MISSING = r"Glyph \d+ .*missing from font"
PLAN = zjplan.plan()


@pytest.fixture(autouse=True)
def _strict_glyphs_and_close():
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=GLYPH_MISSING)
        yield
    plt.close("all")


@pytest.fixture(scope="module")
def panel24():
    return zjplan.panel(as_of=2024)


def history_of(panel, ind_id):
    rows = panel[(panel["indicator_id"] == ind_id) & panel["value"].notna()]
    return pd.Series(rows["value"].to_numpy(float), index=rows["year"].astype(int).to_numpy())


def rows_of(panel, ind_id):
    return panel[panel["indicator_id"] == ind_id]


def by_gid(ax, gid):
    return [a for a in ax.findobj() if a.get_gid() == gid]


def draw(ax):
    ax.figure.canvas.draw()  # glyphs are looked up at draw time
    return ax


def fan_x_range(ax):
    (fan,) = by_gid(ax, "fan")
    xs = np.concatenate([p.vertices[:, 0] for p in fan.get_paths()])
    return xs.min(), xs.max()


def forecast_xy(ax):
    (line,) = [a for a in by_gid(ax, "forecast_point") if isinstance(a, matplotlib.lines.Line2D)][:1]
    return line.get_xdata()[0], line.get_ydata()[0]


# A level indicator with enough points to forecast: 6 has only its base in the data.
IND6 = zjplan.indicator(6)
HIST6 = pd.Series({2019: 14.0, 2020: 15.6, 2021: 16.4, 2022: 16.9})


@pytest.fixture(scope="module")
def fc6():
    return zjplan.forecast_series(HIST6, to_year=2025, target=19.0, direction="higher", bounds=IND6.bounds)


# --- Fonts and status style -----------------------------------------------------------------

def test_font_path_is_the_mplfonts_file():
    path = plots.font_path()
    assert path.is_file()
    assert path.name == "NotoSansCJKsc-Regular.otf"
    assert path.parent.parent.name == "mplfonts"


def test_font_path_names_the_package_when_missing(monkeypatch):
    monkeypatch.setattr(plots.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="mplfonts"):
        plots.font_path()


def test_use_cjk_font_is_idempotent_and_sets_the_fallback():
    path = str(plots.use_cjk_font())
    count = sum(f.fname == path for f in font_manager.fontManager.ttflist)
    plots.use_cjk_font()
    assert sum(f.fname == path for f in font_manager.fontManager.ttflist) == count > 0
    family = matplotlib.rcParams["font.family"]
    assert family[:2] == ["Noto Sans CJK SC", "DejaVu Sans"] and "sans-serif" in family
    assert matplotlib.rcParams["font.sans-serif"][:2] == ["Noto Sans CJK SC", "DejaVu Sans"]
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_backend_is_left_alone(fc6):
    before = matplotlib.rcParams._get_backend_or_none()
    plots.fan_chart(IND6, HIST6, fc6)
    assert matplotlib.rcParams._get_backend_or_none() == before


def test_status_style_has_every_status_with_a_glyph_the_fonts_hold():
    assert set(plots.STATUS_STYLE) == set(STATUS_LABELS)
    looks = {(s["color"], s["symbol"]) for s in plots.STATUS_STYLE.values()}
    assert len(looks) == len(plots.STATUS_STYLE)  # no two statuses look alike
    fonts = [ft2font.FT2Font(str(plots.font_path())), ft2font.FT2Font(font_manager.findfont("DejaVu Sans"))]
    for status, style in plots.STATUS_STYLE.items():
        assert style["symbol"].strip() and style["color"].startswith("#"), status
        assert all(any(f.get_char_index(ord(ch)) for f in fonts) for ch in style["symbol"]), status
    assert plots.status_mark("on_track") == "● 进展顺利、达到序时进度"
    assert plots.status_mark("off_track", "en") == "✖ unlikely to be met"


def test_a_missing_glyph_does_fail():
    """The strict filter is live: a glyph no font holds raises instead of drawing a box."""
    fig, ax = plt.subplots()
    ax.set_title("\u0f00")  # Tibetan OM: in neither Noto Sans CJK SC nor DejaVu Sans
    with pytest.raises(UserWarning, match="missing from font"):
        fig.canvas.draw()


# --- Fan chart, one kind at a time ----------------------------------------------------------------

def test_level_indicator(fc6):
    ax = draw(plots.fan_chart(IND6, HIST6, fc6))
    (target,) = by_gid(ax, "target")
    assert np.all(np.asarray(target.get_ydata()) == 19.0)
    assert fan_x_range(ax) == (2022, 2025)  # joined to the last observation, ends at the target year
    assert forecast_xy(ax) == (2025, pytest.approx(fc6.point))
    (base,) = by_gid(ax, "base")
    assert (base.get_xdata()[0], base.get_ydata()[0]) == (2019, 14.0)
    assert ax.get_title() == IND6.name_zh and ax.get_ylabel() == "%"
    assert ax.get_xlim() == (2018.5, 2025.5)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "2025" in labels and all(label.isdigit() for label in labels)
    assert "19" in by_gid(ax, "target_text")[0].get_text()
    assert ax.get_legend() is not None


def test_chinese_title_uses_the_cjk_font(fc6):
    ax = draw(plots.fan_chart(IND6, HIST6, fc6))
    found = font_manager.findfont(ax.title.get_fontproperties())
    assert found == str(plots.font_path())


def test_point_kinds_from_panel_rows(panel24):
    ax = draw(plots.fan_chart(zjplan.indicator(7), history_of(panel24, 7), panel_rows=rows_of(panel24, 7)))
    (derived,) = by_gid(ax, "history_derived")
    assert sorted(derived.get_xdata()) == [2018, 2021] and derived.get_markerfacecolor() == "white"
    (published,) = by_gid(ax, "history_published")
    assert list(published.get_xdata()) == [2019]
    ax = draw(plots.fan_chart(zjplan.indicator(3), history_of(panel24, 3), panel_rows=rows_of(panel24, 3)))
    (proxy,) = by_gid(ax, "history_proxy")
    assert proxy.get_marker() == "s" and list(proxy.get_xdata()) == [2020]
    assert {"公布值", "替代指标"} <= {t.get_text() for t in ax.get_legend().get_texts()}


def test_the_line_breaks_where_the_measure_changes():
    panel = zjplan.panel(as_of=2025)
    ax = draw(plots.fan_chart(zjplan.indicator(3), zjplan.series(3, as_of=2025), panel_rows=rows_of(panel, 3)))
    # 2019 plan base, 2020 规上工业 proxy, 2023-2024 规上制造业 derived, 2025 规上工业 proxy
    assert [list(line.get_xdata()) for line in by_gid(ax, "history")] == [[2019], [2020], [2023, 2024], [2025]]
    joins = by_gid(ax, "history_join")
    assert [list(j.get_xdata()) for j in joins] == [[2019, 2020], [2020, 2023], [2024, 2025]]
    assert all(j.get_linestyle() == ":" for j in joins)
    assert "口径改变（点线相连）" in {t.get_text() for t in ax.get_legend().get_texts()}


def test_an_upper_bound_is_drawn_apart_from_the_values():
    panel = zjplan.panel()
    ax = draw(plots.fan_chart(zjplan.indicator(1), zjplan.series(1), panel_rows=rows_of(panel, 1)))
    (bound,) = by_gid(ax, "bound_upper")
    assert bound.get_marker() == "v" and bound.get_markerfacecolor() == "white"
    assert list(bound.get_xdata()) == [2019, 2021, 2022, 2023, 2024, 2025]
    (line,) = by_gid(ax, "history")
    assert list(line.get_xdata()) == [2018, 2020]              # the indicator's line never runs through a bound
    assert any(t.get_text().startswith("上限") for t in ax.get_legend().get_texts())


def test_constant_price_indicator_with_nominal(panel24):
    ind, rows = zjplan.indicator(15), rows_of(panel24, 15)
    nominal = rows.set_index("year")["value_as_published"]
    fc = zjplan.forecast(15, as_of=2024)
    ax = draw(plots.fan_chart(ind, history_of(panel24, 15), fc, panel_rows=rows, nominal=nominal))
    (line,) = by_gid(ax, "nominal")
    assert line.get_linestyle() == "--" and line.get_linewidth() < 1.5
    assert list(line.get_ydata()) == list(nominal.to_numpy())
    assert fan_x_range(ax)[1] == 2025
    assert by_gid(ax, "target")[0].get_ydata()[0] == 150


def test_ceiling_shades_the_forbidden_side(panel24):
    ind = zjplan.indicator(13)
    ax = draw(plots.fan_chart(ind, history_of(panel24, 13), zjplan.forecast(13, as_of=2024)))
    assert by_gid(ax, "target")[0].get_ydata()[0] == 20
    (zone,) = by_gid(ax, "ceiling_zone")
    bottom, top = zone.get_y(), zone.get_y() + zone.get_height()  # y in data units (axhspan)
    assert bottom == 20 and top == pytest.approx(ax.get_ylim()[1])
    assert "<20" in by_gid(ax, "target_text")[0].get_text()
    assert fan_x_range(ax) == (2021, 2025)


def test_average_growth_draws_bars_and_the_required_average(panel24):
    ind = zjplan.indicator(2)
    fc = zjplan.forecast(2, as_of=2024)
    ax = draw(plots.fan_chart(ind, history_of(panel24, 2), fc, panel_rows=rows_of(panel24, 2)))
    bars = by_gid(ax, "history_proxy")  # 规上工业 growth stands in for 规上制造业
    assert sorted(b.get_x() + b.get_width() / 2 for b in bars) == list(range(2019, 2025))
    assert by_gid(ax, "target")[0].get_ydata()[0] == 6.0
    assert "年均" in by_gid(ax, "target_text")[0].get_text()
    assert not by_gid(ax, "fan")  # the forecast is of the average, not a path
    assert not by_gid(ax, "forecast_point")  # and not one more bar-like point at 2025
    (line,) = by_gid(ax, "average_forecast")
    assert list(line.get_xdata()) == [2019.6, 2025.4]  # across the whole period 2020–2025
    assert list(line.get_ydata()) == [pytest.approx(fc.point)] * 2


def test_qualitative_has_no_target_line_and_no_fan(panel24, fc6):
    ind = zjplan.indicator(12)
    ax = draw(plots.fan_chart(ind, history_of(panel24, 12), fc6, panel_rows=rows_of(panel24, 12)))
    assert not by_gid(ax, "target") and not by_gid(ax, "fan") and not by_gid(ax, "forecast_point")
    assert not [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert ind.target_text in by_gid(ax, "target_text")[0].get_text()


def test_no_data_after_the_base_says_so():
    ind = zjplan.indicator(8)
    ax = draw(plots.fan_chart(ind, pd.Series({2018: 91.0})))
    (note,) = by_gid(ax, "no_data")
    assert "数据暂缺" in note.get_text()
    assert not by_gid(draw(plots.fan_chart(IND6, HIST6)), "no_data")


@pytest.mark.parametrize("lang, title, unit", [
    ("en", lambda i: i.name_en, lambda i: i.unit_en),
    ("both", lambda i: f"{i.name_zh}\n{i.name_en}", lambda i: f"{i.unit} / {i.unit_en}"),
])
def test_languages(lang, title, unit):
    ind = zjplan.indicator(5)
    ax = draw(plots.fan_chart(ind, pd.Series({2019: 23.1, 2020: 23.9}), lang=lang))
    assert ax.get_title() == title(ind) and ax.get_ylabel() == unit(ind)


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang"):
        plots.fan_chart(IND6, HIST6, lang="fr")


def test_draws_on_a_given_axes(fc6):
    fig, axes = plt.subplots(1, 2)
    assert plots.fan_chart(IND6, HIST6, fc6, ax=axes[1], compact=True) is axes[1]
    assert axes[1].get_legend() is None and axes[1].get_title("left").startswith("6 ")


# --- Small multiples ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def page(panel24, fc6):
    statuses = list(plots.STATUS_STYLE)  # every symbol gets drawn
    ids = [i.id for i in PLAN.indicators]
    cards = pd.DataFrame({"status": [statuses[k % len(statuses)] for k in range(len(ids))],
                          "prob_meet": [0.5 if k % 2 else np.nan for k in range(len(ids))]}, index=ids)
    histories = {i: history_of(panel24, i) for i in ids}
    forecasts = {i: None for i in ids} | {6: fc6}
    histories[6] = HIST6
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=GLYPH_MISSING)
        fig = plots.small_multiples(cards, histories, forecasts, panels=panel24)
        fig.canvas.draw()
    yield cards, histories, fig
    plt.close(fig)


def test_small_multiples_has_sixteen_numbered_panels(page):
    cards, _, fig = page
    axes = fig.get_axes()
    assert len(axes) == 16
    assert tuple(fig.get_size_inches()) == pytest.approx((8.27, 10.0))  # A4 width; one page with its heading
    for n, ax in enumerate(axes, start=1):
        assert ax.get_title("left").startswith(f"{n} ")
        assert ax.get_title("right").startswith(plots.STATUS_STYLE[cards.loc[n, "status"]]["symbol"])
        assert ax.get_legend() is None
    assert fig.legends, "the page has one key for the grammar and the statuses"
    keys = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "上限（替代指标）" in keys and "下限（替代指标）" not in keys   # only the bound sides drawn
    assert "口径改变（点线相连）" in keys                                  # indicator 3 changes measure


def test_small_multiples_marks_panels_without_data(page):
    _, histories, fig = page
    empty = {i.id for i in PLAN.indicators if not (histories[i.id].index > i.baseline_year).any()}
    assert empty >= {4, 8, 14}
    for n, ax in enumerate(fig.get_axes(), start=1):
        notes = by_gid(ax, "no_data")
        assert bool(notes) == (n in empty), n
        assert all("数据暂缺" in t.get_text() for t in notes)


# --- Reproducible PNG -----------------------------------------------------------------------------

def test_png_is_byte_for_byte_reproducible(tmp_path, fc6):
    def render():
        return plots.fan_chart(IND6, HIST6, fc6).figure

    first, second = plots.save_png(render(), tmp_path / "a.png"), plots.save_png(render(), tmp_path / "sub" / "b.png")
    data = first.read_bytes()
    assert data.startswith(b"\x89PNG") and data == second.read_bytes()
    fig = render()
    assert plots.figure_to_png_bytes(fig) == plots.figure_to_png_bytes(fig) == data
    assert b"Software" not in data and b"matplotlib" not in data
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.png", "b.png", "sub"]  # no temp files left


# --- Readability of the brief's page 2 (issue 13) ----------------------------------------------------

@pytest.fixture(scope="module")
def brief_page():
    """Page 2 of the 2024 brief as the batch draws it: real scorecard, forecasts, both languages."""
    from zjplan import report

    ctx = report.scorecard_context(2024, lang="both")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=GLYPH_MISSING)
        fig = plots.small_multiples(ctx.card, ctx.histories, ctx.forecasts, lang="both", panels=ctx.panels)
        fig.canvas.draw()
    yield ctx, fig
    plt.close(fig)


def rendered(fig):
    """The renderer of a drawn figure (the autouse fixture closes pyplot's figures between tests)."""
    renderer = plots._renderer(fig)
    fig.draw(renderer)
    return renderer


def _boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_titles_take_one_line_per_language_and_clear_the_status_mark(brief_page):
    _, fig = brief_page
    renderer = rendered(fig)
    for n, ax in enumerate(fig.get_axes(), start=1):
        zh, en = ax.get_title("left").split("\n")  # exactly two lines: Chinese, then English
        assert zh.startswith(f"{n} ") and zh == f"{n} {PLAN.get(n).short('zh')}" and en == PLAN.get(n).short("en")
        # The mark sits on the Chinese row (its second row is empty): that row's text must end before it.
        assert ax.get_title("right").count("\n") == 1 and ax.get_title("right").endswith("\n")
        mark = ax.get_title("right").strip()
        width = lambda text, artist: renderer.get_text_width_height_descent(text, artist.get_fontproperties(), ismath=False)[0]
        zh_end = ax._left_title.get_window_extent(renderer).x0 + width(zh, ax._left_title)
        mark_start = ax._right_title.get_window_extent(renderer).x1 - width(mark, ax._right_title)
        assert zh_end + 2 < mark_start, n


def test_target_label_covers_no_point_base_or_forecast(brief_page):
    ctx, fig = brief_page
    renderer = rendered(fig)
    for n, ax in enumerate(fig.get_axes(), start=1):
        ind = PLAN.get(n)
        label = by_gid(ax, "target_text")  # on the target line, or a qualitative target's words
        if not label:
            continue
        box = label[0].get_window_extent(renderer)
        points = [(ind.baseline_year, ind.baseline_value)] if ind.baseline_value is not None else []
        if ind.target_kind != "average_growth":
            history = list(ctx.histories[n].items())
            points += history + [(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)  # and the line between them
                                 for (x0, y0), (x1, y1) in zip(history, history[1:]) for k in range(1, 10)]
        fc = ctx.forecasts[n]
        if fc is not None:
            points.append((fc.to_year, fc.point))
        for x, y in points:
            px, py = ax.transData.transform((x, y))
            assert not (box.x0 - 2 <= px <= box.x1 + 2 and box.y0 - 2 <= py <= box.y1 + 2), (n, x, y)


def test_indicator_1_target_label_is_off_the_base_marker(brief_page):
    _, fig = brief_page
    ax = fig.get_axes()[0]
    renderer = rendered(fig)
    (label,) = [t for t in by_gid(ax, "target_text") if hasattr(t, "xy")]
    (base,) = by_gid(ax, "base")
    px, py = ax.transData.transform((base.get_xdata()[0], base.get_ydata()[0]))
    box = label.get_window_extent(renderer)
    radius = base.get_markersize() * fig.dpi / 72
    assert px + radius < box.x0 or py + radius < box.y0 or py - radius > box.y1


def test_status_mark_overlaps_no_bar(brief_page):
    _, fig = brief_page
    renderer = rendered(fig)
    ax = fig.get_axes()[1]  # indicator 2: yearly growth as bars
    bars = [p for p in ax.patches if p.get_gid() and p.get_gid().startswith("history_")]
    assert bars
    mark = ax._right_title.get_window_extent(renderer)
    assert not any(_boxes_overlap(mark, bar.get_window_extent(renderer)) for bar in bars)
    assert mark.y0 >= ax.get_window_extent(renderer).y1 - 1  # above the plotting area


# --- Among the provinces ------------------------------------------------------------------------------

def test_province_bars_mark_zhejiang_and_the_peers():
    table = zjplan.compare(12)
    fig, ax = plt.subplots(figsize=(7, 6))
    draw(plots.province_bars(table, ax=ax, lang="both"))
    bars = ax.patches[: len(table)]
    colours = [matplotlib.colors.to_hex(b.get_facecolor()) for b in bars]
    assert colours[28] == plots.HISTORY_COLOR.lower()  # 浙江, rank 29
    assert colours[1] == plots.PEER_COLOR.lower() and colours[0] == plots.OTHER_COLOR  # 上海 peer, 北京 not
    assert all(b.get_hatch() == "////" for b in bars)  # a proxy
    assert [t.get_text() for t in ax.get_yticklabels()][28] == "29 浙江"


def test_province_page_names_only_zhejiang_and_peers_and_gives_the_rank():
    tables = [zjplan.compare(i) for i in (12, 6, 3)]
    fig = plots.province_multiples(tables, lang="both")
    fig.canvas.draw()
    first = fig.get_axes()[0]
    assert sorted(t.get_text() for t in first.get_xticklabels()) == sorted(["上海", "江苏", "山东", "广东", "浙江"])
    assert first.get_title("right") == "2020: 29/30"
    zh, en = first.get_title("left").split("\n")
    assert zh.startswith("12 单位工业增加值能耗 — 替代指标") and en.startswith("Energy per unit of industrial VA — proxy")
    third = fig.get_axes()[2]  # a derived ratio: hollow bars
    assert all(matplotlib.colors.to_hex(b.get_facecolor()) == "#ffffff" for b in third.patches[:31])


def test_rank_chart_puts_rank_one_on_top_and_keeps_end_labels_apart():
    from zjplan import provinces

    history = provinces.rank_history(6)  # high-tech revenue: 广东, 江苏, 浙江 ranks 1-3 in 2023
    ax = draw(plots.rank_chart(history, lang="zh"))
    low, high = ax.get_ylim()
    assert low > high and high < 1 <= low  # inverted: 1 at the top
    labels = {t.get_text(): t.xyann[1] for t in ax.texts}
    assert set(labels) == {"浙江", "江苏", "广东", "山东", "上海"}
    ys = sorted(labels.values())
    assert min(b - a for a, b in zip(ys, ys[1:])) >= 0.05 * history["n"].max() - 1e-9
    assert ax.get_title("left").startswith("名次变化：高技术产业营业收入")
