"""Reads of the contracts app, scoped to the user: the tenderer/agency and centre staff see
everything of their tender's contract, regulators (``evaluation:session:read``) read every
contract, the winner's members read their own; anyone reads a published contract."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ggzy.accounts.permissions import Perm, has_perm, is_centre_staff
from ggzy.contracts.models import Contract, ContractVersion, Status
from ggzy.contracts.services import can_manage
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.ledger.models import Entry
from ggzy.registry.models import MembershipStatus, Role
from ggzy.tendering.models import Tender

SUBJECT = "contracts.contract"


def _base() -> QuerySet[Contract]:
    return Contract.objects.select_related(
        "tender__section__tender_project__project",
        "tender__section__tender_project__tenderer",
        "tender__section__tender_project__agency",
        "tenderer",
        "winner",
        "session",
    )


def contract_get(contract_id: int) -> Contract:
    c = _base().filter(pk=contract_id).first()
    if c is None:
        raise DomainError(ErrorCode.CONTRACT_NOT_FOUND)
    return c


def tender_get(tender_id: int) -> Tender:
    t = (
        Tender.objects.filter(pk=tender_id)
        .select_related("section__tender_project__project")
        .first()
    )
    if t is None:
        raise DomainError(ErrorCode.NOT_FOUND, "招标不存在")
    return t


def is_winner(user: Any, contract: Contract) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return contract.winner.memberships.filter(
        person__user=user, role=Role.BIDDER, status=MembershipStatus.ACTIVE
    ).exists()


def can_read_all(user: Any, tender: Tender) -> bool:
    """Unpublished contracts and the file: managers, centre staff and regulators."""
    return (
        is_centre_staff(user)
        or has_perm(user, Perm.EVALUATION_SESSION_READ)
        or can_manage(user, tender)
    )


def can_read(user: Any, contract: Contract) -> bool:
    return (
        contract.status == Status.PUBLISHED
        or can_read_all(user, contract.tender)
        or is_winner(user, contract)
    )


def contract_visible(contract: Contract, user: Any) -> Contract:
    if can_read(user, contract):
        return contract
    raise DomainError(ErrorCode.CONTRACT_NOT_FOUND)


def contracts_for_tender(tender: Tender, user: Any) -> list[Contract]:
    return [c for c in _base().filter(tender=tender).order_by("pk") if can_read(user, c)]


def version_get(contract: Contract, number: int) -> ContractVersion:
    v = ContractVersion.objects.filter(contract=contract, number=number).first()
    if v is None:
        raise DomainError(ErrorCode.CONTRACT_NOT_FOUND)
    return v


def version_file(contract: Contract, number: int) -> tuple[Any, str, str]:
    """(open file, name, SHA-256) of the signed file as published in version ``number``;
    versions stored before the per-version file fall back to the current file when its hash
    is the one published."""
    v = version_get(contract, number)
    published = v.data.get("file") or {}
    sha256 = str(published.get("sha256") or "")
    if v.file:
        return v.file.open("rb"), str(published.get("name") or "contract"), sha256
    if sha256 and contract.file and contract.file_sha256 == sha256:
        return contract.file.open("rb"), contract.file_name, sha256
    raise DomainError(ErrorCode.CONTRACT_FILE_MISSING)


def versions(contract: Contract) -> list[ContractVersion]:
    return list(ContractVersion.objects.filter(contract=contract).order_by("number"))


def events(contract: Contract, *, limit: int = 100) -> list[Entry]:
    """The contract's ledger entries, newest first (managers and regulators)."""
    return list(
        Entry.objects.filter(subject_type=SUBJECT, subject_id=str(contract.pk)).order_by("-pk")[
            :limit
        ]
    )
