"""Server-side EC2 request rate limits: AWS's token buckets, per account, region and API.

Source: "Request throttling for the Amazon EC2 API" (Amazon EC2 developer guide,
https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html):

* "Amazon EC2 throttles EC2 API requests for each AWS account on a per-Region basis";
  "with request rate limiting, each API is evaluated individually [...] Each request that
  you make removes one token from the API's bucket"; "if you exceed an API throttling
  limit, you get the RequestLimitExceeded error code" (HTTP 503, the EC2 error codes page).
* Bucket sizes and refill rates by category: non-mutating actions (Describe*, List*,
  Get*...) 100 tokens, 20 a second; unfiltered and unpaginated non-mutating actions
  (DescribeInstances, DescribeInstanceStatus, DescribeNetworkInterfaces,
  DescribeSecurityGroups, DescribeSnapshots, DescribeSpotInstanceRequests, DescribeVolumes
  called without a filter, id list or page size) 50 tokens, 10 a second; mutating actions
  50 tokens, 5 a second ("uncategorized" actions have the same bucket).

Not emulated: the per-action exceptions AWS grants to some accounts, the resource-token
limits of RunInstances and friends (airgapctl calls none), limits of other services (they
publish none).

Time runs at the account's time scale (``timing.get_scale``), as everything else the
emulator does: at 0.01 a bucket refills 100 times faster, at 0 there is no limit; POST
/_airgap/config {"rate_scale": 1, "account": ID} gives the buckets a scale of their own (AWS's
real limits under a fast time model). The limits are on unless LocalStack was started with
AIRGAP_LS_RATE_LIMITS=0, or turned off with POST /_airgap/config {"rate_limits": false}.
"""

import os
import threading
import time

from localstack.aws.api import CommonServiceException

from . import timing

NON_MUTATING = (100.0, 20.0)
UNFILTERED = (50.0, 10.0)
MUTATING = (50.0, 5.0)
UNFILTERED_OPS = {
    "DescribeInstances",
    "DescribeInstanceStatus",
    "DescribeNetworkInterfaces",
    "DescribeSecurityGroups",
    "DescribeSnapshots",
    "DescribeSpotInstanceRequests",
    "DescribeVolumes",
}

_lock = threading.Lock()
# (account, region, operation, capacity) -> [tokens, last refill (monotonic)]
_BUCKETS: dict[tuple, list] = {}
# (account, operation) -> calls refused
THROTTLED: dict[tuple, int] = {}
# account -> the buckets' own time scale
RATE_SCALES: dict[str, float] = {}
_enabled = os.environ.get("AIRGAP_LS_RATE_LIMITS", "1") not in ("0", "false", "no")


def enabled() -> bool:
    return _enabled


def set_enabled(on: bool) -> None:
    global _enabled
    _enabled = bool(on)


def bucket_of(operation: str, request: dict) -> tuple[float, float]:
    """(capacity, refill per second) of the API's bucket."""
    if operation.startswith(("Describe", "Get", "List", "Search")):
        if operation in UNFILTERED_OPS and not any(
            request.get(k)
            for k in ("Filters", "Filter", "MaxResults", "NextToken")
            + tuple(k for k in request if k.endswith("Ids"))
        ):
            return UNFILTERED
        return NON_MUTATING
    return MUTATING


def set_rate_scale(account: str, scale: float) -> None:
    if scale < 0:
        raise ValueError("rate_scale must be >= 0")
    with _lock:
        RATE_SCALES[account] = float(scale)


def take(account: str, region: str, operation: str, request: dict) -> bool:
    """Takes a token from the API's bucket; False when it is empty (throttled)."""
    with _lock:
        scale = RATE_SCALES.get(account)
    if scale is None:
        scale = timing.get_scale(account)
    if not _enabled or scale <= 0:
        return True
    capacity, rate = bucket_of(operation, request)
    now = time.monotonic()
    # Unfiltered calls of the listed Describes count against a bucket of their own.
    key = (account, region, operation, capacity)
    with _lock:
        b = _BUCKETS.setdefault(key, [capacity, now])
        b[0] = min(capacity, b[0] + (now - b[1]) * rate / scale)
        b[1] = now
        if b[0] >= 1.0:
            b[0] -= 1.0
            return True
        k = (account, operation)
        THROTTLED[k] = THROTTLED.get(k, 0) + 1
        return False


def report() -> dict:
    with _lock:
        out: dict[str, dict[str, int]] = {}
        for (account, op), n in THROTTLED.items():
            out.setdefault(account, {})[op] = n
        return {"enabled": _enabled, "throttled": out, "rate_scales": dict(RATE_SCALES)}


def request_handler(chain, context, response):
    if context.service is None or context.operation is None:
        return
    if context.service.service_name != "ec2":
        return
    if not take(
        context.account_id, context.region, context.operation.name, context.service_request or {}
    ):
        raise CommonServiceException(
            "RequestLimitExceeded", "Request limit exceeded.", status_code=503, sender_fault=False
        )
