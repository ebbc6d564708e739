"""The PostgreSQL targets of the same run (or inventory), put in the fact store by the runner:
their addresses and connection limits, which PgBouncer's pool sizes are judged against."""

from advisor.errors import FactUnavailable
from advisor.facts import provides


@provides("pgbouncer", "pgbouncer.postgres_peers")
def postgres_peers(session, facts):
    """Only read outside a run (the runner always sets it, an empty list without PostgreSQL targets)."""
    raise FactUnavailable("no PostgreSQL target in the same run",
                          "inspect the PostgreSQL behind this PgBouncer in the same run or inventory "
                          "(e.g. advisor run pgbouncer://... postgresql://...)")
