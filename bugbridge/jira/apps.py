from django.apps import AppConfig


class JiraConfig(AppConfig):
    name = "bugbridge.jira"
    label = "jira"
