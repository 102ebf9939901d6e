"""The rule-set keys (规则项): kind, Chinese label and rule sentence of each — pure, no Django.

Keys are only ever added, never renamed or removed, so published contents stay parseable.
docs/rules.md lists every key with its legal basis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Kind(StrEnum):
    DAYS = "days"  # int >= 0, counted in the key's day unit
    INT = "int"  # int >= 1 (people, minutes, seconds, months)
    RATIO = "ratio"  # decimal string in [0, 1], e.g. "0.02"
    MONEY = "money"  # decimal string >= 0, yuan (元)
    FRACTION = "fraction"  # "2/3"
    BOOL = "bool"
    ENUM = "enum"  # one of choices
    CODES = "codes"  # list of distinct choices


class Sense(StrEnum):
    """What a day count means, for DAYS keys."""

    MIN = "min"  # a minimum span (不得少于N日): check with check_min_period
    WITHIN = "within"  # a time limit (N日内): the act must happen by period_end
    STEP = "step"  # a length to add (e.g. one extension of a listing)


class Group(StrEnum):
    ANNOUNCE = "公告与文件"
    OBJECTION = "异议、质疑与投诉"
    EVALUATION = "开标、评审与定标"
    CONTRACT = "合同与履约"
    DEPOSIT = "保证金"
    TRADING = "交易方式（产权类）"


@dataclass(frozen=True)
class KeySpec:
    name: str
    kind: Kind
    group: Group
    label: str  # short Chinese label for tables
    phrase: str  # Chinese rule sentence; {value} is the rendered value
    sense: Sense | None = None
    unit: str = ""  # for INT: 家, 人, 分钟, 秒, 个月
    choices: tuple[tuple[str, str], ...] = ()  # (code, Chinese label) for ENUM and CODES


EVALUATION_METHODS = (
    ("lowest_evaluated_price", "经评审的最低投标价法（最低评标价法）"),
    ("comprehensive_scoring", "综合评估法（综合评分法）"),
    ("lowest_price", "满足要求且报价最低者成交"),
    ("negotiated_price", "协商确定成交价格"),
)
TRADE_MODES = (
    ("listing", "挂牌"),
    ("auction", "拍卖"),
    ("online_bidding", "网络竞价"),
    ("sealed_bid", "一次报价"),
    ("tender", "招标"),
    ("comprehensive_evaluation", "综合评议"),
    ("competitive_negotiation", "竞争性谈判"),
    ("negotiated_transfer", "协议转让"),
)
SINGLE_BIDDER_OUTCOMES = (
    ("direct_deal", "直接签约（按挂牌价与报价孰高）"),
    ("listing_sale", "报价不低于底价即成交"),
    ("no_sale", "不成交"),
    ("re_tender", "重新组织交易"),
)
RESERVE_PRICE_MODES = (
    ("hidden", "设保留价（底价），保密"),
    ("equals_start", "起始价即保留价"),
    ("none", "无保留价"),
)
INCREMENT_RULES = (
    ("fixed", "按公告的加价幅度加价"),
    ("multiple", "按加价幅度的整数倍加价"),
)
EQUAL_OFFER_RULES = (("earlier_wins", "报价相同的，先提交者优先"),)

_A, _O, _E, _C, _D, _T = (
    Group.ANNOUNCE,
    Group.OBJECTION,
    Group.EVALUATION,
    Group.CONTRACT,
    Group.DEPOSIT,
    Group.TRADING,
)
_MIN, _WITHIN, _STEP = Sense.MIN, Sense.WITHIN, Sense.STEP

KEYS: tuple[KeySpec, ...] = (
    # 公告与文件
    KeySpec(
        "announcement_period_min_days",
        Kind.DAYS,
        _A,
        "公告（公示）期限",
        "采购公告（资格预审公告、单一来源公示）的期限不得少于{value}",
        _MIN,
    ),
    KeySpec(
        "announcement_min_days",
        Kind.DAYS,
        _A,
        "公告发布至交易开始",
        "交易公告发布之日至交易开始之日不得少于{value}",
        _MIN,
    ),
    KeySpec(
        "doc_period_min_days",
        Kind.DAYS,
        _A,
        "招标文件发售（提供）期",
        "招标文件（资格预审文件）的发售（提供）期不得少于{value}",
        _MIN,
    ),
    KeySpec(
        "pq_submission_min_days",
        Kind.DAYS,
        _A,
        "资格预审申请文件提交时间",
        "提交资格预审申请文件的时间自资格预审文件停止发售之日起不得少于{value}",
        _MIN,
    ),
    KeySpec(
        "bid_period_min_days",
        Kind.DAYS,
        _A,
        "等标期（文件发出至投标截止）",
        "投标截止时间距招标文件发出之日不得少于{value}",
        _MIN,
    ),
    KeySpec(
        "clarification_min_days",
        Kind.DAYS,
        _A,
        "澄清或修改的最晚发出时间",
        "可能影响投标文件编制的澄清或者修改，应当在投标截止时间至少{value}前发出，不足的应当顺延截止时间",
        _MIN,
    ),
    KeySpec(
        "pq_clarification_min_days",
        Kind.DAYS,
        _A,
        "资格预审文件澄清或修改的最晚发出时间",
        "可能影响资格预审申请文件编制的澄清或者修改，应当在提交截止时间至少{value}前发出",
        _MIN,
    ),
    KeySpec(
        "listing_min_days",
        Kind.DAYS,
        _A,
        "挂牌（信息披露）期",
        "挂牌（正式信息披露）期不得少于{value}",
        _MIN,
    ),
    KeySpec(
        "listing_extension_days",
        Kind.DAYS,
        _A,
        "无人报名时延长挂牌期",
        "挂牌期满无符合条件的意向受让方且公告约定自动延期的，每次延长{value}",
        _STEP,
    ),
    KeySpec(
        "valuation_publicity_min_days",
        Kind.DAYS,
        _A,
        "资产评估结果公示期",
        "资产评估结果公示期不得少于{value}",
        _MIN,
    ),
    # 异议、质疑与投诉
    KeySpec(
        "objection_docs_days_before_deadline",
        Kind.DAYS,
        _O,
        "对招标文件提出异议",
        "对招标文件的异议应当在投标截止时间{value}前提出",
        _MIN,
    ),
    KeySpec(
        "pq_objection_days_before_deadline",
        Kind.DAYS,
        _O,
        "对资格预审文件提出异议",
        "对资格预审文件的异议应当在提交资格预审申请文件截止时间{value}前提出",
        _MIN,
    ),
    KeySpec(
        "objection_answer_days",
        Kind.DAYS,
        _O,
        "异议答复期限",
        "招标人应当自收到异议之日起{value}内作出答复，答复前暂停招标投标活动",
        _WITHIN,
    ),
    KeySpec(
        "challenge_days",
        Kind.DAYS,
        _O,
        "质疑期限",
        "供应商可以在知道或者应知其权益受到损害之日起{value}内提出质疑",
        _WITHIN,
    ),
    KeySpec(
        "challenge_answer_days",
        Kind.DAYS,
        _O,
        "质疑答复期限",
        "采购人应当在收到书面质疑后{value}内作出答复",
        _WITHIN,
    ),
    KeySpec(
        "complaint_days",
        Kind.DAYS,
        _O,
        "投诉期限",
        "投诉应当在法定起算之日起{value}内提出",
        _WITHIN,
    ),
    # 开标、评审与定标
    KeySpec(
        "opening_decrypt_window_minutes",
        Kind.INT,
        _E,
        "开标解密时限",
        "开标后投标人应当在{value}内完成投标文件解密",
        unit="分钟",
    ),
    KeySpec(
        "min_bidders",
        Kind.INT,
        _E,
        "最少投标人（供应商）数",
        "投标人（供应商）不得少于{value}，不足的不得开标或者应予废标",
        unit="家",
    ),
    KeySpec(
        "min_invitees",
        Kind.INT,
        _E,
        "最少邀请数",
        "应当向不少于{value}具备资格的特定法人或者其他组织发出邀请",
        unit="家",
    ),
    KeySpec(
        "committee_min_size",
        Kind.INT,
        _E,
        "评标委员会（评审小组）最少人数",
        "评标委员会（评审小组）成员不得少于{value}",
        unit="人",
    ),
    KeySpec(
        "committee_odd",
        Kind.BOOL,
        _E,
        "成员人数为单数",
        "评标委员会（评审小组）成员人数应当为单数：{value}",
    ),
    KeySpec(
        "committee_min_size_large",
        Kind.INT,
        _E,
        "大额项目评标委员会最少人数",
        "达到大额标准的项目，评标委员会成员不得少于{value}",
        unit="人",
    ),
    KeySpec(
        "committee_large_threshold",
        Kind.MONEY,
        _E,
        "大额项目标准",
        "采购预算金额达到{value}的为大额项目",
    ),
    KeySpec(
        "expert_min_share",
        Kind.FRACTION,
        _E,
        "专家占比下限",
        "技术、经济等方面的专家不得少于成员总数的{value}",
    ),
    KeySpec(
        "max_candidates",
        Kind.INT,
        _E,
        "推荐中标候选人上限",
        "评标委员会推荐的中标候选人应当不超过{value}，并标明排序",
        unit="名",
    ),
    KeySpec(
        "evaluation_methods",
        Kind.CODES,
        _E,
        "评标（评审）方法",
        "可采用的评标（评审）方法：{value}",
        choices=EVALUATION_METHODS,
    ),
    KeySpec(
        "price_weight_min_goods",
        Kind.RATIO,
        _E,
        "价格分权重下限（货物）",
        "综合评分法中货物项目价格分值占总分值的比重不得低于{value}",
    ),
    KeySpec(
        "price_weight_max_goods",
        Kind.RATIO,
        _E,
        "价格分权重上限（货物）",
        "货物项目价格分值占总分值的比重不得高于{value}",
    ),
    KeySpec(
        "price_weight_min_services",
        Kind.RATIO,
        _E,
        "价格分权重下限（服务）",
        "综合评分法中服务项目价格分值占总分值的比重不得低于{value}",
    ),
    KeySpec(
        "price_weight_max_services",
        Kind.RATIO,
        _E,
        "价格分权重上限（服务）",
        "服务项目价格分值占总分值的比重不得高于{value}",
    ),
    KeySpec(
        "sme_price_deduction_min",
        Kind.RATIO,
        _E,
        "小微企业价格扣除下限",
        "小型和微型企业产品的价格给予不低于{value}的扣除，用扣除后的价格参与评审",
    ),
    KeySpec(
        "sme_price_deduction_max",
        Kind.RATIO,
        _E,
        "小微企业价格扣除上限",
        "小型和微型企业产品的价格扣除不超过{value}",
    ),
    KeySpec(
        "candidate_publicity_start_days",
        Kind.DAYS,
        _E,
        "中标候选人公示开始期限",
        "招标人应当自收到评标报告之日起{value}内公示中标候选人",
        _WITHIN,
    ),
    KeySpec(
        "candidate_publicity_min_days",
        Kind.DAYS,
        _E,
        "中标候选人公示期",
        "中标候选人公示期不得少于{value}",
        _MIN,
    ),
    KeySpec(
        "evaluation_report_days",
        Kind.DAYS,
        _E,
        "评审报告送交期限",
        "采购代理机构应当自评审结束之日起{value}内将评审报告送交采购人",
        _WITHIN,
    ),
    KeySpec(
        "award_decision_days",
        Kind.DAYS,
        _E,
        "确定中标（成交）供应商期限",
        "采购人应当自收到评审报告之日起{value}内按顺序确定中标（成交）供应商",
        _WITHIN,
    ),
    KeySpec(
        "award_notice_days",
        Kind.DAYS,
        _E,
        "发出通知书并公告结果期限",
        "应当自中标（成交）供应商确定之日起{value}内发出通知书并公告结果",
        _WITHIN,
    ),
    KeySpec(
        "result_publicity_min_days",
        Kind.DAYS,
        _E,
        "结果公示（公告）期",
        "交易结果公示（公告）期不得少于{value}",
        _MIN,
    ),
    KeySpec(
        "result_publish_days",
        Kind.DAYS,
        _E,
        "公布交易结果期限",
        "应当自交易结束之日起{value}内公布交易结果",
        _WITHIN,
    ),
    KeySpec(
        "award_report_days",
        Kind.DAYS,
        _E,
        "招标投标情况书面报告期限",
        "招标人应当自确定中标人之日起{value}内向有关行政监督部门提交书面报告",
        _WITHIN,
    ),
    # 合同与履约
    KeySpec(
        "contract_days",
        Kind.DAYS,
        _C,
        "签订合同期限",
        "应当自中标（成交）通知书发出之日起{value}内订立书面合同",
        _WITHIN,
    ),
    KeySpec(
        "contract_publish_days",
        Kind.DAYS,
        _C,
        "合同公告期限",
        "应当自合同签订之日起{value}内公告合同",
        _WITHIN,
    ),
    KeySpec(
        "contract_filing_days",
        Kind.DAYS,
        _C,
        "合同备案期限",
        "应当自合同签订之日起{value}内将合同副本报监督管理部门备案",
        _WITHIN,
    ),
    KeySpec(
        "performance_bond_cap_ratio",
        Kind.RATIO,
        _C,
        "履约保证金上限",
        "履约保证金不得超过合同金额的{value}",
    ),
    KeySpec(
        "addon_purchase_cap_ratio",
        Kind.RATIO,
        _C,
        "追加采购上限",
        "追加采购金额不得超过原合同采购金额的{value}",
    ),
    KeySpec(
        "payment_days",
        Kind.DAYS,
        _C,
        "价款支付期限",
        "受让方应当自合同生效之日起{value}内一次付清交易价款",
        _WITHIN,
    ),
    KeySpec(
        "down_payment_min_ratio",
        Kind.RATIO,
        _C,
        "分期付款首付比例下限",
        "分期付款的，首期付款不得低于总价款的{value}",
    ),
    KeySpec(
        "instalment_max_months",
        Kind.INT,
        _C,
        "分期付款最长期限",
        "分期付款的，其余款项付款期限不得超过{value}，并提供担保、支付利息",
        unit="个月",
    ),
    # 保证金
    KeySpec(
        "deposit_cap_ratio",
        Kind.RATIO,
        _D,
        "投标保证金比例上限",
        "投标保证金不得超过招标项目估算价（采购项目预算金额）的{value}",
    ),
    KeySpec(
        "deposit_cap_amount",
        Kind.MONEY,
        _D,
        "投标保证金金额上限",
        "投标保证金最高不得超过{value}",
    ),
    KeySpec(
        "deposit_cash_allowed",
        Kind.BOOL,
        _D,
        "可否以现金形式提交保证金",
        "保证金可以现金（从基本账户转出）形式提交：{value}",
    ),
    KeySpec(
        "deposit_refund_days",
        Kind.DAYS,
        _D,
        "保证金退还期限",
        "应当在撤回投标、签订合同或者发出中标通知书后{value}内退还保证金",
        _WITHIN,
    ),
    # 交易方式（产权类）
    KeySpec(
        "trade_modes",
        Kind.CODES,
        _T,
        "交易方式",
        "可采用的交易方式：{value}",
        choices=TRADE_MODES,
    ),
    KeySpec(
        "single_bidder_outcome",
        Kind.ENUM,
        _T,
        "只有一个竞买人时",
        "只有一个符合条件的意向受让方（竞买人）时：{value}",
        choices=SINGLE_BIDDER_OUTCOMES,
    ),
    KeySpec(
        "reserve_price_mode",
        Kind.ENUM,
        _T,
        "保留价（底价）",
        "保留价（底价）：{value}",
        choices=RESERVE_PRICE_MODES,
    ),
    KeySpec(
        "increment_rule",
        Kind.ENUM,
        _T,
        "加价规则",
        "有效报价应当不低于起始价，并{value}",
        choices=INCREMENT_RULES,
    ),
    KeySpec(
        "increment_adjustable",
        Kind.BOOL,
        _T,
        "挂牌期间可调整加价幅度",
        "挂牌期间可以根据竞价情况调整加价幅度：{value}",
    ),
    KeySpec(
        "countdown_seconds",
        Kind.INT,
        _T,
        "限时报价倒计时",
        "限时报价期内每次有效报价后重新计时{value}，计时结束无人报价即结束",
        unit="秒",
    ),
    KeySpec(
        "auto_extend",
        Kind.BOOL,
        _T,
        "限时报价自动延时",
        "限时报价期内有新报价时自动延时：{value}",
    ),
    KeySpec(
        "equal_offer_rule",
        Kind.ENUM,
        _T,
        "相同报价",
        "{value}",
        choices=EQUAL_OFFER_RULES,
    ),
    KeySpec(
        "relist_consent_below_ratio",
        Kind.RATIO,
        _T,
        "降价重新挂牌须经批准的比例",
        "重新挂牌价格低于评估结果的{value}时，应当经转让行为批准单位书面同意",
    ),
    KeySpec(
        "member_share_cap_ratio",
        Kind.RATIO,
        _T,
        "单个成员持股上限",
        "单个成员持有的集体资产股份不得超过总股份的{value}",
    ),
    KeySpec(
        "member_approval_share",
        Kind.FRACTION,
        _T,
        "选定评估机构的成员同意比例",
        "资产评估机构应当经{value}以上成员（成员代表）同意后选定",
    ),
)

SPECS: Mapping[str, KeySpec] = MappingProxyType({k.name: k for k in KEYS})
META_KEYS = ("day_unit", "day_units", "basis")
PERIOD_KEYS = tuple(k.name for k in KEYS if k.kind is Kind.DAYS)
