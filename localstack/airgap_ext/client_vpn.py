"""AWS Client VPN, the EC2 operations neither moto nor LocalStack's EC2 provider has.

Wired into the EC2 provider by ec2.py (``AirgapEc2Provider``); state per account and region
under ``common.LOCK``. Every rule below names its source; where AWS's answer for a case is
not recorded, the code (from the EC2 error code list) or the message is marked an
assumption. docs/emulator-fidelity.md ("EC2: Client VPN") lists the same with the tests.

Sources used throughout:

* botocore ``ec2`` 2016-11-15 (the shapes, required members, enums; the documentation of
  each member), as pinned with LocalStack;
* the EC2 API Reference's "Error codes for the Amazon EC2 API" page (awsdocs' copy), whose
  Client VPN codes are quoted where used;
* the AWS Client VPN Administrator Guide: "Rules and best practices" (client CIDR /22../12,
  no overlap with the VPC of an associated subnet, one subnet per Availability Zone, subnets
  of one VPC), "AWS Client VPN target networks" (the /27 minimum, the subnet/client CIDR
  overlap, the VPC's local route added on association), "Routes", "AWS Client VPN
  endpoints" ("A Client VPN endpoint must be created in the same AWS account in which the
  intended target network is provisioned");
* the AWS CLI's own examples (awscli/examples/ec2/*-client-vpn-*.rst, shipped in the venv):
  response shapes, states (``pending-associate``, ``associating``, ``authorizing``,
  ``creating``, ``deleting``, CRL ``pending``), the DNS names, the exported .ovpn file;
* AWS answers recorded in public issues (quoted at each use).
"""

import datetime
import ipaddress
import secrets

from . import ec2_share, timing
from .common import LOCK, AwsError, Stores, tags_from_list, tags_to_list

# account/region -> {endpoint id: endpoint dict}
ENDPOINTS = Stores(dict)

ASSOC_LIVE = ("associating", "associated")


def _hex17() -> str:
    return secrets.token_hex(9)[:17]


def _store(context) -> dict:
    return ENDPOINTS.get(context.account_id, context.region)


def _now_text() -> str:
    # ClientVpnEndpoint.CreationTime is a String; the CLI example shows "2020-11-13T11:37:27"
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _bad(message: str) -> AwsError:
    return AwsError("InvalidParameterValue", message)


def _endpoint(context, endpoint_id, *, alive=True) -> dict:
    """EC2 error codes: InvalidClientVpnEndpointId.NotFound, "The specified Client VPN
    Endpoint cannot be found" (the code terraform-provider-aws handles on every Client VPN
    read, e.g. PR #15699)."""
    ep = _store(context).get(endpoint_id)
    if ep is None or (alive and ep["status"] in ("deleting", "deleted")):
        raise AwsError(
            "InvalidClientVpnEndpointId.NotFound",
            f"The Client VPN endpoint ID '{endpoint_id}' does not exist",
        )
    return ep


