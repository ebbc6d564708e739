"""Small catalog builders for the index-advisor tests (importable: `from ia_catalog import ...`)."""


def table(name, rows, columns, indexes=(), schema="public"):
    return {"schema": schema, "name": name, "rows": rows,
            "columns": [{"name": c, "type": t, "n_distinct": nd, "null_frac": 0.0} for c, t, nd in columns],
            "indexes": list(indexes)}


PK = {"name": "pkey", "columns": ["id"], "unique": True, "primary": True}
