"""Inputs of the expert draw (``draw/v1``): request conditions and the pool snapshot.

Pure: no Django. Canonical encodings here are what gets hashed and published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

ALGORITHM = "draw/v1"


class DrawInputError(ValueError):
    """The request conditions are malformed (caught at the edge; never a 500)."""


def region_prefix(code: str) -> str:
    """GB/T 2260 code → prefix covering it: 620000 → "62", 620400 → "6204", 620402 → "620402"."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def in_region(region: str, prefixes: Iterable[str]) -> bool:
    return any(region.startswith(p) for p in prefixes)


@dataclass(frozen=True)
class Line:
    """One requested specialty (抽取专业) with its member and reserve counts."""

    specialty: str
    count: int
    reserves: int = 0


@dataclass(frozen=True)
class Venue:
    """评标场地: the main venue (主场) or a secondary venue (副场) with the experts it seats."""

    code: str
    region: str
    main: bool
    seats: int


@dataclass(frozen=True)
class DrawSpec:
    """Request conditions and the avoidance list, all fixed before the draw."""

    section: str
    evaluation_date: str  # ISO date of the evaluation
    lines: tuple[Line, ...]
    regions_include: tuple[str, ...] = ()
    regions_exclude: tuple[str, ...] = ()
    venues: tuple[Venue, ...] = ()  # empty: local evaluation, no seat allocation
    party_orgs: tuple[str, ...] = ()  # USCC of tenderer, agency, bidders (+ affiliates)
    party_persons: tuple[str, ...] = ()  # blind indexes of the parties' people
    departments: tuple[str, ...] = ()  # competent/supervising departments (codes)
    avoid_years: int = 3
    frequency_window_days: int = 30
    frequency_limit: int = 4
    max_same_employer: int = 1

    def __post_init__(self) -> None:
        _check_spec(self)

    def as_dict(self) -> dict[str, Any]:
        return {
            "algorithm": ALGORITHM,
            "section": self.section,
            "evaluation_date": self.evaluation_date,
            "lines": [
                {"specialty": x.specialty, "count": x.count, "reserves": x.reserves}
                for x in self.lines
            ],
            "regions_include": list(self.regions_include),
            "regions_exclude": list(self.regions_exclude),
            "venues": [
                {"code": v.code, "region": v.region, "main": v.main, "seats": v.seats}
                for v in self.venues
            ],
            "party_orgs": sorted(set(self.party_orgs)),
            "party_persons": sorted(set(self.party_persons)),
            "departments": sorted(set(self.departments)),
            "avoid_years": self.avoid_years,
            "frequency_window_days": self.frequency_window_days,
            "frequency_limit": self.frequency_limit,
            "max_same_employer": self.max_same_employer,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DrawSpec:
        try:
            if d.get("algorithm", ALGORITHM) != ALGORITHM:
                raise DrawInputError(f"unsupported algorithm {d.get('algorithm')!r}")
            return cls(
                section=str(d["section"]),
                evaluation_date=str(d["evaluation_date"]),
                lines=tuple(
                    Line(str(x["specialty"]), int(x["count"]), int(x.get("reserves", 0)))
                    for x in d["lines"]
                ),
                regions_include=tuple(str(r) for r in d.get("regions_include", ())),
                regions_exclude=tuple(str(r) for r in d.get("regions_exclude", ())),
                venues=tuple(
                    Venue(str(v["code"]), str(v["region"]), bool(v["main"]), int(v["seats"]))
                    for v in d.get("venues", ())
                ),
                party_orgs=tuple(sorted(set(d.get("party_orgs", ())))),
                party_persons=tuple(sorted(set(d.get("party_persons", ())))),
                departments=tuple(sorted(set(d.get("departments", ())))),
                avoid_years=int(d.get("avoid_years", 3)),
                frequency_window_days=int(d.get("frequency_window_days", 30)),
                frequency_limit=int(d.get("frequency_limit", 4)),
                max_same_employer=int(d.get("max_same_employer", 1)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, DrawInputError):
                raise
            raise DrawInputError(f"malformed draw request: {exc}") from exc

    def digest(self) -> bytes:
        return hashlib.sha256(canonical(self.as_dict())).digest()


def _check_spec(spec: DrawSpec) -> None:  # noqa: PLR0912 - one check per rule
    try:
        dt.date.fromisoformat(spec.evaluation_date)
    except ValueError as exc:
        raise DrawInputError("evaluation_date must be an ISO date") from exc
    if not spec.lines:
        raise DrawInputError("at least one specialty line is required")
    specialties = [x.specialty for x in spec.lines]
    if len(set(specialties)) != len(specialties):
        raise DrawInputError("each specialty may appear in one line only")
    for x in spec.lines:
        if not x.specialty or x.count < 1 or x.reserves < 0 or x.count + x.reserves > 99:
            raise DrawInputError(f"bad line {x.specialty!r}: 1 ≤ count, 0 ≤ reserves, total ≤ 99")
    for r in (*spec.regions_include, *spec.regions_exclude):
        if not (r.isdigit() and len(r) in {2, 4, 6}):
            raise DrawInputError(f"region prefix {r!r} must be 2, 4 or 6 digits")
    if spec.venues:
        mains = [v for v in spec.venues if v.main]
        if len(mains) != 1:
            raise DrawInputError("remote evaluation needs exactly one main venue (主场)")
        if len(spec.venues) < 2:
            raise DrawInputError("remote evaluation needs at least one secondary venue (副场)")
        codes = [v.code for v in spec.venues]
        if len(set(codes)) != len(codes):
            raise DrawInputError("venue codes must be distinct")
        for v in spec.venues:
            if v.seats < 1 or not (v.region.isdigit() and len(v.region) in {2, 4, 6}):
                raise DrawInputError(f"venue {v.code!r}: seats ≥ 1 and a region prefix")
            if v.region.startswith(mains[0].region) and not v.main:
                raise DrawInputError(f"secondary venue {v.code!r} must be outside the main region")
        if sum(v.seats for v in spec.venues) != sum(x.count for x in spec.lines):
            raise DrawInputError("venue seats must add up to the number of experts requested")
    if not (0 <= spec.avoid_years <= 10 and spec.max_same_employer >= 1):
        raise DrawInputError("avoid_years in 0..10 and max_same_employer ≥ 1")
    if spec.frequency_window_days < 0 or spec.frequency_limit < 1:
        raise DrawInputError("frequency window ≥ 0 days and limit ≥ 1")


@dataclass(frozen=True)
class Candidate:
    """One expert of the pool snapshot with the facts the predicates need (no names)."""

    id: int
    specialties: tuple[str, ...]
    region: str
    employer: str  # current employer USCC
    status: str = "active"  # active | suspended | penalised
    penalty_until: str = ""  # ISO date; "" = open-ended when penalised
    unavailable: tuple[str, ...] = ()  # ISO dates
    former_employers: tuple[tuple[str, str], ...] = ()  # (USCC, ISO end date)
    relatives: tuple[tuple[str, str], ...] = ()  # (person blind index, employer USCC)
    interests: tuple[tuple[str, str], ...] = ()  # co-working/economic interest (USCC, end)
    orgs: tuple[str, ...] = ()  # USCCs where the expert holds an active role
    person: str = ""  # the expert's own blind index
    departments: tuple[str, ...] = ()  # department codes the expert works for
    recent_draws: tuple[str, ...] = ()  # ISO dates of evaluations already accepted

    def row(self) -> list[Any]:
        """The canonical record: a JSON array in ``ROW_FIELDS`` order, lists sorted."""

        def srt(t: tuple[Any, ...]) -> Any:
            return sorted(t) if len(t) > 1 else t

        return [
            self.id,
            srt(self.specialties),
            self.region,
            self.employer,
            self.status,
            self.penalty_until,
            srt(self.unavailable),
            srt(self.former_employers),
            srt(self.relatives),
            srt(self.interests),
            srt(self.orgs),
            self.person,
            srt(self.departments),
            srt(self.recent_draws),
        ]

    @classmethod
    def from_row(cls, r: Sequence[Any]) -> Candidate:
        if len(r) != len(ROW_FIELDS):
            raise DrawInputError(f"candidate row has {len(r)} fields, expected {len(ROW_FIELDS)}")

        def pairs(x: Any) -> tuple[tuple[str, str], ...]:
            return tuple((str(a), str(b)) for a, b in x)

        return cls(
            id=int(r[0]),
            specialties=tuple(r[1]),
            region=str(r[2]),
            employer=str(r[3]),
            status=str(r[4]),
            penalty_until=str(r[5]),
            unavailable=tuple(r[6]),
            former_employers=pairs(r[7]),
            relatives=pairs(r[8]),
            interests=pairs(r[9]),
            orgs=tuple(r[10]),
            person=str(r[11]),
            departments=tuple(r[12]),
            recent_draws=tuple(r[13]),
        )


ROW_FIELDS = (
    "id",
    "specialties",
    "region",
    "employer",
    "status",
    "penalty_until",
    "unavailable",
    "former_employers",
    "relatives",
    "interests",
    "orgs",
    "person",
    "departments",
    "recent_draws",
)


class Pool:
    """The pool snapshot in canonical order (ascending id) with a specialty index."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self.candidates: list[Candidate] = list(candidates)
        ids = [c.id for c in self.candidates]
        if any(a >= b for a, b in itertools.pairwise(ids)):  # not strictly ascending
            self.candidates.sort(key=lambda c: c.id)
            ids.sort()
            if any(a == b for a, b in itertools.pairwise(ids)):
                raise DrawInputError("duplicate candidate id in pool snapshot")
        # code or any ancestor code (prefixes at the classification levels: lengths 1, 3,
        # 5, …) → positions, ascending
        self._index: dict[str, list[int]] = {}
        for pos, c in enumerate(self.candidates):
            keys: set[str] = set()
            for code in c.specialties:
                keys.update(code[:n] for n in range(1, len(code) + 1, 2))
            for k in keys:
                self._index.setdefault(k, []).append(pos)
        self._digest: bytes | None = None

    def __len__(self) -> int:
        return len(self.candidates)

    def matching(self, specialty: str) -> list[int]:
        return self._index.get(specialty, [])

    def as_list(self) -> list[list[Any]]:
        return [c.row() for c in self.candidates]

    def digest(self) -> bytes:
        """SHA-256 of the canonical JSON array of candidate rows (the pool snapshot hash)."""
        if self._digest is None:
            self._digest = hashlib.sha256(canonical(self.as_list())).digest()
        return self._digest

    @classmethod
    def from_canonical(cls, raw: bytes) -> Pool:
        """A pool from its stored canonical bytes; the snapshot hash is the hash of exactly
        these bytes (compare it with the published pool hash)."""
        try:
            rows = json.loads(raw)
        except ValueError as exc:
            raise DrawInputError("pool snapshot is not JSON") from exc
        pool = cls.from_list(rows)
        pool._digest = hashlib.sha256(raw).digest()
        return pool

    @classmethod
    def from_list(cls, rows: Sequence[Sequence[Any]]) -> Pool:
        try:
            return cls(Candidate.from_row(r) for r in rows)
        except (KeyError, TypeError, ValueError) as exc:
            raise DrawInputError(f"malformed pool snapshot: {exc}") from exc


def canonical(value: Any) -> bytes:
    """Canonical JSON (sorted keys, no whitespace, UTF-8) — same bytes as ggzy.core.canonical
    for the JSON types used here."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
