"""Disputes: reason codes, the workflow, action items for the teams that resolve them."""
