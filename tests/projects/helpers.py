"""Helpers for project-entry tests: data-spec records, state snapshots, logins."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from typing import Any

import requests

from ggzy.ledger.models import Entry
from ggzy.projects.models import Project, Section, TenderProject

_refs = itertools.count(1)


def record(org: Any, **overrides: Any) -> dict[str, Any]:
    """A valid PROJECT (500) record as the investment-project platform sends it."""
    n = next(_refs)
    body: dict[str, Any] = {
        "SOURCE_REF": f"TZXM-{n:05d}",
        "PROJECT_NAME": f"白银市城区道路改造工程（{n}期）",
        "REGION_CODE": "620402",
        "RELATE_CODE": "1",
        "INVEST_PROJECT_CODE": f"2025-620402-48-01-{n:06d}",
        "ADDRESS": "白银市白银区人民路",
        "LEGAL_PERSON": org.name,
        "LEGAL_PERSON_CODE": org.uscc,
        "CLASS_VER_CODE": "2",
        "INDUSTRIES_TYPE": "E48",
        "FUND_SOURCE": "财政资金",
        "PROJECT_SCALE": "道路全长 3.2 公里，双向四车道",
        "CONTACTOR": "王工",
        "CONTACT_INFORMATION": "0943-8888888",
        "APPROVAL_NAME": "关于白银市城区道路改造工程可行性研究报告的批复",
        "APPROVAL_NUMBER": "白发改投资〔2025〕12号",
        "APPROVAL_AUTHORITY": "白银市发展和改革委员会",
        "APPROVAL_DATE": "20250301",
        "BUDGET": "32000000.50",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def state() -> tuple[int, int, int, int]:
    return (
        Project.objects.count(),
        TenderProject.objects.count(),
        Section.objects.count(),
        Entry.objects.count(),
    )


def login(base: str, username: str, password: str) -> requests.Session:
    s = requests.Session()
    page = s.get(base + "/accounts/login/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert csrf is not None
    r = s.post(
        base + "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": csrf.group(1)},
        headers={"Referer": base + "/accounts/login/"},
        timeout=30,
    )
    assert r.url.endswith("/me/"), r.text[:300]
    return s


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert m is not None, html[:300]
    return m.group(1)


TOKEN = "tzxm-secret-token"


class Platform:
    """Pages keyed by path: (status, body bytes, content type); counts hits and auth headers."""

    def __init__(self) -> None:
        self.pages: dict[str, Any] = {}
        self.hits: Counter[str] = Counter()
        self.auth: dict[str, str] = {}
        self.fail_first: set[str] = set()
        self.delay: dict[str, float] = {}

    def json_page(self, path: str, records: list[Any], next_link: str | None = None) -> None:
        body = json.dumps({"records": records, "next": next_link}, ensure_ascii=False)
        self.pages[path] = (200, body.encode(), "application/json; charset=utf-8")
