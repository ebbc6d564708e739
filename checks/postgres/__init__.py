"""PostgreSQL checks."""
