"""RAM invitations and transit gateway attachments across accounts."""

import pytest
from botocore.exceptions import ClientError
from conftest import make_network, wait_for


def share_tgw(owner, principal, auto_accept="disable"):
    ec2 = owner.client("ec2")
    tgw = ec2.create_transit_gateway(
        Description="hub", Options={"AutoAcceptSharedAttachments": auto_accept}
    )["TransitGateway"]
    ram = owner.client("ram")
    share = ram.create_resource_share(
        name="tgw-share", resourceArns=[tgw["TransitGatewayArn"]], principals=[principal.id]
    )["resourceShare"]
    return tgw, share


def accept(principal, share_arn):
    ram = principal.client("ram")
    invs = ram.get_resource_share_invitations(resourceShareArns=[share_arn])[
        "resourceShareInvitations"
    ]
    invs = [i for i in invs if i["status"] == "PENDING"]
    assert len(invs) == 1
    return ram.accept_resource_share_invitation(
        resourceShareInvitationArn=invs[0]["resourceShareInvitationArn"]
    )["resourceShareInvitation"]


def test_invitation_flow_and_listing(account, other_account):
    tgw, share = share_tgw(account, other_account)
    ram_owner, ram_p = account.client("ram"), other_account.client("ram")

    assoc = ram_owner.get_resource_share_associations(
        associationType="PRINCIPAL", resourceShareArns=[share["resourceShareArn"]]
    )["resourceShareAssociations"]
    assert [a["status"] for a in assoc] == ["ASSOCIATING"]
    # not visible to the principal before acceptance
    assert ram_p.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []
    assert ram_p.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"] == []

    inv = accept(other_account, share["resourceShareArn"])
    assert inv["status"] == "ACCEPTED"
    assert inv["senderAccountId"] == account.id and inv["receiverAccountId"] == other_account.id

    with pytest.raises(ClientError) as e:
        ram_p.accept_resource_share_invitation(
            resourceShareInvitationArn=inv["resourceShareInvitationArn"]
        )
    assert e.value.response["Error"]["Code"] == "ResourceShareInvitationAlreadyAcceptedException"

    assoc = ram_owner.get_resource_share_associations(
        associationType="PRINCIPAL", resourceShareArns=[share["resourceShareArn"]]
    )["resourceShareAssociations"]
    assert [a["status"] for a in assoc] == ["ASSOCIATED"]
    shares = ram_p.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert [s["resourceShareArn"] for s in shares] == [share["resourceShareArn"]]
    res = ram_p.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"]
    assert [(r["arn"], r["type"]) for r in res] == [
        (tgw["TransitGatewayArn"], "ec2:TransitGateway")
    ]
    princ = ram_owner.list_principals(resourceOwner="SELF")["principals"]
    assert [p["id"] for p in princ] == [other_account.id]
    # the shared gateway is visible in the principal account with the owner's id
    tgws = other_account.client("ec2").describe_transit_gateways(
        TransitGatewayIds=[tgw["TransitGatewayId"]]
    )["TransitGateways"]
    assert tgws[0]["OwnerId"] == account.id


def test_errors(account, other_account):
    ram = account.client("ram")
    with pytest.raises(ClientError) as e:
        ram.create_resource_share(name="x", resourceArns=["not-an-arn"])
    assert e.value.response["Error"]["Code"] == "MalformedArnException"
    with pytest.raises(ClientError) as e:
        ram.create_resource_share(
            name="x",
            resourceArns=[
                f"arn:aws:ec2:us-east-1:{account.id}:transit-gateway/tgw-0123456789abcdef0"
            ],
        )
    assert e.value.response["Error"]["Code"] == "UnknownResourceException"
    with pytest.raises(ClientError) as e:
        other_account.client("ram").get_resource_share_invitations(
            resourceShareInvitationArns=[
                f"arn:aws:ram:us-east-1:{account.id}:resource-share-invitation/nope"
            ]
        )
    assert e.value.response["Error"]["Code"] == "ResourceShareInvitationArnNotFoundException"
    with pytest.raises(ClientError) as e:
        ram.associate_resource_share(
            resourceShareArn=f"arn:aws:ram:us-east-1:{account.id}:resource-share/nope",
            principals=[other_account.id],
        )
    assert e.value.response["Error"]["Code"] == "UnknownResourceException"


def test_attach_before_acceptance_fails(account, other_account):
    tgw, _ = share_tgw(account, other_account)
    vpc, subnets = make_network(other_account.client("ec2"))
    with pytest.raises(ClientError) as e:
        other_account.client("ec2").create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc, SubnetIds=subnets
        )
    assert e.value.response["Error"]["Code"] == "InvalidTransitGatewayID.NotFound"


