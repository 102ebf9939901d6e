"""Back office (后台) for centre staff: the catalogue and rule sets are read-only except for
actions that call services (publish a new version, retire a pending one, (de)activate a type);
the holiday calendar is editable, each save or delete going through the services so it leaves
a ledger entry."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from ggzy.core.errors import DomainError
from ggzy.rules import selectors, services
from ggzy.rules.models import CalendarDay, RuleSet, TradeType
from ggzy.rules.timecalc import LOCAL_TZ
from ggzy.web.admin import CentreStaffAdmin


class _ReadOnly(CentreStaffAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _set_active(active: bool, label: str) -> Any:
    def action(modeladmin: Any, request: HttpRequest, queryset: QuerySet[TradeType]) -> None:
        for tt in queryset:
            try:
                services.trade_type_set_active(
                    actor=request.user,  # type: ignore[arg-type]
                    code=tt.code,
                    active=active,
                )
            except DomainError as exc:
                modeladmin.message_user(request, f"{tt.code}: {exc.message}", messages.WARNING)

    action.__name__ = "activate" if active else "deactivate"
    return admin.action(description=label)(action)


@admin.register(TradeType)
class TradeTypeAdmin(_ReadOnly):
    list_display = ("code", "name", "category", "data_spec_class", "active", "sort_order")
    list_filter = ("category", "active")
    search_fields = ("code", "name", "name_en")
    actions = (_set_active(True, "启用"), _set_active(False, "停用"))


class PublishForm(forms.Form):
    trade_type = forms.ModelChoiceField(
        label="交易类型", queryset=TradeType.objects.order_by("sort_order", "code")
    )
    version = forms.CharField(label="新版本号", max_length=20, help_text="如 2026.2")
    effective_from = forms.DateTimeField(
        label="生效时间（北京时间）",
        required=False,
        help_text="留空即立即生效；不能早于现在",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    content = forms.CharField(
        label="规则内容（JSON）",
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "class": "vLargeTextField"}),
        help_text="格式见 docs/rules.md；每一项取值都须在 basis 中注明依据",
    )

    def clean_content(self) -> Any:
        try:
            return json.loads(self.cleaned_data["content"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"不是有效的 JSON：{exc}") from exc


def _retire(modeladmin: Any, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
    for rs in queryset.select_related("trade_type"):
        try:
            services.ruleset_retire(
                actor=request.user,  # type: ignore[arg-type]
                trade_type=rs.trade_type,
                version=rs.version,
                reason="后台废止尚未生效的版本",
            )
        except DomainError as exc:
            modeladmin.message_user(request, f"{rs.label}: {exc.message}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"已废止 {rs.label}")


@admin.register(RuleSet)
class RuleSetAdmin(_ReadOnly):
    list_display = ("label", "status", "effective_from", "published_at", "short_hash")
    list_filter = ("status", "trade_type__category", "trade_type")
    search_fields = ("trade_type__code", "version", "content_sha256")
    readonly_fields = (
        "trade_type",
        "version",
        "status",
        "effective_from",
        "published_at",
        "published_by",
        "published_by_system",
        "content_sha256",
        "ledger_entry",
        "pretty_content",
    )
    exclude = ("content",)
    actions = (admin.action(description="废止（仅限尚未生效的版本）")(_retire),)
    change_list_template = "admin/rules/ruleset/change_list.html"

    @admin.display(description="摘要")
    def short_hash(self, obj: RuleSet) -> str:
        return obj.content_sha256[:16] + "…"

    @admin.display(description="规则内容")
    def pretty_content(self, obj: RuleSet) -> str:
        text = json.dumps(obj.content, ensure_ascii=False, indent=2)
        return format_html("<pre>{}</pre>", text)

    @admin.display(description="存证记录")
    def ledger_entry(self, obj: RuleSet) -> str:
        entry = selectors.publication_entry(obj)
        return f"#{entry.pk} {entry.event_type} {entry.payload_sha256}" if entry else "—"

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "publish/",
                self.admin_site.admin_view(self.publish_view),
                name="rules_ruleset_publish",
            )
        ]
        return extra + super().get_urls()

    def publish_view(self, request: HttpRequest) -> HttpResponse:
        """发布新版本: a form prefilled with the current content of the chosen type."""
        initial: dict[str, Any] = {}
        code = request.GET.get("trade_type", "")
        if code:
            try:
                current = selectors.ruleset_row_for(code)
            except DomainError:
                current = None
            tt = TradeType.objects.filter(code=code).first()
            if tt is not None:
                initial["trade_type"] = tt
            if current is not None:
                initial["content"] = json.dumps(current.content, ensure_ascii=False, indent=2)
        form = PublishForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            effective = form.cleaned_data["effective_from"]
            if effective is not None and effective.tzinfo is None:
                effective = effective.replace(tzinfo=LOCAL_TZ)
            try:
                rs = services.ruleset_publish(
                    actor=request.user,  # type: ignore[arg-type]
                    trade_type=form.cleaned_data["trade_type"],
                    version=form.cleaned_data["version"],
                    content=form.cleaned_data["content"],
                    effective_from=effective,
                )
            except DomainError as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, f"{exc.message}（{exc.code.value}）")
            else:
                self.message_user(request, f"已发布 {rs.label}，摘要 {rs.content_sha256}")
                return HttpResponseRedirect(reverse("admin:rules_ruleset_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "发布规则新版本",
            "form": form,
            "opts": self.model._meta,
            "types": TradeType.objects.order_by("sort_order", "code"),
        }
        return TemplateResponse(request, "admin/rules/ruleset/publish.html", context)


class CalendarDayForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CalendarDay
        fields = ("date", "kind", "name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if {"date", "kind", "name"} <= set(data):
            try:
                services.calendar_day_check(data["date"], data["kind"], data["name"])
            except DomainError as exc:
                field = exc.field if exc.field in self.fields else None
                self.add_error(field, exc.message)
        return data


@admin.register(CalendarDay)
class CalendarDayAdmin(CentreStaffAdmin):
    """节假日与调休: editable; saves and deletes go through the services (ledger entries)."""

    form = CalendarDayForm
    list_display = ("date", "weekday", "kind", "name", "updated_at")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name",)

    @admin.display(description="星期")
    def weekday(self, obj: CalendarDay) -> str:
        return "一二三四五六日"[obj.date.weekday()]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("date",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        row = services.calendar_day_set(
            actor=request.user,  # type: ignore[arg-type]
            date=obj.date,
            kind=obj.kind,
            name=obj.name,
        )
        obj.pk, obj.updated_at = row.pk, row.updated_at

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.calendar_day_remove(actor=request.user, date=obj.date)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for day in list(queryset.values_list("date", flat=True)):
            services.calendar_day_remove(actor=request.user, date=day)  # type: ignore[arg-type]
