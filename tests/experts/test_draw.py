"""The pure draw algorithm (draw/v1): determinism, predicates, replacement, shortfall."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.experts import draw as d

ROOT = bytes(range(32))
DAY = "2026-12-10"


def pool(n: int = 40) -> d.Pool:
    return d.Pool(
        d.Candidate(
            id=i + 1,
            specialties=("A0201",) if i % 3 else ("A0201", "A0501"),
            region="620402" if i % 4 else "620102",
            employer=f"ORG{i % 17}",
        )
        for i in range(n)
    )


def spec(**kw: object) -> d.DrawSpec:
    base: dict[str, object] = {
        "section": "S1",
        "evaluation_date": DAY,
        "lines": (d.Line("A02", 5, 2),),
        "party_orgs": ("ORG3",),
    }
    base.update(kw)
    return d.DrawSpec(**base)  # type: ignore[arg-type]


def seed_of(s: d.DrawSpec) -> bytes:
    return d.derive_seed(ROOT, s.digest())


def test_same_inputs_same_result() -> None:
    s, p = spec(), pool()
    a, b = d.run(s, p, seed_of(s)), d.run(s, pool(), seed_of(s))
    assert a == b
    assert len(a.members) == 5
    assert len(a.reserves) == 2
    assert len({m.candidate for m in a.members} | {r[1] for r in a.reserves}) == 7


def test_golden_commitment() -> None:
    """Pins draw/v1: any change to the algorithm's output needs a new version."""
    s = spec()
    r = d.run(s, pool(), seed_of(s))
    assert [m.candidate for m in r.members] == GOLDEN_MEMBERS
    assert r.commitment == GOLDEN_COMMITMENT


def test_any_changed_input_changes_commitment() -> None:
    s, p = spec(), pool()
    base = d.run(s, p, seed_of(s)).commitment
    other_seed = d.derive_seed(bytes(32), s.digest())
    assert d.run(s, p, other_seed).commitment != base
    s2 = spec(party_orgs=("ORG3", "ORG4"))
    assert d.run(s2, p, seed_of(s)).commitment != base  # request hash is committed
    changed = list(p.candidates)
    changed[-1] = dataclasses.replace(changed[-1], unavailable=("2027-01-01",))
    assert d.run(s, d.Pool(changed), seed_of(s)).commitment != base  # pool hash too
    assert seed_of(s2) != seed_of(s)


def test_stream_is_uniform_and_in_range() -> None:
    stream = d.Stream(ROOT, "t")
    counts = Counter(stream.below(3) for _ in range(30_000))
    assert set(counts) == {0, 1, 2}
    assert all(abs(c / 30_000 - 1 / 3) < 0.02 for c in counts.values())
    with pytest.raises(ValueError, match="n must be"):
        stream.below(0)


def test_shortfall_names_binding_condition() -> None:
    s = spec(lines=(d.Line("A05", 20, 0),))
    with pytest.raises(d.Shortfall) as info:
        d.run(s, pool(), seed_of(s))
    eligible = sum(
        1 for c in pool().candidates if "A0501" in c.specialties and c.employer != "ORG3"
    )
    # same-employer limit: one per employer
    employers = {c.employer for c in pool().candidates if "A0501" in c.specialties} - {"ORG3"}
    assert info.value.specialty == "A05"
    assert info.value.needed == 20
    assert info.value.eligible == min(eligible, len(employers))
    assert info.value.phase == "members"
    assert info.value.reasons[d.R_EMPLOYEE] >= 1


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"lines": ()}, "at least one"),
        ({"lines": (d.Line("A02", 0),)}, "bad line"),
        ({"evaluation_date": "2026-13-01"}, "ISO date"),
        ({"regions_include": ("62040",)}, "region prefix"),
        ({"venues": (d.Venue("M", "6204", True, 5),)}, "secondary"),
        (
            {"venues": (d.Venue("M", "6204", True, 3), d.Venue("S", "620402", False, 2))},
            "outside the main region",
        ),
        (
            {"venues": (d.Venue("M", "6204", True, 3), d.Venue("S", "6201", False, 1))},
            "add up",
        ),
    ],
)
def test_bad_requests_are_refused(kw: dict[str, object], match: str) -> None:
    with pytest.raises(d.DrawInputError, match=match):
        spec(**kw)


def test_venue_shortfall_names_the_venue() -> None:
    s = spec(
        lines=(d.Line("A02", 4, 0),),
        venues=(d.Venue("M", "6204", True, 1), d.Venue("S", "6101", False, 3)),
    )
    with pytest.raises(d.Shortfall) as info:
        d.run(s, pool(), seed_of(s))
    assert info.value.venue == "S"
    assert info.value.reasons[d.R_NO_VENUE] > 0


def test_remote_venues_allocate_by_region() -> None:
    s = spec(
        lines=(d.Line("A02", 4, 1),),
        venues=(d.Venue("M", "6204", True, 3), d.Venue("S", "6201", False, 1)),
    )
    r = d.run(s, pool(), seed_of(s))
    by_id = {c.id: c for c in pool().candidates}
    assert Counter(m.venue for m in r.members) == {"M": 3, "S": 1}
    for m in r.members:
        assert by_id[m.candidate].region.startswith("6204" if m.venue == "M" else "6201")


