"""What the reader sees: the tables and plain-language text of the notebooks and the brief.

Every number in a sentence comes from the same objects as the tables (the panel, the
progress record, the forecast, the scorecard); nothing is retyped. Text is given in
Chinese, English, or both (``lang`` = ``zh`` | ``en`` | ``both``: Chinese first, English
beside it). Text taken from data files (titles, notes) is escaped wherever it lands in
HTML.
"""

from __future__ import annotations

import functools
import html
import math

import pandas as pd

from . import assessment, data, terms
from .definitions import Indicator, plan as default_plan

LANGS = ("zh", "en", "both")


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown lang {lang!r}; valid: {', '.join(LANGS)}")
    return lang


def say(zh: str, en: str, lang: str) -> str:
    """One phrase in the asked language; ``both`` puts the English after the Chinese."""
    check_lang(lang)
    return zh if lang == "zh" else en if lang == "en" else f"{zh} / {en}"


def fmt(value, digits: int = 1, pct: bool = False) -> str:
    """A number for prose and tables; '—' for a gap."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:,.{digits}f}"
    return text + "%" if pct else text


def esc(text) -> str:
    return html.escape("" if text is None else str(text))


def isnull(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def join(zh: list[str], en: list[str], lang: str, sep_zh: str = "", sep_en: str = " ") -> str:
    """Chinese and English sentence lists as one text in the asked language."""
    check_lang(lang)
    z, e = sep_zh.join(t for t in zh if t), sep_en.join(t for t in en if t)
    return z if lang == "zh" else e if lang == "en" else f"{z}\n\n{e}"


def label(table: dict, key: str, lang: str) -> str:
    """The word for ``key`` from one of the tables of :mod:`zjplan.terms`."""
    zh, en = table[key][0], table[key][1]
    return say(zh, en, lang)


# --- Numbers as a reader expects them ----------------------------------------------------------

def _decimals(x) -> int:
    if x is None:
        return 0
    text = repr(float(x)).rstrip("0")
    return 0 if text.endswith(".") else len(text.split(".")[1])


def digits(ind: Indicator) -> int:
    """Decimals as the plan prints the indicator (its base and target): counts without
    decimals, 17.87 with two; a share in per cent keeps at least one."""
    d = max(_decimals(ind.baseline_value), _decimals(ind.target_value))
    if ind.unit == "%":
        d = max(d, 1)
    return 2 if is_change(ind) or ind.target_kind == "average_growth" else d


def is_change(ind: Indicator) -> bool:
    """Whether the indicator's figures are yearly changes (indicator 12), not levels."""
    return "change" in ind.unit_en


def unit_text(ind: Indicator, lang: str) -> str:
    if is_change(ind):
        return say("%（比上年增减）", "% change on year", lang)
    return say(ind.unit, ind.unit_en, lang)


def signed_change(value, lang: str, decimals: int = 2) -> str:
    """A change with its sign and its word: 「+6.34%（上升）」 / "+6.34% (up)"."""
    if isnull(value):
        return "—"
    sign = 0 if round(value, decimals) == 0 else (1 if value > 0 else -1)
    zh, en = terms.CHANGE_WORDS[sign]
    number = f"{value:+.{decimals}f}%" if sign else f"{0:.{decimals}f}%"
    return say(f"{number}（{zh}）", f"{number} ({en})", lang) if lang != "both" else f"{number}（{zh} / {en}）"


def value_text(ind: Indicator, value, lang: str = "zh", with_unit: bool = False) -> str:
    """A value of the indicator at the plan's precision; a change with its sign and word."""
    if isnull(value):
        return "—"
    if is_change(ind):
        return signed_change(value, lang)
    text = fmt(value, digits(ind))
    if with_unit:
        text += "%" if ind.unit == "%" else say(ind.unit, " " + ind.unit_en, lang)
    return text


def markdown_safe(func):
    """Markdown built from user-edited files (names, units, targets, notes) is rendered to
    HTML with raw HTML passed through: escape it, and neutralise link brackets, so that a
    name like ``<script>`` or ``[x](javascript:...)`` shows as text. ``**`` and lists stay."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> str:
        return html.escape(func(*args, **kwargs), quote=False).replace("[", "&#91;").replace("]", "&#93;")
    return wrapper


# --- The indicator notebook ------------------------------------------------------------------

@markdown_safe
def target_statement(ind: Indicator, lang: str) -> str:
    """What the target says, in words (markdown)."""
    basis = {
        "current": ("按当年价计", "at current prices"),
        "constant_2019": ("按2019年不变价计", "at constant 2019 prices"),
        "comparable": ("按可比价计", "at comparable prices"),
        "ratio": ("比值，与价格无关", "a ratio, price-neutral"),
    }[ind.price_basis]
    base = (say(f"基期值{value_text(ind, ind.baseline_value)}（{ind.baseline_year}年）",
                f"base {value_text(ind, ind.baseline_value)} ({ind.baseline_year})", lang)
            if ind.baseline_value is not None else say("规划未给基期值", "the plan gives no base value", lang))
    kind = {
        "level": ("2025年达到", "reach by 2025"),
        "ceiling": ("2025年低于", "stay below by 2025"),
        "average_growth": ("2020—2025年年均增速达到", "average yearly growth 2020–2025 of"),
        "qualitative": ("2025年", "by 2025"),
    }[ind.target_kind]
    deflator = {"ppi": ("工业生产者出厂价格指数", "producer price index"),
                "gdp_deflator": ("GDP隐含平减指数", "implied GDP deflator")}
    sep = ": " if lang == "en" else "："
    lines = [
        f"**{ind.id}. {say(ind.display_zh, ind.display_en, lang)}**（{unit_text(ind, lang)}）",
        "",
        f"- {say('类别', 'Category', lang)}{sep}{say(ind.category.zh, ind.category.en, lang)}",
        f"- {say('规划目标', 'Target', lang)}{sep}{say(kind[0], kind[1], lang)} **{ind.target_text}**；{base}",
        f"- {say('价格口径', 'Price basis', lang)}{sep}{say(*basis, lang)}"
        + (f"；{say('平减指数', 'deflator', lang)}{sep}{say(*deflator[ind.deflator], lang)}" if ind.deflator else ""),
        f"- {say('方向', 'Better', lang)}{sep}{say('越高越好' if ind.direction == 'higher' else '越低越好', ind.direction, lang)}",
    ]
    if ind.label_zh:
        lines.append(f"- {say('规划原文', 'Annex wording', lang)}{sep}{ind.name_zh}")
    note = {"zh": ind.note_zh, "en": ind.note_en, "both": " / ".join(n for n in (ind.note_zh, ind.note_en) if n)}[lang]
    if note:
        lines.append(f"- {say('说明', 'Note', lang)}{sep}{note}")
    return "\n".join(lines)


DATA_COLUMNS = {
    "year": ("年份", "year"), "value": ("数值（目标口径）", "value (target basis)"),
    "as_published": ("公布值", "as published"), "basis": ("价格口径", "basis"), "kind": ("类型", "kind"),
    "status": ("数据状态", "status"), "source": ("来源", "source"), "note": ("说明", "note"),
}
BOUND_WORDS = {"upper": ("上限", "upper bound"), "lower": ("下限", "lower bound")}
KIND_WORDS = {"published": ("公布值", "published"), "derived": (terms.MARKS["derived"][1], "derived"),
              "proxy": (terms.MARKS["proxy"][1], "proxy"),
              **{side: (f"{zh}（{terms.MARKS['proxy'][1]}）", f"{en} (proxy)") for side, (zh, en) in BOUND_WORDS.items()}}


def data_table(ind: Indicator, as_of: int | None, deflator: str | None = None, raw_folder=None,
               definitions=None, lang: str = "both") -> pd.DataFrame:
    """The indicator's figures up to ``as_of`` with their basis, flags and sources
    (column headers in the asked language; notes in full)."""
    p = data.panel(as_of=as_of, deflator=deflator, raw_folder=raw_folder, definitions=definitions)
    rows = p[p["indicator_id"] == ind.id]
    raw = data.load_raw(raw_folder)
    titles = raw.sources["title"].to_dict()

    def source_text(ids: str) -> str:
        return "; ".join(f"[{sid}] {titles.get(sid, '')}" for sid in ids.split(";"))

    kinds = rows.apply(lambda r: r["bound"] or ("proxy" if r["proxy"] else ("derived" if r["derived"] else "published")), axis=1)
    frame = pd.DataFrame({
        "year": rows["year"].to_numpy(),
        "value": rows["value"].round(3).to_numpy(),
        "as_published": rows["value_as_published"].round(3).to_numpy(),
        "basis": rows["basis"].to_numpy(),
        "kind": [label(KIND_WORDS, k, lang) for k in kinds],
        "status": [figure_kind(r.status, r.source_ids, raw, lang, definitions) for r in rows.itertuples()],
        "source": [source_text(s) for s in rows["source_ids"]],
        "note": rows["note"].to_numpy(),
    })
    return frame.rename(columns={k: label(DATA_COLUMNS, k, lang) for k in frame.columns}).set_index(
        label(DATA_COLUMNS, "year", lang))


def related_figures(ind: Indicator, as_of: int | None, raw_folder=None, lang: str = "both",
                    definitions=None) -> pd.DataFrame:
    """Every published figure that bears on the indicator but is not in its panel row:
    its parts, its proxies, the changes published beside it and growth rates of it."""
    raw = data.load_raw(raw_folder)
    roots = [ind.series, *ind.proxies]
    keys = set(roots)
    if ind.derive is not None:
        keys |= {ind.derive.numerator, ind.derive.denominator}
    if ind.back_from_change is not None:
        keys.add(ind.back_from_change.change)
    keys |= {k for k in raw.meta if any(k.startswith(r + "_") for r in roots)}
    figs = raw.figures[raw.figures["series"].isin(keys) & (raw.figures["region"] == data.HOME_REGION)]
    if as_of is not None:
        figs = figs[figs["year"] <= as_of]
    p = data.panel(as_of=as_of, raw_folder=raw_folder, definitions=definitions)
    shown = p[p["indicator_id"] == ind.id]
    used = {(r.series, r.year) for r in shown.itertuples() if not r.derived}
    keep = pd.Series([(s, y) not in used for s, y in zip(figs["series"], figs["year"])], index=figs.index, dtype=bool)
    figs = figs[keep]
    cols = {"series": ("序列", "series"), "year": ("年份", "year"), "value": ("数值", "value"),
            "unit": ("单位", "unit"), "status": ("数据状态", "status"), "quote": ("原文", "quote")}
    out = pd.DataFrame({
        "series": [raw.meta[s].name_zh if lang != "en" else raw.meta[s].name_en for s in figs["series"]],
        "year": figs["year"].to_numpy(), "value": figs["value_as_published"].to_numpy(),
        "unit": figs["unit_as_published"].to_numpy(),
        "status": [figure_kind(r.status, r.source_id, raw, lang, definitions) for r in figs.itertuples()],
        "quote": figs["quote"].to_numpy(),
    }).sort_values(["year", "series"])
    return out.rename(columns={k: label(cols, k, lang) for k in cols})


def figure_kind(status: str, source_ids: str, raw=None, lang: str = "zh", definitions=None) -> str:
    """快报 / 公报 / 年鉴 (or 终核数, 修订数, 规划基期) from the figure's status and source titles."""
    return label(terms.FIGURE_KIND_LABELS, figure_kind_key(status, source_ids, raw, definitions), lang)


