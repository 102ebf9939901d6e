"""Re-run a draw from its stored inputs and compare with what the ledger recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

from ggzy.experts import draw as algo
from ggzy.experts.models import Draw, DrawRequest


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Report:
    request: int
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(name, ok, detail))


def _ledger_payloads(req: DrawRequest, draw: Draw | None) -> tuple[dict[str, object], list[str]]:
    from ggzy.ledger.models import Entry

    requested = (
        Entry.objects.filter(
            event_type="experts:draw:requested",
            subject_type="experts.drawrequest",
            subject_id=str(req.pk),
        )
        .values_list("payload", flat=True)
        .first()
    )
    commitments: list[str] = []
    if draw is not None:
        for payload in (
            Entry.objects.filter(
                event_type__in=[
                    "experts:draw:drawn",
                    "experts:draw:replenished",
                    "experts:draw:shortfall",
                ],
                subject_type="experts.draw",
                subject_id=str(draw.pk),
            )
            .order_by("id")
            .values_list("payload", flat=True)
        ):
            commitments.append(str(payload["result_commitment"]))
    return dict(requested or {}), commitments


def verify_request(req: DrawRequest) -> Report:
    """Every check a third party can make with the published inputs (DOMAIN §6.1)."""
    from ggzy.experts.draws import load_pool, load_state
    from ggzy.ledger.models import Checkpoint

    report = Report(req.pk)
    draw = Draw.objects.filter(request=req).first()
    on_ledger, ledger_commitments = _ledger_payloads(req, draw)
    report.add("algorithm", req.algorithm == algo.ALGORITHM, req.algorithm)
    try:
        spec = algo.DrawSpec.from_dict(req.spec)
    except algo.DrawInputError as exc:
        report.add("request", False, str(exc))
        return report
    digest = spec.digest().hex()
    report.add(
        "request_sha256", digest == req.request_sha256 == on_ledger.get("request_sha256"), digest
    )
    if req.checkpoint_size:
        cp = Checkpoint.objects.filter(size=req.checkpoint_size).first()
        ok = cp is not None and bytes(cp.root_hash).hex() == req.checkpoint_root
        report.add("checkpoint_root", ok, f"size {req.checkpoint_size}")
    else:
        report.add("checkpoint_root", req.checkpoint_root == algo.EMPTY_ROOT.hex(), "empty log")
    seed = algo.derive_seed(bytes.fromhex(req.checkpoint_root), spec.digest()).hex()
    report.add("seed", seed == req.seed == on_ledger.get("seed"), seed)
    pool = load_pool(req)
    pool_digest = pool.digest().hex()
    report.add(
        "pool_sha256", pool_digest == req.pool_sha256 == on_ledger.get("pool_sha256"), pool_digest
    )
    if draw is None:
        report.add("result", True, "not drawn yet")
        return report
    declines = [int(d) for d in load_state(draw)["declined"]]
    try:
        replayed = algo.replay(spec, pool, bytes.fromhex(seed), declines)
    except (algo.Shortfall, algo.DrawInputError) as exc:
        report.add("replay", False, str(exc))
        return report
    report.add(
        "result_commitments",
        replayed == list(draw.commitments) == ledger_commitments,
        " → ".join(c[:16] for c in replayed),
    )
    return report
