"""The embedded store: SQLite with a change log (store.py), its schema and locking (schema.py)
and the API server's rules it applies on write (rules.py)."""