def figure_kind_key(status: str, source_ids: str, raw=None, definitions=None) -> str:
    raw = raw or data.load_raw()
    the_plan = default_plan(definitions)
    ids = [s for s in str(source_ids).split(";") if s]
    if ids == [the_plan.source_id]:
        return "plan"
    titles = " ".join(str(raw.sources["title"].get(s, "")) for s in ids)
    if status == "revised":
        return "revised"
    if "年鉴" in titles or "Yearbook" in titles:
        return "yearbook"
    if "公报" in titles or "Bulletin" in titles:
        return "bulletin"
    return "flash" if status == "preliminary" else "final"


def lens_table(prog: assessment.Progress, ind: Indicator, lang: str, raw_folder=None) -> pd.DataFrame:
    """The lenses side by side, with the category in words."""
    rows = [
        (say("欧盟统计局视角（实际与所需复合年增长率之比）", "Eurostat CAGR ratio", lang), fmt(prog.eurostat_ratio, 2),
         label(terms.EUROSTAT_LABELS, prog.eurostat, lang)),
        (say("完成进度／序时进度", "Completion / time elapsed", lang),
         f"{fmt(_pct(prog.completion), 0, True)} / {fmt(_pct(prog.elapsed), 0, True)}",
         label(terms.MIDTERM_LABELS, prog.midterm, lang)),
    ]
    if ind.target_kind == "average_growth":
        rows.append((say("已实现年均增速", "Average growth so far", lang), fmt(prog.realised_average_growth, 2, True), ""))
        rows.append((say("剩余年份所需年均增速", "Growth needed in the remaining years", lang),
                     fmt(prog.required_average_growth_remaining, 2, True), ""))
    elif ind.target_kind != "qualitative":
        rows.append((say("迄今年均变化", "Change per year so far", lang), value_text(ind, prog.change_per_year_so_far), ""))
        rows.append((say("达标所需年均变化", "Change per year needed", lang), value_text(ind, prog.change_per_year_required), ""))
    else:
        rows.append((say("年均变化", "Mean yearly change", lang), signed_change(prog.trend, lang), ""))
        standing = assessment.province_standing(ind, prog.latest_year, raw_folder)
        text = "—" if standing is None else say(
            f"{standing.year}年{standing.name_zh}{signed_change(standing.value, 'zh')}，居{standing.n}个省份第{standing.rank}位（1为最好）",
            f"{standing.year}: {standing.name_en} {signed_change(standing.value, 'en')}, rank {standing.rank} of {standing.n} (1 = best)", lang)
        rows.append((say("省际比较", "Comparison with other provinces", lang), text, ""))
    return pd.DataFrame(rows, columns=[say("视角", "Lens", lang), say("数值", "Value", lang), say("判断", "Reading", lang)])


def _pct(x):
    return None if isnull(x) else 100 * x


@markdown_safe
def conclusion(ind: Indicator, prog: assessment.Progress, fc, status: str, lang: str, row=None) -> str:
    """A short plain-language conclusion built from the progress record and the forecast.

    ``row`` (the indicator's scorecard row) adds the outcome, the few-points rule and
    the one-line conclusion of the brief, so the page and the brief say the same thing.
    """
    zh, en = [], []
    if row is not None:
        zh.append(one_line(row, "zh"))
        en.append(one_line(row, "en"))
    elif prog.latest_year is None or prog.latest_year == prog.base_year and ind.target_kind != "qualitative":
        zh.append(f"{ind.baseline_year}年基期之后本次未采集到数据，暂无法评估。")
        en.append(f"No figure after the {ind.baseline_year} base was collected, so progress cannot be judged.")
    else:
        zh.append(f"最新数据为{prog.latest_year}年的{value_text(ind, prog.latest_value)}（{unit_text(ind, 'zh')}），目标{ind.target_text}。")
        en.append(f"The latest figure is {value_text(ind, prog.latest_value)} ({unit_text(ind, 'en')}, {prog.latest_year}); "
                  f"the target is {ind.target_text}.")
    settled = row is not None and row["outcome"] in assessment.JUDGED_OUTCOMES  # no pace "from here" after the end
    if prog.change_per_year_required is not None and ind.target_kind == "level" and not prog.met_now and not settled:
        zh.append(f"要达到{ind.target_text}，此后每年需变化约{value_text(ind, prog.change_per_year_required)}。")
        en.append(f"Reaching {ind.target_text} needs a change of about {value_text(ind, prog.change_per_year_required)} a year from here.")
    judged = row is None or bool(row["judgeable"])
    if fc is not None and fc.point is not None and (row is None or isnull(row["outcome"]) or row["outcome"] == "not_published"):
        interval = f"{int(fc.level * 100)}%"
        if judged:
            zh.append(f"{fc.to_year}年预测值{value_text(ind, fc.point)}（{interval}区间{value_text(ind, fc.lower)}—{value_text(ind, fc.upper)}），"
                      f"{terms.PROB_LABEL[0]}约{fmt(_pct(fc.prob_meet), 0, True)}。")
            en.append(f"The {fc.to_year} forecast is {value_text(ind, fc.point)} ({interval} interval {value_text(ind, fc.lower)}–"
                      f"{value_text(ind, fc.upper)}); {terms.PROB_LABEL[1]} about {fmt(_pct(fc.prob_meet), 0, True)}.")
        else:
            zh.append(f"下图的预测仅作示意（{fc.to_year}年{value_text(ind, fc.point)}，{interval}区间{value_text(ind, fc.lower)}—"
                      f"{value_text(ind, fc.upper)}），数据太少，不据此给出实现概率。")
            en.append(f"The forecast in the chart is an illustration only ({value_text(ind, fc.point)} in {fc.to_year}, {interval} interval "
                      f"{value_text(ind, fc.lower)}–{value_text(ind, fc.upper)}); with so few figures no probability is given.")
    zh_s, en_s, _ = terms.STATUS_LABELS[status]
    zh.append(f"判断：**{zh_s}**。")
    en.append(f"Status: **{en_s}**.")
    return join(zh, en, lang)


