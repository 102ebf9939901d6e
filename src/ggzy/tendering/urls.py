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

# Tenderer/agency and custodian pages (views_manage).
from ggzy.tendering import views_manage  # noqa: E402

urlpatterns += [
    path("new/<str:section_code>/", views_manage.tender_new, name="new"),
    path("<int:tender_id>/manage/", views_manage.tender_manage, name="manage"),
    path(
        "<int:tender_id>/manage/documents/", views_manage.document_upload, name="manage_documents"
    ),
    path("<int:tender_id>/manage/publish/", views_manage.tender_publish, name="manage_publish"),
    path(
        "<int:tender_id>/manage/clarifications/",
        views_manage.clarification_issue,
        name="manage_clarify",
    ),
    path(
        "<int:tender_id>/manage/objections/<int:objection_id>/answer/",
        views_manage.objection_answer,
        name="manage_answer",
    ),
    path(
        "<int:tender_id>/manage/terminate/", views_manage.tender_terminate, name="manage_terminate"
    ),
    path("<int:tender_id>/custody/", views_manage.custody, name="custody"),
    path("<int:tender_id>/deposits/", views_manage.deposits, name="deposits"),
    path(
        "<int:tender_id>/custody/<slug:role>/release/",
        views_manage.custody_release,
        name="custody_release",
    ),
]
