"""Users, roles, teams, API tokens and what each role may see and do."""
