"""AWS RAM: resource shares, principal/resource associations and invitations.

Implemented here (moto has only a subset and no invitations): CreateResourceShare,
GetResourceShares, UpdateResourceShare, DeleteResourceShare, AssociateResourceShare,
DisassociateResourceShare, GetResourceShareAssociations, GetResourceShareInvitations,
AcceptResourceShareInvitation, RejectResourceShareInvitation, ListResources, ListPrincipals,
TagResource, UntagResource. Everything else falls through to moto.

AWS Organizations are moto's (served by the organizations provider in plugins.py). A principal
account in the owner's organization, once the organization's management account has enabled
sharing with it (EnableSharingWithAwsOrganization), is associated at once, without an
invitation; every other principal is "external": it gets an invitation and its principal
association stays ASSOCIATING until the invitation is accepted. Sources in
docs/emulator-fidelity.md (RAM).
"""

import base64
import json
import re

from . import ec2_share
from .common import (
    LOCK,
    AwsError,
    new_uuid,
    now,
    once_per_token,
    parse_arn,
    tags_from_list,
    tags_to_list,
)

# all shares and invitations, keyed by ARN (ARNs carry account and region)
SHARES: dict[str, dict] = {}
# management accounts whose organization has sharing with AWS RAM enabled
ORG_SHARING: set[str] = set()
INVITATIONS: dict[str, dict] = {}
# (account, region, operation, token) -> (the request's other parameters, the answer)
CLIENT_TOKENS: dict[tuple, tuple] = {}

RESOURCE_TYPES = {
    ("ec2", "transit-gateway"): "ec2:TransitGateway",
    ("ec2", "subnet"): "ec2:Subnet",
    ("ec2", "prefix-list"): "ec2:PrefixList",
    ("route53resolver", "resolver-rule"): "route53resolver:ResolverRule",
    ("network-firewall", "stateful-rulegroup"): "network-firewall:StatefulRuleGroup",
    ("network-firewall", "stateless-rulegroup"): "network-firewall:StatelessRuleGroup",
    ("network-firewall", "firewall-policy"): "network-firewall:FirewallPolicy",
}


def _resource_type(arn: str) -> str:
    """The RAM type of a resource ARN, or MalformedArnException (botocore: "the specified
    Amazon Resource Name (ARN) has a format that isn't valid", in the errors of every
    operation taking resource ARNs; the messages are modelled on AWS's recorded one for a
    share ARN, see `_share_arn`). Types RAM shares that are not listed here are answered
    MalformedArnException too, which AWS would not (not emulated)."""
    try:
        p = parse_arn(arn)
    except ValueError:
        raise AwsError("MalformedArnException", f"The specified resource ARN {arn} is not valid.")
    kind = re.split(r"[/:]", p["resource"], maxsplit=1)[0]
    rtype = RESOURCE_TYPES.get((p["service"], kind))
    if not rtype or not re.fullmatch(r"\d{12}", p["account"]):
        raise AwsError(
            "MalformedArnException",
            f"The specified resource ARN {arn} is not valid. Verify the ARN and try again.",
        )
    return rtype


def _share_arn(arn: str) -> str:
    """A resource share ARN, or MalformedArnException. AWS's answer to a share ARN that is
    not one, recorded in hashicorp/terraform-provider-aws#40360 (GetResourceShareAssociations,
    2024-11-29): "StatusCode: 400 ... MalformedArnException: The specified resource share
    ARN is not valid. Verify the ARN and try again." (botocore MalformedArnException: "the
    specified Amazon Resource Name (ARN) has a format that isn't valid"). A well-formed ARN
    of a share that does not exist is UnknownResourceException instead."""
    try:
        p = parse_arn(arn)
    except ValueError:
        p = None
    if (
        p is None
        or p["service"] != "ram"
        or not re.fullmatch(r"\d{12}", p["account"])
        or not p["resource"].startswith("resource-share/")
    ):
        raise AwsError(
            "MalformedArnException",
            "The specified resource share ARN is not valid. Verify the ARN and try again.",
        )
    return arn


