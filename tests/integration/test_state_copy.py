"""`state copy` moves a gateway from its SQLite file to PostgreSQL and back: the spend of every month,
the client keys (revoked ones too) and provider health arrive whole, a filled target is refused unless
``--force``, and a gateway started on the copy honours the keys and budgets it had."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from coderouter_supervisor.state import state_admin
from coderouter_supervisor.worker.money import month_key

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Reply, Usage
from support.gateway_process import StartGateway, run_cli
from support.postgres import PASSWORD, PostgresServer
from support.postgres_databases import fresh_database, postgres

pytestmark = [pytest.mark.integration, pytest.mark.requires("postgresql")]
__all__ = ["postgres"]  # the session's PostgreSQL server, a fixture

PRICES = {"input_tokens_per_million": 1000.0, "output_tokens_per_million": 1000.0, "monthly_budget_usd": 5.0}


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream("paid-model") as fake:
        fake.reset(Reply(text="paid answer", usage=Usage(input_tokens=10, output_tokens=20)))
        yield fake


def ask(base_url: str, key: str) -> httpx.Response:
    body = {"model": "m", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"authorization": f"Bearer {key}"}
    return httpx.post(f"{base_url}/v1/chat/completions", json=body, headers=headers, timeout=30)


def test_a_state_file_moves_to_postgresql_and_back(
    gateway_factory: StartGateway,
    postgres: PostgresServer,
    request: pytest.FixtureRequest,
    upstream: FakeUpstream,
    tmp_path: Path,
) -> None:
    provider = {"name": "paid", "base_url": upstream.openai_base_url, "model": "paid-model", "cost": PRICES}
    text = providers_yaml([provider], {"default": ["paid"]}, allow_paid=True)
    state_file = str(tmp_path / "state" / "state.db")
    added = run_cli(tmp_path, "keys", "add", "team", "--state", state_file)
    assert added.returncode == 0, added.stderr
    team = added.stdout.strip()
    assert run_cli(tmp_path, "keys", "add", "gone", "--state", state_file).returncode == 0
    assert run_cli(tmp_path, "keys", "revoke", "gone", "--state", state_file).returncode == 0

    on_file = gateway_factory(config_text=text)
    for _ in range(3):
        assert ask(on_file.base_url, team).status_code == 200
    on_file.shut_down()
    month = month_key(time.time())
    [spent] = state_admin(state_file).read_ledger(month, ("paid",))

    url = fresh_database(postgres, request)
    copied = run_cli(tmp_path, "state", "copy", "--from", state_file, "--to", url)
    assert copied.returncode == 0, copied.stderr
    assert "2 client keys (1 revoked)" in copied.stdout
    assert PASSWORD not in copied.stdout + copied.stderr
    assert state_admin(url).read_portable() == state_admin(state_file).read_portable()

    # A second copy would overwrite what is there now: refused without --force, nothing touched.
    again = run_cli(tmp_path, "state", "copy", "--from", state_file, "--to", url)
    assert again.returncode == 2
    assert "--force" in again.stderr and PASSWORD not in again.stderr
    forced = run_cli(tmp_path, "state", "copy", "--from", state_file, "--to", url, "--force")
    assert forced.returncode == 0, forced.stderr

    # The gateway on PostgreSQL knows the keys and carries the month's spend on.
    on_server = gateway_factory(config_text=text, state=url)
    assert ask(on_server.base_url, team).status_code == 200
    [carried] = state_admin(url).read_ledger(month, ("paid",))
    assert carried.requests == spent.requests + 1
    assert carried.spent_usd == pytest.approx(spent.spent_usd * 4 / 3)
    on_server.shut_down()

    back = tmp_path / "back" / "state.db"
    returned = run_cli(tmp_path, "state", "copy", "--from", url, "--to", str(back))
    assert returned.returncode == 0, returned.stderr
    assert state_admin(back).read_portable() == state_admin(url).read_portable()
