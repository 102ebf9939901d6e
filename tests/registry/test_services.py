import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.factories import citizen_id, signup, uscc

from ggzy.core.errors import DomainError, ErrorCode
from ggzy.ledger.models import Entry
from ggzy.registry import identifiers as ids
from ggzy.registry import services
from ggzy.registry.models import Membership, Organization, Person, Qualification

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _register(user, **overrides):
    fields = {
        "uscc": uscc(),
        "name": "白银测试建设有限公司",
        "kind": "enterprise",
        "region_code": "620402",
        "legal_representative": "张三",
        "roles": ["bidder"],
    }
    fields.update(overrides)
    return services.organization_register(actor=user, **fields)


def _snapshot():
    return (
        Organization.objects.count(),
        Membership.objects.count(),
        Qualification.objects.count(),
        Entry.objects.count(),
    )


def test_register_creates_org_admin_membership_and_ledger_entry():
    user = signup("u1")
    code = uscc()
    org = _register(user, uscc=code.lower(), roles=["bidder", "tenderer"])
    assert org.uscc == code
    roles = set(org.memberships.values_list("role", "is_admin"))
    assert roles == {("bidder", True), ("tenderer", True)}
    entry = Entry.objects.filter(event_type="registry:organization:registered").get()
    assert entry.subject_id == str(org.pk)
    assert entry.actor == f"user:{user.pk}"
    assert entry.payload["profile"]["uscc"] == code
    assert len(entry.payload_sha256) == 64


def test_rural_collective_n_code_is_accepted():
    user = signup("u1")
    code = ids.make_uscc("N2620421" + "MA2A0B1C2")
    org = _register(user, uscc=code, kind="rural_collective", roles=["tenderer"])
    assert org.uscc == code


def test_n_code_needs_rural_collective_kind():
    user = signup("u1")
    code = ids.make_uscc("N2620421" + "MA2A0B1C2")
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        _register(user, uscc=code, kind="enterprise")
    assert err.value.field == "kind"
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"uscc": "91110000600037341M"}, ErrorCode.USCC_INVALID),
        ({"uscc": "not-a-code"}, ErrorCode.USCC_INVALID),
        ({"region_code": "62040"}, ErrorCode.REGION_CODE_INVALID),
        ({"roles": ["centre_staff"]}, ErrorCode.ROLE_NOT_SELF_SERVICE),
        ({"roles": []}, ErrorCode.VALIDATION),
        ({"kind": "alien"}, ErrorCode.VALIDATION),
        ({"name": "  "}, ErrorCode.VALIDATION),
    ],
)
def test_bad_registration_refused_and_nothing_written(overrides, code):
    user = signup("u1")
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        _register(user, **overrides)
    assert err.value.code == code
    assert _snapshot() == before


def test_duplicate_registration_refused():
    user = signup("u1")
    code = uscc()
    _register(user, uscc=code)
    other = signup("u2")
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        _register(other, uscc=code)
    assert err.value.code == ErrorCode.ENTITY_DUPLICATE
    assert err.value.status == 409
    assert _snapshot() == before


def test_registration_needs_real_name_identity():
    from ggzy.accounts.models import User

    user = User.objects.create_user(username="noperson", password="x" * 12)
    with pytest.raises(DomainError) as err:
        _register(user)
    assert err.value.code == ErrorCode.PERSON_REQUIRED
    with pytest.raises(DomainError) as err:
        _register(None)
    assert err.value.code == ErrorCode.NOT_AUTHENTICATED


def test_update_uses_version_and_refuses_stale_writes():
    user = signup("u1")
    org = _register(user)
    services.organization_update(actor=user, organization=org, expected_version=1, address="新地址")
    assert org.version == 2
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        services.organization_update(actor=user, organization=org, expected_version=1, address="x")
    assert err.value.code == ErrorCode.CONFLICT
    assert _snapshot() == before
    org.refresh_from_db()
    assert org.address == "新地址"


def test_only_admin_may_update():
    org = _register(signup("owner"))
    with pytest.raises(DomainError) as err:
        services.organization_update(
            actor=signup("other"), organization=org, expected_version=1, address="x"
        )
    assert err.value.code == ErrorCode.PERMISSION_DENIED


def test_qualification_with_pdf_is_hashed_and_recorded(today):
    user = signup("u1")
    org = _register(user)
    q = services.qualification_add(
        actor=user,
        organization=org,
        qual_type="建筑工程施工总承包",
        grade="一级",
        certificate_no="D162000001",
        issuer="甘肃省住建厅",
        valid_from=today - dt.timedelta(days=10),
        valid_to=today + dt.timedelta(days=100),
        file=SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf"),
    )
    import hashlib

    assert q.file_sha256 == hashlib.sha256(PDF).hexdigest()
    assert q.file.read() == PDF
    entry = Entry.objects.filter(event_type="registry:qualification:added").get()
    assert entry.payload["file_sha256"] == q.file_sha256


