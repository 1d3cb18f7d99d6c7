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

from . import assessment, data
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
        "ratio": ("比值,与价格无关", "a ratio, price-neutral"),
    }[ind.price_basis]
    base = (say(f"基期值 {fmt(ind.baseline_value, 2)}({ind.baseline_year}年)",
                f"base {fmt(ind.baseline_value, 2)} ({ind.baseline_year})", lang)
            if ind.baseline_value is not None else say("规划未给基期值", "the plan gives no base value", lang))
    kind = {
        "level": ("2025年达到", "reach by 2025"),
        "ceiling": ("2025年低于", "stay below by 2025"),
        "average_growth": ("2020—2025年年均增速达到", "average yearly growth 2020–2025 of"),
        "qualitative": ("2025年", "by 2025"),
    }[ind.target_kind]
    lines = [
        f"**{ind.id}. {say(ind.name_zh, ind.name_en, lang)}** ({say(ind.unit, ind.unit_en, lang)})",
        "",
        f"- {say('类别', 'Category', lang)}: {say(ind.category.zh, ind.category.en, lang)}",
        f"- {say('规划目标', 'Target', lang)}: {say(kind[0], kind[1], lang)} **{ind.target_text}**; {base}",
        f"- {say('价格口径', 'Price basis', lang)}: {say(*basis, lang)}"
        + (f"; {say('平减指数', 'deflator', lang)}: {ind.deflator}" if ind.deflator else ""),
        f"- {say('方向', 'Better', lang)}: {say('越高越好' if ind.direction == 'higher' else '越低越好', ind.direction, lang)}",
    ]
    if ind.note_en:
        lines.append(f"- {say('说明', 'Note', lang)}: {ind.note_en}")
    return "\n".join(lines)


def data_table(ind: Indicator, as_of: int | None, deflator: str | None = None, raw_folder=None,
               definitions=None) -> pd.DataFrame:
    """The indicator's figures up to ``as_of`` with their basis, flags and sources."""
    p = data.panel(as_of=as_of, deflator=deflator, raw_folder=raw_folder, definitions=definitions)
    rows = p[p["indicator_id"] == ind.id]
    raw = data.load_raw(raw_folder)
    titles = raw.sources["title"].to_dict()

    def source_text(ids: str) -> str:
        return "; ".join(f"[{sid}] {titles.get(sid, '')}" for sid in ids.split(";"))

    flags = rows.apply(lambda r: "proxy" if r["proxy"] else ("derived" if r["derived"] else "published"), axis=1)
    return pd.DataFrame({
        "year": rows["year"].to_numpy(),
        "value": rows["value"].round(3).to_numpy(),
        "as_published": rows["value_as_published"].round(3).to_numpy(),
        "basis": rows["basis"].to_numpy(),
        "kind": flags.to_numpy(),
        "status": rows["status"].to_numpy(),
        "source": [source_text(s) for s in rows["source_ids"]],
        "note": rows["note"].to_numpy(),
    }).set_index("year")


def lens_table(prog: assessment.Progress, ind: Indicator, lang: str) -> pd.DataFrame:
    """The lenses side by side, with the category in words."""
    def label(table, key):
        zh, en = table[key][0], table[key][1]
        return say(zh, en, lang)

    rows = [
        (say("欧盟统计局 CAGR 比值", "Eurostat CAGR ratio", lang), fmt(prog.eurostat_ratio, 2),
         label(assessment.EUROSTAT_LABELS, prog.eurostat)),
        (say("时间过半、任务过半(完成度/时间进度)", "Half the time, half the task (completion / elapsed)", lang),
         f"{fmt(_pct(prog.completion), 0, True)} / {fmt(_pct(prog.elapsed), 0, True)}",
         label(assessment.MIDTERM_LABELS, prog.midterm)),
    ]
    if ind.target_kind == "average_growth":
        rows.append((say("已实现年均增速", "Average growth so far", lang), fmt(prog.realised_average_growth, 2, True), ""))
        rows.append((say("剩余年份所需年均增速", "Growth needed in the remaining years", lang),
                     fmt(prog.required_average_growth_remaining, 2, True), ""))
    elif ind.target_kind != "qualitative":
        rows.append((say("迄今年均变化", "Change per year so far", lang), fmt(prog.change_per_year_so_far, 2), ""))
        rows.append((say("达标所需年均变化", "Change per year needed", lang), fmt(prog.change_per_year_required, 2), ""))
    else:
        rows.append((say("年均变化(%)", "Mean yearly change (%)", lang), fmt(prog.trend, 2), ""))
        rows.append((say("省际比较", "Comparison with other provinces", lang), prog.comparison or "—", ""))
    return pd.DataFrame(rows, columns=[say("视角", "Lens", lang), say("数值", "Value", lang), say("判断", "Reading", lang)])


