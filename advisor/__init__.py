"""db-advisor: evidence-backed tuning advice for live databases."""

__version__ = "0.1.0"
