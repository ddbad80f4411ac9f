"""EC2 refusals around Elastic IPs and internet gateways."""

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for

# A transit gateway whose attachments get no association or propagation of their own, as
# airgapctl creates it (by default AWS associates each new attachment with the default
# route table, and a second association is Resource.AlreadyAssociated).
NO_DEFAULT_LINKS = {
    "DefaultRouteTableAssociation": "disable",
    "DefaultRouteTablePropagation": "disable",
}


def attached(ec2, cidr, ready=lambda tgw: None):
    """A transit gateway without default links, a VPC of `cidr` with two subnets attached
    to it, and one route table of the gateway: (vpc, subnets, attachment, route table).
    `ready(tgw)` runs before the attachment (to wait for the gateway on a time scale)."""
    from conftest import make_network

    tgw = ec2.create_transit_gateway(Options=NO_DEFAULT_LINKS)["TransitGateway"]
    ready(tgw["TransitGatewayId"])
    vpc, subnets = make_network(ec2, cidr=cidr)
    att = ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc, SubnetIds=subnets
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    rt = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw["TransitGatewayId"])[
        "TransitGatewayRouteTable"
    ]["TransitGatewayRouteTableId"]
    return vpc, subnets, att, rt


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


def test_a_nat_gateway_on_an_address_still_held_fails_and_leaves_no_interface(
    account, time_scale
):
    """Recorded AWS answer (hashicorp/terraform#13836, terraform-provider-aws#709):
    CreateNatGateway with an address still associated is accepted, and the NAT gateway goes
    to `failed` with failureCode Resource.AlreadyAssociated (botocore ec2
    NatGateway.FailureCode). The failed NAT holds no interface: the subnet is free once the
    first NAT is gone."""
    time_scale(account, 0.01)  # the first NAT's delete takes 2.4 s
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    first = ec2.create_nat_gateway(SubnetId=sn, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    wait_for(
        lambda: ec2.describe_nat_gateways(NatGatewayIds=[first])["NatGateways"][0]["State"]
        == "available"
    )
    ec2.delete_nat_gateway(NatGatewayId=first)
    second = ec2.create_nat_gateway(SubnetId=sn, AllocationId=eip)["NatGateway"]
    (nat,) = ec2.describe_nat_gateways(NatGatewayIds=[second["NatGatewayId"]])["NatGateways"]
    assert nat["State"] == "failed"
    assert nat["FailureCode"] == "Resource.AlreadyAssociated"
    assert nat["FailureMessage"] == f"Elastic IP address {eip} is already associated"
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [sn]}])
    assert len(enis["NetworkInterfaces"]) == 1, "only the first NAT's interface"
    (addr,) = ec2.describe_addresses(AllocationIds=[eip])["Addresses"]
    assert addr["NetworkInterfaceId"] == enis["NetworkInterfaces"][0]["NetworkInterfaceId"]
    wait_for(
        lambda: ec2.describe_nat_gateways(NatGatewayIds=[first])["NatGateways"][0]["State"]
        == "deleted"
    )
    assert ec2.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [sn]}]
    )["NetworkInterfaces"] == []
    ec2.delete_subnet(SubnetId=sn)
    ec2.release_address(AllocationId=eip)