def track_record_table(v: pd.DataFrame, ind: Indicator, lang: str) -> pd.DataFrame:
    """Each earlier vintage against what happened, with headers in the asked language."""
    cols = {"as_of": ("预测时点（数据截至）", "vintage (data up to)"), "point": ("预测值", "forecast"),
            "interval": ("80%区间", "80% interval"), "prob_meet": (terms.PROB_LABEL[0], terms.PROB_LABEL[1]),
            "printed": ("当时是否给出概率", "probability printed"), "actual": ("实际值", "actual"),
            "inside": ("落在区间内", "inside interval")}
    yes, no = say("是", "yes", lang), say("否", "no", lang)
    out = pd.DataFrame({
        "as_of": v["as_of"].astype(int).to_numpy(),
        "point": [value_text(ind, x) for x in v["point"]],
        "interval": [f"{value_text(ind, lo)}—{value_text(ind, hi)}" for lo, hi in zip(v["lower"], v["upper"])],
        "prob_meet": [fmt(_pct(x), 0, True) for x in v["prob_meet"]],
        "printed": [yes if j else no for j in v["judgeable"]],
        "actual": [value_text(ind, x) for x in v["actual"]],
        "inside": [yes if i else no for i in v["inside"]],
    })
    return out.rename(columns={k: label(cols, k, lang) for k in cols})


@markdown_safe
def track_record_text(tr: assessment.TrackRecord, lang: str) -> str:
    """How many outcomes fell inside the vintages' 80 % intervals, the Brier score, in plain words."""
    if tr.vintages == 0:
        return say("尚无可检验的历史预测：有2025年结果的指标在此前各期均无足够数据作预测。",
                   "No earlier forecast can be scored yet: the indicators with a 2025 outcome had too few figures "
                   "for a forecast in earlier years.", lang)
    zh = [f"此前各期（数据截至2020—2024年）共作出{tr.vintages}个可检验的预测（{tr.on_outcomes}个针对2025年结果，"
          f"{tr.vintages - tr.on_outcomes}个针对尚无2025年数据指标的最新公布年份），实际值落在80%预测区间内的有{tr.inside}个"
          f"（{tr.inside / tr.vintages:.0%}；区间校准的目标约为80%）。"]
    en = [f"The earlier vintages (data up to 2020–2024) made {tr.vintages} forecasts that can be checked ({tr.on_outcomes} of a "
          f"2025 outcome, {tr.vintages - tr.on_outcomes} of the latest published year where 2025 is missing); the figure fell "
          f"inside the 80% interval in {tr.inside} ({tr.inside / tr.vintages:.0%}; calibrated intervals should hold about 80%)."]
    if tr.brier is not None:
        zh.append(f"当时给出的实现概率（{tr.brier_n}个）的Brier评分为{tr.brier:.2f}（0为完全准确，0.25相当于一律报50%）：{_brier_words(tr.brier, 'zh')}。")
        en.append(f"The Brier score of the probabilities printed then ({tr.brier_n}) is {tr.brier:.2f} (0 is perfect, 0.25 is what "
                  f"always saying 50% scores): {_brier_words(tr.brier, 'en')}.")
    else:
        zh.append("针对2025年结果的各期预测当时数据点均不足，均未给出实现概率，故无Brier评分。")
        en.append("No vintage forecasting a 2025 outcome had enough figures to print a probability, so there is no Brier score.")
    if tr.brier_all is not None and tr.brier_all_n > tr.brier_n:
        zh.append(f"若把数据不足时模型算出但未发布的概率也计入（{tr.brier_all_n}个），Brier评分为{tr.brier_all:.2f}。")
        en.append(f"Counting also the model's unprinted probabilities from too few figures ({tr.brier_all_n}), it is {tr.brier_all:.2f}.")
    return join(zh, en, lang)


def _brier_words(b: float, lang: str) -> str:
    if b < 0.1:
        return {"zh": "概率判断较准", "en": "the probabilities were informative"}[lang]
    if b < 0.25:
        return {"zh": "好于一律报50%，但仍有偏差", "en": "better than always saying 50%, but off at times"}[lang]
    return {"zh": "不如一律报50%，当时的概率判断有误导", "en": "worse than always saying 50%: the probabilities misled"}[lang]


# --- The brief ---------------------------------------------------------------------------------

#: Thirds of the provinces (rank 1 = best) in words.
THIRD_WORDS = {"front": ("居前列", "in the front third"), "middle": ("居中游", "in the middle third"),
               "back": ("居后列", "in the back third")}


def _ind(row) -> Indicator:
    """The indicator of a scorecard row, from the definitions the card was made with."""
    return default_plan(row.attrs.get("definitions")).get(int(row.name))


def _raw(row, raw_folder=None):
    """The raw-data folder of a scorecard row (the one the card was made from)."""
    return raw_folder or row.attrs.get("raw_folder")


def _series_name(key, lang: str, raw_folder=None) -> str:
    meta = data.load_raw(raw_folder).meta.get(key)
    return key if meta is None else say(meta.name_zh, meta.name_en, lang)


def qualitative_judgement(row, lang: str, raw_folder=None) -> str:
    """Indicator 12 in words: the latest change with its sign, the provincial standing,
    and what they say about 保持国内领先水平; never a probability."""
    ind = _ind(row)
    if isnull(row["latest"]):
        return say("本次未采集到数据，暂无法评估。", "No figure was collected; cannot be assessed.", lang)
    proxy = bool(row["latest_proxy"])
    raw_folder = _raw(row, raw_folder)
    name = _series_name(row["latest_series"], "zh", raw_folder)
    name_en = _series_name(row["latest_series"], "en", raw_folder)
    tag_zh = "（替代指标）" if proxy else ""
    tag_en = " (proxy)" if proxy else ""
    zh = [f"{int(row['latest_year'])}年{name}{tag_zh}{signed_change(row['latest'], 'zh')}"]
    en = [f"{name_en}{tag_en} {signed_change(row['latest'], 'en')} in {int(row['latest_year'])}"]
    third = None
    if not isnull(row.get("standing_rank")):
        rank, n = int(row["standing_rank"]), int(row["standing_n"])
        third = "front" if rank <= n / 3 else "back" if rank > 2 * n / 3 else "middle"
        sname, sname_en = _series_name(row["standing_series"], "zh", raw_folder), _series_name(row["standing_series"], "en", raw_folder)
        sproxy = row["standing_series"] != ind.series
        zh.append(f"；省际比较（{int(row['standing_year'])}年{sname}{'，替代指标' if sproxy else ''}）"
                  f"{signed_change(row['standing_value'], 'zh')}，居{n}个省份第{rank}位（1为最好），{THIRD_WORDS[third][0]}")
        en.append(f"; among provinces ({int(row['standing_year'])}, {sname_en}{', proxy' if sproxy else ''}) "
                  f"{signed_change(row['standing_value'], 'en')}, rank {rank} of {n} (1 = best), {THIRD_WORDS[third][1]}")
    else:
        zh.append("；本次未采集到省际比较数据")
        en.append("; no provincial comparison was collected")
    rose = row["latest"] > 0
    why_zh = [w for w, on in (("最新能耗强度上升", rose), ("省际位次靠后", third == "back")) if on]
    why_en = [w for w, on in (("the latest energy intensity rose", rose), ("the provincial rank is low", third == "back")) if on]
    if why_zh:
        zh.append(f"。判断：现有数据不支持“保持国内领先水平”（{'、'.join(why_zh)}）。")
        en.append(f". Reading: the data do not show Zhejiang among the national leaders ({' and '.join(why_en)}).")
    elif third == "front":
        zh.append("。判断：能耗强度下降且位次居前，符合“保持国内领先水平”。")
        en.append(". Reading: energy intensity fell and the rank is high: consistent with staying among the leaders.")
    else:
        zh.append("。判断：能耗强度下降，但领先地位尚无省际数据支持。")
        en.append(". Reading: energy intensity fell, but no provincial data show a leading position.")
    return join(zh, en, lang, sep_en="")


