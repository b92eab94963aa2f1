"""providers.yaml text for tests, built from plain dicts so each test states only what matters to it."""

from __future__ import annotations

from typing import Any

import yaml


def providers_yaml(providers: list[dict[str, Any]], profiles: dict[str, list[str]], **top: Any) -> str:
    """A config with these providers and ``profiles`` (name → provider names); ``top`` adds top-level keys."""
    document: dict[str, Any] = {
        **top,
        "providers": providers,
        "profiles": [{"name": name, "providers": chain} for name, chain in profiles.items()],
    }
    document.setdefault("default_profile", next(iter(profiles)))
    return yaml.safe_dump(document, sort_keys=False)
