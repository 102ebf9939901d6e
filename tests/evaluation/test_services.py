"""The evaluation at the service level: committee rules (T18), chair election, independent
scoring with every change on the ledger, rejection grounds, clarifications, the signed report
locking the scores, publicity with an objection pausing the award, notices and reminders."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from ggzy import clock
from ggzy.core import platform_key
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.evaluation import award, reports, scores, selectors, services
from ggzy.evaluation.models import (
    BidReview,
    CommitteeMember,
    Notice,
    Reminder,
    Score,
    Step,
)
from ggzy.ledger.models import Entry, EntryDigest
from ggzy.rules import selectors as rules
from ggzy.tendering.selectors import ruleset_of

pytestmark = pytest.mark.django_db

FULL = {"T1": "8", "T2": "6.5", "T3": "6", "B1": "9", "C1": "5"}


def _committee(o):
    session = services.evaluation_start(actor=o.world.staff, tender=o.tender)
    members = services.committee_form(
        actor=o.world.staff, session=session, experts=o.experts, representatives=[o.world.tenderer]
    )
    for m in members:
        services.chair_vote(actor=m.user, session=session, candidate=members[0])
    return session, members


def _to(session, staff, *steps):
    for step in steps:
        services.session_advance(actor=staff, session=session, to=step)


def _score_all(session, members, base=FULL):
    for m in members:
        for r in session.reviews.filter(rejected=False):
            scores.scores_set(actor=m.user, review=r, scores=base, submit=True)


def test_committee_composition_is_refused_with_the_binding_rule(opened):
    o = opened
    staff = o.world.staff
    session = services.evaluation_start(actor=staff, tender=o.tender)
    cases = [
        (o.experts[:3], [o.world.tenderer], "不得少于 5 人"),  # 4 members
        (o.experts[:4], [o.world.tenderer, o.world.agency], "单数"),  # 6 members
        (o.experts[:3], [o.world.tenderer, o.world.agency], "2/3"),  # 3/5 experts
        ([*o.experts[:4], o.world.bidder], [], "不是在库的评标专家"),
        (o.experts[:4], [o.world.bidder], "利害关系"),  # bidder's staff
    ]
    for experts, reps, text in cases:
        with pytest.raises(DomainError) as err:
            services.committee_form(
                actor=staff, session=session, experts=experts, representatives=reps
            )
        assert err.value.code == ErrorCode.COMMITTEE_INVALID
        assert text in err.value.message, err.value.message
    assert CommitteeMember.objects.count() == 0
    assert not Entry.objects.filter(event_type="evaluation:committee:formed").exists()
    with pytest.raises(DomainError) as err:  # only staff form committees
        services.committee_form(
            actor=o.world.tenderer, session=session, experts=o.experts, representatives=[]
        )
    assert err.value.code == ErrorCode.PERMISSION_DENIED


def test_whole_evaluation_to_award_with_pdf_notices(opened):
    o = opened
    staff, tenderer = o.world.staff, o.world.tenderer
    session, members = _committee(o)
    assert CommitteeMember.objects.get(pk=members[0].pk).is_chair
    started = Entry.objects.get(event_type="evaluation:session:started")
    assert started.payload["k_seed"] == session.k_seed
    assert Decimal(started.payload["k"]) == session.k_value
    # an outsider cannot score; only committee members
    review = session.reviews.first()
    _to(session, staff, Step.QUALIFICATION, Step.PRELIMINARY, Step.DETAILED)
    with pytest.raises(DomainError) as err:
        scores.scores_set(actor=o.world.bidder, review=review, scores=FULL)
    assert err.value.code == ErrorCode.NOT_COMMITTEE_MEMBER
    with pytest.raises(DomainError) as err:
        scores.scores_set(actor=members[1].user, review=review, scores={"T1": "10.5"})
    assert (err.value.code, err.value.field) == (ErrorCode.SCORE_INVALID, "T1")
    # a written clarification and the bidder's answer
    c = services.clarification_ask(actor=members[0].user, review=review, question="请说明工期安排")
    with pytest.raises(DomainError):
        services.clarification_answer(actor=o.bidders[1].user, clarification=c, answer="x")
    services.clarification_answer(actor=o.bidders[0].user, clarification=c, answer="工期365天")
    with pytest.raises(DomainError) as err:  # sheets missing
        _to(session, staff, Step.PRICE)
    assert err.value.code == ErrorCode.SCORES_INCOMPLETE
    _score_all(session, members)
    # one expert changes a score: one ledger entry with old → new
    scores.scores_set(actor=members[2].user, review=review, scores={"T1": "9"}, submit=True)
    change = Entry.objects.filter(event_type="evaluation:score:changed").order_by("-pk").first()
    assert change.payload["changes"] == [{"criterion": "T1", "old": "8.00", "new": "9"}]
    assert selectors.score_changes(session).count() == len(members) * 3 + 1
    _to(session, staff, Step.PRICE, Step.TOTALS, Step.RANKING, Step.REPORT)
    session.refresh_from_db()
    ranks = {r.bidder_id: r for r in BidReview.objects.filter(session=session)}
    first = min(ranks.values(), key=lambda r: r.rank)
    assert first.candidate_rank == 1
    assert sorted(r.rank for r in ranks.values()) == [1, 2, 3]
    # sign: wrong hash refused, then every member signs; dissent recorded
    with pytest.raises(DomainError) as err:
        reports.report_sign(actor=members[0].user, session=session, report_sha256="0" * 64)
    assert err.value.code == ErrorCode.REPORT_HASH_MISMATCH
    for i, m in enumerate(members):
        reports.report_sign(
            actor=m.user,
            session=session,
            report_sha256=session.report_sha256,
            dissent="对技术评分有保留意见" if i == 1 else "",
        )
    session.refresh_from_db()
    assert session.step == Step.SIGNED
    assert reports.report_verify(session)
    # after signing any score change is refused, and nothing changes
    before = Score.objects.get(member=members[2], review=review, criterion="T1").value
    with pytest.raises(DomainError) as err:
        scores.scores_set(actor=members[2].user, review=review, scores={"T1": "3"})
    assert err.value.code == ErrorCode.REPORT_SIGNED
    assert Score.objects.get(member=members[2], review=review, criterion="T1").value == before
    # publicity ≥ 3 days; an objection pauses the award until answered
    award.publicity_start(actor=tenderer, session=session)
    assert session.publicity_until - session.publicity_from >= dt.timedelta(days=3)
    obj = award.objection_raise(actor=o.bidders[2].user, session=session, content="评分有误")
    with clock.frozen(session.publicity_until + dt.timedelta(minutes=1)):
        with pytest.raises(DomainError) as err:
            award.award_issue(actor=tenderer, session=session)
        assert err.value.code == ErrorCode.EVALUATION_OBJECTION_PENDING
        award.objection_answer(actor=tenderer, objection=obj, answer="经复核，评分无误")
        award.award_issue(actor=tenderer, session=session, base_url="http://testserver")
    session.refresh_from_db()
    assert session.step == Step.AWARDED
    assert session.winner_id == first.bid_id
    notices = list(Notice.objects.filter(session=session))
    assert sorted(n.kind for n in notices) == ["award", "result", "result"]
    award_notice = next(n for n in notices if n.kind == "award")
    data = award_notice.pdf.read()
    assert hashlib.sha256(data).hexdigest() == award_notice.pdf_sha256
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "中标通知书" in text
    assert award_notice.content_sha256 in text
    assert award_notice.signature["signature"]["value"][:60] in text
    url = f"http://testserver/ledger/verify/?sha256={award_notice.content_sha256}"
    assert url in text.replace("\n", "")
    assert len(PdfReader(io.BytesIO(data)).pages[0].images) == 1  # the QR code
    assert platform_key.verify_document(award_notice.signature, platform_key.public_key_bytes())
    # the verify page finds the PDF by its hash, and the QR code's content hash too
    digest = EntryDigest.objects.get(sha256=award_notice.pdf_sha256)
    assert digest.entry.event_type == "evaluation:notice:issued"
    assert EntryDigest.objects.filter(sha256=award_notice.content_sha256).exists()
    # the portal published the candidates when the publicity began, and the result
    from ggzy.disclosure.models import Notice as PublicNotice

    publicity = PublicNotice.objects.get(stage="candidate_publicity")
    assert first.bidder.name in publicity.body_text
    assert "异议" in publicity.body_text
    assert [c["rank"] for c in publicity.facts["candidates"]] == [1, 2, 3]
    result = PublicNotice.objects.get(stage="award_result")
    assert result.facts["winner_code"] == first.bidder.uscc
    assert result.facts["winning_price"] == str(first.price.quantize(Decimal("0.01")))
    # reminders: written report 15 days, contract 30 days
    kinds = sorted(Reminder.objects.filter(session=session).values_list("kind", "user__username"))
    assert ("written_report", "tenderer") in kinds
    assert ("contract", first.bid.submitted_by.username) in kinds
    report = Reminder.objects.get(kind="written_report", user=tenderer)
    # 15 days (a last day on a holiday runs on to the next working day), to the end of the day
    rs = ruleset_of(opened.tender)
    assert report.due_at == rules.period_end_for(rs, "award_report_days", session.awarded_at)
    assert report.due_at - session.awarded_at >= dt.timedelta(days=15)
    with clock.frozen(report.due_at + dt.timedelta(minutes=1)):
        due = selectors.due_items(tenderer)
        assert [d.overdue for d in due if d.reminder.kind == "written_report"] == [True]
        flagged = award.reminders_flag_overdue()
        assert {r.kind for r in flagged} == {"written_report"}
        assert award.reminders_flag_overdue() == []  # flagged once


def test_rejection_needs_a_ground_and_all_rejected_fails(opened):
    o = opened
    session, members = _committee(o)
    staff = o.world.staff
    _to(session, staff, Step.QUALIFICATION)
    reviews = list(session.reviews.all())
    with pytest.raises(DomainError) as err:
        services.review_reject(actor=members[0].user, review=reviews[0], ground="X", reason="x")
    assert err.value.field == "ground"
    services.review_reject(
        actor=members[0].user, review=reviews[0], ground="R51-3", reason="资质证书过期"
    )
    e = Entry.objects.get(event_type="evaluation:review:rejected")
    assert e.payload["basis"] == "招标投标法实施条例第五十一条第（三）项"
    services.session_fail(actor=staff, session=session, reason="有效投标不足三家，缺乏竞争")
    session.refresh_from_db()
    assert session.step == Step.FAILED


def test_demo_seed_takes_the_opened_tender_to_award(opened):
    from ggzy.evaluation import demo

    lines = []
    demo.seed(lines.append)
    session = opened.tender.evaluation
    assert session.step == Step.AWARDED
    assert Notice.objects.filter(session=session).count() == 3
    assert "awarded" in lines[-1]
    demo.seed(lines.append)  # nothing left to do
    assert "nothing to do" in lines[-1]


def test_lowest_evaluated_price_method(opened):
    """经评审的最低投标价法: compliance criteria pass/fail; evaluated price = price + adjustments;
    a bid failed by the majority on a criterion is rejected (R51-6)."""
    o = opened
    staff = o.world.staff
    session = services.evaluation_start(
        actor=staff, tender=o.tender, template={"code": "works-lowest-evaluated"}
    )
    assert session.method == "lowest_evaluated_price"
    assert session.k_value is None
    members = services.committee_form(
        actor=staff, session=session, experts=o.experts, representatives=[o.world.tenderer]
    )
    for m in members:
        services.chair_vote(actor=m.user, session=session, candidate=members[0])
    _to(session, staff, Step.QUALIFICATION, Step.PRELIMINARY, Step.DETAILED)
    reviews = {r.price: r for r in session.reviews.all()}
    cheapest = reviews[Decimal("28650000")]
    middle = reviews[Decimal("28800000")]
    services.review_adjust(
        actor=members[0].user,
        review=cheapest,
        adjustments=[{"reason": "工期偏差 30 日，每日 10000 元", "amount": "300000"}],
    )
    with pytest.raises(DomainError):  # only the chair enters adjustments
        services.review_adjust(actor=members[1].user, review=cheapest, adjustments=[])
    for amount in ("1e30", "NaN", "abc"):  # refused with a code, never a decimal error
        with pytest.raises(DomainError) as err:
            services.review_adjust(
                actor=members[0].user,
                review=cheapest,
                adjustments=[{"reason": "x", "amount": amount}],
            )
        assert err.value.code == ErrorCode.VALIDATION
    for i, m in enumerate(members):
        for r in reviews.values():
            fail = r.price == Decimal("29100000.50") and i < 3  # 3 of 5 fail it on P2
            scores.scores_set(
                actor=m.user, review=r, scores={"P1": "1", "P2": "0" if fail else "1"}, submit=True
            )
    _to(session, staff, Step.PRICE, Step.TOTALS, Step.RANKING)
    rows = {r.price: r for r in BidReview.objects.filter(session=session)}
    assert rows[Decimal("29100000.50")].rejected
    assert rows[Decimal("29100000.50")].rejection_ground == "R51-6"
    # 28,650,000 + 300,000 = 28,950,000 > 28,800,000: the middle bid ranks first
    assert rows[Decimal("28650000")].evaluated_price == Decimal("28950000.00")
    assert (rows[middle.price].rank, rows[cheapest.price].rank) == (1, 2)


def test_deadlines_command_lists_and_flags(opened, capsys):
    from django.core.management import call_command

    from ggzy.evaluation import demo

    demo.seed(lambda _line: None)
    call_command("evaluation_deadlines")
    out = capsys.readouterr().out
    assert "招标投标情况书面报告" in out
    assert "0 overdue" in out
    # after every due date: 30 days from the award can run on past the New Year holiday
    last_due = max(Reminder.objects.values_list("due_at", flat=True))
    with clock.frozen(last_due + dt.timedelta(minutes=1)), pytest.raises(SystemExit):
        call_command("evaluation_deadlines", "--flag")
    out = capsys.readouterr().out
    assert "OVERDUE" in out
    assert "newly flagged" in out
    assert (
        Entry.objects.filter(event_type="evaluation:reminder:overdue").count()
        == Reminder.objects.count()
    )


def test_k_is_reproducible_from_the_published_seed(opened):
    from ggzy.evaluation.scoring import price
    from ggzy.evaluation.scoring.template import WORKS_COMPREHENSIVE

    session = services.evaluation_start(actor=opened.world.staff, tender=opened.tender)
    entry = Entry.objects.get(event_type="evaluation:session:started")
    choices = [Decimal(c) for c in WORKS_COMPREHENSIVE["price"]["k_choices"]]
    k, digest = price.k_draw(entry.payload["k_seed"], f"tender:{opened.tender.pk}", choices)
    assert (k, digest) == (session.k_value, entry.payload["k_digest_sha256"])
    assert entry.payload["k_seed"].startswith("checkpoint:")


def test_wrong_roles_are_refused_and_change_nothing(opened):
    o = opened
    session, _members = _committee(o)
    staff = o.world.staff
    _to(session, staff, Step.QUALIFICATION, Step.PRELIMINARY, Step.DETAILED)
    outsider = make_experts_extra(o.world)
    review = session.reviews.first()
    entries = Entry.objects.count()
    attempts = [
        (
            lambda: scores.scores_set(actor=outsider, review=review, scores=FULL),
            ErrorCode.NOT_COMMITTEE_MEMBER,
        ),
        (
            lambda: scores.scores_set(actor=None, review=review, scores=FULL),
            ErrorCode.NOT_AUTHENTICATED,
        ),
        (
            lambda: services.review_reject(
                actor=o.world.bidder, review=review, ground="R51-1", reason="x"
            ),
            ErrorCode.NOT_COMMITTEE_MEMBER,
        ),
        (
            lambda: services.session_advance(
                actor=o.world.regulator, session=session, to=Step.PRICE
            ),
            ErrorCode.PERMISSION_DENIED,
        ),
        (
            lambda: services.session_advance(
                actor=o.world.tenderer, session=session, to=Step.PRICE
            ),
            ErrorCode.PERMISSION_DENIED,
        ),
        (
            lambda: award.publicity_start(actor=o.world.bidder, session=session),
            ErrorCode.PERMISSION_DENIED,
        ),
        (
            lambda: services.clarification_ask(
                actor=o.world.regulator, review=review, question="?"
            ),
            ErrorCode.NOT_COMMITTEE_MEMBER,
        ),
        (
            lambda: services.session_advance(actor=staff, session=session, to=Step.REPORT),
            ErrorCode.EVALUATION_STATE,
        ),
    ]
    for call, code in attempts:
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == code
    session.refresh_from_db()
    assert session.step == Step.DETAILED
    assert Entry.objects.count() == entries
    assert not Score.objects.exists()


def make_experts_extra(world):
    from tests.factories import signup

    from ggzy.registry import services as registry
    from ggzy.registry.models import Role

    u = signup("expert99", "局外专家")
    registry.membership_grant(actor=world.staff, person=u.person, role=Role.EXPERT)
    u.__dict__.pop("_ggzy_roles", None)
    return u
