"""Open-data reads: which contracting processes are public."""

from __future__ import annotations

from django.db.models import QuerySet

from ggzy.core.errors import DomainError, ErrorCode
from ggzy.opendata import ocds
from ggzy.projects.models import Section


def public_sections_qs() -> QuerySet[Section]:
    return Section.objects.filter(
        tender__status__in=list(ocds.PUBLIC_STATUSES), tender__announced_at__isnull=False
    ).select_related(
        "tender",
        "tender_project__project__legal_person",
        "tender_project__tenderer",
        "tender_project__agency",
    )


def public_sections(*, after: int = 0, limit: int = 100) -> list[Section]:
    return list(public_sections_qs().filter(pk__gt=after).order_by("pk")[:limit])


def public_process(ocid: str) -> ocds.ProcessContext:
    """The process ``ocid`` if it is public (announced or later), else not found."""
    prefix = ocds.ocid_prefix()
    code = ocid[len(prefix) :] if ocid.startswith(prefix) else ""
    section = public_sections_qs().filter(unified_deal_code=code).first() if code else None
    if section is None:
        raise DomainError(ErrorCode.OPENDATA_PROCESS_NOT_FOUND, field="ocid")
    return ocds.context_for(section)
