"""Query-aware index advice: parse statement texts (sqlglot), extract per-table
predicates, build candidate indexes and render their DDL.

Pure code: nothing here talks to a database. The engines' facts modules feed it
statements and catalog rows and (PostgreSQL) validate its candidates with HypoPG.
"""
