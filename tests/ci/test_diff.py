"""`advisor diff` on real reports: a problem planted between two runs is new, one fixed is
resolved, an unchanged one is neither; bad files are exit 2."""

from __future__ import annotations

import json

from support import one_error_line, subprocess_cli


def report(db, path) -> None:
    p = subprocess_cli("run", "--json", "--fail-on", "never", "--checks", "pg.index.*",
                       "--checks", "pg.config.*", "-o", path, db.url)
    assert p.returncode == 0, p.stderr


def test_new_resolved_and_unchanged_findings(pg_db, tmp_path):
    pg_db.sql("CREATE TABLE t (a int, b int); CREATE INDEX t_a ON t (a); CREATE INDEX t_a2 ON t (a)")
    pg_db.sql(f'ALTER DATABASE "{pg_db.name}" SET enable_seqscan = off')
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    report(pg_db, old)
    pg_db.sql("DROP INDEX t_a2; CREATE TABLE u (x int); CREATE INDEX u_x ON u (x); CREATE INDEX u_x2 ON u (x)")
    report(pg_db, new)

    p = subprocess_cli("diff", "--json", old, new)
    assert p.returncode == 1, p.stderr            # a new warning (the duplicate on u)
    d = json.loads(p.stdout)
    added = {(f["check"], f["object"]) for f in d["new_findings"]}
    resolved = {(f["check"], f["object"]) for f in d["resolved_findings"]}
    assert ("pg.index.duplicate", "public.u_x2") in added or ("pg.index.duplicate", "public.u_x") in added
    assert any(c == "pg.index.duplicate" and o.startswith("public.t_a") for c, o in resolved)
    everything = added | resolved
    assert not any(c == "pg.config.dangerous" for c, _ in everything)   # unchanged: neither

    p = subprocess_cli("diff", old, new, "--fail-on", "never")
    assert p.returncode == 0, p.stderr
    assert f"{len(added)} new, {len(resolved)} resolved, 0 changed" in p.stdout.splitlines()[0]
    assert "NEW" in p.stdout and "RESOLVED" in p.stdout
    assert subprocess_cli("diff", old, old).returncode == 0


def test_bad_files_exit_2(tmp_path):
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps({"snapshot_version": 1, "targets": []}))
    for args, fragment in (([tmp_path / "missing.json", snap], "not found"),
                           ([snap, snap], "not a db-advisor report")):
        p = subprocess_cli("diff", *args)
        assert p.returncode == 2 and fragment in one_error_line(p.stderr)
