"""Template context: the navigation for the signed-in user's roles (按角色导航)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from ggzy.accounts.permissions import Perm, active_roles, is_centre_staff, user_permissions
from ggzy.projects.selectors import is_project_reader
from ggzy.registry.models import Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items: list[tuple[str, str]] = [
        (_("首页"), reverse("portal:home")),
        (_("交易公告"), reverse("disclosure:notices")),
        (_("招标投标"), reverse("tendering:list")),
        (_("全文检索"), reverse("disclosure:search")),
        (_("交易统计"), reverse("disclosure:stats")),
        (_("市场主体"), reverse("portal:entity_list")),
        (_("交易规则"), reverse("rules:index")),
        (_("存证核验"), reverse("ledger-verify")),
    ]
    if user is not None and user.is_authenticated:
        roles = active_roles(user)
        items.append((_("工作台"), reverse("web:dashboard")))
        items.append((_("信息订阅"), reverse("disclosure:subscriptions")))
        if is_project_reader(user):
            items.append((_("项目"), reverse("projects:list")))
        if roles & {Role.TENDERER, Role.AGENCY, Role.BIDDER} or Perm.REGISTRY_ENTITY_WRITE in (
            user_permissions(user)
        ):
            items.append((_("主体注册"), reverse("registry:register")))
        perms = user_permissions(user)
        if Perm.EXPERTS_POOL_WRITE in perms:
            items.append((_("专家库"), reverse("experts:pool")))
        if Perm.EXPERTS_DRAW_WRITE in perms:
            items.append((_("专家抽取"), reverse("experts:draw_new")))
        if Role.EXPERT in roles:
            items.append((_("评标邀请"), reverse("experts:invitations")))
        if Perm.LEDGER_ENTRY_READ in user_permissions(user):
            items.append((_("存证记录"), reverse("web:ledger")))
        if is_centre_staff(user):
            items.append((_("公开逾期提醒"), reverse("disclosure:alerts")))
            items.append((_("后台管理"), reverse("admin:index")))
        items.append((_("账户安全"), reverse("accounts:security")))
    return {
        "nav_items": items,
        "site_name": settings.GGZY_SITE_NAME,
        "nav_path": request.path,
    }
