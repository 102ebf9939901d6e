"""The evaluation report (评标报告): every member signs its SHA-256 (dissent in writing, T20);
when all have signed, the platform signs it (Ed25519) and the scores are frozen."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction

from ggzy import clock
from ggzy.core import platform_key
from ggzy.core.canonical import canonical_json
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.evaluation.models import CommitteeMember, EvaluationSession, Step
from ggzy.evaluation.services import _at, _event, _h, _move, member_of


def report_sign(
    *, actor: Any, session: EvaluationSession, report_sha256: str, dissent: str = ""
) -> CommitteeMember:
    """A member signs the report: confirms its SHA-256; dissent in writing (T20). When all
    have signed the report is locked and signed by the platform (Ed25519)."""
    me = member_of(actor, session)
    _at(session, Step.REPORT)
    if report_sha256 != session.report_sha256:
        raise DomainError(
            ErrorCode.REPORT_HASH_MISMATCH, detail={"report_sha256": session.report_sha256}
        )
    dissent = (dissent or "").strip()[:5000]
    now = clock.now()
    with transaction.atomic():
        # signatures serialise on the session row, so the last signer always sees the others
        # and locks the report (two last signers at once would each miss the other)
        EvaluationSession.objects.select_for_update().filter(pk=session.pk).first()
        if (
            CommitteeMember.objects.filter(pk=me.pk, signed_at__isnull=True).update(
                signed_at=now, signed_sha256=report_sha256, dissent=dissent
            )
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT, "您已签署")
        _event(
            "report:signed",
            me,
            actor,
            {
                "report_sha256": report_sha256,
                "dissent": bool(dissent),
                "dissent_sha256": _h(dissent) if dissent else None,
            },
            session,
        )
        members = list(CommitteeMember.objects.filter(session=session))
        if all(m.signed_at for m in members):
            document = {
                "kind": "evaluation_report",
                "tender": session.tender_id,
                "report_sha256": session.report_sha256,
                "signatures": [
                    {
                        "user": f"user:{m.user_id}",
                        "sha256": m.signed_sha256,
                        "dissent": bool(m.dissent),
                        "signed_at": m.signed_at.isoformat() if m.signed_at else None,
                    }
                    for m in members
                ],
            }
            signed = platform_key.sign_document(document)
            _move(session, Step.REPORT, Step.SIGNED, report_signature=signed)
            _event(
                "report:completed",
                session,
                "platform",
                {"report_sha256": session.report_sha256, "signature": signed["signature"]},
                session,
            )
    me.refresh_from_db()
    return me


def report_verify(session: EvaluationSession) -> bool:
    sig = session.report_signature
    if not sig:
        return False
    doc = sig.get("document", {})
    if doc.get("report_sha256") != hashlib.sha256(canonical_json(session.report)).hexdigest():
        return False
    return platform_key.verify_document(sig, platform_key.public_key_bytes())
