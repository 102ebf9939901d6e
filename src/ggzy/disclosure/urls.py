"""信息公开 pages (公告, 检索, 订阅, 统计): ``path("", include("ggzy.disclosure.urls"))``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from ggzy.disclosure import views

app_name = "disclosure"

urlpatterns: list[URLPattern | URLResolver] = [
    path("notices/", views.notice_list, name="notices"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/projects/<path:code>/", views.project_page, name="project"),
    path("notices/catalogue/", views.catalogue_page, name="catalogue"),
    path("notices/catalogue.json", views.catalogue_json, name="catalogue_json"),
    path("notices/alerts/", views.alerts, name="alerts"),
    path("search/", views.search_page, name="search"),
    path("feeds/notices.atom", views.atom_feed, name="feed"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path(
        "subscriptions/confirm/<str:token>/",
        views.subscription_confirm,
        name="subscription_confirm",
    ),
    path(
        "subscriptions/unsubscribe/<str:token>/",
        views.subscription_unsubscribe,
        name="subscription_unsubscribe",
    ),
    path("subscriptions/<uuid:pk>/cancel/", views.subscription_cancel, name="subscription_cancel"),
    path("stats/", views.stats_page, name="stats"),
    path("stats/export.<str:fmt>", views.stats_export, name="stats_export"),
]
