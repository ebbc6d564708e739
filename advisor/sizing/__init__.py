"""The guide's sizing formulas: one source of truth for `advisor size` and the config checks."""
