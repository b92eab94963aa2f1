"""`doctor`'s verdicts on the machine the gateway runs on: Python, SQLite, state file, disk, bind.

Pure, like ``doctor_checks``: the command gathers the facts and these functions judge them.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from coderouter_supervisor.supervisor.commands.doctor.results import CheckResult, Verdict

NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb", "smb3", "smbfs", "fuse.sshfs", "9p", "ceph", "glusterfs", "afs", "davfs"}
)
DISK_FAIL_BYTES = 50 * 1024 * 1024
DISK_WARN_BYTES = 500 * 1024 * 1024


def judge_python(version: tuple[int, int, int]) -> CheckResult:
    text = ".".join(str(p) for p in version)
    if version < (3, 11, 0):
        return CheckResult("python", "FAIL", f"Python {text}", "use Python 3.11 or newer")
    return CheckResult("python", "OK", f"Python {text}")


def judge_sqlite(version: str, workers: int, *, wal_reset_bug: bool, protection: str) -> CheckResult:
    """``wal_reset_bug``: this library has the WAL-reset bug (``preflight.sqlite_has_wal_reset_bug``);
    ``protection``: how the instance checkpoints (``wal_keeper.describe_protection``), which keeps
    it safe either way."""
    plural = "s" if workers != 1 else ""
    library = "has the WAL-reset bug (fixed in 3.51.3), kept safe: " if wal_reset_bug else ""
    return CheckResult("sqlite", "OK", f"SQLite {version}, {workers} worker{plural}: {library}{protection}")


@dataclass(frozen=True)
class WriteRefusal:
    """A write the state file needs was refused: at ``path`` (the file, or a file beside it), with
    ``errno`` and its ``strerror``."""

    path: str
    errno: int
    strerror: str


def _refused_write(state: str, refusal: WriteRefusal, move: str) -> CheckResult:
    """Name the cause the kernel gave: a full disk, a read-only mount, an immutable file, permissions."""
    at = refusal.path
    if refusal.errno in (errno.ENOSPC, errno.EDQUOT):
        full = "is full" if refusal.errno == errno.ENOSPC else "is over its quota"
        return CheckResult(
            "state file",
            "FAIL",
            f"{state} cannot grow: the disk holding it {full}",
            f"free some space, or {move}",
        )
    if refusal.errno == errno.EROFS:
        return CheckResult(
            "state file",
            "FAIL",
            f"{state} is on a read-only file system",
            f"remount it read-write, or {move}",
        )
    if refusal.errno == errno.EPERM:  # root included: on Linux, the immutable or append-only flag
        return CheckResult(
            "state file",
            "FAIL",
            f"{at} is immutable (chattr +i) or append-only: nobody may write it, root included",
            f"`chattr -i -a {at}`, or {move}",
        )
    if refusal.errno == errno.EACCES:
        return CheckResult(
            "state file",
            "FAIL",
            f"{at} is not writable by this user",
            f"fix the permissions of {state} and its directory, or {move}",
        )
    return CheckResult("state file", "FAIL", f"cannot write {at}: {refusal.strerror}", move)


def judge_state_location(state: str, fstype: str | None, refusal: WriteRefusal | None) -> CheckResult:
    """``fstype``: the filesystem type holding the state file's directory (None when unknown);
    ``refusal``: why a write the state file needs failed, or None when writing works."""
    move = "choose a state file on a local disk: --state PATH (or supervisor.state)"
    if fstype is not None and fstype.lower() in NETWORK_FILESYSTEMS:
        return CheckResult(
            "state file", "FAIL", f"{state} is on {fstype}: SQLite WAL needs a local filesystem", move
        )
    if refusal is not None:
        return _refused_write(state, refusal, move)
    on = f" ({fstype})" if fstype else ""
    return CheckResult("state file", "OK", f"{state}{on}, writable")


def _size(n: int) -> str:
    return f"{n / (1024 * 1024 * 1024):.1f} GiB" if n >= 1024**3 else f"{n // (1024 * 1024)} MiB"


def judge_free_disk(where: str, free_bytes: int) -> CheckResult:
    if free_bytes < DISK_FAIL_BYTES:
        verdict: Verdict = "FAIL"
    elif free_bytes < DISK_WARN_BYTES:
        verdict = "WARN"
    else:
        return CheckResult("free disk", "OK", f"{_size(free_bytes)} free at {where}")
    return CheckResult(
        "free disk",
        verdict,
        f"only {_size(free_bytes)} free at {where}: budgets and metrics stop being recorded when it fills",
        "free some space, or move the state file with --state",
    )


def judge_bind(bind: str, *, loopback: bool, auth_off: bool, refusal: str | None) -> CheckResult:
    """``refusal``: why ``start`` would refuse to listen (``preflight.auth_refusal``), or None."""
    if refusal is not None:
        return CheckResult("bind and auth", "FAIL", refusal, "add a client key, or bind 127.0.0.1")
    if loopback:
        return CheckResult("bind and auth", "OK", f"{bind}: this machine only")
    if auth_off:
        return CheckResult(
            "bind and auth",
            "WARN",
            f"{bind} with client auth off (supervisor.auth: none): anyone who reaches it spends your keys",
            "add keys with `coderouter-supervisor keys add NAME` and remove supervisor.auth: none",
        )
    return CheckResult("bind and auth", "OK", f"{bind}: client keys required")
