"""Outreach: dunning emails and letters rendered from templates per step and language (issue #5)."""