def test_endpoints_are_described_by_the_id_filter_and_at_most_200_filter_values(account):
    """botocore DescribeVpcEndpoints documents the vpc-endpoint-id filter: ids it does not
    match are left out (VpcEndpointIds would fail the call). AWS refuses more than 200
    filter values in one call (InvalidParameterValue, recorded in a public issue)."""
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    made = [
        ec2.create_vpc_endpoint(
            VpcId=vpc, ServiceName=f"com.amazonaws.us-east-1.{svc}", VpcEndpointType="Gateway"
        )["VpcEndpoint"]["VpcEndpointId"]
        for svc in ("s3", "dynamodb")
    ]
    gone = "vpce-0123456789abcdef0"
    found = ec2.describe_vpc_endpoints(
        Filters=[{"Name": "vpc-endpoint-id", "Values": [made[0], gone]}]
    )["VpcEndpoints"]
    assert [e["VpcEndpointId"] for e in found] == [made[0]]
    both = ec2.describe_vpc_endpoints(
        Filters=[
            {"Name": "vpc-endpoint-id", "Values": made},
            {"Name": "vpc-id", "Values": [vpc]},
        ]
    )["VpcEndpoints"]
    assert sorted(e["VpcEndpointId"] for e in both) == sorted(made)
    with pytest.raises(ClientError) as e:
        ec2.describe_vpc_endpoints(VpcEndpointIds=[gone])
    assert e.value.response["Error"]["Code"] == "InvalidVpcEndpointId.NotFound"
    many = [f"vpce-{i:017x}" for i in range(201)]
    with pytest.raises(ClientError) as e:
        ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-endpoint-id", "Values": many}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "200" in e.value.response["Error"]["Message"]
    ok = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-endpoint-id", "Values": many[:200]}])
    assert ok["VpcEndpoints"] == []


