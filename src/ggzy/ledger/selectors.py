from __future__ import annotations

from django.db.models import QuerySet

from ggzy.ledger.models import Entry


def entries(
    *, subject_type: str = "", subject_id: str = "", after: int = 0, limit: int = 100
) -> QuerySet[Entry]:
    qs = Entry.objects.filter(id__gt=after)
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
    if subject_id:
        qs = qs.filter(subject_id=subject_id)
    return qs.select_related("leaf").order_by("id")[:limit]
