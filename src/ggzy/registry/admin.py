"""Back office (后台) for centre staff. Registry records change only through services,
so their admin pages are read-only except for actions that call those services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ggzy.core.errors import DomainError
from ggzy.registry import services
from ggzy.registry.models import (
    Department,
    EntityStatus,
    Membership,
    Organization,
    Performance,
    Person,
    Qualification,
    TradingCentre,
)
from ggzy.web.admin import CentreStaffAdmin


class ReadOnlyAdmin(CentreStaffAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class QualificationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Qualification
    extra = 0
    can_delete = False
    fields = ("qual_type", "grade", "certificate_no", "issuer", "valid_from", "valid_to")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _set_status(status: str, label: str) -> Any:
    def action(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        done = 0
        for org in queryset:
            try:
                services.organization_set_status(
                    actor=request.user,  # type: ignore[arg-type]
                    organization=org,
                    status=status,
                    reason=f"后台操作：{label}",
                )
                done += 1
            except DomainError as exc:
                modeladmin.message_user(request, f"{org.name}: {exc.message}", messages.ERROR)
        modeladmin.message_user(request, f"{label}：{done} 个主体")

    action.__name__ = f"set_{status}"
    return admin.action(description=label)(action)


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ("name", "uscc", "kind", "region_code", "status", "registered_at")
    list_filter = ("kind", "status", "region_code")
    search_fields = ("name", "uscc")
    inlines = (QualificationInline,)
    actions = (
        _set_status(EntityStatus.SUSPENDED, "暂停"),
        _set_status(EntityStatus.ACTIVE, "恢复正常"),
    )


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("name", "id_type", "id_number_masked", "phone_masked", "created_at")
    search_fields = ("name",)
    exclude = ("id_number_encrypted", "phone_encrypted", "id_number_index")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("person", "role", "organization", "centre", "department", "is_admin", "status")
    list_filter = ("role", "status")
    search_fields = ("person__name", "organization__name", "organization__uscc")


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    list_display = ("organization", "qual_type", "grade", "certificate_no", "valid_to")
    search_fields = ("organization__name", "certificate_no", "qual_type")


@admin.register(Performance)
class PerformanceAdmin(ReadOnlyAdmin):
    list_display = ("organization", "project_name", "contract_amount", "completed_on")
    search_fields = ("organization__name", "project_name")


class LedgeredReferenceAdmin(CentreStaffAdmin):
    """Reference data editable by staff; each save leaves a ledger entry."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.reference_data_saved(
            actor=request.user,  # type: ignore[arg-type]
            obj=obj,
            changed=list(form.changed_data),
            created=not change,
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TradingCentre)
class TradingCentreAdmin(LedgeredReferenceAdmin):
    list_display = ("code", "name", "region_code")


@admin.register(Department)
class DepartmentAdmin(LedgeredReferenceAdmin):
    list_display = ("code", "name", "name_en", "region_code")
