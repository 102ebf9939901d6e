from django.apps import AppConfig


class TenderingConfig(AppConfig):
    name = "ggzy.tendering"
    label = "tendering"
    verbose_name = "招标投标 Tendering"
