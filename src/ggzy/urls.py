from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from django.views.static import serve

from ggzy.accounts import views as accounts_views
from ggzy.api import api
from ggzy.ledger import views as ledger_views
from ggzy.portal import views as portal_views
from ggzy.projects import views as projects_views
from ggzy.registry import views as registry_views
from ggzy.web import views as web_views

admin.site.site_header = "ggzy 交易中心后台"
admin.site.site_title = "ggzy 后台"

portal_patterns = (
    [
        path("", portal_views.home, name="home"),
        path("entities/", portal_views.entity_list, name="entity_list"),
        path("entities/<str:uscc>/", portal_views.entity_detail, name="entity_detail"),
    ],
    "portal",
)
accounts_patterns = (
    [
        path("login/", accounts_views.login_view, name="login"),
        path("logout/", accounts_views.logout_view, name="logout"),
        path("signup/", accounts_views.signup_view, name="signup"),
        path("security/", accounts_views.security_view, name="security"),
    ],
    "accounts",
)
registry_patterns = (
    [
        path("register/", registry_views.register_view, name="register"),
        path(
            "<str:uscc>/qualifications/new/",
            registry_views.qualification_new,
            name="qualification_new",
        ),
        path(
            "<str:uscc>/performances/new/", registry_views.performance_new, name="performance_new"
        ),
    ],
    "registry",
)
projects_patterns = (
    [
        path("", projects_views.project_list, name="list"),
        path("new/", projects_views.project_new, name="new"),
        path("import/", projects_views.project_import, name="import"),
        path("<str:code>/", projects_views.project_detail, name="detail"),
        path("<str:code>/tenders/new/", projects_views.tender_new, name="tender_new"),
        path("tenders/<str:code>/sections/new/", projects_views.section_new, name="section_new"),
    ],
    "projects",
)
web_patterns = (
    [
        path("me/", web_views.dashboard, name="dashboard"),
        path("ledger/", web_views.ledger_view, name="ledger"),
    ],
    "web",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("accounts/", include(accounts_patterns)),
    path("registry/", include(registry_patterns)),
    path("projects/", include(projects_patterns)),
    path("rules/", include("ggzy.rules.urls")),
    path("tendering/", include("ggzy.tendering.urls")),
    path("experts/", include("ggzy.experts.urls")),
    path("evaluation/", include("ggzy.evaluation.urls")),
    path("contracts/", include("ggzy.contracts.urls")),
    path("opendata/", include("ggzy.opendata.urls")),
    path("", include("ggzy.disclosure.urls")),
    path("", include(web_patterns)),
    path("api/v1/", api.urls),
    path("ledger/verify/", ledger_views.verify_page, name="ledger-verify"),
    path("log/checkpoint", ledger_views.log_checkpoint, name="log-checkpoint"),
    path("log/tile/<path:path>", ledger_views.log_tile, name="log-tile"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG or settings.GGZY_SERVE_MEDIA:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
