"""Route 53 Resolver inbound endpoints (airgap_ext/resolver.py): states on the time model,
CreatorRequestId, the limits on IP addresses and endpoints, the subnets, groups and
addresses an endpoint may use, its interfaces holding subnets and groups, tags (sources in
docs/emulator-fidelity.md, "Route 53 Resolver: endpoints")."""

import ipaddress
import itertools

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import make_network, wait_for


def _error(e):
    err = getattr(e, "value", e)  # a pytest.raises record or the ClientError itself
    return err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"]


def _network(ec2, cidr="10.0.0.0/16"):
    vpc, subnets = make_network(ec2, cidr)
    sg = ec2.create_security_group(GroupName="dns", Description="port 53", VpcId=vpc)["GroupId"]
    return vpc, subnets, sg


def _create(r53r, sg, subnets, token="req-1", **kw):
    args = dict(
        CreatorRequestId=token,
        Name="inbound",
        SecurityGroupIds=[sg],
        Direction="INBOUND",
        IpAddresses=[{"SubnetId": s} for s in subnets],
    )
    args.update(kw)
    return r53r.create_resolver_endpoint(**args)["ResolverEndpoint"]


def _get(r53r, ep_id):
    return r53r.get_resolver_endpoint(ResolverEndpointId=ep_id)["ResolverEndpoint"]


def _ips(r53r, ep_id):
    return r53r.list_resolver_endpoint_ip_addresses(ResolverEndpointId=ep_id)["IpAddresses"]


def test_create_read_list_and_tags(account):
    ec2, r53r = account.client("ec2"), account.client("route53resolver")
    vpc, subnets, sg = _network(ec2)
    ep = _create(
        r53r,
        sg,
        [],
        IpAddresses=[{"SubnetId": subnets[0]}, {"SubnetId": subnets[1], "Ip": "10.0.1.53"}],
        Tags=[{"Key": "airgap:env", "Value": "dev"}],
        ResolverEndpointType="IPV4",
        Protocols=["Do53"],
    )
    assert ep["Id"].startswith("rslvr-in-")
    assert (ep["Direction"], ep["HostVPCId"], ep["IpAddressCount"]) == ("INBOUND", vpc, 2)
    assert (ep["ResolverEndpointType"], ep["Protocols"], ep["SecurityGroupIds"]) == (
        "IPV4",
        ["Do53"],
        [sg],
    )
    got = _get(r53r, ep["Id"])
    assert got["Status"] == "OPERATIONAL" and got["Arn"] == ep["Arn"]
    # AWS picks the address of a subnet given alone: one of the subnet's, not reserved
    ips = {i["SubnetId"]: i for i in _ips(r53r, ep["Id"])}
    assert ips[subnets[1]]["Ip"] == "10.0.1.53"
    picked = ipaddress.ip_address(ips[subnets[0]]["Ip"])
    assert picked in ipaddress.ip_network("10.0.0.0/24")
    assert int(picked) & 0xFF not in (0, 1, 2, 3, 255)
    assert {i["Status"] for i in ips.values()} == {"ATTACHED"}

    # ListResolverEndpoints, unfiltered and filtered; its items carry no tags
    listed = r53r.list_resolver_endpoints()["ResolverEndpoints"]
    assert [e["Id"] for e in listed] == [ep["Id"]]
    assert "Tags" not in listed[0] and listed[0]["Protocols"] == ["Do53"]
    for flt in (
        {"Name": "CreatorRequestId", "Values": ["req-1"]},
        {"Name": "HostVPCId", "Values": [vpc]},
        {"Name": "Status", "Values": ["OPERATIONAL"]},
        {"Name": "DIRECTION", "Values": ["INBOUND"]},
    ):
        found = r53r.list_resolver_endpoints(Filters=[flt])["ResolverEndpoints"]
        assert [e["Id"] for e in found] == [ep["Id"]], flt
    assert r53r.list_resolver_endpoints(
        Filters=[{"Name": "CreatorRequestId", "Values": ["other"]}]
    )["ResolverEndpoints"] == []

    # tags given at create are on the endpoint's ARN; TagResource adds
    def tags():
        listed = r53r.list_tags_for_resource(ResourceArn=ep["Arn"])["Tags"]
        return {t["Key"]: t["Value"] for t in listed}

    assert tags() == {"airgap:env": "dev"}
    r53r.tag_resource(ResourceArn=ep["Arn"], Tags=[{"Key": "Name", "Value": "inbound"}])
    assert tags() == {"airgap:env": "dev", "Name": "inbound"}

    # unknown endpoint: ResourceNotFoundException, 400
    with pytest.raises(ClientError) as e:
        r53r.get_resolver_endpoint(ResolverEndpointId="rslvr-in-0123456789abcdef0")
    assert _error(e) == ("ResourceNotFoundException", 400)


