"""Network Firewall: rule groups, policies with UpdateToken locking, firewalls, logging, tags."""

import ipaddress
import uuid

import pytest
from botocore.exceptions import ClientError
from conftest import airgap, make_network, wait_for

DOMAIN_RG = {
    "RulesSource": {
        "RulesSourceList": {
            "Targets": [".amazonaws.com", ".example.internal"],
            "TargetTypes": ["TLS_SNI", "HTTP_HOST"],
            "GeneratedRulesType": "ALLOWLIST",
        }
    }
}
STATELESS_RG = {
    "RulesSource": {
        "StatelessRulesAndCustomActions": {
            "StatelessRules": [
                {
                    "Priority": 1,
                    "RuleDefinition": {
                        "Actions": ["aws:forward_to_sfe"],
                        "MatchAttributes": {"Sources": [{"AddressDefinition": "10.0.0.0/8"}]},
                    },
                }
            ]
        }
    }
}


def policy_body(*rg_arns, stateless=()):
    return {
        "StatelessDefaultActions": ["aws:forward_to_sfe"],
        "StatelessFragmentDefaultActions": ["aws:forward_to_sfe"],
        "StatefulRuleGroupReferences": [{"ResourceArn": a} for a in rg_arns],
        "StatelessRuleGroupReferences": [
            {"ResourceArn": a, "Priority": i + 1} for i, a in enumerate(stateless)
        ],
    }


# CreateFirewall protects a firewall against deletion and subnet and policy changes unless
# told otherwise (botocore CreateFirewallRequest: "When you create a firewall, the operation
# initializes this flag to TRUE"); the tests that change or delete firewalls say so.
UNPROTECTED = dict(
    DeleteProtection=False, SubnetChangeProtection=False, FirewallPolicyChangeProtection=False
)


def code(exc):
    return exc.value.response["Error"]["Code"]



def _firewall_gone(nfw, name="fw"):
    """DescribeFirewall answers ResourceNotFoundException once a deletion completed."""
    try:
        nfw.describe_firewall(FirewallName=name)
        return False
    except ClientError as e:
        return e.response["Error"]["Code"] == "ResourceNotFoundException"

