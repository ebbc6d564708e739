"""Space: the largest databases and relations, the WAL directory, the archiver."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides

TOP = 10


@provides("postgres", "pg.space")
def space(s, facts) -> dict[str, Any]:
    """The TOP largest databases (pg_database_size: those the role may CONNECT to, or all with
    pg_read_all_stats; others are `hidden`), and of this database the TOP tables (heap), indexes
    and TOAST tables (their own index not counted among the indexes). Relations are ranked by
    relpages (as of their last VACUUM/ANALYZE; a TOAST table's is set by VACUUM only) and only
    those TOP are measured (pg_relation_size locks each one it measures)."""
    dbs = s.query("""
        SELECT datname AS name,
               CASE WHEN has_database_privilege(oid, 'CONNECT')
                         OR pg_has_role('pg_read_all_stats', 'MEMBER')
                    THEN pg_database_size(oid) END AS bytes
        FROM pg_database WHERE datallowconn ORDER BY 2 DESC NULLS LAST LIMIT 1000
    """)
    rel = {}
    for kind, relkind in (("tables", "'r', 'm'"), ("indexes", "'i'"), ("toast", "'t'")):
        rel[kind] = s.query(f"""
            WITH top AS (
                SELECT c.oid, c.relname, c.relnamespace, c.reltuples
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ({relkind}) AND n.nspname <> 'information_schema'
                  AND (n.nspname <> 'pg_catalog' OR c.relkind = 't') AND n.nspname NOT LIKE 'pg_temp%%'
                  AND (c.relkind <> 'i' OR n.nspname NOT LIKE 'pg_toast%%')  -- counted with TOAST
                ORDER BY c.relpages DESC LIMIT %s
            )
            SELECT format('%%I.%%I', n.nspname, top.relname) AS name, pg_relation_size(top.oid) AS bytes,
                   (SELECT format('%%I.%%I', on_.nspname, o.relname) FROM pg_class o
                    JOIN pg_namespace on_ ON on_.oid = o.relnamespace
                    WHERE o.reltoastrelid = top.oid OR o.oid = (SELECT indrelid FROM pg_index
                                                               WHERE indexrelid = top.oid)
                    LIMIT 1) AS owner
            FROM top JOIN pg_namespace n ON n.oid = top.relnamespace
            ORDER BY 2 DESC
        """, (TOP,))
    temp = s.query("""
        SELECT temp_files, temp_bytes,
               extract(epoch FROM now() - coalesce(stats_reset, pg_postmaster_start_time()))::float8
                   AS window_s,
               current_setting('log_temp_files') AS log_temp_files
        FROM pg_stat_database WHERE datname = current_database()
    """)[0]
    return {"database": facts.get("pg.server")["database"], "databases": dbs[:TOP],
            "database_count": len(dbs), "hidden_databases": sum(1 for d in dbs if d["bytes"] is None),
            "temp": temp, **rel}


@provides("postgres", "pg.wal_dir")
def wal_dir(s, facts) -> dict[str, Any]:
    """The WAL directory's files (pg_ls_waldir: pg_monitor), the archive_status backlog
    (.ready files: pg_ls_archive_statusdir, PostgreSQL 12+) and the settings that size it.
    wal_keep_size replaced wal_keep_segments in PostgreSQL 13; pg_stat_wal (WAL written, for
    the rate) exists from PostgreSQL 14."""
    keep = ("pg_size_bytes(current_setting('wal_keep_size')) AS wal_keep_bytes" if s.version_num >= 130000
            else "current_setting('wal_keep_segments')::bigint * pg_size_bytes(current_setting('wal_segment_size'))"
                 " AS wal_keep_bytes")
    # pg_stat_wal (PostgreSQL 14+): WAL written since its reset, for the growth rate
    rate = ("""(SELECT wal_bytes::bigint FROM pg_stat_wal) AS wal_written_bytes,
               (SELECT extract(epoch FROM now() - coalesce(stats_reset, pg_postmaster_start_time()))::float8
                FROM pg_stat_wal) AS wal_stats_window_s""" if s.version_num >= 140000
            else "NULL::bigint AS wal_written_bytes, NULL::float8 AS wal_stats_window_s")
    return s.query(f"""
        SELECT (SELECT count(*) FROM pg_ls_waldir())::int AS files, {rate},
               (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir())::bigint AS bytes,
               (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%%.ready')::int AS ready,
               pg_size_bytes(current_setting('max_wal_size')) AS max_wal_size,
               {keep},
               pg_size_bytes(current_setting('wal_segment_size')) AS segment_bytes
    """)[0]


@provides("postgres", "pg.archiver")
def archiver(s, facts) -> dict[str, Any]:
    """pg_stat_archiver (readable by all) and the archiving settings (archive_library exists
    from PostgreSQL 15)."""
    library = ("current_setting('archive_library')" if s.version_num >= 150000 else "''")
    return s.query(f"""
        SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal,
               last_failed_time, stats_reset,
               extract(epoch FROM now() - last_archived_time)::float8 AS last_archived_age_s,
               extract(epoch FROM now() - last_failed_time)::float8 AS last_failed_age_s,
               current_setting('archive_mode') AS archive_mode,
               current_setting('archive_command') AS archive_command,
               {library} AS archive_library
        FROM pg_stat_archiver
    """)[0]
