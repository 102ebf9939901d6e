"""Login accounts (账户) and API tokens (访问令牌) for machine clients."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A login. The real-name identity (实名) lives in ``registry.Person``."""

    totp_secret_encrypted = models.BinaryField(null=True, blank=True, editable=False)
    totp_enabled = models.BooleanField("已启用动态口令", default=False)
    totp_last_step = models.BigIntegerField(default=0, editable=False)  # replay guard

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"


class ApiToken(models.Model):
    """A bearer token ``ggzy_<prefix>_<secret>`` limited to named scopes.

    Only SHA-256 of the secret is stored; the token is shown once at creation.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("名称", max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    scopes = models.JSONField("授权范围", default=list)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "访问令牌"
        verbose_name_plural = "访问令牌"
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (ggzy_{self.prefix}_…)"
