"""Demo: take one opened tender (if any) through evaluation to award (``seed(log)``).

Called by the demo loader after the expert demo seed. Uses the experts in the pool (users
with an active 评标专家 role), creating five demo experts when fewer exist; the tenderer's
first staff member sits as its representative. Every step goes through the services, so the
ledger holds the whole evaluation. The award waits for the 3-day publicity: the clock is
moved forward (⏩) to just after it ends, as the lifecycle demo does for the 20-day bid period.
Deterministic, and does nothing when no opened tender without an evaluation exists.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model

from ggzy import clock
from ggzy.accounts import services as accounts
from ggzy.evaluation import award, compute, reports, scores, services
from ggzy.evaluation.models import EvaluationSession, Step
from ggzy.evaluation.scoring.template import DEFAULT_TEMPLATES
from ggzy.registry import identifiers as ids
from ggzy.registry import services as registry
from ggzy.registry.models import Membership, MembershipStatus, Role
from ggzy.tendering.models import Tender, TenderStatus
from ggzy.tendering.selectors import ruleset_of

DEMO_PASSWORD = "Demo#2026ggzy"  # noqa: S105 - the published demo credential (web/demo.py)


def _users_with(role: str, **extra: Any) -> list[Any]:
    return [
        m.person.user
        for m in Membership.objects.filter(role=role, status=MembershipStatus.ACTIVE, **extra)
        .select_related("person__user")
        .order_by("id")
        if getattr(m.person, "user", None) is not None
    ]


def _experts(staff: Any, bidder_orgs: set[int], need: int) -> list[Any]:
    banned = {
        m.person_id
        for m in Membership.objects.filter(
            organization_id__in=bidder_orgs, status=MembershipStatus.ACTIVE
        )
    }
    pool = [u for u in _users_with(Role.EXPERT) if u.person.pk not in banned]
    n = 0
    while len(pool) < need:
        n += 1
        username = f"demo-expert-{n:02d}"
        if get_user_model().objects.filter(username=username).exists():
            continue
        body = f"620402197{n % 10}0{1 + n % 9}1{n % 10}{100 + n:03d}"
        user = accounts.user_signup(
            username=username,
            password=DEMO_PASSWORD,
            name=f"演示专家{n}",
            id_type="01",
            id_number=body + ids.citizen_id_check_char(body),
        )
        registry.membership_grant(actor=staff, person=user.person, role=Role.EXPERT)
        user.__dict__.pop("_ggzy_roles", None)
        pool.append(user)
    return pool[:need]


def seed(log: Callable[[str], None]) -> None:
    tender = (
        Tender.objects.filter(status=TenderStatus.OPENED, evaluation__isnull=True)
        .select_related("section__tender_project")
        .order_by("id")
        .first()
    )
    if tender is None:
        log("evaluation: no opened tender without an evaluation; nothing to do")
        return
    staff_users = _users_with(Role.CENTRE_STAFF)
    if not staff_users:
        log("evaluation: no centre staff; nothing to do")
        return
    staff = staff_users[0]
    tp = tender.section.tender_project
    reps = _users_with(Role.TENDERER, organization=tp.tenderer)[:1]
    allowed = ruleset_of(tender).get("evaluation_methods") or ()
    code = "works-comprehensive"
    if allowed and "comprehensive_scoring" not in allowed:
        code = "works-lowest-evaluated"
    session = services.evaluation_start(
        actor=staff, tender=tender, template=DEFAULT_TEMPLATES[code]
    )
    bidder_orgs = set(session.reviews.values_list("bidder_id", flat=True))
    valid = session.reviews.filter(rejected=False).count()
    if valid == 0:
        log("evaluation: every bid was rejected at the start; session left open")
        return
    from ggzy.experts.selectors import committee_experts

    if committee_experts(tender.section):  # the section's released draw seats the experts
        reps = []
        members = services.committee_form(actor=staff, session=session)
    else:
        experts = _experts(staff, bidder_orgs, 5 - len(reps) if reps else 5)
        members = services.committee_form(
            actor=staff, session=session, experts=experts, representatives=reps
        )
    for m in members:
        services.chair_vote(actor=m.user, session=session, candidate=members[0])
    for step in (Step.QUALIFICATION, Step.PRELIMINARY, Step.DETAILED):
        services.session_advance(actor=staff, session=session, to=step)
    rng = random.Random(2026)  # noqa: S311 - deterministic demo scores
    tpl = compute.template_of(session)
    for m in members:
        for r in session.reviews.filter(rejected=False).order_by("received_at"):
            sheet = {
                c.code: str(round(float(c.max) * rng.uniform(0.6, 1.0), 1)) if tpl.scored else "1"
                for c in tpl.criteria
            }
            scores.scores_set(actor=m.user, review=r, scores=sheet, submit=True)
    for step in (Step.PRICE, Step.TOTALS, Step.RANKING, Step.REPORT):
        services.session_advance(actor=staff, session=session, to=step)
    session.refresh_from_db()
    for m in members:
        reports.report_sign(actor=m.user, session=session, report_sha256=session.report_sha256)
    session.refresh_from_db()
    _award(reps[0] if reps else staff, session)
    session = EvaluationSession.objects.get(pk=session.pk)
    log(
        f"evaluation: {tender.title} evaluated by {len(members)} members, "
        f"{len(session.report.get('candidates', []))} candidates, awarded; notices issued"
    )


def _award(manager: Any, session: EvaluationSession) -> None:
    """Works: 中标候选人公示 for 3 days, then 定标. 政府采购: the purchaser confirms the rank-1
    supplier from the signed report (条例第四十三条), no 公示."""
    if not award.has_candidate_publicity(session.tender):
        award.award_issue(actor=manager, session=session)
        return
    award.publicity_start(actor=manager, session=session)
    session.refresh_from_db()
    assert session.publicity_until is not None
    at = max(clock.now(), session.publicity_until + dt.timedelta(minutes=1))
    with clock.frozen(at):  # ⏩ past the 3-day candidate publicity
        award.award_issue(actor=manager, session=session)
