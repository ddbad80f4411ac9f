"""Route 53 private hosted zones across accounts (route53.py): authorizations, associations
and AWS's refusals, each with the code and message botocore's route53 model documents."""

import pytest
from botocore.exceptions import ClientError

NAME = "sts.us-east-1.amazonaws.com"


def vpc(account):
    return account.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


def zone(account, vpc_id, name=NAME, ref="ref-1"):
    r53 = account.client("route53")
    out = r53.create_hosted_zone(
        Name=name,
        CallerReference=ref,
        VPC={"VPCRegion": "us-east-1", "VPCId": vpc_id},
        HostedZoneConfig={"PrivateZone": True, "Comment": "test"},
    )
    return out["HostedZone"]["Id"].split("/")[-1]


def error(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_cross_account_association_needs_the_owners_authorization(account, other_account):
    owner, spoke = account, other_account
    zid = zone(owner, vpc(owner))
    spoke_vpc = vpc(spoke)
    v = {"VPCRegion": "us-east-1", "VPCId": spoke_vpc}
    with pytest.raises(ClientError) as e:
        spoke.client("route53").associate_vpc_with_hosted_zone(HostedZoneId=zid, VPC=v)
    assert error(e) == ("NotAuthorizedException", 401)
    # Only the zone's owner may authorize.
    with pytest.raises(ClientError) as e:
        spoke.client("route53").create_vpc_association_authorization(HostedZoneId=zid, VPC=v)
    assert error(e)[0] == "NoSuchHostedZone"
    owner.client("route53").create_vpc_association_authorization(HostedZoneId=zid, VPC=v)
    listed = owner.client("route53").list_vpc_association_authorizations(HostedZoneId=zid)
    assert listed["VPCs"] == [v]
    spoke.client("route53").associate_vpc_with_hosted_zone(HostedZoneId=zid, VPC=v)
    # The authorization can go; the association stays.
    owner.client("route53").delete_vpc_association_authorization(HostedZoneId=zid, VPC=v)
    with pytest.raises(ClientError) as e:
        owner.client("route53").delete_vpc_association_authorization(HostedZoneId=zid, VPC=v)
    assert error(e) == ("VPCAssociationAuthorizationNotFound", 404)
    seen = spoke.client("route53").list_hosted_zones_by_vpc(VPCId=spoke_vpc, VPCRegion="us-east-1")
    [s] = seen["HostedZoneSummaries"]
    assert s["HostedZoneId"] == zid and s["Owner"]["OwningAccount"] == owner.id
    vpcs = owner.client("route53").get_hosted_zone(Id=zid)["VPCs"]
    assert {x["VPCId"] for x in vpcs} == {spoke_vpc, vpcs[0]["VPCId"]} and len(vpcs) == 2
    # Either account may disassociate; the last VPC may not go.
    spoke.client("route53").disassociate_vpc_from_hosted_zone(HostedZoneId=zid, VPC=v)
    with pytest.raises(ClientError) as e:
        spoke.client("route53").disassociate_vpc_from_hosted_zone(HostedZoneId=zid, VPC=v)
    assert error(e) == ("VPCAssociationNotFound", 404)
    own = owner.client("route53").get_hosted_zone(Id=zid)["VPCs"][0]
    with pytest.raises(ClientError) as e:
        owner.client("route53").disassociate_vpc_from_hosted_zone(HostedZoneId=zid, VPC=own)
    assert error(e)[0] == "LastVPCAssociation"


def test_a_vpc_resolves_a_name_through_one_zone(account):
    v = vpc(account)
    zid = zone(account, v)
    with pytest.raises(ClientError) as e:
        zone(account, v, ref="ref-2")
    assert error(e)[0] == "ConflictingDomainExists"
    other = vpc(account)
    zone(account, other, ref="ref-3")
    with pytest.raises(ClientError) as e:
        account.client("route53").associate_vpc_with_hosted_zone(
            HostedZoneId=zid, VPC={"VPCRegion": "us-east-1", "VPCId": other}
        )
    assert error(e)[0] == "ConflictingDomainExists"
    with pytest.raises(ClientError) as e:
        account.client("route53").associate_vpc_with_hosted_zone(
            HostedZoneId=zid, VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-0000000000000000f"}
        )
    assert error(e)[0] == "InvalidVPCId"


def test_a_zone_with_records_is_not_deleted(account):
    zid = zone(account, vpc(account))
    r53 = account.client("route53")
    change = {
        "Action": "UPSERT",
        "ResourceRecordSet": {
            "Name": NAME,
            "Type": "A",
            "AliasTarget": {"HostedZoneId": "Z1", "DNSName": "vpce-1.sts.us-east-1.vpce.amazonaws.com", "EvaluateTargetHealth": False},
        },
    }
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [change]})
    with pytest.raises(ClientError) as e:
        r53.delete_hosted_zone(Id=zid)
    assert error(e)[0] == "HostedZoneNotEmpty"
    change["Action"] = "DELETE"
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [change]})
    r53.delete_hosted_zone(Id=zid)
