"""Network load balancers in front of a PrivateLink endpoint service (airgap_ext/elbv2.py,
vpce_connections.py): ARNs, provisioning on the time model, names, idempotent creates,
what a listener and an endpoint service hold (sources in docs/emulator-fidelity.md,
"ELBv2: network load balancers")."""

import pytest
from botocore.exceptions import ClientError

from conftest import make_network, wait_for


def _error(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _nlb(elb, subnets, name="private-api", **kw):
    args = dict(Name=name, Subnets=subnets, Type="network", Scheme="internal")
    args.update(kw)
    return elb.create_load_balancer(**args)["LoadBalancers"][0]


def _state(elb, arn):
    return elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]


def test_a_network_load_balancer_provisions_and_is_created_once(account, time_scale):
    ec2, elb = account.client("ec2"), account.client("elbv2")
    vpc, subnets = make_network(ec2)
    time_scale(account, 0.01)  # provisioning 180 s -> 1.8 s
    tag = [{"Key": "airgap:env", "Value": "dev"}]
    lb = _nlb(elb, subnets, Tags=tag)
    assert ":loadbalancer/net/private-api/" in lb["LoadBalancerArn"]
    assert (lb["Type"], lb["Scheme"], lb["VpcId"], lb["State"]["Code"]) == (
        "network",
        "internal",
        vpc,
        "provisioning",
    )
    assert _state(elb, lb["LoadBalancerArn"]) == "provisioning"
    # the same name and settings again: the same load balancer (subnets in any order)
    again = _nlb(elb, list(reversed(subnets)), Tags=tag)
    assert again["LoadBalancerArn"] == lb["LoadBalancerArn"]
    assert len(elb.describe_load_balancers()["LoadBalancers"]) == 1
    # the name with other settings: DuplicateLoadBalancerName
    for kw in ({"Subnets": subnets[:1]}, {"Scheme": "internet-facing"}, {"Type": "application"}):
        with pytest.raises(ClientError) as e:
            _nlb(elb, subnets, **kw)
        assert _error(e) == ("DuplicateLoadBalancerName", 400)
    wait_for(lambda: _state(elb, lb["LoadBalancerArn"]) == "active", 20)
    tags = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"]
    assert tags[0]["Tags"] == tag


@pytest.mark.parametrize(
    "name", ["a" * 33, "internal-api", "-api", "api-", "api_1", "api.1"]
)
def test_load_balancer_names_aws_refuses(account, name):
    ec2, elb = account.client("ec2"), account.client("elbv2")
    _, subnets = make_network(ec2)
    with pytest.raises(ClientError) as e:
        _nlb(elb, subnets, name=name)
    assert _error(e) == ("ValidationError", 400)
    assert elb.describe_load_balancers()["LoadBalancers"] == []


