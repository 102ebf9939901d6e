"""Public notices: the plug-in index, portal pages for every stage, filters, keyset paging,
XSS, the project history and catalogue status, staff alerts, the API."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.test import Client
from tests.disclosure.conftest import publish

from ggzy import clock
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.disclosure.models import Notice, Outbox, Stage
from ggzy.ledger.models import Entry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("stage", Stage.values)
def test_every_stage_renders_on_the_portal(stage):
    label = Stage(stage).label
    n = publish(stage=stage, title=f"白银市{label}样例", body_html=f"<p>{label}正文内容</p>")
    client = Client()
    listing = client.get("/notices/", {"stage": stage})
    assert listing.status_code == 200
    html = listing.content.decode()
    assert f"白银市{label}样例" in html
    assert f'<span class="stage">{label}</span>' in html
    detail = client.get(f"/notices/{n.pk}/").content.decode()
    assert f"<p>{label}正文内容</p>" in detail
    assert (
        Entry.objects.filter(event_type="disclosure:notice:published", subject_id=str(n.pk)).count()
        == 1
    )
    assert Outbox.objects.filter(notice=n, processed_at__isnull=True).count() == 1
    other = next(s for s in Stage.values if s != stage)
    assert f"白银市{label}样例" not in client.get("/notices/", {"stage": other}).content.decode()


def test_publish_is_idempotent_and_validates():
    first = publish(key="src:1")
    again = publish(key="src:1", title="另一个标题")
    assert again.pk == first.pk
    assert Notice.objects.count() == 1
    with pytest.raises(DomainError) as err:
        publish(stage="auction_result")
    assert err.value.code == ErrorCode.NOTICE_INVALID
    assert err.value.field == "stage"
    with pytest.raises(DomainError) as err:
        publish(region_code="62")
    assert err.value.field == "region_code"
    assert Notice.objects.count() == 1


def test_future_notice_is_not_public():
    n = publish(title="尚未发布", published_at=clock.now() + dt.timedelta(hours=1))
    client = Client()
    assert "尚未发布" not in client.get("/notices/").content.decode()
    assert client.get(f"/notices/{n.pk}/").status_code == 404


def test_xss_payload_is_neutralised():
    payload = (
        '<p>公告</p><script>alert("x")</script><img src=x onerror="alert(1)">'
        '<a href="javascript:alert(2)">点我</a><p onclick="alert(3)">段落</p>'
    )
    n = publish(title='<script>alert("t")</script>标题', body_html=payload)
    assert "<script" not in n.body_html
    assert "onerror" not in n.body_html
    client = Client()
    detail = client.get(f"/notices/{n.pk}/").content.decode()
    assert 'alert("x")' not in detail
    assert "onerror" not in detail
    assert "onclick" not in detail
    assert "javascript:alert" not in detail
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;标题" in detail
    listing = client.get("/notices/").content.decode()
    assert '<script>alert("t")' not in listing
    search = client.get("/search/", {"q": "标题"}).content.decode()
    assert '<script>alert("t")' not in search


def test_keyset_pagination_walks_every_row_once():
    base = clock.now() - dt.timedelta(days=1)
    made = [publish(published_at=base + dt.timedelta(minutes=i // 2)) for i in range(45)]
    client = Client()
    seen: list[int] = []
    cursor = ""
    pages = 0
    while True:
        body = client.get("/api/v1/disclosure/notices", {"cursor": cursor} if cursor else {}).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    expected = [n.pk for n in sorted(made, key=lambda n: (n.published_at, n.pk), reverse=True)]
    assert seen == expected
    page = client.get("/notices/")
    assert page.status_code == 200
    assert 'rel="next"' in page.content.decode()


def test_bad_input_gives_4xx_not_500():
    client = Client()
    r = client.get("/notices/", {"cursor": "!!not-a-cursor"})
    assert r.status_code == 400
    assert "cursor_invalid" in r.content.decode()
    r = client.get("/api/v1/disclosure/notices", {"cursor": "bm9wZQ"})
    assert r.status_code == 400
    assert r.json()["code"] == "cursor_invalid"
    assert client.get("/notices/", {"stage": "nope", "from": "2026-13-40"}).status_code == 400
    assert client.get("/api/v1/disclosure/notices", {"region": "abc"}).status_code == 400
    assert client.get("/notices/999999/").status_code == 404
    assert client.get("/notices/projects/NOPE/").status_code == 404
    assert client.get("/feeds/notices.atom", {"region": "x"}).status_code == 400
    # far dates and crafted cursors overflow date arithmetic / integer columns: refused
    for params in ({"to": "9999-12-31"}, {"from": "0001-01-01"}):
        assert client.get("/notices/", params).status_code == 400
        r = client.get("/api/v1/disclosure/notices", {"date_" + k: v for k, v in params.items()})
        assert r.status_code == 400, r.content
    for raw in ("2026-01-01T00:00:00+00:00|99999999999999999999999", "0001-01-01T00:00:00+05:00|1"):
        crafted = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        r = client.get("/api/v1/disclosure/notices", {"cursor": crafted})
        assert (r.status_code, r.json()["code"]) == (400, "cursor_invalid")
        assert client.get("/notices/", {"cursor": crafted}).status_code == 400


def test_filters_trade_type_region_and_dates():
    now = clock.now()
    publish(title="兰州货物采购", trade_type="procurement.open", region_code="620102")
    publish(title="白银道路施工", region_code="620402")
    publish(title="旧公告", published_at=now - dt.timedelta(days=40))
    client = Client()

    def titles(**params):
        return client.get("/notices/", params).content.decode()

    assert "兰州货物采购" in titles(trade_type="procurement.open")
    assert "白银道路施工" not in titles(trade_type="procurement.open")
    province = titles(region="620000")
    assert "兰州货物采购" in province
    assert "白银道路施工" in province
    city = titles(region="620400")
    assert "白银道路施工" in city
    assert "兰州货物采购" not in city
    recent = titles(**{"from": (now - dt.timedelta(days=7)).date().isoformat()})
    assert "旧公告" not in recent
    assert "白银道路施工" in recent
    old = titles(to=(now - dt.timedelta(days=30)).date().isoformat())
    assert "旧公告" in old
    assert "白银道路施工" not in old


def test_project_page_history_in_order_and_catalogue_status(world):
    t0 = clock.now() - dt.timedelta(days=60)
    common = {"project_code": "P-HIST", "subject_code": "S-HIST"}
    publish(stage="award_result", title="结果", published_at=t0 + dt.timedelta(days=40), **common)
    publish(stage="tender_announcement", title="招标", published_at=t0, **common)
    publish(stage="opening_record", title="开标", published_at=t0 + dt.timedelta(days=21), **common)
    client = Client()
    html = client.get("/notices/projects/P-HIST/").content.decode()
    assert html.index(">招标<") < html.index(">开标<") < html.index(">结果<")
    assert 'data-stage="tender_announcement" data-state="published"' in html
    assert 'data-stage="award_result" data-state="published"' in html
    # candidate publicity was due within 30 days of the opening record and never came
    assert 'data-stage="candidate_publicity" data-state="overdue"' in html
    assert 'data-stage="contract" data-state="due"' in html
    assert 'data-stage="termination" data-state="not_applicable"' in html
    assert client.get("/notices/alerts/").status_code == 403
    client.force_login(world.bidder)
    assert client.get("/notices/alerts/").status_code == 403
    client.force_login(world.staff)
    alerts = client.get("/notices/alerts/").content.decode()
    assert "S-HIST" in alerts
    assert "中标候选人公示" in alerts


def test_catalogue_is_data():
    client = Client()
    data = client.get("/notices/catalogue.json").json()
    stages = [i["stage"] for i in data["trade_types"]["default"]["items"]]
    assert set(stages) == set(Stage.values)
    page = client.get("/notices/catalogue/").content.decode()
    assert "中标候选人公示" in page
    assert "实施条例第五十四条" in page


def test_catalogue_keys_are_trade_types_of_the_rules_catalogue(world):
    from django.core.management import call_command

    from ggzy.disclosure import catalogue
    from ggzy.rules.models import TradeType

    call_command("rules", "load", "--as", world.staff.username, verbosity=0)
    known = set(TradeType.objects.values_list("code", flat=True))
    listed = set(catalogue.load()["trade_types"]) - {"default"}
    assert listed - known == set()
    procurement = set(
        TradeType.objects.filter(category="procurement").values_list("code", flat=True)
    )
    assert procurement == {
        "gp.open",
        "gp.invite",
        "gp.negotiation",
        "gp.consultation",
        "gp.inquiry",
        "gp.single",
    }
    assert procurement <= listed  # each procurement method has its own list
    for code in sorted(procurement):
        stages = [i.stage for i in catalogue.items_for(code)]
        assert set(stages) <= set(Stage.values), code
        assert {"award_result", "contract", "termination"} <= set(stages), code
        # 政府采购 announces the result (条例第四十三条); no 中标候选人公示 stage
        assert "candidate_publicity" not in stages, code
        contract = next(i for i in catalogue.items_for(code) if i.stage == "contract")
        assert (contract.name, contract.basis) == ("政府采购合同公告", "政府采购法实施条例第五十条")


def test_procurement_section_shows_the_procurement_catalogue():
    t0 = clock.now() - dt.timedelta(days=20)
    common = {"project_code": "P-GP", "subject_code": "S-GP", "trade_type": "gp.open"}
    publish(stage="tender_announcement", title="采购", published_at=t0, **common)
    publish(stage="opening_record", title="开标", published_at=t0 + dt.timedelta(days=1), **common)
    html = Client().get("/notices/projects/P-GP/").content.decode()
    assert 'data-stage="tender_announcement" data-state="published"' in html
    assert 'data-stage="candidate_publicity"' not in html  # not the works list
    assert 'data-stage="award_result" data-state="overdue"' in html  # 7 days after the opening
    assert "政府采购合同公告" in html


def test_htmx_request_gets_only_the_results_partial():
    publish(title="局部刷新公告")
    r = Client().get("/notices/", HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200
    assert html.lstrip().startswith('<section id="results"')
    assert "局部刷新公告" in html
    assert "<html" not in html
