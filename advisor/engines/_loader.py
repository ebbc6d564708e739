"""Import every module of an engine package, so fact providers can live in topic modules."""

from __future__ import annotations

import importlib
import pkgutil


def import_submodules(package_name: str, package_path: list[str]) -> None:
    for info in pkgutil.iter_modules(package_path):
        if info.name.startswith("facts"):
            importlib.import_module(f"{package_name}.{info.name}")
