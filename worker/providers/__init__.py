"""Upstream adapters over the worker's one shared httpx.AsyncClient."""