def test_cross_account_attachment_accept_and_routes(account, other_account):
    tgw, share = share_tgw(account, other_account)
    accept(other_account, share["resourceShareArn"])
    spoke_ec2, hub_ec2 = other_account.client("ec2"), account.client("ec2")
    vpc, subnets = make_network(spoke_ec2, "10.1.0.0/16")

    att = spoke_ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw["TransitGatewayId"],
        VpcId=vpc,
        SubnetIds=subnets,
        TagSpecifications=[
            {
                "ResourceType": "transit-gateway-attachment",
                "Tags": [{"Key": "Name", "Value": "spoke"}],
            }
        ],
    )["TransitGatewayVpcAttachment"]
    att_id = att["TransitGatewayAttachmentId"]
    assert att["VpcOwnerId"] == other_account.id
    assert att["Tags"] == [{"Key": "Name", "Value": "spoke"}]

    # visible in both accounts, waiting for the owner
    for ec2 in (spoke_ec2, hub_ec2):
        got = ec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[att_id])[
            "TransitGatewayVpcAttachments"
        ]
        assert got[0]["State"] == "pendingAcceptance"
    owners = hub_ec2.describe_transit_gateway_attachments(TransitGatewayAttachmentIds=[att_id])[
        "TransitGatewayAttachments"
    ][0]
    assert owners["TransitGatewayOwnerId"] == account.id
    assert owners["ResourceOwnerId"] == other_account.id

    # only the gateway owner can accept
    with pytest.raises(ClientError) as e:
        spoke_ec2.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)
    assert e.value.response["Error"]["Code"] == "InvalidTransitGatewayAttachmentID.NotFound"

    hub_ec2.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)
    got = spoke_ec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[att_id])[
        "TransitGatewayVpcAttachments"
    ]
    assert got[0]["State"] == "available"
    with pytest.raises(ClientError) as e:
        hub_ec2.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)
    assert e.value.response["Error"]["Code"] == "IncorrectState"

    # default route table association and a static route through the spoke attachment
    rt_id = hub_ec2.describe_transit_gateways(TransitGatewayIds=[tgw["TransitGatewayId"]])[
        "TransitGateways"
    ][0]["Options"]["AssociationDefaultRouteTableId"]
    assocs = hub_ec2.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=rt_id)[
        "Associations"
    ]
    assert att_id in [a["TransitGatewayAttachmentId"] for a in assocs]
    hub_ec2.create_transit_gateway_route(
        DestinationCidrBlock="10.1.0.0/16",
        TransitGatewayRouteTableId=rt_id,
        TransitGatewayAttachmentId=att_id,
    )
    routes = hub_ec2.search_transit_gateway_routes(
        TransitGatewayRouteTableId=rt_id, Filters=[{"Name": "type", "Values": ["static"]}]
    )["Routes"]
    assert [r["DestinationCidrBlock"] for r in routes] == ["10.1.0.0/16"]
    # a second route to the same CIDR is refused; Replace points the one there elsewhere
    with pytest.raises(ClientError) as e:
        hub_ec2.create_transit_gateway_route(
            DestinationCidrBlock="10.1.0.0/16", TransitGatewayRouteTableId=rt_id, Blackhole=True
        )
    assert e.value.response["Error"]["Code"] == "RouteAlreadyExists"
    r = hub_ec2.replace_transit_gateway_route(
        DestinationCidrBlock="10.1.0.0/16", TransitGatewayRouteTableId=rt_id, Blackhole=True
    )["Route"]
    assert (r["State"], r.get("TransitGatewayAttachments")) == ("blackhole", None)
    r = hub_ec2.replace_transit_gateway_route(
        DestinationCidrBlock="10.1.0.0/16",
        TransitGatewayRouteTableId=rt_id,
        TransitGatewayAttachmentId=att_id,
    )["Route"]
    assert r["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"] == att_id
    with pytest.raises(ClientError) as e:
        hub_ec2.replace_transit_gateway_route(
            DestinationCidrBlock="10.9.0.0/16", TransitGatewayRouteTableId=rt_id, Blackhole=True
        )
    assert e.value.response["Error"]["Code"] == "InvalidRoute.NotFound"
    # deleted once; a second delete (a retry whose first answer was lost) is NotFound
    hub_ec2.delete_transit_gateway_route(
        DestinationCidrBlock="10.1.0.0/16", TransitGatewayRouteTableId=rt_id
    )
    with pytest.raises(ClientError) as e:
        hub_ec2.delete_transit_gateway_route(
            DestinationCidrBlock="10.1.0.0/16", TransitGatewayRouteTableId=rt_id
        )
    assert e.value.response["Error"]["Code"] == "InvalidRoute.NotFound"

    # a gateway with attachments cannot be deleted
    with pytest.raises(ClientError) as e:
        hub_ec2.delete_transit_gateway(TransitGatewayId=tgw["TransitGatewayId"])
    assert e.value.response["Error"]["Code"] == "IncorrectState"

    spoke_ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)
    for ec2 in (spoke_ec2, hub_ec2):
        got = ec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[att_id])[
            "TransitGatewayVpcAttachments"
        ]
        assert [a["State"] for a in got] == ["deleted"]
    hub_ec2.delete_transit_gateway(TransitGatewayId=tgw["TransitGatewayId"])


