"""Verifiable random expert draw (专家随机抽取), algorithm ``draw/v1``.

Pure and versioned: no Django, no clock, no I/O. Given the same request conditions
(``DrawSpec``), pool snapshot (``Pool``) and seed, every run yields the same ordered
committee, the same reserves and the same result commitment; anybody holding the
published inputs can re-run it (``ggzy experts verify-draw``). docs/experts.md
describes the algorithm precisely enough to re-implement it.

Outline:
* seed = SHA-256("ggzy/expert-draw/seed/v1" ‖ 0x00 ‖ checkpoint root ‖ request hash)
  (``derive_seed``), both fixed before the draw;
* one SHA-256 counter stream per request line (``Stream``), uniform integers by
  rejection sampling (no modulo bias);
* per line, candidates whose specialty is (under) the line's code, in ascending
  candidate id, are visited in the order of a lazy Fisher–Yates shuffle; each visited
  candidate is checked against the avoidance predicates (回避, DOMAIN §6.2) and the
  committee constraints and either accepted or skipped with a logged reason;
* members of every line first, then reserves of every line; a decline is replaced from
  the line's reserves first, then by continuing the same stream (``DrawState.replace``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ggzy.experts.avoidance import (
    PREDICATES,
    R_DECLINED,
    R_EMPLOYEE,
    R_FORMER_EMPLOYEE,
    R_FREQUENCY,
    R_INTEREST,
    R_NO_VENUE,
    R_PENALISED,
    R_REGION,
    R_REGION_EXCLUDED,
    R_RELATIVE,
    R_SAME_EMPLOYER,
    R_STATUS,
    R_SUPERVISOR,
    R_TAKEN,
    R_UNAVAILABLE,
    R_VENUE_FULL,
    Context,
    exclusion,
)
from ggzy.experts.draw_inputs import (
    ALGORITHM,
    ROW_FIELDS,
    Candidate,
    DrawInputError,
    DrawSpec,
    Line,
    Pool,
    Venue,
    canonical,
    region_prefix,
)

__all__ = [
    "ALGORITHM",
    "EMPTY_ROOT",
    "PREDICATES",
    "ROW_FIELDS",
    "R_DECLINED",
    "R_EMPLOYEE",
    "R_FORMER_EMPLOYEE",
    "R_FREQUENCY",
    "R_INTEREST",
    "R_NO_VENUE",
    "R_PENALISED",
    "R_REGION",
    "R_REGION_EXCLUDED",
    "R_RELATIVE",
    "R_SAME_EMPLOYER",
    "R_STATUS",
    "R_SUPERVISOR",
    "R_TAKEN",
    "R_UNAVAILABLE",
    "R_VENUE_FULL",
    "Candidate",
    "Context",
    "DrawInputError",
    "DrawSpec",
    "DrawState",
    "LazyShuffle",
    "Line",
    "Pool",
    "Result",
    "Seat",
    "Shortfall",
    "Stream",
    "Venue",
    "canonical",
    "derive_seed",
    "exclusion",
    "region_prefix",
    "replay",
    "run",
]

SEED_DOMAIN = b"ggzy/expert-draw/seed/v1"
STREAM_DOMAIN = b"ggzy/expert-draw/stream/v1"
EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 root of the empty tree


class Shortfall(Exception):
    """Not enough eligible experts for one line (or one venue): names the binding condition."""

    def __init__(
        self,
        *,
        line: int,
        specialty: str,
        needed: int,
        eligible: int,
        phase: str,
        reasons: dict[str, int],
        venue: str = "",
    ) -> None:
        self.line = line
        self.specialty = specialty
        self.needed = needed
        self.eligible = eligible
        self.phase = phase
        self.reasons = reasons
        self.venue = venue
        super().__init__(
            f"line {line} ({specialty}) {phase}: needed {needed}, eligible {eligible}"
            + (f", venue {venue}" if venue else "")
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "specialty": self.specialty,
            "needed": self.needed,
            "eligible": self.eligible,
            "phase": self.phase,
            "venue": self.venue,
            "reasons": dict(sorted(self.reasons.items())),
        }


def derive_seed(checkpoint_root: bytes, request_digest: bytes) -> bytes:
    if len(checkpoint_root) != 32 or len(request_digest) != 32:
        raise DrawInputError("checkpoint root and request hash are 32-byte SHA-256 values")
    return hashlib.sha256(SEED_DOMAIN + b"\x00" + checkpoint_root + request_digest).digest()


# --------------------------------------------------------------------------- randomness


class Stream:
    """SHA-256 in counter mode: block_i = SHA-256(domain ‖ seed ‖ label ‖ u64be(i))."""

    def __init__(self, seed: bytes, label: str) -> None:
        self._prefix = STREAM_DOMAIN + b"\x00" + seed + label.encode() + b"\x00"
        self._counter = 0
        self._buf = b""

    def u64(self) -> int:
        if len(self._buf) < 8:
            self._buf += hashlib.sha256(self._prefix + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
        value, self._buf = int.from_bytes(self._buf[:8], "big"), self._buf[8:]
        return value

    def below(self, n: int) -> int:
        """Uniform integer in [0, n) by rejection sampling (no modulo bias)."""
        if n < 1:
            raise ValueError("n must be ≥ 1")
        limit = (1 << 64) - ((1 << 64) % n)
        while True:
            x = self.u64()
            if x < limit:
                return x % n


class LazyShuffle:
    """Fisher–Yates over ``items`` one pick at a time (sparse swaps: O(picks), not O(n))."""

    def __init__(self, items: list[int], stream: Stream) -> None:
        self._items = items
        self._left = len(items)
        self._swaps: dict[int, int] = {}
        self._stream = stream

    def next(self) -> int | None:
        if self._left == 0:
            return None
        j = self._stream.below(self._left)
        last = self._left - 1
        picked = self._swaps.get(j, j)
        self._swaps[j] = self._swaps.get(last, last)  # index ``last`` is never read again
        self._left -= 1
        return self._items[picked]


# --------------------------------------------------------------------------- the draw


@dataclass
class Seat:
    line: int
    candidate: int  # candidate id
    venue: str  # "" when not remote


@dataclass
class _LineState:
    shuffle: LazyShuffle
    visited: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    reserves: list[int] = field(default_factory=list)  # candidate ids, in draw order


@dataclass
class Result:
    members: list[Seat]
    reserves: list[tuple[int, int]]  # (line, candidate id)
    declined: list[int]
    commitment: str
    excluded: dict[str, int]


class DrawState:
    """A run of the draw that can be continued by ``replace`` (补抽) after a decline."""

    def __init__(self, spec: DrawSpec, pool: Pool, seed: bytes) -> None:
        if len(seed) != 32:
            raise DrawInputError("seed must be 32 bytes")
        self.spec = spec
        self.pool = pool
        self.seed = seed
        self.ctx = Context.of(spec)
        self._static: dict[int, str | None] = {}
        self.members: list[Seat] = []
        self.taken: set[int] = set()
        self.declined: list[int] = []
        self._employers: Counter[str] = Counter()
        self.lines = [
            _LineState(LazyShuffle(pool.matching(x.specialty), Stream(seed, f"line:{i}")))
            for i, x in enumerate(spec.lines)
        ]
        self._run()

    # -- helpers
    def _candidate(self, pos: int) -> Candidate:
        return self.pool.candidates[pos]

    def _eligible(self, c: Candidate) -> str | None:
        if c.id not in self._static:
            self._static[c.id] = exclusion(c, self.ctx)
        return self._static[c.id]

    def _lookup(self, cid: int) -> Candidate:
        lo, hi = 0, len(self.pool.candidates)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.pool.candidates[mid].id < cid:
                lo = mid + 1
            else:
                hi = mid
        return self.pool.candidates[lo]

    def _seats_free(self) -> dict[str, int]:
        free = {v.code: v.seats for v in self.spec.venues}
        for s in self.members:
            free[s.venue] -= 1
        return free

    def _venue_for(self, c: Candidate, only: str = "") -> str | None:
        """The venue seating ``c``: its own region's venue with a free seat (longest prefix)."""
        if not self.spec.venues:
            return ""
        free = self._seats_free()
        fits = [
            v
            for v in self.spec.venues
            if c.region.startswith(v.region) and free[v.code] > 0 and (not only or v.code == only)
        ]
        if not fits:
            return None
        return max(fits, key=lambda v: (len(v.region), v.main, v.code)).code

    def _fit(  # noqa: PLR0911 - one exit per refusal reason
        self, c: Candidate, *, member: bool, venue: str = ""
    ) -> tuple[str | None, str]:
        """(reason it cannot be taken now, venue if a member)."""
        if c.id in self.taken:
            return R_TAKEN, ""
        if c.id in self.declined:
            return R_DECLINED, ""
        reason = self._eligible(c)
        if reason is not None:
            return reason, ""
        if not member:
            return None, ""
        if self._employers[c.employer] >= self.spec.max_same_employer:
            return R_SAME_EMPLOYER, ""
        seat = self._venue_for(c, venue)
        if seat is None:
            return R_VENUE_FULL, ""
        return None, seat

    def _pull(self, i: int, *, member: bool, venue: str = "") -> tuple[Candidate, str] | None:
        """Continue line ``i``'s stream to the next candidate that fits."""
        st = self.lines[i]
        while True:
            pos = st.shuffle.next()
            if pos is None:
                return None
            st.visited += 1
            c = self._candidate(pos)
            reason, seat = self._fit(c, member=member, venue=venue)
            if reason is None:
                return c, seat
            st.reasons[reason] += 1

    def _shortfall(self, i: int, phase: str, needed: int, got: int, venue: str = "") -> Shortfall:
        x = self.spec.lines[i]
        return Shortfall(
            line=i,
            specialty=x.specialty,
            needed=needed,
            eligible=got,
            phase=phase,
            reasons=dict(self.lines[i].reasons),
            venue=venue,
        )

    def _run(self) -> None:
        for i, x in enumerate(self.spec.lines):
            for k in range(x.count):
                got = self._pull(i, member=True)
                if got is None:
                    free = (
                        [v for v, n in self._seats_free().items() if n > 0]
                        if self.spec.venues
                        else []
                    )
                    raise self._shortfall(i, "members", x.count, k, ",".join(sorted(free)))
                c, seat = got
                self.members.append(Seat(i, c.id, seat))
                self.taken.add(c.id)
                self._employers[c.employer] += 1
        for i, x in enumerate(self.spec.lines):
            for k in range(x.reserves):
                got = self._pull(i, member=False)
                if got is None:
                    raise self._shortfall(i, "reserves", x.count + x.reserves, x.count + k)
                self.lines[i].reserves.append(got[0].id)
                self.taken.add(got[0].id)

    # -- public
    def replace(self, declined_id: int) -> Seat:
        """补抽: the decliner leaves; its line's first fitting reserve takes the same seat,
        else the line's stream continues. Raises Shortfall when nobody fits."""
        idx = next((k for k, s in enumerate(self.members) if s.candidate == declined_id), None)
        if idx is None:
            raise DrawInputError(f"candidate {declined_id} is not a committee member")
        old = self.members.pop(idx)
        self.taken.discard(declined_id)
        self._employers[self._lookup(declined_id).employer] -= 1
        self.declined.append(declined_id)
        st = self.lines[old.line]
        for r in list(st.reserves):
            c = self._lookup(r)
            self.taken.discard(r)
            reason, seat = self._fit(c, member=True, venue=old.venue)
            self.taken.add(r)
            if reason is None:
                st.reserves.remove(r)
                new = Seat(old.line, r, seat)
                self.members.insert(idx, new)
                self._employers[c.employer] += 1
                return new
        got = self._pull(old.line, member=True, venue=old.venue)
        if got is None:
            count = self.spec.lines[old.line].count
            raise self._shortfall(old.line, "replacement", count, count - 1, old.venue)
        c, seat = got
        new = Seat(old.line, c.id, seat)
        self.members.insert(idx, new)
        self.taken.add(c.id)
        self._employers[c.employer] += 1
        return new

    def replace_or_vacate(self, declined_id: int) -> tuple[Seat | None, Shortfall | None]:
        """``replace``, but a shortfall leaves the seat vacant (the decline still counts)."""
        try:
            return self.replace(declined_id), None
        except Shortfall as s:
            return None, s

    def reserves(self) -> list[tuple[int, int]]:
        return [(i, r) for i, st in enumerate(self.lines) for r in st.reserves]

    def commitment(self) -> str:
        """SHA-256 over everything that defines the outcome (hex)."""
        body = {
            "algorithm": ALGORITHM,
            "seed": self.seed.hex(),
            "request_sha256": self.spec.digest().hex(),
            "pool_sha256": self.pool.digest().hex(),
            "members": [[s.line, s.candidate, s.venue] for s in self.members],
            "reserves": [list(x) for x in self.reserves()],
            "declined": list(self.declined),
        }
        return hashlib.sha256(canonical(body)).hexdigest()

    def result(self) -> Result:
        excluded: Counter[str] = Counter()
        for st in self.lines:
            excluded.update(st.reasons)
        return Result(
            members=[Seat(s.line, s.candidate, s.venue) for s in self.members],
            reserves=self.reserves(),
            declined=list(self.declined),
            commitment=self.commitment(),
            excluded=dict(sorted(excluded.items())),
        )


def run(spec: DrawSpec, pool: Pool, seed: bytes) -> Result:
    return DrawState(spec, pool, seed).result()


def replay(spec: DrawSpec, pool: Pool, seed: bytes, declines: Sequence[int]) -> list[str]:
    """Commitments after the initial draw and after each decline, in order (verify-draw)."""
    state = DrawState(spec, pool, seed)
    out = [state.commitment()]
    for d in declines:
        state.replace_or_vacate(d)
        out.append(state.commitment())
    return out
