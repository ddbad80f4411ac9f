"""Fault injection: rules managed through /_airgap/faults, applied in the gateway handler chain.

A rule (JSON):
  {"service": "ec2", "operation": "CreateVpc", "fault": "throttling", "count": 2}
Fields:
  service      botocore service name (ec2, eks, ram, network-firewall, ...), required
  operation    operation name, "*" (default) for every operation of the service, or a
               prefix ending in "*" ("Create*")
  fault        throttling | server_error | unavailable | delay | connection_drop |
               response_lost | not_found_after_create | dependency_violation
  count        fail the next N matching calls (default 1 unless probability is given)
  probability  fail each matching call with this probability (0..1); with count, at most N times
  seed         seeds the rule's own random stream (probability draws), so a run under random
               faults can be reproduced; without it the stream is seeded from the OS
  account      only calls from this account id (recommended for parallel tests)
  region       only calls to this region
  delay_ms     for "delay": milliseconds to wait before answering normally
  duration_ms  for "not_found_after_create": how long reads answer NotFound after the create
  affected_operations  for "not_found_after_create": operations that answer NotFound
               (default: any call whose parameters name a resource the create returned,
               outside filters, which is how EC2's eventual consistency shows)
  affected_service     for "not_found_after_create": service whose calls answer NotFound
               (default: the rule's service), e.g. ram AcceptResourceShareInvitation ->
               ec2 CreateTransitGatewayVpcAttachment
  code, message, status  override the error that is returned
"""

import heapq
import itertools
import logging
import random
import re
import threading
import time

from localstack.aws.api import CommonServiceException

LOG = logging.getLogger(__name__)

FAULTS = (
    "throttling",
    "server_error",
    "unavailable",
    "delay",
    "connection_drop",
    "response_lost",
    "not_found_after_create",
    "dependency_violation",
)

# default (code, http status) per fault and service. Sources:
# - EC2 API reference, "Error codes for the Amazon EC2 API": RequestLimitExceeded (503,
#   "Request limit exceeded"), InternalError (500), Unavailable (503, "The server is
#   overloaded and can't handle the request").
# - botocore models (status from the shape's httpStatusCode, else the JSON protocol's 400
#   for client and 500 for server faults): eks ServerException (500); ram
#   ThrottlingException (429), ServerInternalException (500) and
#   ServiceUnavailableException (503); network-firewall ThrottlingException (400, "Unable
#   to process the request due to throttling limitations") and InternalServerError (500);
#   kms KMSInternalException (500); logs ServiceUnavailableException (500); ecr
#   ServerException (500); iam ServiceFailureException (code ServiceFailure, 500).
# - EKS throttling: "An error occurred (TooManyRequestsException) when calling the
#   DescribeCluster operation (reached max retries: 4): Too Many Requests", recorded in
#   awslabs/amazon-eks-ami pull request 218 and issue 999.
# - IAM and STS (query protocol) answer throttling with the common error "Throttling"
#   (400) and outages with "ServiceUnavailable" (503), as in AWS's "Common Errors" page;
#   the JSON services' common codes are ThrottlingException (400) and
#   ServiceUnavailableException (503).
ERRORS = {
    "throttling": {
        "ec2": ("RequestLimitExceeded", 503),
        "eks": ("TooManyRequestsException", 429),
        "ram": ("ThrottlingException", 429),
        "iam": ("Throttling", 400),
        "sts": ("Throttling", 400),
        "*": ("ThrottlingException", 400),
    },
    "server_error": {
        "ec2": ("InternalError", 500),
        "eks": ("ServerException", 500),
        "ram": ("ServerInternalException", 500),
        "network-firewall": ("InternalServerError", 500),
        "kms": ("KMSInternalException", 500),
        "iam": ("ServiceFailure", 500),
        "ecr": ("ServerException", 500),
        "logs": ("ServiceUnavailableException", 500),
        "*": ("InternalFailure", 500),
    },
    "unavailable": {
        "ec2": ("Unavailable", 503),
        "ram": ("ServiceUnavailableException", 503),
        "iam": ("ServiceUnavailable", 503),
        "sts": ("ServiceUnavailable", 503),
        "*": ("ServiceUnavailableException", 503),
    },
    "dependency_violation": {
        "ec2": ("DependencyViolation", 400),
        "eks": ("ResourceInUseException", 409),
        "network-firewall": ("InvalidOperationException", 400),
        "ram": ("OperationNotPermittedException", 400),
        "*": ("DependencyViolation", 400),
    },
    "not_found": {
        "eks": ("ResourceNotFoundException", 404),
        "network-firewall": ("ResourceNotFoundException", 400),
        "ram": ("UnknownResourceException", 400),
        "*": ("ResourceNotFoundException", 400),
    },
}

