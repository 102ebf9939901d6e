"""评标 Evaluation and award (评标, 定标, 中标通知书) — pages.

Mounted as ``path("evaluation/", include("ggzy.evaluation.urls"))``.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from ggzy.evaluation import views

app_name = "evaluation"

urlpatterns: list[URLPattern | URLResolver] = [
    path("tender/<int:tender_id>/start/", views.start, name="start"),
    path("<int:session_id>/", views.session_page, name="session"),
    path("<int:session_id>/workspace/", views.workspace, name="workspace"),
    path("<int:session_id>/workspace/<int:review_id>/score/", views.score, name="score"),
    path("<int:session_id>/action/<slug:action>/", views.action, name="action"),
    path("notice/<int:notice_id>/pdf/", views.notice_pdf, name="notice_pdf"),
]
