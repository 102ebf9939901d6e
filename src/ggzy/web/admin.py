"""The back office is for centre staff (交易中心工作人员), whatever Django's own flags say."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ggzy.accounts.permissions import is_centre_staff


def _staff_only(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and is_centre_staff(user))


admin.site.has_permission = _staff_only  # type: ignore[method-assign]


class CentreStaffAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _staff_only(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _staff_only(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _staff_only(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _staff_only(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
