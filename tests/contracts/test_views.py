"""The contract page with the Django client: the record form carries the exact award price
(submitted unchanged it is accepted), and before publication the same form, prefilled,
corrects the recorded contract (公告前修改); after publication only the correction form."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.contracts.conftest import PDF, Awarded, record_args

from ggzy.contracts import services
from ggzy.contracts.models import Contract
from ggzy.ledger.models import Entry

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _value(html: str, field_id: str) -> str:
    m = re.search(rf'<input[^>]* id="{field_id}"[^>]*>', html)
    assert m is not None, field_id
    v = re.search(r'value="([^"]*)"', m.group(0))
    return v.group(1) if v else ""


def _award_price(a: Awarded, price: str) -> None:
    """An award price with more than 2 decimals (a rate-like or unit price bid)."""
    a.winner.price = Decimal(price)
    a.winner.save(update_fields=["price"])


def test_record_form_prefills_the_exact_award_price(awarded):
    a = awarded
    _award_price(a, "1234567.125")
    client = _client(a.world.tenderer)
    url = f"/contracts/tender/{a.tender.pk}/"
    with a.after(1):
        html = client.get(url).content.decode()
        assert 'id="record-form"' in html
        price = _value(html, "price")
        assert price == services.dec(a.winner.price) == "1234567.125"
        assert Decimal(price) == a.winner.price
        assert "1234567.125" in html  # the help text shows it exactly too
        form = {**record_args(a), "price": price, "price_reason": ""}
        r = client.post(f"/contracts/tender/{a.tender.pk}/action/record/", form)
    assert r.status_code == 302
    c = Contract.objects.get()
    assert (c.price, c.price_reason) == (Decimal("1234567.125"), "")
    with a.after(1):
        html = client.get(url).content.decode()
    assert re.search(r'id="contract-price">1234567\.125 ', html)


def test_update_form_before_publication(awarded):
    a = awarded
    with a.after(1):
        c = services.contract_record(actor=a.world.tenderer, tender=a.tender, **record_args(a))
    url = f"/contracts/tender/{a.tender.pk}/"
    action = f"/contracts/tender/{a.tender.pk}/action/update/"
    client = _client(a.world.tenderer)
    with a.after(1):
        html = client.get(url).content.decode()
        assert 'id="update-form"' in html
        assert 'id="record-form"' not in html
        assert _value(html, "code") == "HT-2026-001"
        assert _value(html, "price") == services.dec(a.winner.price)
        assert _value(html, "term_days") == "365"
        assert _value(html, "signed_on") == c.signed_on.isoformat()
        # someone else's form post: refused, nothing written
        entries = Entry.objects.count()
        for user in (a.world.bidder, a.world.regulator, a.world.agency):
            _client(user).post(action, {**record_args(a), "term_days": "200"})
        assert Entry.objects.count() == entries
        assert Contract.objects.get().term_days == 365
        r = client.post(action, {**record_args(a), "term_days": "200", "quality": "优良"})
        assert r.status_code == 302
    c.refresh_from_db()
    assert (c.term_days, c.quality, c.published_version) == (200, "优良", 0)
    assert Entry.objects.filter(event_type="contracts:contract:updated").count() == 1
    # published: the update form is gone and a post is refused
    upload = SimpleUploadedFile("合同.pdf", PDF, content_type="application/pdf")
    with a.after(2):
        services.contract_file_attach(actor=a.world.tenderer, contract=c, upload=upload)
        services.contract_publish(actor=a.world.tenderer, contract=c)
        html = client.get(url).content.decode()
        assert 'id="update-form"' not in html
        assert 'id="amend-form"' in html
        entries = Entry.objects.count()
        r = client.post(action, {**record_args(a), "term_days": "100"}, follow=True)
    assert "contract_state" in r.content.decode()
    assert Entry.objects.count() == entries
    c.refresh_from_db()
    assert c.term_days == 200
