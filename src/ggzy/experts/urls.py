"""评标专家 Experts (专家库, 随机抽取) — pages: ``path("experts/", include("ggzy.experts.urls"))``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "experts"

urlpatterns: list[URLPattern | URLResolver] = []
