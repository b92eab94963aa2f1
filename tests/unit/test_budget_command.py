"""Which names `budget reset` accepts: pure, over the config's providers and the month's ledger."""

from __future__ import annotations

import pytest

from coderouter_supervisor.supervisor.commands.budget import unknown_ledger


@pytest.mark.parametrize(
    ("provider", "configured", "recorded", "known"),
    [
        pytest.param("metered", ("local", "metered"), (), None, id="configured"),
        pytest.param("gone", ("local",), ("gone",), None, id="removed-but-recorded"),
        pytest.param("key:alice", ("local",), ("key:alice",), None, id="client-key-ledger"),
        pytest.param("nope", ("local", "metered"), ("metered",), "local, metered", id="unknown"),
        pytest.param("nope", (), (), "none", id="nothing-known"),
    ],
)
def test_unknown_ledger(
    provider: str, configured: tuple[str, ...], recorded: tuple[str, ...], known: str | None
) -> None:
    refusal = unknown_ledger(provider, configured, recorded)
    if known is None:
        assert refusal is None
    else:
        assert refusal is not None and refusal.endswith(f"known: {known}") and repr(provider) in refusal
