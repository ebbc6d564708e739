"""Data files shipped with the advisor (versions.toml)."""
