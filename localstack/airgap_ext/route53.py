"""Route 53 private hosted zones across accounts: moto keeps zones per account and knows no
VPC association authorizations, so a VPC of one account could never be associated with a
zone of another, and ListHostedZonesByVPC saw only the caller's own zones. This provider
(``route53:airgap``, LocalStack's Route 53 provider underneath) adds AWS's cross-account
rules from the API reference and botocore's route53 model (2013-04-01):

* CreateVPCAssociationAuthorization / DeleteVPCAssociationAuthorization /
  ListVPCAssociationAuthorizations: "you must use the account that created the hosted zone";
  a missing authorization on delete is ``404 VPCAssociationAuthorizationNotFound`` ("The VPC
  that you specified is not authorized to be associated with the hosted zone.").
* AssociateVPCWithHostedZone by the VPC's account: a zone of another account needs that
  account's authorization first, else ``401 NotAuthorizedException`` ("Associating the
  specified VPC with the specified hosted zone has not been authorized."); the VPC must
  exist in the caller's account (``400 InvalidVPCId``); a VPC already associated with a zone
  of the same name is ``400 ConflictingDomainExists`` ("The VPC that you specified is
  already associated with another hosted zone that has the same name."). Whether AWS answers
  a second association with the same zone that way too is not documented; it is answered
  so here (the code under test looks first and never sends one).
* CreateHostedZone of a private zone whose name is already on the VPC: ``400
  ConflictingDomainExists`` "A conflicting domain is already associated with the given VPC
  or Delegation Set." (AWS's answer recorded in ansible/ansible-modules-extras#915).
* DisassociateVPCFromHostedZone by either account ("using either the account that created
  the hosted zone or the account that created the Amazon VPC"); not associated: ``404
  VPCAssociationNotFound``; the last VPC: ``400 LastVPCAssociation``.
* ListHostedZonesByVPC lists the zones a VPC is associated with "regardless of which Amazon
  Web Services account ... owns the hosted zones", each with ``Owner.OwningAccount``.

Not emulated: Route 53 Profiles, service-owned zones (``OwningService``), the pending period
of a change (every change is INSYNC at once, as LocalStack answers GetChange).
See docs/emulator-fidelity.md, Route 53.
"""

from localstack.aws.api import RequestContext, handler
from localstack.services.moto import call_moto
from localstack.services.route53.provider import Route53Provider
from moto.route53.models import route53_backends

from .common import LOCK, AwsError, now

# (zone id, vpc id, vpc region) -> the owner account that authorized it
AUTHORIZATIONS: dict = {}


def _bare(zone_id: str) -> str:
    return (zone_id or "").replace("/hostedzone/", "")


def _zones():
    """(owner account, zone) for every zone of every account."""
    for account in list(route53_backends.keys()):
        backend = route53_backends[account]["aws"]
        for z in list(backend.zones.values()):
            yield account, z


def _find(zone_id: str):
    zone_id = _bare(zone_id)
    for account, z in _zones():
        if z.id == zone_id:
            return account, z
    raise AwsError("NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}", 404)


def _owned(context, zone_id: str):
    """The zone, for its owner only: authorizations are the zone owner's ("you must use the
    account that created the hosted zone"); another account does not see the zone."""
    owner, z = _find(zone_id)
    if owner != context.account_id:
        raise AwsError("NoSuchHostedZone", f"No hosted zone found with ID: {z.id}", 404)
    return owner, z


def _norm(name: str) -> str:
    return (name or "").rstrip(".").lower()


def _associated(z, vpc_id: str) -> bool:
    return any(v.get("vpc_id") == vpc_id for v in z.vpcs)


def _vpc_exists(account: str, region: str, vpc_id: str) -> bool:
    from moto.ec2.models import ec2_backends

    try:
        return vpc_id in ec2_backends[account][region].vpcs
    except KeyError:
        return False


def _change():
    return {"Id": "/change/C" + now().strftime("%Y%m%d%H%M%S%f"), "Status": "INSYNC", "SubmittedAt": now()}


def _conflict(vpc_id: str, name: str) -> bool:
    return any(_norm(z.name) == _norm(name) and _associated(z, vpc_id) for _, z in _zones())


