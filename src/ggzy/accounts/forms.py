from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ggzy.accounts.permissions import Perm
from ggzy.registry.models import IdType
from ggzy.web.forms import StyledForm


class LoginForm(StyledForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, max_length=200)
    otp = forms.CharField(
        label=_("动态口令"),
        required=False,
        max_length=6,
        help_text=_("已启用动态口令（TOTP）的账户请填写 6 位数字"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class SignupForm(StyledForm):
    username = forms.CharField(label=_("用户名"), max_length=150, help_text=_("字母、数字或下划线"))
    password = forms.CharField(
        label=_("密码"),
        widget=forms.PasswordInput,
        max_length=200,
        help_text=_("至少 10 位，不能全为数字"),
    )
    name = forms.CharField(label=_("真实姓名"), max_length=50)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=IdType.choices)
    id_number = forms.CharField(
        label=_("证件号码"), max_length=30, help_text=_("加密存储，对外仅显示掩码")
    )
    phone = forms.CharField(label=_("手机号码"), max_length=15, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)


class OtpForm(StyledForm):
    code = forms.CharField(
        label=_("动态口令"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class TokenForm(StyledForm):
    name = forms.CharField(label=_("令牌名称"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("授权范围"),
        choices=[(p.value, p.value) for p in Perm],
        widget=forms.CheckboxSelectMultiple,
    )
    expires_at = forms.DateTimeField(
        label=_("过期时间"), required=False, help_text=_("留空表示不过期，例如 2027-12-31 18:00")
    )
