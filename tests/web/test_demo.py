import pytest
from tests.opendata.conftest import ocds_validators  # noqa: F401  # schema validators

from ggzy import clock
from ggzy.ledger.models import Entry
from ggzy.registry import identifiers as ids
from ggzy.registry.models import Membership, Organization, Person, Role
from ggzy.web.demo import Demo

pytestmark = pytest.mark.django_db(transaction=True)  # the lifecycle runs a real HTTP server


def _load(seed: int = 2026) -> list[str]:
    Demo(seed=seed, organisations=30, log=lambda _m: None).run()
    return sorted(Organization.objects.values_list("uscc", flat=True))


def test_demo_is_valid_deterministic_and_loaded_once():
    codes = _load()
    assert len(codes) == 31  # 30 + one rural collective economic organisation
    assert all(ids.is_valid_uscc(c) for c in codes)
    assert any(c.startswith("N2") for c in codes)
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {r.value for r in Role if r != Role.PUBLIC}
    # every demo row came through a service, so every organisation has its ledger entry
    assert Entry.objects.filter(event_type="registry:organization:registered").count() == 31
    entries = Entry.objects.count()
    _load()  # second run does nothing
    assert Entry.objects.count() == entries
    assert Person.objects.filter(user__username="staff").exists()
    # the lifecycle took one tender through the public API to a closed opening
    from ggzy.tendering.models import OpeningSession, Tender

    assert sorted(Tender.objects.values_list("status", flat=True)) == [
        "announced",
        "draft",
        "failed",
        "opened",
        "opened",
        "terminated",
    ]
    # 政府采购: one gp.open tender through award (tables 550–557); one 终止招标 with its notice
    from ggzy.disclosure.models import Notice

    gp = Tender.objects.get(section__tender_project__trade_type_code="gp.open")
    assert gp.status == "opened"
    assert gp.evaluation.step == "awarded"
    terminated = Tender.objects.get(status="terminated")
    assert Notice.objects.filter(key=f"tendering:tender:{terminated.pk}:terminated").exists()
    failed = Tender.objects.get(status="failed")  # 流标: no bid by the deadline (T15)
    assert failed.bid_deadline is not None
    assert failed.bid_deadline < clock.now()
    tender = Tender.objects.get(
        status="opened", section__tender_project__trade_type_code="works.open"
    )
    session = OpeningSession.objects.get(tender=tender)
    assert session.record["valid_bids"] == 3
    assert session.state == "closed"
    # then experts drawn, evaluation, publicity and award — all in the past
    from ggzy.evaluation.models import EvaluationSession
    from ggzy.experts.models import DrawRequest

    evaluation = EvaluationSession.objects.get(tender=tender)
    assert evaluation.step == "awarded"
    assert evaluation.awarded_at is not None
    assert evaluation.awarded_at < clock.now()
    assert DrawRequest.objects.filter(section=tender.section).count() == 1
    formed = Entry.objects.filter(event_type="evaluation:committee:formed").order_by("id")
    assert formed[0].subject_id == str(evaluation.pk)
    assert formed[0].payload["source"] == "draw"


def test_every_demo_tender_is_valid_ocds(ocds_validators):  # noqa: F811
    """OCDS output of every demo tender, in every stage it reached, validates against the
    official 1.1.5 schemas."""
    from ggzy.opendata import ocds
    from ggzy.projects.models import Section

    _load()
    sections = list(Section.objects.filter(tender__isnull=False))
    assert len(sections) == 6  # + the procurement tender and the terminated one
    contexts = [ocds.context_for(s) for s in sections]
    releases = ocds.release_package(contexts, "https://example.org/r")
    records = ocds.record_package(contexts, "https://example.org/r")
    for validator, body in (
        ("release_package", releases),
        ("record_package", records),
        *(("release", r) for r in releases["releases"]),
        *(("release", r["compiledRelease"]) for r in records["records"]),
    ):
        errors = [e.message for e in ocds_validators[validator].iter_errors(body)]
        assert errors == [], (validator, errors[:3])
    tags = {tag for r in releases["releases"] for tag in r["tag"]}
    assert {"planning", "tender", "award", "awardUpdate", "tenderCancellation"} <= tags


def test_same_seed_same_identifiers():
    a, b, c = Demo(seed=1), Demo(seed=1), Demo(seed=2)
    seq_a = [a.uscc("91", "620402") for _ in range(20)] + [a.citizen_id() for _ in range(20)]
    seq_b = [b.uscc("91", "620402") for _ in range(20)] + [b.citizen_id() for _ in range(20)]
    seq_c = [c.uscc("91", "620402") for _ in range(20)] + [c.citizen_id() for _ in range(20)]
    assert seq_a == seq_b
    assert seq_a != seq_c
    assert all(ids.is_valid_citizen_id(n) for n in seq_a[20:])


def test_bootstrap_command_refuses_second_run(monkeypatch):
    from django.core.management import CommandError, call_command
    from tests.factories import citizen_id

    monkeypatch.setenv("GGZY_BOOTSTRAP_PASSWORD", "Boot#strap2026")
    args = [
        "--centre-code",
        "620400",
        "--centre-name",
        "白银市公共资源交易中心",
        "--region-code",
        "620400",
        "--name",
        "赵一",
    ]
    call_command("bootstrap", *args, "--username", "admin1", "--id-number", citizen_id())
    assert Membership.objects.filter(role="centre_staff", person__user__username="admin1").exists()
    with pytest.raises(CommandError, match="conflict"):
        call_command("bootstrap", *args, "--username", "admin2", "--id-number", citizen_id())
    from ggzy.accounts.models import User

    assert not User.objects.filter(username="admin2").exists()
    with pytest.raises(CommandError, match="citizen_id_invalid"):
        call_command("bootstrap", *args, "--username", "admin3", "--id-number", "123")


def test_lifecycle_without_demo_data_says_what_to_do():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="ggzy demo"):
        call_command("demo", "lifecycle")
