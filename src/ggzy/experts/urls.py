"""评标专家 Experts (专家库, 随机抽取) — pages, mounted at ``/experts/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from ggzy.experts import views

app_name = "experts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("pool/", views.pool_view, name="pool"),
    path("pool/import/", views.import_view, name="import"),
    path("draws/new/", views.draw_new, name="draw_new"),
    path("draws/<int:draw_id>/", views.draw_detail, name="draw"),
    path("draws/<int:draw_id>/run/", views.draw_run_view, name="draw_run"),
    path("invitations/", views.invitations_view, name="invitations"),
    path("me/calendar/", views.my_calendar, name="calendar"),
    path("venues/<str:code>/", views.venue_view, name="venue"),
    path(
        "invitations/<int:inv_id>/<slug:action>/",
        views.invitation_action,
        name="invitation_action",
    ),
]
