"""Contract services (合同订立, 合同公告): every write of the contracts app, each with its
ledger entry (``contracts:contract:<action>``) in the same transaction, under the tender's
rule version.

* :func:`contract_record` — the tenderer/agency (or centre staff) records the signed contract
  after the award notice (招标投标法第四十六条 / 政府采购法第四十六条). Parties and the award
  price come from the award; a contract price that differs from the award price needs a
  written reason (no agreement departing from the substance of the bid, 法46 / 实施条例57).
  Signing later than ``contract_days`` (30 日) after the award is flagged, not blocked.
* :func:`contract_update` — before publishing, the recorded fields are corrected in place
  (all fields again, checked as when recording); the ledger keeps the change.
* :func:`contract_file_attach` — the signed contract file; its SHA-256 goes on the ledger.
* :func:`contract_publish` — the contract notice (合同公告) on the portal through
  ``ggzy.disclosure``; for government procurement within ``contract_publish_days``
  (2 个工作日, 政府采购法实施条例第五十条) of signing, flagged when late.
* :func:`contract_amend` — after publishing, a correction (合同更正) is a new version with a
  written reason; the history stays and the portal shows the corrected notice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F

from ggzy import clock, ledger
from ggzy.accounts.permissions import Perm, require
from ggzy.contracts import notices
from ggzy.contracts.models import Contract, ContractVersion, PriceForm, Status
from ggzy.core.canonical import canonical_json
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.core.uploads import check_attachment, sniff_type
from ggzy.evaluation.models import EvaluationSession, Reminder, ReminderKind, Step
from ggzy.projects.services import can_manage_tender
from ggzy.rules import selectors as rules
from ggzy.rules import timecalc
from ggzy.tendering.models import Tender
from ggzy.tendering.selectors import ruleset_of

MAX_PRICE = Decimal(10) ** 14  # NumberMatch IntegerFigures 14, DecimalFigures 6
_CENT = Decimal("0.000001")
_CODE = re.compile(r"^[\w\-（）()〔〕\[\]/.·#]+$")
TEXT_LIMITS = {
    "code": 100,
    "name": 600,
    "content": 20000,
    "quality": 500,
    "reason": 2000,
    "price_reason": 2000,
}


def _event(kind: str, contract: Contract, actor: Any, payload: dict[str, Any]) -> None:
    ledger.record(
        f"contracts:contract:{kind}",
        contract,
        actor,
        payload,
        rule_version=contract.tender.ruleset_label,
    )


# ---- guards -----------------------------------------------------------------------------


def can_manage(actor: Any, tender: Tender) -> bool:
    """招标人/采购人, its 代理机构, or centre staff — of *this* tender."""
    return can_manage_tender(actor, tender.section.tender_project)


def _manager(actor: Any, tender: Tender) -> None:
    require(actor, Perm.TENDERING_TENDER_WRITE)
    if not can_manage(actor, tender):
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            "只有本项目的招标人（采购人）、其代理机构或交易中心工作人员可以登记合同",
        )


def awarded_session(tender: Tender) -> EvaluationSession:
    """The tender's evaluation once the award notice was issued, else CONTRACT_NOT_AWARDED."""
    session = (
        EvaluationSession.objects.filter(tender=tender)
        .select_related("winner", "tender__section__tender_project")
        .first()
    )
    if (
        session is None
        or session.step != Step.AWARDED
        or session.winner is None
        or session.awarded_at is None
    ):
        raise DomainError(ErrorCode.CONTRACT_NOT_AWARDED, detail={"tender": tender.pk})
    return session


# ---- field parsing ----------------------------------------------------------------------