def _cidr(value: str, what: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except (ValueError, TypeError):
        raise _bad(f"{what} {value!r} is not a valid IPv4 CIDR block") from None


def _acm_certificate(context, arn: str, what: str):
    """The certificate must be an ACM certificate of the caller's account and Region
    (botocore CreateClientVpnEndpoint.ServerCertificateArn: "The ARN of the server
    certificate"; ModifyClientVpnEndpoint: "The server certificate must be provisioned in
    Certificate Manager (ACM)"; CertificateAuthenticationRequest.ClientRootCertificateChainArn:
    "it must be provisioned in Certificate Manager (ACM)"). Looked up in moto's ACM backend,
    which LocalStack's ACM provider uses. The code is the one AWS answers for an ACM
    certificate it cannot use ("InvalidParameterValue: Certificate arn:aws:acm:...
    does not have a domain", status 400, recorded in cloudposse/terraform-aws-ec2-client-vpn
    #57, #78, #117); the "does not exist" message for a missing one is an assumption."""
    from moto.acm.models import acm_backends

    try:
        return acm_backends[context.account_id][context.region].get_certificate(arn)
    except Exception:  # noqa: BLE001 - moto raises its own not-found for unknown ARNs
        raise _bad(f"Certificate {arn} does not exist") from None


def _check_auth(context, options) -> list:
    out = []
    for opt in options or []:
        kind = opt.get("Type")
        item = {"Type": kind}
        # botocore ClientVpnAuthenticationRequest: "You must provide this information if Type
        # is certificate-authentication" (MutualAuthentication), "... directory-service-
        # authentication" (ActiveDirectory), "... federated-authentication"
        # (FederatedAuthentication). The code for a missing one is an assumption.
        if kind == "certificate-authentication":
            arn = (opt.get("MutualAuthentication") or {}).get("ClientRootCertificateChainArn")
            if not arn:
                raise AwsError(
                    "MissingParameter",
                    "MutualAuthentication.ClientRootCertificateChainArn is required for "
                    "certificate-authentication",
                )
            _acm_certificate(context, arn, "client root certificate chain")
            item["MutualAuthentication"] = {"ClientRootCertificateChain": arn}
        elif kind == "federated-authentication":
            fed = opt.get("FederatedAuthentication") or {}
            if not fed.get("SAMLProviderArn"):
                raise AwsError(
                    "MissingParameter",
                    "FederatedAuthentication.SAMLProviderArn is required for "
                    "federated-authentication",
                )
            item["FederatedAuthentication"] = {"SamlProviderArn": fed["SAMLProviderArn"]}
            if fed.get("SelfServiceSAMLProviderArn"):
                item["FederatedAuthentication"]["SelfServiceSamlProviderArn"] = fed[
                    "SelfServiceSAMLProviderArn"
                ]
        elif kind == "directory-service-authentication":
            ad = opt.get("ActiveDirectory") or {}
            if not ad.get("DirectoryId"):
                raise AwsError(
                    "MissingParameter",
                    "ActiveDirectory.DirectoryId is required for directory-service-authentication",
                )
            item["ActiveDirectory"] = {"DirectoryId": ad["DirectoryId"]}
        out.append(item)
    return out


def _log_options(opts) -> dict:
    """botocore ConnectionLogOptions.CloudwatchLogGroup: "Required if connection logging is
    enabled" (the code for its absence is an assumption)."""
    opts = opts or {}
    if opts.get("Enabled") is None:
        raise AwsError(
            "MissingParameter",
            "The request must contain the parameter ConnectionLogOptions.Enabled",
        )
    out = {"Enabled": bool(opts["Enabled"])}
    if opts["Enabled"]:
        if not opts.get("CloudwatchLogGroup"):
            raise AwsError(
                "MissingParameter",
                "ConnectionLogOptions.CloudwatchLogGroup is required when connection logging "
                "is enabled",
            )
        out["CloudwatchLogGroup"] = opts["CloudwatchLogGroup"]
        if opts.get("CloudwatchLogStream"):
            out["CloudwatchLogStream"] = opts["CloudwatchLogStream"]
    return out


def _dns_servers(servers) -> list:
    # botocore CreateClientVpnEndpoint.DnsServers: "A Client VPN endpoint can have up to two
    # DNS servers." (the code beyond two is an assumption)
    servers = list(servers or [])
    if len(servers) > 2:
        raise _bad("A Client VPN endpoint can have up to two DNS servers")
    for s in servers:
        try:
            ipaddress.IPv4Address(s)
        except ValueError:
            raise _bad(f"DNS server {s!r} is not an IPv4 address") from None
    return servers


def _port(value):
    # botocore VpnPort: "Valid Values: 443 | 1194  Default Value: 443"
    if value not in (443, 1194):
        raise _bad(f"VpnPort {value} is not valid; valid values are 443 and 1194")
    return value


def _session_hours(value):
    # botocore SessionTimeoutHours: "Valid values: 8 | 10 | 12 | 24  Default value: 24"
    if value not in (8, 10, 12, 24):
        raise _bad(f"SessionTimeoutHours {value} is not valid; valid values are 8, 10, 12, 24")
    return value


def _security_groups(be, vpc_id, group_ids) -> list:
    """botocore SecurityGroupIds: "You must also specify the ID of the VPC that contains the
    security groups"; ApplySecurityGroupsToClientVpnTargetNetwork: "Up to 5 security groups".
    EC2 error codes: InvalidSecurityGroupID.NotFound, "The specified security group does not
    exist"; a group of another VPC: InvalidParameterValue (assumption)."""
    group_ids = list(group_ids or [])
    if len(group_ids) > 5:
        raise _bad("Up to 5 security groups can be applied to a Client VPN target network")
    for gid in group_ids:
        group = be.get_security_group_from_id(gid)
        if group is None:
            raise AwsError(
                "InvalidSecurityGroupID.NotFound", f"The security group '{gid}' does not exist"
            )
        if group.vpc_id != vpc_id:
            raise _bad(f"Security group {gid} does not belong to VPC {vpc_id}")
    return group_ids


def _vpc(be, vpc_id):
    if vpc_id not in be.vpcs:
        raise AwsError("InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist")
    return be.vpcs[vpc_id]


def _vpc_cidrs(vpc) -> list:
    cidrs = [
        c["cidr_block"]
        for c in vpc.get_cidr_block_association_set()
        if (c.get("cidr_block_state") or {}).get("state", "associated") == "associated"
    ]
    return cidrs or [vpc.cidr_block]


def _tags_for(request, resource_type) -> dict:
    """TagSpecifications of a create: only the resource type the operation creates
    (botocore CreateClientVpnEndpoint.TagSpecifications: "The tags to apply to the Client VPN
    endpoint during creation"; ResourceType `client-vpn-endpoint`). Another type:
    InvalidParameterValue (assumption)."""
    tags = {}
    for spec in request.get("TagSpecifications") or []:
        if spec.get("ResourceType") != resource_type:
            raise _bad(
                f"'{spec.get('ResourceType')}' is not a valid taggable resource type for this "
                "operation"
            )
        tags.update(tags_from_list(spec.get("Tags")))
    return tags


# ---- endpoints ----------------------------------------------------------------------------


def create_endpoint(context, request) -> dict:
    be = ec2_share.backend(context.account_id, context.region)
    # ClientCidrBlock: optional in the pinned model (IPv6-only endpoints have none), but
    # required for IPv4 traffic, the default ("Required: Yes" in the API reference before
    # IPv6 support; TrafficIpAddressType defaults to ipv4).
    traffic = request.get("TrafficIpAddressType") or "ipv4"
    cidr_text = request.get("ClientCidrBlock")
    client_cidr = None
    if cidr_text is None and traffic != "ipv6":
        raise AwsError("MissingParameter", "The request must contain the parameter ClientCidrBlock")
    if cidr_text is not None:
        client_cidr = _cidr(cidr_text, "ClientCidrBlock")
        # Guide, "Rules and best practices": "Client CIDR ranges must have a block size of
        # at least /22 and must not be greater than /12" (botocore says the same).
        if not 12 <= client_cidr.prefixlen <= 22:
            raise _bad(
                f"Client CIDR range {cidr_text} must have a size of at least /22 and must not "
                "be greater than /12"
            )
    server_arn = request["ServerCertificateArn"]
    _acm_certificate(context, server_arn, "server certificate")
    auth = _check_auth(context, request.get("AuthenticationOptions"))
    logs = _log_options(request.get("ConnectionLogOptions"))
    dns = _dns_servers(request.get("DnsServers"))
    port = _port(request.get("VpnPort", 443))
    hours = _session_hours(request.get("SessionTimeoutHours", 24))
    vpc_id = request.get("VpcId")
    groups = []
    if request.get("SecurityGroupIds") and not vpc_id:
        raise AwsError(
            "MissingParameter",
            "VpcId is required with SecurityGroupIds (\"You must also specify the ID of the VPC "
            "that contains the security groups\")",
        )
    if vpc_id:
        _vpc(be, vpc_id)
        groups = _security_groups(be, vpc_id, request.get("SecurityGroupIds"))
        if not groups:
            # botocore VpcId: "If no security group IDs are specified in the request, the
            # default security group for the VPC is applied."
            default = be.get_default_security_group(vpc_id)
            groups = [default.id] if default is not None else []
    tags = _tags_for(request, "client-vpn-endpoint")
    endpoint_id = f"cvpn-endpoint-{_hex17()}"
    ep = {
        "id": endpoint_id,
        "region": context.region,
        "description": request.get("Description"),
        "status": "pending-associate",
        "created": _now_text(),
        "client_cidr": str(client_cidr) if client_cidr else None,
        "server_cert": server_arn,
        "auth": auth,
        "logs": logs,
        "dns": dns,
        "split_tunnel": bool(request.get("SplitTunnel", False)),
        "transport": request.get("TransportProtocol") or "udp",
        "port": port,
        "vpc_id": vpc_id,
        "groups": groups,
        "self_service": request.get("SelfServicePortal"),
        "connect": {
            "Enabled": bool((request.get("ClientConnectOptions") or {}).get("Enabled", False)),
            **(
                {"LambdaFunctionArn": request["ClientConnectOptions"]["LambdaFunctionArn"]}
                if (request.get("ClientConnectOptions") or {}).get("LambdaFunctionArn")
                else {}
            ),
        },
        "hours": hours,
        "banner": dict(request.get("ClientLoginBannerOptions") or {"Enabled": False}),
        "route_enforcement": bool(
            (request.get("ClientRouteEnforcementOptions") or {}).get("Enforced", False)
        ),
        "disconnect_on_timeout": bool(request.get("DisconnectOnSessionTimeout", True)),
        "endpoint_ip_type": request.get("EndpointIpAddressType") or "ipv4",
        "traffic_ip_type": traffic,
        "tags": tags,
        "associations": {},
        "rules": [],
        "routes": [],
        "crl": None,
        "backend": be,
    }
    with LOCK:
        _store(context)[endpoint_id] = ep
    # CLI example (create-client-vpn-endpoint): status pending-associate, DnsName
    # cvpn-endpoint-<id>.prod.clientvpn.<region>.amazonaws.com
    return {
        "ClientVpnEndpointId": endpoint_id,
        "Status": {"Code": "pending-associate"},
        "DnsName": f"{endpoint_id}.prod.clientvpn.{context.region}.amazonaws.com",
    }


def _endpoint_dto(ep) -> dict:
    """The ClientVpnEndpoint shape as the CLI example of describe-client-vpn-endpoints shows
    it (DnsName with a leading "*.", VpnProtocol openvpn, the AssociatedTargetNetworks)."""
    out = {
        "ClientVpnEndpointId": ep["id"],
        "Status": {"Code": ep["status"]},
        "CreationTime": ep["created"],
        "DnsName": f"*.{ep['id']}.prod.clientvpn.{ep['region']}.amazonaws.com",
        "DnsServers": list(ep["dns"]),
        "SplitTunnel": ep["split_tunnel"],
        "VpnProtocol": "openvpn",
        "TransportProtocol": ep["transport"],
        "VpnPort": ep["port"],
        "AssociatedTargetNetworks": [
            {"NetworkId": a["subnet_id"], "NetworkType": "vpc"}
            for a in ep["associations"].values()
            if a["status"] in ASSOC_LIVE
        ],
        "ServerCertificateArn": ep["server_cert"],
        "AuthenticationOptions": [dict(a) for a in ep["auth"]],
        "ConnectionLogOptions": dict(ep["logs"]),
        "Tags": tags_to_list(ep["tags"]),
        "SecurityGroupIds": list(ep["groups"]),
        "ClientConnectOptions": {**ep["connect"], "Status": {"Code": "applied"}},
        "SessionTimeoutHours": ep["hours"],
        "ClientLoginBannerOptions": dict(ep["banner"]),
        "ClientRouteEnforcementOptions": {"Enforced": ep["route_enforcement"]},
        "DisconnectOnSessionTimeout": ep["disconnect_on_timeout"],
        "EndpointIpAddressType": ep["endpoint_ip_type"],
        "TrafficIpAddressType": ep["traffic_ip_type"],
    }
    if ep["description"] is not None:
        out["Description"] = ep["description"]
    if ep["client_cidr"]:
        out["ClientCidrBlock"] = ep["client_cidr"]
    if ep["vpc_id"]:
        out["VpcId"] = ep["vpc_id"]
    if ep.get("deleted_at"):
        out["DeletionTime"] = ep["deleted_at"]
    return out


def _filtered(items, filters, fields, tags_of=None):
    """EC2's Filter type: the values of one filter are ORed, filters ANDed. A filter name the
    operation does not document is refused with InvalidParameterValue "The filter '<name>'
    is invalid" (EC2's answer for unknown filters; that Client VPN answers the same is an
    assumption)."""
    out = list(items)
    for f in filters or []:
        name, values = f.get("Name", ""), set(f.get("Values") or [])
        if name.startswith("tag:") and tags_of is not None:
            key = name[4:]
            out = [i for i in out if tags_of(i).get(key) in values]
        elif name == "tag-key" and tags_of is not None:
            out = [i for i in out if values & set(tags_of(i))]
        elif name in fields:
            get = fields[name]
            out = [i for i in out if str(get(i)) in values]
        else:
            raise _bad(f"The filter '{name}' is invalid")
    return out


def _page(items, request, key):
    """MaxResults (5..1000, the model's range) and NextToken: the index of the next item."""
    start = 0
    token = request.get("NextToken")
    if token:
        if not token.isdigit() or int(token) > len(items):
            raise AwsError("InvalidNextToken", f"The token '{token}' is invalid")
        start = int(token)
    size = request.get("MaxResults") or 1000
    out = {key: items[start : start + size]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return out


def describe_endpoints(context, request) -> dict:
    with LOCK:
        eps = [e for e in _store(context).values() if e["status"] != "deleted"]
        ids = request.get("ClientVpnEndpointIds")
        if ids:
            known = {e["id"] for e in eps}
            for i in ids:
                if i not in known:
                    _endpoint(context, i)  # raises NotFound
            eps = [e for e in eps if e["id"] in ids]
        # Filters: botocore documents endpoint-id and transport-protocol; tag:<key> filters
        # are applied too, as terraform-provider-aws's aws_ec2_client_vpn_endpoint data source
        # sends them (BuildTagFilterList) and its acceptance test looks an endpoint up
        # "by_tags" against AWS (client_vpn_endpoint_data_source_test.go).
        eps = _filtered(
            eps,
            request.get("Filters"),
            {"endpoint-id": lambda e: e["id"], "transport-protocol": lambda e: e["transport"]},
            tags_of=lambda e: e["tags"],
        )
        dtos = [_endpoint_dto(e) for e in eps]
    return _page(dtos, request, "ClientVpnEndpoints")


def modify_endpoint(context, request) -> dict:
    be = ec2_share.backend(context.account_id, context.region)
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        changes = {}
        if request.get("ServerCertificateArn"):
            _acm_certificate(context, request["ServerCertificateArn"], "server certificate")
            changes["server_cert"] = request["ServerCertificateArn"]
        if request.get("ConnectionLogOptions") is not None:
            changes["logs"] = _log_options(request["ConnectionLogOptions"])
        if request.get("DnsServers") is not None:
            # botocore DnsServersOptionsModifyStructure: CustomDnsServers "overwrite the
            # existing values"; Enabled "Specify False to delete the existing DNS servers"
            d = request["DnsServers"]
            changes["dns"] = _dns_servers(d.get("CustomDnsServers")) if d.get("Enabled") else []
        if request.get("VpnPort") is not None:
            changes["port"] = _port(request["VpnPort"])
        if request.get("SessionTimeoutHours") is not None:
            changes["hours"] = _session_hours(request["SessionTimeoutHours"])
        vpc_id = request.get("VpcId")
        if vpc_id and vpc_id != ep["vpc_id"]:
            _vpc(be, vpc_id)
            # AssociateClientVpnTargetNetwork: "To specify a subnet that's in a different
            # VPC, you must first modify the Client VPN endpoint ... and change the VPC";
            # refusing the change while subnets of the old VPC are associated is an
            # assumption (the guide has them all in one VPC).
            if any(a["status"] in ASSOC_LIVE for a in ep["associations"].values()):
                raise _bad(
                    f"Cannot change the VPC of {ep['id']} while target networks are associated"
                )
            changes["vpc_id"] = vpc_id
        target_vpc = changes.get("vpc_id", ep["vpc_id"])
        if request.get("SecurityGroupIds") is not None:
            if not target_vpc:
                raise AwsError("MissingParameter", "VpcId is required with SecurityGroupIds")
            changes["groups"] = _security_groups(be, target_vpc, request["SecurityGroupIds"])
        elif "vpc_id" in changes:
            default = be.get_default_security_group(vpc_id)
            changes["groups"] = [default.id] if default is not None else []
        if request.get("Description") is not None:
            changes["description"] = request["Description"]
        if request.get("SplitTunnel") is not None:
            changes["split_tunnel"] = bool(request["SplitTunnel"])
        if request.get("SelfServicePortal") is not None:
            changes["self_service"] = request["SelfServicePortal"]
        if request.get("ClientConnectOptions") is not None:
            changes["connect"] = {
                "Enabled": bool(request["ClientConnectOptions"].get("Enabled", False)),
                **(
                    {"LambdaFunctionArn": request["ClientConnectOptions"]["LambdaFunctionArn"]}
                    if request["ClientConnectOptions"].get("LambdaFunctionArn")
                    else {}
                ),
            }
        if request.get("ClientLoginBannerOptions") is not None:
            changes["banner"] = dict(request["ClientLoginBannerOptions"])
        if request.get("ClientRouteEnforcementOptions") is not None:
            changes["route_enforcement"] = bool(
                request["ClientRouteEnforcementOptions"].get("Enforced", False)
            )
        if request.get("DisconnectOnSessionTimeout") is not None:
            changes["disconnect_on_timeout"] = bool(request["DisconnectOnSessionTimeout"])
        ep.update(changes)
        if "groups" in changes:
            _apply_groups(ep)
    # botocore ModifyClientVpnEndpointResult.Return
    return {"Return": True}


def delete_endpoint(context, request) -> dict:
    """botocore DeleteClientVpnEndpoint: "You must disassociate all target networks before
    you can delete a Client VPN endpoint." AWS's answer otherwise, recorded in
    hashicorp/terraform-provider-aws#14115: "ClientVpnEndpointAssociationExists: The
    endpoint that you're trying to delete has associations cvpn-assoc-...", status 400.
    Then `deleting` (CLI example), gone after the delay."""
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        held = [a["id"] for a in ep["associations"].values()]
        if held:
            raise AwsError(
                "ClientVpnEndpointAssociationExists",
                "The endpoint that you're trying to delete has associations " + ", ".join(held),
            )
        ep["status"] = "deleting"
    store = _store(context)

    def gone():
        with LOCK:
            store.pop(ep["id"], None)

    timing.after("client-vpn-endpoint", "delete", gone)
    return {"Status": {"Code": "deleting"}}


# ---- target networks ----------------------------------------------------------------------


def _association_dto(ep, a) -> dict:
    return {
        "AssociationId": a["id"],
        "VpcId": a["vpc_id"],
        "TargetNetworkId": a["subnet_id"],
        "ClientVpnEndpointId": ep["id"],
        "Status": {"Code": a["status"]},
        "SecurityGroups": list(ep["groups"]),
    }


def associate(context, request) -> dict:
    from .nfw import _free_address

    be = ec2_share.backend(context.account_id, context.region)
    subnet_id = request["SubnetId"]
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        _, subnet = ec2_share._find_subnet(be, subnet_id)
        if subnet is None:
            # EC2 error codes: InvalidSubnetID.NotFound, "The specified subnet does not exist"
            raise AwsError(
                "InvalidSubnetID.NotFound", f"The subnet ID '{subnet_id}' does not exist"
            )
        if subnet.ec2_backend.account_id != context.account_id:
            # Guide, "AWS Client VPN endpoints": "A Client VPN endpoint must be created in the
            # same AWS account in which the intended target network is provisioned"; EC2 error
            # codes: InvalidClientVpnSubnetId.DifferentAccount, "The specified subnet belongs
            # to a different account" (a subnet shared through RAM).
            raise AwsError(
                "InvalidClientVpnSubnetId.DifferentAccount",
                f"The subnet {subnet_id} belongs to a different account",
            )
        live = [a for a in ep["associations"].values() if a["status"] in ASSOC_LIVE]
        if any(a["subnet_id"] == subnet_id for a in live):
            # EC2 error codes: InvalidClientVpnDuplicateAssociationException, "The specified
            # target network has already been associated with the Client VPN endpoint" (the
            # list also has ClientVpnEndpointAssociationExists for "already associated";
            # which one AWS answers here is not recorded).
            raise AwsError(
                "InvalidClientVpnDuplicateAssociationException",
                f"The target network {subnet_id} has already been associated with the Client "
                f"VPN endpoint {ep['id']}",
            )
        if ep["vpc_id"] and subnet.vpc_id != ep["vpc_id"]:
            # botocore AssociateClientVpnTargetNetwork: "If you specified a VPC when you created
            # the Client VPN endpoint or if you have previous subnet associations, the
            # specified subnet must be in the same VPC"; EC2 error codes:
            # InvalidClientVpnSubnetId.NotFound, "The specified subnet cannot be found in the
            # VPN [VPC] with which the Client VPN endpoint is associated".
            raise AwsError(
                "InvalidClientVpnSubnetId.NotFound",
                f"The subnet {subnet_id} cannot be found in the VPC {ep['vpc_id']} with which "
                f"the Client VPN endpoint {ep['id']} is associated",
            )
        if any(a["az"] == subnet.availability_zone for a in live):
            # botocore: "You can associate only one subnet in each Availability Zone"; EC2 error
            # codes: InvalidClientVpnSubnetId.DuplicateAz.
            raise AwsError(
                "InvalidClientVpnSubnetId.DuplicateAz",
                "You have already associated a subnet from this Availability Zone with the "
                f"Client VPN endpoint {ep['id']}",
            )
        net = ipaddress.IPv4Network(subnet.cidr_block)
        if net.prefixlen > 27:
            # Guide, target networks: "The subnet must have a CIDR block with at least a /27
            # bitmask" (the code is an assumption).
            raise _bad(f"The subnet {subnet_id} must have a CIDR block of at least /27")
        if ep["client_cidr"]:
            client = ipaddress.IPv4Network(ep["client_cidr"])
            vpc = be.vpcs[subnet.vpc_id]
            # Guide: "The subnet's CIDR block cannot overlap with the client CIDR range";
            # "Client CIDR ranges cannot overlap with the local CIDR of the VPC in which the
            # associated subnet is located". EC2 error codes:
            # InvalidClientVpnSubnetId.OverlappingCidr ("The specified target network's CIDR
            # range overlaps with the Client VPN endpoint's client CIDR range"); the same
            # code for the VPC's CIDR is an assumption.
            for cidr in [subnet.cidr_block] + _vpc_cidrs(vpc):
                if client.overlaps(ipaddress.IPv4Network(cidr)):
                    raise AwsError(
                        "InvalidClientVpnSubnetId.OverlappingCidr",
                        f"The client CIDR range {ep['client_cidr']} overlaps with {cidr} of "
                        f"the target network {subnet_id}",
                    )
        if not ep["vpc_id"]:
            # Guide, target networks: "If you haven't yet associated a VPC with the Client VPN
            # endpoint, you can choose any subnet in any VPC. All further subnet associations
            # must be from the same VPC." The VPC's default group applies (botocore VpcId).
            ep["vpc_id"] = subnet.vpc_id
            default = be.get_default_security_group(subnet.vpc_id)
            ep["groups"] = [default.id] if default is not None else []
        assoc_id = f"cvpn-assoc-{_hex17()}"
        # "When a Client VPN endpoint is associated to a subnet, elastic network interfaces
        # are created in the associated subnet" (AWS re:Post knowledge center, "client-vpn-
        # give-users-resource-access"); requester-managed, with the endpoint's security
        # groups. One interface per association and its description are ours (no recorded
        # AWS answer); it holds the subnet (DeleteSubnet: DependencyViolation, ec2.py).
        eni = be.create_network_interface(
            subnet,
            _free_address(be, subnet),
            group_ids=list(ep["groups"]),
            description=f"ClientVPN Endpoint {ep['id']} Association {assoc_id}",
        )
        eni.requester_managed = True
        eni.status = "in-use"
        a = {
            "id": assoc_id,
            "subnet_id": subnet_id,
            "vpc_id": subnet.vpc_id,
            "az": subnet.availability_zone,
            "status": "associating",
            "eni": eni.id,
            "vpc_cidrs": _vpc_cidrs(be.vpcs[subnet.vpc_id]),
        }
        ep["associations"][assoc_id] = a

    def associated():
        with LOCK:
            if a["status"] != "associating":
                return
            a["status"] = "associated"
            # botocore ClientVpnEndpointStatus: available - "a target network has been
            # associated"; guide, target networks: "we automatically add the local route of
            # the VPC in which the associated subnet is provisioned"; the CLI example of
            # describe-client-vpn-routes shows it: Type Nat, Origin associate, "Default Route".
            if ep["status"] == "pending-associate":
                ep["status"] = "available"
            for cidr in a["vpc_cidrs"]:
                ep["routes"].append(
                    {
                        "dest": cidr,
                        "subnet": subnet_id,
                        "type": "Nat",
                        "origin": "associate",
                        "status": "active",
                        "description": "Default Route",
                    }
                )

    timing.after("client-vpn-association", "create", associated)
    # CLI example (associate-client-vpn-target-network): Status associating
    return {"AssociationId": assoc_id, "Status": {"Code": "associating"}}


def disassociate(context, request) -> dict:
    """botocore DisassociateClientVpnTargetNetwork: after the last one, "The route that was
    automatically added for the VPC is deleted ... The Client VPN endpoint's status changes
    to pending-associate". EC2 error codes: InvalidClientVpnAssociationIdNotFound, "The
    specified target network association cannot be found". `disassociating` (CLI example),
    gone after the delay, its interface released with it. Routes the endpoint had through
    the subnet go too (an assumption for manually added ones)."""
    be = ec2_share.backend(context.account_id, context.region)
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        a = ep["associations"].get(request["AssociationId"])
        if a is None or a["status"] not in ASSOC_LIVE + ("disassociating",):
            raise AwsError(
                "InvalidClientVpnAssociationIdNotFound",
                f"The target network association {request['AssociationId']} cannot be found",
            )
        a["status"] = "disassociating"

    def gone():
        with LOCK:
            ep["associations"].pop(a["id"], None)
            be.enis.pop(a["eni"], None)
            ep["routes"] = [r for r in ep["routes"] if r["subnet"] != a["subnet_id"]]
            if not any(x["status"] == "associated" for x in ep["associations"].values()):
                if ep["status"] == "available":
                    ep["status"] = "pending-associate"

    timing.after("client-vpn-association", "delete", gone)
    return {"AssociationId": a["id"], "Status": {"Code": "disassociating"}}


def describe_target_networks(context, request) -> dict:
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        items = list(ep["associations"].values())
        if request.get("AssociationIds"):
            items = [a for a in items if a["id"] in request["AssociationIds"]]
        items = _filtered(
            items,
            request.get("Filters"),
            {
                "association-id": lambda a: a["id"],
                "target-network-id": lambda a: a["subnet_id"],
                "vpc-id": lambda a: a["vpc_id"],
            },
        )
        dtos = [_association_dto(ep, a) for a in items]
    return _page(dtos, request, "ClientVpnTargetNetworks")


def _apply_groups(ep):
    be = ep["backend"]
    groups = [be.get_security_group_from_id(g) for g in ep["groups"]]
    for a in ep["associations"].values():
        eni = be.enis.get(a["eni"])
        if eni is not None:
            eni._group_set = [g for g in groups if g is not None]


def apply_security_groups(context, request) -> dict:
    """botocore ApplySecurityGroupsToClientVpnTargetNetwork: "This action replaces the
    existing security groups with the specified security groups"; VpcId "The ID of the VPC in
    which the associated target network is located" (another VPC: InvalidParameterValue, an
    assumption). The endpoint's interfaces get the groups, so DeleteSecurityGroup of a group
    in use is DependencyViolation (ec2.py)."""
    be = ec2_share.backend(context.account_id, context.region)
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        vpc_id = request["VpcId"]
        _vpc(be, vpc_id)
        if ep["vpc_id"] and vpc_id != ep["vpc_id"]:
            raise _bad(f"VPC {vpc_id} is not the VPC of Client VPN endpoint {ep['id']}")
        groups = _security_groups(be, vpc_id, request["SecurityGroupIds"])
        ep["vpc_id"] = vpc_id
        ep["groups"] = groups
        _apply_groups(ep)
    return {"SecurityGroupIds": list(groups)}


# ---- authorization rules ------------------------------------------------------------------


def _rule_dto(ep, r) -> dict:
    # CLI example (describe-client-vpn-authorization-rules): GroupId "" with AccessAll true
    out = {
        "ClientVpnEndpointId": ep["id"],
        "GroupId": r["group"] or "",
        "AccessAll": r["all"],
        "DestinationCidr": r["cidr"],
        "Status": {"Code": r["status"]},
    }
    if r.get("description") is not None:
        out["Description"] = r["description"]
    return out


def authorize(context, request) -> dict:
    """botocore AuthorizeClientVpnIngress: AccessGroupId "Required if AuthorizeAllGroups is
    false or not specified"; AuthorizeAllGroups "Must be set to true if AccessGroupId is not
    specified". AWS's answer without either, recorded in awsdocs/aws-cloudformation-user-
    guide#583: "You must specify either access-group-id or authorize-all-groups (Service:
    AmazonEC2; Status Code: 400; Error Code: MissingParameter)". EC2 error codes:
    InvalidClientVpnDuplicateAuthorizationRule, "The specified authorization has already been
    added to the Client VPN endpoint". `authorizing` then `active` (CLI examples)."""
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        cidr = str(_cidr(request["TargetNetworkCidr"], "TargetNetworkCidr"))
        group = request.get("AccessGroupId")
        all_groups = bool(request.get("AuthorizeAllGroups", False))
        if not group and not all_groups:
            raise AwsError(
                "MissingParameter",
                "You must specify either access-group-id or authorize-all-groups",
            )
        if group and all_groups:
            raise AwsError(
                "InvalidParameterCombination",
                "You cannot specify both access-group-id and authorize-all-groups",
            )
        for r in ep["rules"]:
            if r["cidr"] == cidr and r["all"] == all_groups and (r["group"] or None) == group:
                if r["status"] != "revoking":
                    raise AwsError(
                        "InvalidClientVpnDuplicateAuthorizationRule",
                        "The specified authorization has already been added to the Client VPN "
                        f"endpoint {ep['id']} for {cidr}",
                    )
        rule = {
            "cidr": cidr,
            "group": group,
            "all": all_groups,
            "description": request.get("Description"),
            "status": "authorizing",
        }
        ep["rules"].append(rule)
    timing.after("client-vpn-rule", "create", _move(rule, "authorizing", "active"))
    return {"Status": {"Code": "authorizing"}}


def _move(item, from_state, to_state):
    def fn():
        with LOCK:
            if item["status"] == from_state:
                item["status"] = to_state

    return fn


def revoke(context, request) -> dict:
    """EC2 error codes: InvalidClientVpnEndpointAuthorizationRuleNotFound, "The specified
    authorization rule cannot be found" (the code terraform-provider-aws treats as gone).
    botocore RevokeAllGroups: revokes the rule that authorized all groups for the CIDR, "This
    does not impact other authorization rules that allowed ingress to the same
    TargetNetworkCidr with a specific AccessGroupId". `revoking` (CLI example), then gone."""
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        cidr = str(_cidr(request["TargetNetworkCidr"], "TargetNetworkCidr"))
        group = request.get("AccessGroupId")
        all_groups = bool(request.get("RevokeAllGroups", False))
        if not group and not all_groups:
            raise AwsError(
                "MissingParameter", "You must specify either access-group-id or revoke-all-groups"
            )
        rule = next(
            (
                r
                for r in ep["rules"]
                if r["cidr"] == cidr
                and r["status"] != "revoking"
                and ((all_groups and r["all"]) or (group and r["group"] == group))
            ),
            None,
        )
        if rule is None:
            raise AwsError(
                "InvalidClientVpnEndpointAuthorizationRuleNotFound",
                f"The authorization rule for {cidr} cannot be found on {ep['id']}",
            )
        rule["status"] = "revoking"

    def gone():
        with LOCK:
            if rule in ep["rules"]:
                ep["rules"].remove(rule)

    timing.after("client-vpn-rule", "delete", gone)
    return {"Status": {"Code": "revoking"}}


def describe_rules(context, request) -> dict:
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        rules = _filtered(
            ep["rules"],
            request.get("Filters"),
            {
                "description": lambda r: r.get("description") or "",
                "destination-cidr": lambda r: r["cidr"],
                "group-id": lambda r: r["group"] or "",
            },
        )
        dtos = [_rule_dto(ep, r) for r in rules]
    return _page(dtos, request, "AuthorizationRules")


# ---- routes -------------------------------------------------------------------------------


def _route_dto(ep, r) -> dict:
    out = {
        "ClientVpnEndpointId": ep["id"],
        "DestinationCidr": r["dest"],
        "TargetSubnet": r["subnet"],
        "Type": r["type"],
        "Origin": r["origin"],
        "Status": {"Code": r["status"]},
    }
    if r.get("description") is not None:
        out["Description"] = r["description"]
    return out


def create_route(context, request) -> dict:
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        dest = _cidr(request["DestinationCidrBlock"], "DestinationCidrBlock")
        target = request["TargetVpcSubnetId"]
        if target == "local":
            # botocore TargetVpcSubnetId: "if you're adding a route for the local network,
            # specify local"; DestinationCidrBlock: "To add a route for the local network,
            # enter the client CIDR range". Other destinations with `local`:
            # InvalidParameterValue (assumption).
            if not ep["client_cidr"] or str(dest) != ep["client_cidr"]:
                raise _bad(
                    "A route with target 'local' must have the client CIDR range as destination"
                )
            kind = "local"
        else:
            # botocore TargetVpcSubnetId: "The specified subnet must be an existing target
            # network of the Client VPN endpoint". EC2 error codes:
            # InvalidClientVpnActiveAssociationNotFound, "You cannot perform this action on
            # the Client VPN endpoint while it is in the pending-association state"; the same
            # code for a subnet that is not (yet) associated while others are is an
            # assumption.
            if not any(
                a["subnet_id"] == target and a["status"] == "associated"
                for a in ep["associations"].values()
            ):
                raise AwsError(
                    "InvalidClientVpnActiveAssociationNotFound",
                    f"The subnet {target} is not an associated target network of the Client "
                    f"VPN endpoint {ep['id']}",
                )
            if ep["client_cidr"] and dest.overlaps(ipaddress.IPv4Network(ep["client_cidr"])):
                # Guide, rules: client CIDR ranges cannot overlap "any routes manually added to
                # the Client VPN endpoint's route table" (the code is an assumption)
                raise _bad(
                    f"The route destination {dest} overlaps with the client CIDR range "
                    f"{ep['client_cidr']}"
                )
            kind = "Nat"
        for r in ep["routes"]:
            if r["dest"] == str(dest) and r["subnet"] == target and r["status"] != "deleting":
                # AWS's answer recorded in hashicorp/terraform-provider-aws#18080 (a route to
                # the VPC's CIDR, which the association had added): "InvalidClientVpnDuplicate
                # Route: Route already exists", status 400.
                raise AwsError("InvalidClientVpnDuplicateRoute", "Route already exists")
        route = {
            "dest": str(dest),
            "subnet": target,
            "type": kind,
            "origin": "add-route",
            "status": "creating",
            "description": request.get("Description"),
        }
        ep["routes"].append(route)
    timing.after("client-vpn-route", "create", _move(route, "creating", "active"))
    # CLI example (create-client-vpn-route): Status creating
    return {"Status": {"Code": "creating"}}


def delete_route(context, request) -> dict:
    """botocore DeleteClientVpnRoute: "You can only delete routes that you manually added
    ... You cannot delete routes that were automatically added when associating a subnet"
    (InvalidParameterValue there is an assumption). EC2 error codes:
    InvalidClientVpnRouteNotFound, "The specified route cannot be found". `deleting` (CLI
    example), then gone."""
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        dest = str(_cidr(request["DestinationCidrBlock"], "DestinationCidrBlock"))
        target = request.get("TargetVpcSubnetId")
        found = [
            r
            for r in ep["routes"]
            if r["dest"] == dest and (target is None or r["subnet"] == target)
            and r["status"] != "deleting"
        ]
        if not found:
            raise AwsError(
                "InvalidClientVpnRouteNotFound",
                f"The route {dest}{' via ' + target if target else ''} cannot be found",
            )
        manual = [r for r in found if r["origin"] == "add-route"]
        if not manual:
            raise _bad(
                f"The route {dest} was added by a target network association and cannot be "
                "deleted; disassociate the target network instead"
            )
        for r in manual:
            r["status"] = "deleting"

    def gone():
        with LOCK:
            ep["routes"] = [r for r in ep["routes"] if not any(r is m for m in manual)]

    timing.after("client-vpn-route", "delete", gone)
    return {"Status": {"Code": "deleting"}}


def describe_routes(context, request) -> dict:
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        routes = _filtered(
            ep["routes"],
            request.get("Filters"),
            {
                "destination-cidr": lambda r: r["dest"],
                "origin": lambda r: r["origin"],
                "target-subnet": lambda r: r["subnet"],
            },
        )
        dtos = [_route_dto(ep, r) for r in routes]
    return _page(dtos, request, "Routes")


# ---- certificate revocation list and client configuration ---------------------------------


def import_crl(context, request) -> dict:
    """botocore ImportClientVpnClientCertificateRevocationList: "Uploading a client
    certificate revocation list overwrites the existing client certificate revocation list".
    The text must parse as a PEM X.509 CRL (the guide's "Client certificate revocation lists"
    generates one with easy-rsa gen-crl); what AWS answers for one that does not is not
    recorded (InvalidParameterValue is an assumption). Exported status `pending` at first
    (CLI example of export-client-vpn-client-certificate-revocation-list), then `active`."""
    from cryptography import x509

    text = request["CertificateRevocationList"]
    try:
        x509.load_pem_x509_crl(text.encode())
    except (ValueError, TypeError):
        raise _bad("The certificate revocation list is not a valid PEM X.509 CRL") from None
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        crl = {"text": text, "status": "pending"}
        ep["crl"] = crl
    timing.after("client-vpn-crl", "create", _move(crl, "pending", "active"))
    return {"Return": True}


def export_crl(context, request) -> dict:
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        crl = ep["crl"]
        if crl is None:
            # no list imported: an empty answer (what AWS returns is not recorded)
            return {}
        return {"CertificateRevocationList": crl["text"], "Status": {"Code": crl["status"]}}


def _server_ca(context, arn) -> str:
    """The CA block of the .ovpn file: the chain imported with the server certificate
    (moto's ACM appends Amazon's root CA to every chain; that is left out), else the
    certificate itself (an assumption for a certificate imported without a chain)."""
    from moto.acm.models import AWS_ROOT_CA

    bundle = _acm_certificate(context, arn, "server certificate")
    chain = bundle.chain or b""
    chain = chain.replace(AWS_ROOT_CA, b"").strip()
    pem = chain or bundle.cert
    return pem.decode().strip()


def export_configuration(context, request) -> dict:
    """The CLI example of export-client-vpn-client-configuration (AWS's, shipped with the
    CLI): the OpenVPN directives in that order, `proto` the transport protocol, `remote
    cvpn-endpoint-<id>.prod.clientvpn.<region>.amazonaws.com <port>` with
    `remote-random-hostname` (the client prefixes a random label itself), the CA chain in
    <ca>, `reneg-sec 0`. The port follows VpnPort (an assumption: the example has 443)."""
    with LOCK:
        ep = _endpoint(context, request["ClientVpnEndpointId"])
        server_cert, transport, port, eid = ep["server_cert"], ep["transport"], ep["port"], ep["id"]
    ca = _server_ca(context, server_cert)
    lines = [
        "client",
        "dev tun",
        f"proto {transport}",
        f"remote {eid}.prod.clientvpn.{context.region}.amazonaws.com {port}",
        "remote-random-hostname",
        "resolv-retry infinite",
        "nobind",
        "persist-key",
        "persist-tun",
        "remote-cert-tls server",
        "cipher AES-256-GCM",
        "verb 3",
        "<ca>",
        ca,
        "</ca>",
        "",
        "reneg-sec 0",
        "",
    ]
    return {"ClientConfiguration": "\n".join(lines)}


# ---- tags ---------------------------------------------------------------------------------


def split_tag_resources(context, resources):
    """CreateTags/DeleteTags naming Client VPN endpoints: moto refuses their ids (not an EC2
    prefix it knows); they are ours."""
    ours = [r for r in resources or [] if r.startswith("cvpn-endpoint-")]
    return ours, [r for r in resources or [] if not r.startswith("cvpn-endpoint-")]


def create_tags(context, resources, tags: dict):
    with LOCK:
        eps = [_endpoint(context, r) for r in resources]
        for ep in eps:
            # EC2 user guide, tag restrictions: "Maximum number of tags per resource – 50"
            # (TagLimitExceeded, as moto answers for its resources)
            new = {k for k in tags if k not in ep["tags"] and not k.startswith("aws:")}
            if len([k for k in ep["tags"] if not k.startswith("aws:")]) + len(new) > 50:
                raise AwsError(
                    "TagLimitExceeded",
                    "The maximum number of Tags for a resource has been reached.",
                )
        for ep in eps:
            ep["tags"].update(tags)


def delete_tags(context, resources, tags: list):
    with LOCK:
        eps = [_endpoint(context, r) for r in resources]
        for ep in eps:
            for t in tags or []:
                key = t["Key"]
                if key in ep["tags"] and (t.get("Value") is None or ep["tags"][key] == t["Value"]):
                    del ep["tags"][key]
