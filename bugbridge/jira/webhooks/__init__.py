"""Jira webhooks in: verify per way in, store once, dispatch by `webhookEvent`."""