def test_a_creator_request_id_makes_one_endpoint(account):
    ec2, r53r = account.client("ec2"), account.client("route53resolver")
    _, subnets, sg = _network(ec2)
    ep = _create(r53r, sg, subnets, token="apply-42")
    # the same id again, same parameters or not: refused, nothing made
    for kw in ({}, {"Name": "another"}):
        with pytest.raises(ClientError) as e:
            _create(r53r, sg, subnets, token="apply-42", **kw)
        assert _error(e) == ("ResourceExistsException", 400)
        assert "apply-42" in e.value.response["Error"]["Message"]
    found = r53r.list_resolver_endpoints(
        Filters=[{"Name": "CreatorRequestId", "Values": ["apply-42"]}]
    )["ResolverEndpoints"]
    assert [e["Id"] for e in found] == [ep["Id"]]
    assert len(r53r.list_resolver_endpoints()["ResolverEndpoints"]) == 1


def test_addresses_subnets_and_groups_aws_refuses(account):
    ec2, r53r = account.client("ec2"), account.client("route53resolver")
    vpc, subnets, sg = _network(ec2)
    other_vpc, other_subnets, other_sg = _network(ec2, "10.1.0.0/16")

    tokens = itertools.count()

    def refused(code, **kw):
        with pytest.raises(ClientError) as e:
            _create(r53r, sg, subnets, token=f"refused-{next(tokens)}", **kw)
        assert _error(e) == (code, 400), e.value

    # one address: below the model's minimum of two (the model check answers, 400)
    raw = account.client("route53resolver", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as e:
        _create(raw, sg, subnets[:1])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # seven: over the quota of six per endpoint
    seven = [{"SubnetId": subnets[i % 2]} for i in range(7)]
    refused("LimitExceededException", IpAddresses=seven)
    # subnets of two VPCs
    refused(
        "InvalidParameterException",
        IpAddresses=[{"SubnetId": subnets[0]}, {"SubnetId": other_subnets[0]}],
    )
    refused("InvalidParameterException", IpAddresses=[{"SubnetId": "subnet-0000000000000000"}] * 2)
    # an address outside its subnet, a reserved one, one an interface holds
    refused(
        "InvalidRequestException",
        IpAddresses=[{"SubnetId": subnets[0], "Ip": "10.0.1.20"}, {"SubnetId": subnets[1]}],
    )
    refused(
        "InvalidRequestException",
        IpAddresses=[{"SubnetId": subnets[0], "Ip": "10.0.0.2"}, {"SubnetId": subnets[1]}],
    )
    ec2.create_network_interface(SubnetId=subnets[0], PrivateIpAddress="10.0.0.77")
    refused(
        "ResourceExistsException",
        IpAddresses=[{"SubnetId": subnets[0], "Ip": "10.0.0.77"}, {"SubnetId": subnets[1]}],
    )
    # groups: none, unknown, of another VPC
    refused("InvalidParameterException", SecurityGroupIds=[])
    refused("ResourceNotFoundException", SecurityGroupIds=["sg-0123456789abcdef0"])
    refused("InvalidParameterException", SecurityGroupIds=[other_sg])
    # protocols a default inbound endpoint does not take together
    refused("InvalidParameterException", Protocols=["DoH", "DoH-FIPS"])
    assert r53r.list_resolver_endpoints()["ResolverEndpoints"] == []

    # two addresses of one subnet (one Availability Zone) are accepted: AWS only recommends two
    ep = _create(r53r, sg, [subnets[0], subnets[0]], token="one-az")
    ips = [i["Ip"] for i in _ips(r53r, ep["Id"])]
    assert len(set(ips)) == 2 and "10.0.0.77" not in ips


def test_four_endpoints_per_region(account):
    ec2, r53r = account.client("ec2"), account.client("route53resolver")
    _, subnets, sg = _network(ec2)
    for i in range(4):
        _create(r53r, sg, subnets, token=f"ep-{i}")
    with pytest.raises(ClientError) as e:
        _create(r53r, sg, subnets, token="ep-4")
    assert _error(e) == ("LimitExceededException", 400)
    assert "max-endpoints" in e.value.response["Error"]["Message"]
    assert len(r53r.list_resolver_endpoints()["ResolverEndpoints"]) == 4


def test_states_addresses_and_what_the_interfaces_hold(account, time_scale):
    ec2, r53r = account.client("ec2"), account.client("route53resolver")
    vpc, subnets, sg = _network(ec2)
    time_scale(account, 0.02)  # create 120 s -> 2.4 s
    ep = _create(r53r, sg, subnets)
    assert ep["Status"] == "CREATING"
    assert _get(r53r, ep["Id"])["Status"] == "CREATING"
    assert {i["Status"] for i in _ips(r53r, ep["Id"])} == {"CREATING"}
    wait_for(lambda: _get(r53r, ep["Id"])["Status"] == "OPERATIONAL", 20)
    assert {i["Status"] for i in _ips(r53r, ep["Id"])} == {"ATTACHED"}

    # a new name: still OPERATIONAL (the CLI example)
    renamed = r53r.update_resolver_endpoint(ResolverEndpointId=ep["Id"], Name="dns-in")
    assert (renamed["ResolverEndpoint"]["Name"], renamed["ResolverEndpoint"]["Status"]) == (
        "dns-in",
        "OPERATIONAL",
    )

    time_scale(account, 0.002)  # an address added or removed: 60 s -> 0.12 s
    added = r53r.associate_resolver_endpoint_ip_address(
        ResolverEndpointId=ep["Id"], IpAddress={"SubnetId": subnets[1]}
    )["ResolverEndpoint"]
    assert (added["Status"], added["IpAddressCount"]) == ("UPDATING", 3)
    wait_for(lambda: _get(r53r, ep["Id"])["Status"] == "OPERATIONAL", 20)
    ips = _ips(r53r, ep["Id"])
    assert len(ips) == 3 and {i["Status"] for i in ips} == {"ATTACHED"}
    # removed by its IpId alone
    gone = ips[0]
    removed = r53r.disassociate_resolver_endpoint_ip_address(
        ResolverEndpointId=ep["Id"], IpAddress={"IpId": gone["IpId"]}
    )["ResolverEndpoint"]
    assert removed["Status"] == "UPDATING"
    wait_for(lambda: _get(r53r, ep["Id"])["Status"] == "OPERATIONAL", 20)
    assert [i["IpId"] for i in _ips(r53r, ep["Id"])] == [i["IpId"] for i in ips[1:]]
    assert _get(r53r, ep["Id"])["IpAddressCount"] == 2
    assert not ec2.describe_network_interfaces(
        Filters=[{"Name": "addresses.private-ip-address", "Values": [gone["Ip"]]}]
    )["NetworkInterfaces"]
    # never below two
    with pytest.raises(ClientError) as e:
        r53r.disassociate_resolver_endpoint_ip_address(
            ResolverEndpointId=ep["Id"], IpAddress={"IpId": ips[1]["IpId"]}
        )
    assert _error(e) == ("InvalidRequestException", 400)
    # seven: over the quota
    for _ in range(4):
        r53r.associate_resolver_endpoint_ip_address(
            ResolverEndpointId=ep["Id"], IpAddress={"SubnetId": subnets[0]}
        )
    with pytest.raises(ClientError) as e:
        r53r.associate_resolver_endpoint_ip_address(
            ResolverEndpointId=ep["Id"], IpAddress={"SubnetId": subnets[0]}
        )
    assert _error(e) == ("LimitExceededException", 400)
    wait_for(lambda: _get(r53r, ep["Id"])["Status"] == "OPERATIONAL", 20)

    # one interface per address, with the endpoint's group: the subnets and the group are held
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "NetworkInterfaces"
    ]
    assert len(enis) == 6 and all(sg in [g["GroupId"] for g in n["Groups"]] for n in enis)
    time_scale(account, 0.02)  # delete 120 s -> 2.4 s
    deleting = r53r.delete_resolver_endpoint(ResolverEndpointId=ep["Id"])["ResolverEndpoint"]
    assert deleting["Status"] == "DELETING"
    assert _get(r53r, ep["Id"])["Status"] == "DELETING"
    for fn, kw in (
        (ec2.delete_subnet, {"SubnetId": subnets[0]}),
        (ec2.delete_security_group, {"GroupId": sg}),
    ):
        with pytest.raises(ClientError) as e:
            fn(**kw)
        assert e.value.response["Error"]["Code"] == "DependencyViolation"

    def not_found():
        try:
            _get(r53r, ep["Id"])
        except ClientError as e:
            return _error(e) == ("ResourceNotFoundException", 400)
        return False

    wait_for(not_found, 20)
    ec2.delete_subnet(SubnetId=subnets[0])
    ec2.delete_security_group(GroupId=sg)
    with pytest.raises(ClientError) as e:
        r53r.list_tags_for_resource(ResourceArn=ep["Arn"])
    assert _error(e) == ("ResourceNotFoundException", 400)


def test_protocol_changes_keep_do53_until_doh_is_on(account):
    ec2, r53r = account.client("ec2"), account.client("route53resolver")
    _, subnets, sg = _network(ec2)
    ep = _create(r53r, sg, subnets)
    assert ep["Protocols"] == ["Do53"]  # none given: Do53
    with pytest.raises(ClientError) as e:
        r53r.update_resolver_endpoint(ResolverEndpointId=ep["Id"], Protocols=["DoH"])
    assert _error(e) == ("InvalidParameterException", 400)
    both = r53r.update_resolver_endpoint(ResolverEndpointId=ep["Id"], Protocols=["Do53", "DoH"])
    assert sorted(both["ResolverEndpoint"]["Protocols"]) == ["Do53", "DoH"]
    assert r53r.update_resolver_endpoint(ResolverEndpointId=ep["Id"], Protocols=["DoH"])[
        "ResolverEndpoint"
    ]["Protocols"] == ["DoH"]
