"""Version: a PgBouncer older than the guide's 1.21 (prepared statements in transaction mode)."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import GUIDE, version


@check(id="pgbouncer.versions.before_prepared_statements", title="PgBouncer older than 1.21",
       category="configuration", severity=Severity.INFO,
       reference=GUIDE + " (image pgbouncer/pgbouncer:1.21.0); PgBouncer 1.21.0 release notes",
       facts=["pgbouncer.version", "pgbouncer.config"],
       thresholds={"min_version": Threshold("1.21", "version", GUIDE + " deploys pgbouncer/pgbouncer:1.21.0, the "
                                            "first release with max_prepared_statements")})
def before_prepared_statements(ctx):
    """PgBouncer 1.21 added max_prepared_statements: protocol-level prepared statements (JDBC,
    asyncpg, psycopg's prepare, most ORMs' drivers) work in transaction mode. Older versions make
    them fail there ("prepared statement "S_1" does not exist") unless the driver is told not to
    prepare. Debian 12 ships 1.18."""
    v = version(ctx)
    want = tuple(int(p) for p in str(ctx.threshold("min_version")).split("."))
    if v is None or v >= want:
        return
    mode = ctx.fact("pgbouncer.config")["settings"].get("pool_mode", "session")
    yield ctx.finding(
        object="version",
        summary=f"PgBouncer {'.'.join(map(str, v))} is older than {ctx.threshold('min_version')}: no prepared "
                f"statement support in transaction mode (pool_mode = {mode})",
        evidence={"version": ".".join(map(str, v)), "pool_mode": mode, "fix_kind": "manual"},
        recommendation="Upgrade PgBouncer (the guide runs 1.21.0; upstream packages at apt.postgresql.org / "
                       "the pgbouncer/pgbouncer image), then set max_prepared_statements (e.g. 200) for "
                       "transaction pooling. Until then keep drivers from preparing (JDBC prepareThreshold=0, "
                       "asyncpg statement_cache_size=0).")
