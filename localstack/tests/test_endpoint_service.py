"""VPC endpoint services across accounts (airgap_ext/vpce_connections.py): the service's
permissions decide who may create an endpoint to it, AcceptanceRequired keeps the endpoint
pendingAcceptance until the owner accepts or rejects it (sources in
docs/emulator-fidelity.md, "EC2: VPC endpoint service connections")."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import _fresh_account, make_network, wait_for


def _code(e):
    return e.value.response["Error"]["Code"]


def _service(owner, acceptance=True, principals=()):
    """An internal NLB in the owner's account and an endpoint service in front of it."""
    ec2, elb = owner.client("ec2"), owner.client("elbv2")
    _, subnets = make_network(ec2, "10.90.0.0/16")
    lb = elb.create_load_balancer(
        Name="private-api", Subnets=subnets, Type="network", Scheme="internal"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    svc = ec2.create_vpc_endpoint_service_configuration(
        NetworkLoadBalancerArns=[lb], AcceptanceRequired=acceptance
    )["ServiceConfiguration"]
    if principals:
        ec2.modify_vpc_endpoint_service_permissions(
            ServiceId=svc["ServiceId"], AddAllowedPrincipals=list(principals)
        )
    return svc


def _interface_endpoint(ec2, service_name, cidr="10.91.0.0/16"):
    vpc, subnets = make_network(ec2, cidr)
    return ec2.create_vpc_endpoint(
        VpcEndpointType="Interface", VpcId=vpc, SubnetIds=subnets, ServiceName=service_name
    )["VpcEndpoint"]


def _state(ec2, ep_id):
    return ec2.describe_vpc_endpoints(VpcEndpointIds=[ep_id])["VpcEndpoints"][0]["State"]


def test_an_allowed_account_waits_for_acceptance_and_others_are_refused(
    account, other_account
):
    owner, consumer = account, other_account
    svc = _service(owner, principals=[f"arn:aws:iam::{consumer.id}:root"])
    stranger = _fresh_account()
    with pytest.raises(ClientError) as e:
        _interface_endpoint(stranger.client("ec2"), svc["ServiceName"])
    assert _code(e) == "InvalidServiceName"
    assert svc["ServiceName"] in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:  # the owner's own account is not among them
        _interface_endpoint(owner.client("ec2"), svc["ServiceName"], "10.92.0.0/16")
    assert _code(e) == "InvalidServiceName"

    cec2, oec2 = consumer.client("ec2"), owner.client("ec2")
    # the allowed consumer discovers the service by name
    found = cec2.describe_vpc_endpoint_services(ServiceNames=[svc["ServiceName"]])["ServiceDetails"]
    assert [(d["ServiceId"], d["Owner"], d["AcceptanceRequired"]) for d in found] == [
        (svc["ServiceId"], owner.id, True)
    ]
    ep = _interface_endpoint(cec2, svc["ServiceName"])
    assert ep["State"] == "pendingAcceptance"
    assert _state(cec2, ep["VpcEndpointId"]) == "pendingAcceptance"

    conns = oec2.describe_vpc_endpoint_connections(
        Filters=[{"Name": "vpc-endpoint-state", "Values": ["pendingAcceptance"]}]
    )["VpcEndpointConnections"]
    assert [
        (c["ServiceId"], c["VpcEndpointId"], c["VpcEndpointOwner"], c["VpcEndpointState"])
        for c in conns
    ] == [(svc["ServiceId"], ep["VpcEndpointId"], consumer.id, "pendingAcceptance")]
    # the consumer owns no service: it sees no connections
    assert cec2.describe_vpc_endpoint_connections()["VpcEndpointConnections"] == []

    unknown = "vpce-0123456789abcdef0"
    out = oec2.accept_vpc_endpoint_connections(
        ServiceId=svc["ServiceId"], VpcEndpointIds=[ep["VpcEndpointId"], unknown]
    )
    assert [(u["ResourceId"], u["Error"]["Code"]) for u in out["Unsuccessful"]] == [
        (unknown, "InvalidVpcEndpointId.NotFound")
    ]
    assert _state(cec2, ep["VpcEndpointId"]) == "available"  # time scale 0
    assert oec2.describe_vpc_endpoint_connections()["VpcEndpointConnections"][0][
        "VpcEndpointState"
    ] == "available"
    with pytest.raises(ClientError) as e:  # only the owner accepts for its service
        cec2.accept_vpc_endpoint_connections(
            ServiceId=svc["ServiceId"], VpcEndpointIds=[ep["VpcEndpointId"]]
        )
    assert _code(e) == "InvalidVpcEndpointServiceId.NotFound"

    # a service with an endpoint attached is not deleted
    out = oec2.delete_vpc_endpoint_service_configurations(ServiceIds=[svc["ServiceId"]])
    assert [u["Error"]["Code"] for u in out["Unsuccessful"]] == ["ExistingVpcEndpointConnections"]
    cec2.delete_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])
    out = oec2.delete_vpc_endpoint_service_configurations(ServiceIds=[svc["ServiceId"]])
    assert out["Unsuccessful"] == []


