"""Time model: real AWS durations (seconds) for asynchronous state transitions.

The durations are airgapctl's catalogue (crates/airgap-catalog), generated into
``timings.json`` beside this file; a Rust test fails when the two differ, so the emulator and
the engine never disagree on how long AWS takes. Their sources are in
/work/shared/reference/aws-timings.md ("unverified" there: an estimate, said so in the
catalogue).

The effective delay of a transition is ``duration * scale``. The scale comes from the
environment variable AIRGAP_LS_TIME_SCALE (default 0 = instant) and can be changed at runtime
through POST /_airgap/config {"time_scale": 0.01}.
"""

import json
import logging
import os
import threading
from pathlib import Path

LOG = logging.getLogger(__name__)

# kind -> {"create": s, "update": s, "delete": s}, from the catalogue
CATALOGUE: dict[str, dict[str, float]] = json.loads(
    (Path(__file__).with_name("timings.json")).read_text()
)

# The extension's names for the kinds it models, where they differ from the catalogue's.
_ALIASES = {
    "network-firewall": "firewall",
    "vpc-endpoint": "vpc-endpoint-interface",
}


def _durations() -> dict[tuple[str, str], float]:
    out = {}
    for kind, phases in CATALOGUE.items():
        for phase, seconds in phases.items():
            out[(kind, phase)] = float(seconds)
    for alias, kind in _ALIASES.items():
        for phase, seconds in CATALOGUE[kind].items():
            out[(alias, phase)] = float(seconds)
    # The owner's acceptance of a cross-account attachment is the accepter kind's create.
    out[("tgw-attachment", "accept")] = float(CATALOGUE["tgw-attachment-accepter"]["create"])
    # Not a kind of the catalogue: an interface endpoint's network interfaces outlive the
    # endpoint (unverified, ~1 min), which is what keeps its subnet from being deleted.
    out[("vpc-endpoint", "release")] = 60.0
    # Not kinds of the catalogue either: AWS Client VPN (client_vpn.py). Fixed, short delays
    # of our own, scaled like every other duration; they are NOT AWS's durations (an
    # association took 8-11 minutes in terraform-provider-aws's acceptance runs, PR #7030
    # and #7564), so a catalogue kind, when airgapctl gets one, should replace them.
    for kind, create, delete in (
        ("client-vpn-endpoint", 0.0, 10.0),
        ("client-vpn-association", 30.0, 30.0),
        ("client-vpn-route", 5.0, 5.0),
        ("client-vpn-rule", 5.0, 5.0),
        ("client-vpn-crl", 5.0, 0.0),
    ):
        out[(kind, "create")] = create
        out[(kind, "delete")] = delete
    # Not kinds of the catalogue either (yet): Route 53 Resolver endpoints (resolver.py)
    # and load balancers (elbv2.py). No public figure was found for either ("unverified"
    # in the sense of /work/shared/reference/aws-timings.md): a resolver endpoint's
    # CREATING, UPDATING (an IP address associated or removed) and DELETING take minutes
    # (terraform-provider-aws waits for each with a 10 min timeout and a 10 s delay);
    # a load balancer is "provisioning" before "active". A catalogue kind, when airgapctl
    # gets one, should replace these.
    for kind, create, update, delete in (
        ("resolver-endpoint", 120.0, 60.0, 120.0),
        ("load-balancer", 180.0, 0.0, 0.0),
    ):
        out[(kind, "create")] = create
        out[(kind, "update")] = update
        out[(kind, "delete")] = delete
    # Not a kind of the catalogue either: an ECR basic image scan, IN_PROGRESS until COMPLETE
    # (ecr_registry.py). No AWS figure found (the ECR user guide gives none): 60 s of ours,
    # unverified; a catalogue kind, when airgapctl gets one, should replace it.
    out[("ecr-image-scan", "create")] = 60.0
    # Not a kind of the catalogue either: a DynamoDB table CREATING until ACTIVE (dynamodb.py;
    # botocore CreateTable: "an asynchronous operation"). No AWS figure found: 10 s of ours,
    # unverified; a catalogue kind, when airgapctl gets one, should replace it.
    out[("dynamodb-table", "create")] = 10.0
    return out


# (kind, phase) -> seconds in real AWS
DURATIONS: dict[tuple[str, str], float] = _durations()

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