def _share_arns(arns) -> list:
    """The `resourceShareArns` filter of a request, each checked by `_share_arn`."""
    return [_share_arn(a) for a in arns or []]


def _share_or_404(ctx, arn: str, owner_only=True) -> dict:
    _share_arn(arn)
    share = SHARES.get(arn)
    if not share or share["status"] == "DELETED":
        raise AwsError("UnknownResourceException", f"ResourceShare {arn} could not be found.")
    if owner_only and share["owner"] != ctx.account_id:
        raise AwsError("UnknownResourceException", f"ResourceShare {arn} could not be found.")
    return share


def _describe_share(share: dict) -> dict:
    return {
        "resourceShareArn": share["arn"],
        "name": share["name"],
        "owningAccountId": share["owner"],
        "allowExternalPrincipals": share["allowExternalPrincipals"],
        "status": share["status"],
        "creationTime": share["created"],
        "lastUpdatedTime": share["updated"],
        "featureSet": "STANDARD",
        "tags": tags_to_list(share["tags"], "key", "value"),
    }


def _assoc(share, entity, atype, status, external=None) -> dict:
    a = {
        "resourceShareArn": share["arn"],
        "resourceShareName": share["name"],
        "associatedEntity": entity,
        "associationType": atype,
        "status": status,
        "creationTime": share["created"],
        "lastUpdatedTime": now(),
    }
    if external is not None:
        a["external"] = external
    return a


def _validate_resource(ctx, arn: str):
    # Another account's resource, or an EC2 resource that does not exist: refused at once
    # with UnknownResourceException (botocore: "a specified resource couldn't be found").
    # Not settled: in boto/boto3#3396 (2022) AWS answered CreateResourceShare with a
    # transit gateway it did not find with an ACTIVE share, and the console showed the
    # resource as "The specified resource could not be found in your AWS account" (a
    # FAILED association, it seems), so AWS may fail the association later rather than the
    # call.
    _resource_type(arn)
    p = parse_arn(arn)
    if p["account"] != ctx.account_id:
        raise AwsError(
            "UnknownResourceException", f"The resource {arn} is not owned by this account."
        )
    if p["service"] == "ec2" and not ec2_share.resource_exists(p["account"], p["region"], arn):
        raise AwsError("UnknownResourceException", f"Resource {arn} could not be found.")


def _organization_of(account: str):
    """The management account of `account`'s organization (moto's), or None."""
    from moto.organizations.models import organizations_backends

    member = organizations_backends.master_accounts.get(account)
    if member:
        return member[0]
    backend = organizations_backends.get(account, {}).get("aws")
    return account if backend is not None and backend.org is not None else None


def _in_shared_organization(owner: str, principal: str) -> bool:
    """Whether `principal` gets the owner's shares without an invitation: both in one
    organization whose management account enabled sharing with it. RAM API reference,
    Welcome: an account not in the owner's organization "receives an invitation"; RAM user
    guide, "Enable resource sharing within AWS Organizations": with sharing enabled, the
    organization's accounts get the shares without invitations."""
    org = _organization_of(owner)
    return org is not None and org in ORG_SHARING and _organization_of(principal) == org


def enable_sharing_with_aws_organization(ctx, req):
    # RAM API reference, EnableSharingWithAwsOrganization: "You must call this operation from
    # an IAM role or user in the organization's management account"; OperationNotPermitted-
    # Exception is in its error list.
    if _organization_of(ctx.account_id) != ctx.account_id:
        raise AwsError(
            "OperationNotPermittedException",
            "Only the management account of an organization can enable sharing with it.",
        )
    ORG_SHARING.add(ctx.account_id)
    return {"returnValue": True}


