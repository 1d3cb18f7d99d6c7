"""Charts: the fan chart of one indicator and the 16-panel small multiples.

Every chart speaks one visual grammar, so that a reader who learnt one panel can read
them all:

* history: a dark line; filled markers are published figures, hollow markers figures
  derived from published parts, squares figures of a proxy series (bars, with the same
  fills, for a growth-rate target);
* the plan's base value: a black diamond;
* the target: a dashed horizontal line labelled as the annex writes it; the forbidden
  side of a ceiling is shaded and hatched; a qualitative target has no line;
* the forecast: a shaded band (the central interval of :class:`~zjplan.forecasting.Forecast`)
  from the last observation to the target year, and the point forecast with its
  interval as an error bar at the target year;
* the status of each indicator: a colour *and* a symbol (:data:`STATUS_STYLE`), so the
  charts read in black and white.

Chinese text needs a CJK font, which few machines have installed. The PyPI package
``mplfonts`` ships Noto Sans CJK SC; :func:`use_cjk_font` registers that file with
matplotlib (DejaVu Sans stays as the fallback for the symbols Noto lacks). The plotting
functions call it themselves; no system font and no backend change is needed.

PNG output is byte-for-byte reproducible (:func:`save_png`, :func:`figure_to_png_bytes`).
"""

from __future__ import annotations

import importlib.util
import io
import math
import os
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import font_manager, ticker
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .assessment import STATUS_LABELS
from .data import HOME_REGION
from .definitions import Indicator, plan as default_plan
from .narrative import LANGS
from .forecasting import Forecast

__all__ = [
    "STATUS_STYLE",
    "fan_chart",
    "pace_bars",
    "track_record_chart",
    "figure_to_png_bytes",
    "province_bars",
    "province_multiples",
    "rank_chart",
    "font_path",
    "save_png",
    "small_multiples",
    "status_mark",
    "use_cjk_font",
]

FONT_PACKAGE = "mplfonts"
FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FAMILY = "Noto Sans CJK SC"
#: Holds the symbols Noto Sans CJK SC lacks (✔, ✖).
FALLBACK_FAMILY = "DejaVu Sans"


# Colours: one hue per role; the status colours run green → orange → red.
HISTORY_COLOR = "#1f4e79"
FAN_COLOR = "#4a90c2"
TARGET_COLOR = "#222222"
BASE_COLOR = "#000000"
NOMINAL_COLOR = "#8c8c8c"
CEILING_COLOR = "#d73027"


#: One style per status of :func:`zjplan.assess`: a colour and a symbol that reads without
#: the colour (words come from ``assessment.STATUS_LABELS``). Plain dicts, so HTML and
#: JSON writers can use them as they are.
STATUS_STYLE: dict[str, dict[str, str]] = {
    "met": {"color": "#1b7837", "symbol": "✔"},
    "basically_met": {"color": "#7fbc41", "symbol": "◐"},
    "achieved_early": {"color": "#1b7837", "symbol": "★"},
    "on_track": {"color": "#5aae61", "symbol": "●"},
    "at_risk": {"color": "#e08214", "symbol": "▲"},
    "off_track": {"color": "#d73027", "symbol": "✖"},
    "missed": {"color": "#a50026", "symbol": "✖"},
    "not_met": {"color": "#a50026", "symbol": "✕"},
    "too_few_points": {"color": "#878787", "symbol": "…"},
    "insufficient_data": {"color": "#878787", "symbol": "?"},
    "qualitative": {"color": "#4575b4", "symbol": "◆"},
}

# Text in the three languages; "both" joins Chinese and English.
_TEXT = {
    "published": ("公布值", "published"),
    "derived": ("推算值", "derived"),
    "proxy": ("替代指标", "proxy"),
    "join": ("口径改变（点线相连）", "another measure (dotted join)"),
    "upper": ("上限（替代指标）", "upper bound (proxy)"),
    "lower": ("下限（替代指标）", "lower bound (proxy)"),
    "base": ("基期值", "plan base"),
    "nominal": ("当年价", "current prices"),
    "forecast": ("预测", "forecast"),
    "interval": ("{level:.0%}预测区间", "{level:.0%} interval"),
    "average": ("{start}–{end}年均增速预测", "forecast average {start}–{end}"),
    "no_data": ("{base}年后本次未采集到数据", "none collected after {base}"),
    "target": ("目标", "target"),
}


# --- Fonts --------------------------------------------------------------------------------

def font_path() -> Path:
    """The Noto Sans CJK SC file shipped by the ``mplfonts`` package.

    The package is located without importing it: importing ``mplfonts`` is not needed
    and would run its own font set-up.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        If ``mplfonts`` is not installed or lacks the font file.
    """
    spec = importlib.util.find_spec(FONT_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        candidate = Path(folder) / "fonts" / FONT_FILE
        if candidate.is_file():
            return candidate
    where = f"in {folders}" if folders else "because the package is not installed"
    raise FileNotFoundError(
        f"Chinese charts need {FONT_FILE} from the PyPI package '{FONT_PACKAGE}'; not found {where}. "
        f"Install it with: pip install {FONT_PACKAGE}"
    )


def use_cjk_font() -> Path:
    """Register the CJK font with matplotlib and make it the first sans-serif family.

    Sets ``font.family`` to Noto Sans CJK SC, then DejaVu Sans as the glyph fallback,
    then sans-serif, puts both first in ``font.sans-serif``, and ``axes.unicode_minus = False`` (Noto has no U+2212 minus).
    Calling it again changes nothing. The backend is left alone.

    Returns
    -------
    pathlib.Path
        The registered font file.
    """
    path = font_path()
    registered = {os.path.normpath(f.fname) for f in font_manager.fontManager.ttflist}
    if os.path.normpath(str(path)) not in registered:
        font_manager.fontManager.addfont(str(path))
    first = [CJK_FAMILY, FALLBACK_FAMILY]
    rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f not in first]
    # matplotlib falls back glyph by glyph only along the families named in font.family;
    # a bare "sans-serif" would resolve to Noto alone and lose DejaVu's ✔ and ✖.
    matplotlib.rcParams["font.family"] = [*first, "sans-serif"]
    matplotlib.rcParams["font.sans-serif"] = first + rest
    matplotlib.rcParams["axes.unicode_minus"] = False
    return path


