"""数据共享 Open data — pages: ``path("opendata/", include("ggzy.opendata.urls"))``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from ggzy.opendata import views

app_name = "opendata"

urlpatterns: list[URLPattern | URLResolver] = [
    path("quality/", views.quality_page, name="quality"),
]
