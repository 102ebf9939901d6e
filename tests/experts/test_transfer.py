"""Bulk import/export (CSV, XLSX): per-row report, all-or-nothing."""

from __future__ import annotations

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from openpyxl import Workbook, load_workbook
from tests.factories import citizen_id, uscc

from ggzy.core.errors import DomainError, ErrorCode
from ggzy.experts import transfer
from ggzy.experts.models import Expert
from ggzy.experts.notify import Message, WebhookProvider
from ggzy.ledger.models import Entry
from ggzy.registry.models import Role

pytestmark = pytest.mark.django_db


def rows(n: int = 2) -> list[dict[str, str]]:
    return [
        {
            "name": f"导入专家{i}",
            "id_number": citizen_id(),
            "phone": "13900000000",
            "email": f"imp{i}@example.cn",
            "username": f"imp{i}",
            "specialties": "A0201 A0501",
            "region_code": "620402",
            "employer_uscc": uscc(),
            "employer_name": f"导入单位{i}",
            "title": "高级",
            "years": "12",
            "home_centre": "620400",
            "shared": "1",
        }
        for i in range(n)
    ]


def as_csv(data: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=transfer.COLUMNS)
    w.writeheader()
    w.writerows(data)
    return buf.getvalue().encode("utf-8-sig")


def as_xlsx(data: list[dict[str, str]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(transfer.COLUMNS)
    for r in data:
        ws.append([r[c] for c in transfer.COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_bad_rows_are_reported_and_nothing_is_imported(world: Any) -> None:
    data = rows(4)
    data[1]["id_number"] = "620402199001011234"  # bad check digit
    data[2]["specialties"] = "Z01"
    data[3]["years"] = "3"
    users, entries = get_user_model().objects.count(), Entry.objects.count()
    with pytest.raises(DomainError) as info:
        transfer.pool_import(actor=world.staff, data=as_csv(data), filename="e.csv")
    assert info.value.code == ErrorCode.EXPERTS_IMPORT_INVALID
    assert info.value.status == 422
    errors = info.value.detail["errors"]
    assert [(e["row"], e["field"], e["code"]) for e in errors] == [
        (3, "id_number", "citizen_id_invalid"),
        (4, "specialties", "specialty_unknown"),
        (5, "years", "expert_not_eligible"),
    ]
    assert info.value.detail["rows"] == 4
    assert not Expert.objects.exists()
    assert get_user_model().objects.count() == users
    assert Entry.objects.count() == entries


def test_duplicate_rows_in_one_file(world: Any) -> None:
    data = rows(2)
    data[1]["id_number"] = data[0]["id_number"]
    with pytest.raises(DomainError) as info:
        transfer.pool_import(actor=world.staff, data=as_xlsx(data), filename="e.xlsx")
    assert info.value.detail["errors"][0]["message"] == "与第 2 行证件号码重复"
    assert not Expert.objects.exists()


@pytest.mark.parametrize(("fmt", "encode"), [("csv", as_csv), ("xlsx", as_xlsx)])
def test_import_then_export(world: Any, fmt: str, encode: Any) -> None:
    data = rows(2)
    report = transfer.pool_import(actor=world.staff, data=encode(data), filename=f"e.{fmt}")
    assert report.as_dict() == {"rows": 2, "imported": 2, "errors": []}
    experts = list(Expert.objects.select_related("user__person").order_by("id"))
    assert [e.user.person.name for e in experts] == ["导入专家0", "导入专家1"]
    assert experts[0].specialties == ["A0201", "A0501"]
    assert experts[0].title == "senior"
    assert experts[0].user.person.memberships.filter(role=Role.EXPERT).count() == 1
    assert experts[0].user.email == "imp0@example.cn"
    assert Entry.objects.filter(event_type="experts:pool:imported").count() == 1
    content, ctype = transfer.pool_export(actor=world.staff, fmt=fmt)
    if fmt == "csv":
        assert ctype.startswith("text/csv")
        parsed = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        ws = load_workbook(io.BytesIO(content)).worksheets[0]
        table = list(ws.iter_rows(values_only=True))
        parsed = [dict(zip(table[0], r, strict=True)) for r in table[1:]]
    assert [r["name"] for r in parsed] == ["导入专家0", "导入专家1"]
    assert "*" in str(parsed[0]["id_number"])  # masked on export
    assert str(parsed[0]["years"]) == "12"


def test_import_refused_for_non_staff(world: Any) -> None:
    for user in (world.tenderer, world.expert, None):
        with pytest.raises(DomainError) as info:
            transfer.pool_import(actor=user, data=as_csv(rows(1)), filename="e.csv")
        assert info.value.code in {ErrorCode.PERMISSION_DENIED, ErrorCode.NOT_AUTHENTICATED}
    assert not Expert.objects.exists()


def test_wrong_file_type(world: Any) -> None:
    with pytest.raises(DomainError) as info:
        transfer.pool_import(actor=world.staff, data=b"x", filename="e.txt")
    assert info.value.code == ErrorCode.FILE_TYPE


def test_webhook_provider_posts_a_signed_message() -> None:
    received: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received["body"] = self.rfile.read(length)
            received["signature"] = self.headers["X-Ggzy-Signature"]
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        ok = WebhookProvider(url, "s3cret").send(Message(7, "", "评标邀请", "请确认", "/x/"))
    finally:
        thread.join(5)
        server.server_close()
    assert ok is True
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", received["body"], hashlib.sha256).hexdigest()
    assert received["signature"] == f"sha256={expected}"
    assert json.loads(received["body"])["title"] == "评标邀请"
