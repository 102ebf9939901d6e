"""Read-only admin for centre staff: every write goes through the services (and the ledger)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ggzy.contracts.models import Contract, ContractVersion
from ggzy.web.admin import CentreStaffAdmin


class ReadOnly(CentreStaffAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(ReadOnly):
    list_display = ("code", "name", "tender", "price", "signed_on", "status", "published_version")
    list_filter = ("status", "sign_overdue", "publish_overdue")
    search_fields = ("code", "name", "tender__section__code")


@admin.register(ContractVersion)
class ContractVersionAdmin(ReadOnly):
    list_display = ("contract", "number", "created_at", "data_sha256")
