"""People: roles, permissions, users and their sessions, centres, and the administration of all four."""
