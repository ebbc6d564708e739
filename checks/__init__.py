"""Built-in checks: one folder per engine, one module per topic."""
