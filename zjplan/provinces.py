"""Zhejiang among the provinces: every province's value of a series, ranked.

What an indicator is compared on is declared in the definitions file: each indicator's
``provinces`` list names series published for every province and says whether each is
the indicator itself, a labelled proxy or context (a related measure, never read as the
indicator); a ratio of two published series is computed here and labelled derived. The
peer group (``peers``) is declared there too. Nothing in this module names an indicator.

Load
    Province rows of ``data/raw`` (files with a ``region`` column); the national row
    (全国) is kept aside, never ranked.
Process
    Per series and year, each province's figure comes from the table that covers the
    most provinces (one publisher, one vintage, so that the ranks compare like with
    like); a province that table lacks takes its own latest figure
    (:func:`zjplan.data.select_latest`). Ranks are competition ranks in the indicator's
    direction: 1 is the best, tied values share the better rank and the next rank is
    skipped (1, 2, 2, 4).

The default year is the latest year with at least :data:`MIN_PROVINCES` provinces, so
that a year held by a handful of provinces' bulletins is not read as a national table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import data
from .data import DataError
from .definitions import Indicator, Plan, ProvinceSeries, plan as default_plan

__all__ = ["MIN_PROVINCES", "LEADING_SHARE", "compare", "comparisons", "rank_history", "sentence",
           "leading_reading", "brief_section"]

#: A year is a national comparison when at least this many provinces have a value.
MIN_PROVINCES = 20
#: How 「国内领先」 is read from a ranking: among the best third of the provinces with a value.
LEADING_SHARE = 1 / 3

#: English names of the provincial regions (short Chinese names as in the data).
REGION_EN = data.REGION_EN

#: Units as an English sentence writes them (a unit not listed is written as it is).
UNIT_EN = {"亿元": " (100 million yuan)", "万元": " (10,000 yuan)", "件": " patents", "家": " firms",
           "件/百亿元": " per 10 billion yuan", "上年=100": " (previous year = 100)"}

ROLE_TEXT = {"indicator": ("指标本身", "the indicator"), "proxy": ("替代指标", "proxy"),
             "context": ("参考", "context")}

CHANGE_BASES = ("comparable_growth", "pct_change")
COLUMNS = ("rank", "region", "value", "unit", "role", "derived", "peer", "home", "year", "series", "source_ids")


@dataclass(frozen=True)
class Target:
    """What a ``compare`` call ranks: one province series and whose it is."""

    entry: ProvinceSeries
    direction: str
    indicator: Indicator | None = None


# --- Resolve what to compare ------------------------------------------------------------------

def _targets(ref, the_plan: Plan, raw: data.RawData, direction: str | None) -> list[Target]:
    """The province series behind ``ref``: an indicator's declared list, or one series key."""
    if isinstance(ref, Indicator):
        ind = ref
    else:
        try:
            ind = the_plan.get(ref)
        except KeyError:
            ind = None
    if ind is not None:
        return [Target(e, direction or ind.direction, ind) for e in ind.provinces]
    for other in the_plan.indicators:  # a series declared for an indicator keeps its role and direction
        for e in other.provinces:
            if ref in (e.key, e.series) and (e.per is None or ref == e.key):
                return [Target(e, direction or other.direction, other)]
    if isinstance(ref, str) and ref in raw.meta:
        return [Target(ProvinceSeries(ref, "context"), direction or "higher")]
    valid = ", ".join(f"{i.id}={i.key}" for i in the_plan.indicators)
    raise KeyError(f"unknown indicator or series {ref!r}: give an indicator ({valid}) "
                   f"or a series key declared in series.meta.yml")


def _name(key: str, raw: data.RawData, lang: str) -> str:
    meta = raw.meta.get(key)
    if meta is None:
        return key
    return meta.name_zh if lang == "zh" else meta.name_en


def _label(entry: ProvinceSeries, raw: data.RawData, lang: str) -> str:
    """The declared label, else the series' name (a ratio: numerator / denominator × scale)."""
    given = entry.label_zh if lang == "zh" else entry.label_en
    if given:
        return given
    if entry.per is None:
        return _name(entry.series, raw, lang)
    scale = "" if entry.scale == 1 else f" × {entry.scale:g}"
    return f"{_name(entry.series, raw, lang)} / {_name(entry.per, raw, lang)}{scale}"


