"""The versioned JSON API (``/api/v1``), OpenAPI docs at ``/api/v1/docs``.

One router per app; business errors map to 4xx here, once.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from ggzy.accounts.api import router as accounts_router
from ggzy.contracts.api import router as contracts_router
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.disclosure.api import router as disclosure_router
from ggzy.evaluation.api import router as evaluation_router
from ggzy.experts.api import router as experts_router
from ggzy.ledger.api import router as ledger_router
from ggzy.opendata.api import feed_router
from ggzy.opendata.api import router as opendata_router
from ggzy.projects.api import router as projects_router
from ggzy.projects.api import sections_router, tenders_router
from ggzy.registry.api import platform_router
from ggzy.registry.api import router as registry_router
from ggzy.rules.api import router as rules_router
from ggzy.tendering.api import router as tendering_router

api = NinjaAPI(
    title="ggzy 公共资源交易平台 API",
    version="1",
    urls_namespace="api-v1",
    docs_url="/docs",
    description=(
        "Errors are JSON `{code, message, field?, detail?}` with a stable `code` and a Chinese "
        "`message`. Authenticate with `Authorization: Bearer ggzy_<prefix>_<secret>` or a "
        "browser session (CSRF token required for writes)."
    ),
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    err = DomainError(ErrorCode.VALIDATION, detail={"errors": exc.errors})
    return api.create_response(request, err.as_dict(), status=422)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    err = DomainError(ErrorCode.NOT_AUTHENTICATED)
    return api.create_response(request, err.as_dict(), status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = ErrorCode.NOT_FOUND if exc.status_code == 404 else ErrorCode.VALIDATION
    err = DomainError(code, str(exc) or None)
    return api.create_response(request, err.as_dict(), status=exc.status_code)


api.add_router("/accounts", accounts_router)
api.add_router("/entities", registry_router)
api.add_router("/platform", platform_router)
api.add_router("/ledger", ledger_router)
api.add_router("/projects", projects_router)
api.add_router("/tenders", tenders_router)
api.add_router("/sections", sections_router)
api.add_router("/rules", rules_router)
api.add_router("/tendering", tendering_router)
api.add_router("/experts", experts_router)
api.add_router("/evaluation", evaluation_router)
api.add_router("/contracts", contracts_router)
api.add_router("/disclosure", disclosure_router)
api.add_router("/opendata", opendata_router)
api.add_router("/feed", feed_router)