def test_client_tokens_make_one_resource(account):
    """AWS, "Ensuring idempotency in Amazon EC2 API requests": a repeat with the same token
    and parameters returns the first result; other parameters are
    IdempotentParameterMismatch."""
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.81.0.0/16")["Vpc"]["VpcId"]
    first = ec2.create_route_table(VpcId=vpc, ClientToken="tok-1")["RouteTable"]
    again = ec2.create_route_table(VpcId=vpc, ClientToken="tok-1")["RouteTable"]
    assert first["RouteTableId"] == again["RouteTableId"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    assert len(tables["RouteTables"]) == 2  # the main table and ours
    other = ec2.create_vpc(CidrBlock="10.82.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(ClientError) as e:
        ec2.create_route_table(VpcId=other, ClientToken="tok-1")
    assert e.value.response["Error"]["Code"] == "IdempotentParameterMismatch"
    ep = dict(VpcId=vpc, ServiceName="com.amazonaws.eu-central-1.s3", ClientToken="tok-2")
    a = ec2.create_vpc_endpoint(**ep, RouteTableIds=[first["RouteTableId"]])["VpcEndpoint"]
    b = ec2.create_vpc_endpoint(**ep, RouteTableIds=[first["RouteTableId"]])["VpcEndpoint"]
    assert a["VpcEndpointId"] == b["VpcEndpointId"]
    # a launch template's new version: a repeat is the version the first call made
    lt = ec2.create_launch_template(
        LaunchTemplateName="lt-tokens", LaunchTemplateData={"InstanceType": "t3.small"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    v = dict(
        LaunchTemplateId=lt, LaunchTemplateData={"InstanceType": "m5.large"}, ClientToken="tok-3"
    )
    made = ec2.create_launch_template_version(**v)["LaunchTemplateVersion"]["VersionNumber"]
    repeat = ec2.create_launch_template_version(**v)["LaunchTemplateVersion"]["VersionNumber"]
    assert (made, repeat) == (2, 2)
    versions = ec2.describe_launch_template_versions(LaunchTemplateId=lt)["LaunchTemplateVersions"]
    assert sorted(x["VersionNumber"] for x in versions) == [1, 2]
    with pytest.raises(ClientError) as e:
        other = {"InstanceType": "c5.large"}
        ec2.create_launch_template_version(**{**v, "LaunchTemplateData": other})
    assert e.value.response["Error"]["Code"] == "IdempotentParameterMismatch"


def test_unlinking_a_tgw_route_table_twice_answers_not_found(account):
    """A repeat of Disassociate/Disable (a retry after a lost answer) is a NotFound code
    (EC2 error codes: InvalidAssociation.NotFound), not a server error."""
    ec2 = account.client("ec2")
    _, _, att, rt = attached(ec2, "10.0.0.0/16")
    pair = dict(TransitGatewayRouteTableId=rt, TransitGatewayAttachmentId=att)
    ec2.associate_transit_gateway_route_table(**pair)
    ec2.disassociate_transit_gateway_route_table(**pair)
    with pytest.raises(ClientError) as e:
        ec2.disassociate_transit_gateway_route_table(**pair)
    assert e.value.response["Error"]["Code"] == "InvalidAssociation.NotFound"
    ec2.enable_transit_gateway_route_table_propagation(**pair)
    ec2.disable_transit_gateway_route_table_propagation(**pair)
    with pytest.raises(ClientError) as e:
        ec2.disable_transit_gateway_route_table_propagation(**pair)
    assert e.value.response["Error"]["Code"] == "TransitGatewayRouteTablePropagation.NotFound"


def test_a_vpc_attaches_again_once_its_attachment_is_deleted(account):
    """AWS refuses a second attachment only while another is not deleted
    (DuplicateTransitGatewayAttachment: "... has non-deleted Transit Gateway Attachments
    with same VPC ID")."""
    from conftest import make_network

    ec2 = account.client("ec2")
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    vpc, subnets = make_network(ec2, cidr="10.83.0.0/16")
    req = dict(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=subnets)
    first = ec2.create_transit_gateway_vpc_attachment(**req)["TransitGatewayVpcAttachment"]
    with pytest.raises(ClientError) as e:
        ec2.create_transit_gateway_vpc_attachment(**req)
    assert e.value.response["Error"]["Code"] == "DuplicateTransitGatewayAttachment"
    ec2.delete_transit_gateway_vpc_attachment(
        TransitGatewayAttachmentId=first["TransitGatewayAttachmentId"]
    )
    again = ec2.create_transit_gateway_vpc_attachment(**req)["TransitGatewayVpcAttachment"]
    assert again["TransitGatewayAttachmentId"] != first["TransitGatewayAttachmentId"]


def test_a_deleted_attachment_propagates_nowhere(account):
    ec2 = account.client("ec2")
    _, _, att, rt = attached(ec2, "10.84.0.0/16")
    ec2.enable_transit_gateway_route_table_propagation(
        TransitGatewayRouteTableId=rt, TransitGatewayAttachmentId=att
    )
    listed = ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=rt)
    props = listed["TransitGatewayRouteTablePropagations"]
    assert [p["TransitGatewayAttachmentId"] for p in props] == [att]
    ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att)
    listed = ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=rt)
    assert listed["TransitGatewayRouteTablePropagations"] == []


def test_route_tables_link_only_attachments_in_use(account, time_scale):
    """Recorded AWS answer (hashicorp/terraform-provider-aws#29178): enabling a propagation
    to an attachment that is not yet available is "IncorrectState: tgw-attach-... is in
    invalid state"; the same holds for an association, and for an attachment being
    deleted or deleted."""
    # An attachment takes 3 s to become available: room for the route table's creation
    # and the two refused calls on a loaded machine (at 0.6 s they came too late).
    time_scale(account, 0.05)
    ec2 = account.client("ec2")

    def gateway_available(tgw):
        wait_for(
            lambda: ec2.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"][
                0
            ]["State"]
            == "available"
        )

    _, _, att, rt = attached(ec2, "10.85.0.0/16", ready=gateway_available)
    pair = dict(TransitGatewayRouteTableId=rt, TransitGatewayAttachmentId=att)

    def refused(call):
        with pytest.raises(ClientError) as e:
            call(**pair)
        assert e.value.response["Error"]["Code"] == "IncorrectState"
        assert e.value.response["Error"]["Message"] == f"{att} is in invalid state"

    refused(ec2.enable_transit_gateway_route_table_propagation)  # pending
    refused(ec2.associate_transit_gateway_route_table)
    state = lambda: ec2.describe_transit_gateway_attachments(  # noqa: E731
        TransitGatewayAttachmentIds=[att]
    )["TransitGatewayAttachments"][0]["State"]
    wait_for(lambda: state() == "available")
    ec2.enable_transit_gateway_route_table_propagation(**pair)
    ec2.disable_transit_gateway_route_table_propagation(**pair)
    ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att)
    refused(ec2.enable_transit_gateway_route_table_propagation)  # deleting
    wait_for(lambda: state() == "deleted")
    refused(ec2.enable_transit_gateway_route_table_propagation)
    listed = ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=rt)
    assert listed["TransitGatewayRouteTablePropagations"] == []


