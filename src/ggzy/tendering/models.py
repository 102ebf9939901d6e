"""Tendering (招标投标) on one section: announcement, documents, clarifications, objections,
the opening key held by custodians, resumable bid uploads, sealed bids and deposits."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from ggzy.projects.models import Section
from ggzy.registry.models import Organization


class TenderStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ANNOUNCED = "announced", "已发布（接受投标）"
    OPENING = "opening", "开标中"
    OPENED = "opened", "开标完成"
    FAILED = "failed", "流标"
    TERMINATED = "terminated", "终止"


OPEN_FOR_BIDS = frozenset({TenderStatus.ANNOUNCED})
TERMINAL = frozenset({TenderStatus.FAILED, TenderStatus.TERMINATED})


class Tender(models.Model):
    """招标 on one section. Times are UTC; ``bid_deadline`` is also the opening time (T16)."""

    section = models.OneToOneField(Section, on_delete=models.PROTECT, related_name="tender")
    status = models.CharField(
        max_length=12, choices=TenderStatus.choices, default=TenderStatus.DRAFT
    )
    title = models.CharField("公告标题", max_length=600)
    announcement_html = models.TextField("公告内容")  # sanitised at write
    ruleset_label = models.CharField("适用规则", max_length=80, blank=True, default="")
    ruleset_sha256 = models.CharField(max_length=64, blank=True, default="")
    docs_from = models.DateTimeField("招标文件获取开始时间", null=True)
    docs_until = models.DateTimeField("招标文件获取截止时间", null=True)
    bid_deadline = models.DateTimeField("投标截止时间（开标时间）", null=True, db_index=True)
    opening_place = models.CharField("开标地点", max_length=200, default="线上不见面开标")
    deposit_amount = models.DecimalField(
        "投标保证金（元）", max_digits=20, decimal_places=6, null=True, blank=True
    )
    deposit_account = models.CharField("保证金账户", max_length=300, blank=True, default="")
    opening_public_key = models.CharField("开标公钥", max_length=200, blank=True, default="")
    opening_key_id = models.CharField(max_length=64, blank=True, default="")
    custodian_threshold = models.PositiveSmallIntegerField("开标密钥门限", default=2)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    announced_at = models.DateTimeField(null=True)
    terminated_at = models.DateTimeField("终止时间", null=True)
    termination_reason = models.TextField("终止原因", blank=True, default="")

    class Meta:
        verbose_name = "招标"
        verbose_name_plural = "招标"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class DocumentKind(models.TextChoices):
    TENDER = "tender", "招标文件"
    CLARIFICATION = "clarification", "澄清或修改文件"


class TenderDocument(models.Model):
    """招标文件 and clarification files; the SHA-256 goes on the ledger at upload."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=15, choices=DocumentKind.choices)
    name = models.CharField(max_length=255)
    file = models.FileField(upload_to="tender-docs/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = "招标文件"
        verbose_name_plural = "招标文件"
        ordering: ClassVar[list[str]] = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class DocumentDownload(models.Model):
    """Who fetched which document, kept from everyone until the bid deadline (保密)."""

    document = models.ForeignKey(TenderDocument, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.document_id} @ {self.at}"


class Clarification(models.Model):
    """澄清或修改 (T9); may have pushed the bid deadline."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="clarifications")
    content_html = models.TextField()
    document = models.ForeignKey(TenderDocument, on_delete=models.PROTECT, null=True)
    issued_at = models.DateTimeField()
    old_deadline = models.DateTimeField()
    new_deadline = models.DateTimeField()

    def __str__(self) -> str:
        return f"clarification {self.pk}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", "待答复"
    ANSWERED = "answered", "已答复"


class Objection(models.Model):
    """异议 to the tender documents (T10): the opening is paused until it is answered."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="objections")
    raised_by = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    content = models.TextField()
    raised_at = models.DateTimeField()
    answer_due = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    answer = models.TextField(blank=True, default="")
    answered_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"objection {self.pk}"


class CustodianRole(models.TextChoices):
    CENTRE = "centre", "交易中心"
    SUPERVISOR = "supervisor", "监督部门"
    TENDERER = "tenderer", "招标人/代理机构"


class CustodianShare(models.Model):
    """One Shamir share of a tender's opening private key (开标密钥分片), encrypted to its
    custodian's registered key; released only after the bid deadline."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="shares")
    role = models.CharField(max_length=12, choices=CustodianRole.choices)
    custodian = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    key_id = models.CharField(max_length=64)  # the custodian EntityKey it is wrapped to
    wrapped_share = models.BinaryField()
    released_share = models.BinaryField(null=True)
    released_at = models.DateTimeField(null=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["tender", "role"], name="tendering_share_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tender_id}/{self.role}"


class UploadStatus(models.TextChoices):
    RECEIVING = "receiving", "上传中"
    COMPLETE = "complete", "已完成"
    ABANDONED = "abandoned", "已放弃"


class BidUpload(models.Model):
    """A resumable upload of one sealed bid (断点续传), chunk by chunk."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="uploads")
    bidder = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    chunk_size = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=UploadStatus.choices, default=UploadStatus.RECEIVING
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return str(self.id)

    @property
    def chunk_count(self) -> int:
        return max(1, -(-self.size // self.chunk_size))


class UploadChunk(models.Model):
    upload = models.ForeignKey(BidUpload, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["upload", "index"], name="tendering_chunk_unique")
        ]

    def __str__(self) -> str:
        return f"{self.upload_id}#{self.index}"


class BidStatus(models.TextChoices):
    SUBMITTED = "submitted", "已递交"
    WITHDRAWN = "withdrawn", "已撤回"
    SUPERSEDED = "superseded", "已被修改替换"


class Bid(models.Model):
    """投标文件: a sealed envelope received before the deadline, with its signed receipt."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="bids")
    bidder = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="bids")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    envelope = models.FileField(upload_to="bids/%Y/%m/", max_length=255)
    envelope_sha256 = models.CharField(max_length=64)
    envelope_md5 = models.CharField(max_length=32, blank=True, default="")  # BID_DOCUMENT_MD5
    size = models.BigIntegerField()
    commitment = models.CharField(max_length=128)  # hex, from the signed header
    suite = models.CharField(max_length=10)
    signer_key_id = models.CharField(max_length=64)
    fingerprint = models.JSONField(default=dict)  # 投标文件特征码 (hashed identifiers)
    received_at = models.DateTimeField()  # server receipt time: authoritative
    status = models.CharField(max_length=12, choices=BidStatus.choices, default=BidStatus.SUBMITTED)
    receipt = models.JSONField(default=dict)  # signed 回执
    ledger_entry_id = models.BigIntegerField()

    class Meta:
        verbose_name = "投标文件"
        verbose_name_plural = "投标文件"
        ordering: ClassVar[list[str]] = ["received_at"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["tender", "bidder"],
                condition=Q(status="submitted"),
                name="tendering_one_live_bid_per_bidder",
            )
        ]

    def __str__(self) -> str:
        return f"{self.bidder_id} → {self.tender_id}"


class Deposit(models.Model):
    """投标保证金 (T11): amount ≤ cap, from the bidder's basic account."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="deposits")
    bidder = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=20, decimal_places=6)
    payer_account_name = models.CharField(max_length=200)
    payer_account_no = models.CharField(max_length=64)
    payer_bank = models.CharField(max_length=200)
    is_basic_account = models.BooleanField(default=True)
    paid_at = models.DateTimeField()
    # 应退还 (实施条例第三十一条): set when the tender is terminated — the deposit and the bank
    # interest for the same period are owed back to the bidder; the refund itself is the bank's.
    refund_due_at = models.DateTimeField("应退还时间", null=True, blank=True)
    refund_reason = models.CharField("退还原因", max_length=200, blank=True, default="")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["tender", "bidder"], name="tendering_deposit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.bidder_id} {self.amount}"


class OpeningState(models.TextChoices):
    """Sub-states of 不见面开标 (DOMAIN §3.4)."""

    DECRYPTING = "decrypting", "解密中"
    RECORDED = "recorded", "开标记录已生成（待确认）"
    CLOSED = "closed", "开标结束"
    FAILED = "failed", "流标"
    TERMINATED = "terminated", "招标终止"


class OpeningSession(models.Model):
    tender = models.OneToOneField(Tender, on_delete=models.PROTECT, related_name="opening")
    state = models.CharField(max_length=12, choices=OpeningState.choices)
    started_at = models.DateTimeField()
    decrypt_until = models.DateTimeField()
    record = models.JSONField(default=dict)  # 开标记录表
    record_sha256 = models.CharField(max_length=64, blank=True, default="")
    closed_at = models.DateTimeField(null=True)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"opening of {self.tender_id}"


class Consistency(models.TextChoices):
    """投标文件一致性判断 outcome for one bid."""

    PENDING = "pending", "待解密"
    CONSISTENT = "consistent", "一致"
    MISMATCH = "commitment_mismatch", "与签名承诺不一致"
    TAMPERED = "tampered", "密文被篡改"
    HASH_MISMATCH = "receipt_mismatch", "与回执摘要不一致"
    NOT_DECRYPTED = "not_decrypted", "未解密"


class BidOpening(models.Model):
    """One bid at the opening: sign-in, decryption, consistency, price, confirmation."""

    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="opening")
    session = models.ForeignKey(OpeningSession, on_delete=models.PROTECT, related_name="bids")
    signed_in_at = models.DateTimeField(null=True)
    decrypted_at = models.DateTimeField(null=True)
    decrypted_by = models.CharField(max_length=20, blank=True, default="")  # bidder|custodians
    consistency = models.CharField(
        max_length=20, choices=Consistency.choices, default=Consistency.PENDING
    )
    detail = models.CharField(max_length=500, blank=True, default="")
    # The released content key, sealed with the platform's field key: the stored envelope stays
    # the one copy of the bid and is decrypted again (each chunk re-authenticated) when the
    # committee reads it — no plaintext bid at rest (``opening.opened_package``).
    content_key_sealed = models.BinaryField(blank=True, default=b"")
    plaintext_sha256 = models.CharField(max_length=64, blank=True, default="")
    price = models.JSONField(default=dict)  # the price form (开标一览表)
    confirmed_at = models.DateTimeField(null=True)
    objection = models.TextField(blank=True, default="")
    objection_answer = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"opening {self.bid_id}"
