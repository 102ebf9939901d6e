"""评标 Evaluation and award (评标, 定标, 中标通知书) — pages: ``path("evaluation/", include("ggzy.evaluation.urls"))``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "evaluation"

urlpatterns: list[URLPattern | URLResolver] = []
