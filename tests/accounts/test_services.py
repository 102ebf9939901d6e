import datetime as dt

import pyotp
import pytest
from tests.factories import PASSWORD, citizen_id, signup

from ggzy import clock
from ggzy.accounts import services
from ggzy.accounts.models import ApiToken, User
from ggzy.core import fieldcrypt
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.ledger.models import Entry

pytestmark = pytest.mark.django_db


def test_production_hasher_is_argon2():
    from django.conf import settings

    from ggzy import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    user = signup("argon")
    assert user.password.startswith("argon2$")


@pytest.mark.parametrize(
    ("username", "password", "code"),
    [
        ("bad name!", PASSWORD, ErrorCode.VALIDATION),
        ("weak", "12345678901", ErrorCode.PASSWORD_WEAK),
        ("short", "Ab#1", ErrorCode.PASSWORD_WEAK),
    ],
)
def test_signup_refusals(username, password, code):
    with pytest.raises(DomainError) as err:
        services.user_signup(
            username=username, password=password, name="甲", id_type="01", id_number=citizen_id()
        )
    assert err.value.code == code
    assert User.objects.count() == 0
    assert Entry.objects.count() == 0


def test_signup_bad_id_number_rolls_back_user():
    with pytest.raises(DomainError) as err:
        services.user_signup(
            username="x1",
            password=PASSWORD,
            name="甲",
            id_type="01",
            id_number="110105194912310021",
        )
    assert err.value.code == ErrorCode.CITIZEN_ID_INVALID
    assert User.objects.count() == 0


def test_duplicate_username_case_insensitive():
    signup("Alice")
    with pytest.raises(DomainError) as err:
        signup("alice")
    assert err.value.code == ErrorCode.USERNAME_TAKEN


def test_totp_enable_check_and_replay_refused():
    user = signup("t1")
    uri = services.totp_begin(actor=user)
    secret = pyotp.parse_uri(uri).secret
    at = dt.datetime(2026, 11, 27, 8, 0, 0, tzinfo=dt.UTC)
    with clock.frozen(at):
        code = pyotp.TOTP(secret).at(at)
        services.totp_enable(actor=user, code=code)
        user.refresh_from_db()
        assert user.totp_enabled
        # the same code cannot be used twice
        assert not services.totp_check(user=user, code=code)
    later = at + dt.timedelta(seconds=60)
    with clock.frozen(later):
        assert services.totp_check(user=user, code=pyotp.TOTP(secret).at(later))
        assert not services.totp_check(user=user, code="000000")
        assert not services.totp_check(user=user, code="abc")
    assert bytes(user.totp_secret_encrypted) != secret.encode()
    assert (
        fieldcrypt.decrypt(bytes(user.totp_secret_encrypted), context=services.TOTP_CONTEXT)
        == secret
    )


def test_totp_enable_with_wrong_code_refused():
    user = signup("t2")
    services.totp_begin(actor=user)
    with pytest.raises(DomainError) as err:
        services.totp_enable(actor=user, code="123456")
    assert err.value.code == ErrorCode.TOTP_INVALID
    user.refresh_from_db()
    assert not user.totp_enabled


def test_token_roundtrip_scopes_and_revocation(world):
    token, raw = services.token_create(
        actor=world.bidder, name="ci", scopes=["registry:entity:read", "registry:entity:write"]
    )
    assert raw.startswith(f"ggzy_{token.prefix}_")
    assert raw.split("_", 2)[2] not in token.secret_sha256
    user = services.token_authenticate(raw)
    assert user.pk == world.bidder.pk
    services.token_revoke(actor=world.bidder, token=token)
    with pytest.raises(DomainError) as err:
        services.token_authenticate(raw)
    assert err.value.code == ErrorCode.TOKEN_INVALID


@pytest.mark.parametrize(
    ("scopes", "code"),
    [
        (["registry:nope:read"], ErrorCode.SCOPE_UNKNOWN),
        (["ledger:entry:read"], ErrorCode.PERMISSION_DENIED),  # a bidder cannot read the ledger
        ([], ErrorCode.VALIDATION),
    ],
)
def test_token_cannot_exceed_owner(world, scopes, code):
    with pytest.raises(DomainError) as err:
        services.token_create(actor=world.bidder, name="x", scopes=scopes)
    assert err.value.code == code
    assert ApiToken.objects.count() == 0


def test_expired_and_malformed_tokens_refused(world):
    _token, raw = services.token_create(
        actor=world.bidder,
        name="short",
        scopes=["registry:entity:read"],
        expires_at=clock.now() + dt.timedelta(minutes=5),
    )
    with clock.frozen(clock.now() + dt.timedelta(minutes=6)), pytest.raises(DomainError):
        services.token_authenticate(raw)
    for bad in ["", "ggzy_", "ggzy_abc", raw[:-1] + ("A" if raw[-1] != "A" else "B"), "Bearer x"]:
        with pytest.raises(DomainError) as err:
            services.token_authenticate(bad)
        assert err.value.code == ErrorCode.TOKEN_INVALID
