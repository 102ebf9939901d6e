"""Public ledger pages and static-style log serving (C2SP tlog-tiles under /log/)."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from ggzy import clock
from ggzy.core.errors import DomainError
from ggzy.ledger import keys, proofs
from ggzy.ledger.checkpoint import CheckpointError
from ggzy.ledger.models import EntryDigest
from ggzy.ledger.policy import current_policy
from ggzy.ledger.verify import verify_receipt
from ggzy.web.forms import StyledForm

_MAX_RECEIPT = 64 * 1024


@require_GET
def log_checkpoint(request: HttpRequest) -> HttpResponse:
    cp = proofs.published_checkpoint()
    if cp is None:
        return HttpResponse("no checkpoint yet\n", status=404, content_type="text/plain")
    response = HttpResponse(proofs.checkpoint_note(cp), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def log_tile(request: HttpRequest, path: str) -> HttpResponse:
    try:
        data = proofs.tile_bytes("tile/" + path)
    except DomainError:
        return HttpResponse("not found\n", status=404, content_type="text/plain")
    response = HttpResponse(data, content_type="application/octet-stream")
    # full tiles never change; partial tiles are replaced by longer ones, never altered
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


class VerifyForm(StyledForm):
    file = forms.FileField(
        label=_("文件"), required=False, help_text=_("文件只在本机计算摘要，不会保存")
    )
    receipt = forms.CharField(
        label=_("存证证明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_("粘贴 .tlog-proof 文件的全部内容"),
    )
    receipt_file = forms.FileField(label=_("或上传存证证明文件"), required=False)


@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "log_vkey": keys.verifier_key()}
    status = 200
    given = request.GET.get("sha256")
    if request.method == "GET" and given is not None:
        # a link from a signed notice's QR code: look the digest up, ask for the file to compare
        sha = given.strip().lower()
        if len(sha) == 64 and all(c in "0123456789abcdef" for c in sha):
            context["file_sha256"] = sha
            context["from_link"] = True
            context["matches"] = (
                EntryDigest.objects.filter(sha256=sha)
                .select_related("entry", "entry__leaf")
                .order_by("entry_id")
            )
        else:
            context["sha_error"] = _("链接中的 SHA-256 摘要格式不正确（应为 64 位十六进制）")
            status = 400
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        receipt_upload = form.cleaned_data["receipt_file"]
        receipt_text = form.cleaned_data["receipt"].strip()
        if upload is not None:
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            context["file_sha256"] = digest.hexdigest()
            context["matches"] = (
                EntryDigest.objects.filter(sha256=digest.hexdigest())
                .select_related("entry", "entry__leaf")
                .order_by("entry_id")
            )
        elif receipt_upload is not None or receipt_text:
            data = (
                receipt_upload.read(_MAX_RECEIPT + 1)
                if receipt_upload is not None
                else (receipt_text.replace("\r\n", "\n") + "\n").encode("utf-8")
            )
            try:
                if len(data) > _MAX_RECEIPT:
                    raise CheckpointError("receipt is too large")
                context["check"] = verify_receipt(
                    data,
                    log_vkey=keys.verifier_key(),
                    policy=current_policy(),
                    now=clock.now(),
                )
            except (CheckpointError, ValueError) as exc:
                context["check_error"] = str(exc)
                status = 422
        else:
            form.add_error(None, _("请上传文件或粘贴存证证明"))
            status = 400
    elif request.method == "POST":
        status = 400
    return render(request, "ledger/verify.html", context, status=status)
