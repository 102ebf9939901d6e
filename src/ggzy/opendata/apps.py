from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "ggzy.opendata"
    label = "opendata"
    verbose_name = "数据共享 Open data (OCDS, 数据规范, 变更流)"

    def ready(self) -> None:
        # the core stages, tables and feed events; other apps add theirs in their own ready()
        from ggzy.opendata import feed, ocds, procurement, works

        ocds.register_core()
        works.register_core()
        feed.register_core()
        procurement.register()  # 政府采购 550–557 and 517 招标异常情况报告
