"""Business errors with stable codes and Chinese messages (错误码).

Services raise ``DomainError(ErrorCode.X)``; the API and pages map it to a 4xx
response once. The code string never changes once published: clients rely on it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    # generic
    VALIDATION = "validation_error"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    NOT_AUTHENTICATED = "not_authenticated"
    CONFLICT = "conflict"
    # identifiers
    USCC_INVALID = "uscc_invalid"
    CITIZEN_ID_INVALID = "citizen_id_invalid"
    REGION_CODE_INVALID = "region_code_invalid"
    # registry
    ENTITY_DUPLICATE = "entity_duplicate"
    ENTITY_NOT_FOUND = "entity_not_found"
    PERSON_DUPLICATE = "person_duplicate"
    PERSON_REQUIRED = "person_required"
    ROLE_NOT_SELF_SERVICE = "role_not_self_service"
    MEMBERSHIP_DUPLICATE = "membership_duplicate"
    QUALIFICATION_EXPIRED = "qualification_expired"
    QUALIFICATION_DATES = "qualification_dates_invalid"
    QUALIFICATION_DUPLICATE = "qualification_duplicate"
    FILE_TOO_LARGE = "file_too_large"
    FILE_TYPE = "file_type_not_allowed"
    # ledger
    LEDGER_PENDING = "ledger_pending"
    RECEIPT_INVALID = "receipt_invalid"
    # accounts
    LOGIN_FAILED = "login_failed"
    TOTP_REQUIRED = "totp_required"
    TOTP_INVALID = "totp_invalid"
    TOKEN_INVALID = "token_invalid"  # noqa: S105 - error codes, not secrets
    TOKEN_SCOPE = "token_scope_denied"  # noqa: S105
    SCOPE_UNKNOWN = "scope_unknown"
    USERNAME_TAKEN = "username_taken"
    PASSWORD_WEAK = "password_weak"  # noqa: S105


MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.VALIDATION: "提交的数据格式不正确",
    ErrorCode.NOT_FOUND: "未找到请求的资源",
    ErrorCode.PERMISSION_DENIED: "您没有执行此操作的权限",
    ErrorCode.NOT_AUTHENTICATED: "请先登录",
    ErrorCode.CONFLICT: "数据已被他人修改，请刷新后重试",
    ErrorCode.USCC_INVALID: "统一社会信用代码无效（GB 32100-2015 校验失败）",
    ErrorCode.CITIZEN_ID_INVALID: "居民身份证号码无效（GB 11643 校验失败）",
    ErrorCode.REGION_CODE_INVALID: "行政区划代码无效（应为 6 位 GB/T 2260 代码）",
    ErrorCode.ENTITY_DUPLICATE: "该统一社会信用代码已注册，请勿重复注册",
    ErrorCode.ENTITY_NOT_FOUND: "未找到该市场主体",
    ErrorCode.PERSON_DUPLICATE: "该证件号码已登记",
    ErrorCode.PERSON_REQUIRED: "请先完成实名登记",
    ErrorCode.ROLE_NOT_SELF_SERVICE: "该角色只能由交易中心授予，不能自行申请",
    ErrorCode.MEMBERSHIP_DUPLICATE: "该人员已拥有此角色",
    ErrorCode.QUALIFICATION_EXPIRED: "资质证书已过有效期，不能登记",
    ErrorCode.QUALIFICATION_DATES: "资质有效期起止日期不正确",
    ErrorCode.QUALIFICATION_DUPLICATE: "该资质证书已登记",
    ErrorCode.FILE_TOO_LARGE: "文件过大",
    ErrorCode.FILE_TYPE: "只接受 PDF、JPEG 或 PNG 文件",
    ErrorCode.LEDGER_PENDING: "该记录尚未写入存证日志，请稍后再试",
    ErrorCode.RECEIPT_INVALID: "存证证明无效",
    ErrorCode.LOGIN_FAILED: "用户名或密码错误",
    ErrorCode.TOTP_REQUIRED: "请输入动态口令",
    ErrorCode.TOTP_INVALID: "动态口令错误或已过期",
    ErrorCode.TOKEN_INVALID: "访问令牌无效、已过期或已撤销",
    ErrorCode.TOKEN_SCOPE: "访问令牌的授权范围不包含此操作",
    ErrorCode.SCOPE_UNKNOWN: "未知的授权范围",
    ErrorCode.USERNAME_TAKEN: "用户名已被使用",
    ErrorCode.PASSWORD_WEAK: "密码强度不足",
}

HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.ENTITY_NOT_FOUND: 404,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.TOKEN_SCOPE: 403,
    ErrorCode.ROLE_NOT_SELF_SERVICE: 403,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.TOKEN_INVALID: 401,
    ErrorCode.LOGIN_FAILED: 401,
    ErrorCode.TOTP_REQUIRED: 401,
    ErrorCode.TOTP_INVALID: 401,
    ErrorCode.CONFLICT: 409,
    ErrorCode.LEDGER_PENDING: 409,
    ErrorCode.ENTITY_DUPLICATE: 409,
    ErrorCode.PERSON_DUPLICATE: 409,
    ErrorCode.MEMBERSHIP_DUPLICATE: 409,
    ErrorCode.QUALIFICATION_DUPLICATE: 409,
    ErrorCode.USERNAME_TAKEN: 409,
    ErrorCode.FILE_TOO_LARGE: 413,
    ErrorCode.FILE_TYPE: 415,
}


class DomainError(Exception):
    """A business rule refused the request. Nothing was changed."""

    def __init__(
        self,
        code: ErrorCode,
        message: str | None = None,
        *,
        field: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.message = message or MESSAGES.get(code, MESSAGES[ErrorCode.VALIDATION])
        self.field = field
        self.detail = detail or {}
        super().__init__(f"{code.value}: {self.message}")

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code.value, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.detail:
            body["detail"] = self.detail
        return body