def qualitative_is_negative(row) -> bool:
    """Whether indicator 12's reading is that the data do not show a leading position."""
    if isnull(row["latest"]):
        return False
    back = not isnull(row.get("standing_rank")) and int(row["standing_rank"]) > 2 * int(row["standing_n"]) / 3
    return bool(row["latest"] > 0 or back)


def latest_text(row, lang: str, raw_folder=None) -> str:
    """The latest figure with its year and where it comes from (快报 / 公报 / 年鉴);
    for an average-growth target the average so far, never one year's growth."""
    ind = _ind(row)
    if isnull(row["latest_year"]) or (int(row["latest_year"]) <= ind.baseline_year and ind.target_kind != "average_growth"):
        return say("本次未采集到", "none collected", lang)
    raw = data.load_raw(_raw(row, raw_folder))
    defs = row.attrs.get("definitions")
    kind_zh, kind_en = (figure_kind(row["latest_status"], row["latest_sources"], raw, k, defs) for k in ("zh", "en"))
    year = int(row["latest_year"])
    if ind.target_kind == "average_growth":
        first = int(row["growth_first_year"])
        zh = f"{first}—{year}年均{fmt(row['realised_average_growth'], 2, True)}（{kind_zh}）"
        en = f"{first}–{year} average {fmt(row['realised_average_growth'], 2, True)} ({kind_en})"
        return say(zh, en, lang)
    return say(f"{value_text(ind, row['latest'], 'zh')}（{year}，{kind_zh}）",
               f"{value_text(ind, row['latest'], 'en')} ({year}, {kind_en})", lang)


def outcome_line(row, lang: str) -> str:
    """The target-year result: met / missed, the figure, its status, the margin in the
    target's unit; a proxy and a superseded preliminary figure said as such."""
    ind = _ind(row)
    word = row["outcome"]
    if isnull(word):
        return ""
    if word == "qualitative":
        return qualitative_judgement(row, lang)
    if word == "not_published":
        return not_published_line(row, lang)
    status = terms.FIGURE_STATUS_LABELS[row["outcome_figure_status"]]
    raw = data.load_raw(_raw(row))
    kind = [figure_kind(row["outcome_figure_status"], row["outcome_source"], raw, k, row.attrs.get("definitions"))
            for k in ("zh", "en")]
    figure = (f"{kind[0]}{status[0]}", f"{status[1]}, {kind[1]}")
    if row.get("outcome_bound"):
        return join(*_bound_outcome_text(row, ind, raw, figure), lang)
    value = value_text(ind, row["outcome_value"])
    margin = row["outcome_margin"]
    pct_zh, pts_zh, pct_en, pts_en = _units(ind)
    what_zh = "2020—2025年年均增速" if ind.target_kind == "average_growth" else "2025年"
    what_en = "average growth 2020–2025" if ind.target_kind == "average_growth" else "2025"
    gap = f"{fmt(abs(margin), digits(ind))}{pts_zh}"
    gap_en = f"{fmt(abs(margin), digits(ind))}{pts_en}"
    if ind.comparator == "<":
        side_zh = f"低于上限{ind.target_text.lstrip('<')}{gap}" if margin < 0 else f"超出上限{ind.target_text.lstrip('<')}{gap}"
        side_en = f"{gap_en} {'below' if margin < 0 else 'above'} the ceiling {ind.target_text.lstrip('<')}"
    elif margin > 0:
        side_zh, side_en = f"比目标{ind.target_text}高{gap}", f"{gap_en} above the target {ind.target_text}"
    elif margin < 0:
        side_zh, side_en = f"比目标{ind.target_text}低{gap}", f"{gap_en} short of the target {ind.target_text}"
    else:
        side_zh, side_en = f"恰好达到目标{ind.target_text}", f"exactly the target {ind.target_text}"
    zh = [f"{terms.STATUS_LABELS[word][0]}：{what_zh}{value}{pct_zh}（{figure[0]}），{side_zh}。"]
    en = [f"{terms.STATUS_LABELS[word][1].capitalize()}: {what_en} {value}{pct_en} ({figure[1]}), {side_en}."]
    if row["outcome_proxy"]:
        zh.append("按替代指标判断。")
        en.append("Judged on a proxy.")
    if not isnull(row.get("outcome_superseded_value")):
        old = value_text(ind, row["outcome_superseded_value"])
        zh.append(f"此前公报初步数为{old}，按初步数为{terms.STATUS_LABELS[row['outcome_superseded']][0]}。")
        en.append(f"The bulletin's preliminary figure was {old}: {terms.STATUS_LABELS[row['outcome_superseded']][1]} on that figure.")
    return join(zh, en, lang)


def _units(ind: Indicator) -> tuple[str, str, str, str]:
    """What follows a value and a gap, in Chinese then English: %, 个百分点 for a share."""
    if ind.unit == "%":
        return "%", "个百分点", "%", " percentage points"
    return ind.unit, ind.unit, " " + ind.unit_en, " " + ind.unit_en


def _outward(value: float, decimals: int, up: bool) -> str:
    """``value`` rounded away from what it bounds, so the printed bound stays a bound."""
    step = 10.0 ** decimals
    scaled = round(value * step, 6)  # float noise (33.3 * 100 = 3329.9999999999995) is not a digit
    return fmt((math.ceil(scaled) if up else math.floor(scaled)) / step, decimals)


def _bound_outcome_text(row, ind, raw, figure: tuple[str, str]) -> tuple[list, list]:
    """The outcome a bound settles: the indicator is at most (at least) the proxy's value,
    so its margin is at least the bound's; 基本完成 is said to be undecided where it is.
    One decimal more than the plan prints, rounded outward, so a near miss stays visible."""
    word = row["outcome"]
    upper = row["outcome_bound"] == "upper"
    key = next(k for k, side in ind.proxy_bounds if side == row["outcome_bound"])
    meta = raw.meta.get(key)
    name_zh, name_en = (meta.name_zh, meta.name_en) if meta else (key, key)
    d = digits(ind) + 1
    value = _outward(float(row["outcome_value"]), d, up=upper)
    gap = _outward(abs(float(row["outcome_margin"])), d, up=False)
    pct_zh, pts_zh, pct_en, pts_en = _units(ind)
    cap = ind.target_text.lstrip("<")
    if ind.comparator == "<":
        side_zh = f"低于上限{cap}至少{gap}{pts_zh}" if upper else f"超出上限{cap}至少{gap}{pts_zh}"
        side_en = f"at least {gap}{pts_en} {'below' if upper else 'above'} the ceiling {cap}"
    else:
        side_zh = f"比目标{ind.target_text}低至少{gap}{pts_zh}" if upper else f"比目标{ind.target_text}高至少{gap}{pts_zh}"
        side_en = f"at least {gap}{pts_en} {'short of' if upper else 'above'} the target {ind.target_text}"
    bound_zh, bound_en = BOUND_WORDS[row["outcome_bound"]]
    zh = [f"{terms.STATUS_LABELS[word][0]}：2025年{'不高于' if upper else '不低于'}{value}{pct_zh}"
          f"（{bound_zh}：{name_zh}，{figure[0]}），{side_zh}"]
    en = [f"{terms.STATUS_LABELS[word][1].capitalize()}: 2025 {'at most' if upper else 'at least'} {value}{pct_en} "
          f"({bound_en}: {name_en[0].lower() + name_en[1:]}, {figure[1]}), {side_en}"]
    if word == "not_met":
        tol = assessment.BASICALLY_MET_TOLERANCE
        zh[-1] += f"；是否在{tol:.0%}以内（基本完成）{bound_zh}无法判断"
        en[-1] += f"; whether within {tol:.0%} (basically met) a bound cannot tell"
    return [zh[0] + "。"], [en[0] + "."]


def _add_forecast(row, zh: list[str], en: list[str], lead_zh: str, lead_en: str) -> None:
    """The forecast and the model's P(meet), one sentence per language."""
    value = value_text(_ind(row), row["forecast"])
    prob = fmt(_pct(row["prob_meet"]), 0, True)
    zh.append(f"{lead_zh}{value}，{terms.PROB_LABEL[0]}{prob}。")
    en.append(f"{lead_en} {value}; {terms.PROB_LABEL[1]} {prob}.")


