"""What a PostgreSQL state location shows of itself: everything libpq needs, never the password."""

from __future__ import annotations

import pytest

from coderouter_supervisor.state.postgres_connection import PostgresLocation


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        pytest.param(
            "postgresql://gateway:s3cret@db.lan:5432/coderouter",
            "postgresql://gateway@db.lan:5432/coderouter",
            id="password-in-userinfo",
        ),
        pytest.param(
            "postgresql://gateway@db.lan/coderouter?password=s3cret&sslmode=verify-full",
            "postgresql://gateway@db.lan/coderouter?sslmode=verify-full",
            id="password-in-query",
        ),
        pytest.param(
            "postgresql://db.lan/coderouter?sslmode=require&sslrootcert=/etc/ca.pem",
            "postgresql://db.lan/coderouter?sslmode=require&sslrootcert=%2Fetc%2Fca.pem",
            id="no-user-tls-options-kept",
        ),
        pytest.param(
            "postgresql://gateway:p%40ss@[::1]:5433/coderouter",
            "postgresql://gateway@[::1]:5433/coderouter",
            id="ipv6-and-escaped-password",
        ),
    ],
)
def test_the_shown_location_drops_the_password_and_keeps_the_rest(url: str, shown: str) -> None:
    location = PostgresLocation(url)
    assert location.shown == shown
    assert str(location) == shown and "s3cret" not in repr(location)
    assert location.url == url  # libpq gets the URL untouched


def test_driver_messages_are_scrubbed_of_the_password() -> None:
    location = PostgresLocation("postgresql://gateway:s3cret@db.lan/coderouter")
    error = location.unavailable(
        "cannot connect", RuntimeError("bad conninfo 'password=s3cret'"), whole_store=True
    )
    assert "s3cret" not in str(error)
    assert str(error).startswith("postgresql://gateway@db.lan/coderouter: cannot connect")
    assert error.whole_file