# --- Province values ------------------------------------------------------------------------

def _one_table_first(figures: pd.DataFrame) -> pd.DataFrame:
    """Per series and year, the rows of the source covering the most regions, then the rest
    of the regions from their own latest figure."""
    out = []
    for _, group in figures.groupby(["series", "year"]):
        cover = group.groupby("source_id").agg(n=("region", "nunique"), published=("published", "max"))
        main = cover.sort_values(["n", "published"], ascending=False).index[0]
        table = data.select_latest(group[group["source_id"] == main], region=None)
        rest = data.select_latest(group[~group["region"].isin(table["region"])], region=None)
        out += [table, rest]
    return pd.concat(out, ignore_index=True) if out else figures.iloc[0:0]


def _series_values(raw: data.RawData, key: str) -> pd.DataFrame:
    figs = raw.figures[(raw.figures["series"] == key) & (raw.figures["industry"] == "")]  # not division rows
    if figs.empty:
        return pd.DataFrame(columns=["region", "year", "value", "source_ids", "basis"])
    chosen = _one_table_first(figs)
    return chosen.rename(columns={"source_id": "source_ids"})[["region", "year", "value", "source_ids", "basis"]]


def province_values(entry: ProvinceSeries, raw: data.RawData) -> pd.DataFrame:
    """Every region's value of ``entry`` for every year (全国 included), derived where ``per`` is set.

    Returns
    -------
    pandas.DataFrame
        Columns ``region, year, value, source_ids, basis, derived``.

    Notes
    -----
    A ratio is :math:`v_{r,t} = x_{r,t} / d_{r,t} \\times s` for the regions and years
    that have both parts; a part missing leaves a gap, never an estimate.
    """
    num = _series_values(raw, entry.series)
    if entry.per is None:
        return num.assign(derived=False).reset_index(drop=True)
    den = _series_values(raw, entry.per)
    both = num.merge(den, on=["region", "year"], suffixes=("", "_per"))
    both = both[both["value_per"] != 0]
    return pd.DataFrame({
        "region": both["region"], "year": both["year"],
        "value": both["value"] / both["value_per"] * entry.scale,
        "source_ids": both["source_ids"] + ";" + both["source_ids_per"],
        "basis": "ratio", "derived": True,
    }).reset_index(drop=True)


def _provinces_only(values: pd.DataFrame) -> pd.DataFrame:
    return values[values["region"] != data.NATIONAL]


def comparison_years(values: pd.DataFrame, min_provinces: int = MIN_PROVINCES) -> list[int]:
    """Years in which at least ``min_provinces`` provinces have a value."""
    counts = _provinces_only(values).groupby("year")["region"].nunique()
    return sorted(int(y) for y in counts[counts >= min_provinces].index)


def rank(values: pd.Series, direction: str) -> pd.Series:
    """Competition ranks (1 = best in ``direction``; ties share the better rank: 1, 2, 2, 4)."""
    sign = 1 if direction == "higher" else -1
    # Rounded so that two ratios equal as printed are not split by floating-point noise.
    return (np.round(values.astype(float), 9) * sign).rank(ascending=False, method="min").astype(int)


# --- The public functions -------------------------------------------------------------------

def _ranked(target: Target, values: pd.DataFrame, year: int, raw: data.RawData, the_plan: Plan) -> pd.DataFrame:
    rows = _provinces_only(values[values["year"] == year]).sort_values("region")
    entry = target.entry
    unit = entry.unit or (raw.meta[entry.series].unit if entry.series in raw.meta else "")
    out = pd.DataFrame({
        "rank": rank(rows["value"], target.direction).to_numpy(),
        "region": rows["region"].to_numpy(), "value": rows["value"].to_numpy(dtype=float), "unit": unit,
        "role": entry.role, "derived": rows["derived"].to_numpy(dtype=bool),
        "peer": rows["region"].isin(the_plan.peers).to_numpy(), "home": (rows["region"] == data.HOME_REGION).to_numpy(),
        "year": int(year), "series": entry.key, "source_ids": rows["source_ids"].to_numpy(),
    }, columns=list(COLUMNS)).sort_values(["rank", "region"]).reset_index(drop=True)
    national = values[(values["year"] == year) & (values["region"] == data.NATIONAL)]["value"]
    out.attrs = {
        "indicator": None if target.indicator is None else target.indicator.id,
        "series": entry.key, "role": entry.role, "direction": target.direction, "year": int(year), "unit": unit,
        "label_zh": _label(entry, raw, "zh"), "label_en": _label(entry, raw, "en"),
        "national": float(national.iloc[0]) if len(national) else None, "peers": list(the_plan.peers),
        # a yearly change (or index, previous year = 100) rather than a level
        "change": bool(len(rows)) and bool(rows["basis"].isin(CHANGE_BASES).all()),
    }
    return out