def test_rule_groups_and_policy_tokens(account):
    nfw = account.client("network-firewall")
    dom = nfw.create_rule_group(
        RuleGroupName="domains", Type="STATEFUL", Capacity=100, RuleGroup=DOMAIN_RG
    )
    sur = nfw.create_rule_group(
        RuleGroupName="suricata",
        Type="STATEFUL",
        Capacity=100,
        Rules='pass tls $HOME_NET any -> $EXTERNAL_NET 443 (tls.sni; content:"amazonaws.com"; endswith; sid:1;)',
    )
    sl = nfw.create_rule_group(
        RuleGroupName="stateless", Type="STATELESS", Capacity=10, RuleGroup=STATELESS_RG
    )
    assert dom["RuleGroupResponse"]["RuleGroupStatus"] == "ACTIVE"
    got = nfw.describe_rule_group(RuleGroupName="suricata", Type="STATEFUL")
    assert "sid:1" in got["RuleGroup"]["RulesSource"]["RulesString"]
    names = {g["Name"] for g in nfw.list_rule_groups()["RuleGroups"]}
    assert names == {"domains", "suricata", "stateless"}

    with pytest.raises(ClientError) as e:
        nfw.create_rule_group(
            RuleGroupName="domains", Type="STATEFUL", Capacity=1, RuleGroup=DOMAIN_RG
        )
    assert code(e) == "InvalidRequestException"

    # rule group update token
    up = nfw.update_rule_group(
        RuleGroupArn=dom["RuleGroupResponse"]["RuleGroupArn"],
        UpdateToken=dom["UpdateToken"],
        RuleGroup=DOMAIN_RG,
    )
    with pytest.raises(ClientError) as e:
        nfw.update_rule_group(
            RuleGroupArn=dom["RuleGroupResponse"]["RuleGroupArn"],
            UpdateToken=dom["UpdateToken"],
            RuleGroup=DOMAIN_RG,
        )
    assert code(e) == "InvalidTokenException"
    assert up["UpdateToken"] != dom["UpdateToken"]

    pol = nfw.create_firewall_policy(
        FirewallPolicyName="egress",
        FirewallPolicy=policy_body(
            dom["RuleGroupResponse"]["RuleGroupArn"],
            sur["RuleGroupResponse"]["RuleGroupArn"],
            stateless=[sl["RuleGroupResponse"]["RuleGroupArn"]],
        ),
        Tags=[{"Key": "env", "Value": "test"}],
    )
    d = nfw.describe_firewall_policy(FirewallPolicyName="egress")
    assert d["UpdateToken"] == pol["UpdateToken"]
    body = policy_body(dom["RuleGroupResponse"]["RuleGroupArn"])
    up = nfw.update_firewall_policy(
        FirewallPolicyName="egress", UpdateToken=d["UpdateToken"], FirewallPolicy=body
    )
    with pytest.raises(ClientError) as e:
        nfw.update_firewall_policy(
            FirewallPolicyName="egress", UpdateToken=d["UpdateToken"], FirewallPolicy=body
        )
    assert code(e) == "InvalidTokenException"
    assert (
        nfw.describe_firewall_policy(FirewallPolicyName="egress")["UpdateToken"]
        == up["UpdateToken"]
    )

    # referenced rule groups cannot be deleted; unknown references are rejected
    with pytest.raises(ClientError) as e:
        nfw.delete_rule_group(RuleGroupArn=dom["RuleGroupResponse"]["RuleGroupArn"])
    assert code(e) == "InvalidOperationException"
    with pytest.raises(ClientError) as e:
        nfw.create_firewall_policy(
            FirewallPolicyName="bad",
            FirewallPolicy=policy_body(dom["RuleGroupResponse"]["RuleGroupArn"] + "x"),
        )
    assert code(e) == "InvalidRequestException"
    nfw.delete_rule_group(RuleGroupArn=sur["RuleGroupResponse"]["RuleGroupArn"])
    with pytest.raises(ClientError) as e:
        nfw.describe_rule_group(RuleGroupArn=sur["RuleGroupResponse"]["RuleGroupArn"])
    assert code(e) == "ResourceNotFoundException"
    tags = nfw.list_tags_for_resource(
        ResourceArn=pol["FirewallPolicyResponse"]["FirewallPolicyArn"]
    )
    assert tags["Tags"] == [{"Key": "env", "Value": "test"}]


def _policy(nfw):
    rg = nfw.create_rule_group(
        RuleGroupName="domains", Type="STATEFUL", Capacity=100, RuleGroup=DOMAIN_RG
    )["RuleGroupResponse"]["RuleGroupArn"]
    return nfw.create_firewall_policy(FirewallPolicyName="p", FirewallPolicy=policy_body(rg))[
        "FirewallPolicyResponse"
    ]["FirewallPolicyArn"]


