"""Open-data pages: the data-quality report for centre staff and regulators (数据质量)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from ggzy.accounts.permissions import Perm, require
from ggzy.core.errors import DomainError
from ggzy.opendata import quality


@require_GET
@login_required
def quality_page(request: HttpRequest) -> HttpResponse:
    try:
        require(request.user, Perm.OPENDATA_EXPORT_READ)
    except DomainError as exc:
        return render(request, "web/error.html", {"error": exc}, status=exc.status)
    report = quality.report()
    for table in report["tables"]:
        table["field_rows"] = [
            (name, [(ISSUE_LABELS.get(kind, kind), n) for kind, n in kinds.items()])
            for name, kinds in table["fields"].items()
        ]
    return render(request, "opendata/quality.html", {"report": report})


ISSUE_LABELS = {
    "mandatory": _("必填项为空"),
    "length": _("长度不符"),
    "max_length": _("超过最大长度"),
    "date": _("日期格式不符"),
    "enum": _("不在代码表中"),
    "number": _("数字位数不符"),
    "area": _("行政区划代码不符"),
    "check": _("校验位错误"),
}
