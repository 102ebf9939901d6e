"""Chinese full-text search: phrases inside longer words (trigram index), short-term
fallback, exact phrase first, filters, escaped highlighting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from tests.disclosure.conftest import publish

from ggzy import clock
from ggzy.disclosure import search, selectors

pytestmark = pytest.mark.django_db


def _ids(q: str, **filters: str) -> list[int]:
    f = selectors.parse_filters({"q": q, **filters})
    return [n.pk for n in selectors.notice_search(f).items]


def test_finds_a_phrase_inside_longer_words():
    road = publish(title="白银市城区道路改造工程施工招标公告", body_html="<p>市政道路改造提升</p>")
    publish(title="会宁县中学教学楼建设项目", body_html="<p>房屋建筑工程</p>")
    assert _ids("道路改造") == [road.pk]
    assert _ids("区道路改") == [road.pk]  # a fragment spanning two words
    assert _ids("路改") == [road.pk]  # two characters: LIKE fallback
    assert _ids("教学楼 建设") != [road.pk]
    assert _ids("地铁隧道") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM disclosure_notice_fts WHERE disclosure_notice_fts MATCH %s",
                ['"道路改造"'],
            )
            assert cur.fetchone()[0] == 1


def test_exact_phrase_ranks_first():
    old = clock.now() - dt.timedelta(days=5)
    scattered = publish(title="道路养护与桥梁改造", body_html="<p>道路和改造分开出现</p>")
    in_body = publish(
        title="市政工程施工", body_html="<p>包含城区道路改造内容</p>", published_at=old
    )
    in_title = publish(
        title="城区道路改造工程", body_html="<p>正文</p>", published_at=old - dt.timedelta(days=1)
    )
    assert _ids("道路 改造") == [in_title.pk, in_body.pk, scattered.pk]
    assert _ids("道路改造") == [in_title.pk, in_body.pk]


def test_search_filters_and_ascii_case():
    a = publish(title="EPC总承包道路工程", trade_type="works.open")
    publish(title="EPC总承包道路采购", trade_type="procurement.open")
    assert _ids("epc总承包", trade_type="works.open") == [a.pk]
    assert len(_ids("Epc")) == 2


def test_highlight_is_escaped_and_marks_matches():
    q = search.parse("<b>道路")
    out = search.highlight("<script>x</script>城区<b>道路改造", q, whole=True)
    assert out == "&lt;script&gt;x&lt;/script&gt;城区<mark>&lt;b&gt;道路</mark>改造"
    q2 = search.parse("道路")
    snippet = search.highlight("甲" * 200 + "道路" + "乙" * 200, q2, width=20)
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert "<mark>道路</mark>" in snippet


def test_search_page_highlights_and_neutralises_markup():
    publish(
        title="城区道路改造工程", body_html="<p>关于道路改造&lt;img src=x onerror=alert(1)&gt;</p>"
    )
    client = Client()
    html = client.get("/search/", {"q": "道路改造"}).content.decode()
    assert "城区<mark>道路改造</mark>工程" in html
    assert "<img" not in html.split('id="hits"')[1]
    api = client.get("/api/v1/disclosure/search", {"q": "道路改造"}).json()
    assert api["items"][0]["title"] == "城区道路改造工程"
    assert "<mark>道路改造</mark>" in api["items"][0]["snippet_html"]
    assert "&lt;img" in api["items"][0]["snippet_html"]
    r = client.get("/search/", {"q": "道路", "page": "x"})
    assert r.status_code == 200


def test_recent_window_first_then_all_time():
    old = publish(title="黄河堤防加固工程", published_at=clock.now() - dt.timedelta(days=200))
    assert _ids("黄河堤防") == [old.pk]  # nothing recent: the whole index is searched
    new = publish(title="黄河堤防加固二期")
    assert _ids("黄河堤防") == [new.pk]  # recent matches: the last three months only
    since = (clock.now() - dt.timedelta(days=365)).date().isoformat()
    assert _ids("黄河堤防", **{"from": since}) == [new.pk, old.pk]
    html = Client().get("/search/", {"q": "黄河堤防"}).content.decode()
    assert 'id="window-note"' in html


@pytest.mark.parametrize(
    "q", ['"', "NEAR( a* OR ", "道路 AND -改造", "'; DROP TABLE x; --", "%_%", "\\\\", "x" * 500]
)
def test_odd_queries_never_fail(q):
    publish(title="城区道路改造工程")
    client = Client()
    assert client.get("/search/", {"q": q}).status_code == 200
    assert client.get("/api/v1/disclosure/search", {"q": q}).status_code == 200
    assert client.get("/feeds/notices.atom", {"q": q}).status_code == 200


def test_like_wildcards_are_literal():
    publish(title="城区道路改造工程")
    assert _ids("%%%") == []
    assert _ids("道_改") == []
