"""Market entities (市场主体), people (人员), roles (角色) and qualifications (资质).

An organisation registers once and its record is used by every trade type and
by other platforms through the verification API (一网注册、全省通用).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce


class TradingCentre(models.Model):
    """交易中心: one per city or county; projects, venues and staff belong to one."""

    code = models.CharField("编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    region_code = models.CharField("行政区划代码", max_length=6)

    class Meta:
        verbose_name = "交易中心"
        verbose_name_plural = "交易中心"

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """行业监管部门 regulatory department (发改, 财政, 住建, 交通, 水务, 自然资源, 医保 …)."""

    code = models.CharField("编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=100)
    name_en = models.CharField("英文名称", max_length=100, blank=True, default="")
    region_code = models.CharField("行政区划代码", max_length=6)
    supervises = models.JSONField("监管事项", default=list, blank=True)

    class Meta:
        verbose_name = "监管部门"
        verbose_name_plural = "监管部门"

    def __str__(self) -> str:
        return self.name


class OrgKind(models.TextChoices):
    ENTERPRISE = "enterprise", "企业"
    INSTITUTION = "institution", "事业单位"
    GOVERNMENT = "government", "机关"
    SOCIAL = "social", "社会组织"
    RURAL_COLLECTIVE = "rural_collective", "农村集体经济组织"
    INDIVIDUAL = "individual", "个体工商户"


class EntityStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    SUSPENDED = "suspended", "暂停"
    DEREGISTERED = "deregistered", "注销"


class Organization(models.Model):
    """法人或其他组织, identified by its 统一社会信用代码 (USCC, GB 32100-2015)."""

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("名称", max_length=200, db_index=True)
    kind = models.CharField("主体类型", max_length=20, choices=OrgKind.choices)
    region_code = models.CharField("行政区划代码", max_length=6)
    legal_representative = models.CharField("法定代表人", max_length=50)
    address = models.CharField("住所", max_length=200, blank=True, default="")
    contact_phone = models.CharField("联系电话", max_length=30, blank=True, default="")
    registered_capital = models.DecimalField(
        "注册资本（万元）", max_digits=20, decimal_places=6, null=True, blank=True
    )
    established_on = models.DateField("成立日期", null=True, blank=True)
    business_scope = models.TextField("经营范围", blank=True, default="")
    status = models.CharField(
        "状态", max_length=20, choices=EntityStatus.choices, default=EntityStatus.ACTIVE
    )
    registered_at = models.DateTimeField("注册时间")
    updated_at = models.DateTimeField("更新时间")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "市场主体"
        verbose_name_plural = "市场主体"
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class IdType(models.TextChoices):
    """证件类型 (ID_CARD_TYPE code set)."""

    CITIZEN_ID = "01", "居民身份证"
    HK_MACAO_TAIWAN_RESIDENCE = "02", "港澳台居民居住证"
    FOREIGN_PERMANENT = "03", "外国人永久居留身份证"
    PASSPORT = "04", "护照"


class Person(models.Model):
    """自然人. The ID number is stored encrypted and shown masked (110105********002X)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="person",
    )
    name = models.CharField("姓名", max_length=50)
    id_type = models.CharField(
        "证件类型", max_length=2, choices=IdType.choices, default=IdType.CITIZEN_ID
    )
    id_number_encrypted = models.BinaryField("证件号码（密文）")
    id_number_index = models.CharField("证件号码索引", max_length=64, editable=False)
    id_number_masked = models.CharField("证件号码（掩码）", max_length=40)
    phone_encrypted = models.BinaryField("手机号码（密文）", null=True, blank=True)
    phone_masked = models.CharField("手机号码（掩码）", max_length=20, blank=True, default="")
    created_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["id_type", "id_number_index"], name="registry_person_unique_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"


class Role(models.TextChoices):
    """主体角色. Owner, agency and bidder roles are self-declared by an organisation;
    the others are granted by the trading centre."""

    TENDERER = "tenderer", "招标人/采购人"
    AGENCY = "agency", "招标代理机构"
    BIDDER = "bidder", "投标人/供应商"
    EXPERT = "expert", "评标专家"
    CENTRE_STAFF = "centre_staff", "交易中心工作人员"
    REGULATOR = "regulator", "行业监管部门"
    PUBLIC = "public", "社会公众"


