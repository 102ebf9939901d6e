"""信息公开 Public disclosure (公告, 检索, 订阅, 统计) — pages: ``path("", include("ggzy.disclosure.urls"))``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "disclosure"

urlpatterns: list[URLPattern | URLResolver] = []
