"""Contracts → open data: the OCDS contract stage (validated offline against the official
1.1.5 schemas, also after a correction), tables 512 (works) and 554 (government
procurement) through the spec checker, the feed events, and the deadlines (overdue signing
flagged, the GP contract notice due in 2 working days)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.contracts.conftest import PDF, Awarded, record_args
from tests.opendata.conftest import integrate, ocds_validators  # noqa: F401  # fixture
from tests.opendata.test_ocds import _check_all

from ggzy import clock
from ggzy.contracts import services
from ggzy.contracts.models import Contract
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.disclosure import selectors as disclosure
from ggzy.ledger.models import Entry
from ggzy.opendata import dataspec, feed, ocds, plugins, quality, tables
from ggzy.opendata.selectors import public_process
from ggzy.rules import selectors as rules
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


def _ctx(a: Awarded) -> Any:
    return public_process(ocds.ocid_for(a.tender.section.unified_deal_code))


def _kinds(row: tables.ExportRow) -> set[tuple[str, str]]:
    return {(i.field, i.kind) for i in row.issues}


def _feed() -> list[dict[str, Any]]:
    items, cursor = [], 0
    while True:
        page = feed.read(cursor, 100)
        items.extend(page.items)
        cursor = page.next_cursor
        if not page.has_more:
            return items


def test_contracts_register_their_plugins():
    assert plugins.table_exporters()["512"].rows.__module__ == "ggzy.contracts.opendata"
    assert plugins.table_exporters()["554"].rows.__module__ == "ggzy.contracts.opendata"
    stages = {s.name: s.build.__module__ for s in plugins.release_stages()}
    assert stages["contract"] == "ggzy.contracts.opendata"
    events = plugins.feed_events()
    assert events["contracts:contract:published"].tables == ("512", "554")
    assert events["contracts:contract:amended"].tables == ("512", "554")
    assert "contracts:contract:recorded" not in events  # not public before the notice


def test_works_contract_in_ocds_table_512_and_feed(awarded, ocds_validators, settings):  # noqa: F811
    settings.GGZY_OPENDATA_CODES = {}
    a = awarded
    with a.after(1):
        c = _record(a)
        # recorded but not published: nowhere in open data
        integrate()
        assert tables.export_table("512").rows == []
        releases, _ = _check_all(_ctx(a), ocds_validators)
        assert not any(r["tag"][0].startswith("contract") for r in releases["releases"])
        c = _publish(a, c)
    integrate()
    releases, records = _check_all(_ctx(a), ocds_validators)
    rel = next(r for r in releases["releases"] if r["tag"] == ["contract"])
    assert rel["id"].endswith("-contract")
    assert rel["date"] == ocds.iso(c.published_at)
    [obj] = rel["contracts"]
    assert obj["awardID"] == str(a.winner.pk)  # the evaluation's award id of the winner
    assert obj["value"] == {"amount": float(a.winner.price), "currency": "CNY"}
    signed = ocds.iso(timecalc.start_of_day(c.signed_on))
    assert obj["dateSigned"] == signed
    assert obj["period"] == {"startDate": signed, "durationInDays": 365}
    docs = {d["documentType"]: d for d in obj["documents"]}
    assert docs["contractSigned"]["sha256"] == c.file_sha256
    assert docs["contractNotice"]["url"].endswith(f"/contracts/tender/{a.tender.pk}/")
    compiled = records["records"][0]["compiledRelease"]
    award_ids = {x["id"] for x in compiled["awards"]}
    assert compiled["contracts"][0]["awardID"] in award_ids

    # table 512: every field by the spec; only what the platform cannot know is flagged
    [row] = tables.export_table("512").rows
    spec = dataspec.load(tables.spec_version())["512"]
    assert list(row.row) == spec.field_names
    assert row.issues == [], row.issues
    assert row.row["CONTRACT_NAME"] == "城区道路改造工程施工合同"
    assert row.row["BIDDER_CODE"] == a.winner.bidder.uscc
    assert Decimal(row.row["CONTRACT_PRICE"]) == a.winner.price
    assert row.row["CONTRACT_SIGN_TIME"] == tables.dt14(timecalc.start_of_day(c.signed_on))
    assert (row.row["LIMITE_TIME"], row.row["PRICE_FORM_CODE"]) == ("365", "1")
    assert row.published_at is not None
    assert tables.export_table("554").rows == []  # works: not a purchase contract
    settings.GGZY_OPENDATA_SPEC_VERSION = "v4"
    [row4] = tables.export_table("512").rows
    assert row4.row["CONTRACT_CODE"] == "HT-2026-001"
    assert row4.issues == []
    settings.GGZY_OPENDATA_SPEC_VERSION = "v3"
    report = quality.report()
    t512 = next(t for t in report["tables"] if t["code"] == "512")
    assert (t512["rows"], t512["complete"]) == (1, 1)
    assert t512["timeliness"]["measured"] == 1

    # the portal's catalogue: 合同订立信息 is published
    with a.after(2):  # the notices are dated after the (future) award
        history = disclosure.project_history(a.tender.section.code)
        [subject] = disclosure.catalogue_status(history)
    states = {st.item.name: st.state for st in subject.statuses}
    assert states["合同订立信息"] == "published"

    # a correction: a contractAmendment release chained to the first one; 512 shows it
    with a.after(3):
        services.contract_amend(
            actor=a.world.tenderer,
            contract=c,
            reason="质量要求表述更正",
            changes={"quality": "合格（市政工程质量验收规范）"},
        )
    integrate()
    releases, records = _check_all(_ctx(a), ocds_validators)
    amend = next(r for r in releases["releases"] if r["tag"] == ["contractAmendment"])
    [am] = amend["contracts"][0]["amendments"]
    assert am["rationale"] == "质量要求表述更正"
    assert am["amendsReleaseID"] == rel["id"]
    assert am["releaseID"] == amend["id"]
    assert rel in releases["releases"]  # the first release never changes
    [row] = tables.export_table("512").rows
    assert row.row["QUALITY_REQUIRE"] == "合格（市政工程质量验收规范）"
    assert row.record_id == f"{c.pk}-v2"

    # the feed carries the publication and the correction, with both tables
    contract_items = [i for i in _feed() if i["event_type"].startswith("contracts:")]
    assert [i["event_type"] for i in contract_items] == [
        "contracts:contract:published",
        "contracts:contract:amended",
    ]
    assert contract_items[0]["ocid"] == ocds.ocid_for(a.tender.section.unified_deal_code)
    assert contract_items[0]["tables"] == ["512", "554"]
    assert contract_items[0]["record"] == {"type": "contracts.contract", "id": str(c.pk)}


def test_procurement_contract_table_554_and_two_working_days(awarded, ocds_validators, settings):  # noqa: F811
    a = awarded
    tp = a.tender.section.tender_project
    tp.trade_type_code = "gp.open"  # the same flow under the government procurement rules
    tp.save(update_fields=["trade_type_code"])
    settings.GGZY_OPENDATA_CODES = {"ROLE_TENDERER": "01"}
    with a.after(1):
        c = _record(a)
    rs = rules.ruleset_for("gp.open")
    expected = rules.period_end_for(rs, "contract_publish_days", timecalc.start_of_day(c.signed_on))
    assert c.publish_due == expected
    assert (
        timecalc.days_between(
            timecalc.start_of_day(c.signed_on), expected, timecalc.DayUnit.WORKING, rules.calendar()
        )
        == 2
    )
    with clock.frozen(expected + dt.timedelta(hours=1)):  # late: flagged, not refused
        c = _publish(a, c)
        integrate()  # reaches the feed at once, still after the 2 working days
    assert c.publish_overdue is True
    assert Entry.objects.get(event_type="contracts:contract:published").payload["publish_overdue"]
    _check_all(_ctx(a), ocds_validators)
    assert tables.export_table("512").rows == []
    [row] = tables.export_table("554").rows
    spec = dataspec.load("v3")["554"]
    assert list(row.row) == spec.field_names
    assert row.issues == [], row.issues
    assert row.row["PURCHASER_CODE"] == tp.tenderer.uscc
    assert row.row["SUPPLIER_CODE"] == a.winner.bidder.uscc
    assert Decimal(row.row["CONTRACT_AMOUNT"]) == a.winner.price
    assert row.row["LEGAL_ROLE"] == "01"
    assert "/notices/" in row.row["URL"]
    # timeliness: the row's own deadline = publish_due (条例第五十条, 2 个工作日 by the
    # calendar), counted from the signing day's end; published after it = late
    signed_end = timecalc.start_of_day(c.signed_on + dt.timedelta(days=1))
    assert row.event_at == signed_end
    assert row.due_at == c.publish_due
    assert row.published_at is not None
    assert row.published_at > expected
    t554 = next(t for t in quality.report()["tables"] if t["code"] == "554")["timeliness"]
    assert (t554["hours"], t554["tag"]) == (48, "V-law")  # fallback without publish_due
    assert "2 个工作日" in t554["reference"]
    assert "此处按48小时计" not in t554["reference"]
    assert (t554["measured"], t554["on_time"], t554["late"]) == (1, 0, 1)
    settings.GGZY_OPENDATA_CODES = {}
    [row] = tables.export_table("554").rows
    assert _kinds(row) == {("LEGAL_ROLE", "mandatory")}  # flagged until configured


def test_late_signing_is_flagged_not_blocked(awarded):
    a = awarded
    assert a.session.awarded_at is not None
    # a day after the 30 days from the award notice (run on past any holiday) have ended
    due = services.deadlines(
        a.tender, a.session, timecalc.local_date(a.session.awarded_at)
    ).sign_due
    late = due.astimezone(timecalc.LOCAL_TZ).date() + dt.timedelta(days=1)
    with clock.frozen(timecalc.start_of_day(late) + dt.timedelta(hours=10)):
        c = _record(a, signed_on=late.isoformat())
    assert c.sign_overdue is True
    assert Entry.objects.get(event_type="contracts:contract:recorded").payload["sign_overdue"]


def test_refusals_write_nothing(awarded):
    a = awarded
    with a.after(1):
        for actor in (a.world.bidder, a.world.regulator, a.world.expert):
            with pytest.raises(DomainError) as err:
                services.contract_record(actor=actor, tender=a.tender, **record_args(a))
            assert err.value.status == 403
        with pytest.raises(DomainError) as err:
            _record(a, price="5", price_reason="  ")
        assert err.value.code == ErrorCode.CONTRACT_PRICE_REASON_REQUIRED
        with pytest.raises(DomainError) as err:
            _record(a, code="HT 1; DROP")
        assert (err.value.code, err.value.field) == (ErrorCode.VALIDATION, "code")
    assert not Contract.objects.exists()
    assert not Entry.objects.filter(event_type__startswith="contracts:").exists()


def _friday_with_working_monday(after: dt.date) -> dt.date:
    """The first Friday after ``after`` whose weekend is rest and whose Monday is a working
    day (by the rule calendar, so a holiday week is skipped)."""
    cal = rules.calendar()
    day = after + dt.timedelta(days=1)
    while not (
        day.weekday() == 4
        and timecalc.is_working_day(day, cal)
        and not timecalc.is_working_day(day + dt.timedelta(days=1), cal)
        and not timecalc.is_working_day(day + dt.timedelta(days=2), cal)
        and timecalc.is_working_day(day + dt.timedelta(days=3), cal)
    ):
        day += dt.timedelta(days=1)
    return day


def test_554_friday_signing_published_monday_is_on_time(awarded, settings):
    """2 个工作日 (条例第五十条), not 48 hours: signed on Friday, published on Monday is lawful
    (more than 48 h after Friday's end, within the working-day deadline)."""
    a = awarded
    tp = a.tender.section.tender_project
    tp.trade_type_code = "gp.open"
    tp.save(update_fields=["trade_type_code"])
    settings.GGZY_OPENDATA_CODES = {"ROLE_TENDERER": "01"}
    assert a.session.awarded_at is not None
    friday = _friday_with_working_monday(timecalc.local_date(a.session.awarded_at))
    monday_10 = dt.datetime.combine(
        friday + dt.timedelta(days=3), dt.time(10), tzinfo=timecalc.LOCAL_TZ
    )
    with clock.frozen(monday_10):
        c = _record(a, signed_on=friday.isoformat())
        c = _publish(a, c)
        integrate()
    assert c.publish_overdue is False
    assert c.publish_due is not None
    assert timecalc.local_date(c.publish_due) == friday + dt.timedelta(days=4)  # Tuesday
    [row] = tables.export_table("554").rows
    assert row.due_at == c.publish_due
    assert row.published_at is not None
    assert row.event_at is not None
    assert row.published_at - row.event_at > dt.timedelta(hours=48)  # late under 48 h
    t554 = next(t for t in quality.report()["tables"] if t["code"] == "554")["timeliness"]
    assert (t554["measured"], t554["on_time"], t554["late"]) == (1, 1, 0)


def test_incremental_export_carries_a_correction(awarded):
    """An incremental export (``since``) holds a contract corrected after ``since`` even when
    it was first published before: the row as last published (v2)."""
    a = awarded
    with a.after(1):
        c = _publish(a, _record(a))
    integrate()
    with a.after(3):
        since = clock.now()
        services.contract_amend(
            actor=a.world.tenderer, contract=c, reason="合同期限更正", changes={"term_days": 300}
        )
    integrate()
    [row] = tables.export_table("512", since=since).rows
    assert (row.record_id, row.row["LIMITE_TIME"]) == (f"{c.pk}-v2", "300")
    assert tables.export_table("512", since=since + dt.timedelta(seconds=1)).rows == []
    with a.after(2):
        between = clock.now()
    [row] = tables.export_table("512", since=between).rows
    assert row.record_id == f"{c.pk}-v2"


def test_old_release_signed_file_still_verifies(awarded, ocds_validators, client):  # noqa: F811
    """A correction with a new signed file: each release's ``contractSigned`` document points
    at the file as published in that version, so its SHA-256 still verifies."""
    import hashlib
    from urllib.parse import urlparse

    a = awarded
    second = PDF.replace(b"signed contract", b"signed contract, corrected")
    with a.after(1):
        c = _publish(a, _record(a))
    with a.after(2):
        services.contract_amend(
            actor=a.world.tenderer,
            contract=c,
            reason="合同文件更正",
            upload=SimpleUploadedFile("合同2.pdf", second, content_type="application/pdf"),
        )
    releases, _ = _check_all(_ctx(a), ocds_validators)
    signed = {}
    for tag in ("contract", "contractAmendment"):
        rel = next(r for r in releases["releases"] if r["tag"] == [tag])
        signed[tag] = next(
            d for d in rel["contracts"][0]["documents"] if d["documentType"] == "contractSigned"
        )
    assert signed["contract"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert signed["contractAmendment"]["sha256"] == hashlib.sha256(second).hexdigest()
    for doc in signed.values():
        r = client.get(urlparse(doc["url"]).path)
        assert r.status_code == 200
        body = b"".join(r.streaming_content)
        assert hashlib.sha256(body).hexdigest() == doc["sha256"] == r["X-Content-SHA256"]
    assert client.get(f"/contracts/{c.pk}/v9/file/").status_code == 404


def test_rate_price_form_is_no_amount_in_ocds(awarded, ocds_validators):  # noqa: F811
    """价款形式 2 (费率/比率/优惠率): the figure is no 元 amount — no OCDS ``value``; the rate
    is in the description (and in 512 OTHER_CONTRACT_PRICE)."""
    a = awarded
    with a.after(1):
        c = _record(a, price="5", price_form="2", price_reason="下浮率 5%")
        _publish(a, c)
    integrate()
    releases, _ = _check_all(_ctx(a), ocds_validators)
    rel = next(r for r in releases["releases"] if r["tag"] == ["contract"])
    [obj] = rel["contracts"]
    assert "value" not in obj
    assert "合同价款：5（费率/比率/优惠率）" in obj["description"]
    [row] = tables.export_table("512").rows
    assert (row.row["CONTRACT_PRICE"], row.row["OTHER_CONTRACT_PRICE"]) == (
        "",
        "5（费率/比率/优惠率）",
    )
