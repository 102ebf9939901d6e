"""Chinese full-text search over notices, without a word segmenter.

Terms of three characters or more use the trigram index (SQLite FTS5 ``tokenize='trigram'``,
PostgreSQL ``pg_trgm`` GIN on ``search_text``) so a phrase is found inside longer words;
shorter terms (Chinese two-character words are common) fall back to ``LIKE`` over the
candidates; a query of one short term is ordered newest first. Ranking otherwise: the whole
query as one phrase in the title, then in the text, then all terms in the title, then the
rest; newest first within a rank."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, IntegerField, QuerySet, Value, When

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


def apply(qs: QuerySet[Notice], query: Query) -> QuerySet[Notice]:
    """Filter ``qs`` to notices containing every term, annotated and ordered by rank."""
    if not query:
        return qs
    long_terms = tuple(t for t in query.terms if len(t) >= 3)
    if connection.vendor == "sqlite" and long_terms:
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
    if not long_terms and len(query.terms) == 1:
        # no index can narrow a one- or two-character term: newest first, so the scan of the
        # date index stops at the first page of matches instead of ranking every match
        return qs.annotate(rank=Value(3, output_field=IntegerField())).order_by(
            "-published_at", "-id"
        )
    phrase = query.phrase
    rank = Case(
        When(title__icontains=phrase, then=Value(0)),
        When(search_text__contains=phrase, then=Value(1)),
        When(_all_in_title(query), then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return qs.annotate(rank=rank).order_by("rank", "-published_at", "-id")


def _all_in_title(query: Query) -> object:
    from django.db.models import Q

    cond = Q()
    for term in query.terms:
        cond &= Q(title__icontains=term)
    return cond


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
