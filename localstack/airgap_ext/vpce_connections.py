"""VPC endpoint service connections (PrivateLink), which moto lacks.

moto (moto-ext 5.1.54) has the service configurations (Create/Describe/Modify/Delete
VpcEndpointServiceConfiguration(s)) and their permissions, per account, but no
DescribeVpcEndpointConnections, AcceptVpcEndpointConnections or RejectVpcEndpointConnections,
and an interface endpoint made with CreateVpcEndpoint against a service name is `available`
(or `pending` under our time model) whatever the service's acceptance setting and
permissions, from any account. ec2.py calls this module around moto for those operations.

Sources (quoted at each use): botocore ``ec2`` 2016-11-15; the PrivateLink guide, "Configure
an endpoint service" (Manage permissions) and "Accept and reject endpoint connection
requests"; the EC2 error code list; the AWS CLI's examples; AWS answers recorded in public
issues. docs/emulator-fidelity.md ("EC2: VPC endpoint service connections").
"""

import secrets

from . import ec2_share, iam, timing
from .common import LOCK, AwsError

# (region, service name) -> (owner account, service id); filled by CreateVpcEndpointService-
# Configuration (ec2.py), so a consumer's CreateVpcEndpoint finds another account's service.
SERVICES: dict[tuple[str, str], tuple[str, str]] = {}
# (region, service id) -> {endpoint id: (consumer account, connection id)}
CONNECTIONS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}

ATTACHED = ("pendingAcceptance", "pending", "available")


def _truthy(value) -> bool:
    return value is True or str(value).lower() == "true"


def register_service(context, result):
    cfg = result.get("ServiceConfiguration") or {}
    if cfg.get("ServiceName") and cfg.get("ServiceId"):
        with LOCK:
            SERVICES[(context.region, cfg["ServiceName"])] = (context.account_id, cfg["ServiceId"])


def refuse_load_balancers_in_use(context, request):
    """PrivateLink guide, "Create a service powered by AWS PrivateLink", Considerations: "A
    Network Load Balancer can be associated with one endpoint service, but an endpoint
    service can be associated with multiple Network Load Balancers" (the English page, as
    its translations in the store read, e.g. the Chinese and Japanese copies of
    docs.aws.amazon.com/vpc/latest/privatelink/create-endpoint-service.html). moto let a
    second service take a load balancer. AWS's answer is not recorded: the code is the one
    AWS answers this operation's other parameter errors with ("InvalidParameter: exactly one
    of network_load_balancer_arn or gateway_load_balancer_arn is a required member",
    recorded in kubernetes-sigs/aws-load-balancer-controller#1859), the message is ours."""
    wanted = list(request.get("NetworkLoadBalancerArns") or []) + list(
        request.get("GatewayLoadBalancerArns") or []
    )
    be = ec2_share.backend(context.account_id, context.region)
    with LOCK:
        for cfg in list(getattr(be, "configurations", {}).values()):
            held = set(cfg.network_load_balancer_arns or []) | set(
                cfg.gateway_load_balancer_arns or []
            )
            for arn in wanted:
                if arn in held:
                    raise AwsError(
                        "InvalidParameter",
                        f"The load balancer {arn} is already associated with the endpoint "
                        f"service {cfg.id}",
                    )


def _config(account, region, service_id):
    be = ec2_share.backend(account, region)
    return be.configurations.get(service_id)


def _owned_config(context, service_id):
    """The caller's own service configuration. EC2 error codes:
    InvalidVpcEndpointServiceId.NotFound, "The specified VPC endpoint service does not
    exist"."""
    cfg = _config(context.account_id, context.region, service_id)
    if cfg is None:
        raise AwsError(
            "InvalidVpcEndpointServiceId.NotFound",
            f"The Vpc Endpoint Service Id '{service_id}' does not exist",
        )
    return cfg