EC2_NOT_FOUND = {
    "CreateVpc": "InvalidVpcID.NotFound",
    "CreateSubnet": "InvalidSubnetID.NotFound",
    "CreateSecurityGroup": "InvalidGroup.NotFound",
    "CreateRouteTable": "InvalidRouteTableID.NotFound",
    "CreateInternetGateway": "InvalidInternetGatewayID.NotFound",
    "CreateNatGateway": "NatGatewayNotFound",
    "CreateVpcEndpoint": "InvalidVpcEndpointId.NotFound",
    "CreateTransitGateway": "InvalidTransitGatewayID.NotFound",
    "CreateTransitGatewayVpcAttachment": "InvalidTransitGatewayAttachmentID.NotFound",
    "CreateTransitGatewayRouteTable": "InvalidRouteTableID.NotFound",
    "AllocateAddress": "InvalidAllocationID.NotFound",
    # RAM acceptance -> the shared transit gateway is not visible yet (up to ~60 s in AWS)
    "AcceptResourceShareInvitation": "InvalidTransitGatewayID.NotFound",
    "CreateResourceShare": "InvalidTransitGatewayID.NotFound",
    "AssociateResourceShare": "InvalidTransitGatewayID.NotFound",
    "CreateNetworkInterface": "InvalidNetworkInterfaceID.NotFound",
}

_lock = threading.Lock()
_ids = itertools.count(1)
RULES: list[dict] = []
# RULES by (service, account or None), each list in RULES' order: a request looks at the
# rules of its own service and account (and those of any account) only. A chaos test adds
# thousands of rules, and scanning them all twice per request took a sixth of the
# server's time.
_INDEX: dict[tuple, list[dict]] = {}
# active NotFound windows: dicts with service, account, region, until, operations, code, status
WINDOWS: list[dict] = []


def _default_error(fault, service):
    table = ERRORS[fault]
    return table.get(service, table["*"])


def add_rule(data: dict) -> dict:
    if not isinstance(data, dict):
        raise ValueError("rule must be a JSON object")
    if not data.get("service"):
        raise ValueError("'service' is required")
    fault = data.get("fault")
    if fault not in FAULTS:
        raise ValueError(f"'fault' must be one of {', '.join(FAULTS)}")
    prob = data.get("probability")
    if prob is not None and not (0 <= float(prob) <= 1):
        raise ValueError("'probability' must be between 0 and 1")
    count = data.get("count")
    if count is None and prob is None:
        count = 1
    if count is not None and int(count) < 0:
        raise ValueError("'count' must be >= 0")
    if fault == "delay" and int(data.get("delay_ms", 0)) <= 0:
        raise ValueError("'delay_ms' > 0 is required for the delay fault")
    if fault == "not_found_after_create" and int(data.get("duration_ms", 0)) <= 0:
        raise ValueError("'duration_ms' > 0 is required for not_found_after_create")
    rule = {
        "id": str(next(_ids)),
        "service": data["service"],
        "operation": data.get("operation") or "*",
        "fault": fault,
        "count": None if count is None else int(count),
        "probability": None if prob is None else float(prob),
        "account": data.get("account"),
        "region": data.get("region"),
        "delay_ms": int(data.get("delay_ms", 0)),
        "duration_ms": int(data.get("duration_ms", 0)),
        "affected_operations": data.get("affected_operations"),
        "affected_service": data.get("affected_service"),
        "code": data.get("code"),
        "message": data.get("message"),
        "status": data.get("status"),
        "seed": data.get("seed"),
        "hits": 0,
    }
    # Each rule draws from its own stream: rules of parallel tests do not disturb each
    # other's sequence, and a seed replays one.
    rule["_rng"] = random.Random(rule["seed"])
    with _lock:
        RULES.append(rule)
        _INDEX.setdefault((rule["service"], rule["account"] or None), []).append(rule)
    return _public(rule)