def _choose(targets: list[Target], raw: data.RawData, series: str | None, as_of: int | None,
            ref, the_plan: Plan) -> tuple[Target, pd.DataFrame, list[int]]:
    """The first declared series that has a national comparison year (or the one asked for)."""
    if not targets:
        ind = ref if isinstance(ref, Indicator) else the_plan.get(ref)
        raise DataError(f"indicator {ind.id} ({ind.key}): no provincial comparison declared "
                        f"(field 'provinces' in {the_plan.path})")
    if series is not None:  # a key ("num/den" for a ratio) first, else a plain series name
        targets = ([t for t in targets if t.entry.key == series]
                   or [t for t in targets if t.entry.series == series and t.entry.per is None])
        if not targets:
            raise KeyError(f"series {series!r} is not declared for {ref!r}")
    tried = []
    for target in targets:
        values = province_values(target.entry, raw)
        if as_of is not None:
            values = values[values["year"] <= int(as_of)]
        years = comparison_years(values)
        if years:
            return target, values, years
        tried.append(target.entry.key)
    cut = f" up to {as_of}" if as_of is not None else ""
    name = f"indicator {ref.id}" if isinstance(ref, Indicator) else repr(ref)
    raise DataError(f"no provincial data for {name}{cut}: none of {', '.join(tried)} has a year with "
                    f"at least {MIN_PROVINCES} provinces in {raw.folder}")


def compare(ref, year: int | None = None, *, as_of: int | None = None, series: str | None = None,
            direction: str | None = None, raw_folder=None, definitions=None) -> pd.DataFrame:
    """Every province with a value, ranked, for an indicator or a series.

    Parameters
    ----------
    ref : int or str
        An indicator (id or key), compared on the first series of its ``provinces`` list
        that has data; or a series key (``"gdp"``, or ``"industry_va/gdp"`` for a
        declared ratio).
    year : int, optional
        Default: the latest year with at least :data:`MIN_PROVINCES` provinces.
    as_of : int, optional
        The last data year known (a report year): the default year is chosen up to it.
    series : str, optional
        One of the indicator's declared series instead of the first with data.
    direction : {"higher", "lower"}, optional
        Which way is better; default the indicator's (``higher`` for an undeclared series).

    Returns
    -------
    pandas.DataFrame
        One row per province with a value (全国 excluded), best first: ``rank`` (1 =
        best; ties share the better rank), ``region``, ``value``, ``unit``, ``role``
        (indicator, proxy or context), ``derived``, ``peer`` (in the declared peer
        group), ``home`` (浙江), ``year``, ``series``, ``source_ids``. ``attrs`` holds
        the indicator id, labels, direction, unit and the national value if published.

    Raises
    ------
    KeyError
        ``ref`` is neither an indicator nor a known series.
    zjplan.DataError
        No provincial data (nothing declared, or no year with enough provinces), or no
        province has a value in the ``year`` asked for.
    """
    if direction is not None and direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")
    the_plan = default_plan(definitions)
    raw = data.load_raw(raw_folder)
    target, values, years = _choose(_targets(ref, the_plan, raw, direction), raw, series, as_of, ref, the_plan)
    if year is None:
        year = years[-1]
    elif _provinces_only(values[values["year"] == int(year)]).empty:
        have = sorted(int(y) for y in _provinces_only(values)["year"].unique())
        raise DataError(f"{target.entry.key}: no province has a value for {year}; years with data: {have}")
    return _ranked(target, values, int(year), raw, the_plan)


def comparisons(ref, *, as_of: int | None = None, raw_folder=None, definitions=None) -> list[pd.DataFrame]:
    """``compare`` for each declared series of an indicator that has a comparison year (maybe none)."""
    the_plan = default_plan(definitions)
    ind = the_plan.get(ref)
    out = []
    for entry in ind.provinces:
        try:
            out.append(compare(ind.id, as_of=as_of, series=entry.key, raw_folder=raw_folder, definitions=definitions))
        except DataError:
            continue
    return out