def not_published_line(row, lang: str) -> str:
    """No target-year figure yet: the latest figure, and the forecast only where the data carry one."""
    zh = [f"{terms.OUTCOME_LABELS['not_published'][0]}。最新：{latest_text(row, 'zh')}。"]
    en = [f"{terms.OUTCOME_LABELS['not_published'][1]}. Latest: {latest_text(row, 'en')}."]
    if not isnull(row["prob_meet"]):
        _add_forecast(row, zh, en, "据最新数据预测", "Forecast from the latest data")
    elif row["judge_note_zh"]:
        zh.append(f"{row['judge_note_zh']}，不给出实现概率。")
        en.append(f"{row['judge_note_en']}; no probability is given.")
    return join(zh, en, lang)


def reasons(row, lang: str, raw_folder=None) -> str:
    """For a miss or a lag, the reasons the data themselves show, said as such (never guessed):
    a latest figure from 2020 (the pandemic year), figures revised after the 2023 census,
    a target at 2019 prices that deflation moves away from the figure as published."""
    ind = _ind(row)
    lagging = row["status"] in ("missed", "not_met", "basically_met", "off_track", "at_risk") or row["midterm"] == "lagging"
    if not lagging or isnull(row["latest_year"]):
        return ""
    zh, en = [], []
    if int(row["latest_year"]) == 2020:
        zh.append("最新数据为2020年，该年受新冠疫情冲击")
        en.append("the latest figure is for 2020, the pandemic year")
    p = data.panel(raw_folder=_raw(row, raw_folder), definitions=row.attrs.get("definitions"))
    rows = p[(p["indicator_id"] == ind.id) & (p["year"] <= int(row["latest_year"]))]
    if (rows["status"] == "revised").any() or rows["note"].str.contains("census", case=False, na=False).any():
        zh.append("部分数据经2023年经济普查修订，前后口径不一")
        en.append("some figures were revised after the 2023 census, so the series changes vintage")
    if ind.price_basis == "constant_2019" and ind.deflate_as != "none" and not isnull(row.get("latest_as_published")) \
            and not isnull(row["latest"]) and abs(row["latest_as_published"] - row["latest"]) > 1e-9:
        zh.append(f"目标按2019年不变价计，最新值按当年价公布为{value_text(ind, row['latest_as_published'])}，平减后为{value_text(ind, row['latest'])}")
        en.append(f"the target is at 2019 prices: the latest figure is {value_text(ind, row['latest_as_published'])} as published, "
                  f"{value_text(ind, row['latest'])} deflated")
    if not zh:
        return ""
    return say("数据可见的原因：" + "；".join(zh) + "。", "What the data show: " + "; ".join(en) + ".", lang)


def one_line(row, lang: str) -> str:
    """一句话结论: the indicator's verdict in one sentence (from the scorecard row)."""
    ind = _ind(row)
    st = row["status"]
    word = row["outcome"]
    if not isnull(word) and word != "not_published":
        text_zh, text_en = outcome_line(row, "zh"), outcome_line(row, "en")
    elif st == "qualitative":
        text_zh, text_en = qualitative_judgement(row, "zh"), qualitative_judgement(row, "en")
    elif st == "insufficient_data":
        text_zh = f"{ind.baseline_year}年基期后本次未采集到数据，数据暂缺、暂无法评估。"
        text_en = f"No figure after the {ind.baseline_year} base was collected: cannot be assessed."
    elif st == "too_few_points":
        meets = not isnull(row["latest"]) and ind.is_quantitative and ind.target_kind != "average_growth" and ind.meets(row["latest"])
        text_zh = (f"最新{latest_text(row, 'zh')}" + ("，已达到目标值" if meets else "") + f"；{row['judge_note_zh']}，暂难判断。")
        text_en = (f"Latest {latest_text(row, 'en')}" + (", already at the target" if meets else "")
                   + f"; {row['judge_note_en']}: too early to judge.")
    else:
        pace_zh = label(terms.MIDTERM_LABELS, row["midterm"], "zh")
        pace_en = label(terms.MIDTERM_LABELS, row["midterm"], "en")
        if ind.target_kind == "average_growth":
            lead_zh = f"{latest_text(row, 'zh')}，目标{ind.target_text}%"
            lead_en = f"{latest_text(row, 'en')} against {ind.target_text}%"
        else:
            lead_zh = f"最新{latest_text(row, 'zh')}，目标{ind.target_text}"
            lead_en = f"latest {latest_text(row, 'en')}, target {ind.target_text}"
        prob_zh = f"，{terms.PROB_LABEL[0]}{fmt(_pct(row['prob_meet']), 0, True)}" if not isnull(row["prob_meet"]) else ""
        prob_en = f"; {terms.PROB_LABEL[1]} {fmt(_pct(row['prob_meet']), 0, True)}" if not isnull(row["prob_meet"]) else ""
        text_zh = f"{lead_zh}，{pace_zh}{prob_zh}：{terms.STATUS_LABELS[st][0]}。"
        text_en = f"{lead_en[0].upper() + lead_en[1:]}, {pace_en}{prob_en}: {terms.STATUS_LABELS[st][1]}."
    why_zh, why_en = reasons(row, "zh"), reasons(row, "en")
    text_en = text_en[:1].upper() + text_en[1:]
    return join([text_zh, why_zh], [text_en, why_en], lang)


@markdown_safe
def overall_conclusion(card: pd.DataFrame, as_of: int, lang: str) -> str:
    """一句话总体结论: the whole plan in one sentence."""
    counts = card["status"].value_counts()
    n = len(card)
    if as_of >= default_plan().target_year:
        out = card["outcome"].value_counts()
        judged = int(sum(out.get(w, 0) for w in assessment.JUDGED_OUTCOMES))
        bound_zh = f"、{terms.STATUS_LABELS['not_met'][0]}{out['not_met']}项（仅有其上限或下限）" if out.get("not_met") else ""
        bound_en = f", {out['not_met']} {terms.STATUS_LABELS['not_met'][1]} (only a bound is published)" if out.get("not_met") else ""
        zh = (f"终期评估：{n}项指标中{judged}项已有2025年数据，完成{out.get('met', 0)}项、基本完成{out.get('basically_met', 0)}项、"
              f"未完成{out.get('missed', 0)}项{bound_zh}；{out.get('not_published', 0)}项2025年数据尚未公布；第12项为定性目标，"
              f"{'现有数据不支持“保持国内领先水平”' if qualitative_is_negative(card.loc[12]) else '依文字判断'}。")
        en = (f"Final assessment: {judged} of {n} indicators have a 2025 figure: {out.get('met', 0)} met, "
              f"{out.get('basically_met', 0)} basically met, {out.get('missed', 0)} missed{bound_en}; {out.get('not_published', 0)} have no "
              f"2025 figure yet; the qualitative target (12) is "
              f"{'not supported by the data' if qualitative_is_negative(card.loc[12]) else 'judged in words'}.")
        return say(zh, en, lang) if lang != "both" else zh + "\n\n" + en
    firm = ["achieved_early", "on_track", "at_risk", "off_track"]
    parts_zh = "、".join(f"{terms.STATUS_LABELS[s][0]}{counts[s]}项" for s in firm if s in counts)
    parts_en = ", ".join(f"{counts[s]} {terms.STATUS_LABELS[s][1]}" for s in firm if s in counts)
    few, none = int(counts.get("too_few_points", 0)), int(counts.get("insufficient_data", 0))
    zh = (f"截至{as_of}年数据，{n}项指标中可作判断的{sum(int(counts.get(s, 0)) for s in firm)}项（{parts_zh or '无'}），"
          f"{few}项数据点过少、暂难判断，{none}项基期后本次未采集到数据：现有公开数据尚不足以对规划整体作出结论。")
    en = (f"With data up to {as_of}, {sum(int(counts.get(s, 0)) for s in firm)} of {n} indicators can be judged "
          f"({parts_en or 'none'}); {few} have too few figures to judge and {none} have no figure collected after the base: "
          f"the published data cannot yet support a verdict on the plan as a whole.")
    return say(zh, en, lang) if lang != "both" else zh + "\n\n" + en


