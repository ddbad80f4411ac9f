"""What an account sees of, and may do with, a subnet shared with it through RAM: the
owner's OwnerId and zone, the participant's own resources holding the owner's subnet and
VPC, and the owner's resources refused to the participant."""

import botocore.exceptions
import pytest

from conftest import _fresh_account, make_network
from test_ram_tgw import accept, share_tgw


def share_subnet(owner, participant, cidr):
    ec2 = owner.client("ec2")
    vpc, subnets = make_network(ec2, cidr)
    arn = f"arn:aws:ec2:us-east-1:{owner.id}:subnet/{subnets[0]}"
    share = owner.client("ram").create_resource_share(
        name="subnets", resourceArns=[arn], principals=[participant.id]
    )["resourceShare"]
    accept(participant, share["resourceShareArn"])
    return vpc, subnets


def error(fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    return e.value.response


def zone_id(acct, name):
    zones = acct.client("ec2").describe_availability_zones(ZoneNames=[name])
    return zones["AvailabilityZones"][0]["ZoneId"]


def test_a_shared_subnet_is_in_the_owners_zone_by_this_accounts_name(account, other_account):
    # a participant whose us-east-1a is another zone than the owner's, as most are
    while zone_id(other_account, "us-east-1a") == zone_id(account, "us-east-1a"):
        other_account = _fresh_account()
    vpc, subnets = share_subnet(account, other_account, "10.20.0.0/16")
    mine = account.client("ec2").describe_subnets(SubnetIds=[subnets[0]])["Subnets"][0]
    p_ec2 = other_account.client("ec2")
    theirs = p_ec2.describe_subnets(SubnetIds=[subnets[0]])["Subnets"][0]
    assert theirs["OwnerId"] == account.id and theirs["VpcId"] == vpc
    assert p_ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["OwnerId"] == account.id
    assert theirs["AvailabilityZoneId"] == mine["AvailabilityZoneId"]
    zones = p_ec2.describe_availability_zones(ZoneIds=[mine["AvailabilityZoneId"]])[
        "AvailabilityZones"
    ]
    assert theirs["AvailabilityZone"] == zones[0]["ZoneName"]
    # the other, unshared subnet of the VPC stays the owner's alone
    visible = p_ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    assert [s["SubnetId"] for s in visible] == [subnets[0]]


def test_a_participant_holds_the_owners_subnet_and_vpc_but_may_not_delete_them(
    account, other_account
):
    vpc, subnets = share_subnet(account, other_account, "10.21.0.0/16")
    ec2, p_ec2 = account.client("ec2"), other_account.client("ec2")

    # the owner's subnet and VPC are not the participant's to delete, nor to add to
    for fn, kw, op in (
        (p_ec2.delete_subnet, {"SubnetId": subnets[0]}, "DeleteSubnet"),
        (p_ec2.delete_vpc, {"VpcId": vpc}, "DeleteVpc"),
        (p_ec2.create_subnet, {"VpcId": vpc, "CidrBlock": "10.21.9.0/24"}, "CreateSubnet"),
    ):
        r = error(fn, **kw)
        assert r["Error"]["Code"] == "UnauthorizedOperation", r
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert r["Error"]["Message"] == (
            f"You are not authorized to perform {op} operation. A subnet in this vpc is "
            "shared but the provided object is not owned by you"
        )
    assert p_ec2.describe_subnets(SubnetIds=[subnets[0]])["Subnets"]

    # what the participant makes there holds the owner's subnet and VPC
    sg = p_ec2.create_security_group(GroupName="p", Description="p", VpcId=vpc)["GroupId"]
    eni = p_ec2.create_network_interface(SubnetId=subnets[0], Groups=[sg])["NetworkInterface"]
    r = error(ec2.delete_subnet, SubnetId=subnets[0])
    assert r["Error"]["Code"] == "DependencyViolation", r
    p_ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_subnet(SubnetId=subnets[0])
    ec2.delete_subnet(SubnetId=subnets[1])
    r = error(ec2.delete_vpc, VpcId=vpc)
    assert r["Error"]["Code"] == "DependencyViolation", r
    p_ec2.delete_security_group(GroupId=sg)
    ec2.delete_vpc(VpcId=vpc)

    # a deleted subnet is gone for the participant too
    r = error(p_ec2.describe_subnets, SubnetIds=[subnets[0]])
    assert r["Error"]["Code"] == "InvalidSubnetID.NotFound", r


def test_a_shared_gateway_is_seen_and_attached_to_but_not_run_by_the_participant(
    account, other_account
):
    """Transit Gateways guide, "Transit gateway sharing considerations": the gateway is
    visible to the participant with the owner's OwnerId; only the owner runs the gateway
    and route table APIs ("When a transit gateway is shared with you, you cannot create,
    modify, or delete its transit gateway route tables")."""
    tgw, share = share_tgw(account, other_account)
    accept(other_account, share["resourceShareArn"])
    tgw_id = tgw["TransitGatewayId"]
    p_ec2 = other_account.client("ec2")
    seen = p_ec2.describe_transit_gateways(TransitGatewayIds=[tgw_id])["TransitGateways"][0]
    assert seen["OwnerId"] == account.id
    for fn, kw in (
        (p_ec2.create_transit_gateway_route_table, {"TransitGatewayId": tgw_id}),
        (p_ec2.modify_transit_gateway, {"TransitGatewayId": tgw_id, "Description": "mine"}),
    ):
        r = error(fn, **kw)
        assert r["Error"]["Code"] == "UnauthorizedOperation", r
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 403
    owners = account.client("ec2").describe_transit_gateways(TransitGatewayIds=[tgw_id])
    assert owners["TransitGateways"][0]["Description"] == "hub"
    assert p_ec2.describe_transit_gateway_route_tables()["TransitGatewayRouteTables"] == []
    # what the participant may do: attach its VPC
    vpc, subnets = make_network(p_ec2, "10.22.0.0/16")
    att = p_ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw_id, VpcId=vpc, SubnetIds=subnets
    )["TransitGatewayVpcAttachment"]
    assert att["VpcOwnerId"] == other_account.id
