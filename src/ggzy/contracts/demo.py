"""Demo: the awarded demo tender gets its signed contract (``seed(log)``).

Called by the demo loader right after the evaluation demo. For every awarded tender without a
contract: the tenderer's first staff member (else centre staff) records the contract at the
award price, signed two days after the award notice (never in the future), uploads a small
generated PDF standing in for the signed scan and publishes the contract notice at the same
moment. Deterministic; does nothing when no awarded tender lacks a contract.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile

from ggzy import clock
from ggzy.contracts import services
from ggzy.contracts.models import Contract
from ggzy.evaluation.models import EvaluationSession, Step
from ggzy.registry.models import Membership, MembershipStatus, Role
from ggzy.rules.timecalc import local_date


def _pdf(title: str) -> bytes:
    """A one-page PDF standing in for the scanned, signed contract."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(title)
    c.setFont("STSong-Light", 14)
    c.drawString(72, 770, title)
    c.drawString(72, 740, "（演示数据：已签署合同扫描件的替代文件）")
    c.showPage()
    c.save()
    return buf.getvalue()


def _manager(session: EvaluationSession) -> object | None:
    tp = session.tender.section.tender_project
    for org, role in ((tp.tenderer, Role.TENDERER), (tp.agency, Role.AGENCY), (None, None)):
        qs = Membership.objects.filter(status=MembershipStatus.ACTIVE)
        qs = qs.filter(organization=org, role=role) if org else qs.filter(role=Role.CENTRE_STAFF)
        m = qs.select_related("person__user").order_by("id").first()
        if m is not None and getattr(m.person, "user", None) is not None:
            return m.person.user
    return None


def seed(log: Callable[[str], None]) -> None:
    sessions = (
        EvaluationSession.objects.filter(step=Step.AWARDED, contract__isnull=True)
        .select_related("tender__section__tender_project", "winner")
        .order_by("id")
    )
    done = 0
    for session in sessions:
        actor = _manager(session)
        if actor is None or session.awarded_at is None:
            continue
        tender = session.tender
        review = session.reviews.get(bid=session.winner)
        # two days after the award, but never in the future (the demo's award is in the past)
        at = min(session.awarded_at + dt.timedelta(days=2), clock.now())
        at = max(at, session.awarded_at + dt.timedelta(minutes=1))
        section = tender.section
        with clock.frozen(at):
            contract = services.contract_record(
                actor=actor,
                tender=tender,
                code=f"HT-{section.code}",
                name=f"{section.tender_project.name}{section.name}施工合同",
                price=review.price,
                content=section.content or f"{section.name}：按招标文件和中标人投标文件实施。",
                term_days=section.limit_days or 365,
                quality="合格",
                signed_on=local_date(at),
            )
            pdf = SimpleUploadedFile(
                f"{contract.code}.pdf", _pdf(contract.name), content_type="application/pdf"
            )
            services.contract_file_attach(actor=actor, contract=contract, upload=pdf)
            services.contract_publish(actor=actor, contract=contract)
        done += 1
        log(
            f"contracts: {contract.code} signed {contract.signed_on} at "
            f"{services.dec(contract.price)} 元 and published"
        )
    if not done:
        log("contracts: no awarded tender without a contract; nothing to do")
    assert Contract.objects.count() >= done
