"""Forms of the project pages. They shape input only; the services decide."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from ggzy.projects.models import OrganizeForm, TenderMode
from ggzy.web.forms import StyledForm

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # dev-only package: annotations only

_DATE = forms.DateInput(attrs={"type": "date"})
_AREA = forms.Textarea(attrs={"rows": 3})
_USCC_HELP = _("18 位统一社会信用代码，须已在市场主体库注册")
MAX_UPLOAD = 10 * 1024 * 1024


def _money(label: StrOrPromise, *, required: bool) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=20,
        decimal_places=6,
        min_value=0,
        help_text=_("单位：元；最多 14 位整数、6 位小数"),
    )


class ProjectForm(StyledForm):
    """进场登记. Data-spec mandatory fields (table 500) are required here too."""

    name = forms.CharField(label=_("项目名称"), max_length=600)
    legal_person_uscc = forms.CharField(
        label=_("项目法人统一社会信用代码"), min_length=18, max_length=18, help_text=_USCC_HELP
    )
    region_code = forms.CharField(
        label=_("项目所在行政区域代码"),
        min_length=6,
        max_length=6,
        help_text=_("6 位 GB/T 2260 代码，如 620402"),
    )
    invest_project_code = forms.CharField(
        label=_("投资项目统一代码"),
        required=False,
        max_length=24,
        validators=[RegexValidator(r"^\d{4}-[0-9A-Z-]{19}$", _("应为 24 位投资项目统一代码"))],
        help_text=_("固定资产投资项目必填，如 2024-620402-48-01-000123"),
    )
    address = forms.CharField(label=_("项目地址"), max_length=2000)
    industries_type = forms.CharField(
        label=_("项目行业分类"),
        max_length=3,
        validators=[RegexValidator(r"^[A-T]\d{2}$", _("应为门类字母加两位大类代码"))],
        help_text=_("GB/T 4754-2017，如 E48（土木工程建筑业）"),
    )
    fund_source = forms.CharField(label=_("资金来源"), max_length=1000)
    project_scale = forms.CharField(label=_("项目规模"), max_length=4000, widget=_AREA)
    budget = _money(_("项目预算（元）"), required=False)
    contactor = forms.CharField(label=_("联系人"), max_length=100)
    contact_information = forms.CharField(label=_("联系方式"), max_length=100)
    approval_name = forms.CharField(label=_("项目审批文件名称"), max_length=500)
    approval_number = forms.CharField(label=_("项目审批文号"), max_length=100, required=False)
    approval_authority = forms.CharField(label=_("项目审批单位"), max_length=200, required=False)
    approval_date = forms.DateField(label=_("审批日期"), required=False, widget=_DATE)
    approval_result = forms.CharField(
        label=_("审批结果"),
        max_length=2000,
        required=False,
        widget=_AREA,
        help_text=_("核准的招标范围、招标方式和组织形式"),
    )
    centre_code = forms.ChoiceField(label=_("交易中心"), required=False)

    def __init__(self, *args: Any, centres: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["centre_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("本人所在或唯一的交易中心")), *centres]
        if len(centres) <= 1:
            field.widget = forms.HiddenInput()


class TenderForm(StyledForm):
    name = forms.CharField(label=_("招标项目名称"), max_length=600)
    trade_type_code = forms.ChoiceField(label=_("交易类型"))
    tenderer_uscc = forms.CharField(
        label=_("招标人统一社会信用代码"), min_length=18, max_length=18, help_text=_USCC_HELP
    )
    tender_mode = forms.ChoiceField(label=_("招标方式"), choices=TenderMode.choices)
    organize_form = forms.ChoiceField(label=_("招标组织形式"), choices=OrganizeForm.choices)
    agency_uscc = forms.CharField(
        label=_("招标代理机构统一社会信用代码"),
        required=False,
        min_length=18,
        max_length=18,
        help_text=_("委托招标时必填"),
    )
    supervise_dept_code = forms.ChoiceField(label=_("监督部门"), required=False)
    tender_content = forms.CharField(
        label=_("招标内容与范围及招标方案说明"), required=False, widget=_AREA
    )
    is_to_law = forms.BooleanField(label=_("依法必须招标"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        trade_types: list[tuple[str, str]],
        departments: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        tt = self.fields["trade_type_code"]
        dept = self.fields["supervise_dept_code"]
        assert isinstance(tt, forms.ChoiceField)
        assert isinstance(dept, forms.ChoiceField)
        tt.choices = trade_types
        dept.choices = [("", "—"), *departments]


class SectionForm(StyledForm):
    name = forms.CharField(label=_("标段（包）名称"), max_length=500)
    estimated_price = _money(_("标段合同估算价（元）"), required=True)
    max_price = _money(_("最高投标限价（元）"), required=False)
    content = forms.CharField(label=_("标段（包）内容"), required=False, widget=_AREA)
    qualification = forms.CharField(label=_("投标人资格条件"), required=False, widget=_AREA)
    classify_codes = forms.CharField(
        label=_("标段（包）分类代码"),
        required=False,
        max_length=30,
        help_text=_("如 A08（施工）；多个用分号分隔，最重要的在前"),
    )
    begin_date = forms.DateField(label=_("计划开工日期"), required=False, widget=_DATE)
    limit_days = forms.IntegerField(
        label=_("工期（日历天）"), required=False, min_value=1, max_value=99999
    )
    attempt = forms.IntegerField(label=_("招标次数"), min_value=1, max_value=9, initial=1)


class ImportForm(StyledForm):
    file = forms.FileField(
        label=_("数据文件"),
        help_text=_("JSON 或 CSV（UTF-8 或 GB18030），表头用数据规范字段名或中文名，10 MB 以内"),
    )
    source = forms.SlugField(
        label=_("来源名称"),
        max_length=60,
        initial="file",
        help_text=_("同一来源的同一记录号只导入一次，例如 tzxm（投资项目在线审批监管平台）"),
    )
    all_or_nothing = forms.BooleanField(
        label=_("全部或不导入：有任何一条不合格则全部不导入"), required=False
    )
    dry_run = forms.BooleanField(label=_("只校验，不导入"), required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("文件不能超过 10 MB"), code="file_too_large")
        return upload

    def clean_source(self) -> str:
        return str(self.cleaned_data["source"]).lower()
