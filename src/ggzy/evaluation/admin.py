"""Read-only admin for centre staff: every write goes through the services (and the ledger)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ggzy.evaluation.models import EvaluationSession, Notice, Reminder
from ggzy.web.admin import CentreStaffAdmin


class ReadOnly(CentreStaffAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EvaluationSession)
class EvaluationSessionAdmin(ReadOnly):
    list_display = ("id", "tender", "step", "method", "template_label", "awarded_at")
    list_filter = ("step", "method")
    search_fields = ("tender__title", "tender__section__code")


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ("number", "kind", "review", "pdf_sha256", "issued_at")
    list_filter = ("kind",)
    search_fields = ("number", "pdf_sha256", "content_sha256")


@admin.register(Reminder)
class ReminderAdmin(ReadOnly):
    list_display = ("id", "session", "user", "kind", "due_at", "done_at", "flagged_at")
    list_filter = ("kind",)