def test_a_role_allowed_by_arn_is_rejected_by_the_owner(account, other_account):
    owner, consumer = account, other_account
    role = consumer.client("iam").create_role(
        RoleName="private-access",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{consumer.id}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    svc = _service(owner, principals=[role])
    # the account's own credentials are not the role: refused
    with pytest.raises(ClientError) as e:
        _interface_endpoint(consumer.client("ec2"), svc["ServiceName"])
    assert _code(e) == "InvalidServiceName"
    creds = consumer.client("sts").assume_role(RoleArn=role, RoleSessionName="deployer")[
        "Credentials"
    ]
    import boto3

    from conftest import CONFIG, ENDPOINT

    session_ec2 = boto3.client(
        "ec2",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=CONFIG,
    )
    ep = _interface_endpoint(session_ec2, svc["ServiceName"])
    assert ep["State"] == "pendingAcceptance"
    oec2 = owner.client("ec2")
    out = oec2.reject_vpc_endpoint_connections(
        ServiceId=svc["ServiceId"], VpcEndpointIds=[ep["VpcEndpointId"]]
    )
    assert out["Unsuccessful"] == []
    assert _state(consumer.client("ec2"), ep["VpcEndpointId"]) == "rejected"
    conns = oec2.describe_vpc_endpoint_connections(
        Filters=[{"Name": "service-id", "Values": [svc["ServiceId"]]}]
    )["VpcEndpointConnections"]
    assert [c["VpcEndpointState"] for c in conns] == ["rejected"]
    out = oec2.accept_vpc_endpoint_connections(
        ServiceId=svc["ServiceId"], VpcEndpointIds=[ep["VpcEndpointId"]]
    )
    assert [u["Error"]["Code"] for u in out["Unsuccessful"]] == ["InvalidState"]
    # a rejected endpoint no longer holds the service
    assert oec2.delete_vpc_endpoint_service_configurations(ServiceIds=[svc["ServiceId"]])[
        "Unsuccessful"
    ] == []


def test_without_acceptance_an_endpoint_of_anyone_allowed_becomes_available(
    account, other_account, time_scale
):
    owner, consumer = account, other_account
    svc = _service(owner, acceptance=False, principals=["*"])
    cec2 = consumer.client("ec2")
    time_scale(consumer, 0.01)  # interface endpoint 90 s -> 0.9 s
    ep = _interface_endpoint(cec2, svc["ServiceName"])
    assert ep["State"] == "pending"
    wait_for(lambda: _state(cec2, ep["VpcEndpointId"]) == "available", 10)
    conns = owner.client("ec2").describe_vpc_endpoint_connections()["VpcEndpointConnections"]
    assert [(c["VpcEndpointId"], c["VpcEndpointState"]) for c in conns] == [
        (ep["VpcEndpointId"], "available")
    ]
