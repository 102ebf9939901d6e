from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "ggzy.opendata"
    label = "opendata"
    verbose_name = "数据共享 Open data (OCDS, 数据规范, 变更流)"