@markdown_safe
def summary(card: pd.DataFrame, lang: str) -> str:
    """One paragraph: how many indicators are in each status, and the ones that matter most."""
    counts = card["status"].value_counts()
    order = ["met", "basically_met", "missed", "not_met", "achieved_early", "on_track", "at_risk", "off_track",
             "too_few_points", "insufficient_data", "qualitative"]
    zh = "；".join(f"{terms.STATUS_LABELS[s][0]}{counts[s]}项" for s in order if s in counts)
    en = "; ".join(f"{terms.STATUS_LABELS[s][1]}: {counts[s]}" for s in order if s in counts)
    worst = card[card["status"].isin(["missed", "not_met", "basically_met", "off_track", "at_risk"])]
    worst = worst.assign(_p=worst["prob_meet"].fillna(-1)).sort_values(["_p", "outcome_margin"]).head(4)
    names_zh = [f"{r['name_zh'] if _ind(r).label_zh == '' else _ind(r).display_zh}（{terms.STATUS_LABELS[r['status']][0]}）"
                for _, r in worst.iterrows()]
    names_en = [f"{_ind(r).display_en} ({terms.STATUS_LABELS[r['status']][1]})" for _, r in worst.iterrows()]
    if 12 in card.index and qualitative_is_negative(card.loc[12]):
        names_zh.append(f"{_ind(card.loc[12]).display_zh}（定性判断：现有数据不支持“保持国内领先水平”）")
        names_en.append(f"{_ind(card.loc[12]).display_en} (judged in words: the data do not show a leading position)")
    if names_zh:
        zh += "。最需关注：" + "、".join(names_zh)
        en += ". Most in need of attention: " + "; ".join(names_en)
    gaps = card[card["status"] == "insufficient_data"]
    if len(gaps):
        zh += f"。{len(gaps)}项指标基期后本次未采集到数据"
        en += f". For {len(gaps)} indicators no figure after the base year was collected"
    return say(zh + "。", en + ".", lang) if lang != "both" else zh + "。\n\n" + en + "."


def marks_for(row, raw_folder=None) -> list[str]:
    """The distinct marks of a scorecard row: proxy, derived, low-confidence, preliminary."""
    out = []
    if row["proxy"]:
        out.append("proxy")
    if row["derived"]:
        out.append("derived")
    if row["low_confidence"]:
        out.append("low_confidence")
    if row["latest_status"] == "preliminary" and not isnull(row["latest_year"]) and int(row["latest_year"]) > int(row["base_year"]):
        out.append("preliminary")
    return out


def _marks_html(keys) -> str:
    return "".join(f'<sup class="mark">{esc(terms.MARKS[k][0])}</sup>' for k in keys)


def marks_legend(lang: str) -> str:
    return "　".join(f"{terms.MARKS[k][0]} {say(terms.MARKS[k][1], terms.MARKS[k][2], lang)}" for k in terms.MARKS)


def pace_text(row) -> str:
    """完成进度 / 序时进度, e.g. 「45% / 83%」."""
    if isnull(row["completion"]) or isnull(row["elapsed"]):
        return "—"
    return f"{fmt(_pct(row['completion']), 0, True)} / {fmt(_pct(row['elapsed']), 0, True)}"


def _name_cell(row, lang: str, marks: list[str]) -> str:
    ind = _ind(row)
    unit = f'<span class="unit">（{esc(unit_text(ind, "zh" if lang != "en" else "en"))}）</span>'
    if lang == "both":
        return (f"{row.name}. {esc(ind.display_zh)}{unit}{_marks_html(marks)}"
                f'<br><span class="en">{esc(ind.display_en)}</span>')
    return f"{row.name}. {esc(ind.display_zh if lang == 'zh' else ind.display_en)}{unit}{_marks_html(marks)}"