def parse_price(value: Any, field: str = "price") -> Decimal:
    """A positive amount in 元 with at most 14 integer and 6 decimal digits."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(ErrorCode.CONTRACT_PRICE_INVALID, field=field) from exc
    if not amount.is_finite() or amount <= 0 or amount >= MAX_PRICE:
        raise DomainError(ErrorCode.CONTRACT_PRICE_INVALID, field=field)
    if amount != amount.quantize(_CENT, rounding=ROUND_DOWN):
        raise DomainError(ErrorCode.CONTRACT_PRICE_INVALID, field=field)
    return amount


def _text(value: Any, field: str, label: str, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if "\x00" in text:  # PostgreSQL refuses NUL in text columns
        raise DomainError(ErrorCode.VALIDATION, f"{label}含有不允许的空字符", field=field)
    if required and not text:
        raise DomainError(ErrorCode.VALIDATION, f"请填写{label}", field=field)
    limit = TEXT_LIMITS[field]
    if len(text) > limit:
        raise DomainError(ErrorCode.VALIDATION, f"{label}不能超过 {limit} 字", field=field)
    return text


def _code(value: Any) -> str:
    code = _text(value, "code", "合同编号")
    if not _CODE.match(code):
        raise DomainError(
            ErrorCode.VALIDATION, "合同编号只能包含文字、数字、连字符和括号", field="code"
        )
    return code


def _term(value: Any) -> int:
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise DomainError(ErrorCode.VALIDATION, "合同期限应为整数天数", field="term_days") from exc
    if not 1 <= days <= 9999:  # NumberMatch IntegerFigures 4
        raise DomainError(ErrorCode.VALIDATION, "合同期限应为 1–9999 日", field="term_days")
    return days


def _form(value: Any) -> str:
    form = str(value or PriceForm.AMOUNT).strip()
    if form not in PriceForm.values:
        raise DomainError(ErrorCode.VALIDATION, "价款形式代码应为 1、2、3 或 9", field="price_form")
    return form


def _sign_date(raw: Any, session: EvaluationSession) -> dt.date:
    value: dt.date
    if isinstance(raw, dt.datetime):
        value = timecalc.local_date(raw)
    elif isinstance(raw, dt.date):
        value = raw
    else:
        try:
            value = dt.date.fromisoformat(str(raw).strip())
        except ValueError as exc:
            raise DomainError(
                ErrorCode.VALIDATION, "合同签订日期格式应为 YYYY-MM-DD", field="signed_on"
            ) from exc
    assert session.awarded_at is not None
    if value < timecalc.local_date(session.awarded_at) or value > timecalc.local_date(clock.now()):
        raise DomainError(
            ErrorCode.CONTRACT_SIGN_DATE_INVALID,
            field="signed_on",
            detail={
                "awarded_on": timecalc.local_date(session.awarded_at).isoformat(),
                "today": timecalc.local_date(clock.now()).isoformat(),
            },
        )
    return value


def _price_reason(price: Decimal, award_price: Decimal, reason: Any) -> str:
    text = _text(reason, "price_reason", "合同金额与中标价不一致的理由", required=False)
    if price != award_price and not text:
        raise DomainError(
            ErrorCode.CONTRACT_PRICE_REASON_REQUIRED,
            field="price_reason",
            detail={
                "award_price": dec(award_price),
                "price": dec(price),
                "difference": dec(price - award_price),
            },
        )
    return text if price != award_price else ""


def dec(value: Decimal | None) -> str:
    """Exact decimal text without exponent or trailing zeros (``28800000``, ``12.5``)."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class Deadlines:
    sign_due: dt.datetime
    sign_overdue: bool
    publish_due: dt.datetime | None


def deadlines(tender: Tender, session: EvaluationSession, signed_on: dt.date) -> Deadlines:
    """Sign within ``contract_days`` of the award notice (T25; GP 法46); publish within
    ``contract_publish_days`` working days of signing where the rule set has it (GP 条例50)."""
    rs = ruleset_of(tender)
    cal = rules.calendar()
    assert session.awarded_at is not None
    sign_due = rules.period_end_for(rs, "contract_days", session.awarded_at, cal=cal)
    publish_due = None
    if rs.get("contract_publish_days") is not None:
        publish_due = rules.period_end_for(
            rs, "contract_publish_days", timecalc.start_of_day(signed_on), cal=cal
        )
    return Deadlines(sign_due, signed_on > timecalc.local_date(sign_due), publish_due)