def _allowed(principals, caller: str, account: str, partition: str) -> bool:
    """PrivateLink guide, "Configure an endpoint service", Manage permissions: "By default,
    your endpoint service is not available to service consumers. You must add permissions
    that allow specific AWS principals to create an interface VPC endpoint"; the principals:
    arn:aws:iam::<account>:root ("includes all principals in the account"), a role, a user,
    and `*` ("All principals in all AWS accounts"). A role's sessions are that role (IAM user
    guide, role session principals; iam._principal_matches)."""
    for p in principals or []:
        if p == "*" or p == caller:
            return True
        if p == f"arn:{partition}:iam::{account}:root":
            return True
        if iam._principal_matches(p, caller):
            return True
    return False


def service_for(context, request):
    """The endpoint service a CreateVpcEndpoint request names, if it is one of an account's
    (``com.amazonaws.vpce.<region>.vpce-svc-...``), after the permission check; None for
    AWS's own services (left to moto).

    A principal the service does not allow is refused as if the service did not exist:
    botocore DescribeVpcEndpointServicePermissions describes "the principals (service
    consumers) that are permitted to discover your VPC endpoint service"; AWS's answer for a
    service name it does not show the caller, recorded for CreateVpcEndpoint in
    aws-samples/aws-network-firewall-terraform#4: "InvalidServiceName: The Vpc Endpoint
    Service '<name>' does not exist", status 400 (that AWS answers the same for a service
    that exists but does not allow the caller is an assumption). The owner's own account is
    held to the same permissions (an assumption: the guide states no exception)."""
    name = request.get("ServiceName") or ""
    if not name.startswith("com.amazonaws.vpce."):
        return None
    with LOCK:
        hit = SERVICES.get((context.region, name))
    cfg = _config(hit[0], context.region, hit[1]) if hit else None
    refused = AwsError(
        "InvalidServiceName", f"The Vpc Endpoint Service '{name}' does not exist"
    )
    if cfg is None:
        raise refused
    caller, _ = iam.caller(context)
    partition = caller.split(":")[1] if caller.count(":") >= 2 else "aws"
    if not _allowed(cfg.principals, caller, context.account_id, partition):
        raise refused
    return hit[0], cfg


def connect(context, svc, result) -> bool:
    """After moto made the endpoint: AcceptanceRequired true leaves it `pendingAcceptance`
    until the owner accepts (botocore CreateVpcEndpointServiceConfiguration.AcceptanceRequired:
    "Indicates whether requests from service consumers to create an endpoint to your service
    must be accepted manually"; terraform-provider-aws#13387/#14604: the endpoint is
    `pendingAcceptance`, then `pending` and `available` once accepted). Returns True when the
    endpoint's state is the acceptance's to decide (the caller then skips its own pending ->
    available transition)."""
    owner, cfg = svc
    ep_id = result["VpcEndpoint"]["VpcEndpointId"]
    be = ec2_share.backend(context.account_id, context.region)
    ep = be.vpc_end_points.get(ep_id)
    with LOCK:
        CONNECTIONS.setdefault((context.region, cfg.id), {})[ep_id] = (
            context.account_id,
            f"vpce-con-{secrets.token_hex(9)[:17]}",
        )
        if ep is not None:
            ep._airgap_service = (owner, cfg.id)
        if not _truthy(cfg.acceptance_required):
            return False
        if ep is not None:
            ep.state = "pendingAcceptance"
        result["VpcEndpoint"]["State"] = "pendingAcceptance"
    return True


def _consumer_endpoint(region, service_id, ep_id):
    conn = CONNECTIONS.get((region, service_id), {}).get(ep_id)
    if conn is None:
        return None, None
    ep = ec2_share.backend(conn[0], region).vpc_end_points.get(ep_id)
    return conn, ep


def _not_found(ep_id) -> dict:
    # EC2 error codes: InvalidVpcEndpointId.NotFound, "The specified VPC endpoint does not
    # exist. If you are performing a bulk request that is partially successful or
    # unsuccessful, the response includes a list of the unsuccessful items."
    return {
        "ResourceId": ep_id,
        "Error": {
            "Code": "InvalidVpcEndpointId.NotFound",
            "Message": f"The Vpc Endpoint Id '{ep_id}' does not exist",
        },
    }


