"""Contracts → open data (数据一网共享): the OCDS ``contract`` stage, the data-spec tables
512 合同 (CONTRACT_PERFORMANCE, works) and 554 采购合同 (PURCHASE_CONTRACT, government
procurement), and the public feed events. Registered from :meth:`ContractsConfig.ready`
through :mod:`ggzy.opendata.plugins`; this replaces the open-data app's hooks (``contract``
stage, table 512 registered with ``default=True``).

Nothing of a contract is public before its contract notice (合同公告) is published: the
recording and the file upload are not feed events, and the tables and OCDS read only
published versions. Each release describes the contract as published at its date (version
1 = ``contract``, each correction = ``contractAmendment``), from the stored version data,
so a release never changes afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ggzy.contracts.models import Contract, ContractVersion, PriceForm, Status

SUBJECT = "contracts.contract"
PUBLISHED = "contracts:contract:published"
AMENDED = "contracts:contract:amended"
TABLES = ("512", "554")


def _published() -> Any:
    return Contract.objects.filter(status=Status.PUBLISHED).select_related(
        "tender__section__tender_project__project",
        "tenderer",
        "winner",
        "session__winner",
    )


def is_procurement(trade_type_code: str) -> bool:
    """Government procurement (政府采购) trade types export 554, the others 512."""
    from ggzy.core.errors import DomainError
    from ggzy.rules.selectors import trade_type_get

    try:
        return bool(trade_type_get(trade_type_code).category == "procurement")
    except DomainError:
        return trade_type_code.startswith("gp.")


# ---- OCDS: the contract stage --------------------------------------------------------------


def _contract_object(ctx: Any, contract: Contract, v: ContractVersion) -> dict[str, Any]:
    from decimal import Decimal

    from ggzy.rules.timecalc import start_of_day

    d = v.data
    signed = dt.date.fromisoformat(d["signed_on"])
    review = contract.session.reviews.filter(bid=contract.session.winner).first()
    form = PriceForm(d["price_form"]).label
    amount, other = _amount(v)  # a rate (费率/比率) or other form is no 元 amount
    rate = f"；合同价款：{other}" if other else ""
    reason = f"；与中标价不一致的理由：{d['price_reason']}" if d["price_reason"] else ""
    documents: list[dict[str, Any]] = [
        {
            "id": f"notice-v{v.number}",
            "documentType": "contractNotice",
            "title": "合同更正公告" if v.number > 1 else "合同公告",
            "url": ctx.url("contracts:tender", contract.tender_id),
            "datePublished": ctx.iso(v.created_at),
            "format": "text/html",
            "language": "zh",
        }
    ]
    if d["file"]["sha256"]:
        documents.append(
            {
                "id": f"signed-{d['file']['sha256'][:16]}",
                "documentType": "contractSigned",
                "title": f"{d['name']}（已签署）",
                "description": f"合同文件 SHA-256 {d['file']['sha256']}",
                "url": ctx.url("contracts:version_file", contract.pk, v.number),
                "datePublished": ctx.iso(v.created_at),
                "language": "zh",
                "sha256": d["file"]["sha256"],
            }
        )
    out: dict[str, Any] = {
        "id": f"contract-{contract.pk}",
        "awardID": str(review.pk) if review is not None else str(contract.session_id),
        "title": d["name"],
        "description": (
            f"合同编号 {d['code']}；{d['content']}；价款形式：{form}；"
            f"质量要求：{d['quality'] or '—'}{rate}{reason}"
        )[:4000],
        "status": "active",
        "dateSigned": ctx.iso(start_of_day(signed)),
        "period": {"startDate": ctx.iso(start_of_day(signed)), "durationInDays": d["term_days"]},
        "documents": documents,
    }
    if amount:  # OCDS value = an amount in 元 (金额/单价 forms only, as in 512/554)
        out["value"] = ctx.value(Decimal(amount))
    return out


def contract_releases(ctx: Any) -> list[dict[str, Any]]:
    """One ``contract`` release at the first contract notice, one ``contractAmendment``
    release per correction (with ``amendments`` chaining the release ids)."""
    tender = ctx.tender
    if tender is None:
        return []
    contract = _published().filter(tender=tender).first()
    if contract is None:
        return []
    out: list[dict[str, Any]] = []
    amendments: list[dict[str, Any]] = []
    previous = ""
    for v in ContractVersion.objects.filter(contract=contract).order_by("number"):
        key = "contract" if v.number == 1 else f"contract-amendment-{v.number}"
        release_id = f"{ctx.ocid}-{key}"
        obj = _contract_object(ctx, contract, v)
        if v.number > 1:
            amendments.append(
                {
                    "id": str(v.number),
                    "date": ctx.iso(v.created_at),
                    "rationale": v.reason,
                    "description": f"合同更正（第 {v.number - 1} 次）",
                    "amendsReleaseID": previous,
                    "releaseID": release_id,
                }
            )
            obj["amendments"] = list(amendments)
        out.append(
            {
                "key": key,
                "date": v.created_at,
                "tag": ["contract"] if v.number == 1 else ["contractAmendment"],
                "contracts": [obj],
            }
        )
        previous = release_id
    return out


# ---- data-spec tables ---------------------------------------------------------------------


def _latest(contract: Contract) -> ContractVersion | None:
    return ContractVersion.objects.filter(contract=contract).order_by("-number").first()


def _rows(since: dt.datetime | None, procurement: bool) -> list[Any]:
    """Published contracts whose latest published version (first notice or correction, 合同更正)
    is at or after ``since``: an incremental export carries every correction."""
    from django.db.models import OuterRef, Subquery

    from ggzy.opendata.tables import since_filter

    last = (
        ContractVersion.objects.filter(contract=OuterRef("pk"))
        .order_by("-number")
        .values("created_at")[:1]
    )
    qs = _published().annotate(last_published_at=Subquery(last))
    qs = since_filter(qs, "last_published_at", since).order_by("last_published_at", "pk")
    return [
        c
        for c in qs
        if is_procurement(c.tender.section.tender_project.trade_type_code) == procurement
    ]


def _with_times(rows: list[Any]) -> list[Any]:
    from ggzy.opendata.tables import published_times

    times = published_times(SUBJECT, [r.record_id.split("-v")[0] for r in rows], [PUBLISHED])
    for r in rows:
        _recorded, integrated = times.get(r.record_id.split("-v")[0], (None, None))
        r.published_at = integrated
    return rows


def _sign_time(v: ContractVersion) -> str:
    from ggzy.opendata.tables import dt14
    from ggzy.rules.timecalc import start_of_day

    return dt14(start_of_day(dt.date.fromisoformat(v.data["signed_on"])))


def _signing_clock(v: ContractVersion) -> dt.datetime:
    """When the 2-working-day clock of the contract notice starts (政府采购法实施条例第五十条,
    "自政府采购合同签订之日起"): the signing day itself is not counted (民法典第二百零一条), so
    the start of the next day (Asia/Shanghai). The deadline itself is the row's ``due_at`` =
    the contract's ``publish_due`` (2 working days by the calendar, computed by the service),
    so a Friday signing published on Monday is on time."""
    from ggzy.rules.timecalc import start_of_day

    return start_of_day(dt.date.fromisoformat(v.data["signed_on"]) + dt.timedelta(days=1))


def _amount(v: ContractVersion) -> tuple[str, str]:
    """(amount field, other price field): an amount for 金额/单价 forms, the text otherwise."""
    if v.data["price_form"] in (PriceForm.AMOUNT, PriceForm.UNIT_PRICE):
        return v.data["price"], ""
    return "", f"{v.data['price']}（{PriceForm(v.data['price_form']).label}）"


def contract_rows(since: dt.datetime | None) -> Iterable[Any]:
    """512 合同 (works and the other non-procurement trades): one row per published contract,
    as last published. ``event_at`` = recorded on the platform (合同签订 reported)."""
    from ggzy.opendata.ocds import ocid_for
    from ggzy.opendata.tables import CURRENCY, PRICE_UNIT_YUAN, ExportRow, dt14

    rows: list[ExportRow] = []
    for c in _rows(since, procurement=False):
        v = _latest(c)
        if v is None:
            continue
        s = c.tender.section
        d = v.data
        amount, other = _amount(v)
        rows.append(
            ExportRow(
                record_id=f"{c.pk}-v{v.number}",
                ocid=ocid_for(s.unified_deal_code),
                event_at=c.recorded_at,
                row={
                    "TENDER_PROJECT_CODE": s.tender_project.code,
                    "BID_SECTION_CODE": s.code,
                    "UNIFIED_DEAL_CODE": s.unified_deal_code,
                    "CONTRACT_NAME": d["name"],
                    "TENDERER_NAME": d["tenderer"]["name"],
                    "TENDER_CODE": d["tenderer"]["uscc"],
                    "BIDDER_NAME": d["winner"]["name"],
                    "BIDDER_CODE": d["winner"]["uscc"],
                    "CONTRACT_PRICE": amount,
                    "PRICE_CURRENCY": CURRENCY,
                    "PRICE_UNIT": PRICE_UNIT_YUAN,
                    "PRICE_FORM_CODE": d["price_form"],
                    "OTHER_CONTRACT_PRICE": other,
                    "CONTRACT_CONTENT": d["content"],
                    "LIMITE_TIME": str(d["term_days"]),
                    "QUALITY_REQUIRE": d["quality"],
                    "SUBMIT_TIME": dt14(c.recorded_at),
                    "CONTRACT_SIGN_TIME": _sign_time(v),
                    "CONTRACT_CODE": d["code"],  # V4
                },
            )
        )
    return _with_times(rows)


def purchase_contract_rows(since: dt.datetime | None) -> Iterable[Any]:
    """554 采购合同 (government procurement): one row per published contract, as last
    published, with the portal's contract notice as ``URL``. ``LEGAL_ROLE`` (主体角色类型,
    set 26) comes from ``GGZY_OPENDATA_CODES["ROLE_TENDERER"]``; empty and flagged until set.
    ``event_at`` = the end of the signing day (:func:`_signing_clock`), ``due_at`` = the
    contract's ``publish_due``: the notice is due 2 working days after signing, whenever the
    contract was recorded on the platform."""
    from ggzy.contracts.notices import key_for
    from ggzy.disclosure.models import Notice
    from ggzy.opendata.ocds import ocid_for
    from ggzy.opendata.tables import CURRENCY, PRICE_UNIT_YUAN, ExportRow, abs_url, codes

    c_ = codes()
    rows: list[ExportRow] = []
    for c in _rows(since, procurement=True):
        v = _latest(c)
        if v is None:
            continue
        s = c.tender.section
        tp = s.tender_project
        d = v.data
        amount, other = _amount(v)
        notice = Notice.objects.filter(key=key_for(c, v.number)).first()
        rows.append(
            ExportRow(
                record_id=f"{c.pk}-v{v.number}",
                ocid=ocid_for(s.unified_deal_code),
                event_at=_signing_clock(v),
                due_at=c.publish_due,  # 2 个工作日 (working-day calendar), not 48 hours
                row={
                    "PURCHASE_PROJECT_CODE": tp.code,
                    "PURCHASE_PROJECT_NAME": tp.name,
                    "PURCHASE_SECTION_CODE": s.code,
                    "UNIFIED_DEAL_CODE": s.unified_deal_code,
                    "CONTRACT_NAME": d["name"],
                    "PURCHASER_NAME": d["tenderer"]["name"],
                    "PURCHASER_CODE": d["tenderer"]["uscc"],
                    "LEGAL_ROLE": c_.get("ROLE_TENDERER", ""),
                    "SUPPLIER_NAME": d["winner"]["name"],
                    "SUPPLIER_CODE": d["winner"]["uscc"],
                    "PRICE_FORM_CODE": d["price_form"],
                    "CONTRACT_AMOUNT": amount,
                    "CURRENCY_CODE": CURRENCY,
                    "PRICE_UNIT": PRICE_UNIT_YUAN,
                    "WIN_BID_RATE": other,
                    "CONTRACT_TERM": str(d["term_days"]),
                    "SIGNING_TIME": _sign_time(v),
                    "URL": abs_url("disclosure:notice", notice.pk)
                    if notice is not None
                    else abs_url("contracts:tender", c.tender_id),
                },
            )
        )
    return _with_times(rows)


# ---- feed ---------------------------------------------------------------------------------


def resolve_contracts(ids: list[str]) -> dict[str, str]:
    """contract id → the unified deal code of its section."""
    pks = [int(i) for i in ids if i.isdigit()]
    return {
        str(pk): code
        for pk, code in Contract.objects.filter(pk__in=pks).values_list(
            "pk", "tender__section__unified_deal_code"
        )
    }


def register() -> None:
    from ggzy.opendata import plugins

    plugins.register_release_builder("contract", contract_releases, order=50)
    plugins.register_table("512", contract_rows, timeliness="512")
    # 554 has its own deadline: each row's due_at = publish_due (2 个工作日, 条例第五十条)
    plugins.register_table("554", purchase_contract_rows, timeliness="554")
    plugins.register_feed_event(PUBLISHED, TABLES)
    plugins.register_feed_event(AMENDED, TABLES)
    plugins.register_subject_resolver(SUBJECT, resolve_contracts)
