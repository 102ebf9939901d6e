from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ggzy.ledger"
    label = "ledger"
    verbose_name = "存证账本 Evidence ledger"