# ---- snapshots --------------------------------------------------------------------------


def snapshot(c: Contract) -> dict[str, Any]:
    """The fields a contract notice shows (what a version records)."""
    return {
        "code": c.code,
        "name": c.name,
        "tenderer": {"name": c.tenderer.name, "uscc": c.tenderer.uscc},
        "winner": {"name": c.winner.name, "uscc": c.winner.uscc},
        "award_price": dec(c.award_price),
        "price": dec(c.price),
        "price_reason": c.price_reason,
        "price_form": c.price_form,
        "content": c.content,
        "term_days": c.term_days,
        "quality": c.quality,
        "signed_on": c.signed_on.isoformat(),
        "file": {"name": c.file_name, "size": c.file_size, "sha256": c.file_sha256},
    }


def _sha(data: Any) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()


def _cas(contract: Contract, *, expect_status: str | None = None, **fields: Any) -> None:
    """Compare-and-set on ``version`` (and ``expect_status`` when given; no check-then-act)."""
    guard: dict[str, Any] = {"pk": contract.pk, "version": contract.version}
    if expect_status is not None:
        guard["status"] = expect_status
    try:
        with transaction.atomic():
            changed = Contract.objects.filter(**guard).update(version=F("version") + 1, **fields)
    except IntegrityError as exc:  # a contract number taken concurrently
        raise DomainError(ErrorCode.CONTRACT_EXISTS, "该合同编号已被使用", field="code") from exc
    if changed != 1:
        raise DomainError(ErrorCode.CONFLICT)
    contract.refresh_from_db()


def _record_fields(
    tender: Tender, session: EvaluationSession, award_price: Decimal, **raw: Any
) -> dict[str, Any]:
    """The checked fields of a contract as recorded (登记) or updated before publication."""
    tp = tender.section.tender_project
    amount = parse_price(raw["price"])
    return {
        "code": _code(raw["code"]),
        "name": _text(raw["name"], "name", "合同名称", required=False)
        or f"{tp.name}{tender.section.name}合同"[:600],
        "price": amount,
        "price_reason": _price_reason(amount, award_price, raw["price_reason"]),
        "price_form": _form(raw["price_form"]),
        "content": _text(raw["content"], "content", "合同主要内容"),
        "term_days": _term(raw["term_days"]),
        "quality": _text(raw["quality"], "quality", "质量要求", required=False),
        "signed_on": _sign_date(raw["signed_on"], session),
    }


# ---- services ---------------------------------------------------------------------------