def rank_history(ref, *, as_of: int | None = None, series: str | None = None, raw_folder=None,
                 definitions=None) -> pd.DataFrame:
    """Zhejiang's and the peers' rank in every comparison year.

    Returns
    -------
    pandas.DataFrame
        Columns ``year, region, value, rank, n`` (``n`` = provinces ranked that year),
        for 浙江 and the peer group, over the years with at least :data:`MIN_PROVINCES`
        provinces.
    """
    the_plan = default_plan(definitions)
    raw = data.load_raw(raw_folder)
    target, values, years = _choose(_targets(ref, the_plan, raw, None), raw, series, as_of, ref, the_plan)
    frames = []
    for year in years:
        table = _ranked(target, values, year, raw, the_plan)
        keep = table[table["home"] | table["peer"]]
        frames.append(keep[["year", "region", "value", "rank"]].assign(n=len(table)))
    out = pd.concat(frames, ignore_index=True)
    out.attrs = {k: table.attrs[k] for k in ("indicator", "series", "role", "direction", "label_zh", "label_en")}
    return out


# --- Words -------------------------------------------------------------------------------------

def _num(value: float, signed: bool) -> str:
    text = f"{value:+,.2f}" if signed else f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text and not signed else text


def _signed(table: pd.DataFrame) -> bool:
    """Show a sign on a change that can fall (not on an index such as previous year = 100)."""
    return table.attrs["change"] and bool((table["value"] < 0).any())


def sentence(table: pd.DataFrame, lang: str = "both") -> str:
    """Zhejiang's place in one ``compare`` table, in words; the peers' ranks beside it."""
    from .narrative import say

    a = table.attrs
    n, year, unit = len(table), a["year"], a["unit"]
    signed = _signed(table)
    home = table[table["home"]]
    zh_role, en_role = ROLE_TEXT[a["role"]]
    better = ("越低越好", "lower is better") if a["direction"] == "lower" else ("越高越好", "higher is better")
    peers = table[table["peer"]]
    peers_zh = "、".join(f"{r.region}第{r.rank}" for r in peers.itertuples())
    peers_en = ", ".join(f"{REGION_EN.get(r.region, r.region)} {r.rank}" for r in peers.itertuples())
    if home.empty:
        zh = f"{year}年{a['label_zh']}（{zh_role}）：{n}个省份有数据，浙江无数据。"
        en = f"{year}, {a['label_en']} ({en_role}): {n} provinces have a value; Zhejiang has none."
    else:
        h = home.iloc[0]
        value = f"{_num(h['value'], signed)}{f'({unit})' if '=' in unit else unit}"  # an index base in brackets
        value_en = f"{_num(h['value'], signed)}{UNIT_EN.get(unit, unit)}"
        zh = (f"{year}年{a['label_zh']}（{zh_role}）：浙江{value}，在{n}个省份中居第{h['rank']}位"
              f"（1为最好，{better[0]}）" + (f"；{peers_zh}" if peers_zh else "") + "。")
        en = (f"{year}, {a['label_en']} ({en_role}): Zhejiang {value_en}, rank {h['rank']} of {n} provinces "
              f"(1 = best, {better[1]})" + (f"; peers: {peers_en}" if peers_en else "") + ".")
    return say(zh, en, lang) if lang != "both" else f"{zh}\n\n{en}"