def _add_principal(ctx, share: dict, principal: str) -> dict:
    # AWS's answers for principals that are not account IDs: "InvalidParameterException:
    # Principal ID o-XXXXXXXXXX is malformed. Verify the ID and try again." (status 400, an
    # organization ID where its ARN belongs: hashicorp/terraform-provider-aws#7769,
    # aws/aws-cdk#14131); InvalidParameterException "Principal ID
    # arn:aws:iam::423444404825:root" for an account's root ARN
    # (aws/amazon-sagemaker-examples#3047, the message cut off there: its end here is the
    # other recorded one's). Organization, OU, role and user ARNs are principals AWS takes
    # (botocore PrincipalArnOrIdList); they are not emulated and answered
    # UnknownResourceException (AWS's code for an organization it does not find:
    # "Organization o-XXXXXX could not be found.", #7769, #15254).
    if re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:root", principal) or not (
        principal.startswith("arn:") or re.fullmatch(r"\d{12}", principal)
    ):
        raise AwsError(
            "InvalidParameterException",
            f"Principal ID {principal} is malformed. Verify the ID and try again.",
        )
    if principal.startswith("arn:"):
        raise AwsError("UnknownResourceException", f"Principal {principal} could not be found.")
    # The owner's own account as a principal: code and message are assumptions (no recorded
    # answer found).
    if principal == share["owner"]:
        raise AwsError(
            "InvalidParameterException", "The resource share owner cannot be a principal."
        )
    # A principal the share already has is answered, not refused: two
    # aws_ram_principal_association resources of one share and account both apply against
    # AWS (hashicorp/terraform-provider-aws#33483, 2023).
    existing = share["principals"].get(principal)
    if existing and existing["status"] in ("ASSOCIATING", "ASSOCIATED"):
        return existing
    if _in_shared_organization(share["owner"], principal):
        entry = {"status": "ASSOCIATED", "invitation": None, "created": now()}
        share["principals"][principal] = entry
        for r, st in share["resources"].items():
            if st["status"] == "ASSOCIATED":
                ec2_share.on_share(share["owner"], share["region"], r, principal)
        return entry
    if not share["allowExternalPrincipals"]:
        # AWS's answer, recorded in hashicorp/terraform-provider-aws#7769 (2019, a share
        # with allow_external_principals false), #15254 (2020, AssociateResourceShare) and
        # terraform-aws-modules/terraform-aws-transit-gateway#28 (2020), status 400.
        raise AwsError(
            "OperationNotPermittedException",
            "The resource you are attempting to share can only be shared within your AWS "
            "Organization. This error may also occur if you have not enabled sharing with "
            "your AWS organization, or that onboarding process is still in progress.",
        )
    existing = share["principals"].get(principal)
    if existing and existing["status"] in ("ASSOCIATING", "ASSOCIATED"):
        return existing
    inv_arn = (
        f"arn:aws:ram:{share['region']}:{share['owner']}:resource-share-invitation/{new_uuid()}"
    )
    INVITATIONS[inv_arn] = {
        "resourceShareInvitationArn": inv_arn,
        "resourceShareName": share["name"],
        "resourceShareArn": share["arn"],
        "senderAccountId": share["owner"],
        "receiverAccountId": principal,
        "invitationTimestamp": now(),
        "status": "PENDING",
    }
    entry = {"status": "ASSOCIATING", "invitation": inv_arn, "created": now()}
    share["principals"][principal] = entry
    return entry


def _idempotent(ctx, op: str, req: dict, make) -> dict:
    """An operation with RAM's `clientToken`. botocore's RAM model, on the `clientToken` of
    CreateResourceShare, UpdateResourceShare, DeleteResourceShare, AssociateResourceShare,
    DisassociateResourceShare, AcceptResourceShareInvitation and
    RejectResourceShareInvitation alike: "a unique, case-sensitive identifier that you
    provide to ensure the idempotency of the request. This lets you safely retry the request
    without accidentally performing the same operation a second time. Passing the same
    value to a later call to an operation requires that you also pass the same value for
    all other parameters [...] If you don't provide this value, then Amazon Web Services
    generates a random one for you. If you retry the operation with the same ClientToken,
    but with different parameters, the retry fails with an IdempotentParameterMismatch
    error" (the exception's code is IdempotentParameterMismatchException, HTTP 400, in the
    operations' errors). So a repeat with the same token (same account, region, operation)
    and parameters answers the first call's result and does nothing again; other parameters
    are refused. Each answer carries its token (`clientToken` of the outputs: "The
    idempotency identifier associated with this request"). A failed call records nothing."""
    token = req.get("clientToken")
    if not token:
        out = make()
        out["clientToken"] = new_uuid()
        return out
    return once_per_token(
        CLIENT_TOKENS,
        LOCK,
        (ctx.account_id, ctx.region, op, token),
        {k: v for k, v in req.items() if k != "clientToken"},
        lambda: {**make(), "clientToken": token},
        lambda: AwsError(
            "IdempotentParameterMismatchException",
            f"The client token {token} was already used with other parameters.",
        ),
    )


