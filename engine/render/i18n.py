"""The words of the reports themselves (headings, labels, verdicts), in each report language.

A rule's title, message and rationale come from its pack (`title zh "…"`, see
:meth:`engine.model.Standard.in_language`); everything else a report says comes from here. The
key is the English text, so a renderer reads as it prints: ``t(lang, "Verdict")``. A text with
``{fields}`` is formatted after translation, so a translation may move them.

>>> t("zh", "Verdict")
'结论'
>>> t("zh", "{n} more", n=3), t("en", "{n} more", n=3)
('另有 3 项', '3 more')
"""

from __future__ import annotations

import unicodedata

LANGUAGES = ("en", "zh")

ZH: dict[str, str] = {
    # verdicts and outcomes
    "NON-COMPLIANT": "不合规",
    "INCOMPLETE": "资料不全",
    "COMPLIANT WITH OBSERVATIONS": "合规（有意见）",
    "COMPLIANT": "合规",
    "Non-compliant": "不合规",
    "Incomplete": "资料不全",
    "Compliant with observations": "合规（有意见）",
    "Compliant": "合规",
    "At least one mandatory (shall) rule failed.": "至少一条强制性（shall）规则未通过。",
    "No mandatory rule failed, but at least one lacks the data to decide.":
        "没有强制性规则未通过，但至少一条缺少判定所需的数据。",
    "Every mandatory rule passed; some recommended (should) rules failed.":
        "强制性规则全部通过；部分推荐性（should）规则未通过。",
    "Every mandatory and recommended rule that applies passed.": "适用的强制性和推荐性规则全部通过。",
    "Fail": "未通过",
    "Insufficient data": "数据不足",
    "Waived": "已豁免",
    "Pass": "通过",
    "Not applicable": "不适用",
    "pass": "通过",
    "fail": "未通过",
    "insufficient data": "数据不足",
    "not applicable": "不适用",
    "waived": "已豁免",
    "lack data": "缺数据",
    "shall": "应",
    "should": "宜",
    "may": "可",
    # the summary
    "Standard:": "标准：",
    "Profile:": "细则：",
    "Plan:": "规划：",
    "Sources:": "数据源：",
    "Measured:": "量测：",
    "Verdict:": "结论：",
    "Rules:": "规则：",
    "Verdict": "结论",
    "Scores by goal level": "按目标层级得分",
    "Scores by process stage": "按规划阶段得分",
    "Scores by restoration object category": "按修复对象类别得分",
    "no rule applies: {names}": "无适用规则：{names}",
    "Failed — shall": "未通过 — 应（强制）",
    "Failed — should (observations)": "未通过 — 宜（意见）",
    "Failed — may (information)": "未通过 — 可（提示）",
    "evidence: {line}": "证据：{line}",
    "cite: {text}": "依据：{text}",
    "waived{by}: {reason}": "已豁免{by}：{reason}",
    " by {who}": "（{who}）",
    "of {total} rows: {parts}": "共 {total} 行：{parts}",
    "of {total} groups: {parts}": "共 {total} 组：{parts}",
    "... and {n} more (see the JSON or CSV report)": "……另有 {n} 项（见 JSON 或 CSV 报告）",
    "{n} changes": "{n} 处修改",
    "  (covers only {rules} in scope: {selection}; {out} out of scope)":
        "（仅涵盖范围内的 {rules} 条规则：{selection}；{out} 条在范围外）",
    "{crs} ({name}), {by} CRS; {layers} layers{repairs}": "{crs}（{name}），{by}坐标系；{layers} 个图层{repairs}",
    "the standard's": "标准的",
    "the plan's": "规划的",
    "the layers'": "图层的",
    "; {n} shapes repaired": "；修复 {n} 个图形",
    "n/a": "无",
    "{n} more": "另有 {n} 项",
    "actual {actual}, required {required}": "实际 {actual}，要求 {required}",
    "missing data: {fields}": "缺失数据：{fields}",
    # waivers
    "Waivers": "豁免",
    "{n} waiver(s) in {file}": "{file} 中的豁免 {n} 项",
    ", judged on {date} ({how})": "，按 {date} 判定（{how}）",
    "given with --as-of": "由 --as-of 指定",
    "the plan's date": "规划日期",
    "the day of the run": "运行当日",
    "active": "有效",
    "expiring": "即将到期",
    "expired": "已过期",
    "unused": "未使用",
    "{days} days left": "剩余 {days} 天",
    ".": "。",
    "covers {n}": "覆盖 {n} 项",
    "expires {date}": "{date} 到期",
    "Waiver": "豁免",
    "Scope": "范围",
    "Status": "状态",
    "Covers": "覆盖",
    "Reason": "理由",
    "By · approved · reference": "记录人 · 批准人 · 文号",
    "Expires": "到期",
    # Markdown
    "nbscheck: {verdict}": "nbscheck：{verdict}",
    "**{plan}** ({plan_id}{version}) checked against **{standard}** {standard_version}.":
        "**{plan}**（{plan_id}{version}）依据 **{standard}** {standard_version} 审查。",
    "Shall rules that failed or lack data ({n})": "未通过或缺少数据的强制性规则（{n}）",
    "Other findings: {kinds}": "其他发现：{kinds}",
    "Rule": "规则",
    "Strength": "强度",
    "Finding": "发现",
    "{n} object(s): {names}{more}": "{n} 个对象：{names}{more}",
    " and {n} more": " 等，另有 {n} 个",
    "waived: {names}{more}": "已豁免：{names}{more}",
    "waiver: {reason}": "豁免理由：{reason}",
    "… and {n} more rules": "……另有 {n} 条规则",
    "{n} should rule(s) failed": "{n} 条推荐性规则未通过",
    "{n} may rule(s) failed": "{n} 条提示性规则未通过",
    "{n} rule(s) lacking data": "{n} 条规则缺少数据",
    "{n} rule(s) waived": "{n} 条规则已豁免",
    "nbscheck {version} · standard sha256 {std} · plan sha256 {plan} · every failing object is listed in {csv}":
        "nbscheck {version} · 标准 sha256 {std} · 规划 sha256 {plan} · 全部未通过对象见 {csv}",
    # HTML
    "Compliance report · {title}": "合规审查报告 · {title}",
    "Plan": "规划",
    "version": "版本",
    "checked against": "审查依据",
    "with profile": "细则",
    "Rule outcomes": "规则结果",
    "Show only these rules": "只显示这些规则",
    "Mandatory (shall) failures": "强制性（应）未通过",
    "What was checked": "审查对象",
    "Version": "版本",
    "Files": "文件",
    "Standard": "标准",
    "Edition": "版次",
    "Jurisdiction": "适用地区",
    "Profile": "细则",
    "Scores": "得分",
    "A score is the share of applicable shall and should rules that passed; may rules, waived and "
    "not-applicable rules count in neither part.":
        "得分为适用的应、宜规则中通过的比例；可规则、已豁免和不适用的规则不计入分子和分母。",
    "By goal level": "按目标层级",
    "Goal level": "目标层级",
    "By planning stage": "按规划阶段",
    "Stage": "阶段",
    "By restoration object category": "按修复对象类别",
    "Category": "类别",
    "Passed": "通过",
    "Applicable": "适用",
    "Score": "得分",
    "Findings by rule": "各规则的发现",
    "Outcome": "结果",
    "All": "全部",
    "Search": "搜索",
    "rule, object key, message…": "规则、对象编号、消息……",
    "{shown} of {total} rules shown": "显示 {shown} / {total} 条规则",
    "Expand all": "全部展开",
    "Collapse all": "全部折叠",
    "Reset filters": "重置筛选",
    "strength, severity": "强度、严重程度",
    "data in": "数据位于",
    "rule source": "规则源",
    "show on the map": "在地图上显示",
    "Evidence": "证据",
    "Check": "检查",
    "Actual": "实际",
    "Required": "要求",
    "applies when the rule's condition holds": "规则条件成立时适用",
    "yes": "是",
    "no": "否",
    "Missing data:": "缺失数据：",
    "{n} object(s) that did not pass": "{n} 个对象未通过",
    " — showing the first {n}": " — 显示前 {n} 个",
    "Object": "对象",
    "Location": "位置",
    "Message": "消息",
    "Show on the map": "在地图上显示",
    "Why it matters.": "为何重要。",
    "No rule matches these filters.": "没有符合筛选条件的规则。",
    "What failed first": "首要问题",
    "{n} object(s)": "{n} 个对象",
    "Every rule that applies passed.": "适用的规则全部通过。",
    "Every rule that applies passed or was waived.": "适用的规则全部通过或已豁免。",
    "… and {n} more rule(s) that did not pass, listed under “Findings by rule”.":
        "……另有 {n} 条未通过的规则，见“各规则的发现”。",
    "Produced by nbscheck {version} (report format {format}). This page is self-contained: it loads nothing "
    "from the network. The JSON, CSV, SARIF and JUnit reports carry the same results.":
        "由 nbscheck {version} 生成（报告格式 {format}）。本页自成一体，不从网络加载任何内容。"
        "JSON、CSV、SARIF 和 JUnit 报告载有相同的结果。",
    "rows": "行",
    "groups": "组",
    "{n} {unit}{by} checked": "检查 {n} {unit}{by}",
    " by {column}": "（按 {column}）",
    "plan-level rule": "规划层面规则",
    # the request for information
    "Request for information: {plan}": "补充资料通知：{plan}",
    " version {version}": " 版本 {version}",
    "Plan `{plan}`{version}, checked against {standard} {standard_version}.":
        "规划 `{plan}`{version}，依据 {standard} {standard_version} 审查。",
    "No rule is waiting on missing data.": "没有规则在等待缺失的数据。",
    "Data is missing in {n} places; in {blocking} of them it keeps a mandatory (shall) rule from deciding, and so "
    "keeps the plan from a verdict. Please provide it and resubmit.":
        "共有 {n} 处数据缺失；其中 {blocking} 处使强制性（shall）规则无法判定，从而使规划无法得出结论。"
        "请补充后重新提交。",
    "Plan-level values and table totals": "规划层面的数值和表格合计",
    "missing": "缺失",
    "where": "位置",
    "rules waiting": "等待的规则",
    "Table `{table}` ({n} objects)": "表 `{table}`（{n} 个对象）",
    "object": "对象",
    "group {key}": "组 {key}",
    # messages the evaluator writes
    "not applicable: the plan has no rows of {names}": "不适用：规划中没有 {names} 的行",
    "{message} (and {n} more)": "{message}（另有 {n} 项）",
    "{title} — `{text}` does not hold": "{title} — `{text}` 不成立",
    "insufficient data: {fields} missing": "数据不足：缺少 {fields}",
    "insufficient data: a value it needs is undefined (a lookup without that key, a division by zero, an aggregate "
    "of no rows, a row that matches no other row, or a series with no measurement at that time, fewer than two "
    "measurements, or a gap longer than its interval)":
        "数据不足：所需的某个值无定义（查找表中没有该键、除以零、对零行求聚合、某行找不到对应的行，"
        "或时间序列在该时间没有测量值、测量少于两次或间隔超过其测量周期）",
    # CI formats
    "Rules without a process stage": "未标注规划阶段的规则",
    "Not failing at --fail-on {gate}:": "在 --fail-on {gate} 下不计为失败：",
    "In the standard: {link}": "标准原文：{link}",
    "waived by a reviewer": "经审查人豁免",
    "{rule}: {n} more failing rows are not listed here; the CSV report lists every row":
        "{rule}：另有 {n} 个未通过的行未在此列出；CSV 报告列出全部行",
    "lacks data": "缺少数据",
    "failed": "未通过",
    # quantified fixes
    "fix: {text}": "整改：{text}",
    "How to fix.": "如何整改。",
    "raise {quantity} from {old} to more than {new} ({change})": "将 {quantity} 从 {old} 提高到 {new} 以上（{change}）",
    "raise {quantity} from {old} to {new} ({change})": "将 {quantity} 从 {old} 提高到 {new}（{change}）",
    "lower {quantity} from {old} to less than {new} ({change})": "将 {quantity} 从 {old} 降低到 {new} 以下（{change}）",
    "lower {quantity} from {old} to {new} ({change})": "将 {quantity} 从 {old} 降低到 {new}（{change}）",
    "raise {quantity} from {old} to more than {new}": "将 {quantity} 从 {old} 提高到 {new} 以上",
    "lower {quantity} from {old} to less than {new}": "将 {quantity} 从 {old} 降低到 {new} 以下",
    "raise {quantity} from {old} to {new}": "将 {quantity} 从 {old} 提高到 {new}",
    "lower {quantity} from {old} to {new}": "将 {quantity} 从 {old} 降低到 {new}",
    "{n} change(s)": "{n} 处修改",
    "{n} object key(s) match: {keys}": "{n} 个对象编号匹配：{keys}",
}


def t(lang: str, text: str, /, **fields) -> str:
    """``text`` in ``lang`` (the catalogue's entry; English is the text itself), with ``fields`` filled in."""
    out = text if lang == "en" else ZH[text]
    return out.format(**fields) if fields else out


def width(text: str) -> int:
    """The columns a terminal gives ``text``: a wide (CJK) character takes two.

    >>> width("L1 生态环境修复"), width("L1 Ecological")
    (15, 13)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` padded with spaces to ``columns`` as a terminal shows it."""
    return text + " " * max(columns - width(text), 0)
