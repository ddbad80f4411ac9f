"""Every request checked against AWS's published model before a provider sees it.

AWS validates each request against the service's model and refuses what it does not
allow; LocalStack's parser does not (it reads the wire format, then the provider takes
whatever arrives). This handler applies the model botocore publishes (pinned with
LocalStack, the same ``service-2.json`` the SDKs are generated from) to the parsed
request: required members, value types, enum values, string lengths and patterns,
numeric ranges, list and map sizes. A violation gets the code and status AWS answers for
that protocol: EC2 (query protocol) ``MissingParameter`` for a required member and
``InvalidParameterValue`` otherwise (EC2 API reference, "Error codes for the Amazon EC2
API"); the JSON and REST protocols ``ValidationException`` (HTTP 400), the code the
smithy ``@length``/``@pattern``/``@range``/``@required`` traits produce (e.g. the
CloudWatch Logs, KMS, Network Firewall and ECR API references list ValidationException
or InvalidParameterException for these; EKS and RAM answer InvalidParameterException).

Always on: ``cargo xtask test`` cannot turn it off. GET /_airgap/validation reports how
many requests were checked and the violations found (the last ones kept).
"""

import logging
import re
import threading

from localstack.aws.api import CommonServiceException

LOG = logging.getLogger(__name__)

_LOCK = threading.Lock()
STATS = {"validated": 0, "violations": 0}
RECENT = []  # the last violations, for the report
_KEEP = 50
_PATTERNS = {}

# Services whose JSON/REST errors for a bad parameter are InvalidParameterException, as
# their API references list it for the validation of parameters.
_INVALID_PARAMETER = {"eks", "ram"}


def _pattern(p):
    r = _PATTERNS.get(p)
    if r is None:
        try:
            # Smithy patterns are ECMA 262 and not anchored: a search, not a full match.
            r = re.compile(p)
        except re.error:
            r = False
        _PATTERNS[p] = r
    return r


def _check(shape, value, path, out):
    if value is None:
        return
    t = shape.type_name
    meta = shape.metadata
    if t == "structure":
        if not isinstance(value, dict):
            out.append(("invalid", f"{path} must be a structure"))
            return
        if shape.is_document_type:
            return
        for name in shape.required_members:
            if value.get(name) is None:
                out.append(("missing", f"{path}.{name}" if path else name))
        for name, v in value.items():
            member = shape.members.get(name)
            if member is not None:
                _check(member, v, f"{path}.{name}" if path else name, out)
    elif t == "list":
        if not isinstance(value, (list, tuple)):
            out.append(("invalid", f"{path} must be a list"))
            return
        _bounds(len(value), meta, path, "entries", out)
        for i, v in enumerate(value):
            _check(shape.member, v, f"{path}[{i}]", out)
    elif t == "map":
        if not isinstance(value, dict):
            out.append(("invalid", f"{path} must be a map"))
            return
        _bounds(len(value), meta, path, "entries", out)
        for k, v in value.items():
            _check(shape.key, k, f"{path} key", out)
            _check(shape.value, v, f"{path}[{k}]", out)
    elif t == "string":
        if not isinstance(value, str):
            out.append(("invalid", f"{path} must be a string"))
            return
        if shape.enum and value not in shape.enum:
            out.append(("invalid", f"{path}: {value!r} is not one of {', '.join(shape.enum)}"))
        _bounds(len(value), meta, path, "characters", out)
        p = meta.get("pattern")
        r = _pattern(p) if p else None
        if r and not r.search(value):
            out.append(("invalid", f"{path}: {value!r} does not match {p}"))
    elif t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(("invalid", f"{path} must be an integer"))
            return
        if "min" in meta and value < meta["min"]:
            out.append(("invalid", f"{path}: {value} is below {meta['min']}"))
        if "max" in meta and value > meta["max"]:
            out.append(("invalid", f"{path}: {value} is above {meta['max']}"))
    elif t == "boolean":
        if not isinstance(value, bool):
            out.append(("invalid", f"{path} must be a boolean"))


def _bounds(n, meta, path, unit, out):
    if "min" in meta and n < meta["min"]:
        out.append(("invalid", f"{path} has {n} {unit}, fewer than {meta['min']}"))
    if "max" in meta and n > meta["max"]:
        out.append(("invalid", f"{path} has {n} {unit}, more than {meta['max']}"))


def violations(operation, request):
    """What ``request`` (parsed, as LocalStack's providers get it) breaks of the model."""
    out = []
    if operation.input_shape is not None:
        _check(operation.input_shape, request or {}, "", out)
    return out


def _error(service, protocol, problems):
    kind, first = problems[0]
    message = "; ".join(p for _, p in problems[:5])
    if protocol in ("ec2", "query") and service == "ec2":
        code = "MissingParameter" if kind == "missing" else "InvalidParameterValue"
        if kind == "missing":
            message = f"The request must contain the parameter {first}"
    elif service in _INVALID_PARAMETER:
        code = "InvalidParameterException"
    else:
        code = "ValidationException"
    return CommonServiceException(code, message, 400, True)


def request_handler(chain, context, response):
    """Gateway request handler (after parsing, before the provider)."""
    if context.service is None or context.operation is None:
        return
    problems = violations(context.operation, context.service_request)
    with _LOCK:
        STATS["validated"] += 1
        if problems:
            STATS["violations"] += 1
            RECENT.append(
                {
                    "service": context.service.service_name,
                    "operation": context.operation.name,
                    "problems": [p for _, p in problems],
                }
            )
            del RECENT[:-_KEEP]
    if problems:
        LOG.info("refused %s.%s: %s", context.service.service_name, context.operation.name, problems)
        raise _error(context.service.service_name, context.service.protocol, problems)


def report():
    with _LOCK:
        return {**STATS, "recent": list(RECENT)}