def test_reject_and_auto_accept(account, other_account):
    tgw, share = share_tgw(account, other_account)
    accept(other_account, share["resourceShareArn"])
    spoke_ec2, hub_ec2 = other_account.client("ec2"), account.client("ec2")
    vpc, subnets = make_network(spoke_ec2, "10.2.0.0/16")
    att_id = spoke_ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc, SubnetIds=subnets
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    rej = hub_ec2.reject_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)
    assert rej["TransitGatewayVpcAttachment"]["State"] == "rejected"

    tgw2, share2 = share_tgw(account, other_account, auto_accept="enable")
    accept(other_account, share2["resourceShareArn"])
    vpc2, subnets2 = make_network(spoke_ec2, "10.3.0.0/16")
    att2 = spoke_ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw2["TransitGatewayId"], VpcId=vpc2, SubnetIds=subnets2
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    got = hub_ec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[att2])[
        "TransitGatewayVpcAttachments"
    ]
    assert got[0]["State"] == "available"


def test_shared_subnet_visible_and_unshared(account, other_account):
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2, "10.4.0.0/16")
    arn = f"arn:aws:ec2:us-east-1:{account.id}:subnet/{subnets[0]}"
    ram = account.client("ram")
    share = ram.create_resource_share(
        name="subnets", resourceArns=[arn], principals=[other_account.id]
    )["resourceShare"]
    p_ec2 = other_account.client("ec2")
    assert p_ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"] == []
    accept(other_account, share["resourceShareArn"])
    got = p_ec2.describe_subnets(SubnetIds=[subnets[0]])["Subnets"]
    assert got[0]["OwnerId"] == account.id
    # the participant can use the shared subnet
    sg = p_ec2.create_security_group(GroupName="p", Description="p", VpcId=vpc)["GroupId"]
    eni = p_ec2.create_network_interface(SubnetId=subnets[0], Groups=[sg])["NetworkInterface"]
    assert eni["SubnetId"] == subnets[0] and eni["OwnerId"] == other_account.id
    p_ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ram.disassociate_resource_share(
        resourceShareArn=share["resourceShareArn"], principals=[other_account.id]
    )
    assert p_ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"] == []


def test_transit_gateway_time_model(account, other_account, time_scale):
    # scale 0.05: the 150 s transit gateway creation takes 7.5 s
    time_scale(other_account, 0.05)
    time_scale(account, 0.05)
    tgw, share = share_tgw(account, other_account)
    assert tgw["State"] == "pending"
    hub_ec2 = account.client("ec2")
    wait_for(
        lambda: (
            hub_ec2.describe_transit_gateways(TransitGatewayIds=[tgw["TransitGatewayId"]])[
                "TransitGateways"
            ][0]["State"]
            == "available"
        ),
        timeout=20,
    )


def test_propagation_and_share_deletion(account, other_account):
    tgw, share = share_tgw(account, other_account, auto_accept="enable")
    accept(other_account, share["resourceShareArn"])
    spoke_ec2, hub_ec2 = other_account.client("ec2"), account.client("ec2")
    vpc, subnets = make_network(spoke_ec2, "10.5.0.0/16")
    att = spoke_ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc, SubnetIds=subnets
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    rt_id = hub_ec2.describe_transit_gateways(TransitGatewayIds=[tgw["TransitGatewayId"]])[
        "TransitGateways"
    ][0]["Options"]["PropagationDefaultRouteTableId"]
    props = hub_ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=rt_id)[
        "TransitGatewayRouteTablePropagations"
    ]
    assert att in [p["TransitGatewayAttachmentId"] for p in props]

    account.client("ram").delete_resource_share(resourceShareArn=share["resourceShareArn"])
    ram_p = other_account.client("ram")
    assert ram_p.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []
    assert ram_p.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"] == []
    visible = [
        t["TransitGatewayId"] for t in spoke_ec2.describe_transit_gateways()["TransitGateways"]
    ]
    assert tgw["TransitGatewayId"] not in visible


