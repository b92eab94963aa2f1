from __future__ import annotations

import pytest

from coderouter_supervisor.worker.guards import cooldown_until, in_cooldown, seconds_until_eligible

NOW = 1_750_000_000.0  # wall-clock seconds, like the deadlines workers share


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        pytest.param(None, NOW + 120, id="first-mark"),
        pytest.param(NOW + 30, NOW + 120, id="re-mark-extends"),
        pytest.param(NOW + 500, NOW + 500, id="re-mark-never-shortens"),
        pytest.param(NOW - 10, NOW + 120, id="expired-deadline-replaced"),
    ],
)
def test_cooldown_until(current: float | None, expected: float) -> None:
    assert cooldown_until(NOW, 120, current) == expected


@pytest.mark.parametrize(
    ("until", "now", "cooling", "seconds"),
    [
        pytest.param(None, NOW, False, 0, id="never-marked"),
        pytest.param(NOW + 120, NOW, True, 120, id="fresh"),
        pytest.param(NOW + 120, NOW + 119.2, True, 1, id="fraction-rounds-up"),
        pytest.param(NOW + 120, NOW + 119.999, True, 1, id="at-least-one"),
        pytest.param(NOW + 10.5, NOW, True, 11, id="ceil"),
        pytest.param(NOW + 120, NOW + 120, False, 0, id="deadline-itself-is-eligible"),
        pytest.param(NOW + 120, NOW + 500, False, 0, id="expired"),
    ],
)
def test_cooldown_expiry(until: float | None, now: float, cooling: bool, seconds: int) -> None:
    assert in_cooldown(until, now) is cooling
    assert seconds_until_eligible(until, now) == seconds


def test_mark_then_expire() -> None:
    until = cooldown_until(NOW, 60)
    until = cooldown_until(NOW + 30, 60, until)
    assert in_cooldown(until, NOW + 89)
    assert seconds_until_eligible(until, NOW + 45) == 45
    assert not in_cooldown(until, NOW + 90)