# --- Small helpers --------------------------------------------------------------------------

def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")


def _text(key: str, lang: str, **fmt) -> str:
    zh, en = (s.format(**fmt) for s in _TEXT[key])
    return {"zh": zh, "en": en, "both": f"{zh} / {en}"}[lang]


def status_mark(status: str, lang: str = "zh") -> str:
    """The symbol and word of a status, e.g. ``"● 进展顺利、达到序时进度"``."""
    _check_lang(lang)
    zh, en = STATUS_LABELS[status][:2]
    word = {"zh": zh, "en": en, "both": f"{zh} {en}"}[lang]
    return f"{STATUS_STYLE[status]['symbol']} {word}"


def _clean_history(history: pd.Series | None) -> pd.Series:
    """Drop missing values; index as sorted int years."""
    if history is None:
        return pd.Series(dtype=float)
    s = pd.Series(history, dtype=float).dropna()
    s.index = s.index.astype(int)
    return s.sort_index()


def _rows_by_year(panel_rows: pd.DataFrame) -> pd.DataFrame:
    """The panel rows with a value, one per int year."""
    rows = panel_rows.dropna(subset=["value"]).drop_duplicates("year", keep="last").set_index("year")
    rows.index = rows.index.astype(int)
    return rows


def _point_kinds(history: pd.Series, panel_rows: pd.DataFrame | None) -> pd.Series:
    """published / derived / proxy for each year of ``history`` (published without rows)."""
    kinds = pd.Series("published", index=history.index, dtype=object)
    if panel_rows is None or panel_rows.empty:
        return kinds
    rows = _rows_by_year(panel_rows)
    common = kinds.index.intersection(rows.index)
    # A proxy is flagged before derived: a derived proxy is still a different measure.
    kinds[common] = np.where(rows.loc[common, "proxy"].astype(bool), "proxy",
                             np.where(rows.loc[common, "derived"].astype(bool), "derived", "published"))
    return kinds


def _fmt(value: float) -> str:
    return f"{value:g}"


def _target_label(ind: Indicator, lang: str, compact: bool = False) -> str:
    """zh: the annex's own words; en: the comparator spelt out (a bare '24' is a minimum).

    Compact panels get the short form, and "both" there names the target once in each
    language around a single number, so the label fits a quarter of the page.
    """
    sign = {">=": "≥ ", "<": "< "}.get(ind.comparator, "")
    value = "" if ind.target_value is None else _fmt(ind.target_value)
    kind = ind.target_kind
    if kind == "qualitative":
        zh = f"目标：{ind.target_text}"
        en = "target: qualitative" if compact else "target: qualitative (keep a leading position in China)"
    elif kind == "average_growth":
        zh = f"目标：年均增长{ind.target_text}{ind.unit}"
        en = f"target: average growth {sign}{value}{ind.unit_en}"
        short_both = f"目标 target {sign}{value}{ind.unit_en}"  # the title says it is a growth rate
    else:
        zh, en = f"{ind.target_year}年目标 {ind.target_text}", f"{ind.target_year} target {sign}{value}"
        short_both = f"目标 target {sign}{value}"
    if lang == "both" and compact:
        return f"{zh}\n{en}" if kind == "qualitative" else short_both
    return {"zh": zh, "en": en, "both": f"{zh} / {en}"}[lang]


def _wrap_cjk(text: str, width: int) -> str:
    """Break text without spaces into lines of equal length, at most ``width`` characters."""
    lines = max(1, math.ceil(len(text) / width))
    step = math.ceil(len(text) / lines)
    return "\n".join(text[i:i + step] for i in range(0, len(text), step))


def _title(ind: Indicator, lang: str, compact: bool) -> str:
    """Full names; in compact panels "N short name", one line per language."""
    if not compact:
        return {"zh": ind.name_zh, "en": ind.name_en, "both": f"{ind.name_zh}\n{ind.name_en}"}[lang]
    zh, en = f"{ind.id} {ind.short('zh')}", ind.short("en")
    return {"zh": zh, "en": f"{ind.id} {en}", "both": f"{zh}\n{en}"}[lang]


def _unit_label(ind: Indicator, lang: str, compact: bool = False) -> str:
    if lang == "both" and ind.unit != ind.unit_en:
        return f"{ind.unit}\n{ind.unit_en}" if compact else f"{ind.unit} / {ind.unit_en}"
    return ind.unit_en if lang == "en" else ind.unit


# --- Layers of the fan chart ----------------------------------------------------------------

_MARKERS = {  # kind -> (marker, filled)
    "published": ("o", True),
    "derived": ("o", False),
    "proxy": ("s", True),
}


def _series_runs(history: pd.Series, panel_rows: pd.DataFrame | None) -> list[pd.Series]:
    """``history`` cut where the published series changes (the indicator, then a proxy of
    another scope): a change of measure is not a movement of the indicator."""
    if panel_rows is None or panel_rows.empty or not len(history):
        return [history] if len(history) else []
    names = _rows_by_year(panel_rows)["series"].reindex(history.index).fillna("")
    cuts = (names != names.shift()).cumsum()
    return [history[cuts == k] for k in cuts.unique()]


def _history_line(ax, history: pd.Series, panel_rows: pd.DataFrame | None, lang: str) -> None:
    """Solid within one series; a thin dotted join, with one legend entry, where the series changes."""
    runs = _series_runs(history, panel_rows)
    for run in runs:
        ax.plot(run.index, run.to_numpy(), color=HISTORY_COLOR, lw=1.6, zorder=3, gid="history")
    for k, (before, after) in enumerate(zip(runs, runs[1:])):
        ax.plot([before.index[-1], after.index[0]], [before.iloc[-1], after.iloc[0]], color=HISTORY_COLOR,
                lw=0.8, ls=":", zorder=3, gid="history_join", label=_text("join", lang) if k == 0 else None)