def contract_record(
    *,
    actor: Any,
    tender: Tender,
    code: str,
    name: str = "",
    price: Any,
    price_reason: str = "",
    price_form: str = PriceForm.AMOUNT,
    content: str,
    term_days: Any,
    quality: str = "",
    signed_on: Any,
) -> Contract:
    """登记合同: the written contract signed after the award notice, one per section."""
    _manager(actor, tender)
    session = awarded_session(tender)
    if Contract.objects.filter(session=session).exists():
        raise DomainError(ErrorCode.CONTRACT_EXISTS)
    winner_review = session.reviews.select_related("bidder").get(bid=session.winner)
    fields = _record_fields(
        tender,
        session,
        winner_review.price,
        code=code,
        name=name,
        price=price,
        price_reason=price_reason,
        price_form=price_form,
        content=content,
        term_days=term_days,
        quality=quality,
        signed_on=signed_on,
    )
    if Contract.objects.filter(code=fields["code"]).exists():
        raise DomainError(ErrorCode.CONTRACT_EXISTS, "该合同编号已被使用", field="code")
    due = deadlines(tender, session, fields["signed_on"])
    now = clock.now()
    with transaction.atomic():
        try:
            with transaction.atomic():  # a concurrent twin hits the unique constraints
                contract = Contract.objects.create(
                    session=session,
                    tender=tender,
                    tenderer=tender.section.tender_project.tenderer,
                    winner=winner_review.bidder,
                    award_price=winner_review.price,
                    sign_due=due.sign_due,
                    sign_overdue=due.sign_overdue,
                    publish_due=due.publish_due,
                    recorded_at=now,
                    recorded_by=actor,
                    **fields,
                )
        except IntegrityError as exc:
            raise DomainError(ErrorCode.CONTRACT_EXISTS) from exc
        contract.refresh_from_db()
        _event(
            "recorded",
            contract,
            actor,
            {
                **{k: v for k, v in snapshot(contract).items() if k not in ("content", "file")},
                "content_sha256": hashlib.sha256(contract.content.encode()).hexdigest(),
                "session": session.pk,
                "section": tender.section.code,
                "awarded_at": session.awarded_at,
                "sign_due": due.sign_due,
                "sign_overdue": due.sign_overdue,
                "publish_due": due.publish_due,
            },
        )
        # the post-award duty 签订书面合同 (evaluation reminders, T25) is fulfilled
        from ggzy.evaluation import award

        for reminder in Reminder.objects.filter(
            session=session, kind=ReminderKind.CONTRACT, done_at__isnull=True
        ):
            award.reminder_done(actor=actor, reminder=reminder)
    return contract


UPDATABLE: tuple[str, ...] = (
    "code",
    "name",
    "price",
    "price_reason",
    "price_form",
    "content",
    "term_days",
    "quality",
    "signed_on",
)


def _diff_value(field: str, value: Any) -> Any:
    if field == "content":  # not public before the notice: its hash, as in ``recorded``
        return hashlib.sha256(str(value).encode()).hexdigest()
    return _plain(value)


def contract_update(
    *,
    actor: Any,
    contract: Contract,
    code: str,
    name: str = "",
    price: Any,
    price_reason: str = "",
    price_form: str = PriceForm.AMOUNT,
    content: str,
    term_days: Any,
    quality: str = "",
    signed_on: Any,
) -> Contract:
    """修改合同登记信息: correct a recorded contract before its notice is published (no
    version, no notice). Every field is given again and checked as in :func:`contract_record`
    (a price differing from the award price needs its reason again); the deadlines follow a
    new signing date. After publishing a change is a correction (:func:`contract_amend`)."""
    _manager(actor, contract.tender)
    if contract.status != Status.SIGNED:
        raise DomainError(ErrorCode.CONTRACT_STATE, "合同已公告；如需变更请提交合同更正")
    session = contract.session
    new = _record_fields(
        contract.tender,
        session,
        contract.award_price,
        code=code,
        name=name,
        price=price,
        price_reason=price_reason,
        price_form=price_form,
        content=content,
        term_days=term_days,
        quality=quality,
        signed_on=signed_on,
    )
    if Contract.objects.filter(code=new["code"]).exclude(pk=contract.pk).exists():
        raise DomainError(ErrorCode.CONTRACT_EXISTS, "该合同编号已被使用", field="code")
    diff = [
        {
            "field": k,
            "old": _diff_value(k, getattr(contract, k)),
            "new": _diff_value(k, new[k]),
        }
        for k in UPDATABLE
        if _plain(getattr(contract, k)) != _plain(new[k])
    ]
    if not diff:
        raise DomainError(ErrorCode.VALIDATION, "没有需要修改的内容")
    due = deadlines(contract.tender, session, new["signed_on"])
    with transaction.atomic():
        _cas(
            contract,
            expect_status=Status.SIGNED,
            sign_due=due.sign_due,
            sign_overdue=due.sign_overdue,
            publish_due=due.publish_due,
            **new,
        )
        _event(
            "updated",
            contract,
            actor,
            {
                "changes": diff,
                "sign_due": due.sign_due,
                "sign_overdue": due.sign_overdue,
                "publish_due": due.publish_due,
            },
        )
    return contract


