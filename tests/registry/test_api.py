"""Registry API over real HTTP (live server)."""

import base64
import datetime as dt

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from tests.factories import uscc

from ggzy.core.canonical import canonical_json
from ggzy.ledger.models import Entry
from ggzy.registry.models import Organization, Qualification

PDF = b"%PDF-1.7\n%test\n"


def _org_body(**overrides):
    body = {
        "uscc": uscc(),
        "name": "白银接口测试有限公司",
        "kind": "enterprise",
        "region_code": "620402",
        "legal_representative": "王五",
        "roles": ["bidder"],
        "registered_capital": "1000.5",
        "established_on": "2010-05-01",
    }
    body.update(overrides)
    return body


def test_register_then_verify_signature_independently(api_as):
    bidder = api_as("public")
    body = _org_body()
    r = bidder.post("/entities", json=body)
    assert r.status_code == 201, r.text
    assert r.json() == {
        "uscc": body["uscc"],
        "name": body["name"],
        "kind": "enterprise",
        "region_code": "620402",
        "status": "active",
    }
    anon = api_as("anonymous")
    key = anon.get("/platform/key").json()
    signed = anon.get(f"/entities/{body['uscc']}").json()
    assert signed["document"]["profile"]["uscc"] == body["uscc"]
    assert signed["document"]["profile"]["registered_capital_wan"] == "1000.5"
    assert signed["signature"]["key_id"] == key["key_id"]
    pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    # verify with the cryptography library directly, as another platform would
    pub.verify(base64.b64decode(signed["signature"]["value"]), canonical_json(signed["document"]))
    tampered = dict(signed["document"], issuer="someone else")
    with pytest.raises(InvalidSignature):
        pub.verify(base64.b64decode(signed["signature"]["value"]), canonical_json(tampered))


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"uscc": "91110000600037341M"}, 400, "uscc_invalid"),
        ({"region_code": "999"}, 400, "region_code_invalid"),
        ({"roles": ["regulator"]}, 403, "role_not_self_service"),
        ({"established_on": "2010-13-01"}, 422, "validation_error"),
        ({"registered_capital": "abc"}, 422, "validation_error"),
    ],
)
def test_bad_registration_is_4xx_with_code_and_chinese_message(api_as, overrides, status, code):
    client = api_as("public")
    before = (Organization.objects.count(), Entry.objects.count())
    r = client.post("/entities", json=_org_body(**overrides))
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["message"])
    assert (Organization.objects.count(), Entry.objects.count()) == before


def test_duplicate_registration_409(api_as, world):
    r = api_as("public").post("/entities", json=_org_body(uscc=world.bidder_org.uscc))
    assert r.status_code == 409
    assert r.json()["code"] == "entity_duplicate"


def test_malformed_json_is_4xx_not_500(api_as):
    r = api_as("public").post(
        "/entities", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert 400 <= r.status_code < 500


def test_unknown_and_invalid_lookups(api_as):
    anon = api_as("anonymous")
    r = anon.get("/entities/" + uscc())
    assert r.status_code == 404
    assert r.json()["code"] == "entity_not_found"
    r = anon.get("/entities/XYZ")
    assert r.status_code == 400
    assert r.json()["code"] == "uscc_invalid"


def test_search(api_as, world):
    r = api_as("anonymous").get("/entities", params={"q": "城市建设"})
    assert r.status_code == 200
    assert [o["uscc"] for o in r.json()["results"]] == [world.tenderer_org.uscc]
    r = api_as("anonymous").get("/entities", params={"role": "bidder"})
    assert [o["uscc"] for o in r.json()["results"]] == [world.bidder_org.uscc]
    assert api_as("anonymous").get("/entities", params={"page_size": 1000}).status_code == 422


def test_qualification_upload_multipart(api_as, world):
    client = api_as("bidder")
    today = dt.date.today()
    form = {
        "qual_type": "建筑工程施工总承包",
        "grade": "二级",
        "certificate_no": "D2620001",
        "issuer": "甘肃省住建厅",
        "valid_from": str(today - dt.timedelta(days=1)),
        "valid_to": str(today + dt.timedelta(days=365)),
    }
    r = client.post(
        f"/entities/{world.bidder_org.uscc}/qualifications",
        data=form,
        files={"file": ("cert.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    assert r.json()["certificate_no"] == "D2620001"
    import hashlib

    assert r.json()["file_sha256"] == hashlib.sha256(PDF).hexdigest()
    # an executable disguised as a PDF
    r = client.post(
        f"/entities/{world.bidder_org.uscc}/qualifications",
        data=dict(form, certificate_no="D2620002"),
        files={"file": ("cert.pdf", b"MZ\x90\x00evil", "application/pdf")},
    )
    assert r.status_code == 415
    assert r.json()["code"] == "file_type_not_allowed"
    # expired
    r = client.post(
        f"/entities/{world.bidder_org.uscc}/qualifications",
        data=dict(
            form,
            certificate_no="D3",
            valid_to=str(today - dt.timedelta(days=1)),
            valid_from=str(today - dt.timedelta(days=30)),
        ),
    )
    assert r.status_code == 400
    assert r.json()["code"] == "qualification_expired"
    assert Qualification.objects.count() == 1


def test_session_write_needs_csrf(live_server, world, password):
    import re

    import requests

    s = requests.Session()
    page = s.get(live_server.url + "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = s.post(
        live_server.url + "/accounts/login/",
        data={"username": "public", "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": live_server.url + "/accounts/login/"},
    )
    assert r.url.endswith("/me/")
    body = _org_body()
    r = s.post(live_server.url + "/api/v1/entities", json=body)
    assert r.status_code == 403
    assert not Organization.objects.filter(uscc=body["uscc"]).exists()
    r = s.post(
        live_server.url + "/api/v1/entities",
        json=body,
        headers={"X-CSRFToken": s.cookies["csrftoken"], "Referer": live_server.url + "/"},
    )
    assert r.status_code == 201, r.text