def test_a_link_made_twice_is_refused_not_doubled(account):
    """A repeated EnableTransitGatewayRouteTablePropagation answers
    TransitGatewayRouteTablePropagation.Duplicate and a second association
    Resource.AlreadyAssociated (the codes AWS's transit gateway orchestration treats as
    "already configured"); the route table keeps one propagation, which one Disable
    removes."""
    ec2 = account.client("ec2")
    _, _, att, rt = attached(ec2, "10.86.0.0/16")
    tgw = ec2.describe_transit_gateway_route_tables(TransitGatewayRouteTableIds=[rt])[
        "TransitGatewayRouteTables"
    ][0]["TransitGatewayId"]
    other = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)[
        "TransitGatewayRouteTable"
    ]["TransitGatewayRouteTableId"]
    pair = dict(TransitGatewayRouteTableId=rt, TransitGatewayAttachmentId=att)
    ec2.enable_transit_gateway_route_table_propagation(**pair)
    with pytest.raises(ClientError) as e:
        ec2.enable_transit_gateway_route_table_propagation(**pair)
    assert e.value.response["Error"]["Code"] == "TransitGatewayRouteTablePropagation.Duplicate"
    listed = ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=rt)
    assert len(listed["TransitGatewayRouteTablePropagations"]) == 1
    ec2.disable_transit_gateway_route_table_propagation(**pair)
    listed = ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=rt)
    assert listed["TransitGatewayRouteTablePropagations"] == []

    ec2.associate_transit_gateway_route_table(**pair)
    with pytest.raises(ClientError) as e:
        ec2.associate_transit_gateway_route_table(
            TransitGatewayRouteTableId=other, TransitGatewayAttachmentId=att
        )
    assert e.value.response["Error"]["Code"] == "Resource.AlreadyAssociated"


def test_an_attachment_gets_default_links_only_when_its_gateway_enables_them(account):
    """botocore ec2 TransitGatewayRequestOptions: DefaultRouteTableAssociation and
    DefaultRouteTablePropagation "enable or disable automatic association/propagation"
    with the default route table; moto associated every attachment regardless."""
    from conftest import make_network

    ec2 = account.client("ec2")
    tgw = ec2.create_transit_gateway()["TransitGateway"]
    default_rt = tgw["Options"]["AssociationDefaultRouteTableId"]
    vpc, subnets = make_network(ec2, cidr="10.87.0.0/16")
    att = ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc, SubnetIds=subnets
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    assoc = ec2.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=default_rt)[
        "Associations"
    ]
    props = ec2.get_transit_gateway_route_table_propagations(
        TransitGatewayRouteTableId=default_rt
    )["TransitGatewayRouteTablePropagations"]
    assert [a["TransitGatewayAttachmentId"] for a in assoc] == [att]
    assert [p["TransitGatewayAttachmentId"] for p in props] == [att]


def test_a_gateway_without_default_links_has_no_default_route_table(account):
    """botocore ec2 TransitGatewayOptions.DefaultRouteTableAssociation: "Either
    defaultRouteTableAssociation or defaultRouteTablePropagation must be set to enable for
    Amazon Web Services Transit Gateway to create the default transit gateway route
    table." moto made one for every gateway; an attachment then has no association."""
    from conftest import make_network

    ec2 = account.client("ec2")
    tgw = ec2.create_transit_gateway(Options=NO_DEFAULT_LINKS)["TransitGateway"]
    tgw_id = tgw["TransitGatewayId"]
    described = ec2.describe_transit_gateways(TransitGatewayIds=[tgw_id])["TransitGateways"][0]
    for options in (tgw["Options"], described["Options"]):
        assert "AssociationDefaultRouteTableId" not in options
        assert "PropagationDefaultRouteTableId" not in options
    of_gateway = [{"Name": "transit-gateway-id", "Values": [tgw_id]}]
    tables = ec2.describe_transit_gateway_route_tables(Filters=of_gateway)
    assert tables["TransitGatewayRouteTables"] == []
    vpc, subnets = make_network(ec2, cidr="10.88.0.0/16")
    att = ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw_id, VpcId=vpc, SubnetIds=subnets
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    got = ec2.describe_transit_gateway_attachments(TransitGatewayAttachmentIds=[att])
    assert "Association" not in got["TransitGatewayAttachments"][0]
    # A table of its own is the only kind it has, and the attachment is neither associated
    # with it nor propagating to it until asked.
    own = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw_id)
    own_id = own["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    tables = ec2.describe_transit_gateway_route_tables(Filters=of_gateway)
    assert [t["TransitGatewayRouteTableId"] for t in tables["TransitGatewayRouteTables"]] == [
        own_id
    ]
    assoc = ec2.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=own_id)
    props = ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=own_id)
    assert assoc["Associations"] == []
    assert props["TransitGatewayRouteTablePropagations"] == []


