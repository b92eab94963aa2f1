"""Pydantic schema and loader for providers.yaml (also used by the supervisor)."""