def _pct(x):
    return None if x is None else 100 * x


@markdown_safe
def conclusion(ind: Indicator, prog: assessment.Progress, fc, status: str, lang: str) -> str:
    """A short plain-language conclusion built from the progress record and the forecast."""
    zh, en = [], []
    if prog.latest_year is None or prog.latest_year == prog.base_year and ind.target_kind != "qualitative":
        zh.append(f"{ind.baseline_year}年基期之后尚无公开数据,无法判断进展。")
        en.append(f"No figure has been published since the {ind.baseline_year} base, so progress cannot be judged.")
        if prog.change_per_year_required is not None:
            zh.append(f"要达到{ind.target_text},每年需变化约{fmt(prog.change_per_year_required, 2)}{ind.unit}。")
            en.append(f"Reaching {ind.target_text} needs a change of about {fmt(prog.change_per_year_required, 2)} {ind.unit_en} a year.")
    elif ind.target_kind == "qualitative":
        zh.append(f"该目标为定性目标(“{ind.target_text}”),不计算达标概率。最新数据({prog.latest_year}年):{fmt(prog.latest_value, 2)}%。")
        en.append(f"The target is qualitative (“{ind.target_text}”), so no probability is computed. Latest ({prog.latest_year}): {fmt(prog.latest_value, 2)}%.")
        if prog.comparison:
            zh.append(f"省际比较:{prog.comparison}。")
            en.append(f"Among provinces: {prog.comparison}.")
    elif ind.target_kind == "average_growth":
        zh.append(f"{prog.growth_years[0]}—{prog.latest_year}年已实现年均增速{fmt(prog.realised_average_growth, 2)}%,目标{ind.target_text}%。")
        en.append(f"Average growth {prog.growth_years[0]}–{prog.latest_year} was {fmt(prog.realised_average_growth, 2)}% against a target of {ind.target_text}%.")
        if prog.required_average_growth_remaining is not None:
            zh.append(f"其余年份年均需增长{fmt(prog.required_average_growth_remaining, 2)}%。")
            en.append(f"The remaining years need {fmt(prog.required_average_growth_remaining, 2)}% a year.")
    else:
        zh.append(f"最新数据为{prog.latest_year}年的{fmt(prog.latest_value, 2)}{ind.unit},基期{prog.base_year}年为{fmt(prog.base_value, 2)},目标{ind.target_text}。")
        en.append(f"The latest figure is {fmt(prog.latest_value, 2)} {ind.unit_en} ({prog.latest_year}), from {fmt(prog.base_value, 2)} in {prog.base_year}; the target is {ind.target_text}.")
        if prog.met_now:
            zh.append("目前已达到目标值,关键在于保持。")
            en.append("The target level is already reached; the task is to hold it.")
        elif prog.change_per_year_required is not None:
            zh.append(f"此后每年需变化约{fmt(prog.change_per_year_required, 2)},迄今每年{fmt(prog.change_per_year_so_far, 2)}。")
            en.append(f"From here it needs about {fmt(prog.change_per_year_required, 2)} a year; so far it moved {fmt(prog.change_per_year_so_far, 2)} a year.")
    if fc is not None and fc.point is not None:
        zh.append(f"{fc.to_year}年预测值{fmt(fc.point, 2)}({int(fc.level * 100)}%区间 {fmt(fc.lower, 2)}—{fmt(fc.upper, 2)}),达标概率约{fmt(_pct(fc.prob_meet), 0, True)}。")
        en.append(f"The {fc.to_year} forecast is {fmt(fc.point, 2)} ({int(fc.level * 100)}% interval {fmt(fc.lower, 2)}–{fmt(fc.upper, 2)}); the probability of meeting the target is about {fmt(_pct(fc.prob_meet), 0, True)}.")
    zh_s, en_s, _ = assessment.STATUS_LABELS[status]
    zh.append(f"判断:**{zh_s}**。")
    en.append(f"Status: **{en_s}**.")
    return say("".join(zh), " ".join(en), lang) if lang != "both" else "".join(zh) + "\n\n" + " ".join(en)


