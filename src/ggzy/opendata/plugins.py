"""Plug-in registries of the open-data exports. Other apps (evaluation/award, contracts, later
trade types) add stages, tables and feed events from their ``AppConfig.ready()`` without
editing this app:

* :func:`register_release_builder` — an OCDS stage. Signature of the builder::

      def build(ctx: ggzy.opendata.ocds.ProcessContext) -> list[dict[str, Any]]

  It returns zero or more *release fragments* for the contracting process ``ctx`` (one
  section/标段; ``ctx.section``, ``ctx.tender`` may be None, ``ctx.ocid``, and the helpers
  ``ctx.party(org, *roles)`` / ``ctx.ref(org)`` / ``ctx.value(amount)`` / ``ctx.iso(dt)``).
  A fragment is a dict with ``key`` (unique and stable within the process, e.g. ``"award-3"``),
  ``date`` (aware datetime), ``tag`` (OCDS releaseTag list) and any OCDS release sections:
  ``parties``, ``buyer``, ``planning``, ``tender``, ``awards``, ``contracts``, ``bids``. The
  core adds ``ocid``, ``id``, ``initiationType``, ``language``. A fragment must describe
  the process *as of its date* so the release it becomes never changes afterwards.
  Registering a stage name again replaces the builder: the ``award`` and ``contract`` stages
  are registered by this app as hooks that return ``[]`` until the evaluation app replaces
  them.

* :func:`register_table` — a national data-spec table. Signature::

      def rows(since: datetime | None) -> Iterable[ggzy.opendata.tables.ExportRow]

  Each :class:`~ggzy.opendata.tables.ExportRow` has ``record_id``, ``ocid``, ``row`` (spec
  field name → text, already formatted: ``yyyyMMddHHmmss``, "0"/"1", decimals) and
  ``event_at``/``published_at`` for the timeliness check. Tables 508 评标专家, 510 中标候选人,
  511 中标候选人公示, 513 中标结果公告 and 512 合同 are registered as hooks returning no rows.

* :func:`register_feed_event` — an event type (``source:subject:action`` of the ledger) that
  is public and appears in the change feed, with the data-spec tables it changes, and
  :func:`register_subject_resolver` — how to map that subject's ids to the process
  (unified deal code) it belongs to: ``def resolve(ids: list[str]) -> dict[str, str]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

ReleaseBuilder = Callable[[Any], list[dict[str, Any]]]
TableRows = Callable[[Any], Iterable[Any]]
SubjectResolver = Callable[[list[str]], dict[str, str]]


@dataclass(frozen=True)
class Stage:
    name: str
    order: int
    build: ReleaseBuilder


@dataclass(frozen=True)
class TableExporter:
    code: str
    rows: TableRows
    timeliness: str = ""  # key into quality.DEADLINES, "" = not measured


@dataclass(frozen=True)
class FeedEvent:
    event_type: str
    tables: tuple[str, ...]


_STAGES: dict[str, Stage] = {}
_TABLES: dict[str, TableExporter] = {}
_FEED_EVENTS: dict[str, FeedEvent] = {}
_RESOLVERS: dict[str, SubjectResolver] = {}


def register_release_builder(
    stage: str, fn: ReleaseBuilder, *, order: int = 100, default: bool = False
) -> None:
    """Add (or replace) the OCDS stage ``stage``; stages run in ``order``. ``default=True``
    (used for this app's hooks) never replaces a builder another app registered first."""
    if default and stage in _STAGES:
        return
    _STAGES[stage] = Stage(stage, order, fn)


def release_stages() -> list[Stage]:
    return sorted(_STAGES.values(), key=lambda s: (s.order, s.name))


def register_table(
    code: str, rows: TableRows, *, timeliness: str = "", default: bool = False
) -> None:
    """Add (or replace) the exporter of data-spec table ``code`` (dataset number)."""
    if default and code in _TABLES:
        return
    _TABLES[code] = TableExporter(code, rows, timeliness or code)


def table_exporters() -> dict[str, TableExporter]:
    return dict(sorted(_TABLES.items(), key=lambda kv: int(kv[0])))


def register_feed_event(event_type: str, tables: Iterable[str] = ()) -> None:
    _FEED_EVENTS[event_type] = FeedEvent(event_type, tuple(tables))


def feed_events() -> dict[str, FeedEvent]:
    return dict(_FEED_EVENTS)


def register_subject_resolver(subject_type: str, fn: SubjectResolver) -> None:
    _RESOLVERS[subject_type] = fn


def subject_resolver(subject_type: str) -> SubjectResolver | None:
    return _RESOLVERS.get(subject_type)