def _wrong_state(ep_id, state) -> dict:
    # EC2 error codes: InvalidState, "The specified resource is not in the correct state for
    # the request" (that AWS answers this code for an endpoint it cannot accept or reject is
    # an assumption)
    return {
        "ResourceId": ep_id,
        "Error": {
            "Code": "InvalidState",
            "Message": f"The Vpc Endpoint '{ep_id}' is in state {state}",
        },
    }


def accept(context, request) -> dict:
    """PrivateLink guide, "Accept and reject endpoint connection requests": "If you specified
    that acceptance is required for connection requests, you must manually accept or reject
    endpoint connection requests ... After an endpoint is accepted, it becomes available";
    terraform-provider-aws#14604 (AWS's states): `pendingAcceptance -> pending -> available`.
    botocore AcceptVpcEndpointConnectionsResult.Unsuccessful: "Information about the
    interface endpoints that were not accepted". The pending -> available step takes the
    catalogue's interface endpoint create duration, at the consumer's time scale."""
    _owned_config(context, request["ServiceId"])
    unsuccessful, accepted = [], []
    with LOCK:
        for ep_id in request["VpcEndpointIds"]:
            conn, ep = _consumer_endpoint(context.region, request["ServiceId"], ep_id)
            if ep is None:
                unsuccessful.append(_not_found(ep_id))
            elif ep.state != "pendingAcceptance":
                unsuccessful.append(_wrong_state(ep_id, ep.state))
            else:
                ep.state = "pending"
                accepted.append((conn[0], ep))
    for consumer, ep in accepted:

        def available(ep=ep):
            with LOCK:
                if ep.state == "pending":
                    ep.state = "available"

        timing.set_current_account(consumer)
        try:
            timing.after("vpc-endpoint", "create", available)
        finally:
            timing.set_current_account(context.account_id)
    return {"Unsuccessful": unsuccessful}


def reject(context, request) -> dict:
    """The same guide: "You can reject an endpoint connection after it's in the available
    state"; botocore RejectVpcEndpointConnectionsResult.Unsuccessful. The consumer's endpoint
    is `rejected` (a state of botocore State; `rejected` as DescribeVpcEndpoints shows it,
    e.g. the listing recorded in mbailey/bash-my-aws#217). Its network interfaces stay until
    the consumer deletes it (what AWS does with them is not recorded)."""
    _owned_config(context, request["ServiceId"])
    unsuccessful = []
    with LOCK:
        for ep_id in request["VpcEndpointIds"]:
            _, ep = _consumer_endpoint(context.region, request["ServiceId"], ep_id)
            if ep is None:
                unsuccessful.append(_not_found(ep_id))
            elif ep.state not in ATTACHED:
                unsuccessful.append(_wrong_state(ep_id, ep.state))
            else:
                ep.state = "rejected"
    return {"Unsuccessful": unsuccessful}


def describe(context, request) -> dict:
    """botocore DescribeVpcEndpointConnections: "Describes the VPC endpoint connections to
    your VPC endpoint services, including any endpoints that are pending your acceptance";
    filters service-id, vpc-endpoint-owner, vpc-endpoint-state, vpc-endpoint-id,
    ip-address-type, vpc-endpoint-region. The state as the guide's example shows it
    (`"VpcEndpointState": "pendingAcceptance"`, lower camel case like DescribeVpcEndpoints,
    not the model enum's `PendingAcceptance`)."""
    from .client_vpn import _filtered, _page

    region = context.region
    rows = []
    with LOCK:
        owned = [sid for (reg, _), (acct, sid) in SERVICES.items()
                 if reg == region and acct == context.account_id]
        for sid in owned:
            cfg = _config(context.account_id, region, sid)
            if cfg is None:
                continue
            for ep_id, (consumer, conn_id) in list(CONNECTIONS.get((region, sid), {}).items()):
                ep = ec2_share.backend(consumer, region).vpc_end_points.get(ep_id)
                if ep is None:
                    continue
                rows.append(
                    {
                        "ServiceId": sid,
                        "VpcEndpointId": ep_id,
                        "VpcEndpointOwner": consumer,
                        "VpcEndpointState": ep.state,
                        "CreationTimestamp": ep.creation_timestamp,
                        "DnsEntries": [
                            {"DnsName": d.get("dns_name"), "HostedZoneId": d.get("hosted_zone_id")}
                            for d in (ep.dns_entries or [])
                        ],
                        "NetworkLoadBalancerArns": list(cfg.network_load_balancer_arns),
                        "GatewayLoadBalancerArns": list(cfg.gateway_load_balancer_arns),
                        "IpAddressType": "ipv4",
                        "VpcEndpointConnectionId": conn_id,
                        "VpcEndpointRegion": region,
                    }
                )
        rows = _filtered(
            rows,
            request.get("Filters"),
            {
                "service-id": lambda r: r["ServiceId"],
                "vpc-endpoint-owner": lambda r: r["VpcEndpointOwner"],
                "vpc-endpoint-state": lambda r: r["VpcEndpointState"],
                "vpc-endpoint-id": lambda r: r["VpcEndpointId"],
                "ip-address-type": lambda r: r["IpAddressType"],
                "vpc-endpoint-region": lambda r: r["VpcEndpointRegion"],
            },
        )
    return _page(rows, request, "VpcEndpointConnections")


