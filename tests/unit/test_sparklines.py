"""`stats --watch` sparklines: values scaled to eight bars, gaps left blank."""

from __future__ import annotations

import pytest

from coderouter_supervisor.supervisor.commands.sparklines import render_history, sparkline


@pytest.mark.parametrize(
    ("values", "line"),
    [
        pytest.param([], "", id="empty"),
        pytest.param([0.0, 0.0], "▁▁", id="all-zero"),
        pytest.param([0.0, 1.0, 2.0, 7.0], "▁▂▃█", id="scaled-to-the-peak"),
        pytest.param([None, 3.5, None, 7.0], " ▅ █", id="gaps"),
    ],
)
def test_sparkline(values: list[float | None], line: str) -> None:
    assert sparkline(values) == line


def test_render_history_has_a_line_per_series_with_its_peak() -> None:
    traffic = {
        "requests_per_s": [0.0, 0.5, 1.0],
        "error_rate": [0.0, 0.25, 0.0],
        "latency_ms": {"local": {"p50": [None, 2.0, 4.0], "p95": [None, 3.0, 9.0]}},
        "ttft_ms": {},
        "fallbacks": {"timeout": [0.0, 2.0, 1.0]},
    }
    assert render_history(traffic, "last hour:").splitlines() == [
        "last hour:",
        "  requests/s        ▁▅█  max 1.00/s",
        "  errors            ▁█▁  max 25 %",
        "  local p50          ▅█  max 4 ms",
        "  fallback timeout  ▁█▅  3 in all",
    ]
