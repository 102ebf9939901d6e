"""数据共享 Open data (OCDS, 数据规范, 变更流) — pages: ``path("opendata/", include("ggzy.opendata.urls"))``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "opendata"

urlpatterns: list[URLPattern | URLResolver] = []