def test_an_attachments_interfaces_hold_its_subnets_until_it_is_deleted(account):
    """A VPC attachment puts one requester-managed interface in each of its subnets,
    described "Network Interface for Transit Gateway Attachment tgw-attach-..."
    (aws-cloudformation/cloudformation-coverage-roadmap#2483); DeleteSubnet is
    DependencyViolation while they exist; they go with the attachment."""
    ec2 = account.client("ec2")
    vpc, subnets, att, _ = attached(ec2, "10.89.0.0/16")
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "NetworkInterfaces"
    ]
    assert sorted(e["SubnetId"] for e in enis) == sorted(subnets)
    for e in enis:
        assert e["Description"] == f"Network Interface for Transit Gateway Attachment {att}"
        assert e["InterfaceType"] == "transit_gateway"
        assert e["RequesterManaged"] is True
    with pytest.raises(ClientError) as err:
        ec2.delete_subnet(SubnetId=subnets[0])
    assert err.value.response["Error"]["Code"] == "DependencyViolation"
    ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att)  # at once
    assert ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "NetworkInterfaces"
    ] == []
    ec2.delete_subnet(SubnetId=subnets[0])


def test_nat_gateways_are_filtered_by_their_tags(account):
    """botocore DescribeNatGateways Filter: `tag:<key>` and `tag-key` (moto ignored both
    and listed every NAT gateway of the account)."""
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    nats = {}
    for zone, cidr in [("a", "10.0.0.0/24"), ("b", "10.0.1.0/24")]:
        sn = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
        nats[zone] = ec2.create_nat_gateway(
            SubnetId=sn,
            ConnectivityType="private",
            TagSpecifications=[
                {"ResourceType": "natgateway", "Tags": [{"Key": "zone", "Value": zone}]}
            ],
        )["NatGateway"]["NatGatewayId"]

    def listed(filters):
        return sorted(n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filter=filters)["NatGateways"])

    assert listed([{"Name": "tag:zone", "Values": ["a"]}]) == [nats["a"]]
    assert listed([{"Name": "tag:zone", "Values": ["a", "b"]}]) == sorted(nats.values())
    assert listed([{"Name": "tag:zone", "Values": ["c"]}]) == []
    assert listed([{"Name": "tag-key", "Values": ["zone"]}]) == sorted(nats.values())
    assert listed([{"Name": "tag-key", "Values": ["other"]}]) == []
    # With a filter moto applies: both must hold.
    assert listed(
        [{"Name": "tag:zone", "Values": ["b"]}, {"Name": "vpc-id", "Values": [vpc]}]
    ) == [nats["b"]]


