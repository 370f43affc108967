"""The issue panel Jira shows next to a ticket: every linked group with its live figures."""
