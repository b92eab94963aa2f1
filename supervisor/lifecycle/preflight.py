"""Checks the supervisor makes before starting gunicorn, so a user's mistake is reported
once, clearly, instead of by a worker that fails to boot."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from coderouter_supervisor.state import StateError, state_admin, state_file
from coderouter_supervisor.supervisor.lifecycle.settings import SupervisorSettings
from coderouter_supervisor.worker.config import SupervisorSection
from coderouter_supervisor.worker.ingress import is_loopback

# SQLite before 3.51.3 can corrupt a WAL database when several processes write and
# checkpoint concurrently (the WAL-reset bug; fixed in 3.51.3, backported to 3.44.6, 3.50.7).
_WAL_RESET_FIXED = (3, 51, 3)
_WAL_RESET_BACKPORTS = ((3, 44, 6), (3, 50, 7))


def sqlite_has_wal_reset_bug(version: str) -> bool:
    parts = tuple(int(p) for p in version.split(".")[:3])
    if parts >= _WAL_RESET_FIXED:
        return False
    return not any(parts[:2] == fix[:2] and parts >= fix for fix in _WAL_RESET_BACKPORTS)


@dataclass(frozen=True)
class Refusal:
    """Why `start` will not serve; ``lasting`` when no restart can lift it (the CLI exits 2 then,
    which the systemd units do not restart)."""

    reason: str
    lasting: bool


def bind_refusal(host: str, port: int, exc: OSError) -> Refusal:
    """What a failed bind of ``host:port`` means: a taken port may be freed and an address may
    come up, a privileged port stays privileged."""
    if exc.errno == errno.EADDRINUSE:
        return Refusal(
            f"{host}:{port} is already in use (another gateway? try `coderouter-supervisor status`)", False
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return Refusal(f"{host} is not an address of this machine", False)
    if exc.errno == errno.EACCES:
        return Refusal(f"no permission to bind port {port} (ports below 1024 need privileges)", True)
    return Refusal(f"cannot bind {host}:{port}: {exc.strerror}", False)


def port_problem(host: str, port: int) -> Refusal | None:
    """Why ``host:port`` cannot be bound right now, or None if it can."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except socket.gaierror as exc:  # before OSError: it is one
            return Refusal(f"cannot resolve host {host!r}: {exc}", False)
        except OSError as exc:
            return bind_refusal(host, port, exc)
    return None


def _active_keys(settings: SupervisorSettings) -> int:
    """How many client keys are active; raises ``StateError``. No state file yet (doctor before the
    first start): no keys either."""
    file = state_file(settings.state_db)
    if file is not None and not file.exists():
        return 0
    return sum(key.active for key in state_admin(settings.state_db).read_keys())


def keys_required_notice(
    settings: SupervisorSettings, section: SupervisorSection
) -> dict[str, object] | None:
    """The fields of the ``client-keys-required`` event when keys are in force, else None: once a
    key exists every caller needs one, on loopback too, so a setup that sent any string as its key
    (the quick start's ``ANTHROPIC_API_KEY=anything``) starts getting 401s."""
    if section.auth == "none":
        return None
    try:
        active = _active_keys(settings)
    except StateError:
        return None  # the state file's own problem is reported where the gateway uses it
    if not active:
        return None
    return {
        "active_keys": active,
        "loopback_needs_key": True,
        "hint": "every request, from 127.0.0.1 too, must send a client key (x-api-key or Authorization: "
        "Bearer); give each local agent one from `coderouter-supervisor keys add`",
    }


def auth_refusal(settings: SupervisorSettings, section: SupervisorSection, waived: bool) -> Refusal | None:
    """Why the gateway must not start: listening beyond this machine with nobody's key required."""
    if is_loopback(settings.host) or waived or section.auth == "none":
        return None
    try:
        active = _active_keys(settings)
    except StateError as exc:
        return Refusal(f"cannot check client keys before listening on {settings.host}: {exc}", False)
    if active:
        return None
    return Refusal(
        f"refusing to listen on {settings.host} without client keys: anyone who reaches it could spend "
        "your provider keys. Add one with "
        f"`coderouter-supervisor keys add NAME --state {settings.state_shown}`, "
        "or pass --insecure-no-auth (supervisor.auth: none) if the network is yours alone",
        True,
    )


def open_to_anyone(settings: SupervisorSettings, section: SupervisorSection, waived: bool) -> bool:
    """Whether a non-loopback address will be served without asking for a key: ``auth: none``, or
    ``--insecure-no-auth`` waiving the refusal while no key is active."""
    if is_loopback(settings.host):
        return False
    return section.auth == "none" or (waived and auth_refusal(settings, section, False) is not None)