def create_resource_share(ctx, req):
    return _idempotent(ctx, "CreateResourceShare", req, lambda: _create_resource_share(ctx, req))


def _create_resource_share(ctx, req):
    with LOCK:
        arn = f"arn:aws:ram:{ctx.region}:{ctx.account_id}:resource-share/{new_uuid()}"
        share = {
            "arn": arn,
            "name": req["name"],
            "owner": ctx.account_id,
            "region": ctx.region,
            "allowExternalPrincipals": req.get("allowExternalPrincipals", True),
            "status": "ACTIVE",
            "created": now(),
            "updated": now(),
            "tags": tags_from_list(req.get("tags"), "key", "value"),
            "resources": {},
            "principals": {},
        }
        for r in req.get("resourceArns") or []:
            _validate_resource(ctx, r)
        for r in req.get("resourceArns") or []:
            share["resources"][r] = {"status": "ASSOCIATED", "created": now()}
        for p in req.get("principals") or []:
            _add_principal(ctx, share, p)
        SHARES[arn] = share
        return {"resourceShare": _describe_share(share)}


def _visible_to(share: dict, account: str) -> bool:
    p = share["principals"].get(account)
    return bool(p and p["status"] == "ASSOCIATED")


def get_resource_shares(ctx, req):
    owner = req.get("resourceOwner")
    if owner not in ("SELF", "OTHER-ACCOUNTS"):
        raise AwsError("InvalidParameterException", "resourceOwner must be SELF or OTHER-ACCOUNTS")
    if owner == "OTHER-ACCOUNTS" and req.get("tagFilters"):
        # AWS refuses tag filters on shares of other accounts; the response recorded in
        # https://github.com/hashicorp/terraform-provider-aws/issues/40970 (2025-01-16):
        # "StatusCode: 400 ... InvalidParameterException: You cannot use resourceOwner set to
        # OTHER-ACCOUNTS and tagFilters in one request. Specify one parameter and try again."
        # (docs/emulator-fidelity.md, RAM)
        raise AwsError(
            "InvalidParameterException",
            "You cannot use resourceOwner set to OTHER-ACCOUNTS and tagFilters in one request. "
            "Specify one parameter and try again.",
            400,
        )
    arns = _share_arns(req.get("resourceShareArns"))
    out = []
    with LOCK:
        for share in SHARES.values():
            if share["region"] != ctx.region:
                continue
            if owner == "SELF" and share["owner"] != ctx.account_id:
                continue
            if owner == "OTHER-ACCOUNTS" and not _visible_to(share, ctx.account_id):
                continue
            if arns and share["arn"] not in arns:
                continue
            if req.get("name") and share["name"] != req["name"]:
                continue
            status = req.get("resourceShareStatus")
            if status and share["status"] != status:
                continue
            if not status and share["status"] == "DELETED" and not arns:
                continue
            ok = True
            for f in req.get("tagFilters") or []:
                if share["tags"].get(f.get("tagKey")) not in (f.get("tagValues") or []):
                    ok = False
            if ok:
                out.append(_describe_share(share))
    return _page("GetResourceShares", req, out, "resourceShares")


def update_resource_share(ctx, req):
    return _idempotent(ctx, "UpdateResourceShare", req, lambda: _update_resource_share(ctx, req))


