"""A gateway whose shared state fails under it: the config that shows it (a budgeted provider before a
free one) and waits on every worker's ``/healthz``."""

from __future__ import annotations

import yaml

from support.fake_upstream import FakeUpstream
from support.gateway_process import Gateway


def faults_config(upstream: FakeUpstream) -> str:
    prices = {"input_tokens_per_million": 1.0, "output_tokens_per_million": 1.0, "monthly_budget_usd": 10.0}
    document = {
        "default_profile": "paid-first",
        "providers": [
            {"name": "paid", "base_url": upstream.openai_base_url, "model": "paid-model", "cost": prices},
            {"name": "free", "base_url": upstream.openai_base_url, "model": "free-model"},
        ],
        "profiles": [
            {"name": "paid-first", "providers": ["paid", "free"]},
            {"name": "paid-only", "providers": ["paid"]},
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def health_of_each(gateway: Gateway) -> dict[int, dict[str, object]]:
    """The latest /healthz of every worker, asked over fresh connections until all answered."""
    answers: dict[int, dict[str, object]] = {}

    def all_answered() -> bool:
        health = gateway.healthz()
        answers[int(str(health["pid"]))] = health
        return len(answers) >= gateway.workers

    gateway.wait_until(all_answered, what="every worker's /healthz")
    return answers


def wait_all_degraded(gateway: Gateway, causes: tuple[str, ...], pid: int | None = None) -> None:
    """Until every worker (or ``pid``) says degraded with one of ``causes`` in its state."""

    def degraded() -> bool:
        for worker, health in health_of_each(gateway).items():
            if pid is not None and worker != pid:
                continue
            if health["status"] != "degraded" or not any(c in str(health["state"]) for c in causes):
                return False
        return True

    gateway.wait_until(degraded, what=f"/healthz degraded with {causes}")


def wait_all_ok(gateway: Gateway) -> None:
    gateway.wait_until(
        lambda: all(h["status"] == "ok" for h in health_of_each(gateway).values()),
        what="every worker's /healthz ok again",
    )
