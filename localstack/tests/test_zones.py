"""Availability zone names per account (ec2.py, zone_id_for): one physical zone, one zone ID
in every account, under names that differ between accounts."""

import pytest
from botocore.exceptions import ClientError


def zones(account, region="eu-central-1"):
    ec2 = account.client("ec2", region=region)
    out = ec2.describe_availability_zones()["AvailabilityZones"]
    return {z["ZoneName"]: z["ZoneId"] for z in out}


def test_names_map_to_ids_per_account(account, other_account):
    mine, theirs = zones(account), zones(other_account)
    # Same zones, same IDs, each named once.
    assert sorted(mine.values()) == sorted(theirs.values())
    assert len(set(mine.values())) == len(mine)
    if int(account.id) % len(mine) != int(other_account.id) % len(mine):
        assert mine != theirs, "accounts whose mappings differ name the zones differently"


def test_a_subnet_made_by_zone_id_is_in_that_zone_under_the_accounts_name(account):
    ec2 = account.client("ec2", region="eu-central-1")
    names = zones(account)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for i, (name, zid) in enumerate(sorted(names.items())):
        sn = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZoneId=zid)["Subnet"]
        assert (sn["AvailabilityZone"], sn["AvailabilityZoneId"]) == (name, zid)
        seen = ec2.describe_subnets(SubnetIds=[sn["SubnetId"]])["Subnets"][0]
        assert (seen["AvailabilityZone"], seen["AvailabilityZoneId"]) == (name, zid)
    by_name = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.9.0/24", AvailabilityZone=sorted(names)[0])
    assert by_name["Subnet"]["AvailabilityZoneId"] == names[sorted(names)[0]]
    ids = ec2.describe_availability_zones(ZoneIds=[names[sorted(names)[1]]])["AvailabilityZones"]
    assert [(z["ZoneName"], z["ZoneId"]) for z in ids] == [(sorted(names)[1], names[sorted(names)[1]])]
    with pytest.raises(ClientError):
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.10.0/24", AvailabilityZoneId="euc1-az99")
