"""The demo seed gives an awarded tender its signed, published contract (once)."""

from __future__ import annotations

import pytest
from tests.contracts.conftest import Awarded

from ggzy.contracts import demo
from ggzy.contracts.models import Contract, Status
from ggzy.disclosure.models import Notice

pytestmark = pytest.mark.django_db


def test_demo_signs_and_publishes_the_awarded_tender(awarded: Awarded):
    lines: list[str] = []
    with awarded.after(5):
        demo.seed(lines.append)
        demo.seed(lines.append)  # a second run does nothing
    c = Contract.objects.get()
    assert (c.status, c.price, c.published_version) == (
        Status.PUBLISHED,
        awarded.winner.price,
        1,
    )
    assert c.code == f"HT-{awarded.tender.section.code}"
    assert c.file_sha256
    assert Notice.objects.filter(stage="contract").count() == 1
    assert lines[-1] == "contracts: no awarded tender without a contract; nothing to do"
