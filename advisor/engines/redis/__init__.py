"""Redis engine (also Valkey): connection with timeouts, and read-only fact providers.

Every command the advisor sends to Redis is in the `facts*.py` modules of this
package. None of them writes: no CONFIG SET, no key changes, never KEYS.
"""

from advisor.engines._loader import import_submodules

from .session import close, connect, server_version  # noqa: F401

import_submodules(__name__, __path__)