def _public(rule):
    return {k: v for k, v in rule.items() if not k.startswith("_")}


def list_rules() -> list:
    with _lock:
        return [dict(_public(r), remaining=_remaining(r)) for r in RULES]


def clear(rule_id=None) -> int:
    with _lock:
        before = len(RULES)
        if rule_id is None:
            RULES.clear()
            WINDOWS.clear()
            _INDEX.clear()
        else:
            RULES[:] = [r for r in RULES if r["id"] != rule_id]
            for key, rules in list(_INDEX.items()):
                rules[:] = [r for r in rules if r["id"] != rule_id]
                if not rules:
                    del _INDEX[key]
        return before - len(RULES)


def _remaining(rule):
    return None if rule["count"] is None else max(0, rule["count"] - rule["hits"])


def _matches(rule, service, operation, account, region):
    if rule["service"] != service:
        return False
    op = rule["operation"]
    if op.endswith("*"):
        if not operation.startswith(op[:-1]):
            return False
    elif op != operation:
        return False
    if rule["account"] and rule["account"] != account:
        return False
    if rule["region"] and rule["region"] != region:
        return False
    return True


def _take(service, operation, account, region, faults):
    """Find the first live rule for the call and count a hit on it."""
    with _lock:
        own = _INDEX.get((service, account), ())
        anyone = _INDEX.get((service, None), ())
        # RULES' order is the ids' order: the two lists merged by id keep it.
        if own and anyone:
            candidates = heapq.merge(own, anyone, key=lambda r: int(r["id"]))
        else:
            candidates = own or anyone
        for rule in candidates:
            if rule["fault"] not in faults or not _matches(
                rule, service, operation, account, region
            ):
                continue
            rem = _remaining(rule)
            if rem == 0:
                continue
            if rule["probability"] is not None and rule["_rng"].random() >= rule["probability"]:
                continue
            rule["hits"] += 1
            # What it struck, for a test to report (operation -> count).
            struck = rule.setdefault("struck", {})
            struck[operation] = struck.get(operation, 0) + 1
            return _public(rule)
    return None


def _error(rule, fault, service, default_message):
    code, status = _default_error(fault, service)
    return CommonServiceException(
        rule.get("code") or code,
        rule.get("message") or default_message,
        status_code=int(rule.get("status") or status),
        sender_fault=int(rule.get("status") or status) < 500,
    )


def _drop_connection(context):
    tw_request = context.request.environ.get("airgap.twisted_request")
    if tw_request is None:
        raise CommonServiceException("InternalFailure", "connection drop unavailable", 500)
    from twisted.internet import reactor

    transport = tw_request.channel.transport
    reactor.callFromThread(transport.abortConnection)
    time.sleep(0.2)


# What a create returns that names a resource: EC2 ids (vpc-0a1b2c3d, tgw-attach-..., ...)
# and ARNs.
_ID = re.compile(r"^(?:[a-z]+(?:-[a-z]+)*-[0-9a-f]{8,17}|arn:aws[a-z-]*:.+)$")