def test_transit_gateway_route_tables_are_filtered_by_their_tags(account):
    """AWS applies `tag:<key>` filters to DescribeTransitGatewayRouteTables (moto ignored
    them): terraform-provider-aws's aws_ec2_transit_gateway_route_tables acceptance tests,
    run against AWS, find exactly the one table tagged Name=<random> beside the gateway's
    untagged default table (`_tags`), and none for a Name no table has (`_empty`)."""
    ec2 = account.client("ec2")
    tgw = ec2.create_transit_gateway()["TransitGateway"]
    tgw_id = tgw["TransitGatewayId"]
    default_rt = tgw["Options"]["AssociationDefaultRouteTableId"]
    tables = {}
    for name in ("hub", "spoke"):
        tables[name] = ec2.create_transit_gateway_route_table(
            TransitGatewayId=tgw_id,
            TagSpecifications=[
                {
                    "ResourceType": "transit-gateway-route-table",
                    "Tags": [{"Key": "Name", "Value": name}],
                }
            ],
        )["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]

    def listed(filters):
        got = ec2.describe_transit_gateway_route_tables(Filters=filters)
        return sorted(t["TransitGatewayRouteTableId"] for t in got["TransitGatewayRouteTables"])

    of_gateway = {"Name": "transit-gateway-id", "Values": [tgw_id]}
    assert listed([of_gateway]) == sorted([default_rt, *tables.values()])
    assert listed([{"Name": "tag:Name", "Values": ["hub"]}]) == [tables["hub"]]
    assert listed([{"Name": "tag:Name", "Values": ["hub", "spoke"]}]) == sorted(tables.values())
    assert listed([{"Name": "tag:Name", "Values": ["none"]}]) == []
    # With a filter moto applies: both must hold.
    assert listed([{"Name": "tag:Name", "Values": ["spoke"]}, of_gateway]) == [tables["spoke"]]
    other = {"Name": "transit-gateway-id", "Values": ["tgw-0123456789abcdef0"]}
    assert listed([{"Name": "tag:Name", "Values": ["spoke"]}, other]) == []


def _igw_scope(ec2, subnets, token, exclude=None):
    req = {
        "ClientToken": token,
        "MatchPaths": [
            {
                "Source": {"ResourceStatement": {"Resources": subnets}},
                "Destination": {
                    "ResourceStatement": {"ResourceTypes": ["AWS::EC2::InternetGateway"]}
                },
            }
        ],
    }
    if exclude:
        req["ExcludePaths"] = exclude
    return ec2.create_network_insights_access_scope(**req)["NetworkInsightsAccessScope"][
        "NetworkInsightsAccessScopeId"
    ]


def test_network_access_analyzer_reports_a_subnets_direct_route_to_an_internet_gateway(account):
    """The API of botocore's ec2 model (ClientToken required, idempotent); the analysis is
    the emulator's own (analyzer.py): a subnet's direct route to its VPC's gateway."""
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    open_sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    closed = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=open_sn)

    scope = _igw_scope(ec2, [open_sn, closed], "t-1")
    assert _igw_scope(ec2, [open_sn, closed], "t-1") == scope, "same token, same scope"
    analysis = ec2.start_network_insights_access_scope_analysis(
        NetworkInsightsAccessScopeId=scope, ClientToken="a-1"
    )["NetworkInsightsAccessScopeAnalysis"]
    assert analysis["Status"] == "succeeded" and analysis["FindingsFound"] == "true"
    assert "emulated" in analysis["StatusMessage"]
    (found,) = ec2.describe_network_insights_access_scope_analyses(
        NetworkInsightsAccessScopeAnalysisIds=[analysis["NetworkInsightsAccessScopeAnalysisId"]]
    )["NetworkInsightsAccessScopeAnalyses"]
    assert found["Status"] == "succeeded"
    findings = ec2.get_network_insights_access_scope_analysis_findings(
        NetworkInsightsAccessScopeAnalysisId=analysis["NetworkInsightsAccessScopeAnalysisId"]
    )["AnalysisFindings"]
    assert len(findings) == 1, findings
    ids = [c["Component"]["Id"] for c in findings[0]["FindingComponents"]]
    assert ids == [open_sn, rt, igw]
    assert findings[0]["FindingComponents"][1]["RouteTableRoute"]["DestinationCidr"] == "0.0.0.0/0"

    # Ids and types in one resource statement: refused.
    with pytest.raises(ClientError) as e:
        ec2.create_network_insights_access_scope(
            ClientToken="t-2",
            MatchPaths=[
                {
                    "Source": {
                        "ResourceStatement": {
                            "Resources": [open_sn],
                            "ResourceTypes": ["AWS::EC2::Subnet"],
                        }
                    }
                }
            ],
        )
    assert e.value.response["Error"]["Code"] == "InvalidParameterCombination"
    # Unknown ids are refused; deletes clean up.
    with pytest.raises(ClientError) as e:
        ec2.start_network_insights_access_scope_analysis(
            NetworkInsightsAccessScopeId="nis-00000000000000000", ClientToken="a-2"
        )
    assert e.value.response["Error"]["Code"].endswith(".NotFound")
    ec2.delete_network_insights_access_scope_analysis(
        NetworkInsightsAccessScopeAnalysisId=analysis["NetworkInsightsAccessScopeAnalysisId"]
    )
    ec2.delete_network_insights_access_scope(NetworkInsightsAccessScopeId=scope)


