"""Check characters of Chinese identifiers. Pure: no Django.

* 统一社会信用代码 unified social credit code (USCC), GB 32100-2015 (DOMAIN.md §2.2).
  N-prefixed codes of rural collective economic organisations (农村集体经济组织) are valid,
  which ``python-stdnum`` rejects — hence this module.
* 组织机构代码 organisation code, GB 11714 (positions 9–17 of a USCC).
* 居民身份证号码 citizen ID number, GB 11643-1999 (DOMAIN.md §2.3), with its birth date.
"""

from __future__ import annotations

import datetime as dt
import re

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}

ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
CITIZEN_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))

_REGION_RE = re.compile(r"^[1-9]\d{5}$")


def uscc_check_char(body17: str) -> str:
    """The 18th character for the first 17 characters of a USCC."""
    if len(body17) != 17 or any(c not in _USCC_VALUE for c in body17):
        raise ValueError("USCC body must be 17 characters of the GB 32100 alphabet")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character for the 8-character organisation code body."""
    if len(body8) != 8 or not body8.isascii() or not body8.isalnum():
        raise ValueError("organisation code body must be 8 ASCII letters or digits")
    values = [int(c) if c.isdigit() else ord(c.upper()) - ord("A") + 10 for c in body8]
    c = 11 - sum(v * w for v, w in zip(values, ORG_CODE_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def normalise_uscc(code: str) -> str:
    return code.strip().upper()


def is_valid_uscc(code: str) -> bool:
    """True when ``code`` is an 18-character USCC whose check character matches.

    Only the GB 32100 check character is verified. The embedded organisation
    code (positions 9–17) is not required to pass GB 11714, because codes
    issued to individual businesses and some N-prefixed organisations do not
    carry a legacy organisation code.
    """
    code = normalise_uscc(code)
    if len(code) != 18 or any(c not in _USCC_VALUE for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def uscc_region(code: str) -> str:
    """登记管理机关行政区划码: positions 3–8."""
    return normalise_uscc(code)[2:8]


def make_uscc(body17: str) -> str:
    return body17 + uscc_check_char(body17)


def normalise_citizen_id(number: str) -> str:
    return number.strip().upper()


def citizen_id_check_char(body17: str) -> str:
    if len(body17) != 17 or not body17.isdigit():
        raise ValueError("citizen ID body must be 17 digits")
    total = sum(int(c) * w for c, w in zip(body17, CITIZEN_ID_WEIGHTS, strict=True))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def citizen_id_birth_date(number: str) -> dt.date | None:
    number = normalise_citizen_id(number)
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def is_valid_citizen_id(number: str, *, today: dt.date | None = None) -> bool:
    """GB 11643-1999: 6-digit region, birth date yyyyMMdd, 3-digit sequence, check char."""
    number = normalise_citizen_id(number)
    if len(number) != 18 or not number[:17].isdigit():
        return False
    if not _REGION_RE.match(number[:6]):
        return False
    born = citizen_id_birth_date(number)
    if born is None or born.year < 1900 or (today is not None and born > today):
        return False
    return citizen_id_check_char(number[:17]) == number[17]


def mask_citizen_id(number: str) -> str:
    """110105********002X: region and last four shown, birth date hidden."""
    number = normalise_citizen_id(number)
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def is_valid_region_code(code: str) -> bool:
    """Shape of a GB/T 2260 six-digit administrative division code."""
    return bool(_REGION_RE.match(code))
