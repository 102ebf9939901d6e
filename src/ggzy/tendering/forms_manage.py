"""Forms of the tenderer's pages (招标人/代理机构): draft, documents, publication with the
opening-key custodians, clarifications and answers to objections; the custodian's release.

Times are entered in Beijing time (北京时间) and turned into aware datetimes here."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ggzy.registry.models import Membership, MembershipStatus, Role
from ggzy.web.forms import StyledForm

BEIJING = ZoneInfo("Asia/Shanghai")
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
MAX_SHARE_TEXT = 4096


class BeijingDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read as Beijing time (UTC+8), whatever zone is active."""

    input_formats = LOCAL_FORMATS

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        with timezone.override(BEIJING):
            return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(BEIJING):
            return super().prepare_value(value)


class TenderCreateForm(StyledForm):
    """起草招标公告."""

    title = forms.CharField(label=_("公告标题"), max_length=600)
    announcement_html = forms.CharField(
        label=_("公告内容（HTML）"),
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=200_000,
        help_text=_("可使用段落、列表、表格等基本标记；脚本和样式会被清除。"),
    )


class DocumentForm(StyledForm):
    """上传招标文件."""

    file = forms.FileField(label=_("招标文件"), help_text=_("上传后计算 SHA-256 并存证"))


def _users(qs: QuerySet[Membership]) -> QuerySet[Any]:
    user_ids = qs.filter(status=MembershipStatus.ACTIVE).values_list("person__user_id", flat=True)
    return get_user_model().objects.filter(pk__in=user_ids).order_by("username")


def eligible_custodians(tender_project: Any) -> dict[str, QuerySet[Any]]:
    """Who may hold each share (the service checks again): 交易中心 staff, 监督部门 regulators,
    members of the tenderer or its agency."""
    tenderer_side = Membership.objects.filter(
        organization=tender_project.tenderer, role=Role.TENDERER
    )
    if tender_project.agency_id:
        tenderer_side = tenderer_side | Membership.objects.filter(
            organization=tender_project.agency, role=Role.AGENCY
        )
    return {
        "centre": _users(Membership.objects.filter(role=Role.CENTRE_STAFF)),
        "supervisor": _users(Membership.objects.filter(role=Role.REGULATOR)),
        "tenderer": _users(tenderer_side),
    }


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        person = getattr(obj, "person", None)
        name = getattr(person, "name", "") if person is not None else ""
        return f"{name}（{obj.username}）" if name else str(obj.username)


class PublishForm(StyledForm):
    """发布招标公告: periods (T6/T8), deposit (T11), opening-key custodians (2-of-3)."""

    docs_from = BeijingDateTimeField(label=_("招标文件获取开始时间（北京时间）"))
    docs_until = BeijingDateTimeField(label=_("招标文件获取截止时间（北京时间）"))
    bid_deadline = BeijingDateTimeField(label=_("投标截止时间（开标时间，北京时间）"))
    deposit_amount = forms.DecimalField(
        label=_("投标保证金（元）"),
        required=False,
        max_digits=20,
        decimal_places=2,
        help_text=_("不得超过适用规则规定的上限（按估算价比例）；不收取可留空"),
    )
    deposit_account = forms.CharField(label=_("保证金账户"), required=False, max_length=300)
    centre = UserChoiceField(
        label=_("开标密钥保管人：交易中心"), queryset=get_user_model().objects.none()
    )
    supervisor = UserChoiceField(
        label=_("开标密钥保管人：监督部门"), queryset=get_user_model().objects.none()
    )
    tenderer = UserChoiceField(
        label=_("开标密钥保管人：招标人/代理机构"),
        queryset=get_user_model().objects.none(),
        help_text=_("三方各持一个分片，任意两方释放即可解密；保管人须已登记 X25519 加密公钥"),
    )

    def __init__(self, *args: Any, tender_project: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for role, qs in eligible_custodians(tender_project).items():
            self.fields[role].queryset = qs  # type: ignore[attr-defined]

    def custodians(self) -> dict[str, Any]:
        return {role: self.cleaned_data[role] for role in ("centre", "supervisor", "tenderer")}


class ClarificationForm(StyledForm):
    """澄清或修改 (T9)."""

    content_html = forms.CharField(
        label=_("澄清或修改内容（HTML）"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=200_000,
    )
    file = forms.FileField(label=_("澄清文件（可选）"), required=False)
    new_deadline = BeijingDateTimeField(
        label=_("新的投标截止时间（可选，北京时间）"),
        required=False,
        help_text=_("距投标截止不足 15 日时，系统按规则自动顺延"),
    )


class ObjectionAnswerForm(StyledForm):
    """答复对招标文件的异议."""

    answer = forms.CharField(
        label=_("答复"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ShareReleaseForm(StyledForm):
    """释放密钥分片: the unsealed share in Base64 (from custodian.js or the command line)."""

    share = forms.CharField(
        label=_("已解开的密钥分片（Base64）"),
        max_length=MAX_SHARE_TEXT,
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
        help_text=_("通常由本页在浏览器中解开后自动提交；也可粘贴命令行工具的输出"),
    )

    def clean_share(self) -> bytes:
        text = "".join((self.cleaned_data.get("share") or "").split())
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise forms.ValidationError(_("分片不是有效的 Base64")) from exc


class DepositForm(StyledForm):
    """投标保证金到账登记 (T11), by the centre from the bank's statement."""

    bidder = forms.CharField(
        label=_("投标人统一社会信用代码"), max_length=18, min_length=18, strip=True
    )
    amount = forms.DecimalField(label=_("到账金额（元）"), max_digits=20, decimal_places=2)
    payer_account_name = forms.CharField(label=_("付款账户名称"), max_length=200)
    payer_account_no = forms.CharField(label=_("付款账号"), max_length=64)
    payer_bank = forms.CharField(label=_("开户银行"), max_length=200)
    is_basic_account = forms.BooleanField(
        label=_("从投标人基本账户转出"), required=False, initial=True
    )


class TerminateForm(StyledForm):
    """终止招标: the reason goes into the 终止公告; the box confirms the consequences."""

    reason = forms.CharField(
        label=_("终止原因"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("将在终止公告中公开（招标投标法实施条例第三十一条）"),
    )
    confirm = forms.BooleanField(
        label=_(
            "我确认终止本次招标：发布终止公告，退还投标保证金及银行同期存款利息，未开启的投标文件不再解密"
        ),
        required=True,
    )
