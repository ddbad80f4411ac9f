"""STS AssumeRole: the role must exist and its trust policy must let the caller assume it.

LocalStack (moto underneath) hands out credentials for any role ARN, existing or not, so a
blueprint naming a role its account does not have, or a role that does not trust the
deployer's credentials, passed every test and failed on AWS at the first call.

AWS's rule (IAM user guide, "Granting a user permissions to switch roles" and "IAM JSON
policy elements: Principal"): a role can be assumed only by a principal its trust policy
(the role's resource-based policy) allows: `"AWS": "<account id>"` or
`"arn:aws:iam::<account id>:root"` (every principal of that account, subject to its own
identity policies), the principal's own ARN (a user, or a role for a role session), or `*`.
An explicit `Deny` wins. AWS answers the same whether the role is missing or does not trust
the caller, so as not to disclose which roles exist: `403 AccessDenied`, type `Sender`,
"User: <caller ARN> is not authorized to perform: sts:AssumeRole on resource: <role ARN>"
(a response recorded in Netflix/security_monkey#77, 2014, with its XML; the same text in
aws/karpenter-provider-aws#4680, 2023, for an assumed-role caller).

Not emulated (docs/emulator-fidelity.md): the caller's identity policies (LocalStack
enforces none); `Condition` keys other than `sts:ExternalId`; AWS's refusal of the root
user ("Roles may not be assumed by root accounts.", double-break/spapi-php#45), since
LocalStack presents its default credentials as the account's root; IAM's propagation delay
(a role is assumable as soon as CreateRole returns).
"""

import json
import logging
import urllib.parse

from localstack.aws.api import CommonServiceException

from .common import as_list, statements_allow

LOG = logging.getLogger(__name__)


def _caller_arn(context) -> str:
    """The caller's ARN as GetCallerIdentity would answer it (LocalStack's provider: moto's
    identity, with its `user/moto` placeholder shown as the account's root)."""
    from localstack.utils.aws.request_context import extract_access_key_id_from_auth_header
    from moto.sts.models import sts_backends

    key = extract_access_key_id_from_auth_header(context.request.headers) or ""
    try:
        _, arn, account = sts_backends[context.account_id]["global"].get_caller_identity(
            key, context.region
        )
    except Exception:  # noqa: BLE001 - identity lookup must not break STS
        LOG.debug("caller identity of %s not found", key, exc_info=True)
        return f"arn:aws:iam::{context.account_id}:root"
    if "user/moto" in arn and ":sts:" in arn:
        return f"arn:aws:iam::{account}:root"
    return arn


def _principal_arns(caller: str) -> set:
    """What a trust policy may name to allow `caller`: its ARN (for a role session, the
    role's ARN: "IAM JSON policy elements: Principal", role session principals are named by
    the role), its account id and the account's root ARN."""
    parts = caller.split(":", 5)
    account = parts[4] if len(parts) == 6 else ""
    names = {account, f"arn:aws:iam::{account}:root", "*"}
    resource = parts[5] if len(parts) == 6 else ""
    if parts[2:3] == ["sts"] and resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        names.add(f"arn:aws:iam::{account}:role/{role}")
    else:
        names.add(caller)
    return names


def _action_matches(actions) -> bool:
    return any(a in ("sts:AssumeRole", "sts:*", "*") for a in as_list(actions))


def _principal_matches(principal, names: set) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(p in names for p in as_list(principal.get("AWS")))


def _conditions_hold(condition, external_id) -> bool:
    """`sts:ExternalId` under StringEquals/StringLike is checked (IAM user guide, "Access to
    AWS accounts owned by third parties"); other keys are not emulated and taken as met."""
    for op, keys in (condition or {}).items():
        for key, values in (keys or {}).items():
            if key.lower() != "sts:externalid":
                continue
            if op not in ("StringEquals", "StringLike"):
                continue
            if external_id not in as_list(values):
                return False
    return True


def trusts(policy: dict, caller: str, external_id) -> bool:
    names = _principal_arns(caller)
    return statements_allow(
        policy.get("Statement"),
        lambda st: _action_matches(st.get("Action"))
        and _principal_matches(st.get("Principal"), names)
        and _conditions_hold(st.get("Condition"), external_id),
    )


def _role(account: str, name: str):
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    for role in backend.roles.values():
        if role.name == name:
            return role
    return None


def check_assume_role(context) -> None:
    req = context.service_request or {}
    role_arn = req.get("RoleArn") or ""
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return  # LocalStack's provider answers malformed ARNs itself
    account, name = parts[4], parts[5].split("/")[-1]
    caller = _caller_arn(context)
    role = _role(account, name)
    ok = False
    if role is not None:
        doc = role.assume_role_policy_document or "{}"
        try:
            policy = json.loads(urllib.parse.unquote(doc) if doc.startswith("%") else doc)
        except ValueError:
            policy = {}
        ok = trusts(policy, caller, req.get("ExternalId"))
    if not ok:
        raise CommonServiceException(
            "AccessDenied",
            f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: "
            f"{role_arn}",
            status_code=403,
            sender_fault=True,
        )


def request_handler(chain, context, response):
    if context.service is None or context.operation is None:
        return
    if context.service.service_name == "sts" and context.operation.name == "AssumeRole":
        check_assume_role(context)
