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


def _days_ago(n: float) -> dt.datetime:
    return clock.now() - dt.timedelta(days=n)


def _all_pages(q: str, size: int) -> list[int]:
    f = selectors.parse_filters({"q": q})
    out: list[int] = []
    for page in range(1, 20):
        result = selectors.notice_search(f, page, size=size)
        out += [n.pk for n in result.items]
        if not result.has_next:
            return out
    raise AssertionError("has_next never ended")


def test_rank_tiers_newest_first_within_each():
    """Tiers: phrase in title, phrase in text, all terms in title, the rest; each newest first
    — an older notice of a better tier always comes before a newer one of a worse tier."""
    rest_new = publish(title="桥梁改造工程", body_html="<p>道路</p>", published_at=_days_ago(1))
    terms_title_new = publish(title="道路与桥梁改造", published_at=_days_ago(2))
    text_new = publish(title="市政工程", body_html="<p>城区道路改造</p>", published_at=_days_ago(3))
    title_new = publish(title="城区道路改造一期", published_at=_days_ago(4))
    title_old = publish(title="城区道路改造二期", published_at=_days_ago(40))
    text_old = publish(
        title="市政工程二", body_html="<p>道路改造工程</p>", published_at=_days_ago(41)
    )
    terms_title_old = publish(title="改造老旧道路", published_at=_days_ago(42))
    rest_old = publish(title="道路养护", body_html="<p>改造</p>", published_at=_days_ago(43))
    publish(title="城区道路养护", published_at=_days_ago(5))  # not every term: no match
    expected = [
        title_new.pk,
        title_old.pk,
        text_new.pk,
        text_old.pk,
        terms_title_new.pk,
        terms_title_old.pk,
        rest_new.pk,
        rest_old.pk,
    ]
    assert _ids("道路 改造") == expected
    # pages of 3 cut across tier boundaries: no gap, no repeat, the same order
    assert _all_pages("道路 改造", size=3) == expected
    # the same ranks on page 2 and later (read by id) as on page 1 (read directly)
    assert _all_pages("道路 改造", size=1) == expected


def test_one_long_term_title_first_then_text():
    body_new = publish(title="市政工程", body_html="<p>黄河堤防加固</p>", published_at=_days_ago(1))
    title_old = publish(title="黄河堤防加固工程", published_at=_days_ago(30))
    body_old = publish(
        title="水利工程", body_html="<p>黄河堤防加固</p>", published_at=_days_ago(60)
    )
    title_new = publish(title="黄河堤防加固二期", published_at=_days_ago(2))
    assert _ids("黄河堤防加固") == [title_new.pk, title_old.pk, body_new.pk, body_old.pk]
    assert _all_pages("黄河堤防加固", size=1) == [
        title_new.pk,
        title_old.pk,
        body_new.pk,
        body_old.pk,
    ]
    assert _ids("HEDI") == []
    ascii_title = publish(title="HeDi 堤防", published_at=_days_ago(50))
    ascii_body = publish(title="堤防", body_html="<p>hedi</p>", published_at=_days_ago(3))
    assert _ids("hedi") == [ascii_title.pk, ascii_body.pk]  # title match case-insensitive


def test_one_short_term_newest_first():
    older_title = publish(title="路灯照明工程", published_at=_days_ago(10))
    newer_body = publish(title="市政工程", body_html="<p>更换路灯</p>", published_at=_days_ago(1))
    assert _ids("路灯") == [newer_body.pk, older_title.pk]


def test_search_pages_stop_at_the_last_match():
    for i in range(5):
        publish(title=f"污水处理厂改造{i}", published_at=_days_ago(i + 1))
    f = selectors.parse_filters({"q": "污水处理厂"})
    first = selectors.notice_search(f, 1, size=2)
    last = selectors.notice_search(f, 3, size=2)
    beyond = selectors.notice_search(f, 4, size=2)
    assert first.has_next
    assert len(first.items) == 2
    assert not last.has_next
    assert len(last.items) == 1
    assert beyond.items == []
    assert not beyond.has_next
    assert all(n.body_text is not None for n in last.items)  # rows, not bare ids