def _file_name(upload: UploadedFile) -> str:
    return (upload.name or "contract").replace("\x00", "")[-255:] or "contract"


def _store_file(contract: Contract, upload: UploadedFile, sha256: str) -> str:
    upload.seek(0)
    ext = sniff_type(upload.read(16)) or "bin"
    upload.seek(0)
    safe = re.sub(r"[^\w\-]", "_", contract.code)[:60]
    contract.file.save(f"{safe}-{sha256[:16]}.{ext}", upload, save=False)
    return str(contract.file.name)


def contract_file_attach(
    *, actor: Any, contract: Contract, upload: UploadedFile, reason: str = ""
) -> Contract:
    """上传已签署的合同文件 (PDF/JPEG/PNG within the upload limit); SHA-256 on the ledger.
    After publishing a new file is a correction and needs ``reason``."""
    _manager(actor, contract.tender)
    if contract.status == Status.PUBLISHED:
        return contract_amend(actor=actor, contract=contract, reason=reason, upload=upload)
    sha256 = check_attachment(upload)
    old = contract.file_sha256
    stored = _store_file(contract, upload, sha256)
    name = _file_name(upload)
    with transaction.atomic():
        _cas(
            contract,
            file=stored,
            file_name=name,
            file_size=upload.size,
            file_sha256=sha256,
        )
        _event(
            "file_attached",
            contract,
            actor,
            {"sha256": sha256, "size": upload.size, "name": name, "replaces": old or None},
        )
    return contract


def _version(contract: Contract, actor: Any, number: int, reason: str, now: dt.datetime) -> Any:
    data = snapshot(contract)
    return ContractVersion.objects.create(
        contract=contract,
        number=number,
        data=data,
        data_sha256=_sha(data),
        reason=reason,
        created_at=now,
        created_by=actor,
        notice_key=notices.key_for(contract, number),
        file=contract.file.name or "",
    )


def contract_publish(*, actor: Any, contract: Contract) -> Contract:
    """合同公告: publish the signed contract on the portal (version 1)."""
    _manager(actor, contract.tender)
    if contract.status != Status.SIGNED:
        raise DomainError(ErrorCode.CONTRACT_STATE, "合同已公告；如需变更请提交合同更正")
    if not contract.file_sha256:
        raise DomainError(ErrorCode.CONTRACT_FILE_MISSING, field="file")
    now = clock.now()
    overdue = contract.publish_due is not None and now > contract.publish_due
    with transaction.atomic():
        _cas(
            contract,
            status=Status.PUBLISHED,
            published_at=now,
            published_version=1,
            publish_overdue=overdue,
        )
        version = _version(contract, actor, 1, "", now)
        notice = notices.contract_published(contract, version, actor)
        _event(
            "published",
            contract,
            actor,
            {
                "version": 1,
                "data_sha256": version.data_sha256,
                "file_sha256": contract.file_sha256,
                "notice": notice.key,
                "publish_due": contract.publish_due,
                "publish_overdue": overdue,
            },
        )
    return contract


AMENDABLE: tuple[str, ...] = (
    "code",
    "name",
    "price",
    "price_reason",
    "price_form",
    "content",
    "term_days",
    "quality",
    "signed_on",
)


