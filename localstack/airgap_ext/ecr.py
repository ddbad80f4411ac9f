"""ECR: moto's repositories, images and policies, plus AWS's check that the IAM principals a
repository policy names exist.

SetRepositoryPolicy: AWS refuses a policy whose principal is an IAM role (or user) that does
not exist, or that IAM has not yet propagated to ECR, with
``400 InvalidParameterException: Invalid parameter at 'PolicyText' failed to satisfy
constraint: 'Principal not found'``, recorded in
https://github.com/hashicorp/terraform-provider-aws/issues/39064 (2024-08-28; a newly created
role, accepted on the second try). Older AWS answered the same case with
``... 'Invalid repository policy provided'`` (hashicorp/terraform-provider-aws#1164, 2017).
moto validates only the policy grammar, so a nonexistent role would pass: this module checks
the role and user ARNs of ``Principal.AWS`` against LocalStack's IAM (moto's IAM backends,
per account and partition). Account ids and ``:root`` ARNs are not checked (not emulated).

GetRepositoryPolicy: AWS hands the policy back reformatted, not as it was set: the example of
the ECR API reference (GetRepositoryPolicy, "To get the current policy for a repository", also
on https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/client/ecr/command/GetRepositoryPolicyCommand)
returns ``{\n  "Version" : "2008-10-17",\n  "Statement" : [ {\n    "Sid" : ...`` (a Jackson-style
pretty print: two-space indent, `` : `` between key and value, lists on one line). moto returns
the text unchanged; this module reformats it the same way, keeping the order of keys and list
items (whether AWS reorders or collapses single-element lists is not documented: not emulated).
See docs/emulator-fidelity.md, ECR.
"""

import json

from localstack.services.moto import call_moto

from .common import AwsError, parse_arn

PRINCIPAL_NOT_FOUND = (
    "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'"
)


def _as_list(v) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _aws_principals(policy) -> list:
    if not isinstance(policy, dict):
        return []
    out = []
    for st in _as_list(policy.get("Statement")):
        principal = st.get("Principal") if isinstance(st, dict) else None
        if isinstance(principal, dict):
            out.extend(p for p in _as_list(principal.get("AWS")) if isinstance(p, str))
    return out


def _iam_entity_exists(arn: str) -> bool:
    """False only for a role or user ARN that IAM does not have; anything else passes."""
    try:
        p = parse_arn(arn)
    except ValueError:
        return True  # not an ARN (an account id, "*"): left to moto's validation
    if p["service"] != "iam":
        return True
    kind, _, path_name = p["resource"].partition("/")
    if kind not in ("role", "user") or not path_name:
        return True
    from moto.iam.models import iam_backends

    backend = iam_backends[p["account"]][p["partition"]]
    entities = backend.roles.values() if kind == "role" else backend.users.values()
    return any(e.arn == arn for e in entities)


def aws_pretty(value, level: int = 0) -> str:
    """JSON as in the GetRepositoryPolicy example of the ECR API reference."""
    pad = "  "
    if isinstance(value, dict):
        if not value:
            return "{ }"
        items = [
            f"{pad * (level + 1)}{json.dumps(k)} : {aws_pretty(v, level + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad * level + "}"
    if isinstance(value, list):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(aws_pretty(v, level) for v in value) + " ]"
    return json.dumps(value)


def get_repository_policy(ctx, req):
    out = call_moto(ctx)
    try:
        out["policyText"] = aws_pretty(json.loads(out["policyText"]))
    except (KeyError, TypeError, ValueError):
        pass
    return out


def set_repository_policy(ctx, req):
    try:
        policy = json.loads(req.get("policyText") or "")
    except ValueError:
        return call_moto(ctx)  # moto answers malformed JSON as AWS does
    for arn in _aws_principals(policy):
        if not _iam_entity_exists(arn):
            raise AwsError("InvalidParameterException", PRINCIPAL_NOT_FOUND, 400)
    return call_moto(ctx)


HANDLERS = {
    "SetRepositoryPolicy": set_repository_policy,
    "GetRepositoryPolicy": get_repository_policy,
}