def test_firewall_lifecycle(account):
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2, azs=("us-east-1a", "us-east-1b", "us-east-1c"))
    nfw = account.client("network-firewall")
    policy = _policy(nfw)
    fw = nfw.create_firewall(
        **UNPROTECTED,
        FirewallName="fw",
        FirewallPolicyArn=policy,
        VpcId=vpc,
        SubnetMappings=[{"SubnetId": s} for s in subnets[:2]],
    )
    assert fw["FirewallStatus"]["Status"] == "PROVISIONING"
    d = nfw.describe_firewall(FirewallName="fw")
    st = d["FirewallStatus"]
    assert st["Status"] == "READY"
    assert sorted(st["SyncStates"]) == ["us-east-1a", "us-east-1b"]
    eps = [s["Attachment"]["EndpointId"] for s in st["SyncStates"].values()]
    assert all(e.startswith("vpce-") for e in eps) and len(set(eps)) == 2

    # subnet association with the firewall's update token: a well-formed token that is
    # not the current one is stale; a malformed one breaks the model's pattern
    stale = str(uuid.uuid4())
    with pytest.raises(ClientError) as e:
        nfw.associate_subnets(
            FirewallName="fw", UpdateToken=stale, SubnetMappings=[{"SubnetId": subnets[2]}]
        )
    assert code(e) == "InvalidTokenException"
    with pytest.raises(ClientError) as e:
        nfw.associate_subnets(
            FirewallName="fw", UpdateToken="stale", SubnetMappings=[{"SubnetId": subnets[2]}]
        )
    assert code(e) == "ValidationException"
    nfw.associate_subnets(
        FirewallName="fw", UpdateToken=d["UpdateToken"], SubnetMappings=[{"SubnetId": subnets[2]}]
    )
    assert len(nfw.describe_firewall(FirewallName="fw")["FirewallStatus"]["SyncStates"]) == 3
    nfw.disassociate_subnets(FirewallName="fw", SubnetIds=[subnets[2]])
    assert len(nfw.describe_firewall(FirewallName="fw")["Firewall"]["SubnetMappings"]) == 2

    # policy association
    rg2 = nfw.create_rule_group(
        RuleGroupName="d2", Type="STATEFUL", Capacity=10, RuleGroup=DOMAIN_RG
    )["RuleGroupResponse"]["RuleGroupArn"]
    p2 = nfw.create_firewall_policy(FirewallPolicyName="p2", FirewallPolicy=policy_body(rg2))[
        "FirewallPolicyResponse"
    ]["FirewallPolicyArn"]
    nfw.associate_firewall_policy(FirewallName="fw", FirewallPolicyArn=p2)
    assert nfw.describe_firewall(FirewallName="fw")["Firewall"]["FirewallPolicyArn"] == p2
    with pytest.raises(ClientError) as e:
        nfw.delete_firewall_policy(FirewallPolicyArn=p2)
    assert code(e) == "InvalidOperationException"

    # logging configuration
    cfg = {
        "LogDestinationConfigs": [
            {
                "LogType": "ALERT",
                "LogDestinationType": "CloudWatchLogs",
                "LogDestination": {"logGroup": "/nfw/alert"},
            }
        ]
    }
    nfw.update_logging_configuration(FirewallName="fw", LoggingConfiguration=cfg)
    got = nfw.describe_logging_configuration(FirewallName="fw")["LoggingConfiguration"]
    assert got == cfg

    # tags and list
    arn = fw["Firewall"]["FirewallArn"]
    nfw.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    nfw.untag_resource(ResourceArn=arn, TagKeys=["k"])
    assert nfw.list_tags_for_resource(ResourceArn=arn)["Tags"] == []
    assert [f["FirewallName"] for f in nfw.list_firewalls(VpcIds=[vpc])["Firewalls"]] == ["fw"]

    # delete protection, then delete
    nfw.update_firewall_delete_protection(FirewallName="fw", DeleteProtection=True)
    with pytest.raises(ClientError) as e:
        nfw.delete_firewall(FirewallName="fw")
    assert code(e) == "InvalidOperationException"
    nfw.update_firewall_delete_protection(FirewallName="fw", DeleteProtection=False)
    assert nfw.delete_firewall(FirewallName="fw")["FirewallStatus"]["Status"] == "DELETING"
    with pytest.raises(ClientError) as e:
        nfw.describe_firewall(FirewallName="fw")
    assert code(e) == "ResourceNotFoundException"
    nfw.delete_firewall_policy(FirewallPolicyArn=p2)


def test_firewall_validation(account):
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2, azs=("us-east-1a", "us-east-1a"))
    nfw = account.client("network-firewall")
    policy = _policy(nfw)
    with pytest.raises(ClientError) as e:
        nfw.create_firewall(
            **UNPROTECTED,
            FirewallName="fw",
            FirewallPolicyArn=policy,
            VpcId=vpc,
            SubnetMappings=[{"SubnetId": s} for s in subnets],
        )
    assert code(e) == "InvalidRequestException"  # two subnets in one AZ
    with pytest.raises(ClientError) as e:
        nfw.create_firewall(
            **UNPROTECTED,
            FirewallName="fw",
            FirewallPolicyArn=policy,
            VpcId=vpc,
            SubnetMappings=[{"SubnetId": "subnet-00000000000000000"}],
        )
    assert code(e) == "InvalidRequestException"