def test_replace_route_points_a_route_at_another_vpc_endpoint(account):
    """EC2 API reference, ReplaceRoute: `VpcEndpointId`, "The ID of a VPC endpoint.
    Supported for Gateway Load Balancer endpoints only" (a Network Firewall endpoint is
    one): the route then targets that endpoint. moto dropped the parameter. The Route shape
    (botocore ec2 2016-11-15) has no VpcEndpointId member: an endpoint target shows in
    `GatewayId`."""
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    # Gateway Load Balancer endpoints need a service that exists and allows the caller
    # (vpce_connections.py): a GWLB's endpoint service of this account, accepting all.
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    gwlb = account.client("elbv2").create_load_balancer(
        Name="inspection", Subnets=[sn], Type="gateway"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    svc = ec2.create_vpc_endpoint_service_configuration(
        GatewayLoadBalancerArns=[gwlb], AcceptanceRequired=False
    )["ServiceConfiguration"]
    ec2.modify_vpc_endpoint_service_permissions(
        ServiceId=svc["ServiceId"], AddAllowedPrincipals=[f"arn:aws:iam::{account.id}:root"]
    )
    first, second = (
        ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=svc["ServiceName"],
            VpcEndpointType="GatewayLoadBalancer",
            SubnetIds=[sn],
        )["VpcEndpoint"]["VpcEndpointId"]
        for _ in "12"
    )
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="10.9.0.0/16", VpcEndpointId=first)
    ec2.replace_route(RouteTableId=rt, DestinationCidrBlock="10.9.0.0/16", VpcEndpointId=second)
    routes = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]["Routes"]
    route = next(r for r in routes if r.get("DestinationCidrBlock") == "10.9.0.0/16")
    assert route.get("GatewayId") == second


def test_an_attachment_or_interface_endpoint_takes_one_subnet_per_zone(account):
    """botocore CreateTransitGatewayVpcAttachmentRequest SubnetIds: "You can specify only
    one subnet per Availability Zone"; AWS's answers: "DuplicateSubnetsInSameZone: Duplicate
    Subnets for same AZ", status code 400 (zoitech/terraform-aws-network#46), and for an
    interface endpoint "DuplicateSubnetsInSameZone: Found another VPC endpoint subnet in the
    availability zone of subnet-..." (terraform-aws-modules/terraform-aws-vpc#583). Both
    were accepted before."""
    from conftest import make_network

    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2, cidr="10.91.0.0/16", azs=("us-east-1a", "us-east-1a"))
    tgw = ec2.create_transit_gateway(Options=NO_DEFAULT_LINKS)["TransitGateway"]
    with pytest.raises(ClientError) as err:
        ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc, SubnetIds=subnets
        )
    assert err.value.response["Error"]["Code"] == "DuplicateSubnetsInSameZone"
    assert err.value.response["Error"]["Message"] == "Duplicate Subnets for same AZ"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as err:
        ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName="com.amazonaws.us-east-1.sts",
            VpcEndpointType="Interface",
            SubnetIds=subnets,
        )
    assert err.value.response["Error"]["Code"] == "DuplicateSubnetsInSameZone"
    assert "availability zone of " + subnets[1] in err.value.response["Error"]["Message"]
    # Nothing was made; one subnet of the zone is taken.
    attachments = ec2.describe_transit_gateway_vpc_attachments(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}]
    )["TransitGatewayVpcAttachments"]
    assert attachments == []
    assert ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "VpcEndpoints"
    ] == []
    ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc, SubnetIds=subnets[:1]
    )
    ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName="com.amazonaws.us-east-1.sts",
        VpcEndpointType="Interface",
        SubnetIds=subnets[:1],
    )