def _history_points(ax, history: pd.Series, kinds: pd.Series, lang: str, size: float) -> None:
    for kind, (marker, filled) in _MARKERS.items():
        years = kinds.index[kinds == kind]
        if len(years):
            ax.plot(years, history[years].to_numpy(), linestyle="none", marker=marker, ms=size,
                    color=HISTORY_COLOR, mfc=HISTORY_COLOR if filled else "white", mew=1.2, zorder=4,
                    label=_text(kind, lang), gid=f"history_{kind}")


def _bound_points(ax, panel_rows: pd.DataFrame | None, lang: str, size: float) -> None:
    """Proxies that bound the indicator: ▽ an upper bound, △ a lower one, never joined to the
    line of the indicator's own values (a bound is not a value of it)."""
    if panel_rows is None or "bound" not in panel_rows:
        return
    rows = panel_rows[(panel_rows["bound"] != "") & panel_rows["value"].notna()]
    for side, marker in (("upper", "v"), ("lower", "^")):
        part = rows[rows["bound"] == side]
        if len(part):
            ax.plot(part["year"].astype(int), part["value"].astype(float), linestyle=":", lw=0.9, marker=marker,
                    ms=size, color=NOMINAL_COLOR, mfc="white", mew=1.2, zorder=3, label=_text(side, lang),
                    gid=f"bound_{side}")


def _growth_bars(ax, history: pd.Series, kinds: pd.Series, lang: str) -> None:
    """Yearly growth as bars: filled published, hollow derived, hatched proxy."""
    styles = {"published": {}, "derived": {"facecolor": "white"}, "proxy": {"hatch": "////", "facecolor": "#c9d9ea"}}
    for kind, style in styles.items():
        years = kinds.index[kinds == kind]
        if len(years):
            ax.bar(years, history[years].to_numpy(), width=0.6, edgecolor=HISTORY_COLOR, linewidth=1.0,
                   **{"facecolor": FAN_COLOR, **style}, zorder=2, label=_text(kind, lang), gid=f"history_{kind}")


def _base(ax, ind: Indicator, lang: str, size: float) -> None:
    if ind.baseline_value is None:
        return
    ax.plot([ind.baseline_year], [ind.baseline_value], linestyle="none", marker="D", ms=size,
            color=BASE_COLOR, zorder=5, label=f"{_text('base', lang)} ({ind.baseline_year})", gid="base")


def _nominal(ax, nominal: pd.Series, lang: str) -> None:
    s = _clean_history(nominal)
    ax.plot(s.index, s.to_numpy(), color=NOMINAL_COLOR, lw=0.9, ls="--", zorder=2,
            label=_text("nominal", lang), gid="nominal")


def _fan(ax, fc: Forecast, history: pd.Series, lang: str, compact: bool) -> None:
    """The interval band from the last observation to the target year, and the point."""
    path = fc.path.dropna(subset=["lower", "upper"])[["mean", "lower", "upper"]]
    if len(path):
        if fc.last_year in history.index:  # the fan opens from the last observation
            path = pd.concat([pd.DataFrame(float(history[fc.last_year]), index=[fc.last_year],
                                           columns=path.columns), path])
        years, mean, lower, upper = path.index.to_numpy(dtype=int), path["mean"], path["lower"], path["upper"]
        ax.fill_between(years, lower, upper, color=FAN_COLOR, alpha=0.25, lw=0, zorder=1,
                        label=_text("interval", lang, level=fc.level), gid="fan")
        ax.plot(years, mean, color=FAN_COLOR, lw=1.2, ls=":", zorder=2, gid="fan_mean")
    _forecast_point(ax, fc, _text("forecast", lang), "o", compact)


def _forecast_point(ax, fc: Forecast, label: str, marker: str, compact: bool) -> None:
    if fc.point is None or not math.isfinite(fc.point):
        return
    err = [[fc.point - fc.lower], [fc.upper - fc.point]]
    ax.errorbar([fc.to_year], [fc.point], yerr=err, fmt=marker, color=FAN_COLOR, mfc="white", mew=1.5,
                ms=4 if compact else 6, capsize=2 if compact else 3, zorder=6, label=label, gid="forecast_point")


def _average_forecast(ax, fc: Forecast, ind: Indicator, lang: str, compact: bool) -> None:
    """For an average-growth target the forecast is of the average over the whole period:
    drawn as a line across the period with its interval as a band, never as one more bar."""
    if fc.point is None or not math.isfinite(fc.point):
        return
    start, end = ind.baseline_year + 1 - 0.4, ind.target_year + 0.4
    label = _text("average", lang, start=ind.baseline_year + 1, end=ind.target_year)
    ax.fill_between([start, end], [fc.lower] * 2, [fc.upper] * 2, color=FAN_COLOR, alpha=0.15, lw=0, zorder=1,
                    gid="average_band")
    ax.plot([start, end], [fc.point] * 2, color=FAN_COLOR, lw=1.6, ls="-.", zorder=4, label=label, gid="average_forecast")


