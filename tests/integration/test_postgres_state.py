"""A gateway whose state lives in PostgreSQL: chosen by flag, environment or yaml, migrated by the
supervisor before any worker starts, and its password never shown or put on a command line."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from coderouter_supervisor.state import SCHEMA_VERSION, state_admin
from coderouter_supervisor.worker.money import month_key

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Reply, Usage
from support.gateway_process import StartGateway, descendants, free_port, run_cli
from support.postgres import PASSWORD, PostgresServer
from support.postgres_databases import fresh_database, postgres

pytestmark = [pytest.mark.integration, pytest.mark.requires("postgresql")]
__all__ = ["postgres"]  # the session's PostgreSQL server, a fixture

USAGE = Usage(input_tokens=10, output_tokens=20)
PRICES = {"input_tokens_per_million": 1000.0, "output_tokens_per_million": 1000.0, "monthly_budget_usd": 5.0}


@pytest.fixture
def database(postgres: PostgresServer, request: pytest.FixtureRequest) -> str:
    return fresh_database(postgres, request)


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream("paid-model") as fake:
        fake.reset(Reply(text="from the paid model", usage=USAGE))
        yield fake


def config(upstream: FakeUpstream, **supervisor: str) -> str:
    provider = {"name": "paid", "base_url": upstream.openai_base_url, "model": "paid-model", "cost": PRICES}
    top = {"supervisor": supervisor} if supervisor else {}
    return providers_yaml([provider], {"default": ["paid"]}, allow_paid=True, **top)


def ask(base_url: str) -> httpx.Response:
    body = {"model": "m", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
    return httpx.post(f"{base_url}/v1/chat/completions", json=body, timeout=30)


def test_workers_share_budgets_in_postgresql_and_the_password_is_never_shown(
    gateway_factory: StartGateway, database: str, upstream: FakeUpstream, tmp_path: Path
) -> None:
    assert PASSWORD in database
    gateway = gateway_factory(config_text=config(upstream), workers=2, state=database)

    for _ in range(4):
        answer = ask(gateway.base_url)
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-coderouter-provider"] == "paid"

    # The supervisor migrated the database; the workers settled every request's spend in it.
    admin = state_admin(database)
    assert admin.describe().schema_version == SCHEMA_VERSION
    [entry] = admin.read_ledger(month_key(time.time()), ("paid",))
    assert entry.requests == 4 and entry.reserved_usd == 0
    assert entry.spent_usd == pytest.approx(4 * 30 * 1000.0 / 1e6)
    assert not (tmp_path / "state").exists()  # no SQLite file was made on the side

    status = gateway.cli("status")
    assert status.returncode == 0, status.stderr
    assert "2 workers alive" in status.stdout
    assert "BOX" in status.stdout
    assert database.replace(f":{PASSWORD}", "") in status.stdout
    admin_status = httpx.get(f"{gateway.admin_url}/status", timeout=10).json()
    assert admin_status["state"] == database.replace(f":{PASSWORD}", "")
    assert {w["box"] for w in admin_status["workers"]} != {None}
    assert admin_status["store"]["kind"] == "postgresql"
    assert admin_status["store"]["schema_version"] == SCHEMA_VERSION

    # The password reaches neither a log line nor any process's command line.
    assert PASSWORD not in gateway.log() + status.stdout + status.stderr + str(admin_status)
    for pid in descendants(gateway.proc.pid):
        assert PASSWORD.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()


def test_libpq_finds_the_password_and_the_yaml_may_name_the_server(
    gateway_factory: StartGateway, database: str, upstream: FakeUpstream, tmp_path: Path
) -> None:
    without_password = database.replace(f":{PASSWORD}", "")
    gateway = gateway_factory(
        config_text=config(upstream), state=without_password, env={"PGPASSWORD": PASSWORD}
    )
    assert ask(gateway.base_url).status_code == 200
    ready = [line for line in gateway.log().splitlines() if '"state-ready"' in line]
    assert ready and '"backend": "postgresql"' in ready[0] and without_password in ready[0]
    [entry] = state_admin(database).read_ledger(month_key(time.time()), ("paid",))
    assert entry.requests == 1

    # `supervisor.state_password_env` names a variable holding it instead.
    named_password = tmp_path / "password-env.yaml"
    named_password.write_text(config(upstream, state=without_password, state_password_env="GW_DB_PASSWORD"))
    listed = run_cli(
        tmp_path, "keys", "list", "--config", str(named_password), env={"GW_DB_PASSWORD": PASSWORD}
    )
    assert listed.returncode == 0, listed.stderr
    unset = run_cli(tmp_path, "keys", "list", "--config", str(named_password))
    assert unset.returncode == 2 and "GW_DB_PASSWORD" in unset.stderr

    # `supervisor.state` in the yaml: a command reaches the same database by it alone.
    named = tmp_path / "named.yaml"
    named.write_text(config(upstream, state=without_password))
    added = run_cli(
        tmp_path, "keys", "add", "from-yaml", "--config", str(named), env={"PGPASSWORD": PASSWORD}
    )
    assert added.returncode == 0, added.stderr
    assert [key.name for key in state_admin(database).read_keys()] == ["from-yaml"]


def test_an_unreachable_server_stops_the_start_with_the_password_masked(
    gateway_factory: StartGateway, postgres: PostgresServer, upstream: FakeUpstream
) -> None:
    nowhere = f"postgresql://coderouter:{PASSWORD}@127.0.0.1:{free_port()}/coderouter"
    gateway = gateway_factory(config_text=config(upstream), state=nowhere, wait=False)
    assert gateway.proc.wait(60) == 1
    log = gateway.log()
    assert "cannot connect" in log
    assert PASSWORD not in log