def _interfaces_in(ec2, subnet):
    return ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])[
        "NetworkInterfaces"
    ]


def test_modify_moves_the_subnets_of_an_attachment_or_interface_endpoint(account):
    """ModifyTransitGatewayVpcAttachment and ModifyVpcEndpoint keep one subnet per zone:
    a subnet added to a zone the resource has one in is DuplicateSubnetsInSameZone (botocore
    AddSubnetIds; network-orchestration-for-aws-transit-gateway#60;
    terraform-aws-vpc#583), also when the same call removes that zone's subnet (the
    stricter reading, an assumption). Removed first, the other subnet is taken; the
    interfaces follow the subnets, so the subnet let go can be deleted. An unknown subnet is
    InvalidSubnetID.NotFound (terraform-provider-aws#26136). moto accepted all of it and
    left the interfaces where they were."""
    from conftest import make_network

    ec2 = account.client("ec2")
    vpc, (a1, a2, b1) = make_network(
        ec2, cidr="10.92.0.0/16", azs=("us-east-1a", "us-east-1a", "us-east-1b")
    )
    tgw = ec2.create_transit_gateway(Options=NO_DEFAULT_LINKS)["TransitGateway"]
    att = ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc, SubnetIds=[a1]
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    ep = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName="com.amazonaws.us-east-1.sts",
        VpcEndpointType="Interface",
        SubnetIds=[a1],
    )["VpcEndpoint"]["VpcEndpointId"]

    def modify_attachment(**kw):
        return ec2.modify_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att, **kw)

    def modify_endpoint(**kw):
        return ec2.modify_vpc_endpoint(VpcEndpointId=ep, **kw)

    for modify, message in (
        (modify_attachment, "Duplicate Subnets for same AZ"),
        (modify_endpoint, f"Found another VPC endpoint subnet in the availability zone of {a2}"),
    ):
        for kw in ({"AddSubnetIds": [a2]}, {"AddSubnetIds": [a2], "RemoveSubnetIds": [a1]}):
            with pytest.raises(ClientError) as err:
                modify(**kw)
            assert err.value.response["Error"]["Code"] == "DuplicateSubnetsInSameZone", kw
            assert err.value.response["Error"]["Message"].startswith(message), kw
            assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        with pytest.raises(ClientError) as err:
            modify(AddSubnetIds=["subnet-0000000000000000f"])
        assert err.value.response["Error"]["Code"] == "InvalidSubnetID.NotFound"
    # Nothing moved.
    assert sorted(e["Description"] for e in _interfaces_in(ec2, a1)) == [
        f"Network Interface for Transit Gateway Attachment {att}",
        f"VPC Endpoint Interface {ep}",
    ]
    assert _interfaces_in(ec2, a2) == []

    # Removed first, then added: each in a call of its own.
    modify_attachment(RemoveSubnetIds=[a1])
    modify_endpoint(RemoveSubnetIds=[a1])
    assert _interfaces_in(ec2, a1) == []
    modify_attachment(AddSubnetIds=[a2, b1])
    modify_endpoint(AddSubnetIds=[a2, b1])
    got = ec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[att])
    assert sorted(got["TransitGatewayVpcAttachments"][0]["SubnetIds"]) == sorted([a2, b1])
    got = ec2.describe_vpc_endpoints(VpcEndpointIds=[ep])["VpcEndpoints"][0]
    assert sorted(got["SubnetIds"]) == sorted([a2, b1])
    assert len(got["NetworkInterfaceIds"]) == 2
    for subnet in (a2, b1):
        enis = {e["Description"]: e for e in _interfaces_in(ec2, subnet)}
        assert enis.keys() == {
            f"Network Interface for Transit Gateway Attachment {att}",
            f"VPC Endpoint Interface {ep}",
        }, subnet
        assert all(e["RequesterManaged"] for e in enis.values())
    ec2.delete_subnet(SubnetId=a1)
    with pytest.raises(ClientError) as err:
        ec2.delete_subnet(SubnetId=a2)
    assert err.value.response["Error"]["Code"] == "DependencyViolation"
