"""Route 53 Resolver endpoints with AWS's rules: provider ``route53resolver:airgap``
(LocalStack's Route 53 Resolver provider underneath, moto's endpoints and tags).

Select it with PROVIDER_OVERRIDE_ROUTE53RESOLVER=airgap (localstack/start does). What moto
(moto-ext 5.1.54) and LocalStack 4.13.1 did, and what this module changes:

* moto's endpoint was ``OPERATIONAL`` from the create on (LocalStack's provider only wrote
  ``CREATING`` into the create's answer), a deleted one vanished at once, an IP address
  association changed nothing but the count. Here the states follow the time model.
* moto checked neither that the subnets are of one VPC, nor that the security groups are
  that VPC's, nor that a given IP address is free, nor the quota of IP addresses per
  endpoint; its endpoint quota let a fifth endpoint through; an auto-assigned address
  could be one an interface already holds; ``ResolverEndpointType`` and ``Protocols`` were
  dropped; a disassociation by ``IpId`` alone failed with a KeyError (500).

Sources (quoted at each use): botocore ``route53resolver`` 2018-04-01 (``service-2.json``
as pinned with LocalStack: shapes, enums, members' documentation); the AWS CLI's examples
(``awscli/examples/route53resolver/*.rst`` in the venv: states and messages); the Route 53
developer guide, "Quotas" (Quotas on Route 53 Resolver) and "Values that you specify when
you create or edit inbound endpoints" (awsdocs/amazon-route53-docs); AWS answers recorded
in public issues. docs/emulator-fidelity.md ("Route 53 Resolver: endpoints") lists the same
with the tests.
"""

import datetime
import ipaddress
import secrets

from localstack.aws.api import RequestContext, handler
from localstack.services.moto import call_moto, call_moto_with_request
from localstack.services.route53resolver.provider import Route53ResolverProvider
from moto.route53resolver.models import route53resolver_backends

from . import ec2_share, timing
from .common import LOCK, AwsError

# Quotas on Route 53 Resolver (developer guide, "Quotas"): "Endpoints per AWS Region: 4 per
# AWS account" and "IP addresses per endpoint: 6". Both are quotas (the first adjustable):
# an account with a raised quota would see more.
MAX_ENDPOINTS = 4
MAX_IPS = 6
# botocore IpAddressesRequest: "Even though the minimum is 1, Route 53 requires that you
# create at least two"; ResolverEndpoint.Status (ACTION_NEEDED): "An endpoint must always
# include at least two IP addresses".
MIN_IPS = 2

# botocore CreateResolverEndpointRequest.Protocols: for a default inbound endpoint "Do53
# and DoH in combination", "Do53 and DoH-FIPS in combination", "Do53 alone", "DoH alone",
# "DoH-FIPS alone", "None, which is treated as Do53"; a delegation inbound endpoint "Do53
# only"; an outbound endpoint Do53 and DoH, Do53 alone, DoH alone.
PROTOCOLS = {
    "INBOUND": [{"Do53", "DoH"}, {"Do53", "DoH-FIPS"}, {"Do53"}, {"DoH"}, {"DoH-FIPS"}],
    "INBOUND_DELEGATION": [{"Do53"}],
    "OUTBOUND": [{"Do53", "DoH"}, {"Do53"}, {"DoH"}],
}

# Messages of the AWS CLI's examples (create-, get-, delete-, associate-,
# list-resolver-endpoint-ip-addresses.rst).
OPERATIONAL = "This Resolver Endpoint is operational."
IP_ATTACHED = "This IP address is operational."


def _trace() -> str:
    return f"[Trace id: 1-{secrets.token_hex(4)}-{secrets.token_hex(12)}]"


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _backend(context):
    return route53resolver_backends[context.account_id][context.region]