def leading_reading(ref, *, as_of: int | None = None, lang: str = "both", raw_folder=None,
                    definitions=None) -> str:
    """What 「国内领先」 can honestly be said to mean from the data, and what the data say.

    Notes
    -----
    The reading: Zhejiang leads when its rank is within the best third of the provinces
    with a value, :math:`r \\le \\lceil n \\cdot s \\rceil` with :math:`s` =
    :data:`LEADING_SHARE`, in each comparison year; the trend is the change of rank
    between the first and the last comparison year. The ranking is of the series the
    provinces publish, named with its role: where that is a proxy (energy use per unit
    of GDP, not of industrial value added) or a yearly change rather than a level, the
    reading says so, because a leading *level* cannot be judged from a change.
    """
    from .narrative import say

    hist = rank_history(ref, as_of=as_of, raw_folder=raw_folder, definitions=definitions)
    last = compare(ref, as_of=as_of, raw_folder=raw_folder, definitions=definitions)
    a = last.attrs
    home = hist[hist["region"] == data.HOME_REGION].sort_values("year")
    zh_role, en_role = ROLE_TEXT[a["role"]]
    zh = [f"「领先」的读法：在有数据的省份中排名前三分之一（排名 ≤ ⌈n/3⌉），所用数据为{a['label_zh']}（{zh_role}）。"]
    en = [f"Reading of 「领先」 (leading): a rank within the best third of the provinces with a value (rank ≤ ⌈n/3⌉), "
          f"on {a['label_en'][:1].lower() + a['label_en'][1:]} ({en_role})."]
    if a["role"] != "indicator":
        zh.append("这不是规划指标本身，只是各省都公布的最接近的数据。")
        en.append("It is not the plan's own measure, only the nearest one published for every province.")
    if home.empty:
        zh.append("浙江在这些年份没有数据。")
        en.append("Zhejiang has no value in these years.")
        return say("".join(zh), " ".join(en), lang) if lang != "both" else "".join(zh) + "\n\n" + " ".join(en)
    per_year_zh, per_year_en, leading = [], [], []
    for r in home.itertuples():
        cut = math.ceil(r.n * LEADING_SHARE)
        leading.append(r.rank <= cut)
        per_year_zh.append(f"{r.year}年第{r.rank}/{r.n}位")
        per_year_en.append(f"{r.year}: {r.rank} of {r.n}")
    zh.append("浙江排名：" + "、".join(per_year_zh) + "。")
    en.append("Zhejiang's rank: " + "; ".join(per_year_en) + ".")
    if len(home) >= 2:
        first, final = home.iloc[0], home.iloc[-1]
        moved = int(first["rank"] - final["rank"])
        zh.append(f"{int(first['year'])}—{int(final['year'])}年排名" + (f"上升{moved}位。" if moved > 0 else
                  f"下降{-moved}位。" if moved < 0 else "未变。"))
        en.append(f"From {int(first['year'])} to {int(final['year'])} the rank " + (
            f"rose by {moved}." if moved > 0 else f"fell by {-moved}." if moved < 0 else "did not change."))
    else:
        zh.append("只有一个年份的省际数据，无法判断排名趋势。")
        en.append("Only one year of provincial data: no trend in the rank can be read.")
    if all(leading):
        zh.append("按此读法，浙江处于领先。")
        en.append("On this reading Zhejiang leads.")
    elif not any(leading):
        zh.append("按此读法，浙江未处于领先。")
        en.append("On this reading Zhejiang does not lead.")
    else:
        zh.append("按此读法，浙江仅在部分年份领先。")
        en.append("On this reading Zhejiang leads in some years only.")
    own_zh, own_en = _own_trend(ref, as_of, raw_folder, definitions)
    zh.append(own_zh)
    en.append(own_en)
    if last.attrs["change"]:
        zh.append("所比较的是比上年的变化而非水平：变化排名靠后不等于水平不领先，判断水平需要各省同口径的水平数据。")
        en.append("What is ranked is the change on the previous year, not the level: a low rank on the change does not "
                  "say the level is not leading; the level needs every province's level on one basis.")
    zh_text, en_text = "".join(t for t in zh if t), " ".join(t for t in en if t)
    return say(zh_text, en_text, lang) if lang != "both" else f"{zh_text}\n\n{en_text}"


def _own_trend(ref, as_of, raw_folder, definitions) -> tuple[str, str]:
    """Zhejiang's own figures for the indicator since its base, by series (the trend beside the rank)."""
    ind = ref if isinstance(ref, Indicator) else default_plan(definitions).get(ref)
    p = data.panel(as_of=as_of, raw_folder=raw_folder, definitions=definitions)
    rows = p[(p["indicator_id"] == ind.id) & p["value"].notna() & (p["year"] > ind.baseline_year)].sort_values("year")
    if rows.empty:
        return "浙江本身在基期后没有数据。", "Zhejiang's own series has no figure after the base year."
    raw = data.load_raw(raw_folder)
    parts_zh, parts_en = [], []
    for series, group in rows.groupby("series", sort=False):
        values = [f"{int(r.year)} {r.value:+.2f}" if r.basis in CHANGE_BASES else f"{int(r.year)} {r.value:.2f}"
                  for r in group.itertuples()]
        name_en = _name(series, raw, "en")
        parts_zh.append(f"{_name(series, raw, 'zh')} " + "、".join(values))
        parts_en.append(f"{name_en[:1].lower() + name_en[1:]} " + ", ".join(values))
    return ("浙江本身：" + "；".join(parts_zh) + f"（{ind.unit}）。",
            "Zhejiang's own figures: " + "; ".join(parts_en) + f" ({ind.unit_en}).")