def _amended_fields(contract: Contract, changes: dict[str, Any]) -> dict[str, Any]:
    """The checked new values of a correction (only the fields given, plus the price
    reason, judged against the award price)."""
    session = contract.session
    new: dict[str, Any] = {}
    if "code" in changes:
        new["code"] = _code(changes["code"])
        if Contract.objects.filter(code=new["code"]).exclude(pk=contract.pk).exists():
            raise DomainError(ErrorCode.CONTRACT_EXISTS, "该合同编号已被使用", field="code")
    if "name" in changes:
        new["name"] = _text(changes["name"], "name", "合同名称")
    if "price" in changes:  # a corrected price is judged only with the reason given with it
        price = parse_price(changes["price"])
        reason = changes.get("price_reason", "")
    else:
        price = contract.price
        reason = changes.get("price_reason", contract.price_reason)
    new["price"] = price
    new["price_reason"] = _price_reason(price, contract.award_price, reason)
    if "price_form" in changes:
        new["price_form"] = _form(changes["price_form"])
    if "content" in changes:
        new["content"] = _text(changes["content"], "content", "合同主要内容")
    if "term_days" in changes:
        new["term_days"] = _term(changes["term_days"])
    if "quality" in changes:
        new["quality"] = _text(changes["quality"], "quality", "质量要求", required=False)
    if "signed_on" in changes:
        new["signed_on"] = _sign_date(changes["signed_on"], session)
        due = deadlines(contract.tender, session, new["signed_on"])
        new.update(sign_due=due.sign_due, sign_overdue=due.sign_overdue)
        new["publish_due"] = due.publish_due
        # the notice deadline runs from the corrected signing date (条例第五十条)
        new["publish_overdue"] = (
            contract.published_at is not None
            and due.publish_due is not None
            and contract.published_at > due.publish_due
        )
    return new


def contract_amend(
    *,
    actor: Any,
    contract: Contract,
    reason: str,
    changes: dict[str, Any] | None = None,
    upload: UploadedFile | None = None,
) -> Contract:
    """合同更正: after publishing, change fields (and/or the file) as a new version with a
    written reason; the corrected notice is published and the earlier versions stay."""
    _manager(actor, contract.tender)
    if contract.status != Status.PUBLISHED:
        raise DomainError(ErrorCode.CONTRACT_STATE, "合同尚未公告，公告前请直接修改后再公告")
    why = _text(reason, "reason", "更正原因")
    changes = {k: v for k, v in (changes or {}).items() if v is not None}
    unknown = sorted(set(changes) - set(AMENDABLE))
    if unknown:
        raise DomainError(ErrorCode.VALIDATION, f"不能更正的字段：{unknown[0]}", field=unknown[0])
    new = _amended_fields(contract, changes)
    sha256 = check_attachment(upload) if upload is not None else None
    before = snapshot(contract)
    diff = [
        {"field": k, "old": _plain(getattr(contract, k)), "new": _plain(v)}
        for k, v in new.items()
        if k in AMENDABLE and _plain(getattr(contract, k)) != _plain(v)
    ]
    if sha256 is not None and sha256 != contract.file_sha256:
        diff.append({"field": "file", "old": contract.file_sha256, "new": sha256})
    if not diff:
        raise DomainError(ErrorCode.VALIDATION, "没有需要更正的内容", field="reason")
    if upload is not None and sha256 is not None:
        new.update(
            file=_store_file(contract, upload, sha256),
            file_name=_file_name(upload),
            file_size=upload.size,
            file_sha256=sha256,
        )
    now = clock.now()
    number = contract.published_version + 1
    with transaction.atomic():
        _cas(contract, published_version=number, **new)
        version = _version(contract, actor, number, why, now)
        notice = notices.contract_published(contract, version, actor)
        _event(
            "amended",
            contract,
            actor,
            {
                "version": number,
                "reason": why,
                "changes": diff,
                "previous_sha256": _sha(before),
                "data_sha256": version.data_sha256,
                "file_sha256": contract.file_sha256,
                "notice": notice.key,
                "sign_due": contract.sign_due,
                "sign_overdue": contract.sign_overdue,
                "publish_due": contract.publish_due,
                "publish_overdue": contract.publish_overdue,
            },
        )
    return contract


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return dec(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
