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
    KEY_INVALID = "key_invalid"
    # tendering
    TENDER_STATE = "tender_state"
    DEPOSIT_OVER_CAP = "deposit_over_cap"
    BID_DEADLINE_PASSED = "bid_deadline_passed"
    BID_NOT_MEMBER = "bid_not_member"
    UPLOAD_INVALID = "upload_invalid"
    UPLOAD_INCOMPLETE = "upload_incomplete"
    CHUNK_MISMATCH = "chunk_mismatch"
    ENVELOPE_INVALID = "envelope_invalid"
    SHARE_TOO_EARLY = "share_too_early"
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
    # rules
    RULESET_MISSING = "ruleset_missing"
    RULESET_NOT_FOUND = "ruleset_not_found"
    RULESET_INVALID = "ruleset_invalid"
    RULESET_IMMUTABLE = "ruleset_immutable"
    RULESET_VERSION_EXISTS = "ruleset_version_exists"
    RULESET_EFFECTIVE_CONFLICT = "ruleset_effective_conflict"
    RULESET_EFFECTIVE_PAST = "ruleset_effective_past"
    RULE_NOT_APPLICABLE = "rule_not_applicable"
    PERIOD_TOO_SHORT = "period_too_short"
    PERIOD_EXPIRED = "period_expired"
    TRADE_TYPE_NOT_FOUND = "trade_type_not_found"
    TRADE_TYPE_INVALID = "trade_type_invalid"
    CALENDAR_DAY_INVALID = "calendar_day_invalid"
    CALENDAR_DAY_NOT_FOUND = "calendar_day_not_found"
    # projects
    PROJECT_NOT_FOUND = "project_not_found"
    TENDER_PROJECT_NOT_FOUND = "tender_project_not_found"
    SECTION_NOT_FOUND = "section_not_found"
    PROJECT_LEGAL_PERSON_INACTIVE = "project_legal_person_inactive"
    PROJECT_NOT_APPROVED = "project_not_approved"
    IMPORT_FIELD_REQUIRED = "import_field_required"
    IMPORT_FIELD_TOO_LONG = "import_field_too_long"
    IMPORT_FIELD_FORMAT = "import_field_format"
    IMPORT_DATE_INVALID = "import_date_invalid"
    IMPORT_MONEY_INVALID = "import_money_invalid"
    IMPORT_SOURCE_UNAVAILABLE = "import_source_unavailable"
    IMPORT_SOURCE_INVALID = "import_source_invalid"
    # experts (only the experts app edits between these markers)
    EXPERT_NOT_FOUND = "expert_not_found"
    EXPERT_DUPLICATE = "expert_duplicate"
    EXPERT_NOT_ELIGIBLE = "expert_not_eligible"
    EXPERT_ROLE_REQUIRED = "expert_role_required"
    SPECIALTY_UNKNOWN = "specialty_unknown"
    EXPERTS_IMPORT_INVALID = "experts_import_invalid"
    DRAW_INVALID = "draw_invalid"
    DRAW_NOT_ENOUGH = "draw_not_enough_experts"
    DRAW_NOT_FOUND = "draw_not_found"
    DRAW_STATE = "draw_state"
    DRAW_LIST_SEALED = "draw_list_sealed"
    INVITATION_STATE = "invitation_state"
    CHECKIN_NOT_OPEN = "checkin_not_open"
    # end experts
    # evaluation (only the evaluation app edits between these markers)
    EVALUATION_STATE = "evaluation_state"
    COMMITTEE_INVALID = "committee_invalid"
    NOT_COMMITTEE_MEMBER = "not_committee_member"
    SCORE_INVALID = "score_invalid"
    REPORT_SIGNED = "report_signed"
    SCORING_TEMPLATE_INVALID = "scoring_template_invalid"
    SCORES_INCOMPLETE = "scores_incomplete"
    REPORT_HASH_MISMATCH = "report_hash_mismatch"
    EVALUATION_OBJECTION_PENDING = "evaluation_objection_pending"
    PUBLICITY_NOT_ENDED = "publicity_not_ended"
    # end evaluation
    # disclosure (only the disclosure app edits between these markers)
    NOTICE_INVALID = "notice_invalid"
    NOTICE_NOT_FOUND = "notice_not_found"
    CURSOR_INVALID = "cursor_invalid"
    SUBSCRIPTION_INVALID = "subscription_invalid"
    SUBSCRIPTION_TOKEN_INVALID = "subscription_token_invalid"  # noqa: S105
    SUBSCRIPTION_NOT_FOUND = "subscription_not_found"
    # end disclosure
    # opendata (only the opendata app edits between these markers)
    OPENDATA_CURSOR_INVALID = "opendata_cursor_invalid"
    OPENDATA_PROCESS_NOT_FOUND = "opendata_process_not_found"
    OPENDATA_TABLE_NOT_FOUND = "opendata_table_not_found"
    OPENDATA_DUMP_NOT_FOUND = "opendata_dump_not_found"
    OPENDATA_DUMP_DAY_OPEN = "opendata_dump_day_open"
    # end opendata
    # contracts (only the contracts app edits between these markers)
    CONTRACT_NOT_FOUND = "contract_not_found"
    CONTRACT_NOT_AWARDED = "contract_not_awarded"
    CONTRACT_EXISTS = "contract_exists"
    CONTRACT_STATE = "contract_state"
    CONTRACT_PRICE_INVALID = "contract_price_invalid"
    CONTRACT_PRICE_REASON_REQUIRED = "contract_price_reason_required"
    CONTRACT_SIGN_DATE_INVALID = "contract_sign_date_invalid"
    CONTRACT_FILE_MISSING = "contract_file_missing"
    # end contracts


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
    ErrorCode.KEY_INVALID: "公钥格式无效（应为 ed25519:/x25519:/sm2: 加 Base64）",
    ErrorCode.TENDER_STATE: "招标当前所处阶段不允许此操作",
    ErrorCode.DEPOSIT_OVER_CAP: "投标保证金超过规定上限",
    ErrorCode.BID_DEADLINE_PASSED: "已过投标截止时间，投标文件不予接收",
    ErrorCode.BID_NOT_MEMBER: "只能以本单位（投标人）名义投标",
    ErrorCode.UPLOAD_INVALID: "上传参数无效",
    ErrorCode.UPLOAD_INCOMPLETE: "投标文件尚未上传完整",
    ErrorCode.CHUNK_MISMATCH: "分片校验失败，请重新上传该分片",
    ErrorCode.ENVELOPE_INVALID: "投标文件不是有效的加密投标文件",
    ErrorCode.SHARE_TOO_EARLY: "投标截止前不得释放开标密钥分片",
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
    # rules
    ErrorCode.RULESET_MISSING: "该交易类型在此时间没有生效的交易规则",
    ErrorCode.RULESET_NOT_FOUND: "未找到该版本的交易规则",
    ErrorCode.RULESET_INVALID: "交易规则内容不符合规则集格式",
    ErrorCode.RULESET_IMMUTABLE: "已发布的交易规则不能修改，请发布新版本",
    ErrorCode.RULESET_VERSION_EXISTS: "该交易类型已有此版本号的规则",
    ErrorCode.RULESET_EFFECTIVE_CONFLICT: "该交易类型已有同一生效时间的规则，请调整生效时间",
    ErrorCode.RULESET_EFFECTIVE_PAST: "新版本规则的生效时间不能早于发布时间",
    ErrorCode.RULE_NOT_APPLICABLE: "该规则项不适用于此交易类型",
    ErrorCode.PERIOD_TOO_SHORT: "期限短于规则规定的最短期限",
    ErrorCode.PERIOD_EXPIRED: "已超过规则规定的期限",
    ErrorCode.TRADE_TYPE_NOT_FOUND: "未找到该交易类型",
    ErrorCode.TRADE_TYPE_INVALID: "交易类型数据不正确",
    ErrorCode.CALENDAR_DAY_INVALID: "节假日或调休日期设置不正确",
    ErrorCode.CALENDAR_DAY_NOT_FOUND: "节假日表中没有该日期",
    # projects
    ErrorCode.PROJECT_NOT_FOUND: "未找到该项目，或您无权查看",
    ErrorCode.TENDER_PROJECT_NOT_FOUND: "未找到该招标项目，或您无权查看",
    ErrorCode.SECTION_NOT_FOUND: "未找到该标段（包），或您无权查看",
    ErrorCode.PROJECT_LEGAL_PERSON_INACTIVE: "项目法人已暂停或注销，不能登记项目",
    ErrorCode.PROJECT_NOT_APPROVED: "项目审批结果为不予批准（核准、备案），不能进场登记",
    ErrorCode.IMPORT_FIELD_REQUIRED: "缺少必填字段",
    ErrorCode.IMPORT_FIELD_TOO_LONG: "字段超过数据规范规定的长度",
    ErrorCode.IMPORT_FIELD_FORMAT: "字段格式不符合数据规范",
    ErrorCode.IMPORT_DATE_INVALID: "日期格式应为 yyyyMMdd 或 yyyy-MM-dd",
    ErrorCode.IMPORT_MONEY_INVALID: "金额应为大于 0、最多 14 位整数和 6 位小数的数字",
    ErrorCode.IMPORT_SOURCE_UNAVAILABLE: "数据来源暂时无法访问，未导入任何记录",
    ErrorCode.IMPORT_SOURCE_INVALID: "数据来源返回的内容无法解析，未导入任何记录",
    # experts
    ErrorCode.EXPERT_NOT_FOUND: "未找到该评标专家",
    ErrorCode.EXPERT_DUPLICATE: "该人员已在专家库中",
    ErrorCode.EXPERT_NOT_ELIGIBLE: (
        "不符合评标专家条件（从事相关工作满 8 年并具有高级职称或同等专业水平）"
    ),
    ErrorCode.EXPERT_ROLE_REQUIRED: "该人员尚未被授予评标专家角色",
    ErrorCode.SPECIALTY_UNKNOWN: "评标专业代码不在专业分类标准中",
    ErrorCode.EXPERTS_IMPORT_INVALID: "导入文件中有错误，未导入任何专家",
    ErrorCode.DRAW_INVALID: "抽取条件不正确",
    ErrorCode.DRAW_NOT_ENOUGH: "符合条件的专家人数不足",
    ErrorCode.DRAW_NOT_FOUND: "未找到该专家抽取记录，或您无权查看",
    ErrorCode.DRAW_STATE: "专家抽取当前所处状态不允许此操作",
    ErrorCode.DRAW_LIST_SEALED: "评标开始前专家名单保密，不能查看",
    ErrorCode.INVITATION_STATE: "该评标邀请当前状态不允许此操作",
    ErrorCode.CHECKIN_NOT_OPEN: "评标尚未开始，不能签到",
    # end experts
    # evaluation
    ErrorCode.EVALUATION_STATE: "评标当前所处阶段不允许此操作",
    ErrorCode.COMMITTEE_INVALID: "评标委员会组成不符合规定",
    ErrorCode.NOT_COMMITTEE_MEMBER: "只有本项目评标委员会成员可以操作",
    ErrorCode.REPORT_SIGNED: "评标报告已签署，评分不得修改",
    ErrorCode.SCORE_INVALID: "评分无效",
    ErrorCode.SCORING_TEMPLATE_INVALID: "评分办法模板不正确",
    ErrorCode.SCORES_INCOMPLETE: "尚有评委未提交评分",
    ErrorCode.REPORT_HASH_MISMATCH: "评标报告内容已变化，请重新阅读后签署",
    ErrorCode.EVALUATION_OBJECTION_PENDING: "尚有异议未答复，暂停定标",
    ErrorCode.PUBLICITY_NOT_ENDED: "中标候选人公示期未满",
    # end evaluation
    # disclosure
    ErrorCode.NOTICE_INVALID: "公告数据不完整或格式不正确",
    ErrorCode.NOTICE_NOT_FOUND: "未找到该公告",
    ErrorCode.CURSOR_INVALID: "翻页参数无效，请从第一页重新浏览",
    ErrorCode.SUBSCRIPTION_INVALID: "订阅条件或接收方式不正确",
    ErrorCode.SUBSCRIPTION_TOKEN_INVALID: "确认或退订链接无效或已过期",
    ErrorCode.SUBSCRIPTION_NOT_FOUND: "未找到该订阅",
    # end disclosure
    # opendata
    ErrorCode.OPENDATA_CURSOR_INVALID: "游标无效：应为上次响应中的 next_cursor（非负整数）",
    ErrorCode.OPENDATA_PROCESS_NOT_FOUND: "未找到该交易过程（ocid），或尚未公开",
    ErrorCode.OPENDATA_TABLE_NOT_FOUND: "数据规范中没有该数据表，或本平台尚未导出该表",
    ErrorCode.OPENDATA_DUMP_NOT_FOUND: "未找到该日期的数据包",
    ErrorCode.OPENDATA_DUMP_DAY_OPEN: "该日尚未结束，不能生成当日数据包",
    # end opendata
    # contracts
    ErrorCode.CONTRACT_NOT_FOUND: "未找到该合同，或您无权查看",
    ErrorCode.CONTRACT_NOT_AWARDED: "尚未发出中标通知书，不能订立合同",
    ErrorCode.CONTRACT_EXISTS: "该标段（包）已登记合同，如需变更请提交合同更正",
    ErrorCode.CONTRACT_STATE: "合同当前状态不允许此操作",
    ErrorCode.CONTRACT_PRICE_INVALID: "合同金额应为大于 0、最多 14 位整数和 6 位小数的数字",
    ErrorCode.CONTRACT_PRICE_REASON_REQUIRED: (
        "合同金额与中标价不一致，须书面说明理由（招标投标法第四十六条：不得订立背离合同实质性内容的协议）"
    ),
    ErrorCode.CONTRACT_SIGN_DATE_INVALID: "合同签订日期不能早于定标日期，也不能晚于今天",
    ErrorCode.CONTRACT_FILE_MISSING: "请先上传已签署的合同文件",
    # end contracts
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
    ErrorCode.TENDER_STATE: 409,
    ErrorCode.BID_DEADLINE_PASSED: 409,
    ErrorCode.BID_NOT_MEMBER: 403,
    ErrorCode.UPLOAD_INCOMPLETE: 409,
    ErrorCode.SHARE_TOO_EARLY: 409,
    ErrorCode.ENTITY_DUPLICATE: 409,
    ErrorCode.PERSON_DUPLICATE: 409,
    ErrorCode.MEMBERSHIP_DUPLICATE: 409,
    ErrorCode.QUALIFICATION_DUPLICATE: 409,
    ErrorCode.USERNAME_TAKEN: 409,
    ErrorCode.FILE_TOO_LARGE: 413,
    ErrorCode.FILE_TYPE: 415,
    # rules
    ErrorCode.RULESET_MISSING: 404,
    ErrorCode.RULESET_NOT_FOUND: 404,
    ErrorCode.TRADE_TYPE_NOT_FOUND: 404,
    ErrorCode.CALENDAR_DAY_NOT_FOUND: 404,
    ErrorCode.RULESET_IMMUTABLE: 409,
    ErrorCode.RULESET_VERSION_EXISTS: 409,
    ErrorCode.RULESET_EFFECTIVE_CONFLICT: 409,
    # projects
    ErrorCode.PROJECT_NOT_FOUND: 404,
    ErrorCode.TENDER_PROJECT_NOT_FOUND: 404,
    ErrorCode.SECTION_NOT_FOUND: 404,
    ErrorCode.IMPORT_SOURCE_UNAVAILABLE: 502,
    # experts
    ErrorCode.EXPERT_NOT_FOUND: 404,
    ErrorCode.DRAW_NOT_FOUND: 404,
    ErrorCode.EXPERT_DUPLICATE: 409,
    ErrorCode.DRAW_NOT_ENOUGH: 409,
    ErrorCode.DRAW_STATE: 409,
    ErrorCode.DRAW_LIST_SEALED: 403,
    ErrorCode.INVITATION_STATE: 409,
    ErrorCode.CHECKIN_NOT_OPEN: 409,
    ErrorCode.EXPERTS_IMPORT_INVALID: 422,
    # end experts
    # evaluation
    ErrorCode.EVALUATION_STATE: 409,
    ErrorCode.NOT_COMMITTEE_MEMBER: 403,
    ErrorCode.REPORT_SIGNED: 409,
    ErrorCode.SCORES_INCOMPLETE: 409,
    ErrorCode.REPORT_HASH_MISMATCH: 409,
    ErrorCode.EVALUATION_OBJECTION_PENDING: 409,
    ErrorCode.PUBLICITY_NOT_ENDED: 409,
    # end evaluation
    # disclosure
    ErrorCode.NOTICE_NOT_FOUND: 404,
    ErrorCode.SUBSCRIPTION_NOT_FOUND: 404,
    ErrorCode.SUBSCRIPTION_TOKEN_INVALID: 400,
    # end disclosure
    # opendata
    ErrorCode.OPENDATA_CURSOR_INVALID: 400,
    ErrorCode.OPENDATA_PROCESS_NOT_FOUND: 404,
    ErrorCode.OPENDATA_TABLE_NOT_FOUND: 404,
    ErrorCode.OPENDATA_DUMP_NOT_FOUND: 404,
    ErrorCode.OPENDATA_DUMP_DAY_OPEN: 409,
    # end opendata
    # contracts
    ErrorCode.CONTRACT_NOT_FOUND: 404,
    ErrorCode.CONTRACT_NOT_AWARDED: 409,
    ErrorCode.CONTRACT_EXISTS: 409,
    ErrorCode.CONTRACT_STATE: 409,
    ErrorCode.CONTRACT_FILE_MISSING: 409,
    # end contracts
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