def _update_resource_share(ctx, req):
    with LOCK:
        share = _share_or_404(ctx, req["resourceShareArn"])
        if "name" in req and req["name"]:
            share["name"] = req["name"]
        if "allowExternalPrincipals" in req:
            share["allowExternalPrincipals"] = req["allowExternalPrincipals"]
        share["updated"] = now()
        return {"resourceShare": _describe_share(share)}


def delete_resource_share(ctx, req):
    return _idempotent(ctx, "DeleteResourceShare", req, lambda: _delete_resource_share(ctx, req))


def _delete_resource_share(ctx, req):
    with LOCK:
        share = _share_or_404(ctx, req["resourceShareArn"])
        share["status"] = "DELETED"
        share["updated"] = now()
        for principal, entry in share["principals"].items():
            if entry["status"] == "ASSOCIATED":
                for r in share["resources"]:
                    ec2_share.on_unshare(share["owner"], share["region"], r, principal)
            entry["status"] = "DISASSOCIATED"
        for r in share["resources"].values():
            r["status"] = "DISASSOCIATED"
        return {"returnValue": True}


def associate_resource_share(ctx, req):
    return _idempotent(
        ctx, "AssociateResourceShare", req, lambda: _associate_resource_share(ctx, req)
    )


def _associate_resource_share(ctx, req):
    with LOCK:
        share = _share_or_404(ctx, req["resourceShareArn"])
        out = []
        for r in req.get("resourceArns") or []:
            _validate_resource(ctx, r)
        for r in req.get("resourceArns") or []:
            share["resources"][r] = {"status": "ASSOCIATED", "created": now()}
            out.append(_assoc(share, r, "RESOURCE", "ASSOCIATED"))
            for principal, entry in share["principals"].items():
                if entry["status"] == "ASSOCIATED":
                    ec2_share.on_share(share["owner"], share["region"], r, principal)
        for p in req.get("principals") or []:
            entry = _add_principal(ctx, share, p)
            external = entry.get("invitation") is not None
            out.append(_assoc(share, p, "PRINCIPAL", entry["status"], external=external))
        share["updated"] = now()
        return {"resourceShareAssociations": out}


def disassociate_resource_share(ctx, req):
    return _idempotent(
        ctx, "DisassociateResourceShare", req, lambda: _disassociate_resource_share(ctx, req)
    )


def _disassociate_resource_share(ctx, req):
    with LOCK:
        share = _share_or_404(ctx, req["resourceShareArn"])
        out = []
        # A resource or principal the share does not have: UnknownResourceException (in
        # botocore's errors of this operation; that AWS answers it here is an assumption).
        for r in req.get("resourceArns") or []:
            if r not in share["resources"]:
                raise AwsError("UnknownResourceException", f"Resource {r} is not in the share.")
            share["resources"][r]["status"] = "DISASSOCIATED"
            for principal, entry in share["principals"].items():
                if entry["status"] == "ASSOCIATED":
                    ec2_share.on_unshare(share["owner"], share["region"], r, principal)
            out.append(_assoc(share, r, "RESOURCE", "DISASSOCIATED"))
        for p in req.get("principals") or []:
            entry = share["principals"].get(p)
            if not entry:
                raise AwsError("UnknownResourceException", f"Principal {p} is not in the share.")
            if entry["status"] == "ASSOCIATED":
                for r, rs in share["resources"].items():
                    if rs["status"] == "ASSOCIATED":
                        ec2_share.on_unshare(share["owner"], share["region"], r, p)
            entry["status"] = "DISASSOCIATED"
            out.append(_assoc(share, p, "PRINCIPAL", "DISASSOCIATED", external=True))
        share["updated"] = now()
        return {"resourceShareAssociations": out}