def refuse_attached(context, service_ids):
    """EC2 error codes: ExistingVpcEndpointConnections, "You cannot delete a VPC endpoint
    service configuration or change the load balancers for the endpoint service if there are
    endpoints attached to the service" (attached: pendingAcceptance, pending or available,
    an assumption). Returns (Unsuccessful items, the ids that may go)."""
    unsuccessful, free = [], []
    with LOCK:
        for sid in service_ids:
            attached = []
            for ep_id in CONNECTIONS.get((context.region, sid), {}):
                _, ep = _consumer_endpoint(context.region, sid, ep_id)
                if ep is not None and ep.state in ATTACHED:
                    attached.append(ep_id)
            if attached and _config(context.account_id, context.region, sid) is not None:
                unsuccessful.append(
                    {
                        "ResourceId": sid,
                        "Error": {
                            "Code": "ExistingVpcEndpointConnections",
                            "Message": f"Service {sid} has existing VPC Endpoint connections: "
                            + ", ".join(attached),
                        },
                    }
                )
            else:
                free.append(sid)
    return unsuccessful, free


def forget_services(context, service_ids):
    with LOCK:
        for key, (acct, sid) in list(SERVICES.items()):
            if key[0] == context.region and acct == context.account_id and sid in service_ids:
                if _config(acct, context.region, sid) is None:
                    SERVICES.pop(key, None)
                    CONNECTIONS.pop((context.region, sid), None)


def foreign_services(context, names):
    """The ServiceNames of a DescribeVpcEndpointServices that are other accounts' endpoint
    services: those the caller may discover as ServiceDetail items, the rest refused.
    botocore DescribeVpcEndpointServicePermissions: the principals "permitted to discover
    your VPC endpoint service"; the PrivateLink guide's consumer steps find a partner's
    service by name. moto lists only the caller's own configurations (InvalidServiceName for
    any other). Unknown or not allowed: InvalidServiceName "The Vpc Endpoint Service '<name>'
    does not exist" (the answer recorded for a name AWS does not show the caller, e.g.
    hashicorp/terraform-provider-aws#24216 for DescribeVpcEndpointServices). Returns
    (ServiceDetail dicts, the names left to moto)."""
    details, rest = [], []
    for name in names or []:
        with LOCK:
            hit = SERVICES.get((context.region, name))
        own = hit is not None and hit[0] == context.account_id
        if hit is None or own or not name.startswith("com.amazonaws.vpce."):
            rest.append(name)
            continue
        _, cfg = service_for(context, {"ServiceName": name})
        d = {k: v for k, v in cfg.to_dict().items() if v is not None}
        d["AcceptanceRequired"] = _truthy(cfg.acceptance_required)
        d["Owner"] = hit[0]
        d["PrivateDnsNames"] = [p for p in d.get("PrivateDnsNames", []) if p.get("PrivateDnsName")]
        details.append(d)
    return details, rest
