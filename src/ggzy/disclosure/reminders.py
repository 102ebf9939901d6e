"""进度提醒 for bidders on their own tenders: the deadline is near, a clarification was issued,
the opening has started. ``due_reminders`` selects; ``reminders_create`` stores them once each
(unique per person, tender, kind and reference) — run by ``ggzy disclosure reminders``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from ggzy import clock, ledger
from ggzy.disclosure.models import Reminder, ReminderKind
from ggzy.registry.models import Membership, MembershipStatus
from ggzy.tendering.models import Bid, BidUpload, Clarification, OpeningSession, TenderStatus

DEADLINE_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Due:
    user_id: int
    tender_id: int
    kind: str
    ref: str
    message: str


def _participants(now: dt.datetime) -> dict[int, set[int]]:
    """tender id → user ids of active members of organisations that bid or started a bid."""
    orgs: dict[int, set[int]] = {}
    live = {TenderStatus.ANNOUNCED, TenderStatus.OPENING}
    for tender_id, org_id in Bid.objects.filter(tender__status__in=live).values_list(
        "tender_id", "bidder_id"
    ):
        orgs.setdefault(tender_id, set()).add(org_id)
    for tender_id, org_id in BidUpload.objects.filter(tender__status__in=live).values_list(
        "tender_id", "bidder_id"
    ):
        orgs.setdefault(tender_id, set()).add(org_id)
    members: dict[int, set[int]] = {}
    all_orgs = {o for s in orgs.values() for o in s}
    for org_id, user_id in Membership.objects.filter(
        organization_id__in=all_orgs, status=MembershipStatus.ACTIVE, person__user__isnull=False
    ).values_list("organization_id", "person__user_id"):
        members.setdefault(org_id, set()).add(user_id)
    return {t: {u for o in os_ for u in members.get(o, set())} for t, os_ in orgs.items()}


def due_reminders(now: dt.datetime | None = None) -> list[Due]:
    now = now or clock.now()
    people = _participants(now)
    if not people:
        return []
    from ggzy.tendering.models import Tender

    out: list[Due] = []
    tenders = Tender.objects.filter(pk__in=people).only("id", "title", "status", "bid_deadline")
    for t in tenders:
        users = people.get(t.pk, set())
        if (
            t.status == TenderStatus.ANNOUNCED
            and t.bid_deadline is not None
            and now < t.bid_deadline <= now + DEADLINE_WINDOW
        ):
            local = f"{timezone.localtime(t.bid_deadline):%Y-%m-%d %H:%M}"
            out += [
                Due(
                    u,
                    t.pk,
                    ReminderKind.DEADLINE,
                    t.bid_deadline.isoformat(),
                    f"「{t.title}」将于 {local} 截止投标并开标",
                )
                for u in users
            ]
    for c in Clarification.objects.filter(tender_id__in=people):
        out += [
            Due(
                u,
                c.tender_id,
                ReminderKind.CLARIFICATION,
                str(c.pk),
                "您参与的招标发布了澄清或修改，请查看并核对投标文件",
            )
            for u in people.get(c.tender_id, set())
        ]
    for s in OpeningSession.objects.filter(tender_id__in=people):
        out += [
            Due(
                u,
                s.tender_id,
                ReminderKind.OPENING,
                str(s.pk),
                "开标已开始，请在解密时间内签到并解密投标文件",
            )
            for u in people.get(s.tender_id, set())
        ]
    return out


def reminders_create(*, actor: Any = "system:disclosure", now: dt.datetime | None = None) -> int:
    now = now or clock.now()
    due = due_reminders(now)
    with transaction.atomic():
        before = Reminder.objects.count()
        Reminder.objects.bulk_create(
            [
                Reminder(
                    user_id=d.user_id,
                    tender_id=d.tender_id,
                    kind=d.kind,
                    ref=d.ref,
                    message=d.message,
                    created_at=now,
                )
                for d in due
            ],
            ignore_conflicts=True,
        )
        created = Reminder.objects.count() - before
        if created:
            ledger.record(
                "disclosure:reminder:created",
                ("disclosure.reminder", now.isoformat()),
                actor,
                {"created": created},
            )
    return created