def _endpoint(context, endpoint_id):
    """moto's answer for an unknown id, kept: ResourceNotFoundException ("The specified
    resource doesn't exist", botocore), HTTP 400 (the JSON protocol's status; the model
    gives the shape no other)."""
    ep = _backend(context).resolver_endpoints.get(endpoint_id)
    if ep is None:
        raise AwsError(
            "ResourceNotFoundException",
            f"Resolver endpoint with ID '{endpoint_id}' does not exist",
        )
    return ep


def _describe(ep) -> dict:
    out = ep.description()
    # botocore ResolverEndpoint.ResolverEndpointType / Protocols (moto drops both): the
    # type given at create, IPV4 by default; Protocols "None, which is treated as Do53".
    out["ResolverEndpointType"] = getattr(ep, "_airgap_type", "IPV4")
    out["Protocols"] = list(getattr(ep, "_airgap_protocols", ["Do53"]))
    return out


def _set(ep, status: str, message: str):
    ep.status = status
    ep.status_message = message
    ep.modification_time = _now()


def _ip_status(ep) -> dict:
    """IpId (moto's ``rni-...``) -> (Status, StatusMessage); unlisted ones are ATTACHED."""
    if not hasattr(ep, "_airgap_ips"):
        ep._airgap_ips = {}
    return ep._airgap_ips


# ---- subnets, groups and addresses -----------------------------------------------------
def _subnet(ec2, subnet_id):
    _, subnet = ec2_share._find_subnet(ec2, subnet_id)
    if subnet is None:
        # moto's answer for an unknown subnet, kept (InvalidParameterException, one of the
        # operation's errors in botocore; AWS's message for the case is not recorded)
        raise AwsError("InvalidParameterException", f"The subnet ID '{subnet_id}' does not exist")
    return subnet


def _in_use(ec2, subnet) -> set:
    """Addresses of the subnet that an interface or an instance holds."""
    used = set(getattr(subnet, "_subnet_ips", {}) or {})
    for eni in list(ec2.enis.values()):
        if getattr(eni.subnet, "id", None) != subnet.id:
            continue
        used.add(eni.private_ip_address)
        for item in eni.private_ip_addresses or []:
            if isinstance(item, dict):
                used.add(item.get("PrivateIpAddress"))
    return used


def _reserved(subnet) -> set:
    """Amazon VPC user guide, "Subnet CIDR blocks": "The first four IP addresses and the
    last IP address in each subnet CIDR block are not available for your use"."""
    net = ipaddress.ip_network(subnet.cidr_block)
    return {str(net.network_address + i) for i in range(4)} | {str(net.broadcast_address)}


def _address(ec2, subnet, ip, taken: set) -> str:
    """The address an IP address request gets: the one given, which must be in the subnet,
    not reserved and free, or a free one of the subnet.

    "Choose whether you want Resolver to choose an IP address for you from among the
    available IP addresses in the specified subnet, or you want to specify the IP address
    yourself"; "The subnet must have an available IP address" (developer guide, "Values
    that you specify when you create or edit inbound endpoints"). An address outside the
    subnet or reserved: moto's InvalidRequestException, kept. An address held by another
    interface: ResourceExistsException (botocore: "The resource that you tried to create
    already exists"; moto answers it for the same address twice in one request; AWS's
    answer for an address another interface holds is not recorded: an assumption)."""
    used = _in_use(ec2, subnet) | taken
    reserved = _reserved(subnet)
    net = ipaddress.ip_network(subnet.cidr_block)
    if ip:
        try:
            inside = ipaddress.ip_address(ip) in net
        except ValueError:
            inside = False
        if not inside or ip in reserved:
            raise AwsError(
                "InvalidRequestException",
                f"IP address '{ip}' is either not in subnet '{subnet.id}' CIDR range or is "
                "reserved",
            )
        if ip in used:
            raise AwsError(
                "ResourceExistsException",
                f"The IP address '{ip}' in subnet '{subnet.id}' is already in use",
            )
        return ip
    for host in net.hosts():
        candidate = str(host)
        if candidate not in used and candidate not in reserved:
            return candidate
    # the guide: "The subnet must have an available IP address" (the code is an assumption)
    raise AwsError(
        "InvalidRequestException", f"The subnet '{subnet.id}' has no available IP address"
    )


