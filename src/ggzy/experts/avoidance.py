"""Avoidance (回避) and condition predicates of the expert draw (DOMAIN §6.2), pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ggzy.experts.draw_inputs import Candidate, DrawSpec, in_region, region_prefix

# exclusion reasons (回避/排除原因), stable strings: they appear in the draw log
R_REGION = "region_not_included"
R_REGION_EXCLUDED = "region_excluded"
R_STATUS = "status_not_active"
R_PENALISED = "penalised"
R_UNAVAILABLE = "unavailable_on_date"
R_EMPLOYEE = "employee_of_party"
R_FORMER_EMPLOYEE = "former_employee_within_window"
R_RELATIVE = "relative_of_party"
R_INTEREST = "economic_interest_with_party"
R_SUPERVISOR = "supervising_department_staff"
R_FREQUENCY = "draw_frequency_limit"
R_NO_VENUE = "no_venue_in_region"
R_VENUE_FULL = "venue_full"
R_SAME_EMPLOYER = "same_employer_limit"
R_TAKEN = "already_selected"
R_DECLINED = "declined"


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Context:
    """Facts derived once from the spec for the predicates."""

    day: dt.date
    day_iso: str
    window_start: str  # ISO date: employment/interest ending on or after it still counts
    frequency_start: str
    orgs: frozenset[str]
    persons: frozenset[str]
    departments: frozenset[str]
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    spec: DrawSpec

    @classmethod
    def of(cls, spec: DrawSpec) -> Context:
        day = dt.date.fromisoformat(spec.evaluation_date)
        return cls(
            day=day,
            day_iso=day.isoformat(),
            window_start=years_before(day, spec.avoid_years).isoformat(),
            frequency_start=(day - dt.timedelta(days=spec.frequency_window_days)).isoformat(),
            orgs=frozenset(spec.party_orgs),
            persons=frozenset(spec.party_persons),
            departments=frozenset(spec.departments),
            include=tuple(region_prefix(r) for r in spec.regions_include),
            exclude=tuple(region_prefix(r) for r in spec.regions_exclude),
            spec=spec,
        )


def p_region(c: Candidate, ctx: Context) -> str | None:
    if ctx.include and not in_region(c.region, ctx.include):
        return R_REGION
    if ctx.exclude and in_region(c.region, ctx.exclude):
        return R_REGION_EXCLUDED
    if ctx.spec.venues and not any(c.region.startswith(v.region) for v in ctx.spec.venues):
        return R_NO_VENUE
    return None


def p_status(c: Candidate, ctx: Context) -> str | None:
    """Active only; a penalised expert is out until the penalty window ends (§6.2 d)."""
    if c.status == "active":
        return None
    if c.status == "penalised":
        if c.penalty_until and c.penalty_until < ctx.day_iso:
            return None
        return R_PENALISED
    return R_STATUS


def p_available(c: Candidate, ctx: Context) -> str | None:
    return R_UNAVAILABLE if ctx.day_iso in c.unavailable else None


def p_employee(c: Candidate, ctx: Context) -> str | None:
    """Employee (or role holder) of the tenderer, agency or any bidder (§6.2, 法37)."""
    if c.employer in ctx.orgs or any(o in ctx.orgs for o in c.orgs):
        return R_EMPLOYEE
    if c.person and c.person in ctx.persons:
        return R_EMPLOYEE
    return None


def p_former_employee(c: Candidate, ctx: Context) -> str | None:
    """Employment with a party ending within ``avoid_years`` before the evaluation (GP 条例 9)."""
    for org, until in c.former_employers:
        if org in ctx.orgs and until >= ctx.window_start:
            return R_FORMER_EMPLOYEE
    return None


def p_relative(c: Candidate, ctx: Context) -> str | None:
    """Close relative of a party's principal/staff, or a relative working for a party (§6.2 a)."""
    for person, employer in c.relatives:
        if (person and person in ctx.persons) or (employer and employer in ctx.orgs):
            return R_RELATIVE
    return None


def p_interest(c: Candidate, ctx: Context) -> str | None:
    """Past co-working / economic interest with a party within the window (§6.2 c)."""
    for org, until in c.interests:
        if org in ctx.orgs and until >= ctx.window_start:
            return R_INTEREST
    return None


def p_supervisor(c: Candidate, ctx: Context) -> str | None:
    """Staff of the competent or supervising department (§6.2 b, 实施条例 46)."""
    return R_SUPERVISOR if any(d in ctx.departments for d in c.departments) else None


def p_frequency(c: Candidate, ctx: Context) -> str | None:
    """Too many evaluations already accepted in the frequency window before the date."""
    n = sum(1 for d in c.recent_draws if ctx.frequency_start <= d <= ctx.day_iso)
    return R_FREQUENCY if n >= ctx.spec.frequency_limit else None


PREDICATES = (
    p_region,
    p_status,
    p_available,
    p_employee,
    p_former_employee,
    p_relative,
    p_interest,
    p_supervisor,
    p_frequency,
)


def exclusion(c: Candidate, ctx: Context) -> str | None:
    """The first avoidance/condition predicate that excludes ``c``, or None if eligible."""
    for p in PREDICATES:
        reason = p(c, ctx)
        if reason is not None:
            return reason
    return None