def scorecard_html(card: pd.DataFrame, lang: str, source_numbers: dict[int, str] | None = None, raw_folder=None) -> str:
    """The scorecard as an HTML table grouped by category: the latest figure with its year and
    status, 完成进度 / 序时进度, the forecast where the data carry one, the status as a word
    and a symbol, and under each row its 一句话结论."""
    from .plots import STATUS_STYLE  # plots owns the visual marks

    cell = "en" if lang == "en" else "zh"  # cells in one language; the name and the conclusion carry both
    head = [say("指标（单位）", "Indicator (unit)", lang), say("基期", "Base", lang),
            say("最新（年份，类型）", "Latest (year, kind)", lang), say("2025目标", "2025 target", lang),
            say("完成进度／序时进度", "Done / time", lang),
            say("2025预测（80%区间）", "2025 forecast (80%)", lang),
            say("实现概率（模型测算）", "P(meet), model", lang), say("状态", "Status", lang), say("来源", "Sources", lang)]
    widths = [25, 9, 14, 6, 8, 10, 7, 15, 6]
    width = len(head)
    out = ['<table class="scorecard"><colgroup>' + "".join(f'<col style="width:{w}%">' for w in widths) + "</colgroup>"
           "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    out[-1] = out[-1].removesuffix("<tbody>")
    # One row group per indicator (its row and its conclusion), the category heading kept
    # with the first: a page never breaks between a row and its conclusion, or after a heading.
    for category, rows in card.groupby("category_zh", sort=False):
        en = rows["category_en"].iloc[0]
        heading = f'<tr class="category"><td colspan="{width}">{esc(say(category, en, lang))}</td></tr>'
        for n, (_, r) in enumerate(rows.iterrows()):
            out.append('<tbody class="indicator">' + (heading if n == 0 else ""))
            ind = _ind(r)
            style = STATUS_STYLE[r["status"]]
            forecast = "—" if isnull(r["forecast"]) else (
                f"{esc(value_text(ind, r['forecast']))}<br>{esc(value_text(ind, r['forecast_lower']))}—{esc(value_text(ind, r['forecast_upper']))}")
            base = "—" if isnull(r["base"]) else f"{value_text(ind, r['base'], cell)}<br>（{r['base_year']}）"
            status = esc(r["status_zh"] if cell == "zh" else r["status_en"])
            if lang == "both":
                status += f'<br><span class="en">{esc(r["status_en"])}</span>'
            out.append(
                f'<tr class="status-{r["status"]} main"><td>{_name_cell(r, lang, marks_for(r, raw_folder))}</td>'
                f"<td>{base}</td><td>{esc(latest_text(r, cell, raw_folder))}</td><td>{esc(r['target_text'])}</td>"
                f"<td>{esc(pace_text(r))}</td><td class=\"nowrap\">{forecast}</td><td>{esc(fmt(_pct(r['prob_meet']), 0, True))}</td>"
                f'<td class="status" style="color:{style["color"]}">{esc(style["symbol"])} {status}</td>'
                f"<td>{esc((source_numbers or {}).get(r.name, ''))}</td></tr>"
            )
            out.append(f'<tr class="oneline"><td colspan="{width}">{esc(say("结论", "In one line", lang))}：'
                       f"{esc(one_line(r, lang)).replace(chr(10) * 2, '<br>')}</td></tr>")
            out.append("</tbody>")
    out.append("<tbody>")
    out.append(f'<tr class="legend"><td colspan="{width}">{esc(say("标记", "Marks", lang))}：{esc(marks_legend(lang))}。'
               f"{esc(say('完成进度＝（最新值−基期值）／（目标值−基期值），序时进度＝已过年数／规划年数。', 'Done = (latest − base) / (target − base); time elapsed = years gone / plan years.', lang))}"
               "</td></tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def verdict_reason(row, lang: str) -> str:
    """The short 'on what' of a verdict line: the outcome, or the latest figure and why no verdict."""
    word = row["outcome"]
    if word in (*assessment.JUDGED_OUTCOMES, "qualitative"):
        return outcome_line(row, lang)
    zh = [f"最新：{latest_text(row, 'zh')}。"]
    en = [f"Latest: {latest_text(row, 'en')}."]
    if not isnull(row["prob_meet"]):
        _add_forecast(row, zh, en, "预测", "Forecast")
    elif row["status"] == "too_few_points":
        zh.append("数据太少，不给出实现概率。")
        en.append("Too few figures for a probability.")
    return join(zh, en, lang)


def verdicts_html(card: pd.DataFrame, lang: str) -> str:
    """Page 1 of the final brief: one line per indicator, met / missed / not yet published."""
    from .plots import STATUS_STYLE

    head = [say("指标", "Indicator", lang), say("2025年结果", "2025 result", lang),
            say("依据（数值、数据状态、与目标之差）", "On what (figure, status, margin)", lang)]
    out = ['<table class="verdicts"><colgroup><col style="width:27%"><col style="width:19%"><col style="width:54%"></colgroup>'
           "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for _, r in card.iterrows():
        ind = _ind(r)
        word = r["outcome"]
        key = word if word in assessment.JUDGED_OUTCOMES else None
        words = terms.STATUS_LABELS[key][:2] if key else terms.OUTCOME_LABELS["qualitative" if word == "qualitative" else "not_published"]
        text = esc(words[0] if lang != "en" else words[1]) + (f'<br><span class="en">{esc(words[1])}</span>' if lang == "both" else "")
        if key:
            style = STATUS_STYLE[key]
            result = f'<span style="color:{style["color"]}">{esc(style["symbol"])} {text}</span>'
            if r["outcome_figure_status"] == "preliminary":
                result += _marks_html(["preliminary"])
        else:
            result = f'<span class="pending">{text}</span>'
        why = esc(verdict_reason(r, lang)).replace(chr(10) * 2, '<br><span class="en">') + ("</span>" if lang == "both" else "")
        name = esc(ind.display_zh if lang != "en" else ind.display_en)
        if lang == "both":
            name += f'<br><span class="en">{esc(ind.display_en)}</span>'
        out.append(f'<tr class="verdict-{word}"><td>{r.name}. {name}</td><td class="status">{result}</td><td>{why}</td></tr>')
    out.append(f'<tr class="legend"><td colspan="3">{esc(marks_legend(lang))}</td></tr></tbody></table>')
    return "\n".join(out)


def data_header(card: pd.DataFrame, as_of: int, collected: str, lang: str) -> str:
    """What the data are: the date they were collected and the spread of latest years (never
    「数据截至」 a year most indicators do not reach)."""
    years = card["latest_year"].dropna().astype(int)
    years = years[years > card.loc[years.index, "base_year"].astype(int)]
    newest = int(years.max()) if len(years) else None
    reach = int((years >= as_of).sum())
    # an indicator judged on a bound has no value of its own for the year, only the bound
    bounded = int(card["outcome_bound"].fillna("").ne("").sum()) if "outcome_bound" in card else 0
    zh = (f"数据采集日期 {collected}；本报告使用{as_of}年及以前的数据，其中{reach}项指标有{as_of}年数据"
          + (f"，另有{bounded}项仅有{as_of}年的上限或下限" if bounded else "")
          + (f"，各指标最新数据年份见计分卡" if newest else "") + "。")
    en = (f"Data collected on {collected}; this report uses figures up to {as_of}; {reach} indicators have a figure for {as_of}"
          + (f" and {bounded} more only a bound of it" if bounded else "")
          + " (each indicator's latest year is in the scorecard).")
    return say(zh, en, lang) if lang != "both" else zh + "<br>" + en


def gaps_table(as_of: int | None, lang: str, raw_folder=None, definitions=None) -> pd.DataFrame:
    """Which indicators lack which years since their base, and which use proxies or derived values
    (series by name, not code key)."""
    the_plan = default_plan(definitions)
    p = data.panel(as_of=as_of, raw_folder=raw_folder, definitions=definitions)
    raw = data.load_raw(raw_folder)
    last = as_of or int(p["year"].max())
    rows = []
    for ind in the_plan.indicators:
        r = p[(p["indicator_id"] == ind.id) & p["value"].notna()]
        have = set(r["year"])
        missing = [y for y in range(ind.baseline_year + 1, last + 1) if y not in have]
        proxies = sorted(set(r.loc[r["proxy"], "series"]))
        names = [_proxy_name(raw, ind, k, lang) for k in proxies]
        rows.append({
            say("指标", "Indicator", lang): f"{ind.id}. {say(ind.display_zh, ind.display_en, lang)}",
            say("本次未采集到的年份", "Years not collected", lang): _year_ranges(missing) or "—",
            say("替代指标", "Proxy", lang): "；".join(names) or "—",
            say("推算值年份", "Derived years", lang): _year_ranges(sorted(r.loc[r["derived"], "year"])) or "—",
        })
    return pd.DataFrame(rows)


def _proxy_name(raw, ind: Indicator, key: str, lang: str) -> str:
    """A proxy's name, with 上限 / 下限 where it only bounds the indicator."""
    zh, en = (raw.meta[key].name_zh, raw.meta[key].name_en) if key in raw.meta else (key, key)
    side = ind.bound_side(key)
    if side:
        zh, en = f"{zh}（{BOUND_WORDS[side][0]}）", f"{en} ({BOUND_WORDS[side][1]})"
    return say(zh, en, lang)


def _year_ranges(years) -> str:
    years = sorted(int(y) for y in years)
    spans, start = [], None
    for i, y in enumerate(years):
        if start is None:
            start = y
        if i + 1 == len(years) or years[i + 1] != y + 1:
            spans.append(str(start) if start == y else f"{start}–{y}")
            start = None
    return ", ".join(spans)


def sources_list(as_of: int | None, raw_folder=None, definitions=None) -> pd.DataFrame:
    """Each source used by the panel, numbered once, with the indicators that cite it."""
    p = data.panel(as_of=as_of, raw_folder=raw_folder, definitions=definitions)
    raw = data.load_raw(raw_folder)
    used: dict[str, set[int]] = {}
    for r in p[p["value"].notna()].itertuples():
        for sid in r.source_ids.split(";"):
            used.setdefault(sid, set()).add(r.indicator_id)
    table = raw.sources.loc[sorted(used, key=lambda s: (min(used[s]), s))].reset_index()
    table.insert(0, "no", range(1, len(table) + 1))
    table["indicators"] = [", ".join(str(i) for i in sorted(used[s])) for s in table["source_id"]]
    return table[["no", "source_id", "title", "publisher", "url", "published", "indicators"]]


def source_numbers(sources: pd.DataFrame) -> dict[int, str]:
    """For each indicator, the numbers of the sources it cites (for the scorecard column)."""
    out: dict[int, list[int]] = {}
    for r in sources.itertuples():
        for i in r.indicators.split(", "):
            out.setdefault(int(i), []).append(r.no)
    return {k: ",".join(str(n) for n in v) for k, v in out.items()}


@markdown_safe
def methods_note(ind: Indicator, fc, lang: str) -> str:
    """What the methods table forecasts, so it never seems to contradict the headline forecast."""
    if ind.target_kind == "average_growth":
        point = "—" if fc is None or fc.point is None else fmt(fc.point, 2, True)
        return say(f"下表各方法预测的是{ind.target_year}年**单年**增速；上文与计分卡的预测{point}是"
                   f"{ind.baseline_year + 1}—{ind.target_year}年**年均**增速（已公布年份的实际增速与预测年份的模拟增速几何平均），两者不可直接比较。",
                   f"The table forecasts growth **in {ind.target_year} alone**; the headline forecast {point} is the **average** "
                   f"{ind.baseline_year + 1}–{ind.target_year} (published years joined to the simulated ones), so the two differ.", lang)
    return say(f"下表为各方法对{ind.target_year}年数值的预测；计分卡采用“auto”所选方法。",
               f"The {ind.target_year} value by each method; the scorecard uses the one 'auto' picks.", lang)


def _table_html(frame: pd.DataFrame, columns: dict, lang: str, formats: dict | None = None) -> str:
    out = frame.copy()
    for col, f in (formats or {}).items():
        if col in out:
            out[col] = [f(v) for v in out[col]]
    out = out.rename(columns={k: label(columns, k, lang) for k in columns if k in out.columns})
    return out.to_html(index=False, escape=True)


def methods_html(methods: pd.DataFrame, ind: Indicator, lang: str) -> str:
    cols = {"method": ("方法", "method"), "forecast": ("预测值", "forecast"), "lower": ("区间下限", "lower"),
            "upper": ("区间上限", "upper"), "note": ("说明", "note")}
    v = lambda x: value_text(ind, x) if ind.target_kind != "qualitative" else fmt(x, 2)
    return _table_html(methods, cols, lang, {"forecast": v, "lower": v, "upper": v})


def backtest_html(bt: pd.DataFrame, lang: str) -> str:
    cols = {"method": ("方法", "method"), "forecasts": ("回测次数", "forecasts"),
            "mean_abs_error": ("平均绝对误差", "mean absolute error"), "inside_interval": ("落入区间比例", "share inside interval")}
    return _table_html(bt, cols, lang, {"mean_abs_error": lambda x: fmt(x, 2), "inside_interval": lambda x: fmt(_pct(x), 0, True)})


def price_table_html(table: pd.DataFrame, lang: str) -> str:
    names = {"as_published": say("公布值（当年价）", "as published (current prices)", lang)}
    for col in table.columns:
        if col.startswith("2019_prices_"):
            defl = col.removeprefix("2019_prices_")
            word = {"ppi": say("按PPI折算为2019年价", "at 2019 prices, PPI", lang),
                    "gdp_deflator": say("按GDP平减指数折算为2019年价", "at 2019 prices, GDP deflator", lang)}[defl]
            names[col] = word
    out = table.round(2).rename(columns=names)
    out.index.name = say("年份", "year", lang)
    return out.to_html(escape=True)


def sources_html(sources: pd.DataFrame, lang: str, raw_folder=None) -> str:
    """The sources as a reader cites them: the original (title, publisher, date, address)
    first, then where it was read (the copy), from the source's note."""
    notes = data.load_raw(raw_folder).sources["note"].to_dict()
    head = [say("编号", "No.", lang), say("来源（原始发布者、标题、日期、网址）", "Source (publisher, title, date, address)", lang),
            say("所读副本与说明", "Copy read, notes", lang), say("指标", "Indicators", lang)]
    out = ['<table class="compact sources"><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for r in sources.itertuples():
        url = "" if isnull(r.url) or not str(r.url).strip() else f"<br>{esc(r.url)}"
        out.append(f"<tr><td>{r.no}</td><td>{esc(r.publisher)}：{esc(r.title)}，{esc(r.published)}{url}</td>"
                   f"<td>{esc(notes.get(r.source_id, ''))}</td><td>{esc(r.indicators)}</td></tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


@markdown_safe
def method_note(lang: str, coverage: str | None = None) -> str:
    """The lenses and their thresholds, the statuses, the deflators and the intervals (markdown).
    Every threshold and every status word is printed from where the code keeps it."""
    e, m, s = assessment.EUROSTAT_THRESHOLDS, assessment.MIDTERM_THRESHOLDS, assessment.STATUS_THRESHOLDS
    L = terms.STATUS_LABELS
    M = terms.MIDTERM_LABELS
    n_min = assessment.MIN_POINTS_FOR_STATUS
    tol = assessment.BASICALLY_MET_TOLERANCE
    zh = [
        f"- **状态用语**：2025年数据公布前依据{terms.PROB_LABEL[0]}：≥{s['on_track']:.0%}为“{L['on_track'][0]}”，"
        f"{s['at_risk']:.0%}—{s['on_track']:.0%}为“{L['at_risk'][0]}”，<{s['at_risk']:.0%}为“{L['off_track'][0]}”；"
        f"最新值已达到目标且数据点不少于{n_min}个为“{L['achieved_early'][0]}”。数据点（含基期）少于{n_min}个，"
        f"或替代指标与基期口径不同时，不给出概率和确定判断，记为“{L['too_few_points'][0]}”；基期后本次未采集到数据记为“{L['insufficient_data'][0]}”。"
        f"2025年数据公布后按实际值判断“{L['met'][0]}”“{L['basically_met'][0]}”（与目标之差小于目标值的{tol:.0%}，本报告约定）或“{L['missed'][0]}”，"
        f"并注明是公报初步数还是年鉴最终数。只公布了指标的上限或下限时（如工业增加值占GDP比重是制造业比重的上限），"
        f"仅在该界限已能定论时判断；界限表明未达到目标、但差距可能小于{tol:.0%}时记为“{L['not_met'][0]}”。定性目标（第12项）依变化方向与省际位次作文字判断，不计算概率。",
        f"- **序时进度**：完成进度＝（最新值−基期值）／（目标值−基期值），序时进度＝已过年数／规划年数；两者之比≥{m['ahead']:.2f}为“{M['ahead'][0]}”，"
        f"{m['on_schedule']:.2f}—{m['ahead']:.2f}为“{M['on_schedule'][0]}”，<{m['on_schedule']:.2f}为“{M['lagging'][0]}”；已达标为“{M['achieved'][0]}”。"
        "没有官方数值标准，以上界限为本报告约定。",
        f"- **欧盟统计局视角**：实际复合年增长率与所需复合年增长率之比；≥{e['significant']:.0%}显著进展，"
        f"{e['moderate']:.0%}—{e['significant']:.0%}一定进展，0—{e['moderate']:.0%}进展不足，<0背离目标。",
        "- **价格**：除第1项外，涉及价格的目标按2019年不变价计。现价金额类指标除以工业生产者出厂价格指数（2019年＝100），"
        "分母为金额的强度类指标乘以该指数；缺少浙江数据的年份使用全国数据并注明。备选平减指数为GDP隐含平减指数。",
        "- **预测**：对年度短序列采用简单方法，预测区间与实现概率来自同一组模拟路径，按分省科技统计年鉴序列的样本外误差校准{coverage_zh}；"
        "作为对照，另用M3竞赛年度数据（M3为国际预测竞赛的公开数据集，含数百条年度经济序列）检验方法与区间。",
        "- **历史预测检验**：对已有2025年结果的指标，用2020—2024年各期数据分别预测2025年，统计实际值落入80%区间的个数，"
        "并计算当时实现概率的Brier评分（概率与0/1结果之差的平方的平均）。",
    ]
    en = [
        f"- **Statuses**: before the 2025 figure, from the model's P(meet): ≥{s['on_track']:.0%} {L['on_track'][1]}, "
        f"{s['at_risk']:.0%}–{s['on_track']:.0%} {L['at_risk'][1]}, <{s['at_risk']:.0%} {L['off_track'][1]}; a latest figure that already "
        f"meets the target, with {n_min} points or more, is {L['achieved_early'][1]}. With fewer than {n_min} points (base included), or a "
        f"proxy on another scope than the base, no probability and no firm status: {L['too_few_points'][1]}. Once 2025 is published: "
        f"{L['met'][1]}, {L['basically_met'][1]} (short by less than {tol:.0%} of the target, zjplan's convention) or {L['missed'][1]}, "
        "preliminary (bulletin) or final (yearbook). Where only a bound of the indicator is published (all industry's share of GDP "
        f"bounds manufacturing's from above), it is judged only where the bound settles it; a bound that shows the target was not "
        f"reached, but perhaps by less than {tol:.0%}, reads {L['not_met'][1]}. The qualitative target (12) is judged in words, never by a probability.",
        f"- **Pace** (时间过半、任务过半): completion (x − base)/(target − base) over time elapsed; ≥{m['ahead']:.2f} {M['ahead'][1]}, "
        f"{m['on_schedule']:.2f}–{m['ahead']:.2f} {M['on_schedule'][1]}, <{m['on_schedule']:.2f} {M['lagging'][1]} (no official cut-offs; zjplan's).",
        f"- **Eurostat lens**: observed over required compound annual growth rate; ≥{e['significant']:.0%} significant progress, "
        f"{e['moderate']:.0%}–{e['significant']:.0%} moderate, 0–{e['moderate']:.0%} insufficient, <0 movement away.",
        "- **Prices**: every price-bearing target but indicator 1 is at constant 2019 prices. Current-price amounts are divided by the "
        "producer price index (2019 = 100), intensities with an amount as denominator multiplied by it; years without Zhejiang's index use "
        "the national one and say so. The alternative deflator is the implied GDP deflator.",
        "- **Forecasts**: simple methods for short annual series; intervals and P(meet) come from the same simulated paths, "
        "calibrated on out-of-sample errors of Chinese provincial series{coverage_en}; the yearly series of the M3 forecasting competition "
        "(a public benchmark of economic series) serve as a cross-check.",
        "- **Track record**: for indicators with a 2025 outcome, each vintage (data up to 2020 … 2024) forecast 2025; we count outcomes "
        "inside the 80% intervals and score the probabilities with the Brier score (mean squared gap between probability and 0/1 outcome).",
    ]
    # The calibration is said once, in the forecast line, with its benchmark coverage.
    zh = [line.replace("{coverage_zh}", f"（{coverage_zh(coverage).rstrip('。')}）" if coverage else "") for line in zh]
    en = [line.replace("{coverage_en}", f" ({coverage})" if coverage else "") for line in en]
    if lang == "zh":
        return "\n".join(zh)
    if lang == "en":
        return "\n".join(en)
    return "\n".join(zh) + "\n\n" + "\n".join(en)


def coverage_zh(coverage: str) -> str:
    """The calibration sentence in Chinese (the benchmark records it in English)."""
    import re

    m = re.search(r"covered ([\d.]+)% of held-out (Chinese provincial|M3 yearly)", coverage)
    if not m:
        return "见基准检验结果（benchmarks/）。"
    where = "分省序列" if m.group(2) == "Chinese provincial" else "M3年度数据"
    return f"{where}留出检验中，80%预测区间覆盖了{m.group(1)}%的实际值。"