class AirgapRoute53Provider(Route53Provider):
    @handler("CreateHostedZone", expand=False)
    def create_hosted_zone(self, context: RequestContext, request):
        vpc = request.get("VPC") or {}
        if vpc.get("VPCId") and _conflict(vpc["VPCId"], request.get("Name", "")):
            raise AwsError(
                "ConflictingDomainExists",
                "A conflicting domain is already associated with the given VPC or Delegation Set.",
            )
        return super().create_hosted_zone(
            context,
            name=request.get("Name"),
            caller_reference=request.get("CallerReference"),
            vpc=request.get("VPC"),
            hosted_zone_config=request.get("HostedZoneConfig"),
            delegation_set_id=request.get("DelegationSetId"),
        )

    @handler("CreateVPCAssociationAuthorization", expand=False)
    def create_vpc_association_authorization(self, context: RequestContext, request):
        owner, z = _owned(context, request["HostedZoneId"])
        vpc = request["VPC"]
        with LOCK:
            AUTHORIZATIONS[(z.id, vpc["VPCId"], vpc.get("VPCRegion"))] = owner
        return {"HostedZoneId": z.id, "VPC": vpc}

    @handler("DeleteVPCAssociationAuthorization", expand=False)
    def delete_vpc_association_authorization(self, context: RequestContext, request):
        owner, z = _owned(context, request["HostedZoneId"])
        vpc = request["VPC"]
        with LOCK:
            if AUTHORIZATIONS.pop((z.id, vpc["VPCId"], vpc.get("VPCRegion")), None) is None:
                raise AwsError(
                    "VPCAssociationAuthorizationNotFound",
                    "The VPC that you specified is not authorized to be associated with the hosted zone.",
                    404,
                )
        return {}

    @handler("ListVPCAssociationAuthorizations", expand=False)
    def list_vpc_association_authorizations(self, context: RequestContext, request):
        owner, z = _owned(context, request["HostedZoneId"])
        with LOCK:
            vpcs = [
                {"VPCId": v, "VPCRegion": r} for (zid, v, r) in AUTHORIZATIONS if zid == z.id
            ]
        return {"HostedZoneId": z.id, "VPCs": vpcs}

    @handler("AssociateVPCWithHostedZone", expand=False)
    def associate_vpc_with_hosted_zone(self, context: RequestContext, request):
        owner, z = _find(request["HostedZoneId"])
        vpc = request["VPC"]
        vpc_id, region = vpc["VPCId"], vpc.get("VPCRegion") or context.region
        if not z.private_zone:
            raise AwsError(
                "PublicZoneVPCAssociation",
                "You're trying to associate a VPC with a public hosted zone. Amazon Route 53 doesn't support associating a VPC with a public hosted zone.",
            )
        if not _vpc_exists(context.account_id, region, vpc_id):
            raise AwsError(
                "InvalidVPCId",
                "The VPC ID that you specified either isn't a valid ID or the current account is not authorized to access this VPC.",
            )
        with LOCK:
            authorized = (z.id, vpc_id, region) in AUTHORIZATIONS
        if owner != context.account_id and not authorized:
            raise AwsError(
                "NotAuthorizedException",
                "Associating the specified VPC with the specified hosted zone has not been authorized.",
                401,
            )
        if _conflict(vpc_id, z.name):
            raise AwsError(
                "ConflictingDomainExists",
                "The VPC that you specified is already associated with another hosted zone that has the same name.",
            )
        z.add_vpc(vpc_id, region)
        return {"ChangeInfo": _change()}

    @handler("DisassociateVPCFromHostedZone", expand=False)
    def disassociate_vpc_from_hosted_zone(self, context: RequestContext, request):
        _, z = _find(request["HostedZoneId"])
        vpc_id = request["VPC"]["VPCId"]
        if not _associated(z, vpc_id):
            raise AwsError(
                "VPCAssociationNotFound",
                "The specified VPC and hosted zone are not currently associated.",
                404,
            )
        if len(z.vpcs) <= 1:
            raise AwsError(
                "LastVPCAssociation",
                "The VPC that you're trying to disassociate from the private hosted zone is the last VPC that is associated with the hosted zone. Amazon Route 53 doesn't support disassociating the last VPC from a hosted zone.",
            )
        z.vpcs = [v for v in z.vpcs if v.get("vpc_id") != vpc_id]
        return {"ChangeInfo": _change()}

    @handler("ListHostedZonesByVPC", expand=False)
    def list_hosted_zones_by_vpc(self, context: RequestContext, request):
        vpc_id = request["VPCId"]
        summaries = [
            {"HostedZoneId": z.id, "Name": z.name, "Owner": {"OwningAccount": account}}
            for account, z in _zones()
            if z.private_zone and _associated(z, vpc_id)
        ]
        return {"HostedZoneSummaries": summaries, "MaxItems": str(request.get("MaxItems") or 100)}

    @handler("DeleteHostedZone", expand=False)
    def delete_hosted_zone(self, context: RequestContext, request):
        out = call_moto(context)
        zone_id = _bare(request.get("Id", ""))
        with LOCK:
            for key in [k for k in AUTHORIZATIONS if k[0] == zone_id]:
                AUTHORIZATIONS.pop(key, None)
        return out