def _subnet_of(ec2, vpc_id, ip):
    """The subnet of the VPC whose CIDR holds the address, if any."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    for subnets in ec2.subnets.values():
        for s in subnets.values():
            if s.vpc_id == vpc_id and addr in ipaddress.ip_network(s.cidr_block):
                return s.id
    return None


def _groups(ec2, group_ids, vpc_id):
    """botocore SecurityGroupIds (required): "The ID of one or more security groups that
    you want to use to control access to this VPC". An unknown group: moto's
    ResourceNotFoundException, kept. None at all, or a group of another VPC than the
    endpoint's: InvalidParameterException (one of the operation's errors; that AWS answers
    these cases with it is an assumption; EC2 refuses an interface whose group and subnet
    are of different VPCs)."""
    if not group_ids:
        raise AwsError(
            "InvalidParameterException", "Specify one or more security groups (SecurityGroupIds)"
        )
    for gid in group_ids:
        group = ec2.get_security_group_from_id(gid)
        if group is None:
            raise AwsError(
                "ResourceNotFoundException", f"The security group '{gid}' does not exist"
            )
        if group.vpc_id != vpc_id:
            raise AwsError(
                "InvalidParameterException",
                f"The security group '{gid}' is not in the VPC '{vpc_id}' of the endpoint's "
                "subnets",
            )


def _protocols(direction: str, protocols, before=None):
    """The combinations botocore lists for Protocols (see PROTOCOLS) and, on an update:
    "You can't change the protocol of an inbound endpoint directly from only Do53 to only
    DoH, or DoH-FIPS" (botocore UpdateResolverEndpointRequest.Protocols). The code of the
    refusal is an assumption (InvalidParameterException, one of the operation's errors)."""
    if protocols is None:
        return
    allowed = PROTOCOLS.get(direction, PROTOCOLS["OUTBOUND"])
    if set(protocols) not in allowed or len(set(protocols)) != len(protocols):
        raise AwsError(
            "InvalidParameterException",
            f"The protocols {protocols} are not a combination a {direction} endpoint supports",
        )
    if (
        before is not None
        and direction == "INBOUND"
        and set(before) == {"Do53"}
        and "Do53" not in protocols
    ):
        raise AwsError(
            "InvalidParameterException",
            "You can't change the protocol of an inbound endpoint directly from only Do53 to "
            "only DoH or DoH-FIPS: enable both first",
        )


class AirgapRoute53ResolverProvider(Route53ResolverProvider):
    # ---- create --------------------------------------------------------------------------
    @handler("CreateResolverEndpoint", expand=False)
    def create_resolver_endpoint(self, context: RequestContext, request):
        be = _backend(context)
        ec2 = ec2_share.backend(context.account_id, context.region)
        with LOCK:
            # CreatorRequestId: "A unique string that identifies the request and that allows
            # failed requests to be retried without the risk of running the operation twice"
            # (botocore). The only AWS answer on record for a reused one is a refusal:
            # "Resolver Endpoint with creator request id <id> already exists"
            # (aws/aws-cdk#5012, CloudFormation's create retried with its request id);
            # botocore's error for it is ResourceExistsException ("The resource that you
            # tried to create already exists"). So a repeat, with the same parameters or
            # not, is refused and makes nothing; the caller finds its endpoint with the
            # CreatorRequestId filter of ListResolverEndpoints. (moto refused it too, after
            # its other checks; here it comes first.)
            token = request["CreatorRequestId"]
            for ep in be.resolver_endpoints.values():
                if ep.creator_request_id == token:
                    raise AwsError(
                        "ResourceExistsException",
                        f"Resolver endpoint with creator request id {token} already exists",
                    )
            # Quotas: "Endpoints per AWS Region: 4 per AWS account"; LimitExceededException
            # is AWS's answer past it ("Account '...' has exceeded 'max-endpoints'", as
            # recorded in localstack/localstack#7472 and terraform-provider-aws#16391).
            # moto counted with `>` and let a fifth through.
            if len(be.resolver_endpoints) >= MAX_ENDPOINTS:
                raise AwsError(
                    "LimitExceededException",
                    f"Account '{context.account_id}' has exceeded 'max-endpoints'",
                )
            entries = request.get("IpAddresses") or []
            # "IP addresses per endpoint: 6" (Quotas); AWS answers more with
            # LimitExceededException (terraform-provider-aws#40480: 9 subnets,
            # CloudTrail's LimitExceededException; #42029 and pulumi-aws#5219: "6-10
            # IPs"). At least two: botocore's minimum of 2 (the model check answers first);
            # AWS's own refusal, from before the model said so: "InvalidRequestException:
            # [RSLVR-00400] Resolver endpoint need to have at least 2 IP addresses."
            # (terraform-provider-aws#6563, 400).
            if len(entries) > MAX_IPS:
                raise AwsError(
                    "LimitExceededException",
                    f"An endpoint can have at most {MAX_IPS} IP addresses; {len(entries)} "
                    "were given",
                )
            if len(entries) < MIN_IPS:
                raise AwsError(
                    "InvalidRequestException",
                    "[RSLVR-00400] Resolver endpoint need to have at least 2 IP addresses.",
                )
            # "Each IP address must be in an Availability Zone in the VPC that you
            # specified" (developer guide, inbound endpoint values; the API derives the VPC
            # from the subnets: "The subnet ID uniquely identifies a VPC"). Subnets of two
            # VPCs: InvalidParameterException (the code is an assumption). Two addresses in
            # one Availability Zone are accepted: the guide only recommends two zones ("We
            # recommend that you specify IP addresses in at least two Availability Zones").
            subnets = [_subnet(ec2, e["SubnetId"]) for e in entries]
            vpc_id = subnets[0].vpc_id
            for s in subnets:
                if s.vpc_id != vpc_id:
                    raise AwsError(
                        "InvalidParameterException",
                        f"The subnets of an endpoint must be in one VPC: '{s.id}' is in "
                        f"'{s.vpc_id}', '{subnets[0].id}' in '{vpc_id}'",
                    )
            _groups(ec2, request.get("SecurityGroupIds"), vpc_id)
            direction = request["Direction"]
            _protocols(direction, request.get("Protocols"))
            taken: set = set()
            resolved = []
            for e, s in zip(entries, subnets):
                ip = _address(ec2, s, e.get("Ip"), taken)
                taken.add(ip)
                resolved.append({**e, "Ip": ip})
            result = call_moto_with_request(context, {**request, "IpAddresses": resolved})
            ep = be.resolver_endpoints[result["ResolverEndpoint"]["Id"]]
            ep._airgap_type = request.get("ResolverEndpointType") or "IPV4"
            ep._airgap_protocols = list(request.get("Protocols") or ["Do53"])
            # The CLI example of create-resolver-endpoint: "Status": "CREATING",
            # "StatusMessage": "[Trace id: ...] Creating the Resolver Endpoint"; botocore
            # ResolverEndpoint.Status: "CREATING: Resolver is creating and configuring one
            # or more Amazon VPC network interfaces for this endpoint". moto's interfaces
            # (one per address, with the endpoint's groups: "For each combination of
            # Availability Zone, Subnet, and IP address that you specify, Resolver creates
            # an Amazon VPC elastic network interface", developer guide) exist from here on
            # and hold their subnets and groups (ec2.py: DependencyViolation).
            _set(ep, "CREATING", f"{_trace()} Creating the Resolver Endpoint")
            ips = _ip_status(ep)
            for subnet_ips in ep.subnets.values():
                for rni in subnet_ips.values():
                    ips[rni] = ("CREATING", "Creating the IP address")

        def operational():
            with LOCK:
                if ep.status == "CREATING":
                    _set(ep, "OPERATIONAL", OPERATIONAL)
                    for rni in list(ips):
                        if ips[rni][0] == "CREATING":
                            ips.pop(rni)

        timing.after("resolver-endpoint", "create", operational)
        with LOCK:
            return {"ResolverEndpoint": _describe(ep)}

    # ---- read ----------------------------------------------------------------------------
    @handler("GetResolverEndpoint", expand=False)
    def get_resolver_endpoint(self, context: RequestContext, request):
        with LOCK:
            ep = _endpoint(context, request["ResolverEndpointId"])
            return {"ResolverEndpoint": _describe(ep)}

    @handler("ListResolverEndpoints", expand=False)
    def list_resolver_endpoints(self, context: RequestContext, request):
        # moto's filters (CreatorRequestId, Direction, HostVPCId, IpAddressCount, Name,
        # SecurityGroupIds, Status, in both spellings botocore's Filter.Name describes) and
        # pages are kept; the items get the members moto drops. No tags: botocore's
        # ResolverEndpoint has none (ListTagsForResource reads them).
        result = call_moto(context)
        be = _backend(context)
        with LOCK:
            result["ResolverEndpoints"] = [
                _describe(be.resolver_endpoints[e["Id"]])
                if e.get("Id") in be.resolver_endpoints
                else e
                for e in result.get("ResolverEndpoints", [])
            ]
        return result

    @handler("ListResolverEndpointIpAddresses", expand=False)
    def list_resolver_endpoint_ip_addresses(self, context: RequestContext, request):
        # moto lists every address ATTACHED; an address being created or removed shows its
        # state here (botocore IpAddressResponse.Status: CREATING, ATTACHED, DETACHING, ...;
        # "This IP address is operational." as in the CLI example).
        with LOCK:
            ep = _endpoint(context, request["ResolverEndpointId"])
        result = call_moto(context)
        with LOCK:
            ips = _ip_status(ep)
            for item in result.get("IpAddresses", []):
                status, message = ips.get(item.get("IpId"), ("ATTACHED", IP_ATTACHED))
                item["Status"] = status
                item["StatusMessage"] = message
        return result

    # ---- update --------------------------------------------------------------------------
    @handler("UpdateResolverEndpoint", expand=False)
    def update_resolver_endpoint(self, context: RequestContext, request):
        """The name (and Protocols, validated as above). The CLI example of
        update-resolver-endpoint answers a renamed endpoint "OPERATIONAL": a new name is not
        an UPDATING of the network interfaces (botocore: "UPDATING: Resolver is associating
        or disassociating one or more network interfaces")."""
        with LOCK:
            ep = _endpoint(context, request["ResolverEndpointId"])
            if request.get("Name") is not None:
                ep.update_name(request["Name"])
            if request.get("Protocols") is not None:
                _protocols(ep.direction, request["Protocols"], ep._airgap_protocols)
                ep._airgap_protocols = list(request["Protocols"])
                ep.modification_time = _now()
            if request.get("ResolverEndpointType") is not None:
                ep._airgap_type = request["ResolverEndpointType"]
            return {"ResolverEndpoint": _describe(ep)}

    @handler("AssociateResolverEndpointIpAddress", expand=False)
    def associate_resolver_endpoint_ip_address(self, context: RequestContext, request):
        """botocore: "Adds IP addresses to an inbound or an outbound Resolver endpoint";
        IpAddress: "Either the IPv4 address that you want to add to a Resolver endpoint or
        a subnet ID. If you specify a subnet ID, Resolver chooses an IP address for you".
        The CLI example answers "Status": "UPDATING", "StatusMessage": "Updating the
        Resolver Endpoint" with the count already raised; the endpoint is OPERATIONAL again
        after the time model's update duration. The quota of 6 applies (LimitExceeded-
        Exception, one of the operation's errors; as on create); the subnet must be in the
        endpoint's VPC (InvalidParameterException, an assumption)."""
        ec2 = ec2_share.backend(context.account_id, context.region)
        with LOCK:
            ep = _endpoint(context, request["ResolverEndpointId"])
            update = dict(request["IpAddress"])
            if len(ep.ip_addresses) >= MAX_IPS:
                raise AwsError(
                    "LimitExceededException",
                    f"The endpoint {ep.id} has {len(ep.ip_addresses)} IP addresses, the most "
                    "an endpoint can have",
                )
            subnet_id = update.get("SubnetId")
            if not subnet_id and update.get("Ip"):
                subnet_id = _subnet_of(ec2, ep.host_vpc_id, update["Ip"])
            if not subnet_id:
                raise AwsError(
                    "InvalidRequestException",
                    "Specify a subnet ID, or an IP address of a subnet of the endpoint's VPC",
                )
            subnet = _subnet(ec2, subnet_id)
            if subnet.vpc_id != ep.host_vpc_id:
                raise AwsError(
                    "InvalidParameterException",
                    f"The subnet '{subnet.id}' is not in the endpoint's VPC '{ep.host_vpc_id}'",
                )
            update["SubnetId"] = subnet.id
            update["Ip"] = _address(ec2, subnet, update.get("Ip"), set())
            before = {rni for ips in ep.subnets.values() for rni in ips.values()}
            call_moto_with_request(context, {**request, "IpAddress": update})
            ips = _ip_status(ep)
            added = [rni for s in ep.subnets.values() for rni in s.values() if rni not in before]
            for rni in added:
                ips[rni] = ("CREATING", "Creating the IP address")
            _set(ep, "UPDATING", "Updating the Resolver Endpoint")

        def attached():
            with LOCK:
                for rni in added:
                    ips.pop(rni, None)
                if ep.status == "UPDATING" and not any(
                    s in ("CREATING", "DETACHING") for s, _ in ips.values()
                ):
                    _set(ep, "OPERATIONAL", OPERATIONAL)

        timing.after("resolver-endpoint", "update", attached)
        with LOCK:
            return {"ResolverEndpoint": _describe(ep)}

    @handler("DisassociateResolverEndpointIpAddress", expand=False)
    def disassociate_resolver_endpoint_ip_address(self, context: RequestContext, request):
        """botocore IpAddressUpdate.IpId: "Only when removing an IP address from a Resolver
        endpoint: The ID of the IP address that you want to remove" (moto needed the subnet
        too and failed with a KeyError otherwise). The CLI example: "An endpoint must have at
        least two IP addresses. If an endpoint currently has only two IP addresses and you
        want to replace one address with another address, you must first use
        associate-resolver-endpoint-ip-address"; the refusal below two is
        InvalidRequestException (one of the operation's errors; the ACK controller records
        AWS's refusal as RSLVR-00506; the message is ours). An address that is not the
        endpoint's: ResourceNotFoundException (an assumption). The address is DETACHING and
        the endpoint UPDATING until the time model's update duration has passed; then its
        interface is gone."""
        be = _backend(context)
        with LOCK:
            ep = _endpoint(context, request["ResolverEndpointId"])
            want = request["IpAddress"]
            ips = _ip_status(ep)
            found = None
            for subnet_id, by_ip in ep.subnets.items():
                for ip, rni in by_ip.items():
                    if (want.get("IpId") and want["IpId"] == rni) or (
                        not want.get("IpId")
                        and want.get("Ip") == ip
                        and want.get("SubnetId") in (None, subnet_id)
                    ):
                        found = (subnet_id, ip, rni)
            if found is None:
                raise AwsError(
                    "ResourceNotFoundException",
                    f"The IP address {want.get('IpId') or want.get('Ip')} is not one of the "
                    f"endpoint {ep.id}",
                )
            subnet_id, ip, rni = found
            if ips.get(rni, ("",))[0] == "DETACHING":
                return {"ResolverEndpoint": _describe(ep)}
            staying = [
                r
                for by_ip in ep.subnets.values()
                for r in by_ip.values()
                if ips.get(r, ("ATTACHED",))[0] != "DETACHING" and r != rni
            ]
            if len(staying) < MIN_IPS:
                raise AwsError(
                    "InvalidRequestException",
                    "An endpoint must always include at least two IP addresses: associate "
                    "another address before you remove this one",
                )
            ips[rni] = ("DETACHING", "Detaching the IP address")
            _set(ep, "UPDATING", "Updating the Resolver Endpoint")

        def detached():
            with LOCK:
                ips.pop(rni, None)
                if ep.id in be.resolver_endpoints and ip in ep.subnets.get(subnet_id, {}):
                    for eni_id in list(ep.eni_ids):
                        eni = ep.ec2_backend.enis.get(eni_id)
                        if eni is None or eni.private_ip_address == ip:
                            ep.ec2_backend.enis.pop(eni_id, None)
                            ep.eni_ids.remove(eni_id)
                    ep.ip_addresses = [a for a in ep.ip_addresses if a.get("Ip") != ip]
                    ep.subnets[subnet_id].pop(ip, None)
                    if not ep.subnets[subnet_id]:
                        ep.subnets.pop(subnet_id)
                    ep.ip_address_count = len(ep.ip_addresses)
                if ep.status == "UPDATING" and not any(
                    s in ("CREATING", "DETACHING") for s, _ in ips.values()
                ):
                    _set(ep, "OPERATIONAL", OPERATIONAL)

        timing.after("resolver-endpoint", "update", detached)
        with LOCK:
            return {"ResolverEndpoint": _describe(ep)}

    # ---- delete --------------------------------------------------------------------------
    @handler("DeleteResolverEndpoint", expand=False)
    def delete_resolver_endpoint(self, context: RequestContext, request):
        """The CLI example of delete-resolver-endpoint answers "Status": "DELETING",
        "StatusMessage": "[Trace id: ...] Deleting ResolverEndpoint."; botocore: "DELETING:
        Resolver is deleting this endpoint and the associated network interfaces". The
        endpoint stays (GetResolverEndpoint answers DELETING) and its interfaces hold their
        subnets and groups until the time model's delete duration has passed; then
        GetResolverEndpoint answers ResourceNotFoundException (what terraform-provider-aws's
        waitEndpointDeleted waits for: DELETING, then not found). A second delete while
        DELETING answers the same (an assumption). No refusal of a CREATING endpoint: none
        is documented or recorded. An outbound endpoint with resolver rules:
        InvalidRequestException "[RSLVR-00600] Cannot delete resolver endpoint unless its
        related resolver rules are deleted. ..." (AWS's answer recorded in
        rebuy-de/aws-nuke#586)."""
        be = _backend(context)
        with LOCK:
            ep = _endpoint(context, request["ResolverEndpointId"])
            if ep.status == "DELETING":
                return {"ResolverEndpoint": _describe(ep)}
            rules = [r.id for r in be.resolver_rules.values() if r.resolver_endpoint_id == ep.id]
            if rules:
                raise AwsError(
                    "InvalidRequestException",
                    "[RSLVR-00600] Cannot delete resolver endpoint unless its related resolver "
                    "rules are deleted. The following rules still exist for this resolver "
                    "endpoint: " + ",".join(f'"{r}"' for r in rules),
                )
            _set(ep, "DELETING", f"{_trace()} Deleting ResolverEndpoint.")
            out = _describe(ep)

        def gone():
            with LOCK:
                if be.resolver_endpoints.get(ep.id) is ep:
                    del be.resolver_endpoints[ep.id]
                for eni_id in list(ep.eni_ids):
                    ep.ec2_backend.enis.pop(eni_id, None)
                ep.eni_ids = []
                be.tagger.delete_all_tags_for_resource(ep.arn)

        timing.after("resolver-endpoint", "delete", gone)
        return {"ResolverEndpoint": out}
