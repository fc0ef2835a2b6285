"""The assistant: customer replies read offline, facts extracted with their evidence, actions proposed for a person to approve."""
