"""Time model for EC2 resources: NAT gateways, interface endpoints, TGW attachments."""

from conftest import make_network, wait_for


def test_nat_gateway_and_interface_endpoint(account, time_scale):
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2)
    time_scale(account, 0.03)  # NAT 107 s -> 3.2 s, endpoint 90 s -> 2.7 s
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip)["NatGateway"]
    assert nat["State"] == "pending"
    ep = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName="com.amazonaws.us-east-1.ssm",
        VpcEndpointType="Interface",
        SubnetIds=subnets,
    )["VpcEndpoint"]
    assert ep["State"] == "pending"
    state = lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][
        0
    ]["State"]
    assert state() == "pending"
    ec2.get_waiter("nat_gateway_available").wait(
        NatGatewayIds=[nat["NatGatewayId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    wait_for(
        lambda: (
            ec2.describe_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])["VpcEndpoints"][0][
                "State"
            ]
            == "available"
        ),
        20,
    )
    time_scale(account, 0.02)  # NAT delete 240 s -> 4.8 s, endpoint delete 120 s -> 2.4 s
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    assert state() == "deleting"
    ep_state = lambda: ec2.describe_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])[
        "VpcEndpoints"
    ][0]["State"]
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])["Unsuccessful"] == []
    assert ep_state() == "deleting"
    wait_for(lambda: state() == "deleted", 20)
    wait_for(lambda: ep_state() == "deleted", 20)


def test_a_repeated_nat_gateway_delete_does_not_undo_the_deletion(account, time_scale):
    """botocore ec2 NatGatewayState: deleting -> deleted; a retried DeleteNatGateway neither
    takes a deleted NAT gateway back to `deleting` nor starts the deletion again."""
    ec2 = account.client("ec2")
    vpc, subnets = make_network(ec2)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip)["NatGateway"]
    nat_id = nat["NatGatewayId"]
    time_scale(account, 0.01)  # NAT delete 240 s -> 2.4 s
    state = lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]
    assert ec2.delete_nat_gateway(NatGatewayId=nat_id)["NatGatewayId"] == nat_id
    assert state() == "deleting"
    assert ec2.delete_nat_gateway(NatGatewayId=nat_id)["NatGatewayId"] == nat_id
    wait_for(lambda: state() == "deleted", 20)
    assert ec2.delete_nat_gateway(NatGatewayId=nat_id)["NatGatewayId"] == nat_id
    assert state() == "deleted"