def _target(ax, ind: Indicator, lang: str, compact: bool) -> None:
    """Dashed target line with its label; a qualitative target gets only its words."""
    size = 6 if compact else 8
    box = {"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 0.5}
    if ind.target_kind == "qualitative":
        ax.text(0.02, 0.97, _target_label(ind, lang, compact), transform=ax.transAxes, ha="left", va="top",
                fontsize=size, color=TARGET_COLOR, bbox=box, gid="target_text")
        return
    ax.axhline(ind.target_value, color=TARGET_COLOR, lw=1.2, ls="--", zorder=2,
               label=_text("target", lang), gid="target")
    # Placed by _place_target_label once the limits are final.
    ax.annotate(_target_label(ind, lang, compact), xy=(0.02, ind.target_value), xycoords=("axes fraction", "data"),
                xytext=(0, 2), textcoords="offset points", ha="left", va="bottom", fontsize=size,
                color=TARGET_COLOR, bbox=box, zorder=3.5, gid="target_text")


def _renderer(fig):
    """The figure's renderer (a figure made outside pyplot gets an Agg canvas for it)."""
    if not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def _obstacles(ind: Indicator, history: pd.Series, fc: Forecast | None) -> list[tuple[float, float, float, float]]:
    """What the target label must not cover, as data boxes (x0, x1, y0, y1): the points and
    the line between them (or the growth bars), the base marker and the forecast with its
    interval."""
    boxes = []
    if ind.target_kind == "average_growth":
        boxes += [(year - 0.3, year + 0.3, min(0.0, value), max(0.0, value)) for year, value in history.items()]
    else:
        points = list(history.items())
        boxes += [(year, year, value, value) for year, value in points]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):  # the line: a few points along each segment
            boxes += [(x0 + (x1 - x0) * k / 8, x0 + (x1 - x0) * k / 8, y0 + (y1 - y0) * k / 8, y0 + (y1 - y0) * k / 8)
                      for k in range(1, 8)]
    if ind.baseline_value is not None:
        boxes.append((ind.baseline_year, ind.baseline_year, ind.baseline_value, ind.baseline_value))
    if fc is not None and fc.point is not None and math.isfinite(fc.point):
        boxes.append((fc.to_year, fc.to_year, fc.lower, fc.upper))
    return boxes


def _place_target_label(ax, boxes: list[tuple[float, float, float, float]]) -> None:
    """Move the target label where it covers no point, line, bar, base marker or forecast
    (else where it covers fewest): along the target line, left to right, above then below
    it; a qualitative target's words (no line) to the first free corner.

    Sizes are measured in axes fractions with the figure's renderer, and every marker is
    padded by about its radius, so the check holds at the sizes the page prints.
    """
    label = next((t for t in ax.texts if t.get_gid() == "target_text"), None)
    if label is None:
        return
    renderer = _renderer(ax.figure)
    frame = ax.get_window_extent(renderer)
    extent = label.get_window_extent(renderer)
    w, h = extent.width / frame.width, extent.height / frame.height
    gap = 2.5 / frame.height * ax.figure.dpi / 72  # the 2-point offset from the line
    pad_x, pad_y = 6 / frame.width * ax.figure.dpi / 72, 6 / frame.height * ax.figure.dpi / 72
    to_axes = ax.transLimits.transform
    shapes = []
    for x0, x1, y0, y1 in boxes:
        (ax0, ay0), (ax1, ay1) = to_axes((x0, y0)), to_axes((x1, y1))
        shapes.append((min(ax0, ax1) - pad_x, max(ax0, ax1) + pad_x, min(ay0, ay1) - pad_y, max(ay0, ay1) + pad_y))

    def hits(x: float, y0: float) -> int:
        inside = 0 <= y0 and y0 + h <= 1.02
        covered = sum(not (x + w < s0 or s1 < x or y0 + h < t0 or t1 < y0) for s0, s1, t0, t1 in shapes)
        return covered + (0 if inside else 100)

    if not hasattr(label, "xy"):  # qualitative: words in a corner, (x, y) of the box's lower left
        corners = [(0.02, 0.97 - h), (0.98 - w, 0.97 - h), (0.02, 0.03), (0.98 - w, 0.03)]
        x, y = min(corners, key=lambda c: (hits(*c), corners.index(c)))
        label.set_position((x, y))
        label.set_ha("left")
        label.set_va("bottom")
        return
    line = to_axes((0, label.xy[1]))[1]
    xs = [0.02, *np.linspace(0.1, max(0.1, 0.98 - w), 6)]  # left first, then across to the right end
    candidates = [(x, above) for x in xs for above in (True, False)]
    x, above = min(candidates, key=lambda c: (hits(c[0], line + gap if c[1] else line - gap - h), candidates.index(c)))
    label.xy = (x, label.xy[1])
    label.set_position((0, 2 if above else -2))
    label.set_va("bottom" if above else "top")


def _ceiling_zone(ax, ind: Indicator) -> None:
    """Shade the side of a ceiling that is not allowed (at or above it)."""
    low, high = ax.get_ylim()
    span = max(high - low, abs(ind.target_value) * 0.1, 1e-9)
    top = max(high, ind.target_value + 0.15 * span)
    ax.axhspan(ind.target_value, top, facecolor=CEILING_COLOR, alpha=0.08, edgecolor=CEILING_COLOR,
               hatch="///", lw=0, zorder=0, gid="ceiling_zone")
    ax.set_ylim(low, top)


def _no_data_note(ax, ind: Indicator, lang: str, compact: bool) -> None:
    """Say in the panel that nothing was published after the base year."""
    zh, en = STATUS_LABELS["insufficient_data"][:2]
    lines = {"zh": [zh], "en": [en], "both": [zh, en]}[lang]
    if not compact:  # room for the reason
        lines.append(_text("no_data", lang, base=ind.baseline_year))
    ax.text(0.5, 0.45, "\n".join(lines), transform=ax.transAxes, ha="center", va="center",
            fontsize=7 if compact else 10, color=STATUS_STYLE["insufficient_data"]["color"],
            bbox={"facecolor": "white", "edgecolor": "#bbbbbb", "boxstyle": "round,pad=0.3"}, zorder=8,
            gid="no_data")


def _year_ticks(first: int, last: int, compact: bool) -> list[int]:
    """Every year, or every second or third, counted back so the target year is labelled."""
    span = last - first
    step = (2 if span <= 8 else 3) if compact else (1 if span <= 12 else 2)
    return list(range(last, first - 1, -step))[::-1]


