"""The store: tables, migrations, the outbox's queries and the small key-value memory."""
