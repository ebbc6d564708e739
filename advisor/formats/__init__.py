"""Output formats: name -> "module:function" taking a Report and returning text.

Formats are imported only when chosen, so the headless path stays light.
"""

from __future__ import annotations

import importlib
from typing import Callable

FORMATS: dict[str, str] = {
    "text": "advisor.render_text:render",
    "json": "advisor.formats.json_format:render",
    "markdown": "advisor.formats.markdown:render",
    "sarif": "advisor.formats.sarif:render",
    "openmetrics": "advisor.formats.openmetrics:render",
}


def renderer(name: str) -> Callable:
    module, _, func = FORMATS[name].partition(":")
    return getattr(importlib.import_module(module), func)
