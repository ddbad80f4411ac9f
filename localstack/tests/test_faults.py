"""Fault injection through /_airgap/faults, seen by SDK clients in each service's wire format."""

import time

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
)
from conftest import airgap, make_network


def add(rule):
    status, body = airgap("POST", "/_airgap/faults", rule)
    assert status == 201, body
    return body


def code(exc):
    return exc.value.response["Error"]["Code"]


def test_api_validation_and_listing(account):
    status, body = airgap("POST", "/_airgap/faults", {"service": "ec2", "fault": "nope"})
    assert status == 400 and "fault" in body["error"]
    rule = add(
        {
            "service": "ec2",
            "operation": "DescribeVpcs",
            "fault": "throttling",
            "count": 1,
            "account": account.id,
        }
    )
    status, body = airgap("GET", "/_airgap/faults")
    mine = [r for r in body["rules"] if r["id"] == rule["id"]]
    assert mine and mine[0]["hits"] == 0 and mine[0]["remaining"] == 1
    with pytest.raises(ClientError):
        account.client("ec2").describe_vpcs()
    status, body = airgap("GET", "/_airgap/faults")
    mine = [r for r in body["rules"] if r["id"] == rule["id"]]
    assert mine[0]["hits"] == 1 and mine[0]["remaining"] == 0
    assert airgap("DELETE", f"/_airgap/faults/{rule['id']}")[0] == 200


def test_throttling_next_n_calls_per_service(account):
    add(
        {
            "service": "ec2",
            "operation": "DescribeVpcs",
            "fault": "throttling",
            "count": 2,
            "account": account.id,
        }
    )
    add(
        {
            "service": "eks",
            "operation": "ListClusters",
            "fault": "throttling",
            "count": 1,
            "account": account.id,
        }
    )
    add(
        {
            "service": "network-firewall",
            "operation": "ListFirewalls",
            "fault": "server_error",
            "count": 1,
            "account": account.id,
        }
    )
    add(
        {
            "service": "ram",
            "operation": "GetResourceShares",
            "fault": "server_error",
            "count": 1,
            "account": account.id,
        }
    )
    ec2 = account.client("ec2")
    for _ in range(2):
        with pytest.raises(ClientError) as e:
            ec2.describe_vpcs()
        assert code(e) == "RequestLimitExceeded"
    ec2.describe_vpcs()  # third call succeeds
    with pytest.raises(ClientError) as e:
        account.client("eks").list_clusters()
    assert code(e) == "TooManyRequestsException"
    with pytest.raises(ClientError) as e:
        account.client("network-firewall").list_firewalls()
    assert code(e) == "InternalServerError"
    with pytest.raises(ClientError) as e:
        account.client("ram").get_resource_shares(resourceOwner="SELF")
    assert code(e) == "ServerInternalException"
    # other accounts are not affected
    account.client("eks").list_clusters()


def test_sdk_retries_through_throttling(account):
    add(
        {
            "service": "ec2",
            "operation": "DescribeVpcs",
            "fault": "throttling",
            "count": 2,
            "account": account.id,
        }
    )
    resp = account.client("ec2", retries=3).describe_vpcs()
    assert resp["ResponseMetadata"]["RetryAttempts"] == 2


def test_dependency_violation(account):
    ec2 = account.client("ec2")
    vpc, _ = make_network(ec2)
    add(
        {
            "service": "ec2",
            "operation": "DeleteVpc",
            "fault": "dependency_violation",
            "account": account.id,
        }
    )
    with pytest.raises(ClientError) as e:
        ec2.delete_vpc(VpcId=vpc)
    assert code(e) == "DependencyViolation"


def test_delay(account):
    add(
        {
            "service": "ec2",
            "operation": "DescribeVpcs",
            "fault": "delay",
            "delay_ms": 800,
            "account": account.id,
        }
    )
    t0 = time.monotonic()
    account.client("ec2").describe_vpcs()
    assert time.monotonic() - t0 >= 0.8


def test_not_found_after_create(account):
    ec2 = account.client("ec2")
    add(
        {
            "service": "ec2",
            "operation": "CreateVpc",
            "fault": "not_found_after_create",
            "duration_ms": 3000,
            "account": account.id,
        }
    )
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs(VpcIds=[vpc])
    assert code(e) == "InvalidVpcID.NotFound"
    time.sleep(3.2)
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["VpcId"] == vpc


