"""Data-quality report (数据质量): per data-spec table, completeness (mandatory fields filled,
lengths, formats and code lists as the spec says) and timeliness (the record reached the
feed — its ledger entry integrated into the log — within the deadline after the event).

Deadlines are data, each with its reference and verification tag (DOMAIN.md §0.1); a
deployment overrides them with ``settings.GGZY_OPENDATA_DEADLINES`` (same shape).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.conf import settings

from ggzy import clock
from ggzy.opendata import plugins, tables

_TIMELY = "公共资源交易信息应当及时公布（《宁波市公共资源交易管理条例》第二十三条）"
DEADLINES: dict[str, dict[str, Any]] = {
    "500": {
        "hours": 24,
        "event": "项目进场登记（CREATE_TIME）",
        "reference": _TIMELY + "；24 小时为省平台对接的常用时限",
        "tag": "M",
    },
    "501": {"hours": 24, "event": "招标项目建立", "reference": _TIMELY, "tag": "M"},
    "502": {"hours": 24, "event": "标段（包）建立", "reference": _TIMELY, "tag": "M"},
    "503": {
        "hours": 24,
        "event": "招标公告发布（NOTICE_SEND_TIME）",
        "reference": (
            "《招标公告和公示信息发布管理办法》（国家发展改革委令第10号）要求招标公告同步发布；"
            + _TIMELY
        ),
        "tag": "M",
    },
    "506": {"hours": 24, "event": "开标（BID_OPENING_TIME）", "reference": _TIMELY, "tag": "M"},
    "519": {"hours": 24, "event": "投标文件递交", "reference": _TIMELY, "tag": "M"},
    "508": {"hours": 24, "event": "评标结束", "reference": _TIMELY, "tag": "M"},
    "510": {"hours": 24, "event": "评标报告提交", "reference": _TIMELY, "tag": "M"},
    "511": {
        "hours": 72,
        "event": "收到评标报告",
        "reference": (
            "招标人应当自收到评标报告之日起3日内公示中标候选人（招标投标法实施条例第五十四条）"
        ),
        "tag": "V-law",
    },
    "512": {"hours": 24, "event": "合同签订", "reference": _TIMELY, "tag": "M"},
    "513": {"hours": 24, "event": "确定中标人", "reference": _TIMELY, "tag": "M"},
    "517": {
        "hours": 24,
        "event": "流标或终止招标（APPROVAL_TIME）",
        "reference": "终止招标应当及时发布公告（招标投标法实施条例第三十一条）；" + _TIMELY,
        "tag": "M",
    },
    "550": {"hours": 24, "event": "采购项目子包建立", "reference": _TIMELY, "tag": "M"},
    "551": {
        "hours": 24,
        "event": "采购公告发布（BULLETIN_START_TIME）",
        "reference": _TIMELY,
        "tag": "M",
    },
    "552": {"hours": 24, "event": "更正公告发布", "reference": _TIMELY, "tag": "M"},
    "553": {
        "hours": 48,
        "event": "确定中标（成交）供应商",
        "reference": (
            "自中标、成交供应商确定之日起2个工作日内发出通知书并公告结果"
            "（政府采购法实施条例第四十三条；此处按48小时计）"
        ),
        "tag": "V-law",
    },
    "554": {
        "hours": 48,
        "event": "政府采购合同签订（SIGNING_TIME 签订日的次日零时起算）",
        "reference": (
            "采购人应当自政府采购合同签订之日起2个工作日内将合同公告"
            "（政府采购法实施条例第五十条；按工作日历计算的 2 个工作日期满为准，"
            "即合同的应公告期限；无该期限时按48小时计）"
        ),
        "tag": "V-law",
    },
    "556": {"hours": 24, "event": "开标（BID_OPENING_TIME）", "reference": _TIMELY, "tag": "M"},
}


def deadlines() -> dict[str, dict[str, Any]]:
    return {**DEADLINES, **dict(getattr(settings, "GGZY_OPENDATA_DEADLINES", {}))}


def _timeliness(rows: list[tables.ExportRow], rule: dict[str, Any] | None) -> dict[str, Any]:
    if rule is None:
        return {"measured": 0}
    limit = dt.timedelta(hours=float(rule["hours"]))
    now = clock.now()
    on_time = late = pending = 0
    worst = 0.0
    for r in rows:
        if r.event_at is None:
            continue
        due = r.due_at or r.event_at + limit  # a row's own (working-day) deadline wins
        if r.published_at is None:  # not in the feed yet: late once the deadline passed
            if now > due:
                late += 1
            else:
                pending += 1
            continue
        delay = (r.published_at - r.event_at).total_seconds()
        worst = max(worst, delay)
        if r.published_at <= due:
            on_time += 1
        else:
            late += 1
    measured = on_time + late
    return {
        **rule,
        "measured": measured,
        "on_time": on_time,
        "late": late,
        "pending": pending,
        "ratio": round(on_time / measured, 4) if measured else None,
        "max_delay_seconds": round(worst, 3),
    }


def report(*, since: dt.datetime | None = None) -> dict[str, Any]:
    rules = deadlines()
    out = []
    for code, exporter in plugins.table_exporters().items():
        spec = tables.table_spec(code)
        if spec is None:
            continue
        rows = list(tables.checked_rows(code, since))
        by_field: dict[str, Counter[str]] = {}
        for r in rows:
            for issue in r.issues:
                by_field.setdefault(issue.field, Counter())[issue.kind] += 1
        complete = sum(1 for r in rows if not r.issues)
        samples = [
            {"record_id": r.record_id, "ocid": r.ocid, "issues": [i.as_dict() for i in r.issues]}
            for r in rows
            if r.issues
        ][:5]
        out.append(
            {
                "code": code,
                "name": spec.name,
                "label": spec.label,
                "rows": len(rows),
                "complete": complete,
                "completeness": round(complete / len(rows), 4) if rows else None,
                "fields": {
                    name: dict(sorted(kinds.items())) for name, kinds in sorted(by_field.items())
                },
                "timeliness": _timeliness(rows, rules.get(exporter.timeliness)),
                "samples": samples,
            }
        )
    return {
        "generated_at": clock.now().isoformat(),
        "spec_version": tables.spec_version(),
        "tables": out,
    }
