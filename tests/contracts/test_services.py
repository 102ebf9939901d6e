"""Contract services: corrections after publishing (deadlines recomputed from a corrected
signing date, the price reason judged with the corrected price), the correction before
publishing (``contract_update``) and NUL characters refused in every text input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.contracts.conftest import PDF, Awarded, record_args

from ggzy.contracts import services
from ggzy.contracts.models import Contract, Status
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.ledger.models import Entry
from ggzy.rules import timecalc

pytestmark = pytest.mark.django_db


def _record(a: Awarded, **extra: Any) -> Contract:
    return services.contract_record(
        actor=a.world.tenderer, tender=a.tender, **record_args(a, **extra)
    )


def _publish(a: Awarded, c: Contract) -> Contract:
    upload = SimpleUploadedFile("合同.pdf", PDF, content_type="application/pdf")
    services.contract_file_attach(actor=a.world.tenderer, contract=c, upload=upload)
    return services.contract_publish(actor=a.world.tenderer, contract=c)


def _state() -> tuple[Any, ...]:
    return (
        list(Contract.objects.values_list("pk", "status", "version", "code", "price")),
        Entry.objects.filter(event_type__startswith="contracts:").count(),
    )


def _procurement(a: Awarded) -> None:
    tp = a.tender.section.tender_project
    tp.trade_type_code = "gp.open"
    tp.save(update_fields=["trade_type_code"])


def test_corrected_signing_date_recomputes_publish_overdue(awarded):
    """On time for the signing date first entered; the corrected (earlier) date makes the
    same publication late: the flag and the ledger follow (条例第五十条)."""
    a = awarded
    _procurement(a)
    assert a.session.awarded_at is not None
    awarded_on = timecalc.local_date(a.session.awarded_at)
    with a.after(10):
        c = _publish(a, _record(a, signed_on=(awarded_on + dt.timedelta(days=9)).isoformat()))
        assert c.publish_overdue is False
        c = services.contract_amend(
            actor=a.world.tenderer,
            contract=c,
            reason="签订日期录入错误",
            changes={"signed_on": awarded_on.isoformat()},
        )
    assert c.publish_due is not None
    assert c.published_at is not None
    assert c.published_at > c.publish_due
    assert c.publish_overdue is True
    payload = Entry.objects.get(event_type="contracts:contract:amended").payload
    assert payload["publish_overdue"] is True
    published = Entry.objects.get(event_type="contracts:contract:published").payload
    assert payload["publish_due"] is not None
    assert payload["publish_due"] < published["publish_due"]  # ISO text of the earlier due
    assert payload["changes"] == [
        {
            "field": "signed_on",
            "old": (awarded_on + dt.timedelta(days=9)).isoformat(),
            "new": awarded_on.isoformat(),
        }
    ]
    # corrected back: on time again
    with a.after(11):
        c = services.contract_amend(
            actor=a.world.tenderer,
            contract=c,
            reason="签订日期再次更正",
            changes={"signed_on": (awarded_on + dt.timedelta(days=9)).isoformat()},
        )
    assert c.publish_overdue is False


def test_corrected_price_needs_its_own_reason(awarded):
    """A correction of the price is judged with the reason given with it, never with the
    earlier reason (法46); the reason may be given again."""
    a = awarded
    lower = a.winner.price - Decimal("10000")
    with a.after(1):
        c = _publish(a, _record(a, price=str(lower), price_reason="工程量核减"))
    lower2 = str(lower - Decimal("5000"))
    before = _state()
    with a.after(2), pytest.raises(DomainError) as err:
        services.contract_amend(
            actor=a.world.tenderer, contract=c, reason="金额更正", changes={"price": lower2}
        )
    assert (err.value.code, err.value.field) == (
        ErrorCode.CONTRACT_PRICE_REASON_REQUIRED,
        "price_reason",
    )
    assert _state() == before
    with a.after(2):
        c = services.contract_amend(
            actor=a.world.tenderer,
            contract=c,
            reason="金额更正",
            changes={"price": lower2, "price_reason": "工程量再次核减"},
        )
    assert (c.price, c.price_reason) == (Decimal(lower2), "工程量再次核减")
    # back to the award price: no reason needed, the old one dropped
    with a.after(3):
        c = services.contract_amend(
            actor=a.world.tenderer, contract=c, reason="按中标价", changes={"price": a.winner.price}
        )
    assert (c.price, c.price_reason) == (a.winner.price, "")
    # the reason alone (price unchanged) still corrects the reason
    with a.after(4):
        c = services.contract_amend(
            actor=a.world.tenderer,
            contract=c,
            reason="改价",
            changes={"price": str(lower), "price_reason": "核减"},
        )
        c = services.contract_amend(
            actor=a.world.tenderer, contract=c, reason="理由补充", changes={"price_reason": "核减X"}
        )
    assert (c.price, c.price_reason) == (lower, "核减X")


@pytest.mark.parametrize(
    "field", ["code", "name", "content", "quality", "price_reason", "term_days", "signed_on"]
)
def test_nul_refused_in_every_text(awarded, field):
    a = awarded
    extra: dict[str, Any] = {"price": str(a.winner.price - 1)} if field == "price_reason" else {}
    base = record_args(a, **extra)
    bad = {**base, field: f"{base.get(field, '')}a\x00b"}
    with a.after(1), pytest.raises(DomainError) as err:
        services.contract_record(actor=a.world.tenderer, tender=a.tender, **bad)
    assert err.value.status == 400
    assert err.value.field == field
    assert not Contract.objects.exists()
    assert not Entry.objects.filter(event_type__startswith="contracts:").exists()


def test_nul_refused_in_correction_reason_and_price(awarded):
    a = awarded
    with a.after(1):
        c = _publish(a, _record(a))
    before = _state()
    with a.after(2):
        for reason, changes, code in (
            ("更正\x00", {"quality": "优良"}, ErrorCode.VALIDATION),
            ("更正", {"quality": "优\x00良"}, ErrorCode.VALIDATION),
            ("更正", {"price": "1\x00"}, ErrorCode.CONTRACT_PRICE_INVALID),
        ):
            with pytest.raises(DomainError) as err:
                services.contract_amend(
                    actor=a.world.tenderer, contract=c, reason=reason, changes=changes
                )
            assert err.value.code == code
    assert _state() == before


def test_update_before_publication(awarded):
    """公告前修改: all fields again, checked as when recording; deadlines follow the signing
    date; one ``updated`` ledger entry with the changes (content hashed)."""
    a = awarded
    _procurement(a)
    assert a.session.awarded_at is not None
    awarded_on = timecalc.local_date(a.session.awarded_at)
    with a.after(5):
        c = _record(a)
        due_before = c.publish_due
        lower = str(a.winner.price - Decimal("100"))
        before = _state()
        with pytest.raises(DomainError) as err:  # the price rule of recording
            services.contract_update(
                actor=a.world.tenderer, contract=c, **record_args(a, price=lower)
            )
        assert err.value.code == ErrorCode.CONTRACT_PRICE_REASON_REQUIRED
        with pytest.raises(DomainError) as err:  # nothing changed
            services.contract_update(actor=a.world.tenderer, contract=c, **record_args(a))
        assert err.value.code == ErrorCode.VALIDATION
        assert _state() == before
        c = services.contract_update(
            actor=a.world.tenderer,
            contract=c,
            **record_args(
                a,
                code="HT-2026-002",
                price=lower,
                price_reason="暂列金额调整",
                content="新的合同主要内容",
                signed_on=(awarded_on + dt.timedelta(days=3)).isoformat(),
            ),
        )
    c.refresh_from_db()
    assert (c.status, c.code, c.price, c.price_reason) == (
        Status.SIGNED,
        "HT-2026-002",
        Decimal(lower),
        "暂列金额调整",
    )
    assert c.published_version == 0
    assert not c.versions.exists()
    new_due = services.deadlines(a.tender, a.session, awarded_on + dt.timedelta(days=3))
    assert due_before is not None
    assert c.publish_due == new_due.publish_due
    assert c.sign_due == new_due.sign_due
    entry = Entry.objects.get(event_type="contracts:contract:updated")
    fields = [ch["field"] for ch in entry.payload["changes"]]
    assert fields == ["code", "price", "price_reason", "content", "signed_on"]
    content = next(ch for ch in entry.payload["changes"] if ch["field"] == "content")
    assert "新的合同主要内容" not in str(entry.payload)
    assert len(content["new"]) == 64
    # published: no longer updatable, a correction instead
    with a.after(5):
        c = _publish(a, c)
        before = _state()
        with pytest.raises(DomainError) as err:
            services.contract_update(actor=a.world.tenderer, contract=c, **record_args(a))
    assert (err.value.code, err.value.status) == (ErrorCode.CONTRACT_STATE, 409)
    assert _state() == before


def test_update_refused_for_others_and_taken_code(awarded):
    a = awarded
    with a.after(1):
        c = _record(a)
        before = _state()
        for actor in (a.world.bidder, a.world.regulator, a.world.expert, a.world.agency):
            with pytest.raises(DomainError) as err:
                services.contract_update(actor=actor, contract=c, **record_args(a, quality="优良"))
            assert err.value.status == 403
        assert _state() == before
        # a stale copy (concurrent edit) loses the compare-and-set
        stale = Contract.objects.get(pk=c.pk)
        services.contract_update(
            actor=a.world.tenderer, contract=c, **record_args(a, term_days=300)
        )
        with pytest.raises(DomainError) as err:
            services.contract_update(
                actor=a.world.tenderer, contract=stale, **record_args(a, term_days=200)
            )
        assert err.value.code == ErrorCode.CONFLICT
    c.refresh_from_db()
    assert c.term_days == 300
    assert Entry.objects.filter(event_type="contracts:contract:updated").count() == 1