def _frame(ax, ind: Indicator, history: pd.Series, lang: str, compact: bool) -> None:
    """Title, unit, integer years from the first observation or base to the target year."""
    first = min([*history.index, ind.baseline_year])
    ax.set_xlim(first - 0.5, ind.target_year + 0.5)
    ax.xaxis.set_major_locator(ticker.FixedLocator(_year_ticks(first, ind.target_year, compact)))
    ax.xaxis.set_major_formatter(ticker.StrMethodFormatter("{x:.0f}"))
    ax.yaxis.get_major_formatter().set_useOffset(False)
    ax.set_ylabel(_unit_label(ind, lang, compact), fontsize=6.5 if compact else None)
    ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if compact:
        ax.set_title(_title(ind, lang, compact), loc="left", fontsize=7, linespacing=1.15)
        ax.tick_params(labelsize=6, length=2, pad=1.5)
    else:
        ax.set_title(_title(ind, lang, compact), fontsize=11)
        ax.legend(fontsize=7.5, loc="best", frameon=True, framealpha=0.85)


def fan_chart(ind: Indicator, history: pd.Series, fc: Forecast | None = None, *, ax=None, lang: str = "zh",
              panel_rows: pd.DataFrame | None = None, nominal: pd.Series | None = None,
              compact: bool = False):
    """History, plan base, target and the forecast fan of one indicator.

    Parameters
    ----------
    ind : Indicator
        The indicator, e.g. ``zjplan.indicator(6)``.
    history : pandas.Series
        Values by int year on the target's price basis (``zjplan.series``).
    fc : Forecast, optional
        The forecast to the target year (``zjplan.forecast``). Its ``path`` is drawn as a
        band joined to the last observation and its point with the interval as an error
        bar at ``fc.to_year``. For an average-growth target the point is the average
        growth over the plan period and is drawn without a path. Ignored for a
        qualitative target.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.
    lang : {"zh", "en", "both"}
        Language of title, unit, target label and legend.
    panel_rows : pandas.DataFrame, optional
        The indicator's rows of ``zjplan.panel``; marks each point as published
        (filled), derived (hollow) or proxy (square), draws proxies that only bound the
        indicator apart (▽ upper, △ lower), and adds a legend entry per kind.
    nominal : pandas.Series, optional
        The same figures at current prices (for a constant-2019 indicator), drawn thin
        grey dashed to show what deflation changed.
    compact : bool
        For small multiples: "N name" title on the left, smaller type, fewer year
        ticks, no legend.

    Returns
    -------
    matplotlib.axes.Axes
    """
    _check_lang(lang)
    use_cjk_font()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    history = _clean_history(history)
    kinds = _point_kinds(history, panel_rows)
    marker_size = 3.5 if compact else 5.5

    if ind.target_kind == "average_growth":
        _growth_bars(ax, history, kinds, lang)
    else:
        _history_line(ax, history, panel_rows, lang)
        _history_points(ax, history, kinds, lang, marker_size)
        _bound_points(ax, panel_rows, lang, marker_size)
    _base(ax, ind, lang, marker_size + 0.5)
    if nominal is not None:
        _nominal(ax, nominal, lang)
    if fc is not None and ind.target_kind == "average_growth":
        _average_forecast(ax, fc, ind, lang, compact)
    elif fc is not None and ind.is_quantitative:
        _fan(ax, fc, history, lang, compact)
    _target(ax, ind, lang, compact)
    _frame(ax, ind, history, lang, compact)
    if ind.target_kind == "ceiling":
        _ceiling_zone(ax, ind)
    _place_target_label(ax, _obstacles(ind, history, fc if ind.is_quantitative else None))
    if not (history.index > ind.baseline_year).any():
        _no_data_note(ax, ind, lang, compact)
    return ax


# --- Small multiples --------------------------------------------------------------------------

def _status_corner(ax, status: str, prob: float | None) -> None:
    """The status symbol in the panel's top-right corner, with P(meet) where there is one."""
    style = STATUS_STYLE[status]
    text = style["symbol"] if prob is None or not math.isfinite(prob) else f"{style['symbol']} {prob:.0%}"
    # Not bold: the shipped Noto file has the regular weight only. On the title's first
    # row (the Chinese one), where the short name leaves room; the English row runs wider.
    rows = ax.get_title(loc="left").count("\n")
    ax.set_title(text + "\n" * rows, loc="right", fontsize=7.5, color=style["color"], linespacing=1.35)


def _key_handles(statuses: list[str], level: float | None, lang: str, bounds=(), joins: bool = False) -> tuple[list, list[str]]:
    """Legend for the whole page: the visual grammar (with joins and bound sides where drawn), then the statuses present."""
    dot = {"color": HISTORY_COLOR, "linestyle": "none", "ms": 4}
    handles = [
        Line2D([], [], marker="o", **dot),
        Line2D([], [], marker="o", mfc="white", **dot),
        Line2D([], [], marker="s", **dot),
        Line2D([], [], marker="D", color=BASE_COLOR, linestyle="none", ms=4),
        Line2D([], [], color=TARGET_COLOR, ls="--", lw=1.2),
        Line2D([], [], marker="o", color=FAN_COLOR, mfc="white", linestyle="none", ms=4),
    ]
    labels = [_text(k, lang) for k in ("published", "derived", "proxy", "base", "target", "forecast")]
    if joins:
        handles.append(Line2D([], [], color=HISTORY_COLOR, lw=0.8, ls=":"))
        labels.append(_text("join", lang))
    for side, marker in (("upper", "v"), ("lower", "^")):
        if side in bounds:
            handles.append(Line2D([], [], marker=marker, color=NOMINAL_COLOR, mfc="white", ls=":", lw=0.9, ms=4))
            labels.append(_text(side, lang))
    if level is not None:
        handles.append(Patch(facecolor=FAN_COLOR, alpha=0.25))
        labels.append(_text("interval", lang, level=level))
    handles += [Patch(facecolor=STATUS_STYLE[s]["color"]) for s in statuses]
    labels += [status_mark(s, lang) for s in statuses]
    return handles, labels