ORGANISATION_ROLES = frozenset({Role.TENDERER, Role.AGENCY, Role.BIDDER})
SELF_SERVICE_ROLES = ORGANISATION_ROLES | {Role.PUBLIC}


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    REVOKED = "revoked", "已撤销"


class Membership(models.Model):
    """A person acting in a role: for an organisation, a centre or a department."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    centre = models.ForeignKey(
        TradingCentre, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    is_admin = models.BooleanField("主体管理员", default=False)
    status = models.CharField(
        max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # NULLs count as equal here; Coalesce because SQLite lacks NULLS NOT DISTINCT.
            models.UniqueConstraint(
                F("person"),
                F("role"),
                Coalesce("organization", Value(0)),
                Coalesce("centre", Value(0)),
                Coalesce("department", Value(0)),
                condition=Q(status="active"),
                name="registry_membership_unique_active",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["tenderer", "agency", "bidder"])
                | Q(organization__isnull=False),
                name="registry_membership_org_role_needs_org",
            ),
            models.CheckConstraint(
                condition=~Q(role="centre_staff") | Q(centre__isnull=False),
                name="registry_membership_staff_needs_centre",
            ),
            models.CheckConstraint(
                condition=~Q(role="regulator") | Q(department__isnull=False),
                name="registry_membership_regulator_needs_department",
            ),
        ]

    def __str__(self) -> str:
        where = self.organization or self.centre or self.department or ""
        return f"{self.person.name} · {self.get_role_display()} · {where}"


class Qualification(models.Model):
    """资质: type, grade, certificate number, issuer, validity window, scanned file."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="qualifications"
    )
    qual_type = models.CharField("资质类型", max_length=100)
    grade = models.CharField("资质等级", max_length=50, blank=True, default="")
    certificate_no = models.CharField("证书编号", max_length=100)
    issuer = models.CharField("发证机关", max_length=100)
    valid_from = models.DateField("有效期起")
    valid_to = models.DateField("有效期止")
    file = models.FileField("证书扫描件", upload_to="qualifications/%Y/%m/", blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "资质"
        verbose_name_plural = "资质"
        ordering: ClassVar[list[str]] = ["qual_type", "-valid_to"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["organization", "qual_type", "certificate_no"],
                name="registry_qualification_unique",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")),
                name="registry_qualification_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qual_type} {self.grade} {self.certificate_no}"


class Performance(models.Model):
    """业绩: a completed contract the organisation can cite in bids."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="performances"
    )
    project_name = models.CharField("项目名称", max_length=200)
    client_name = models.CharField("发包人/采购人", max_length=200)
    contract_amount = models.DecimalField("合同金额（元）", max_digits=20, decimal_places=6)
    started_on = models.DateField("开工/开始日期", null=True, blank=True)
    completed_on = models.DateField("完成日期")
    description = models.TextField("说明", blank=True, default="")
    file = models.FileField("证明材料", upload_to="performances/%Y/%m/", blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "业绩"
        verbose_name_plural = "业绩"
        ordering: ClassVar[list[str]] = ["-completed_on"]

    def __str__(self) -> str:
        return self.project_name


class KeyPurpose(models.TextChoices):
    SIGN = "sign", "签名密钥"
    ENCRYPT = "encrypt", "加密密钥"


class EntityKey(models.Model):
    """A public key registered by an organisation or a person (数字证书/密钥登记): bidders'
    signing keys verify sealed-bid commitments; custodians' encryption keys receive shares of
    opening keys. Text form of ``ggzy.crypto.suites.PublicKey`` (e.g. ``x25519:…``)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="keys"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="keys"
    )
    purpose = models.CharField("用途", max_length=10, choices=KeyPurpose.choices)
    public_key = models.CharField("公钥", max_length=200)
    key_id = models.CharField("密钥标识", max_length=64, db_index=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "公钥"
        verbose_name_plural = "公钥"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | Q(person__isnull=False),
                name="registry_entitykey_has_owner",
            ),
            models.UniqueConstraint(fields=["public_key"], name="registry_entitykey_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.key_id}"
