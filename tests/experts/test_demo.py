"""The demo pool loads through the services and supports a remote draw."""

from __future__ import annotations

from typing import Any

import pytest

from ggzy.experts import demo
from ggzy.experts.models import Expert, Venue

pytestmark = pytest.mark.django_db


def test_demo_seed_builds_a_drawable_pool(world: Any) -> None:
    lines: list[str] = []
    demo.seed(lines.append)
    assert Expert.objects.count() == 61  # 60 + the world's own expert login
    assert Expert.objects.filter(user=world.expert).exists()
    assert Venue.objects.count() == 2
    regions = {e.region_code[:4] for e in Expert.objects.all()}
    assert {"6204", "6201", "6101"} <= regions
    demo.seed(lines.append)  # idempotent
    assert Expert.objects.count() == 61
    assert lines[-1] == "expert pool already present; nothing to do"
