from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "ggzy.contracts"
    label = "contracts"
    verbose_name = "合同 Contracts (合同订立, 合同公告)"

    def ready(self) -> None:
        # the OCDS contract stage, data-spec tables 512/554 and the public feed events
        from ggzy.contracts import opendata

        opendata.register()