def test_replacement_uses_reserves_then_the_stream() -> None:
    s, p = spec(), pool()
    state = d.DrawState(s, p, seed_of(s))
    first = state.result()
    reserve = first.reserves[0][1]
    out = state.members[0].candidate
    seat = state.replace(out)
    assert seat.candidate == reserve  # reserve first, same seat
    assert state.members[0].candidate == reserve
    for m in list(state.members)[:3]:
        state.replace(m.candidate)  # reserves run out: the stream continues
    assert len(state.members) == 5
    assert len(state.declined) == 4
    replayed = d.replay(s, p, seed_of(s), state.declined)
    assert replayed[0] == first.commitment
    assert replayed[-1] == state.commitment()
    with pytest.raises(d.DrawInputError, match="not a committee member"):
        state.replace(out)


# ------------------------------------------------------------------ property: no violation

ORGS = [f"ORG{i}" for i in range(8)]
candidates = st.builds(
    lambda i, spec_, region, employer, status, unavailable, former, rel, interest, dept, recent: (
        d.Candidate(
            id=i,
            specialties=spec_,
            region=region,
            employer=employer,
            status=status,
            penalty_until="2026-12-01" if status == "penalised" and i % 2 else "",
            unavailable=(DAY,) if unavailable else (),
            former_employers=((former, "2024-01-01"),) if former else (),
            relatives=(("", rel),) if rel else (),
            interests=((interest, "2025-06-30"),) if interest else (),
            departments=("D1",) if dept else (),
            recent_draws=(DAY,) * recent,
        )
    ),
    st.integers(1, 10_000),
    st.sampled_from([("A0201",), ("A0501",), ("A0201", "A0501"), ("B0201",)]),
    st.sampled_from(["620402", "620403", "620102", "610113"]),
    st.sampled_from(ORGS),
    st.sampled_from(["active", "active", "active", "suspended", "penalised"]),
    st.booleans(),
    st.one_of(st.just(""), st.sampled_from(ORGS)),
    st.one_of(st.just(""), st.sampled_from(ORGS)),
    st.one_of(st.just(""), st.sampled_from(ORGS)),
    st.booleans(),
    st.integers(0, 5),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(candidates, min_size=0, max_size=60, unique_by=lambda c: c.id),
    st.lists(st.sampled_from(ORGS), max_size=3),
    st.binary(min_size=32, max_size=32),
    st.booleans(),
    st.integers(0, 3),
)
def test_no_drawn_expert_violates_a_predicate(
    cands: list[d.Candidate], parties: list[str], seed: bytes, remote: bool, declines: int
) -> None:
    venues = (d.Venue("M", "6204", True, 2), d.Venue("S", "6201", False, 1)) if remote else ()
    s = spec(
        lines=(d.Line("A02", 2, 1), d.Line("A05", 1, 1)),
        party_orgs=tuple(parties),
        departments=("D1",),
        venues=venues,
        regions_exclude=("6101",),
    )
    p = d.Pool(cands)
    ctx = d.Context.of(s)
    try:
        state = d.DrawState(s, p, seed)
        for _ in range(declines):
            state.replace(state.members[0].candidate)
    except d.Shortfall:
        return
    by_id = {c.id: c for c in p.candidates}
    chosen = [m.candidate for m in state.members] + [r for _, r in state.reserves()]
    assert len(chosen) == len(set(chosen))
    assert not set(chosen) & set(state.declined)
    for cid in chosen:
        c = by_id[cid]
        assert d.exclusion(c, ctx) is None
        assert c.employer not in parties
        assert c.status == "active" or (c.status == "penalised" and c.penalty_until)
        assert not c.region.startswith("6101")
    employers = Counter(by_id[m.candidate].employer for m in state.members)
    assert max(employers.values()) <= s.max_same_employer
    for m in state.members:
        line = s.lines[m.line].specialty
        assert any(code.startswith(line) for code in by_id[m.candidate].specialties)
        if remote:
            region = {"M": "6204", "S": "6201"}[m.venue]
            assert by_id[m.candidate].region.startswith(region)
    assert d.replay(s, p, seed, state.declined)[-1] == state.commitment()


GOLDEN_MEMBERS = [26, 25, 27, 18, 32]
GOLDEN_COMMITMENT = "b4c4ee7defd9fc02181405e6277a718ad49b700ccbfb4322bf6324bf636862a0"


def test_pool_canonical_roundtrip_and_duplicates() -> None:
    p = pool()
    raw = d.canonical(p.as_list())
    again = d.Pool.from_canonical(raw)
    assert again.digest() == p.digest()
    assert again.as_list() == p.as_list()
    shuffled = d.Pool(reversed(p.candidates))
    assert shuffled.digest() == p.digest()  # canonical order is by id
    with pytest.raises(d.DrawInputError, match="duplicate"):
        d.Pool([p.candidates[0], p.candidates[0]])
    with pytest.raises(d.DrawInputError, match="fields"):
        d.Pool.from_list([[1, 2]])
