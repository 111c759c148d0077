"""Storage: engines and sessions, table definitions, migrations. Never decides policy."""