def test_firewall_time_model(account, time_scale):
    time_scale(account, 0.01)  # 360 s create -> 3.6 s
    vpc, subnets = make_network(account.client("ec2"))
    nfw = account.client("network-firewall")
    policy = _policy(nfw)
    nfw.create_firewall(
        **UNPROTECTED,
        FirewallName="fw",
        FirewallPolicyArn=policy,
        VpcId=vpc,
        SubnetMappings=[{"SubnetId": s} for s in subnets],
    )
    st = nfw.describe_firewall(FirewallName="fw")["FirewallStatus"]
    assert st["Status"] == "PROVISIONING"
    assert {s["Attachment"]["Status"] for s in st["SyncStates"].values()} == {"CREATING"}
    wait_for(
        lambda: nfw.describe_firewall(FirewallName="fw")["FirewallStatus"]["Status"] == "READY", 20
    )
    time_scale(account, 0.003)  # 1260 s delete -> 3.8 s
    nfw.delete_firewall(FirewallName="fw")
    assert nfw.describe_firewall(FirewallName="fw")["FirewallStatus"]["Status"] == "DELETING"

    wait_for(lambda: _firewall_gone(nfw), 20)


def test_firewall_endpoints_are_routable_vpc_endpoints(account, time_scale):
    status, cfg = airgap("GET", "/_airgap/config")
    assert status == 200 and "network-firewall-vpc-endpoints" in cfg["features"]
    time_scale(account, 0.01)  # 360 s create -> 3.6 s
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2)
    nfw = account.client("network-firewall")
    fw = nfw.create_firewall(
        **UNPROTECTED,
        FirewallName="fw",
        FirewallPolicyArn=_policy(nfw),
        VpcId=vpc,
        SubnetMappings=[{"SubnetId": s} for s in subnets],
    )
    # While they are being created the endpoints have no id to route to (AWS's order).
    creating = fw["FirewallStatus"]["SyncStates"].values()
    assert {s["Attachment"]["Status"] for s in creating} == {"CREATING"}
    assert not any("EndpointId" in s["Attachment"] for s in creating)
    pending = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "VpcEndpoints"
    ]
    assert {e["VpcEndpointType"] for e in pending} == {"GatewayLoadBalancer"}
    assert {e["State"].lower() for e in pending} == {"pending"}
    wait_for(
        lambda: nfw.describe_firewall(FirewallName="fw")["FirewallStatus"]["Status"] == "READY", 20
    )
    eps = {
        s["Attachment"]["SubnetId"]: s["Attachment"]["EndpointId"]
        for s in nfw.describe_firewall(FirewallName="fw")["FirewallStatus"]["SyncStates"].values()
    }
    listed = ec2.describe_vpc_endpoints(VpcEndpointIds=list(eps.values()))["VpcEndpoints"]
    assert {e["VpcEndpointId"]: e["SubnetIds"] for e in listed} == {
        ep: [sid] for sid, ep in eps.items()
    }
    assert {e["State"].lower() for e in listed} == {"available"}

    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ep = eps[subnets[0]]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", VpcEndpointId=ep)
    routes = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]["Routes"]
    assert {r.get("DestinationCidrBlock"): r.get("GatewayId") for r in routes}["0.0.0.0/0"] == ep

    time_scale(account, 0)
    nfw.delete_firewall(FirewallName="fw")
    with pytest.raises(ClientError) as e:
        ec2.describe_vpc_endpoints(VpcEndpointIds=[ep])
    assert "NotFound" in code(e)