def _names(value, out, skip=("Filters", "Filter", "filters")):
    """Every string in `value` that looks like a resource id or ARN (filters left out:
    a filtered Describe answers an empty list, never NotFound)."""
    if isinstance(value, str):
        if _ID.match(value):
            out.add(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in skip:
                _names(v, out, skip)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _names(v, out, skip)
    return out


def _window_hit(service, operation, account, region, request):
    nowt = time.monotonic()
    named = None
    with _lock:
        WINDOWS[:] = [w for w in WINDOWS if w["until"] > nowt]
        for w in WINDOWS:
            if (w["service"], w["account"], w["region"]) != (service, account, region):
                continue
            ops = w["operations"]
            if ops is not None:
                if operation not in ops:
                    continue
            else:
                # EC2's eventual consistency: a call that names the new resource (a
                # Describe by id, a route to it, a subnet in it) may answer NotFound.
                if named is None:
                    named = _names(request or {}, set())
                if not (w["ids"] & named):
                    continue
            w["rule"]["blocked"] = w["rule"].get("blocked", 0) + 1
            refused = w["rule"].setdefault("refused", {})
            refused[operation] = refused.get(operation, 0) + 1
            return w
    return None


def request_handler(chain, context, response):
    """Gateway request handler (runs after the request was parsed)."""
    if not (RULES or WINDOWS) or context.service is None or context.operation is None:
        return
    service = context.service.service_name
    op = context.operation.name
    account, region = context.account_id, context.region

    w = _window_hit(service, op, account, region, context.service_request)
    if w is not None:
        raise CommonServiceException(
            w["code"],
            "The resource was just created and is not visible yet (injected).",
            w["status"],
            True,
        )
    rule = _take(
        service,
        op,
        account,
        region,
        (
            "throttling",
            "server_error",
            "unavailable",
            "delay",
            "connection_drop",
            "dependency_violation",
        ),
    )
    if rule is None:
        return
    fault = rule["fault"]
    if fault == "delay":
        time.sleep(rule["delay_ms"] / 1000.0)
        return
    if fault == "connection_drop":
        _drop_connection(context)
        raise CommonServiceException("InternalFailure", "connection dropped (injected)", 500)
    messages = {
        "throttling": "Rate exceeded (injected)",
        "server_error": "An internal error occurred (injected)",
        "unavailable": "The service is unavailable; try again later (injected)",
        "dependency_violation": "The resource has a dependent object (injected)",
    }
    raise _error(rule, fault, service, messages[fault])


def response_handler(chain, context, response):
    """After a successful call: lose its answer (response_lost), or open a NotFound window
    for what it created (not_found_after_create)."""
    if not RULES or context.service is None or context.operation is None or response is None:
        return
    if response.status_code >= 400:
        return
    service = context.service.service_name
    op = context.operation.name
    if _take(service, op, context.account_id, context.region, ("response_lost",)):
        # The call took effect; the client sees its connection reset and cannot tell.
        _drop_connection(context)
        return
    rule = _take(service, op, context.account_id, context.region, ("not_found_after_create",))
    if rule is None:
        return
    ids = None
    if rule.get("affected_operations") is None:
        # The new resource's names: those in the answer that the request did not carry
        # (CreateSubnet answers its VPC's id too, which is not new).
        given = _names(context.service_request or {}, set(), skip=())
        ids = _names(context.service_response or {}, set(), skip=()) - given
        if not ids:
            return
    target = rule.get("affected_service") or service
    if rule.get("code"):
        code, status = rule["code"], int(rule.get("status") or 400)
    elif target == "ec2":
        code, status = EC2_NOT_FOUND.get(op, "InvalidID.NotFound"), 400
    else:
        code, status = _default_error("not_found", target)
    with _lock:
        WINDOWS.append(
            {
                "service": target,
                "account": context.account_id,
                "region": context.region,
                "until": time.monotonic() + rule["duration_ms"] / 1000.0,
                "operations": rule.get("affected_operations"),
                "ids": ids,
                "code": code,
                "status": status,
                "rule": next((r for r in RULES if r["id"] == rule["id"]), {}),
            }
        )