def small_multiples(cards: pd.DataFrame, histories: dict, forecasts: dict, *, lang: str = "zh",
                    panels: pd.DataFrame | None = None, definitions=None):
    """All indicators on one A4-portrait page, one fan chart per panel.

    Parameters
    ----------
    cards : pandas.DataFrame
        The scorecard of ``zjplan.assess``, indexed by indicator id; ``status`` is
        required, ``prob_meet`` is shown where present.
    histories : dict
        ``{id: pandas.Series}`` as for :func:`fan_chart`; a missing id is an empty series.
    forecasts : dict
        ``{id: Forecast or None}``.
    lang : {"zh", "en", "both"}
    panels : pandas.DataFrame, optional
        ``zjplan.panel`` rows; when given, points are marked published/derived/proxy.
    definitions : str or Path, optional
        The definitions file the scorecard was made from (default: the shipped plan).

    Returns
    -------
    matplotlib.figure.Figure
        Panels titled "N name" with the status symbol (and P(meet)) in the corner, and a
        key below. An indicator without data after its base says so in its panel.
    """
    _check_lang(lang)
    use_cjk_font()
    the_plan = default_plan(definitions)
    ncols = 4
    nrows = max(1, math.ceil(len(cards) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(8.27, 10.0), layout="constrained", squeeze=False)
    for ax, (ind_id, card) in zip(axes.flat, cards.iterrows()):
        ind = the_plan.get(int(ind_id))
        rows = None if panels is None else panels[panels["indicator_id"] == ind.id]
        fan_chart(ind, histories.get(ind.id), forecasts.get(ind.id), ax=ax, lang=lang,
                  panel_rows=rows, compact=True)
        _status_corner(ax, card["status"], card.get("prob_meet"))
    for ax in axes.flat[len(cards):]:
        ax.remove()
    levels = [fc.level for fc in forecasts.values() if fc is not None]
    present = [s for s in STATUS_STYLE if s in set(cards["status"])]
    bounds = set() if panels is None or "bound" not in panels else set(panels["bound"]) - {""}
    joins = any(len(_series_runs(_clean_history(histories.get(i)), None if panels is None else
                                 panels[panels["indicator_id"] == i])) > 1 for i in cards.index)
    handles, labels = _key_handles(present, levels[0] if levels else None, lang, bounds, joins)
    fig.legend(handles, labels, loc="outside lower center", ncols=5 if lang != "both" else 3,
               fontsize=6.5, frameon=False, handlelength=1.6, columnspacing=1.2)
    return fig


# --- Among the provinces ------------------------------------------------------------------------

PEER_COLOR = FAN_COLOR
OTHER_COLOR = "#cfcfcf"


def _clip(text: str, width: int) -> str:
    """One line at most ``width`` columns wide, a CJK character counting two (it has no spaces to break at)."""
    import unicodedata

    used = 0
    for i, ch in enumerate(text):
        used += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used > width:
            return text[:i].rstrip(" ,:·—") + "…"
    return text


def _region_text(region: str, lang: str) -> str:
    from .provinces import REGION_EN

    return {"zh": region, "en": REGION_EN.get(region, region), "both": region}[lang]


def province_bars(table: pd.DataFrame, *, ax=None, lang: str = "zh", compact: bool = False, title: str | None = None):
    """One ``zjplan.compare`` table as ranked bars: Zhejiang dark, the peers mid blue, the rest grey.

    The fills follow the small multiples: hatched bars are a proxy, hollow bars a ratio
    derived from two published series. The national value, where published, is a dotted
    line. Full size: horizontal bars, best at the top, every province named. Compact (the
    brief): vertical bars, best on the left, only Zhejiang and the peers named, and
    Zhejiang's rank in the top-right corner where the small multiples carry the status.

    Parameters
    ----------
    table : pandas.DataFrame
        As returned by :func:`zjplan.compare` (its ``attrs`` give labels and the year).
    ax : matplotlib.axes.Axes, optional
    lang : {"zh", "en", "both"}
    compact : bool
    title : str, optional
        Default: the series label with its role and year.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from .provinces import ROLE_TEXT

    _check_lang(lang)
    use_cjk_font()
    a = table.attrs
    n = len(table)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, max(4.0, 0.19 * n + 1.2)), layout="constrained")
    colors = [HISTORY_COLOR if h else PEER_COLOR if p else OTHER_COLOR for h, p in zip(table["home"], table["peer"])]
    hatch = "////" if a["role"] == "proxy" else None
    derived = table["derived"].to_numpy(dtype=bool)
    faces = ["white" if d else c for d, c in zip(derived, colors)]
    # The hatch takes the edge colour: light on a dark fill, dark on grey or white.
    edges = [("#8f8f8f" if c == OTHER_COLOR else c) if d else ("white" if c != OTHER_COLOR else "#6f6f6f") if hatch
             else c for d, c in zip(derived, colors)]
    widths = [1.4 if d and c != OTHER_COLOR else 0.8 for d, c in zip(derived, colors)]  # hollow: a firm outline
    pos = np.arange(n)
    # An index (previous year = 100) is read against 100, not 0: bars start there.
    origin = 100.0 if "=100" in (a.get("unit") or "").replace(" ", "") else 0.0
    values = table["value"].to_numpy(dtype=float) - origin
    if compact:
        ax.bar(pos, values, 0.72, bottom=origin, color=faces, edgecolor=edges, linewidth=widths, hatch=hatch,
               zorder=2, gid="province_bars")
    else:
        ax.barh(pos, values, 0.72, left=origin, color=faces, edgecolor=edges, linewidth=widths, hatch=hatch,
                zorder=2, gid="province_bars")
    if a.get("national") is not None:
        line = ax.axhline if compact else ax.axvline
        line(a["national"], color=TARGET_COLOR, lw=0.9, ls=":", zorder=3, gid="national")
    names = [_region_text(r, lang) for r in table["region"]]
    size = 6 if compact else 7.5
    if compact:
        # Only Zhejiang and the peers are named: 31 names do not fit under a quarter page.
        keep = (table["home"] | table["peer"]).to_numpy()
        ax.set_xticks(pos[keep], [nm for nm, k in zip(names, keep) if k], rotation=90, fontsize=size)
        ax.set_xlim(-0.7, n - 0.3)
        for lbl, home in zip(ax.get_xticklabels(), table.loc[keep, "home"]):
            lbl.set_color(HISTORY_COLOR if home else "#333333")
        ax.tick_params(axis="y", labelsize=6, length=2, pad=1.5)
        ax.tick_params(axis="x", length=0, pad=1.5)
        ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    else:
        ax.set_yticks(pos, [f"{r} {nm}" for r, nm in zip(table["rank"], names)], fontsize=size)
        ax.invert_yaxis()  # rank 1 at the top
        ax.set_ylim(n - 0.4, -0.6)
        ax.grid(axis="x", color="#e5e5e5", lw=0.6)
        for tick, home in zip(ax.get_yticklabels(), table["home"]):
            if home:  # colour, not bold: the shipped Noto file has the regular weight only
                tick.set_color(HISTORY_COLOR)
    ax.axhline(origin, color="#888888", lw=0.6) if compact else ax.axvline(origin, color="#888888", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    unit = a.get("unit") or ""
    (ax.set_ylabel if compact else ax.set_xlabel)(unit, fontsize=6.5 if compact else None)
    role = {"zh": ROLE_TEXT[a["role"]][0], "en": ROLE_TEXT[a["role"]][1],
            "both": f"{ROLE_TEXT[a['role']][0]} {ROLE_TEXT[a['role']][1]}"}[lang]
    if title is None:
        label = {"zh": a["label_zh"], "en": a["label_en"], "both": f"{a['label_zh']}\n{a['label_en']}"}[lang]
        title = f"{label} ({role}, {a['year']})"
    ax.set_title(title, loc="left", fontsize=7 if compact else 10, linespacing=1.15)
    home = table[table["home"]]
    if compact:
        corner = f"{a['year']}: {int(home['rank'].iloc[0])}/{n}" if len(home) else f"{a['year']}: —"
        ax.set_title(corner, loc="right", fontsize=8.5, color=HISTORY_COLOR)
    return ax


def rank_chart(history: pd.DataFrame, *, ax=None, lang: str = "zh"):
    """Zhejiang's and the peers' rank by year (``zjplan.provinces.rank_history``); 1 at the top."""
    _check_lang(lang)
    use_cjk_font()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.4), layout="constrained")
    top = int(history["n"].max())
    ends = []
    for region, rows in history.groupby("region", sort=False):
        rows = rows.sort_values("year")
        is_home = region == HOME_REGION
        ax.plot(rows["year"], rows["rank"], marker="o", ms=5 if is_home else 3.5, lw=1.8 if is_home else 1.0,
                color=HISTORY_COLOR if is_home else PEER_COLOR, alpha=1 if is_home else 0.8, zorder=3 if is_home else 2,
                gid=f"rank_{region}")
        ends.append((float(rows["rank"].iloc[-1]), region, int(rows["year"].iloc[-1])))
    gap, last = top * 0.05, -math.inf  # end labels stacked so that equal or close ranks stay legible
    for rank_, region, year in sorted(ends):
        y = max(rank_, last + gap)
        last = y
        ax.annotate(_region_text(region, lang), (year, rank_), xytext=(year + 0.25, y), textcoords="data",
                    va="center", fontsize=7.5, color=HISTORY_COLOR if region == HOME_REGION else "#333333")
    ax.set_ylim(top + 0.5, 0.5)
    ax.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    years = sorted(history["year"].unique())
    ax.set_xticks(years, [str(y) for y in years], fontsize=7.5 if len(years) > 8 else None)
    ax.set_xlim(years[0] - 0.5, years[-1] + 1.2)
    ax.set_ylabel({"zh": "名次(1 = 最好)", "en": "rank (1 = best)", "both": "名次 rank (1 = best)"}[lang])
    a = history.attrs
    if a:
        title = {"zh": f"名次变化：{a['label_zh']}", "en": f"Rank over time: {a['label_en']}",
                 "both": f"名次变化：{a['label_zh']}\nRank over time: {a['label_en']}"}[lang]
        ax.set_title(title, loc="left", fontsize=10)
    ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def province_multiples(tables: list[pd.DataFrame], *, lang: str = "zh", definitions=None):
    """The brief's provinces page: one compact :func:`province_bars` per indicator, two columns.

    Panels are titled "N name" like the small multiples; an indicator's table comes from
    :func:`zjplan.compare`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_lang(lang)
    use_cjk_font()
    the_plan = default_plan(definitions)
    ncols = 2
    nrows = max(1, math.ceil(len(tables) / ncols))
    # Rows of 1.45 in: with its heading, a table and a note the page stays one A4 page.
    fig, axes = plt.subplots(nrows, ncols, figsize=(8.27, min(7.5, 1.45 * nrows + 0.45)), layout="constrained",
                             squeeze=False)
    from .provinces import ROLE_TEXT

    for ax, table in zip(axes.flat, tables):
        a = table.attrs
        ind = the_plan.get(a["indicator"]) if a.get("indicator") else None
        role_zh, role_en = ROLE_TEXT[a["role"]]
        prefix = f"{ind.id} " if ind else ""
        # One line per language: the indicator, then what the provinces are ranked on.
        zh = f"{prefix}{ind.short('zh')} — {role_zh}:{a['label_zh']}" if ind else f"{role_zh}:{a['label_zh']}"
        en = f"{ind.short('en')} — {role_en}: {a['label_en']}" if ind else f"{role_en}: {a['label_en']}"
        lines = {"zh": [zh], "en": [prefix + en], "both": [zh, en]}[lang]
        widths = {"zh": [54], "en": [60], "both": [54, 60]}[lang]  # columns; a CJK character takes two
        province_bars(table, ax=ax, lang=lang, compact=True,
                      title="\n".join(_clip(line, w) for line, w in zip(lines, widths)))
    for ax in axes.flat[len(tables):]:
        ax.remove()
    handles = [Patch(facecolor=HISTORY_COLOR), Patch(facecolor=PEER_COLOR), Patch(facecolor=OTHER_COLOR),
               Patch(facecolor="white", edgecolor=HISTORY_COLOR, hatch="////"),
               Patch(facecolor="white", edgecolor=HISTORY_COLOR), Line2D([], [], color=TARGET_COLOR, ls=":", lw=0.9)]
    words = [("浙江", "Zhejiang"), ("对比省份", "peers"), ("其他省份", "other provinces"), ("替代指标", "proxy"),
             ("推算比值", "derived ratio"), ("全国", "national")]
    labels = [{"zh": z, "en": e, "both": f"{z} {e}"}[lang] for z, e in words]
    fig.legend(handles, labels, loc="outside lower center", ncols=6 if lang != "both" else 3, fontsize=6.5,
               frameon=False, handlelength=1.6, columnspacing=1.2)
    return fig


# --- Reproducible PNG -------------------------------------------------------------------------

def _png_kwargs(dpi: float) -> dict:
    # No "Software" tag: it names the matplotlib version, so an upgrade would change the bytes.
    return {"format": "png", "dpi": dpi, "metadata": {"Software": None}, "pil_kwargs": {"optimize": False}}


def figure_to_png_bytes(fig, dpi: float = 150) -> bytes:
    """The figure as PNG bytes; identical for an identical figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : float

    Returns
    -------
    bytes
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, **_png_kwargs(dpi))
    return buffer.getvalue()


def save_png(fig, path, dpi: float = 150) -> Path:
    """Write the figure as a reproducible PNG; the file appears complete or not at all.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Parent folders are created.
    dpi : float

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = figure_to_png_bytes(fig, dpi)
    # Render first, then replace: a failed render leaves no half-written file behind.
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# --- Pace and track record --------------------------------------------------------------------

def pace_bars(card: pd.DataFrame, lang: str = "zh", ax=None):
    """完成进度 against 序时进度, one bar per indicator, sorted by their ratio.

    The bar is the completion share (x − base)/(target − base) of the latest figure; the
    black tick is the time elapsed to that figure's year. A bar past its tick is ahead of
    schedule. Indicators without a completion share (no figure after the base, a base
    that already met the target, a qualitative target) are left out and named below.
    """
    _check_lang(lang)
    use_cjk_font()
    have = card.dropna(subset=["completion", "elapsed"])
    have = have.assign(_r=have["completion"] / have["elapsed"]).sort_values("_r")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 0.32 * max(len(have), 3) + 1.1), layout="constrained")
    names = {"zh": lambda r: f"{r.name} {r['name_zh']}", "en": lambda r: f"{r.name} {r['name_en']}",
             "both": lambda r: f"{r.name} {r['name_zh']}"}[lang]
    y = np.arange(len(have))
    done = (100 * have["completion"]).clip(lower=-50, upper=200)
    colors = [STATUS_STYLE[s]["color"] for s in have["status"]]
    ax.barh(y, done, color=colors, height=0.6, zorder=2, gid="completion")
    ax.scatter(100 * have["elapsed"], y, marker="|", s=220, color="black", zorder=3, gid="elapsed",
               label={"zh": "序时进度", "en": "time elapsed", "both": "序时进度 / time elapsed"}[lang])
    for yi, (v, real) in enumerate(zip(done, 100 * have["completion"])):
        ax.text(max(v, 0) + 2, yi, f"{real:.0f}%", va="center", fontsize=7)
    ax.set_yticks(y, [_wrap_cjk(names(r), 16) for _, r in have.iterrows()], fontsize=7)
    ax.axvline(0, color="#999", lw=0.8)
    ax.axvline(100, color=TARGET_COLOR, lw=0.8, ls="--")
    ax.set_xlabel({"zh": "完成进度（%，100＝达到目标）", "en": "share of the task done (%, 100 = target)",
                   "both": "完成进度 / share of the task done (%, 100 = target)"}[lang], fontsize=8)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.tick_params(axis="x", labelsize=7)
    return ax


