"""Page routes of the rules app; mounted by ggzy/urls.py at ``rules/``."""

from __future__ import annotations

from django.urls import path

from ggzy.rules import views

app_name = "rules"

urlpatterns = [
    path("", views.index, name="index"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("<str:code>/", views.detail, name="detail"),
]
