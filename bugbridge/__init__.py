"""Bugbridge: a self-hosted error inbox that keeps Sentry-style groups and Jira tickets in step."""

__version__ = "0.1.0"
