"""MongoDB engine: connection (read-only commands, bounded) and fact providers.

Fact providers live in the `facts*.py` modules of this package; every command
the advisor sends to MongoDB is in those modules and nowhere else.
"""

from advisor.engines._loader import import_submodules

from .session import close, connect, server_version  # noqa: F401

import_submodules(__name__, __path__)
