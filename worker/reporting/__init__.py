"""What the metric endpoints, the dashboard and ``stats`` read: the instance's metrics and the
dashboard's data, assembled from the state, the config, routing and money."""

from __future__ import annotations

from coderouter_supervisor.worker.reporting.dashboard_data import collect_dashboard, dashboard_history
from coderouter_supervisor.worker.reporting.snapshot import collect_snapshot

__all__ = ["collect_dashboard", "collect_snapshot", "dashboard_history"]
