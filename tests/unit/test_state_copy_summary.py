"""`state copy` says what it copied (and what a target it refuses holds) in countable words."""

from __future__ import annotations

import pytest

from coderouter_supervisor.state import ClientKey, HealthRecord, LedgerEntry, PortableState
from coderouter_supervisor.supervisor.commands.state import describe_portable


@pytest.mark.parametrize(
    ("portable", "said"),
    [
        pytest.param(
            PortableState(),
            "0 ledger entries (0 months), 0 client keys (0 revoked), 0 health records",
            id="empty",
        ),
        pytest.param(
            PortableState(
                ledgers=(
                    LedgerEntry("a", "2026-11"),
                    LedgerEntry("b", "2026-11"),
                    LedgerEntry("a", "2026-12"),
                ),
                keys=(ClientKey("k", "h", 1.0, revoked_at=2.0),),
                health=(HealthRecord("a", "unhealthy", 3, 1.0),),
            ),
            "3 ledger entries (2 months), 1 client key (1 revoked), 1 health record",
            id="some",
        ),
    ],
)
def test_describe_portable(portable: PortableState, said: str) -> None:
    assert describe_portable(portable) == said