# --- The brief ---------------------------------------------------------------------------------

@markdown_safe
def summary(card: pd.DataFrame, lang: str) -> str:
    """One paragraph: how many indicators are in each status, and the ones that matter most."""
    counts = card["status"].value_counts()
    order = ["met", "on_track", "at_risk", "off_track", "missed", "insufficient_data", "qualitative"]
    zh = "、".join(f"{assessment.STATUS_LABELS[s][0]}{counts[s]}项" for s in order if s in counts)
    en = ", ".join(f"{counts[s]} {assessment.STATUS_LABELS[s][1]}" for s in order if s in counts)
    worst = card[card["status"].isin(["off_track", "missed", "at_risk"])].sort_values("prob_meet").head(3)
    if len(worst):
        zh += "。最需关注:" + "、".join(f"{r.name_zh}(达标概率{fmt(_pct(r.prob_meet), 0, True)})" for r in worst.itertuples())
        en += ". Most in need of attention: " + "; ".join(f"{r.name_en} (P(meet) {fmt(_pct(r.prob_meet), 0, True)})" for r in worst.itertuples())
    gaps = card[card["status"] == "insufficient_data"]
    if len(gaps):
        zh += f"。{len(gaps)}项指标基期后无公开数据"
        en += f". {len(gaps)} indicators have no published figure after their base year"
    return say(zh + "。", en + ".", lang) if lang != "both" else zh + "。\n\n" + en + "."