def test_list_pagination(account):
    nfw = account.client("network-firewall")
    for i in range(5):
        nfw.create_rule_group(
            RuleGroupName=f"rg{i}", Type="STATEFUL", Capacity=10, RuleGroup=DOMAIN_RG
        )
    first = nfw.list_rule_groups(MaxResults=2)
    assert len(first["RuleGroups"]) == 2 and first["NextToken"]
    names = [
        g["Name"]
        for g in nfw.get_paginator("list_rule_groups")
        .paginate(PaginationConfig={"PageSize": 2})
        .build_full_result()["RuleGroups"]
    ]
    assert names == [f"rg{i}" for i in range(5)]


def _endpoint_interfaces(ec2, vpc):
    """The firewall endpoints' interfaces in the VPC, by subnet."""
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "NetworkInterfaces"
    ]
    out = {}
    for e in enis:
        assert e["SubnetId"] not in out, "one interface per subnet mapping"
        out[e["SubnetId"]] = e
    return out


def _refused(ec2, subnet):
    with pytest.raises(ClientError) as e:
        ec2.delete_subnet(SubnetId=subnet)
    return code(e)


def test_firewall_endpoint_interfaces_hold_their_subnets_until_unmapped(account):
    """Each firewall endpoint is a Gateway Load Balancer endpoint, which has a
    requester-managed network interface with a private address of its subnet (PrivateLink
    guide, "Access an inspection system using a Gateway Load Balancer endpoint");
    DeleteSubnet is DependencyViolation while it is there; DisassociateSubnets releases
    it. The description ("VPC Endpoint Interface vpce-...", the EC2 guide's example for an
    endpoint's interface) is an assumption for Gateway Load Balancer endpoints."""
    status, cfg = airgap("GET", "/_airgap/config")
    assert status == 200 and "network-firewall-endpoint-interfaces" in cfg["features"]
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2, azs=("us-east-1a", "us-east-1b", "us-east-1c"))
    cidrs = {
        s["SubnetId"]: s["CidrBlock"]
        for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]
    }
    nfw = account.client("network-firewall")
    nfw.create_firewall(
        **UNPROTECTED,
        FirewallName="fw",
        FirewallPolicyArn=_policy(nfw),
        VpcId=vpc,
        SubnetMappings=[{"SubnetId": s} for s in subnets[:2]],
        Tags=[{"Key": "env", "Value": "test"}],
    )
    d = nfw.describe_firewall(FirewallName="fw")
    eps = {
        s["Attachment"]["SubnetId"]: s["Attachment"]["EndpointId"]
        for s in d["FirewallStatus"]["SyncStates"].values()
    }
    enis = _endpoint_interfaces(ec2, vpc)
    assert sorted(enis) == sorted(subnets[:2])
    for sid, e in enis.items():
        # named by the endpoint id the firewall reports for that subnet (SyncStates)
        assert e["Description"] == f"VPC Endpoint Interface {eps[sid]}"
        assert e["InterfaceType"] == "gateway_load_balancer_endpoint"
        assert e["RequesterManaged"] is True
        assert e["Status"] == "in-use"
        assert e.get("TagSet", []) == []  # the firewall's tags stay on the firewall
        assert e["AvailabilityZone"] in d["FirewallStatus"]["SyncStates"]
        net = ipaddress.ip_network(cidrs[sid])
        ip = ipaddress.ip_address(e["PrivateIpAddress"])
        # in the subnet, not one of the five addresses AWS reserves in it
        assert ip in net
        assert net.network_address + 4 <= ip < net.broadcast_address
        assert _refused(ec2, sid) == "DependencyViolation"

    # a mapping added later gets its interface; removing the mapping releases it
    nfw.associate_subnets(
        FirewallName="fw", UpdateToken=d["UpdateToken"], SubnetMappings=[{"SubnetId": subnets[2]}]
    )
    enis = _endpoint_interfaces(ec2, vpc)
    assert sorted(enis) == sorted(subnets)
    assert enis[subnets[2]]["InterfaceType"] == "gateway_load_balancer_endpoint"
    assert _refused(ec2, subnets[2]) == "DependencyViolation"
    nfw.disassociate_subnets(FirewallName="fw", SubnetIds=[subnets[2]])
    assert sorted(_endpoint_interfaces(ec2, vpc)) == sorted(subnets[:2])
    ec2.delete_subnet(SubnetId=subnets[2])
    assert _refused(ec2, subnets[0]) == "DependencyViolation"


