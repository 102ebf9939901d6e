from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ggzy.ledger.models import Entry
from ggzy.web.admin import CentreStaffAdmin


@admin.register(Entry)
class EntryAdmin(CentreStaffAdmin):
    list_display = ("id", "received_at", "event_type", "subject_type", "subject_id", "actor")
    list_filter = ("event_type",)
    search_fields = ("subject_id", "event_type", "actor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
