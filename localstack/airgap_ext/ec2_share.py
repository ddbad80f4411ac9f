"""Making RAM-shared EC2 resources (transit gateways, subnets) visible in principal accounts.

moto keeps one EC2 backend per account and region. When a share is accepted, the owner's
TransitGateway / Subnet (and its VPC) objects are also inserted into the principal's backend,
so Describe* calls in the principal account list them with the owner's OwnerId, exactly like
AWS. Attachments across accounts are handled in ec2.py.
"""

from moto.ec2.models import ec2_backends

from .common import LOCK, parse_arn

# (principal account, region) -> {resource id: owner account}
SHARED: dict[tuple[str, str], dict[str, str]] = {}


def backend(account: str, region: str):
    return ec2_backends[account][region]


def _find_subnet(be, subnet_id):
    for az, subnets in be.subnets.items():
        if subnet_id in subnets:
            return az, subnets[subnet_id]
    return None, None


def _split(arn: str):
    p = parse_arn(arn)
    kind, _, rid = p["resource"].partition("/")
    return kind, rid


def resource_exists(account: str, region: str, arn: str) -> bool:
    kind, rid = _split(arn)
    be = backend(account, region)
    if kind == "transit-gateway":
        tgw = be.transit_gateways.get(rid)
        return bool(tgw and tgw.ec2_backend.account_id == account)
    if kind == "subnet":
        _, subnet = _find_subnet(be, rid)
        return bool(subnet and subnet.ec2_backend.account_id == account)
    return True


def on_share(owner: str, region: str, arn: str, principal: str):
    kind, rid = _split(arn)
    src, dst = backend(owner, region), backend(principal, region)
    with LOCK:
        if kind == "transit-gateway" and rid in src.transit_gateways:
            dst.transit_gateways[rid] = src.transit_gateways[rid]
        elif kind == "subnet":
            az, subnet = _find_subnet(src, rid)
            if subnet is None:
                return
            dst.subnets.setdefault(az, {})[rid] = subnet
            if subnet.vpc_id in src.vpcs and subnet.vpc_id not in dst.vpcs:
                dst.vpcs[subnet.vpc_id] = src.vpcs[subnet.vpc_id]
        else:
            return
        SHARED.setdefault((principal, region), {})[rid] = owner


def on_unshare(owner: str, region: str, arn: str, principal: str):
    kind, rid = _split(arn)
    dst = backend(principal, region)
    with LOCK:
        SHARED.get((principal, region), {}).pop(rid, None)
        if kind == "transit-gateway":
            tgw = dst.transit_gateways.get(rid)
            if tgw is not None and tgw.ec2_backend.account_id == owner:
                dst.transit_gateways.pop(rid, None)
        elif kind == "subnet":
            az, subnet = _find_subnet(dst, rid)
            if subnet is not None and subnet.ec2_backend.account_id == owner:
                dst.subnets[az].pop(rid, None)
                # drop the VPC too unless another shared subnet of it remains
                vpc_id = subnet.vpc_id
                still = any(
                    s.vpc_id == vpc_id and s.ec2_backend.account_id == owner
                    for subs in dst.subnets.values()
                    for s in subs.values()
                )
                vpc = dst.vpcs.get(vpc_id)
                if not still and vpc is not None and vpc.ec2_backend.account_id == owner:
                    dst.vpcs.pop(vpc_id, None)


def forget_everywhere(region: str, rid: str, kind: str):
    """The owner deleted the resource: remove it from every principal backend."""
    with LOCK:
        for (principal, reg), ids in SHARED.items():
            if reg != region or rid not in ids:
                continue
            ids.pop(rid, None)
            be = backend(principal, region)
            if kind == "transit-gateway":
                be.transit_gateways.pop(rid, None)
            elif kind == "subnet":
                az, subnet = _find_subnet(be, rid)
                if subnet is None:
                    continue
                be.subnets[az].pop(rid, None)
                # the VPC goes too unless another shared subnet of it remains
                owner = subnet.ec2_backend.account_id
                still = any(
                    s.vpc_id == subnet.vpc_id and s.ec2_backend.account_id == owner
                    for subs in be.subnets.values()
                    for s in subs.values()
                )
                vpc = be.vpcs.get(subnet.vpc_id)
                if not still and vpc is not None and vpc.ec2_backend.account_id == owner:
                    be.vpcs.pop(subnet.vpc_id, None)
