"""Exchange-level identifiers (DOMAIN.md §2.1). Pure: no Django.

* ``PROJECT_CODE`` 项目编号, 17 chars: 1 letter + 6-digit region + 10 chars. We issue
  ``E`` + region + ``yyMMdd`` + 4-digit daily sequence.
* ``TENDER_PROJECT_CODE`` 招标项目编号, 20 chars: project code + 3-digit sequence.
* ``BID_SECTION_CODE`` 标段（包）编号, 23 chars: tender project code + 3-digit sequence.
* ``UNIFIED_DEAL_CODE`` 统一交易标识码, 40 chars: ``{class3}-{USCC18}-{yyyyMMdd}-{seq6}-{check}``
  with an ISO 7064 MOD 37-2 check character over the code without dashes.
"""

from __future__ import annotations

import datetime as dt
import re

MOD37_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_PROJECT_RE = re.compile(r"^[A-Za-z]\d{6}[0-9A-Za-z]{10}$")
_DEAL_RE = re.compile(r"^([A-Z]\d{2})-([0-9A-Z]{18})-(\d{8})-(\d{6})-([0-9A-Z*])$")


def project_code(region_code: str, day: dt.date, seq: int) -> str:
    if not re.fullmatch(r"\d{6}", region_code) or not 1 <= seq <= 9999:
        raise ValueError("region code must be 6 digits and the sequence 1..9999")
    return f"E{region_code}{day:%y%m%d}{seq:04d}"


def tender_project_code(project: str, seq: int) -> str:
    if not is_project_code(project) or not 1 <= seq <= 999:
        raise ValueError("bad project code or sequence")
    return f"{project}{seq:03d}"


def section_code(tender_project: str, seq: int) -> str:
    if len(tender_project) != 20 or not 1 <= seq <= 999:
        raise ValueError("bad tender project code or sequence")
    return f"{tender_project}{seq:03d}"


def is_project_code(code: str) -> bool:
    return bool(_PROJECT_RE.match(code))


def is_tender_project_code(code: str) -> bool:
    return len(code) == 20 and is_project_code(code[:17]) and code[17:].isdigit()


def is_section_code(code: str) -> bool:
    return len(code) == 23 and is_tender_project_code(code[:20]) and code[20:].isdigit()


def mod37_2_check(body: str) -> str:
    """ISO 7064 MOD 37-2 check character (alphabet 0-9 A-Z *)."""
    total = 0
    for ch in body:
        value = MOD37_ALPHABET.index(ch)
        total = ((total + value) * 2) % 37
    return MOD37_ALPHABET[(38 - total) % 37]


def unified_deal_code(class_code: str, uscc: str, day: dt.date, seq: int) -> str:
    if not re.fullmatch(r"[A-Z]\d{2}", class_code) or len(uscc) != 18 or not 0 <= seq <= 999999:
        raise ValueError("bad class code, USCC or sequence")
    body = f"{class_code}{uscc}{day:%Y%m%d}{seq:06d}"
    return f"{class_code}-{uscc}-{day:%Y%m%d}-{seq:06d}-{mod37_2_check(body)}"


def unified_deal_code_check_ok(code: str) -> bool:
    """True when the check character matches. Imports only warn on a mismatch: real codes
    issued by some platforms fail it (DOMAIN.md §2.1)."""
    m = _DEAL_RE.match(code)
    if not m:
        return False
    klass, uscc, day, seq, check = m.groups()
    return mod37_2_check(f"{klass}{uscc}{day}{seq}") == check
