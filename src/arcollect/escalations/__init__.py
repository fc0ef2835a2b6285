"""Escalations: the policy and its approval matrix, the actions carried out on approval, instalment plans."""
