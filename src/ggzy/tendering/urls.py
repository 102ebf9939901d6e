"""Tendering pages: ``path("tendering/", include("ggzy.tendering.urls"))``."""

from __future__ import annotations

from django.urls import path

from ggzy.tendering import views

app_name = "tendering"

urlpatterns = [
    path("", views.tender_list, name="list"),
    path("<int:tender_id>/", views.tender_detail, name="detail"),
    path("<int:tender_id>/bid/", views.bid_page, name="bid"),
    path("<int:tender_id>/bid/<uuid:bid_id>/withdraw/", views.bid_withdraw, name="withdraw"),
    path("<int:tender_id>/opening/", views.opening_console, name="opening"),
    path("<int:tender_id>/opening/<slug:action>/", views.opening_action, name="opening_action"),
    path(
        "<int:tender_id>/opening/bids/<uuid:bid_id>/<slug:action>/",
        views.bid_action,
        name="bid_action",
    ),
]
