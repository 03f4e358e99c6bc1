"""Users, organizations, memberships and roles, login, API tokens, the outbox and the audit log."""
