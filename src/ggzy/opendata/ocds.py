"""OCDS 1.1 (Open Contracting Data Standard) releases and records built from the platform's
models. One contracting process = one section (标段（包）): ``ocid = <prefix><unified deal
code>`` (统一交易标识码), the prefix from ``settings.GGZY_OCDS_PREFIX`` (default
``ocds-ggzy-``).

Stages are plug-ins (:mod:`ggzy.opendata.plugins`); this module registers planning, tender,
amendments (澄清或修改), enquiries (异议答复), opening (bids extension, only once the opening
record exists) and the no-op ``award`` / ``contract`` hooks. Every release describes the
process as of its own date, so a release id never changes content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from ggzy import clock
from ggzy.opendata import plugins
from ggzy.projects.models import Section, TenderMode
from ggzy.registry.models import Organization
from ggzy.tendering.models import (
    BidOpening,
    Clarification,
    Consistency,
    DocumentKind,
    Objection,
    ObjectionStatus,
    OpeningState,
    Tender,
    TenderStatus,
)

OCDS_VERSION = "1.1"
EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_enquiry_extension/v1.1.5/extension.json",
]
PARTY_SCHEME = (
    "CN-SAMR"  # org-id.guide: 统一社会信用代码 (State Administration for Market Regulation)
)
CURRENCY = "CNY"

TENDER_STATUS = {
    TenderStatus.DRAFT: "planning",
    TenderStatus.ANNOUNCED: "active",
    TenderStatus.OPENING: "active",
    TenderStatus.OPENED: "active",  # "complete" once an award exists (evaluation app)
    TenderStatus.FAILED: "unsuccessful",
    TenderStatus.TERMINATED: "cancelled",
}
PUBLIC_STATUSES = frozenset(TENDER_STATUS) - {TenderStatus.DRAFT}
OPENING_PUBLISHED = frozenset({OpeningState.RECORDED, OpeningState.CLOSED, OpeningState.FAILED})


def opening_published_q(prefix: str = "") -> Q:
    """Opening sessions whose record is public: recorded, closed or failed — and a session
    stopped by termination (终止招标) after its record was made, so a record once published
    never disappears from the exports."""
    return Q(**{f"{prefix}state__in": list(OPENING_PUBLISHED)}) | (
        Q(**{f"{prefix}state": OpeningState.TERMINATED}) & ~Q(**{f"{prefix}record_sha256": ""})
    )


def opening_is_published(session: Any) -> bool:
    return session.state in OPENING_PUBLISHED or (
        session.state == OpeningState.TERMINATED and bool(session.record_sha256)
    )


def ocid_prefix() -> str:
    return str(getattr(settings, "GGZY_OCDS_PREFIX", "ocds-ggzy-"))


def ocid_for(unified_deal_code: str) -> str:
    return f"{ocid_prefix()}{unified_deal_code}"


def base_url() -> str:
    return str(getattr(settings, "GGZY_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")


def iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return (
        dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        .isoformat()
        .replace("+00:00", "Z")
    )


def _drop_empty(value: Any) -> Any:
    """OCDS forbids nulls in most places and empty strings are noise: drop both."""
    if isinstance(value, dict):
        out = {k: _drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


@dataclass
class ProcessContext:
    """One contracting process (a section) as the stage builders see it."""

    section: Section
    tender: Tender | None
    ocid: str
    extra: dict[str, Any] = field(default_factory=dict)  # for plug-ins to share lookups

    @staticmethod
    def iso(value: dt.datetime | dt.date | None) -> str | None:
        return iso(value)

    @staticmethod
    def party_id(org: Organization) -> str:
        return f"{PARTY_SCHEME}-{org.uscc}"

    def ref(self, org: Organization) -> dict[str, str]:
        return {"id": self.party_id(org), "name": org.name}

    def party(self, org: Organization, *roles: str) -> dict[str, Any]:
        return {
            "id": self.party_id(org),
            "name": org.name,
            "identifier": {"scheme": PARTY_SCHEME, "id": org.uscc, "legalName": org.name},
            "address": {
                "streetAddress": org.address,
                "region": org.region_code,
                "countryName": "中国",
            },
            "contactPoint": {"telephone": org.contact_phone} if org.contact_phone else None,
            "roles": list(roles),
        }

    @staticmethod
    def value(amount: Decimal | None) -> dict[str, Any] | None:
        if amount is None:
            return None
        return {"amount": float(amount), "currency": CURRENCY}

    def url(self, name: str, *args: Any) -> str:
        return base_url() + reverse(name, args=args)


# ---- the core stages ------------------------------------------------------------------


def _planning(ctx: ProcessContext) -> list[dict[str, Any]]:
    section = ctx.section
    tp = section.tender_project
    project = tp.project
    milestones = []
    if project.approval_number or project.approval_date:
        milestones.append(
            {
                "id": "approval",
                "title": project.approval_name or "项目审批（核准、备案）",
                "type": "approval",
                "status": "met",
                "dateMet": iso(project.approval_date),
                "description": "；".join(
                    x for x in (project.approval_number, project.approval_authority) if x
                ),
            }
        )
    buyer = tp.tenderer
    return [
        {
            "key": "planning",
            "date": section.created_at,
            "tag": ["planning"],
            "parties": [ctx.party(buyer, "buyer")]
            + (
                [ctx.party(project.legal_person, "funder")]
                if project.legal_person_id != buyer.pk
                else []
            ),
            "buyer": ctx.ref(buyer),
            "planning": {
                "rationale": project.project_scale or project.name,
                "budget": {
                    "id": project.code,
                    "description": project.fund_source or "项目投资估算",
                    "amount": ctx.value(project.budget),
                    "project": project.name,
                    "projectID": project.code,
                },
                "milestones": milestones,
            },
            "tender": {
                "id": section.code,
                "title": section.name,
                "description": section.content or tp.tender_content,
                "status": "planning",
                "value": ctx.value(section.estimated_price),
                "procurementMethod": _method(tp.tender_mode),
                "procurementMethodDetails": tp.get_tender_mode_display(),
                "mainProcurementCategory": _category(tp.trade_type_code),
            },
        }
    ]


def _method(mode: str) -> str:
    methods: dict[str, str] = {TenderMode.OPEN.value: "open", TenderMode.INVITE.value: "selective"}
    return methods.get(mode, "direct")


def _category(trade_type: str) -> str | None:
    """OCDS mainProcurementCategory; a government-procurement type (``gp.*``) covers goods,
    services and works alike, so it is left out rather than guessed."""
    head = trade_type.split(".", 1)[0]
    if head == "gp":
        return None
    return {"works": "works", "goods": "goods", "services": "services"}.get(head, "works")


def _document(ctx: ProcessContext, doc: Any) -> dict[str, Any]:
    return {
        "id": f"doc-{doc.pk}",
        "documentType": "clarifications"
        if doc.kind == DocumentKind.CLARIFICATION
        else "biddingDocuments",
        "title": doc.name,
        "description": f"SHA-256: {doc.sha256}；{doc.size} 字节",
        "url": ctx.url("tendering:detail", ctx.tender.pk if ctx.tender else 0),
        "datePublished": iso(doc.uploaded_at),
        "format": "application/pdf"
        if doc.name.lower().endswith(".pdf")
        else "application/octet-stream",
        "language": "zh",
        "sha256": doc.sha256,  # local field: the hash that is on the ledger
    }


def _tender_block(
    ctx: ProcessContext, tender: Tender, *, end: dt.datetime | None, upto: dt.datetime
) -> dict[str, Any]:
    tp = ctx.section.tender_project
    documents = [_document(ctx, d) for d in tender.documents.all() if d.uploaded_at <= upto]
    documents.insert(
        0,
        {
            "id": "notice",
            "documentType": "tenderNotice",
            "title": tender.title,
            "url": ctx.url("tendering:detail", tender.pk),
            "datePublished": iso(tender.announced_at),
            "format": "text/html",
            "language": "zh",
        },
    )
    procuring = tp.agency or tp.tenderer
    return {
        "id": ctx.section.code,
        "title": tender.title,
        "description": ctx.section.content or tp.tender_content,
        "status": "active",
        "procuringEntity": ctx.ref(procuring),
        "value": ctx.value(ctx.section.estimated_price),
        "procurementMethod": _method(tp.tender_mode),
        "procurementMethodDetails": tp.get_tender_mode_display(),
        "mainProcurementCategory": _category(tp.trade_type_code),
        "submissionMethod": ["electronicSubmission"],
        "submissionMethodDetails": f"加密投标文件在线递交；开标地点：{tender.opening_place}",
        "tenderPeriod": {"startDate": iso(tender.announced_at), "endDate": iso(end)},
        "eligibilityCriteria": ctx.section.qualification,
        "documents": documents,
    }


def _clarifications(tender: Tender) -> list[Clarification]:
    return list(tender.clarifications.order_by("issued_at", "pk"))


def _tender(ctx: ProcessContext) -> list[dict[str, Any]]:
    tender = ctx.tender
    if tender is None or tender.status not in PUBLIC_STATUSES or tender.announced_at is None:
        return []
    clars = _clarifications(tender)
    first_end = clars[0].old_deadline if clars else tender.bid_deadline
    tp = ctx.section.tender_project
    parties = [ctx.party(tp.tenderer, "buyer", *([] if tp.agency else ["procuringEntity"]))]
    if tp.agency:
        parties.append(ctx.party(tp.agency, "procuringEntity"))
    out = [
        {
            "key": "tender",
            "date": tender.announced_at,
            "tag": ["tender"],
            "parties": parties,
            "tender": _tender_block(ctx, tender, end=first_end, upto=tender.announced_at),
        }
    ]
    amendments: list[dict[str, Any]] = []
    previous = f"{ctx.ocid}-tender"
    for clar in clars:
        release_id = f"{ctx.ocid}-amendment-{clar.pk}"
        amendments.append(
            {
                "id": str(clar.pk),
                "date": iso(clar.issued_at),
                "rationale": "澄清或修改（招标投标法实施条例第二十一条）",
                "description": _text(clar.content_html)[:2000],
                "amendsReleaseID": previous,
                "releaseID": release_id,
            }
        )
        block = _tender_block(ctx, tender, end=clar.new_deadline, upto=clar.issued_at)
        block["amendments"] = list(amendments)
        out.append(
            {
                "key": f"amendment-{clar.pk}",
                "date": clar.issued_at,
                "tag": ["tenderAmendment"],
                "tender": block,
            }
        )
        previous = release_id
    for obj in tender.objections.filter(status=ObjectionStatus.ANSWERED).order_by(
        "answered_at", "pk"
    ):
        out.append(_enquiry(ctx, obj))
    return out


def _enquiry(ctx: ProcessContext, obj: Objection) -> dict[str, Any]:
    # the enquirer is not named: before the deadline it would reveal a potential bidder
    return {
        "key": f"enquiry-{obj.pk}",
        "date": obj.answered_at,
        "tag": ["tenderUpdate"],
        "tender": {
            "id": ctx.section.code,
            "enquiries": [
                {
                    "id": str(obj.pk),
                    "date": iso(obj.raised_at),
                    "title": "对招标文件的异议",
                    "description": obj.content[:2000],
                    "answer": obj.answer,
                    "dateAnswered": iso(obj.answered_at),
                }
            ],
        },
    }


def _text(html: str) -> str:
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def bid_amount(price: dict[str, Any] | None) -> Decimal | None:
    """The amount in 元 of a price form (开标一览表), None for rates or unknown forms."""
    if not price or str(price.get("price_form", "1")) != "1" or price.get("amount") in (None, ""):
        return None
    try:
        amount = Decimal(str(price["amount"]))
    except ArithmeticError:
        return None
    return amount * 10000 if str(price.get("price_unit", "0")) == "1" else amount


def _opening(ctx: ProcessContext) -> list[dict[str, Any]]:
    """The bids extension, only once the opening record is made (or the tender failed)."""
    tender = ctx.tender
    session = getattr(tender, "opening", None) if tender is not None else None
    if tender is None or session is None or not opening_is_published(session):
        return []
    rows = list(
        BidOpening.objects.filter(session=session)
        .select_related("bid", "bid__bidder")
        .order_by("bid__received_at", "bid__pk")
    )
    date = session.closed_at or _recorded_at(session) or session.started_at
    details = []
    parties = []
    for r in rows:
        bid = r.bid
        ok = r.consistency == Consistency.CONSISTENT
        pending = r.consistency in (Consistency.PENDING, Consistency.NOT_DECRYPTED)
        amount = bid_amount(r.price) if ok else None
        details.append(
            {
                "id": str(bid.pk),
                "date": iso(bid.received_at),
                "status": "valid" if ok else ("withdrawn" if pending else "disqualified"),
                "tenderers": [ctx.ref(bid.bidder)],
                "value": ctx.value(amount),
                "documents": [
                    {
                        "id": f"envelope-{bid.pk}",
                        "documentType": "submissionDocuments",
                        "title": "加密投标文件",
                        "description": f"SHA-256: {bid.envelope_sha256}",
                        "sha256": bid.envelope_sha256,
                    }
                ],
            }
        )
        parties.append(ctx.party(bid.bidder, "tenderer"))
    valid = sum(1 for d in details if d["status"] == "valid")
    stats = [
        {"id": "bids", "measure": "bids", "value": len(details), "date": iso(date)},
        {"id": "validBids", "measure": "validBids", "value": valid, "date": iso(date)},
        {
            "id": "disqualifiedBids",
            "measure": "disqualifiedBids",
            "value": sum(1 for d in details if d["status"] == "disqualified"),
            "date": iso(date),
        },
    ]
    failed = session.state == OpeningState.FAILED
    # as of the record's date: a later termination has its own release (``_termination``)
    status = TenderStatus(tender.status)
    if status == TenderStatus.TERMINATED:
        status = TenderStatus.OPENING
    return [
        {
            "key": "opening",
            "date": date,
            "tag": ["tenderUpdate"],
            "parties": parties,
            "tender": {
                "id": ctx.section.code,
                "status": "unsuccessful" if failed else TENDER_STATUS[status],
                "numberOfTenderers": len(details),
                "tenderers": [ctx.ref(r.bid.bidder) for r in rows],
                "documents": [
                    {
                        "id": "opening-record",
                        "documentType": "bidders",
                        "title": "开标记录表",
                        "description": f"SHA-256: {session.record_sha256}"
                        if session.record_sha256
                        else "流标",
                        "url": ctx.url("tendering:detail", tender.pk),
                        "datePublished": iso(date),
                        "sha256": session.record_sha256,
                    }
                ],
            },
            "bids": {"statistics": stats, "details": details},
        }
    ]


def _recorded_at(session: Any) -> dt.datetime | None:
    from ggzy.ledger.models import Entry

    entry = (
        Entry.objects.filter(
            subject_type="tendering.openingsession",
            subject_id=str(session.pk),
            event_type__in=["tendering:opening:recorded", "tendering:opening:failed"],
        )
        .order_by("id")
        .first()
    )
    return entry.received_at if entry else None


def _termination(ctx: ProcessContext) -> list[dict[str, Any]]:
    """终止招标 (实施条例第三十一条): OCDS ``tender.status`` ``cancelled`` with the 终止公告."""
    tender = ctx.tender
    if tender is None or tender.status != TenderStatus.TERMINATED or tender.terminated_at is None:
        return []
    return [
        {
            "key": "termination",
            "date": tender.terminated_at,
            "tag": ["tenderCancellation"],
            "tender": {
                "id": ctx.section.code,
                "status": TENDER_STATUS[TenderStatus.TERMINATED],
                "documents": [
                    {
                        "id": "termination-notice",
                        "documentType": "cancellationDetails",
                        "title": f"{tender.title}（终止公告）",
                        "description": tender.termination_reason[:2000],
                        "url": ctx.url("tendering:detail", tender.pk),
                        "datePublished": iso(tender.terminated_at),
                        "format": "text/html",
                        "language": "zh",
                    }
                ],
            },
        }
    ]


def _no_award(ctx: ProcessContext) -> list[dict[str, Any]]:
    """Hook: replaced by the evaluation app (``register_release_builder("award", fn)``)."""
    return []


def _no_contract(ctx: ProcessContext) -> list[dict[str, Any]]:
    """Hook: replaced by the contracts/evaluation app
    (``register_release_builder("contract", fn)``)."""
    return []


def register_core() -> None:
    plugins.register_release_builder("planning", _planning, order=10)
    plugins.register_release_builder("tender", _tender, order=20)
    plugins.register_release_builder("opening", _opening, order=30)
    plugins.register_release_builder("termination", _termination, order=60)
    plugins.register_release_builder("award", _no_award, order=40, default=True)
    plugins.register_release_builder("contract", _no_contract, order=50, default=True)


# ---- assembling releases, records and packages -----------------------------------------


def context_for(section: Section) -> ProcessContext:
    tender = Tender.objects.filter(section=section).first()
    return ProcessContext(section=section, tender=tender, ocid=ocid_for(section.unified_deal_code))


def releases(ctx: ProcessContext) -> list[dict[str, Any]]:
    """Every release of the process, oldest first."""
    out = []
    for stage in plugins.release_stages():
        for fragment in stage.build(ctx):
            frag = dict(fragment)
            key = frag.pop("key")
            date = frag.pop("date")
            release = {
                "ocid": ctx.ocid,
                "id": f"{ctx.ocid}-{key}",
                "date": iso(date),
                "tag": frag.pop("tag"),
                "initiationType": "tender",
                "language": "zh",
                **frag,
            }
            out.append(_drop_empty(release))
    out.sort(key=lambda r: (r["date"], r["id"]))
    return out


def _merge(base: Any, new: Any) -> Any:
    """OCDS merge: objects recursively, arrays of objects with ids by id, others replaced."""
    if isinstance(base, dict) and isinstance(new, dict):
        out = dict(base)
        for k, v in new.items():
            out[k] = _merge(base.get(k), v) if k in base else v
        return out
    if (
        isinstance(base, list)
        and isinstance(new, list)
        and all(isinstance(x, dict) and "id" in x for x in base + new)
    ):
        merged = {x["id"]: x for x in base}
        for x in new:
            merged[x["id"]] = _merge(merged[x["id"]], x) if x["id"] in merged else x
        return list(merged.values())
    return new


def compile_releases(ocid: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    compiled: dict[str, Any] = {}
    for release in items:
        body = {k: v for k, v in release.items() if k != "tag"}
        compiled = _merge(compiled, body)
    compiled["id"] = f"{ocid}-compiled"
    compiled["tag"] = ["compiled"]
    return compiled


def _package_meta(uri: str) -> dict[str, Any]:
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": iso(clock.now()),
        "publisher": {
            "name": str(getattr(settings, "GGZY_SITE_NAME", "ggzy")),
            "uri": base_url(),
        },
        "extensions": EXTENSIONS,
    }


def release_package(ctxs: list[ProcessContext], uri: str) -> dict[str, Any]:
    out = _package_meta(uri)
    out["releases"] = [r for ctx in ctxs for r in releases(ctx)]
    return out


def record(ctx: ProcessContext) -> dict[str, Any]:
    items = releases(ctx)
    return {
        "ocid": ctx.ocid,
        "releases": items,
        "compiledRelease": compile_releases(ctx.ocid, items),
    }


def record_package(ctxs: list[ProcessContext], uri: str) -> dict[str, Any]:
    out = _package_meta(uri)
    out["records"] = [record(ctx) for ctx in ctxs]
    return out


def is_public(ctx: ProcessContext) -> bool:
    return ctx.tender is not None and ctx.tender.status in PUBLIC_STATUSES
