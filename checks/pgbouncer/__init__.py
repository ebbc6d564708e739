"""PgBouncer checks: pools and queues, sizing, pool mode, traffic, TLS, version."""
