"""The collections strategy: a versioned YAML playbook and the engine that turns it into actions."""
