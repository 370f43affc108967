"""Atlassian Connect: descriptor, signed lifecycle, JWT in both directions, site binding."""
