from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "ggzy.rules"
    label = "rules"
    verbose_name = "交易规则 Rules"