def scorecard_html(card: pd.DataFrame, lang: str, source_numbers: dict[int, str] | None = None) -> str:
    """The scorecard as an HTML table grouped by category; the status is a word and a symbol."""
    from .plots import STATUS_STYLE  # plots owns the visual marks

    head = [say("指标", "Indicator", lang), say("单位", "Unit", lang), say("基期", "Base", lang),
            say("最新", "Latest", lang), say("2025目标", "2025 target", lang),
            say("2025预测(区间)", "2025 forecast (interval)", lang), say("达标概率", "P(meet)", lang),
            say("状态", "Status", lang), say("来源", "Sources", lang)]
    out = ['<table class="scorecard"><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for category, rows in card.groupby("category_zh", sort=False):
        en = rows["category_en"].iloc[0]
        out.append(f'<tr class="category"><td colspan="{len(head)}">{esc(say(category, en, lang))}</td></tr>')
        for r in rows.itertuples():
            style = STATUS_STYLE[r.status]
            mark = "" if not (r.proxy or r.derived or (r.n_points <= 3)) else "<sup>†</sup>"
            name = say(r.name_zh, r.name_en, lang)
            forecast = "—" if r.forecast is None or pd.isna(r.forecast) else (
                f"{fmt(r.forecast, 2)} ({fmt(r.forecast_lower, 2)}–{fmt(r.forecast_upper, 2)})")
            latest = "—" if r.latest_year is None or pd.isna(r.latest_year) else f"{fmt(r.latest, 2)} ({int(r.latest_year)})"
            base = "—" if r.base is None or pd.isna(r.base) else f"{fmt(r.base, 2)} ({r.base_year})"
            status = say(r.status_zh, r.status_en, lang)
            out.append(
                f'<tr class="status-{r.status}"><td>{r.Index}. {esc(name)}{mark}</td><td>{esc(r.unit)}</td>'
                f"<td>{esc(base)}</td><td>{esc(latest)}</td><td>{esc(r.target_text)}</td><td>{esc(forecast)}</td>"
                f"<td>{esc(fmt(_pct(r.prob_meet), 0, True))}</td>"
                f'<td class="status" style="color:{style["color"]}">{esc(style["symbol"])} {esc(status)}</td>'
                f"<td>{esc((source_numbers or {}).get(r.Index, ''))}</td></tr>"
            )
    out.append("</tbody></table>")
    out.append(f'<p class="footnote"><sup>†</sup> {esc(say("含代理指标、推算值或数据点不多于3个", "proxy, derived value, or three points or fewer", lang))}</p>')
    return "\n".join(out)


def gaps_table(as_of: int | None, lang: str, raw_folder=None, definitions=None) -> pd.DataFrame:
    """Which indicators lack which years since their base, and which use proxies or derived values."""
    the_plan = default_plan(definitions)
    p = data.panel(as_of=as_of, raw_folder=raw_folder, definitions=definitions)
    last = as_of or int(p["year"].max())
    rows = []
    for ind in the_plan.indicators:
        r = p[(p["indicator_id"] == ind.id) & p["value"].notna()]
        have = set(r["year"])
        missing = [y for y in range(ind.baseline_year + 1, last + 1) if y not in have]
        proxies = sorted(set(r.loc[r["proxy"], "series"]))
        rows.append({
            say("指标", "Indicator", lang): f"{ind.id}. {say(ind.name_zh, ind.name_en, lang)}",
            say("缺失年份", "Missing years", lang): _year_ranges(missing) or "—",
            say("代理指标", "Proxy", lang): ", ".join(proxies) or "—",
            say("推算值年份", "Derived years", lang): _year_ranges(sorted(r.loc[r["derived"], "year"])) or "—",
        })
    return pd.DataFrame(rows)


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
def method_note(lang: str, coverage: str | None = None) -> str:
    """The lenses and their thresholds, the deflators and the intervals (markdown)."""
    e, m, s = assessment.EUROSTAT_THRESHOLDS, assessment.MIDTERM_THRESHOLDS, assessment.STATUS_THRESHOLDS
    zh = [
        f"- **欧盟统计局视角**:观察到的复合年增长率与所需复合年增长率之比;≥{e['significant']:.0%} 显著进展,"
        f"{e['moderate']:.0%}—{e['significant']:.0%} 一定进展,0—{e['moderate']:.0%} 进展不足,<0 背离目标;已达标记为已实现。",
        f"- **时间过半、任务过半**:完成度 (x−基期)/(目标−基期) 与时间进度之比;≥{m['ahead']:.2f} 快于预期,"
        f"{m['on_schedule']:.2f}—{m['ahead']:.2f} 基本符合预期,<{m['on_schedule']:.2f} 滞后;已达标记为提前实现。",
        f"- **总体判断**:2025年数据公布前依据达标概率:≥{s['on_track']:.0%} 有望实现,{s['at_risk']:.0%}—{s['on_track']:.0%} 存在风险,"
        f"<{s['at_risk']:.0%} 难以实现;公布后依据实际值判断已实现或未实现。定性目标(第12项)不计算概率。",
        "- **价格**:除第1项外,涉及价格的目标按2019年不变价计。现价的金额类指标除以工业生产者出厂价格指数(2019=100),"
        "强度类指标(分母为金额)乘以该指数;缺少浙江数据的年份使用全国数据并注明。备选平减指数为GDP隐含平减指数。",
        "- **预测**:年度短序列的简单方法,区间与达标概率来自同一组模拟路径,按分省科技统计年鉴序列的样本外误差校准{coverage_zh}。",
    ]
    en = [
        f"- **Eurostat lens**: observed over required compound annual growth rate; ≥{e['significant']:.0%} significant progress, "
        f"{e['moderate']:.0%}–{e['significant']:.0%} moderate, 0–{e['moderate']:.0%} insufficient, <0 movement away; a target already met is 'met'.",
        f"- **Half the time, half the task** (China's midterm practice): completion (x − base)/(target − base) over elapsed time; "
        f"≥{m['ahead']:.2f} faster than expected, {m['on_schedule']:.2f}–{m['ahead']:.2f} broadly on schedule, <{m['on_schedule']:.2f} lagging.",
        f"- **Status**: before the 2025 figure, from P(meet): ≥{s['on_track']:.0%} on track, {s['at_risk']:.0%}–{s['on_track']:.0%} at risk, "
        f"<{s['at_risk']:.0%} off track; afterwards met or missed on the published figure. The qualitative target (12) gets no probability.",
        "- **Prices**: every price-bearing target but indicator 1 is at constant 2019 prices. Current-price amounts are divided by the "
        "producer price index (2019 = 100), intensities with an amount as denominator multiplied by it; years without Zhejiang's index use "
        "the national one and say so. The alternative deflator is the implied GDP deflator.",
        "- **Forecasts**: simple methods for short annual series; intervals and P(meet) come from the same simulated paths, "
        "calibrated on out-of-sample errors of Chinese provincial series{coverage_en}.",
    ]
    # The calibration is said once, in the forecast line, with its benchmark coverage.
    zh[-1] = zh[-1].format(coverage_zh=f":{coverage}" if coverage else "")
    en[-1] = en[-1].format(coverage_en=f": {coverage}" if coverage else "")
    if lang == "zh":
        return "\n".join(zh)
    if lang == "en":
        return "\n".join(en)
    return "\n".join(zh) + "\n\n" + "\n".join(en)
