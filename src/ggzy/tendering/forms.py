"""Forms of the tendering pages (招标投标): key release, confirmation, on-the-spot answers."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ggzy.web.forms import StyledForm

MAX_STATEMENT = 64 * 1024


class KeyReleaseForm(StyledForm):
    """解密: the signed statement of ``ggzy bidkit release-key`` or of seal.js
    ``buildKeyRelease``, as a file or pasted JSON."""

    statement_file = forms.FileField(
        label=_("解密密钥释放声明文件"),
        required=False,
        help_text=_("ggzy bidkit release-key 生成的 JSON 文件"),
    )
    statement = forms.CharField(
        label=_("或粘贴声明 JSON"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
        max_length=MAX_STATEMENT,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("statement_file")
        text = (data.get("statement") or "").strip()
        if upload is not None:
            if upload.size > MAX_STATEMENT:
                raise forms.ValidationError(_("声明文件过大"))
            raw = upload.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(_("声明文件不是 UTF-8 文本")) from exc
        if not text:
            raise forms.ValidationError(_("请上传或粘贴解密密钥释放声明"))
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("声明不是有效的 JSON")) from exc
        if not isinstance(parsed, dict):
            raise forms.ValidationError(_("声明须为 JSON 对象"))
        data["parsed"] = parsed
        return data


class ConfirmForm(StyledForm):
    """报价确认 / 现场异议 (T17)."""

    objection = forms.CharField(
        label=_("异议（不填即确认开标记录）"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AnswerForm(StyledForm):
    """招标人现场答复开标异议."""

    answer = forms.CharField(
        label=_("答复"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