def test_firewall_endpoint_interfaces_go_when_the_firewall_is_gone(account, time_scale):
    """The interfaces hold their subnets from the create until the firewall's deletion
    completes: while the firewall is DELETING, DeleteSubnet is still DependencyViolation;
    once DescribeFirewall answers ResourceNotFoundException the subnets can be deleted."""
    time_scale(account, 0.01)  # 360 s create -> 3.6 s
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2)
    nfw = account.client("network-firewall")
    nfw.create_firewall(
        **UNPROTECTED,
        FirewallName="fw",
        FirewallPolicyArn=_policy(nfw),
        VpcId=vpc,
        SubnetMappings=[{"SubnetId": s} for s in subnets],
    )
    assert nfw.describe_firewall(FirewallName="fw")["FirewallStatus"]["Status"] == "PROVISIONING"
    assert sorted(_endpoint_interfaces(ec2, vpc)) == sorted(subnets)
    assert _refused(ec2, subnets[0]) == "DependencyViolation"
    wait_for(
        lambda: nfw.describe_firewall(FirewallName="fw")["FirewallStatus"]["Status"] == "READY", 20
    )

    time_scale(account, 0.003)  # 1260 s delete -> 3.8 s
    nfw.delete_firewall(FirewallName="fw")
    assert nfw.describe_firewall(FirewallName="fw")["FirewallStatus"]["Status"] == "DELETING"
    assert sorted(_endpoint_interfaces(ec2, vpc)) == sorted(subnets)
    for sid in subnets:
        assert _refused(ec2, sid) == "DependencyViolation"

    wait_for(lambda: _firewall_gone(nfw), 20)
    assert _endpoint_interfaces(ec2, vpc) == {}
    for sid in subnets:
        ec2.delete_subnet(SubnetId=sid)


def _log(log_type, group, dest_type="CloudWatchLogs"):
    key = "logGroup" if dest_type == "CloudWatchLogs" else "bucketName"
    return {"LogType": log_type, "LogDestinationType": dest_type, "LogDestination": {key: group}}


def test_logging_changes_one_destination_per_call(account):
    """botocore UpdateLoggingConfiguration: "You can perform only one of the following actions
    in any call": add one LogDestinationConfig, remove one, or change one's LogDestination;
    "You can't change the LogDestinationType or LogType". AWS's answer to two at once
    (terraform-provider-aws#38917, #39197): 400 InvalidRequestException, "Given logging
    configuration attempts to create/modify multiple log destination configs"."""
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2)
    nfw = account.client("network-firewall")
    nfw.create_firewall(
        **UNPROTECTED,
        FirewallName="fw",
        FirewallPolicyArn=_policy(nfw),
        VpcId=vpc,
        SubnetMappings=[{"SubnetId": subnets[0]}],
    )

    def update(*configs):
        nfw.update_logging_configuration(
            FirewallName="fw", LoggingConfiguration={"LogDestinationConfigs": list(configs)}
        )

    # two destinations added in one call
    with pytest.raises(ClientError) as e:
        update(_log("ALERT", "/a"), _log("FLOW", "/f"))
    assert code(e) == "InvalidRequestException"
    assert "multiple log destination configs" in e.value.response["Error"]["Message"]
    assert nfw.describe_logging_configuration(FirewallName="fw")["LoggingConfiguration"] == {
        "LogDestinationConfigs": []
    }
    # one at a time: add, add, change one's destination, remove one
    update(_log("ALERT", "/a"))
    update(_log("ALERT", "/a"), _log("FLOW", "/f"))
    update(_log("ALERT", "/a2"), _log("FLOW", "/f"))
    # a change and an addition together; two removals together
    with pytest.raises(ClientError) as e:
        update(_log("ALERT", "/a3"), _log("FLOW", "/f"), _log("TLS", "/t"))
    assert code(e) == "InvalidRequestException"
    with pytest.raises(ClientError) as e:
        update()
    assert code(e) == "InvalidRequestException"
    # the destination type of a log type is not changed in place
    with pytest.raises(ClientError) as e:
        update(_log("ALERT", "bucket", "S3"), _log("FLOW", "/f"))
    assert code(e) == "InvalidRequestException"
    update(_log("FLOW", "/f"))
    update()
    got = nfw.describe_logging_configuration(FirewallName="fw")["LoggingConfiguration"]
    assert got["LogDestinationConfigs"] == []


