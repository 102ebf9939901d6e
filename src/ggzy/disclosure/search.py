"""Chinese full-text search over notices, without a word segmenter.

Terms of three characters or more use the trigram index (SQLite FTS5 ``tokenize='trigram'``,
PostgreSQL ``pg_trgm`` GIN on ``search_text``) so a phrase is found inside longer words;
shorter terms (Chinese two-character words are common) fall back to ``LIKE`` over the
candidates; a query of one short term is ordered newest first. Ranking otherwise: the whole
query as one phrase in the title, then in the text, then all terms in the title, then the
rest; newest first within a rank. Each rank is a separate ``LIMIT`` query read only as far
as a page needs (``tiers``), so a common word never ranks every one of its matches."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from ggzy.disclosure.models import Notice

MAX_TERMS = 6
MAX_TERM = 50
_SPLIT = re.compile(r"\s+")


@dataclass(frozen=True)
class Query:
    terms: tuple[str, ...]

    @property
    def phrase(self) -> str:
        """The query as typed, spaces between Chinese words dropped (道路 改造 → 道路改造)."""
        return "".join(self.terms) if _all_cjk(self.terms) else " ".join(self.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)


def _all_cjk(terms: tuple[str, ...]) -> bool:
    return all(not t.isascii() for t in terms)


def parse(q: str | None) -> Query:
    raw = (q or "").lower().replace('"', " ").strip()
    terms = tuple(dict.fromkeys(t[:MAX_TERM] for t in _SPLIT.split(raw) if t))[:MAX_TERMS]
    return Query(terms)


def _fts_match(terms: tuple[str, ...]) -> str:
    return " AND ".join('"' + t.replace('"', "") + '"' for t in terms if len(t) >= 3)


def matching(qs: QuerySet[Notice], query: Query) -> QuerySet[Notice]:
    """``qs`` filtered to notices containing every term (no order, no rank)."""
    if not query:
        return qs
    if connection.vendor == "sqlite" and any(len(t) >= 3 for t in query.terms):
        qs = qs.extra(
            where=[
                '"disclosure_notice"."id" IN (SELECT rowid FROM disclosure_notice_fts '
                "WHERE disclosure_notice_fts MATCH %s)"
            ],
            params=[_fts_match(query.terms)],
        )
    for term in query.terms:
        # PostgreSQL: LIKE '%term%' on search_text is answered by the pg_trgm GIN index
        qs = qs.filter(search_text__contains=term)
    return qs


def tiers(qs: QuerySet[Notice], query: Query) -> Iterator[QuerySet[Notice]]:
    """The matches of ``query`` in ``qs`` as disjoint rank tiers, best first, each ordered
    newest first: (0) the whole query as one phrase in the title, (1) the phrase in the text,
    (2) every term in the title, (3) the rest. A page is filled from tier 0 down with
    ``LIMIT``, so a common word never ranks every match: tier 0 is answered by walking the
    date index (a common phrase) or from the title's trigram index (PostgreSQL
    ``lower(title) gin_trgm_ops``, migration 0003; a rare one), and later tiers are built and
    read only when earlier ones run out. Ranks 2 and 3 (only for several terms whose phrase
    does not fill the page) are one query ranked as before.

    A query of one short term (1–2 characters: no trigram can narrow it) is one tier,
    newest first, so the scan of the date index stops at the first page of matches."""
    order = ("-published_at", "-id")
    if not query or (len(query.terms) == 1 and len(query.terms[0]) < 3):
        yield matching(qs, query).order_by(*order)
        return
    phrase = query.phrase
    titled = qs.alias(title_lower=Lower("title"))
    in_title = Q(title_lower__contains=phrase)
    # Tier 0 is the title condition alone: a title holding the phrase holds every term, and
    # a second LIKE on search_text would make the planner multiply the two selectivities and
    # rank the whole window through a three-index BitmapAnd instead of walking the date index.
    yield titled.filter(in_title).order_by(*order)
    matches = matching(titled, query)
    if len(query.terms) == 1:
        # the phrase is the term, which every match has in its text: tiers 2 and 3 are empty
        yield matches.exclude(in_title).order_by(*order)
        return
    in_text = Q(search_text__contains=phrase)
    yield matches.filter(~in_title & in_text).order_by(*order)
    all_in_title = Q()
    for term in query.terms:
        all_in_title &= Q(title_lower__contains=term)
    # tiers 2 and 3 in one query: read only when the phrase does not fill the page, and two
    # separate LIMIT queries would each be planned against an all-time bitmap of the terms
    rest_rank = Case(
        When(all_in_title, then=Value(2)), default=Value(3), output_field=IntegerField()
    )
    yield (
        matches.filter(~in_title & ~in_text)
        .annotate(rest_rank=rest_rank)
        .order_by("rest_rank", *order)
    )


def ranked(qs: QuerySet[Notice], query: Query, limit: int) -> list[Notice]:
    """Up to ``limit`` matches in rank order (tier, then newest first), reading each tier only
    as far as the page needs: one ``LIMIT`` query when the best tier fills the page."""
    rows: list[Notice] = []
    for tier in tiers(qs, query):
        rows += tier[: limit - len(rows)]
        if len(rows) >= limit:
            break
    return rows


def highlight(text: str, query: Query, *, width: int = 80, whole: bool = False) -> str:
    """HTML-escaped ``text`` (a window around the first match unless ``whole``) with every
    term wrapped in ``<mark>``. Escaping happens piece by piece, so a query can never inject
    markup and a match never splits an entity."""
    if not text:
        return ""
    lower = text.lower()
    if not whole:
        first = min((i for t in query.terms if (i := lower.find(t)) >= 0), default=0)
        start = max(0, first - width // 3)
        end = min(len(text), start + width)
        prefix = "…" if start > 0 else ""
        suffix = "…" if end < len(text) else ""
        text, lower = text[start:end], lower[start:end]
    else:
        prefix = suffix = ""
    spans: list[tuple[int, int]] = []
    for term in sorted(query.terms, key=len, reverse=True):
        pos = lower.find(term)
        while pos >= 0:
            end_pos = pos + len(term)
            if not any(a < end_pos and pos < b for a, b in spans):
                spans.append((pos, end_pos))
            pos = lower.find(term, end_pos)
    spans.sort()
    out, at = [], 0
    for a, b in spans:
        out.append(html.escape(text[at:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        at = b
    out.append(html.escape(text[at:]))
    return html.escape(prefix) + "".join(out) + html.escape(suffix)
