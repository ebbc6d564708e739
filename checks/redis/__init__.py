"""Redis (and Valkey) checks: one module per topic; facts come from advisor/engines/redis."""