def test_target_groups_and_listeners(account):
    ec2, elb = account.client("ec2"), account.client("elbv2")
    vpc, subnets = make_network(ec2)
    lb = _nlb(elb, subnets)["LoadBalancerArn"]
    tg_args = dict(
        Name="private-api-443",
        Protocol="TCP",
        Port=443,
        VpcId=vpc,
        TargetType="ip",
        Tags=[{"Key": "airgap:env", "Value": "dev"}],
    )
    tg = elb.create_target_group(**tg_args)["TargetGroups"][0]["TargetGroupArn"]
    # the same settings: the same target group; others: DuplicateTargetGroupName
    assert elb.create_target_group(**tg_args)["TargetGroups"][0]["TargetGroupArn"] == tg
    with pytest.raises(ClientError) as e:
        elb.create_target_group(**{**tg_args, "Port": 8443})
    assert _error(e) == ("DuplicateTargetGroupName", 400)
    for bad in ("t" * 33, "-tg", "tg-", "tg_1"):
        with pytest.raises(ClientError) as e:
            elb.create_target_group(**{**tg_args, "Name": bad})
        assert _error(e) == ("ValidationError", 400)
    assert len(elb.describe_target_groups()["TargetGroups"]) == 1

    forward = [{"Type": "forward", "TargetGroupArn": tg}]
    li_args = dict(LoadBalancerArn=lb, Protocol="TCP", Port=443, DefaultActions=forward)
    listener = elb.create_listener(**li_args, Tags=[{"Key": "airgap:env", "Value": "dev"}])[
        "Listeners"
    ][0]["ListenerArn"]
    assert ":listener/net/private-api/" in listener
    assert elb.create_listener(**li_args)["Listeners"][0]["ListenerArn"] == listener
    other = elb.create_target_group(**{**tg_args, "Name": "other"})["TargetGroups"][0][
        "TargetGroupArn"
    ]
    with pytest.raises(ClientError) as e:
        elb.create_listener(
            **{**li_args, "DefaultActions": [{"Type": "forward", "TargetGroupArn": other}]}
        )
    assert _error(e) == ("DuplicateListener", 400)
    assert len(elb.describe_listeners(LoadBalancerArn=lb)["Listeners"]) == 1
    described = elb.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]
    assert described["LoadBalancerArns"] == [lb]
    tags = elb.describe_tags(ResourceArns=[tg, listener])["TagDescriptions"]
    assert [d["Tags"] for d in tags] == [[{"Key": "airgap:env", "Value": "dev"}]] * 2

    # a target group a listener forwards to is in use; the listener's deletion frees it
    with pytest.raises(ClientError) as e:
        elb.delete_target_group(TargetGroupArn=tg)
    assert _error(e) == ("ResourceInUse", 400)
    elb.delete_listener(ListenerArn=listener)
    assert elb.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0][
        "LoadBalancerArns"
    ] == []
    elb.delete_target_group(TargetGroupArn=tg)
    with pytest.raises(ClientError) as e:
        elb.delete_listener(ListenerArn=listener)
    assert _error(e) == ("ListenerNotFound", 400)


def test_an_endpoint_service_holds_its_load_balancer(account):
    ec2, elb = account.client("ec2"), account.client("elbv2")
    vpc, subnets = make_network(ec2)
    lb = _nlb(elb, subnets)["LoadBalancerArn"]
    tg = elb.create_target_group(Name="api", Protocol="TCP", Port=443, VpcId=vpc, TargetType="ip")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    elb.create_listener(
        LoadBalancerArn=lb,
        Protocol="TCP",
        Port=443,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )
    made = dict(NetworkLoadBalancerArns=[lb], AcceptanceRequired=True, ClientToken="svc-1")
    svc = ec2.create_vpc_endpoint_service_configuration(**made)["ServiceConfiguration"]
    assert svc["NetworkLoadBalancerArns"] == [lb]
    # one endpoint service per network load balancer
    with pytest.raises(ClientError) as e:
        ec2.create_vpc_endpoint_service_configuration(NetworkLoadBalancerArns=[lb])
    assert _error(e) == ("InvalidParameter", 400)
    # ... but a repeat of the create with its client token (a retry after a lost answer) is
    # that create's answer, and the token with other parameters is a mismatch
    again = ec2.create_vpc_endpoint_service_configuration(**made)["ServiceConfiguration"]
    assert again["ServiceId"] == svc["ServiceId"]
    assert len(ec2.describe_vpc_endpoint_service_configurations()["ServiceConfigurations"]) == 1
    with pytest.raises(ClientError) as e:
        ec2.create_vpc_endpoint_service_configuration(**{**made, "AcceptanceRequired": False})
    assert _error(e) == ("IdempotentParameterMismatch", 400)
    # a load balancer an endpoint service uses is not deleted
    with pytest.raises(ClientError) as e:
        elb.delete_load_balancer(LoadBalancerArn=lb)
    assert _error(e) == ("ResourceInUse", 400)
    assert e.value.response["Error"]["Message"] == (
        f"Load balancer '{lb}' cannot be deleted because it is currently associated with "
        "another service"
    )
    ec2.delete_vpc_endpoint_service_configurations(ServiceIds=[svc["ServiceId"]])
    # its deletion deletes its listeners: the target group is free; a second delete succeeds
    elb.delete_load_balancer(LoadBalancerArn=lb)
    elb.delete_load_balancer(LoadBalancerArn=lb)
    assert elb.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0][
        "LoadBalancerArns"
    ] == []
    elb.delete_target_group(TargetGroupArn=tg)
    with pytest.raises(ClientError) as e:
        elb.describe_load_balancers(LoadBalancerArns=[lb])
    assert _error(e) == ("LoadBalancerNotFound", 400)