def track_record_chart(ind: Indicator, vintages: pd.DataFrame, lang: str = "zh", ax=None):
    """Each vintage's forecast (point and interval) against the outcome, by vintage year."""
    _check_lang(lang)
    use_cjk_font()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.2), layout="constrained")
    v = vintages
    ax.errorbar(v["as_of"], v["point"], yerr=[v["point"] - v["lower"], v["upper"] - v["point"]], fmt="o",
                color=FAN_COLOR, mfc="white", capsize=3, zorder=3, gid="vintages",
                label={"zh": "当期预测（80%区间）", "en": "forecast then (80% interval)",
                       "both": "当期预测 / forecast then (80%)"}[lang])
    actual = float(v["actual"].iloc[0])
    ax.axhline(actual, color=HISTORY_COLOR, lw=1.4, gid="actual",
               label={"zh": f"实际 {actual:.2f}", "en": f"actual {actual:.2f}", "both": f"实际 / actual {actual:.2f}"}[lang])
    if ind.target_value is not None:
        ax.axhline(ind.target_value, color=TARGET_COLOR, lw=0.9, ls="--", gid="target",
                   label=f"{_text('target', lang)} {ind.target_text}")
    ax.set_xticks(list(v["as_of"]))
    ax.set_xlabel({"zh": "预测时点（数据截至）", "en": "vintage (data up to)", "both": "预测时点 / vintage"}[lang], fontsize=8)
    ax.legend(fontsize=7, frameon=False)
    return ax
