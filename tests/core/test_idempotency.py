"""Idempotency-Key over real HTTP."""

from tests.factories import uscc

from ggzy.core.models import IdempotencyRecord
from ggzy.registry.models import Organization


def _body():
    return {
        "uscc": uscc(),
        "name": "幂等测试有限公司",
        "kind": "enterprise",
        "region_code": "620402",
        "legal_representative": "甲",
        "roles": ["bidder"],
    }


def test_retry_with_same_key_replays_without_running_twice(api_as):
    client = api_as("public")
    body = _body()
    headers = {"Idempotency-Key": "reg-1"}
    first = client.post("/entities", json=body, headers=headers)
    assert first.status_code == 201
    again = client.post("/entities", json=body, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Organization.objects.filter(uscc=body["uscc"]).count() == 1
    # without the key the duplicate is refused as usual
    assert client.post("/entities", json=body).status_code == 409


def test_same_key_different_body_refused(api_as):
    client = api_as("public")
    headers = {"Idempotency-Key": "reg-2"}
    assert client.post("/entities", json=_body(), headers=headers).status_code == 201
    other = _body()
    r = client.post("/entities", json=other, headers=headers)
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency_key_reused"
    assert not Organization.objects.filter(uscc=other["uscc"]).exists()


def test_refusals_are_replayed_too_and_keys_are_per_caller(api_as):
    bad = dict(_body(), uscc="91110000600037341M")
    a, b = api_as("public"), api_as("bidder")
    r1 = a.post("/entities", json=bad, headers={"Idempotency-Key": "k"})
    r2 = a.post("/entities", json=bad, headers={"Idempotency-Key": "k"})
    assert r1.status_code == r2.status_code == 400
    body = _body()
    assert b.post("/entities", json=body, headers={"Idempotency-Key": "k"}).status_code == 201
    assert IdempotencyRecord.objects.filter(key="k").count() == 2
    r = a.post("/entities", json=_body(), headers={"Idempotency-Key": "x" * 201})
    assert r.status_code == 400
