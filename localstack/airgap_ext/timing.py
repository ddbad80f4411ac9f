"""Time model: real AWS durations (seconds) for asynchronous state transitions.

Figures come from /work/shared/reference/aws-timings.md. Entries marked "unverified" there have
no public figure; the value used here is a sensible guess, noted per line.

The effective delay of a transition is ``duration * scale``. The scale comes from the
environment variable AIRGAP_LS_TIME_SCALE (default 0 = instant) and can be changed at runtime
through POST /_airgap/config {"time_scale": 0.01}.
"""

import logging
import os
import threading

LOG = logging.getLogger(__name__)

# (kind, phase) -> seconds in real AWS
DURATIONS: dict[tuple[str, str], float] = {
    ("eks-cluster", "create"): 600.0,  # 9-16 min, "9 min or less on average"
    ("eks-cluster", "delete"): 900.0,  # ~15 min
    ("eks-cluster", "update"): 600.0,  # version/config updates: unverified, ~10 min
    ("eks-nodegroup", "create"): 120.0,  # 1m20s - 3 min for small groups
    ("eks-nodegroup", "delete"): 180.0,  # unverified (minutes)
    ("eks-nodegroup", "update"): 300.0,  # unverified
    ("eks-addon", "create"): 90.0,  # unverified (~1-2 min)
    ("eks-addon", "delete"): 60.0,  # unverified
    ("eks-addon", "update"): 60.0,  # unverified
    ("network-firewall", "create"): 360.0,  # ~6 min to READY
    ("network-firewall", "delete"): 1260.0,  # ~21 min
    ("network-firewall", "update"): 60.0,  # subnet/policy association: unverified
    ("transit-gateway", "create"): 150.0,  # unverified (~2-3 min)
    ("transit-gateway", "delete"): 120.0,  # unverified
    ("tgw-attachment", "create"): 60.0,  # unverified (~1 min)
    ("tgw-attachment", "accept"): 60.0,  # unverified (~1 min)
    ("tgw-attachment", "delete"): 60.0,  # unverified (~1 min)
    ("nat-gateway", "create"): 107.0,  # ~1m47s
    ("nat-gateway", "delete"): 240.0,  # ~4 min incl. EIP release
    ("vpc-endpoint", "create"): 90.0,  # unverified (~1-2 min)
    ("vpc-endpoint", "delete"): 120.0,  # "a few minutes"
    ("vpc-endpoint", "release"): 60.0,  # its ENIs outlive the endpoint: unverified (~1 min)
}

_lock = threading.Lock()
_scale = None  # type: float | None
# per-account overrides (POST /_airgap/config {"time_scale": x, "account": "..."}), so parallel
# tests can use different scales against one LocalStack
ACCOUNT_SCALES: dict[str, float] = {}
# the account of the request being served (set by the gateway handler in extension.py)
_current = threading.local()


def set_current_account(account):
    _current.account = account


def _env_scale() -> float:
    raw = os.environ.get("AIRGAP_LS_TIME_SCALE", "0") or "0"
    try:
        value = float(raw)
    except ValueError:
        LOG.warning("invalid AIRGAP_LS_TIME_SCALE=%r, using 0", raw)
        return 0.0
    return max(0.0, value)


def get_scale(account=None) -> float:
    global _scale
    account = account or getattr(_current, "account", None)
    with _lock:
        if account and account in ACCOUNT_SCALES:
            return ACCOUNT_SCALES[account]
        if _scale is None:
            _scale = _env_scale()
        return _scale


def global_scale() -> float:
    get_scale("-")  # initialise from the environment
    return _scale


def set_scale(value: float, account=None) -> None:
    global _scale
    if value < 0:
        raise ValueError("time_scale must be >= 0")
    with _lock:
        if account:
            ACCOUNT_SCALES[account] = float(value)
        else:
            _scale = float(value)


def delay(kind: str, phase: str) -> float:
    """Effective delay in seconds for a transition."""
    return DURATIONS[(kind, phase)] * get_scale()


def after(kind: str, phase: str, fn) -> float:
    """Run ``fn`` once the (scaled) duration of (kind, phase) has elapsed.

    With a scale of 0 ``fn`` runs synchronously before returning, so state is final when the
    API call that started the transition answers. Returns the delay used.
    """
    seconds = delay(kind, phase)
    if seconds <= 0:
        _safe(fn)
        return 0.0
    timer = threading.Timer(seconds, _safe, args=(fn,))
    timer.daemon = True
    timer.start()
    return seconds


def _safe(fn):
    try:
        fn()
    except Exception:  # a transition must never kill the timer thread silently
        LOG.exception("airgap: state transition failed")
