"""Login with TOTP over real HTTP."""

import datetime as dt
import re

import pyotp
import requests

from ggzy import clock
from ggzy.accounts import services
from ggzy.ledger.models import Entry


def _login(base, username, password, otp=""):
    s = requests.Session()
    page = s.get(base + "/accounts/login/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return s.post(
        base + "/accounts/login/",
        data={"username": username, "password": password, "otp": otp, "csrfmiddlewaretoken": csrf},
        headers={"Referer": base + "/accounts/login/"},
        timeout=30,
    )


def test_totp_login(live_server, world, password):
    user = world.bidder
    secret = pyotp.parse_uri(services.totp_begin(actor=user)).secret
    services.totp_enable(actor=user, code=pyotp.TOTP(secret).at(clock.now()))
    logins = Entry.objects.filter(event_type="accounts:user:logged_in").count()

    r = _login(live_server.url, "bidder", password)
    assert r.status_code == 401
    assert "请输入动态口令" in r.text
    r = _login(live_server.url, "bidder", password, otp="000000")
    assert r.status_code == 401
    assert "动态口令错误或已过期" in r.text
    r = _login(live_server.url, "bidder", "wrong-password", otp="000000")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    assert Entry.objects.filter(event_type="accounts:user:logged_in").count() == logins

    # a fresh code from the next time step (the enabling code cannot be replayed)
    next_step = clock.now() + dt.timedelta(seconds=30)
    r = _login(live_server.url, "bidder", password, otp=pyotp.TOTP(secret).at(next_step))
    assert r.status_code == 200
    assert r.url.endswith("/me/")
    assert Entry.objects.filter(event_type="accounts:user:logged_in").count() == logins + 1


def test_open_redirect_refused(live_server, world, password):
    s = requests.Session()
    page = s.get(live_server.url + "/accounts/login/?next=https://evil.example/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = s.post(
        live_server.url + "/accounts/login/",
        data={
            "username": "public",
            "password": password,
            "csrfmiddlewaretoken": csrf,
            "next": "https://evil.example/",
        },
        headers={"Referer": live_server.url + "/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 302
    assert r.headers["Location"] == "/me/"
