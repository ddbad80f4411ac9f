"""Deletes AWS refuses while something still uses the resource: subnets and security
groups held by network interfaces or load balancers, VPCs by groups and load balancers,
and subnets held by an interface endpoint's network interfaces after the endpoint is gone."""

import botocore.exceptions
import pytest

from conftest import make_network, wait_for


def refused(fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    assert e.value.response["Error"]["Code"] == "DependencyViolation", e.value
    return e.value


def test_interfaces_and_load_balancers_hold_subnets_groups_and_vpcs(account):
    ec2, elb = account.client("ec2"), account.client("elbv2")
    vpc, subnets = make_network(ec2)
    sg = ec2.create_security_group(GroupName="lb", Description="lb", VpcId=vpc)["GroupId"]
    lb = elb.create_load_balancer(
        Name="k8s-default-web",
        Subnets=subnets[:2],
        SecurityGroups=[sg],
        Scheme="internal",
        Tags=[{"Key": "elbv2.k8s.aws/cluster", "Value": "dev"}],
    )["LoadBalancers"][0]
    assert lb["VpcId"] == vpc
    refused(ec2.delete_subnet, SubnetId=subnets[0])
    refused(ec2.delete_security_group, GroupId=sg)
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    refused(ec2.delete_vpc, VpcId=vpc)  # the group is still there

    eni = ec2.create_network_interface(SubnetId=subnets[0], Groups=[sg])["NetworkInterface"]
    refused(ec2.delete_subnet, SubnetId=subnets[0])
    refused(ec2.delete_security_group, GroupId=sg)
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_security_group(GroupId=sg)
    for s in subnets:
        ec2.delete_subnet(SubnetId=s)
    ec2.delete_vpc(VpcId=vpc)


def test_endpoint_interfaces_outlive_the_endpoint(account, time_scale):
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2)
    ep = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName="com.amazonaws.us-east-1.sts",
        VpcEndpointType="Interface",
        SubnetIds=subnets[:1],
    )["VpcEndpoint"]
    enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": subnets[:1]}]
    )["NetworkInterfaces"]
    assert [e["Description"] for e in enis] == [f"VPC Endpoint Interface {ep['VpcEndpointId']}"]
    assert enis[0]["RequesterManaged"] is True
    # delete 120 s -> 12 s, then the interfaces 60 s -> 6 s: the subnet must be refused in
    # that window, which at 0.02 (1.2 s) a loaded LocalStack once let pass before the
    # refusal was asked for.
    time_scale(account, 0.1)
    ec2.delete_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])
    state = lambda: ec2.describe_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])[
        "VpcEndpoints"
    ][0]["State"]
    wait_for(lambda: state() == "deleted", 40)
    refused(ec2.delete_subnet, SubnetId=subnets[0])
    wait_for(
        lambda: not ec2.describe_network_interfaces(
            Filters=[{"Name": "subnet-id", "Values": subnets[:1]}]
        )["NetworkInterfaces"],
        40,
    )
    ec2.delete_subnet(SubnetId=subnets[0])


def test_a_nat_gateway_holds_its_subnet_until_it_is_deleted(account):
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip)["NatGateway"]
    eni = nat["NatGatewayAddresses"][0]["NetworkInterfaceId"]
    got = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert got["Description"] == f"Interface for NAT Gateway {nat['NatGatewayId']}"
    refused(ec2.delete_subnet, SubnetId=subnets[0])
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    ec2.delete_subnet(SubnetId=subnets[0])


def test_an_attached_internet_gateway_holds_its_vpc(account):
    """botocore ec2 DeleteVpc ("detach or delete all gateways ... associated with the VPC")
    and DeleteInternetGateway ("You must detach the internet gateway from the VPC before
    you can delete it"), with the messages AWS answers (terraform#5762, ernest#333)."""
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    e = refused(ec2.delete_vpc, VpcId=vpc)
    assert e.response["Error"]["Message"] == (
        f"The vpc '{vpc}' has dependencies and cannot be deleted."
    )
    e = refused(ec2.delete_internet_gateway, InternetGatewayId=igw)
    assert e.response["Error"]["Message"] == (
        f"The internetGateway '{igw}' has dependencies and cannot be deleted."
    )
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)

    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"
    ]
    refused(ec2.delete_vpc, VpcId=vpc)
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw)
    ec2.delete_vpc(VpcId=vpc)


def test_a_group_another_references_holds_and_the_default_group_stays(account):
    """botocore ec2 DeleteSecurityGroup: "is referenced by another security group in the
    same VPC ... fails with DependencyViolation"; the VPC's default group cannot be deleted
    (VPC user guide, "Delete a security group"; EC2 error codes, CannotDelete)."""
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_security_group(GroupName="a", Description="a", VpcId=vpc)["GroupId"]
    b = ec2.create_security_group(GroupName="b", Description="b", VpcId=vpc)["GroupId"]
    rule = {
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "UserIdGroupPairs": [{"GroupId": a}],
    }
    ec2.authorize_security_group_ingress(GroupId=b, IpPermissions=[rule])
    e = refused(ec2.delete_security_group, GroupId=a)
    assert e.response["Error"]["Message"] == f"resource {a} has a dependent object"
    ec2.revoke_security_group_ingress(GroupId=b, IpPermissions=[rule])
    ec2.delete_security_group(GroupId=a)
    ec2.delete_security_group(GroupId=b)

    default = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]["GroupId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_security_group(GroupId=default)
    assert e.value.response["Error"]["Code"] == "CannotDelete"
    ec2.delete_vpc(VpcId=vpc)  # the default group goes with the VPC
    assert not ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "SecurityGroups"
    ]


def test_an_associated_route_table_and_the_main_one_are_held(account):
    """botocore ec2 DeleteRouteTable: "You must disassociate the route table from any
    subnets before you can delete it" (moto's own check and message, kept). "You can't
    delete the main route table" (moto deleted it)."""
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2, "10.7.0.0/16")
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    assoc = ec2.associate_route_table(RouteTableId=rt, SubnetId=subnets[0])["AssociationId"]
    e = refused(ec2.delete_route_table, RouteTableId=rt)
    assert e.response["Error"]["Message"] == (
        f"The routeTable '{rt}' has dependencies and cannot be deleted."
    )
    refused(ec2.delete_vpc, VpcId=vpc)  # subnets and a second route table
    ec2.disassociate_route_table(AssociationId=assoc)
    ec2.delete_route_table(RouteTableId=rt)

    # "You can't delete the main route table" (the same DependencyViolation: aws-cli#1549)
    main = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )["RouteTables"][0]["RouteTableId"]
    refused(ec2.delete_route_table, RouteTableId=main)
    for s in subnets:
        ec2.delete_subnet(SubnetId=s)
    ec2.delete_vpc(VpcId=vpc)  # the main table goes with the VPC
