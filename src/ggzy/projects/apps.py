from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "ggzy.projects"
    label = "projects"
    verbose_name = "项目 Projects"
