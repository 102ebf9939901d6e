"""``ggzy bootstrap``: first start of a real trading centre (no demo data).

Creates the centre, its first staff account (with real-name identity) and makes that account
the back-office administrator. Refuses to run twice.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ggzy.accounts import services as accounts
from ggzy.core.errors import DomainError
from ggzy.registry import services as registry
from ggzy.registry.models import Role, TradingCentre


class Command(BaseCommand):
    help = (
        "Create the trading centre and its first staff account "
        "(password from GGZY_BOOTSTRAP_PASSWORD or a prompt)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--centre-code", required=True, help="e.g. 620400")
        parser.add_argument("--centre-name", required=True, help="e.g. 白银市公共资源交易中心")
        parser.add_argument("--region-code", required=True, help="GB/T 2260, e.g. 620400")
        parser.add_argument("--username", required=True)
        parser.add_argument("--name", required=True, help="staff member's legal name")
        parser.add_argument("--id-number", required=True, help="citizen ID number")

    def handle(self, *args: Any, **o: Any) -> None:
        password = os.environ.get("GGZY_BOOTSTRAP_PASSWORD") or getpass.getpass("密码 Password: ")
        try:
            with transaction.atomic():  # all or nothing
                user = accounts.user_signup(
                    username=o["username"],
                    password=password,
                    name=o["name"],
                    id_type="01",
                    id_number=o["id_number"],
                )
                accounts.centre_bootstrap_staff(user=user)
                centre = TradingCentre(
                    code=o["centre_code"], name=o["centre_name"], region_code=o["region_code"]
                )
                registry.reference_data_saved(actor=user, obj=centre, changed=[], created=True)
                registry.membership_grant(
                    actor=user, person=user.person, role=Role.CENTRE_STAFF, centre=centre
                )
        except DomainError as exc:
            raise CommandError(f"{exc.code.value}: {exc.message}") from exc
        self.stdout.write(f"centre {centre.name} created; staff account {user.username}")
