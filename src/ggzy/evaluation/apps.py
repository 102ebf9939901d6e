from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "ggzy.evaluation"
    label = "evaluation"
    verbose_name = "评标 Evaluation and award (评标, 定标, 中标通知书)"

    def ready(self) -> None:
        # the OCDS award stage, data-spec tables 508/510/511/513 and the public feed events
        from ggzy.evaluation import opendata

        opendata.register()
