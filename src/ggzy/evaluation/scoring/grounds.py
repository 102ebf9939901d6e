"""Mandatory rejection grounds (否决投标情形), 招标投标法实施条例第五十一条 (DOMAIN §3.5).

Data, not code: each ground has a stable code, the Chinese text and its legal basis. A
rejection must name one ground and give a written reason.
"""

from __future__ import annotations

REJECTION_GROUNDS: tuple[tuple[str, str, str], ...] = (
    ("R51-1", "投标文件未经投标单位盖章和单位负责人签字", "招标投标法实施条例第五十一条第（一）项"),
    ("R51-2", "投标联合体没有提交共同投标协议", "招标投标法实施条例第五十一条第（二）项"),
    (
        "R51-3",
        "投标人不符合国家或者招标文件规定的资格条件",
        "招标投标法实施条例第五十一条第（三）项",
    ),
    (
        "R51-4",
        "同一投标人提交两个以上不同的投标文件或者投标报价（招标文件要求提交备选投标的除外）",
        "招标投标法实施条例第五十一条第（四）项",
    ),
    (
        "R51-5",
        "投标报价低于成本或者高于招标文件设定的最高投标限价",
        "招标投标法实施条例第五十一条第（五）项",
    ),
    (
        "R51-6",
        "投标文件没有对招标文件的实质性要求和条件作出响应",
        "招标投标法实施条例第五十一条第（六）项",
    ),
    (
        "R51-7",
        "投标人有串通投标、弄虚作假、行贿等违法行为",
        "招标投标法实施条例第五十一条第（七）项",
    ),
)

GROUND_TEXT = {code: text for code, text, _basis in REJECTION_GROUNDS}
GROUND_BASIS = {code: basis for code, _text, basis in REJECTION_GROUNDS}
