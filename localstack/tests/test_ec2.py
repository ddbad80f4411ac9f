"""EC2 refusals around Elastic IPs and internet gateways."""

import pytest
from botocore.exceptions import ClientError


def test_a_nat_gateways_address_holds_until_the_nat_is_gone(account):
    """botocore ReleaseAddress: an associated address is InvalidIPAddress.InUse; and a
    recorded AWS answer: detaching the gateway of a VPC that maps public addresses is
    DependencyViolation ("has some mapped public address(es)")."""
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=sn, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    with pytest.raises(ClientError) as e:
        ec2.release_address(AllocationId=eip)
    assert e.value.response["Error"]["Code"] == "InvalidIPAddress.InUse"
    with pytest.raises(ClientError) as e:
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert e.value.response["Error"]["Code"] == "DependencyViolation"
    assert "mapped public address" in e.value.response["Error"]["Message"]
    ec2.delete_nat_gateway(NatGatewayId=nat)  # time scale 0: deleted at once
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.release_address(AllocationId=eip)