def get_resource_share_associations(ctx, req):
    atype = req.get("associationType")
    if atype not in ("PRINCIPAL", "RESOURCE"):
        raise AwsError("InvalidParameterException", "associationType must be PRINCIPAL or RESOURCE")
    arns = _share_arns(req.get("resourceShareArns"))
    out = []
    with LOCK:
        for share in SHARES.values():
            if share["region"] != ctx.region:
                continue
            mine = share["owner"] == ctx.account_id
            if not mine and not _visible_to(share, ctx.account_id):
                continue
            if arns and share["arn"] not in arns:
                continue
            if atype == "RESOURCE":
                for r, st in share["resources"].items():
                    if req.get("resourceArn") and r != req["resourceArn"]:
                        continue
                    out.append(_assoc(share, r, "RESOURCE", st["status"]))
            else:
                for p, st in share["principals"].items():
                    if not mine and p != ctx.account_id:
                        continue
                    if req.get("principal") and p != req["principal"]:
                        continue
                    external = st.get("invitation") is not None
                    out.append(_assoc(share, p, "PRINCIPAL", st["status"], external=external))
    status = req.get("associationStatus")
    if status:
        out = [a for a in out if a["status"] == status]
    return _page("GetResourceShareAssociations", req, out, "resourceShareAssociations")


def get_resource_share_invitations(ctx, req):
    # An invitation ARN that is not the caller's (as receiver or sender) or does not exist:
    # ResourceShareInvitationArnNotFoundException (botocore: "the specified Amazon Resource
    # Name (ARN) for an invitation was not found", in this operation's errors); the message
    # is ours.
    inv_arns = req.get("resourceShareInvitationArns")
    share_arns = _share_arns(req.get("resourceShareArns"))
    out = []
    with LOCK:
        for arn in inv_arns or []:
            inv = INVITATIONS.get(arn)
            if not inv or ctx.account_id not in (inv["receiverAccountId"], inv["senderAccountId"]):
                raise AwsError(
                    "ResourceShareInvitationArnNotFoundException",
                    f"ResourceShareInvitation {arn} could not be found.",
                )
        for inv in INVITATIONS.values():
            if inv["receiverAccountId"] != ctx.account_id:
                continue
            if parse_arn(inv["resourceShareInvitationArn"])["region"] != ctx.region:
                continue
            if inv_arns and inv["resourceShareInvitationArn"] not in inv_arns:
                continue
            if share_arns and inv["resourceShareArn"] not in share_arns:
                continue
            share = SHARES.get(inv["resourceShareArn"])
            if share and share["status"] == "DELETED" and inv["status"] == "PENDING":
                continue
            out.append(dict(inv))
    return _page("GetResourceShareInvitations", req, out, "resourceShareInvitations")


def _invitation_for_receiver(ctx, arn):
    """The caller's invitation to accept or reject. Codes from botocore's errors of
    Accept/RejectResourceShareInvitation: ResourceShareInvitationArnNotFoundException,
    ResourceShareInvitationAlreadyAcceptedException ("the specified invitation was already
    accepted"), ResourceShareInvitationAlreadyRejectedException; the messages are ours.
    ResourceShareInvitationExpiredException ("past its expiration date and time") for the
    invitation of a share deleted since is an assumption (no recorded answer)."""
    inv = INVITATIONS.get(arn)
    if not inv or inv["receiverAccountId"] != ctx.account_id:
        raise AwsError(
            "ResourceShareInvitationArnNotFoundException",
            f"ResourceShareInvitation {arn} could not be found.",
        )
    if inv["status"] == "ACCEPTED":
        raise AwsError(
            "ResourceShareInvitationAlreadyAcceptedException",
            "The invitation has already been accepted.",
        )
    if inv["status"] == "REJECTED":
        raise AwsError(
            "ResourceShareInvitationAlreadyRejectedException",
            "The invitation has already been rejected.",
        )
    share = SHARES.get(inv["resourceShareArn"])
    if not share or share["status"] == "DELETED":
        raise AwsError("ResourceShareInvitationExpiredException", "The invitation has expired.")
    return inv, share


def accept_resource_share_invitation(ctx, req):
    return _idempotent(
        ctx, "AcceptResourceShareInvitation", req, lambda: _accept_invitation(ctx, req)
    )


def _accept_invitation(ctx, req):
    with LOCK:
        inv, share = _invitation_for_receiver(ctx, req["resourceShareInvitationArn"])
        inv["status"] = "ACCEPTED"
        entry = share["principals"][ctx.account_id]
        entry["status"] = "ASSOCIATED"
        for r, st in share["resources"].items():
            if st["status"] == "ASSOCIATED":
                ec2_share.on_share(share["owner"], share["region"], r, ctx.account_id)
        return {"resourceShareInvitation": dict(inv)}


