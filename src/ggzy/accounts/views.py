"""Account pages: log in (with TOTP), sign up, security (TOTP and API tokens)."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ggzy.accounts import services
from ggzy.accounts.forms import LoginForm, OtpForm, SignupForm, TokenForm
from ggzy.accounts.models import ApiToken, User
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.web.forms import attach_error


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return "/me/"


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            user = authenticate(
                request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
            try:
                if not isinstance(user, User):
                    raise DomainError(ErrorCode.LOGIN_FAILED)
                if user.totp_enabled:
                    code = form.cleaned_data["otp"]
                    if not code:
                        raise DomainError(ErrorCode.TOTP_REQUIRED, field="otp")
                    if not services.totp_check(user=user, code=code):
                        raise DomainError(ErrorCode.TOTP_INVALID, field="otp")
            except DomainError as exc:
                status = attach_error(form, exc)
            else:
                login(request, user)
                services.login_recorded(
                    user=user, method="password+totp" if user.totp_enabled else "password"
                )
                return redirect(_next_url(request))
    return render(
        request, "accounts/login.html", {"form": form, "next": _next_url(request)}, status=status
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:home")


@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = services.user_signup(**form.cleaned_data)
            except DomainError as exc:
                status = attach_error(form, exc)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("注册成功，已完成实名登记。"))
                return redirect("web:dashboard")
    return render(request, "accounts/signup.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def security_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    otp_form = OtpForm(request.POST if request.POST.get("action", "").startswith("totp") else None)
    token_form = TokenForm(request.POST if request.POST.get("action") == "token_create" else None)
    status = 200
    new_token = None
    provisioning_svg = None
    action = request.POST.get("action", "")
    try:
        if action == "totp_begin":
            uri = services.totp_begin(actor=user)
            provisioning_svg = segno.make(uri, error="m").svg_inline(scale=4)
            request.session["totp_uri"] = uri
            otp_form = OtpForm()
        elif action in {"totp_enable", "totp_disable"} and otp_form.is_valid():
            if action == "totp_enable":
                services.totp_enable(actor=user, code=otp_form.cleaned_data["code"])
                messages.success(request, _("动态口令已启用"))
            else:
                services.totp_disable(actor=user, code=otp_form.cleaned_data["code"])
                messages.success(request, _("动态口令已停用"))
            return redirect("accounts:security")
        elif action == "token_create" and token_form.is_valid():
            _token, new_token = services.token_create(
                actor=user,
                name=token_form.cleaned_data["name"],
                scopes=token_form.cleaned_data["scopes"],
                expires_at=token_form.cleaned_data["expires_at"],
            )
            token_form = TokenForm()
        elif action == "token_revoke":
            token = ApiToken.objects.filter(user=user, prefix=request.POST.get("prefix")).first()
            if token is None:
                raise DomainError(ErrorCode.NOT_FOUND)
            services.token_revoke(actor=user, token=token)
            messages.success(request, _("令牌已撤销"))
            return redirect("accounts:security")
        elif action:
            status = 400
    except DomainError as exc:
        target = token_form if action.startswith("token") else otp_form
        status = attach_error(target, exc)
    if provisioning_svg is None and action == "totp_enable" and request.session.get("totp_uri"):
        provisioning_svg = segno.make(request.session["totp_uri"], error="m").svg_inline(scale=4)
    return render(
        request,
        "accounts/security.html",
        {
            "otp_form": otp_form,
            "token_form": token_form,
            "tokens": ApiToken.objects.filter(user=user),
            "new_token": new_token,
            "provisioning_svg": provisioning_svg,
            "totp_pending": bool(user.totp_secret_encrypted) and not user.totp_enabled,
        },
        status=status,
    )