def test_transit_gateway_delete_time_model(account, time_scale):
    ec2 = account.client("ec2")
    tgw = ec2.create_transit_gateway(Description="t")["TransitGateway"]["TransitGatewayId"]
    time_scale(account, 0.04)  # 120 s delete -> 4.8 s
    assert ec2.delete_transit_gateway(TransitGatewayId=tgw)["TransitGateway"]["State"] == "deleting"
    ids = lambda: [
        t["TransitGatewayId"] for t in ec2.describe_transit_gateways()["TransitGateways"]
    ]
    assert tgw in ids()
    wait_for(lambda: tgw not in ids(), 20)


def test_ram_misc_operations(account, other_account):
    tgw, share = share_tgw(account, other_account)
    ram, ram_p = account.client("ram"), other_account.client("ram")
    arn = share["resourceShareArn"]
    upd = ram.update_resource_share(resourceShareArn=arn, name="renamed")["resourceShare"]
    assert upd["name"] == "renamed"
    ram.tag_resource(resourceShareArn=arn, tags=[{"key": "env", "value": "test"}])
    got = ram.get_resource_shares(
        resourceOwner="SELF", tagFilters=[{"tagKey": "env", "tagValues": ["test"]}]
    )["resourceShares"]
    assert [s["name"] for s in got] == ["renamed"]
    ram.untag_resource(resourceShareArn=arn, tagKeys=["env"])
    assert (
        ram.get_resource_shares(resourceOwner="SELF", resourceShareArns=[arn])["resourceShares"][0][
            "tags"
        ]
        == []
    )

    # reject: the principal never sees the share
    inv = ram_p.get_resource_share_invitations()["resourceShareInvitations"][0]
    rej = ram_p.reject_resource_share_invitation(
        resourceShareInvitationArn=inv["resourceShareInvitationArn"]
    )["resourceShareInvitation"]
    assert rej["status"] == "REJECTED"
    with pytest.raises(ClientError) as e:
        ram_p.accept_resource_share_invitation(
            resourceShareInvitationArn=inv["resourceShareInvitationArn"]
        )
    assert e.value.response["Error"]["Code"] == "ResourceShareInvitationAlreadyRejectedException"
    assert ram_p.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []

    # re-invite after rejection, accept, and see the owner as principal of OTHER-ACCOUNTS
    ram.associate_resource_share(resourceShareArn=arn, principals=[other_account.id])
    accept(other_account, arn)
    princ = ram_p.list_principals(resourceOwner="OTHER-ACCOUNTS")["principals"]
    assert [p["id"] for p in princ] == [account.id]
    assocs = ram.get_resource_share_associations(
        associationType="RESOURCE", resourceShareArns=[arn]
    )["resourceShareAssociations"]
    assert [(a["associatedEntity"], a["status"]) for a in assocs] == [
        (tgw["TransitGatewayArn"], "ASSOCIATED")
    ]
    # removing the resource from the share hides it from the principal
    ram.disassociate_resource_share(resourceShareArn=arn, resourceArns=[tgw["TransitGatewayArn"]])
    assert ram_p.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"] == []
    visible = [
        t["TransitGatewayId"]
        for t in other_account.client("ec2").describe_transit_gateways()["TransitGateways"]
    ]
    assert tgw["TransitGatewayId"] not in visible


def test_other_accounts_with_tag_filters_is_refused(account, other_account):
    """AWS: 400 InvalidParameterException for resourceOwner=OTHER-ACCOUNTS with tagFilters
    (response recorded in hashicorp/terraform-provider-aws#40970); each alone is accepted."""
    _, share = share_tgw(account, other_account)
    arn = share["resourceShareArn"]
    account.client("ram").tag_resource(
        resourceShareArn=arn, tags=[{"key": "env", "value": "test"}]
    )
    accept(other_account, arn)
    ram_p = other_account.client("ram")
    with pytest.raises(ClientError) as e:
        ram_p.get_resource_shares(
            resourceOwner="OTHER-ACCOUNTS", tagFilters=[{"tagKey": "env", "tagValues": ["test"]}]
        )
    err = e.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Code"] == "InvalidParameterException"
    assert err["Error"]["Message"] == (
        "You cannot use resourceOwner set to OTHER-ACCOUNTS and tagFilters in one request. "
        "Specify one parameter and try again."
    )
    # without tag filters, by ARN or unfiltered, the principal lists the share
    by_arn = ram_p.get_resource_shares(resourceOwner="OTHER-ACCOUNTS", resourceShareArns=[arn])
    assert [s["resourceShareArn"] for s in by_arn["resourceShares"]] == [arn]
    listed = ram_p.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert [s["resourceShareArn"] for s in listed] == [arn]
    # the owner may filter its own shares by tag
    own = account.client("ram").get_resource_shares(
        resourceOwner="SELF", tagFilters=[{"tagKey": "env", "tagValues": ["test"]}]
    )["resourceShares"]
    assert [s["resourceShareArn"] for s in own] == [arn]