def reject_resource_share_invitation(ctx, req):
    return _idempotent(
        ctx, "RejectResourceShareInvitation", req, lambda: _reject_invitation(ctx, req)
    )


def _reject_invitation(ctx, req):
    with LOCK:
        inv, share = _invitation_for_receiver(ctx, req["resourceShareInvitationArn"])
        inv["status"] = "REJECTED"
        share["principals"][ctx.account_id]["status"] = "DISASSOCIATED"
        return {"resourceShareInvitation": dict(inv)}


def _page(op: str, req: dict, items: list, key: str) -> dict:
    """One page of a list operation. botocore's RAM model, `maxResults` (1 to 500, checked
    by validation.py): "If additional items exist beyond the number you specify, the
    NextToken response element is returned with a value (not null). Include the specified
    value as the NextToken request parameter in the next call"; `nextToken`: "Valid only if
    you received a NextToken response in the previous request"; a token that is not one is
    InvalidNextTokenException ("the specified value for NextToken isn't valid. You must
    specify a value you received in the NextToken response of a previous call to this
    operation"), in the errors of every RAM list operation. Without `maxResults` the page
    size "defaults to a value that is specific to the operation", which AWS does not state:
    here everything is one page (not settled by a source we hold)."""
    first = 0
    token = req.get("nextToken")
    if token:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            ok = isinstance(data, dict) and data.get("op") == op and isinstance(data.get("i"), int)
        except ValueError:
            ok = False
        if not ok or data["i"] < 0:
            raise AwsError(
                "InvalidNextTokenException",
                "The specified value for NextToken isn't valid. You must specify a value you "
                "received in the NextToken response of a previous call to this operation.",
            )
        first = data["i"]
    size = req.get("maxResults")
    if not size:
        return {key: items[first:]}
    out = {key: items[first : first + size]}
    if first + size < len(items):
        nxt = json.dumps({"op": op, "i": first + size}).encode()
        out["nextToken"] = base64.urlsafe_b64encode(nxt).decode()
    return out


def _owner_filter(req) -> str:
    # resourceOwner is required with SELF | OTHER-ACCOUNTS (botocore ResourceOwner); the model
    # check answers its absence and other values first (validation.py).
    owner = req.get("resourceOwner")
    if owner not in ("SELF", "OTHER-ACCOUNTS"):
        raise AwsError("InvalidParameterException", "resourceOwner must be SELF or OTHER-ACCOUNTS")
    return owner


def _linked(entry) -> bool:
    """A principal or resource the share is associated with (or associating)."""
    return entry["status"] in ("ASSOCIATING", "ASSOCIATED")


def list_resources(ctx, req):
    """ListResources (botocore RAM model): `resourceOwner` SELF ("resources that your
    account shares with other accounts") or OTHER-ACCOUNTS ("resources that other accounts
    share with your account"); filters `principal` ("only the resource shares that are
    associated with the specified principal"), `resourceType`, `resourceArns`,
    `resourceShareArns` ("only resources in the resource shares identified by"),
    `resourceRegionScope` (ALL, the default; REGIONAL; GLOBAL: every resource type shared
    here is regional, so GLOBAL lists none); paged (`_page`)."""
    owner = _owner_filter(req)
    share_arns = _share_arns(req.get("resourceShareArns"))
    scope = req.get("resourceRegionScope") or "ALL"
    out = []
    with LOCK:
        for share in SHARES.values():
            if share["region"] != ctx.region or share["status"] == "DELETED":
                continue
            if owner == "SELF" and share["owner"] != ctx.account_id:
                continue
            if owner == "OTHER-ACCOUNTS" and not _visible_to(share, ctx.account_id):
                continue
            if share_arns and share["arn"] not in share_arns:
                continue
            if req.get("principal"):
                entry = share["principals"].get(req["principal"])
                if not entry or not _linked(entry):
                    continue
            for r, st in share["resources"].items():
                if st["status"] != "ASSOCIATED" or scope == "GLOBAL":
                    continue
                rtype = _resource_type(r)
                if req.get("resourceType") and req["resourceType"].lower() != rtype.lower():
                    continue
                if req.get("resourceArns") and r not in req["resourceArns"]:
                    continue
                out.append(
                    {
                        "arn": r,
                        "type": rtype,
                        "resourceShareArn": share["arn"],
                        "status": "AVAILABLE",
                        "creationTime": st["created"],
                        "lastUpdatedTime": st["created"],
                        "resourceRegionScope": "REGIONAL",
                    }
                )
    return _page("ListResources", req, out, "resources")


