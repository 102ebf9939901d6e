from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ggzy.accounts.models import ApiToken, User
from ggzy.web.admin import CentreStaffAdmin


@admin.register(User)
class UserAdmin(CentreStaffAdmin):
    list_display = ("username", "email", "is_staff", "totp_enabled", "last_login")
    search_fields = ("username", "email")
    fields = ("username", "email", "is_active", "is_staff", "totp_enabled", "last_login")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(CentreStaffAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at")
    exclude = ("secret_sha256",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
