from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ggzy.rules.models import DayKind
from ggzy.web.forms import StyledForm


class CalendarDayForm(StyledForm):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("类型"), choices=DayKind.choices)
    name = forms.CharField(
        label=_("名称"), max_length=50, help_text=_("如：国庆节；国庆节调休上班")
    )


class DeadlineForm(StyledForm):
    """期限计算: when does a rule's period end, for an event at ``start`` (Beijing time)."""

    key = forms.ChoiceField(label=_("规则项"))
    start = forms.DateTimeField(
        label=_("起算时间（北京时间）"),
        help_text=_("如招标文件开始发出的时间；当日不计入，自次日起算"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )

    def __init__(self, *args: object, keys: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = keys  # type: ignore[attr-defined]