def list_principals(ctx, req):
    """ListPrincipals (botocore RAM model): `resourceOwner` SELF ("principals that your
    account is sharing resources with") or OTHER-ACCOUNTS ("principals that are sharing
    resources with your account": the owners); filters `resourceArn`, `principals` ("only
    the listed principals"), `resourceType` ("only principals associated with resource
    shares that include the specified resource type"), `resourceShareArns`; paged (`_page`).
    `external`: whether the principal is outside the owner's organization
    (ResourceShareAssociation.external), as GetResourceShareAssociations says."""
    owner = _owner_filter(req)
    share_arns = _share_arns(req.get("resourceShareArns"))
    wanted = req.get("principals")
    rtype = (req.get("resourceType") or "").lower()
    out = []
    with LOCK:
        for share in SHARES.values():
            if share["region"] != ctx.region or share["status"] == "DELETED":
                continue
            if share_arns and share["arn"] not in share_arns:
                continue
            live = [r for r, st in share["resources"].items() if st["status"] == "ASSOCIATED"]
            if req.get("resourceArn") and req["resourceArn"] not in live:
                continue
            if rtype and not any(_resource_type(r).lower() == rtype for r in live):
                continue
            if owner == "SELF" and share["owner"] == ctx.account_id:
                for p, st in share["principals"].items():
                    if not _linked(st) or (wanted and p not in wanted):
                        continue
                    out.append(
                        {
                            "id": p,
                            "resourceShareArn": share["arn"],
                            "creationTime": st["created"],
                            "lastUpdatedTime": st["created"],
                            "external": st.get("invitation") is not None,
                        }
                    )
            elif owner == "OTHER-ACCOUNTS" and _visible_to(share, ctx.account_id):
                if wanted and share["owner"] not in wanted:
                    continue
                mine = share["principals"][ctx.account_id]
                out.append(
                    {
                        "id": share["owner"],
                        "resourceShareArn": share["arn"],
                        "creationTime": share["created"],
                        "lastUpdatedTime": share["updated"],
                        "external": mine.get("invitation") is not None,
                    }
                )
    return _page("ListPrincipals", req, out, "principals")


def tag_resource(ctx, req):
    with LOCK:
        share = _share_or_404(ctx, req["resourceShareArn"])
        share["tags"].update(tags_from_list(req.get("tags"), "key", "value"))
    return {}


def untag_resource(ctx, req):
    with LOCK:
        share = _share_or_404(ctx, req["resourceShareArn"])
        for k in req.get("tagKeys") or []:
            share["tags"].pop(k, None)
    return {}


HANDLERS = {
    "EnableSharingWithAwsOrganization": enable_sharing_with_aws_organization,
    "CreateResourceShare": create_resource_share,
    "GetResourceShares": get_resource_shares,
    "UpdateResourceShare": update_resource_share,
    "DeleteResourceShare": delete_resource_share,
    "AssociateResourceShare": associate_resource_share,
    "DisassociateResourceShare": disassociate_resource_share,
    "GetResourceShareAssociations": get_resource_share_associations,
    "GetResourceShareInvitations": get_resource_share_invitations,
    "AcceptResourceShareInvitation": accept_resource_share_invitation,
    "RejectResourceShareInvitation": reject_resource_share_invitation,
    "ListResources": list_resources,
    "ListPrincipals": list_principals,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
}
