"""A published-ready works tender: project, tender project, section, custodian keys,
bidder signing keys, a tender document — all through the services."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.factories import make_org, signup, tender_dates

from ggzy import clock
from ggzy.crypto import envelope as env
from ggzy.crypto.suites import INTL, PrivateKey
from ggzy.projects import services as projects
from ggzy.registry import services as registry
from ggzy.tendering import services

TRADE_TYPE = "works.open"


@dataclass
class TenderWorld:
    world: Any
    section: Any
    tender: Any
    custodians: dict[str, Any]
    custodian_keys: dict[str, PrivateKey]
    bidder_signing: PrivateKey
    bidder_encrypt: PrivateKey
    other_bidder: Any
    other_org: Any
    other_signing: PrivateKey

    def publish(
        self,
        *,
        start: dt.datetime | None = None,
        bid_days: int = 21,
        deadline: dt.datetime | None = None,
        **extra: Any,
    ) -> Any:
        """Publish with documents from ``start`` and bids due ``deadline`` or about
        ``bid_days`` later (see ``tender_dates``)."""
        start = start or clock.now() + dt.timedelta(minutes=1)
        docs_until, bid_deadline = tender_dates(TRADE_TYPE, start, bid_days=bid_days)
        return services.tender_publish(
            actor=self.world.tenderer,
            tender=self.tender,
            docs_from=start,
            docs_until=docs_until,
            bid_deadline=deadline or bid_deadline,
            custodians=self.custodians,
            **extra,
        )

    def release_shares(self, roles: tuple[str, ...] = ("centre", "supervisor")) -> None:
        """The custodians of ``roles`` unseal and release their key shares (after the deadline)."""
        from ggzy.tendering import bids, keyshare
        from ggzy.tendering.models import CustodianShare

        for role in roles:
            share = CustodianShare.objects.get(tender=self.tender, role=role)
            plain = keyshare.open_sealed_share(
                bytes(share.wrapped_share), self.custodian_keys[role]
            )
            bids.share_release(actor=self.custodians[role], share=share, plaintext_share=plain)

    def seal(
        self,
        plaintext: bytes,
        *,
        bidder_ref: str | None = None,
        section_ref: str | None = None,
        signing: PrivateKey | None = None,
    ) -> bytes:
        from ggzy.crypto.suites import PublicKey

        out = io.BytesIO()
        env.seal(
            io.BytesIO(plaintext),
            out,
            suite=INTL,
            opening_public_key=PublicKey.from_text(self.tender.opening_public_key),
            bidder_public_key=self.bidder_encrypt.public_key,
            bidder_signing_key=signing or self.bidder_signing,
            tender_ref=section_ref or self.section.code,
            bidder_ref=bidder_ref or self.world.bidder_org.uscc,
            chunk_size=64 * 1024,
        )
        return out.getvalue()


def load_rules(actor: Any) -> None:
    from django.core.management import call_command

    call_command("rules", "load", "--as", actor.username, verbosity=0)


@pytest.fixture
def tw(world: Any) -> TenderWorld:
    load_rules(world.staff)
    keys = {}
    for role, user in (
        ("centre", world.staff),
        ("supervisor", world.regulator),
        ("tenderer", world.tenderer),
    ):
        key = PrivateKey.generate(INTL.wrapping_algorithm)
        registry.entity_key_register(
            actor=user, purpose="encrypt", public_key=key.public_key.to_text(), person=user.person
        )
        keys[role] = key
    signing = INTL.generate_signing_key()
    encrypt = INTL.generate_wrapping_key()
    registry.entity_key_register(
        actor=world.bidder,
        purpose="sign",
        public_key=signing.public_key.to_text(),
        organization=world.bidder_org,
    )
    other = signup("bidder2", "王二")
    other_org = make_org(other, ["bidder"], "景泰路桥工程有限责任公司")
    other_signing = INTL.generate_signing_key()
    registry.entity_key_register(
        actor=other,
        purpose="sign",
        public_key=other_signing.public_key.to_text(),
        organization=other_org,
    )
    project = projects.project_register(
        actor=world.tenderer,
        centre=world.centre,
        name="白银市城区道路改造工程",
        region_code="620402",
        legal_person=world.tenderer_org,
        budget=Decimal("52000000"),
        approval_number="白发改投资〔2026〕88号",
    )
    tp = projects.tender_project_create(
        actor=world.tenderer,
        project=project,
        name="白银市城区道路改造工程施工招标",
        trade_type_code=TRADE_TYPE,
        tenderer=world.tenderer_org,
    )
    section = projects.section_create(
        actor=world.tenderer,
        tender_project=tp,
        name="一标段",
        estimated_price=Decimal("30000000"),
        max_price=Decimal("29500000"),
    )
    tender = services.tender_create(
        actor=world.tenderer,
        section=section,
        title="白银市城区道路改造工程施工招标公告",
        announcement_html="<p>招标条件：本项目已批准建设。</p><script>alert(1)</script>",
    )
    services.document_add(
        actor=world.tenderer,
        tender=tender,
        upload=SimpleUploadedFile("招标文件.pdf", b"%PDF-1.7 tender documents"),
    )
    return TenderWorld(
        world=world,
        section=section,
        tender=tender,
        custodians={
            "centre": world.staff,
            "supervisor": world.regulator,
            "tenderer": world.tenderer,
        },
        custodian_keys=keys,
        bidder_signing=signing,
        bidder_encrypt=encrypt,
        other_bidder=other,
        other_org=other_org,
        other_signing=other_signing,
    )