@pytest.mark.parametrize(
    ("valid_from_days", "valid_to_days", "content", "size_limit", "code"),
    [
        (-100, -1, PDF, None, ErrorCode.QUALIFICATION_EXPIRED),
        (10, 5, PDF, None, ErrorCode.QUALIFICATION_DATES),
        (-1, 100, b"MZ\x90\x00 not a pdf", None, ErrorCode.FILE_TYPE),
        (-1, 100, PDF, 16, ErrorCode.FILE_TOO_LARGE),
    ],
)
def test_bad_qualification_refused(
    settings, today, valid_from_days, valid_to_days, content, size_limit, code
):
    if size_limit:
        settings.GGZY_MAX_UPLOAD_BYTES = size_limit
    user = signup("u1")
    org = _register(user)
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        services.qualification_add(
            actor=user,
            organization=org,
            qual_type="监理",
            certificate_no="X1",
            issuer="住建厅",
            valid_from=today + dt.timedelta(days=valid_from_days),
            valid_to=today + dt.timedelta(days=valid_to_days),
            file=SimpleUploadedFile("f.pdf", content),
        )
    assert err.value.code == code
    assert _snapshot() == before


def test_duplicate_qualification_refused(today):
    user = signup("u1")
    org = _register(user)
    kwargs = {
        "actor": user,
        "organization": org,
        "qual_type": "监理",
        "certificate_no": "X1",
        "issuer": "住建厅",
        "valid_from": today,
        "valid_to": today + dt.timedelta(days=1),
    }
    services.qualification_add(**kwargs)
    with pytest.raises(DomainError) as err:
        services.qualification_add(**kwargs)
    assert err.value.code == ErrorCode.QUALIFICATION_DUPLICATE


def test_performance_amount_must_be_positive(today):
    user = signup("u1")
    org = _register(user)
    with pytest.raises(DomainError):
        services.performance_add(
            actor=user,
            organization=org,
            project_name="p",
            client_name="c",
            contract_amount=Decimal(0),
            completed_on=today,
        )
    perf = services.performance_add(
        actor=user,
        organization=org,
        project_name="道路改造",
        client_name="白银市城投",
        contract_amount=Decimal("1250000.50"),
        completed_on=today,
    )
    assert perf.contract_amount == Decimal("1250000.50")


def test_id_number_encrypted_at_rest_and_masked():
    number = citizen_id()
    from ggzy.accounts import services as accounts

    user = accounts.user_signup(
        username="p1", password="Test#pass2026", name="王五", id_type="01", id_number=number
    )
    person = Person.objects.get(user=user)
    assert number.encode() not in bytes(person.id_number_encrypted)
    assert person.id_number_masked == ids.mask_citizen_id(number)
    assert services.person_reveal_id(viewer=user, person=person) == number
    entry = Entry.objects.get(event_type="registry:person:registered", subject_id=str(person.pk))
    assert number not in str(entry.payload)
    assert entry.payload["name"] == "王*"


def test_other_people_cannot_reveal_id(world):
    person = world.bidder.person
    with pytest.raises(DomainError) as err:
        services.person_reveal_id(viewer=world.tenderer, person=person)
    assert err.value.code == ErrorCode.PERMISSION_DENIED
    assert services.person_reveal_id(viewer=world.staff, person=person).startswith("620402")


def test_duplicate_id_number_refused():
    from ggzy.accounts import services as accounts

    number = citizen_id()
    accounts.user_signup(
        username="a", password="Test#pass2026", name="甲", id_type="01", id_number=number
    )
    with pytest.raises(DomainError) as err:
        accounts.user_signup(
            username="b", password="Test#pass2026", name="乙", id_type="01", id_number=number
        )
    assert err.value.code == ErrorCode.PERSON_DUPLICATE
    from ggzy.accounts.models import User

    assert not User.objects.filter(username="b").exists()  # sign-up rolled back whole


def test_centre_roles_only_granted_by_staff(world):
    with pytest.raises(DomainError) as err:
        services.membership_grant(
            actor=world.tenderer,
            person=world.public.person,
            role="regulator",
            department=world.department,
        )
    assert err.value.code == ErrorCode.PERMISSION_DENIED
    m = services.membership_grant(
        actor=world.staff,
        person=world.public.person,
        role="regulator",
        department=world.department,
    )
    assert m.department == world.department
    with pytest.raises(DomainError) as err:
        services.membership_grant(
            actor=world.staff,
            person=world.public.person,
            role="regulator",
            department=world.department,
        )
    assert err.value.code == ErrorCode.MEMBERSHIP_DUPLICATE


def test_admin_adds_colleague_and_revokes(world):
    m = services.membership_grant(
        actor=world.bidder,
        person=world.public.person,
        role="bidder",
        organization=world.bidder_org,
    )
    assert not m.is_admin
    services.membership_revoke(actor=world.bidder, membership=m)
    m.refresh_from_db()
    assert m.status == "revoked"
    with pytest.raises(DomainError) as err:
        services.membership_revoke(actor=world.bidder, membership=m)
    assert err.value.code == ErrorCode.CONFLICT