def standing_table(tables: list[pd.DataFrame], lang: str = "both", definitions=None) -> pd.DataFrame:
    """One row per ``compare`` table: what is ranked, the year, Zhejiang's value and rank, the peers' ranks."""
    from .narrative import say

    the_plan = default_plan(definitions)
    rows = []
    for t in tables:
        a, home = t.attrs, t[t["home"]]
        ind = the_plan.get(a["indicator"]) if a.get("indicator") else None
        zh_role, en_role = ROLE_TEXT[a["role"]]
        peers = t[t["peer"]]
        rows.append({
            say("指标", "Indicator", lang): f"{ind.id} {say(ind.short('zh'), ind.short('en'), lang)}" if ind else "",
            say("比较所用数据", "Compared on", lang): say(f"{a['label_zh']}({zh_role})", f"{a['label_en']} ({en_role})", lang),
            say("年份", "Year", lang): a["year"],
            say("浙江", "Zhejiang", lang): f"{_num(home['value'].iloc[0], _signed(t))} {a['unit']}" if len(home) else "—",
            say("名次", "Rank", lang): f"{home['rank'].iloc[0]}/{len(t)}" if len(home) else "—",
            say("对比省份名次", "Peers' ranks", lang): (", " if lang == "en" else " ").join(
                f"{REGION_EN.get(r.region, r.region)} {r.rank}" if lang == "en" else f"{r.region}{r.rank}"
                for r in peers.itertuples()),
        })
    return pd.DataFrame(rows)


def brief_section(as_of: int, lang: str = "both", raw_folder=None, definitions=None) -> str:
    """The brief's page 「浙江在全国 · Zhejiang among the provinces」 as HTML: one compact
    chart per indicator with provincial data, a table of Zhejiang's ranks, and the reading
    of 「领先」 for a qualitative target."""
    import base64

    import matplotlib.pyplot as plt

    from . import plots
    from .narrative import esc, say

    the_plan = default_plan(definitions)
    tables, readings = [], []
    for ind in the_plan.indicators:
        found = comparisons(ind.id, as_of=as_of, raw_folder=raw_folder, definitions=definitions)
        if found:
            tables.append(found[0])
            if not ind.is_quantitative:
                readings.append(leading_reading(ind.id, as_of=as_of, lang=lang, raw_folder=raw_folder,
                                                definitions=definitions))
    head = f'<h2 style="page-break-before: always">{esc(say("浙江在全国", "Zhejiang among the provinces", lang))}</h2>'
    if not tables:
        return head + f"<p>{esc(say('尚无省际数据。', 'No provincial data yet.', lang))}</p>"
    fig = plots.province_multiples(tables, lang=lang, definitions=definitions)
    png = base64.b64encode(plots.figure_to_png_bytes(fig, dpi=150)).decode()
    plt.close(fig)
    peers = "、".join(the_plan.peers)
    peers_en = ", ".join(REGION_EN.get(p, p) for p in the_plan.peers)
    intro = say(f"各省排名，左为最好；深色为浙江，中蓝为对比省份（{peers}）；斜线为替代指标，空心为两项公布数之比；右上角为浙江的名次。",
                f"Provinces ranked, best on the left: Zhejiang dark, peers mid blue ({peers_en}); hatched: proxy; "
                "hollow: a ratio of two published series; corner: Zhejiang's rank.", lang)
    table = standing_table(tables, lang, definitions).to_html(index=False, escape=True, classes="compact")
    notes = "".join(f'<p class="footnote">{esc(r).replace(chr(10) * 2, "<br>")}</p>' for r in readings)
    return (f"{head}<p>{esc(intro)}</p><img alt=\"{esc(say('浙江在全国', 'Zhejiang among the provinces', lang))}\" "
            f"src=\"data:image/png;base64,{png}\">{table}{notes}")
