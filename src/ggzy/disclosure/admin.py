"""Read-only admin views for centre staff (writes go through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ggzy.disclosure.models import Delivery, DeliveryAttempt, Notice, Subscription


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ("title", "stage", "trade_type", "region_code", "published_at", "source_app")
    list_filter = ("stage", "trade_type", "source_app")
    search_fields = ("subject_code", "project_code")
    exclude = ("search_text",)


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnly):
    list_display = ("channel", "email", "webhook_url", "keyword", "status", "created_at")
    list_filter = ("channel", "status")
    exclude = ("secret",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("notice", "subscription", "status", "attempts", "next_attempt_at")
    list_filter = ("status",)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnly):
    list_display = ("delivery", "at", "ok", "status_code", "error", "duration_ms")
