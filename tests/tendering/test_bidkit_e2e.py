"""The bidder's own tool against the real platform over HTTP: keygen, register the key,
package, seal to the announced opening key, submit in chunks (receipt checked against the
platform key), then at the opening release the key — all through `ggzy bidkit`."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

from ggzy import clock
from ggzy.accounts import services as accounts
from ggzy.accounts.permissions import user_permissions
from ggzy.bidkit.cli import main as bidkit
from ggzy.bidkit.keys import load_keys
from ggzy.core import platform_key
from ggzy.tendering.models import Bid, Consistency


def _token(user) -> str:
    scopes = sorted(p.value for p in user_permissions(user))
    return accounts.token_create(actor=user, name="bidkit", scopes=scopes)[1]


def test_bidkit_round_trip_with_the_platform(tw, live_server, api_as, tmp_path: Path, capsys):
    tender = tw.publish()
    keys_dir = tmp_path / "keys"
    assert bidkit(["keygen", "--out", str(keys_dir)]) == 0
    keys = load_keys(keys_dir)
    api = api_as("bidder")
    r = api.post(
        f"/entities/{tw.world.bidder_org.uscc}/keys",
        json={"purpose": "sign", "public_key": keys.signing.public_key.to_text()},
    )
    assert r.status_code == 201, r.text
    r = api.post(
        f"/entities/{tw.world.bidder_org.uscc}/keys",
        json={"purpose": "sign", "public_key": "ed25519:not-base64!"},
    )
    assert (r.status_code, r.json()["code"]) == (400, "key_invalid")

    doc = tmp_path / "技术标.pdf"
    doc.write_bytes(b"%PDF-1.7 technical proposal")
    price = tmp_path / "price.json"
    price.write_text(
        json.dumps(
            {
                "price_form": 1,
                "amount": "28765432.10",
                "price_unit": 0,
                "duration_days": 300,
                "quality": "合格",
            }
        )
    )
    pkg, env_path = tmp_path / "bid.zip", tmp_path / "bid.ggzyenv"
    assert bidkit(["package", "--out", str(pkg), "--price-form", str(price), str(doc)]) == 0
    assert (
        bidkit(
            [
                "seal",
                "--package",
                str(pkg),
                "--keys",
                str(keys_dir),
                "--opening-key",
                tender.opening_public_key,
                "--section",
                tw.section.code,
                "--bidder",
                tw.world.bidder_org.uscc,
                "--out",
                str(env_path),
            ]
        )
        == 0
    )
    platform_pub = "ed25519:" + base64.b64encode(platform_key.public_key_bytes()).decode()
    code = bidkit(
        [
            "submit",
            "--url",
            live_server.url,
            "--token",
            _token(tw.world.bidder),
            "--section",
            tw.section.code,
            "--envelope",
            str(env_path),
            "--chunk-size",
            str(256 * 1024),
            "--platform-key",
            platform_pub,
        ]
    )
    assert code == 0, capsys.readouterr().err
    bid = Bid.objects.get(tender=tender, bidder=tw.world.bidder_org)
    assert bid.size == env_path.stat().st_size

    # at the opening: the bidder's release statement from the tool decrypts the bid
    release = tmp_path / "release.json"
    assert (
        bidkit(
            [
                "release-key",
                "--envelope",
                str(env_path),
                "--keys",
                str(keys_dir),
                "--out",
                str(release),
            ]
        )
        == 0
    )
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        from ggzy.tendering.models import BidOpening, OpeningSession, OpeningState

        # one bid only would fail the tender at start; open the session directly for the
        # decryption path under test (the three-bidder flow is in test_opening.py)
        session = OpeningSession.objects.create(
            tender=tender,
            state=OpeningState.DECRYPTING,
            started_at=clock.now(),
            decrypt_until=clock.now() + dt.timedelta(minutes=60),
        )
        BidOpening.objects.create(bid=bid, session=session)
        r = api.post(f"/tendering/bids/{bid.pk}/key-release", json=json.loads(release.read_text()))
        assert r.status_code == 200, r.text
        assert r.json()["consistency"] == Consistency.CONSISTENT
        assert r.json()["price"]["amount"] == "28765432.10"
        r = api.post(f"/tendering/bids/{bid.pk}/key-release", json=json.loads(release.read_text()))
        assert (r.status_code, r.json()["code"]) == (409, "conflict")  # decrypted once only
