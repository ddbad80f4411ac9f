"""STS AssumeRole: only into a role that exists and whose trust policy names the caller.

AWS's answer either way (Netflix/security_monkey#77): 403 AccessDenied, "User: <caller> is not
authorized to perform: sts:AssumeRole on resource: <role ARN>".
"""

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import CONFIG, ENDPOINT, REGION


def trust(*principals, external_id=None, effect="Allow"):
    st = {"Effect": effect, "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}
    if external_id:
        st["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def make_role(account, name, policy):
    account.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=policy)
    return f"arn:aws:iam::{account.id}:role/{name}"


def sts_of(access_key, secret="test", token=None):
    return boto3.client(
        "sts",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=CONFIG,
    )


def denied(call):
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response
    assert err["Error"]["Code"] == "AccessDenied", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    return err["Error"]["Message"]


def test_a_role_that_does_not_exist_is_refused(account, other_account):
    arn = f"arn:aws:iam::{account.id}:role/missing"
    msg = denied(lambda: other_account.client("sts").assume_role(RoleArn=arn, RoleSessionName="s1"))
    assert msg == (
        f"User: arn:aws:iam::{other_account.id}:root is not authorized to perform: "
        f"sts:AssumeRole on resource: {arn}"
    )


def test_the_trust_policy_decides_who_may_assume(account, other_account):
    sts = other_account.client("sts")
    # Trusting another account: refused with the same answer as a missing role.
    elsewhere = make_role(account, "elsewhere", trust("123456789012"))
    denied(lambda: sts.assume_role(RoleArn=elsewhere, RoleSessionName="s1"))
    # By account id, and by the account's root ARN.
    by_id = make_role(account, "by-id", trust(other_account.id))
    creds = sts.assume_role(RoleArn=by_id, RoleSessionName="s1")["Credentials"]
    who = sts_of(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert who.get_caller_identity()["Arn"] == f"arn:aws:sts::{account.id}:assumed-role/by-id/s1"
    by_root = make_role(account, "by-root", trust(f"arn:aws:iam::{other_account.id}:root"))
    sts.assume_role(RoleArn=by_root, RoleSessionName="s1")
    # An explicit Deny wins over an Allow.
    deny = json.loads(trust(other_account.id))
    deny["Statement"].append(json.loads(trust(other_account.id, effect="Deny"))["Statement"][0])
    denied_role = make_role(account, "denied", json.dumps(deny))
    denied(lambda: sts.assume_role(RoleArn=denied_role, RoleSessionName="s1"))
    # A service principal is not an account's principal.
    service = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "eks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
    )
    eks_only = make_role(account, "eks-only", service)
    denied(lambda: sts.assume_role(RoleArn=eks_only, RoleSessionName="s1"))


def test_a_role_session_is_named_by_its_role_in_a_trust_policy(account, other_account):
    """Role chaining: the session's caller is `assumed-role/<role>/<session>`; a trust
    policy names the role's ARN (IAM user guide, Principal element, role sessions)."""
    first = make_role(other_account, "first", trust(account.id))
    creds = account.client("sts").assume_role(RoleArn=first, RoleSessionName="a1")["Credentials"]
    session = sts_of(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    second = make_role(account, "second", trust(first))
    session.assume_role(RoleArn=second, RoleSessionName="b1")
    third = make_role(account, "third", trust(f"arn:aws:iam::{other_account.id}:role/other"))
    msg = denied(lambda: session.assume_role(RoleArn=third, RoleSessionName="b1"))
    assert msg.startswith(f"User: arn:aws:sts::{other_account.id}:assumed-role/first/a1 ")


def test_an_external_id_condition_must_match(account, other_account):
    sts = other_account.client("sts")
    arn = make_role(account, "third-party", trust(other_account.id, external_id="ci-1234"))
    denied(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1"))
    denied(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="nope"))
    sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="ci-1234")
