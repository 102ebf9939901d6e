"""合同 Contracts — pages. Mounted as ``path("contracts/", include("ggzy.contracts.urls"))``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from ggzy.contracts import views

app_name = "contracts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("tender/<int:tender_id>/", views.tender_page, name="tender"),
    path("tender/<int:tender_id>/action/<slug:action>/", views.action, name="action"),
    path("<int:contract_id>/file/", views.contract_file, name="file"),
    path(
        "<int:contract_id>/v<int:number>/file/",
        views.contract_version_file,
        name="version_file",
    ),
]
