from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "ggzy.evaluation"
    label = "evaluation"
    verbose_name = "评标 Evaluation and award (评标, 定标, 中标通知书)"
