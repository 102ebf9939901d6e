from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ggzy.registry.models import ORGANISATION_ROLES, OrgKind, Role
from ggzy.web.forms import StyledForm

_DATE = forms.DateInput(attrs={"type": "date"})


class OrganizationForm(StyledForm):
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=18,
        min_length=18,
        help_text=_("18 位，GB 32100-2015"),
    )
    name = forms.CharField(label=_("名称"), max_length=200)
    kind = forms.ChoiceField(label=_("主体类型"), choices=OrgKind.choices)
    region_code = forms.CharField(
        label=_("行政区划代码"),
        max_length=6,
        min_length=6,
        help_text=_("6 位 GB/T 2260 代码，如 620402"),
    )
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=50)
    roles = forms.MultipleChoiceField(
        label=_("主体角色"),
        choices=[(r.value, r.label) for r in Role if r in ORGANISATION_ROLES],
        widget=forms.CheckboxSelectMultiple,
    )
    address = forms.CharField(label=_("住所"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    registered_capital = forms.DecimalField(
        label=_("注册资本（万元）"), required=False, max_digits=20, decimal_places=6, min_value=0
    )
    established_on = forms.DateField(label=_("成立日期"), required=False, widget=_DATE)
    business_scope = forms.CharField(
        label=_("经营范围"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class QualificationForm(StyledForm):
    qual_type = forms.CharField(
        label=_("资质类型"), max_length=100, help_text=_("如：建筑工程施工总承包")
    )
    grade = forms.CharField(label=_("资质等级"), max_length=50, required=False)
    certificate_no = forms.CharField(label=_("证书编号"), max_length=100)
    issuer = forms.CharField(label=_("发证机关"), max_length=100)
    valid_from = forms.DateField(label=_("有效期起"), widget=_DATE)
    valid_to = forms.DateField(label=_("有效期止"), widget=_DATE)
    file = forms.FileField(
        label=_("证书扫描件"), required=False, help_text=_("PDF、JPEG 或 PNG，20 MB 以内")
    )


class PerformanceForm(StyledForm):
    project_name = forms.CharField(label=_("项目名称"), max_length=200)
    client_name = forms.CharField(label=_("发包人/采购人"), max_length=200)
    contract_amount = forms.DecimalField(label=_("合同金额（元）"), max_digits=20, decimal_places=6)
    started_on = forms.DateField(label=_("开始日期"), required=False, widget=_DATE)
    completed_on = forms.DateField(label=_("完成日期"), widget=_DATE)
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(
        label=_("证明材料"), required=False, help_text=_("PDF、JPEG 或 PNG，20 MB 以内")
    )
