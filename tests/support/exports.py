"""A package's public names, as the export-pinning tests compare them with its ``__all__``."""

from __future__ import annotations

import types


def public_names(package: types.ModuleType) -> set[str]:
    """Every name the package's ``__init__`` binds that is not private, a module or ``annotations``."""
    return {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
