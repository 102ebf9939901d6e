"""Back office (后台) for centre staff: projects, tender projects and sections, read-only.
They change only through ``ggzy.projects.services`` (pages, API, ``ggzy projects import``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ggzy.projects.models import CodeSequence, Project, Section, TenderProject
from ggzy.web.admin import CentreStaffAdmin


class ReadOnlyAdmin(CentreStaffAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TenderInline(ReadOnlyInline):
    model = TenderProject
    fields = ("code", "name", "trade_type_code", "tender_mode", "tenderer", "agency")
    readonly_fields = fields


class SectionInline(ReadOnlyInline):
    model = Section
    fields = ("code", "name", "unified_deal_code", "estimated_price", "attempt")
    readonly_fields = fields


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "legal_person", "region_code", "source", "created_at")
    list_filter = ("source", "region_code", "centre")
    search_fields = ("code", "name", "invest_project_code", "legal_person__name", "source_ref")
    list_select_related = ("legal_person",)
    date_hierarchy = "created_at"
    inlines = (TenderInline,)


@admin.register(TenderProject)
class TenderProjectAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "project", "trade_type_code", "tender_mode", "tenderer")
    list_filter = ("trade_type_code", "tender_mode", "organize_form", "is_to_law")
    search_fields = ("code", "name", "project__code", "tenderer__name", "agency__name")
    list_select_related = ("project", "tenderer")
    inlines = (SectionInline,)


@admin.register(Section)
class SectionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "unified_deal_code", "estimated_price", "attempt")
    search_fields = ("code", "name", "unified_deal_code", "tender_project__code")
    list_select_related = ("tender_project",)


@admin.register(CodeSequence)
class CodeSequenceAdmin(ReadOnlyAdmin):
    list_display = ("scope", "value")
    search_fields = ("scope",)