def test_a_new_firewall_is_protected_unless_told_otherwise(account):
    """botocore CreateFirewallRequest DeleteProtection, SubnetChangeProtection and
    FirewallPolicyChangeProtection: "When you create a firewall, the operation initializes this
    flag to TRUE". DeleteFirewall "requires the firewall's DeleteProtection flag to be FALSE";
    the answer is InvalidOperationException (ekristen/aws-nuke#972)."""
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2)
    nfw = account.client("network-firewall")
    policy = _policy(nfw)
    fw = nfw.create_firewall(
        FirewallName="fw",
        FirewallPolicyArn=policy,
        VpcId=vpc,
        SubnetMappings=[{"SubnetId": subnets[0]}],
    )["Firewall"]
    assert fw["DeleteProtection"] is True
    assert fw["SubnetChangeProtection"] is True
    assert fw["FirewallPolicyChangeProtection"] is True
    for call in (
        lambda: nfw.associate_subnets(FirewallName="fw", SubnetMappings=[{"SubnetId": subnets[1]}]),
        lambda: nfw.associate_firewall_policy(FirewallName="fw", FirewallPolicyArn=policy),
        lambda: nfw.delete_firewall(FirewallName="fw"),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "InvalidOperationException"
    nfw.update_subnet_change_protection(FirewallName="fw", SubnetChangeProtection=False)
    nfw.associate_subnets(FirewallName="fw", SubnetMappings=[{"SubnetId": subnets[1]}])
    nfw.update_firewall_delete_protection(FirewallName="fw", DeleteProtection=False)
    assert nfw.delete_firewall(FirewallName="fw")["FirewallStatus"]["Status"] == "DELETING"


def _domains(n, types=("TLS_SNI", "HTTP_HOST")):
    return {
        "RulesSource": {
            "RulesSourceList": {
                "Targets": [f"d{i}.example.internal" for i in range(n)],
                "TargetTypes": list(types),
                "GeneratedRulesType": "ALLOWLIST",
            }
        }
    }


def _capacity_refused(e, what="StatefulRules"):
    assert code(e) == "InvalidRequestException"
    assert f"{what} capacity exceeded" in e.value.response["Error"]["Message"]


def test_rules_must_fit_the_rule_group_capacity(account):
    """botocore CreateRuleGroupRequest.Capacity: a stateless rule needs the product of its
    match settings' element counts (["UDP","TCP"] with three sources: 6), a stateful group
    at least one unit per rule; a domain list at least one per domain and target type
    (measured on AWS, cloudnetworks.io). More is InvalidRequestException, "StatefulRules
    capacity exceeded", also with DryRun; ConsumedCapacity reports what the rules use."""
    nfw = account.client("network-firewall")
    # Suricata rules: one per line; blank lines and comments are not rules
    rules = "\n".join(
        [f'pass tls any any -> any 443 (tls.sni; content:"d{i}"; sid:{i + 1};)' for i in range(3)]
        + ["", "# a comment"]
    )
    with pytest.raises(ClientError) as e:
        nfw.create_rule_group(RuleGroupName="sur", Type="STATEFUL", Capacity=2, Rules=rules)
    _capacity_refused(e)
    got = nfw.create_rule_group(RuleGroupName="sur", Type="STATEFUL", Capacity=3, Rules=rules)
    assert got["RuleGroupResponse"]["ConsumedCapacity"] == 3
    # standard stateful rules: one unit each
    five_tuple = {
        "Action": "PASS",
        "Header": {
            "Protocol": "TCP",
            "Source": "ANY",
            "SourcePort": "ANY",
            "Direction": "FORWARD",
            "Destination": "ANY",
            "DestinationPort": "443",
        },
        "RuleOptions": [{"Keyword": "sid", "Settings": ["1"]}],
    }
    with pytest.raises(ClientError) as e:
        nfw.create_rule_group(
            RuleGroupName="std",
            Type="STATEFUL",
            Capacity=1,
            RuleGroup={"RulesSource": {"StatefulRules": [five_tuple, five_tuple]}},
        )
    _capacity_refused(e)
    # a domain list: 40 domains x 2 target types do not fit 50 (nor 79)
    for capacity in (50, 79):
        with pytest.raises(ClientError) as e:
            nfw.create_rule_group(
                RuleGroupName="dom", Type="STATEFUL", Capacity=capacity, RuleGroup=_domains(40)
            )
        _capacity_refused(e)
    # DryRun checks the capacity too
    with pytest.raises(ClientError) as e:
        nfw.create_rule_group(
            RuleGroupName="dom", Type="STATEFUL", Capacity=50, RuleGroup=_domains(40), DryRun=True
        )
    _capacity_refused(e)
    assert {g["Name"] for g in nfw.list_rule_groups()["RuleGroups"]} == {"sur"}
    # stateless: ["UDP","TCP"] x three sources = 6 (botocore's example)
    rule = {
        "Priority": 1,
        "RuleDefinition": {
            "Actions": ["aws:forward_to_sfe"],
            "MatchAttributes": {
                "Protocols": [6, 17],
                "Sources": [{"AddressDefinition": f"10.0.{i}.0/24"} for i in range(3)],
            },
        },
    }
    body = {"RulesSource": {"StatelessRulesAndCustomActions": {"StatelessRules": [rule]}}}
    with pytest.raises(ClientError) as e:
        nfw.create_rule_group(RuleGroupName="sl", Type="STATELESS", Capacity=5, RuleGroup=body)
    _capacity_refused(e, "StatelessRules")
    got = nfw.create_rule_group(RuleGroupName="sl", Type="STATELESS", Capacity=6, RuleGroup=body)
    assert got["RuleGroupResponse"]["ConsumedCapacity"] == 6


def test_an_update_cannot_exceed_the_capacity_fixed_at_creation(account):
    """botocore CreateRuleGroupRequest.Capacity: "You can't change or exceed this capacity
    when you update the rule group" (UpdateRuleGroup has no Capacity); a refused update
    changes nothing, and a DryRun update "doesn't make additions or changes"."""
    nfw = account.client("network-firewall")
    made = nfw.create_rule_group(
        RuleGroupName="dom", Type="STATEFUL", Capacity=20, RuleGroup=_domains(2)
    )
    arn = made["RuleGroupResponse"]["RuleGroupArn"]
    token = made["UpdateToken"]
    with pytest.raises(ClientError) as e:
        nfw.update_rule_group(RuleGroupArn=arn, UpdateToken=token, RuleGroup=_domains(11))
    _capacity_refused(e)
    d = nfw.describe_rule_group(RuleGroupArn=arn)
    assert d["UpdateToken"] == token
    assert len(d["RuleGroup"]["RulesSource"]["RulesSourceList"]["Targets"]) == 2
    assert d["RuleGroupResponse"]["Capacity"] == 20
    # a dry run reports the new rules' use and leaves the group as it was
    dry = nfw.update_rule_group(
        RuleGroupArn=arn, UpdateToken=token, RuleGroup=_domains(5), DryRun=True
    )
    assert dry["RuleGroupResponse"]["ConsumedCapacity"] == 10
    d = nfw.describe_rule_group(RuleGroupArn=arn)
    assert d["UpdateToken"] == token
    assert len(d["RuleGroup"]["RulesSource"]["RulesSourceList"]["Targets"]) == 2
    up = nfw.update_rule_group(RuleGroupArn=arn, UpdateToken=token, RuleGroup=_domains(5))
    assert up["RuleGroupResponse"]["ConsumedCapacity"] == 10
    assert up["RuleGroupResponse"]["Capacity"] == 20
