"""The generic-plan paths of the HypoPG validation that the local PG15 cannot exercise
(EXPLAIN (GENERIC_PLAN) on PG16+) and the PREPARE fallbacks, on a scripted session."""

from __future__ import annotations

import psycopg

from advisor.engines.postgres.facts_index_advisor import _Explainer


class ScriptedSession:
    def __init__(self, version_num, fail_untyped=False):
        self.version_num = version_num
        self.fail_untyped = fail_untyped
        self.sent: list[str] = []

    def query(self, sql, params=None):
        self.sent.append(sql)
        if sql.startswith("PREPARE db_advisor_ia AS") and self.fail_untyped:
            raise psycopg.errors.IndeterminateDatatype("could not determine data type of parameter $2")
        if sql.startswith("EXPLAIN"):
            return [{"QUERY PLAN": [{"Plan": {"Total Cost": 12.5, "Plans": [
                {"Index Name": "<1>btree_t_a", "Total Cost": 4.0}]}}]}]
        return []


def test_pg16_uses_explain_generic_plan_without_prepare():
    s = ScriptedSession(160004)
    cost, used = _Explainer(s, "SELECT * FROM t WHERE a = $1", ["integer"]).cost()
    assert (cost, used) == (12.5, {"<1>btree_t_a"})
    assert s.sent == ["EXPLAIN (GENERIC_PLAN, FORMAT JSON) SELECT * FROM t WHERE a = $1"]


def test_pg15_prepares_with_catalog_types_when_inference_fails_and_always_deallocates():
    s = ScriptedSession(150020, fail_untyped=True)
    ex = _Explainer(s, "SELECT * FROM t WHERE a = $1 AND $2 IS NULL", ["integer", "unknown"])
    assert ex.cost()[0] == 12.5
    prepares = [q for q in s.sent if q.startswith("PREPARE")]
    assert prepares == ["PREPARE db_advisor_ia AS SELECT * FROM t WHERE a = $1 AND $2 IS NULL",
                        "PREPARE db_advisor_ia(integer, unknown) AS SELECT * FROM t WHERE a = $1 AND $2 IS NULL"]
    assert "EXPLAIN (FORMAT JSON) EXECUTE db_advisor_ia(NULL, NULL)" in s.sent
    assert s.sent[-1] == "DEALLOCATE db_advisor_ia"
    # the working form is remembered: the next EXPLAIN prepares once
    s.sent.clear()
    ex.cost()
    assert [q for q in s.sent if q.startswith("PREPARE")] == \
        ["PREPARE db_advisor_ia(integer, unknown) AS SELECT * FROM t WHERE a = $1 AND $2 IS NULL"]
    assert not any("ANALYZE" in q for q in s.sent)   # never executes the statement
