"""PgBouncer engine: a read-only session on the admin console and fact providers.

Every command the advisor sends to PgBouncer is a `SHOW` in the `facts_*.py` modules of this
package, through `BouncerSession.show`, which refuses anything but the read-only SHOW commands:
never PAUSE, RELOAD, KILL or SET.
"""

from advisor.engines._loader import import_submodules

from .session import close, connect, server_version  # noqa: F401

import_submodules(__name__, __path__)
