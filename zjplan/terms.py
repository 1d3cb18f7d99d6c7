"""The words a reader sees for every status, lens category, mark and data status: one place.

The Chinese follows the vocabulary of plan evaluations (中期评估 and 终期评估 of the
five-year plans and of provincial action plans): 进展顺利、达到序时进度; 完成有一定难度;
进度滞后、完成难度较大; 提前完成; 数据暂缺、暂无法评估; 快于 / 符合 / 滞后于序时进度; and,
in the final assessment, 完成 / 基本完成 / 未完成. The English says the same thing in plain
words ("unlikely to be met" where the Chinese says 完成难度较大, never "off track").

Every module that prints a status takes its words from here, and ``tests/test_terms.py``
checks the official terms are present, so a rewording happens once.
"""

from __future__ import annotations

#: Overall status: (Chinese, English, the rule in English). Before the target year the
#: status comes from the model's probability of meeting the target; once the target
#: year's figure is published, from the figure itself.
STATUS_LABELS: dict[str, tuple[str, str, str]] = {
    "met": ("完成", "met", "the target year's figure is published and meets the target"),
    "basically_met": ("基本完成", "basically met",
                      "the target year's figure misses the target by less than the tolerance (BASICALLY_MET_TOLERANCE of the target)"),
    "missed": ("未完成", "missed", "the target year's figure is published and misses the target"),
    "not_met": ("未达到目标", "not met",
                "only a bound of the target year's figure is published: it shows the target was not reached, "
                "but not whether by less than the tolerance (基本完成)"),
    "achieved_early": ("提前完成", "achieved early",
                       "before the target year the latest figure already meets the target (four points or more)"),
    "on_track": ("进展顺利、达到序时进度", "on track", "P(meet) ≥ 2/3"),
    "at_risk": ("完成有一定难度", "at risk", "1/3 ≤ P(meet) < 2/3"),
    "off_track": ("进度滞后、完成难度较大", "unlikely to be met", "P(meet) < 1/3"),
    "too_few_points": ("暂难判断", "too early to judge",
                       "three points or fewer, or a proxy on another scope than the base: no probability, no firm status"),
    "insufficient_data": ("数据暂缺、暂无法评估", "no data, cannot be assessed",
                          "no published figure after the base year, so no forecast"),
    "qualitative": ("定性目标", "qualitative target",
                    "no numeric target: judged in words from the change's sign and the provincial rank"),
}

#: 时间过半、任务过半: completion share against elapsed-time share (序时进度).
MIDTERM_LABELS: dict[str, tuple[str, str]] = {
    "achieved": ("提前完成", "achieved early"),
    "ahead": ("快于序时进度", "ahead of schedule"),
    "on_schedule": ("符合序时进度", "on schedule"),
    "lagging": ("滞后于序时进度", "behind schedule"),
    "insufficient_data": ("数据暂缺", "no data"),
}

EUROSTAT_LABELS: dict[str, tuple[str, str]] = {
    "met": ("目标已实现", "target met"),
    "significant": ("显著进展", "significant progress"),
    "moderate": ("一定进展", "moderate progress"),
    "insufficient": ("进展不足", "insufficient progress"),
    "away": ("背离目标", "movement away from the target"),
    "insufficient_data": ("数据不足", "insufficient data"),
}

#: The outcome of the target year (final assessment), with the wording for a figure
#: that is not yet out.
OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "met": ("完成", "met"),
    "missed": ("未完成", "missed"),
    "not_published": ("2025年数据尚未公布", "2025 not yet published"),
    "qualitative": ("定性判断", "judged in words"),
}

#: The probability of meeting the target, always said to be a model's.
PROB_LABEL = ("实现概率（模型测算）", "P(meet), model estimate")

#: Where a figure comes from, as a statistician says it: a flash release (快报), the
#: statistical bulletin (公报), a yearbook (年鉴), another final figure, a revision.
FIGURE_KIND_LABELS: dict[str, tuple[str, str]] = {
    "flash": ("快报", "flash"),
    "bulletin": ("公报", "bulletin"),
    "yearbook": ("年鉴", "yearbook"),
    "final": ("终核数", "final"),
    "revised": ("修订数", "revised"),
    "plan": ("规划基期", "plan base"),
}
#: Preliminary or final, for the outcome (a bulletin's figure is preliminary).
FIGURE_STATUS_LABELS: dict[str, tuple[str, str]] = {
    "preliminary": ("初步数", "preliminary"),
    "final": ("最终数", "final"),
    "revised": ("修订数", "revised"),
}

#: Distinct marks: a proxy, a value derived from published parts, a low-confidence source.
#: Each mark is the first character of its Chinese term, printed as a superscript.
MARKS: dict[str, tuple[str, str, str]] = {
    "proxy": ("替", "替代指标", "proxy"),
    "derived": ("推", "推算", "derived from published parts"),
    "low_confidence": ("低", "低可信度", "low-confidence source"),
    "preliminary": ("初", "初步数", "preliminary figure"),
}

#: Signed change: the word after the sign.
CHANGE_WORDS = {1: ("上升", "up"), -1: ("下降", "down"), 0: ("持平", "unchanged")}