def test_connection_drop(account):
    add(
        {
            "service": "eks",
            "operation": "ListClusters",
            "fault": "connection_drop",
            "account": account.id,
        }
    )
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        account.client("eks").list_clusters()
    account.client("eks").list_clusters()


def test_probability(account):
    add(
        {
            "service": "ec2",
            "operation": "DescribeVpcs",
            "fault": "throttling",
            "probability": 1.0,
            "count": 3,
            "account": account.id,
        }
    )
    ec2 = account.client("ec2")
    fails = 0
    for _ in range(5):
        try:
            ec2.describe_vpcs()
        except ClientError:
            fails += 1
    assert fails == 3


def test_not_found_after_share_acceptance(account, other_account):
    """AWS: attaching to a just-shared TGW can fail with InvalidTransitGatewayID.NotFound."""
    from test_ram_tgw import accept, share_tgw

    tgw, share = share_tgw(account, other_account)
    add(
        {
            "service": "ram",
            "operation": "AcceptResourceShareInvitation",
            "fault": "not_found_after_create",
            "duration_ms": 3000,
            "account": other_account.id,
            "affected_service": "ec2",
            "affected_operations": ["CreateTransitGatewayVpcAttachment"],
        }
    )
    accept(other_account, share["resourceShareArn"])
    ec2 = other_account.client("ec2")
    vpc, subnets = make_network(ec2)
    with pytest.raises(ClientError) as e:
        ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc, SubnetIds=subnets
        )
    assert code(e) == "InvalidTransitGatewayID.NotFound"
    time.sleep(3.2)
    ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc, SubnetIds=subnets
    )


def test_a_seed_replays_the_same_draws(account):
    """Two rules with one seed fail the same calls of the same sequence."""

    def pattern(seed):
        rule = add(
            {
                "service": "ec2",
                "operation": "DescribeVpcs",
                "fault": "throttling",
                "probability": 0.5,
                "seed": seed,
                "account": account.id,
            }
        )
        ec2 = account.client("ec2")
        out = []
        for _ in range(24):
            try:
                ec2.describe_vpcs()
                out.append(0)
            except ClientError:
                out.append(1)
        airgap("DELETE", f"/_airgap/faults/{rule['id']}")
        return out

    first, again, other = pattern(42), pattern(42), pattern(43)
    assert first == again
    assert first != other
    assert 0 < sum(first) < 24


def test_response_lost_after_the_call_took_effect(account):
    """The create is made; the client sees a reset connection and cannot tell."""
    add(
        {
            "service": "ec2",
            "operation": "CreateVpc",
            "fault": "response_lost",
            "account": account.id,
        }
    )
    ec2 = account.client("ec2")
    tags = [{"ResourceType": "vpc", "Tags": [{"Key": "lost", "Value": "yes"}]}]
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        ec2.create_vpc(CidrBlock="10.77.0.0/16", TagSpecifications=tags)
    made = ec2.describe_vpcs(Filters=[{"Name": "tag:lost", "Values": ["yes"]}])["Vpcs"]
    assert len(made) == 1


def test_not_found_window_covers_only_the_new_resource(account):
    """EC2's eventual consistency: calls naming the new VPC answer NotFound for a while; a
    filtered Describe (an empty answer on AWS, never an error) and other VPCs are not
    affected. Operations can be named by prefix."""
    ec2 = account.client("ec2")
    old = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    rule = add(
        {
            "service": "ec2",
            "operation": "Create*",
            "fault": "not_found_after_create",
            "duration_ms": 3000,
            "account": account.id,
        }
    )
    new = ec2.create_vpc(CidrBlock="10.79.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs(VpcIds=[new])
    assert code(e) == "InvalidVpcID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.create_subnet(VpcId=new, CidrBlock="10.79.0.0/24")
    assert code(e) == "InvalidVpcID.NotFound"
    ec2.describe_vpcs(VpcIds=[old])
    ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [new]}])
    listed = [r for r in airgap("GET", "/_airgap/faults")[1]["rules"] if r["id"] == rule["id"]]
    assert listed[0]["blocked"] == 2
    time.sleep(3.2)
    assert ec2.describe_vpcs(VpcIds=[new])["Vpcs"][0]["VpcId"] == new
