"""The pages with Django's test client: staff console, expert workspace on a phone-sized
form, bidder's clarification answer, the regulator's live view (htmx partial) and refusals."""

from __future__ import annotations

import pytest

from ggzy.evaluation import compute
from ggzy.evaluation.models import BidClarification, CommitteeMember, EvaluationSession, Score, Step

pytestmark = pytest.mark.django_db

SHEET = {"T1": "8", "T2": "7", "T3": "6", "B1": "9", "C1": "5"}


def _client(client, user):
    client.force_login(user)
    return client


def test_pages_drive_the_evaluation(opened, client, django_user_model):
    o = opened
    staff = _client(client, o.world.staff)
    r = staff.post(
        f"/evaluation/tender/{o.tender.pk}/start/", {"template_code": "works-comprehensive"}
    )
    session = EvaluationSession.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/evaluation/{session.pk}/"
    page = staff.get(f"/evaluation/{session.pk}/")
    assert page.status_code == 200
    assert "组建评标委员会" in page.content.decode()
    # a committee that breaks T18 is refused with the rule in the message
    r = staff.post(
        f"/evaluation/{session.pk}/action/committee/",
        {"experts": "expert,expert2", "representatives": ""},
        follow=True,
    )
    assert "不得少于 5 人" in r.content.decode()
    names = ",".join(u.username for u in o.experts)
    staff.post(
        f"/evaluation/{session.pk}/action/committee/",
        {"experts": names, "representatives": "tenderer"},
    )
    members = list(CommitteeMember.objects.filter(session=session))
    assert len(members) == 5
    for m in members:
        c = _client(client, m.user)
        ws = c.get(f"/evaluation/{session.pk}/workspace/")
        assert ws.status_code == 200
        assert "推选组长" in ws.content.decode()
        c.post(f"/evaluation/{session.pk}/action/vote/", {"candidate": members[0].pk})
    staff = _client(client, o.world.staff)
    for step in ("qualification", "preliminary", "detailed"):
        staff.post(f"/evaluation/{session.pk}/action/advance/", {"to": step})
    session.refresh_from_db()
    assert session.step == Step.DETAILED
    review = session.reviews.order_by("received_at").first()
    expert = _client(client, members[1].user)
    ws = expert.get(f"/evaluation/{session.pk}/workspace/?review={review.pk}")
    assert 'id="score-form"' in ws.content.decode()
    expert.post(
        f"/evaluation/{session.pk}/action/ask/", {"review": review.pk, "question": "请澄清项目经理"}
    )
    r = expert.post(
        f"/evaluation/{session.pk}/workspace/{review.pk}/score/",
        {**SHEET, "T1": "11", "submit": "1"},
        follow=True,
    )
    assert "score_invalid" in r.content.decode()
    assert not Score.objects.exists()
    expert.post(f"/evaluation/{session.pk}/workspace/{review.pk}/score/", {**SHEET, "submit": "1"})
    assert Score.objects.filter(member=members[1], review=review).count() == 5
    # the bidder answers the clarification in writing on its page
    bidder = _client(client, o.world.bidder)
    page = bidder.get(f"/evaluation/{session.pk}/").content.decode()
    assert "请澄清项目经理" in page
    assert "score-changes" not in page
    clar = BidClarification.objects.get()
    bidder.post(
        f"/evaluation/{session.pk}/action/answer/",
        {"clarification": clar.pk, "answer": "项目经理张三"},
    )
    clar.refresh_from_db()
    assert clar.answer == "项目经理张三"
    assert bidder.get(f"/evaluation/{session.pk}/workspace/").status_code == 403
    r = bidder.post(f"/evaluation/{session.pk}/action/advance/", {"to": "price"}, follow=True)
    assert "permission_denied" in r.content.decode()
    # the regulator's live partial shows the score change
    reg = _client(client, o.world.regulator)
    live = reg.get(f"/evaluation/{session.pk}/", headers={"HX-Request": "true"})
    body = live.content.decode()
    assert live.status_code == 200
    assert body.lstrip().startswith('<div id="live"')
    assert "T1: —→8" in body
    assert _client(client, o.world.public).get(f"/evaluation/{session.pk}/").status_code == 404
    assert compute.template_of(session).label == "works-comprehensive@2026.1"
