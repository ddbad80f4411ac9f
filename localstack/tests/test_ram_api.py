"""RAM's errors, client tokens and listings, as AWS documents or answered them. Sources:
botocore's RAM model (the clientToken, maxResults, nextToken and filter members of each
operation, and its error shapes) and the AWS answers recorded in public issues named by
each test; docs/emulator-fidelity.md (RAM) lists them.
"""

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import make_network
from test_ram_tgw import accept, share_tgw

MALFORMED_SHARE = "The specified resource share ARN is not valid. Verify the ARN and try again."


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    err = e.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"], err["Error"]["Message"]


def test_a_share_arn_that_is_not_one_is_malformed(account):
    """AWS: "StatusCode: 400 ... MalformedArnException: The specified resource share ARN is
    not valid. Verify the ARN and try again." for GetResourceShareAssociations
    (hashicorp/terraform-provider-aws#40360); a well-formed ARN of no share is
    UnknownResourceException."""
    ram = account.client("ram")
    malformed = (400, "MalformedArnException", MALFORMED_SHARE)
    for arn in ("not-an-arn", f"arn:aws:ec2:us-east-1:{account.id}:transit-gateway/tgw-1"):
        assert (
            error_of(
                ram.get_resource_share_associations,
                associationType="PRINCIPAL",
                resourceShareArns=[arn],
            )
            == malformed
        )
        assert error_of(ram.associate_resource_share, resourceShareArn=arn) == malformed
        assert error_of(ram.list_resources, resourceOwner="SELF", resourceShareArns=[arn]) == (
            malformed
        )
    share_id = "0a1b2c3d-0000-4000-8000-000000000000"
    unknown = f"arn:aws:ram:us-east-1:{account.id}:resource-share/{share_id}"
    _, code, _ = error_of(ram.associate_resource_share, resourceShareArn=unknown)
    assert code == "UnknownResourceException"


def test_a_share_without_external_principals_refuses_an_outside_account(account, other_account):
    """AWS's answer (hashicorp/terraform-provider-aws#7769, #15254,
    terraform-aws-modules/terraform-aws-transit-gateway#28): 400
    OperationNotPermittedException with this message."""
    ram = account.client("ram")
    status, code, message = error_of(
        ram.create_resource_share,
        name="inside-only",
        principals=[other_account.id],
        allowExternalPrincipals=False,
    )
    assert (status, code) == (400, "OperationNotPermittedException")
    assert message == (
        "The resource you are attempting to share can only be shared within your AWS "
        "Organization. This error may also occur if you have not enabled sharing with your "
        "AWS organization, or that onboarding process is still in progress."
    )
    share = ram.create_resource_share(name="empty", allowExternalPrincipals=False)
    arn = share["resourceShare"]["resourceShareArn"]
    _, code, _ = error_of(
        ram.associate_resource_share, resourceShareArn=arn, principals=[other_account.id]
    )
    assert code == "OperationNotPermittedException"


def test_principals_that_are_not_account_ids(account):
    """AWS: 400 InvalidParameterException "Principal ID o-XXXXXXXXXX is malformed. Verify the
    ID and try again." (hashicorp/terraform-provider-aws#7769, aws/aws-cdk#14131), and
    InvalidParameterException "Principal ID arn:aws:iam::<account>:root ..." for an
    account's root ARN (aws/amazon-sagemaker-examples#3047)."""
    ram = account.client("ram")
    for principal in ("o-123random", f"arn:aws:iam::{account.id[::-1]}:root"):
        assert error_of(ram.create_resource_share, name="p", principals=[principal]) == (
            400,
            "InvalidParameterException",
            f"Principal ID {principal} is malformed. Verify the ID and try again.",
        )


def test_invitation_errors(account, other_account):
    """botocore's errors of Accept/RejectResourceShareInvitation: an invitation already
    accepted (or rejected) is ResourceShareInvitationAlreadyAccepted/RejectedException;
    the invitation of a share deleted since is ResourceShareInvitationExpiredException
    (an assumption: no recorded answer)."""
    _, share = share_tgw(account, other_account)
    arn = share["resourceShareArn"]
    inv = accept(other_account, arn)["resourceShareInvitationArn"]
    ram_p = other_account.client("ram")
    _, code, _ = error_of(ram_p.reject_resource_share_invitation, resourceShareInvitationArn=inv)
    assert code == "ResourceShareInvitationAlreadyAcceptedException"
    _, gone = share_tgw(account, other_account)
    pending = ram_p.get_resource_share_invitations(resourceShareArns=[gone["resourceShareArn"]])
    pending_arn = pending["resourceShareInvitations"][0]["resourceShareInvitationArn"]
    account.client("ram").delete_resource_share(resourceShareArn=gone["resourceShareArn"])
    _, code, _ = error_of(
        ram_p.accept_resource_share_invitation, resourceShareInvitationArn=pending_arn
    )
    assert code == "ResourceShareInvitationExpiredException"


def test_client_tokens_repeat_the_first_answer_or_refuse_other_parameters(account, other_account):
    """botocore RAM model, clientToken: a retry with the same token does not perform the
    operation a second time; "If you retry the operation with the same ClientToken, but
    with different parameters, the retry fails with an IdempotentParameterMismatch error"
    (IdempotentParameterMismatchException); without a token, AWS generates one."""
    ec2 = account.client("ec2")
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayArn"]
    tgw2 = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayArn"]
    ram = account.client("ram")
    first = ram.create_resource_share(name="tok", resourceArns=[tgw], clientToken="t-1")
    again = ram.create_resource_share(name="tok", resourceArns=[tgw], clientToken="t-1")
    arn = first["resourceShare"]["resourceShareArn"]
    assert again["resourceShare"]["resourceShareArn"] == arn
    assert first["clientToken"] == again["clientToken"] == "t-1"
    mine = ram.get_resource_shares(resourceOwner="SELF")["resourceShares"]
    assert [s["resourceShareArn"] for s in mine] == [arn]
    # the same name, another resource: other parameters
    status, code, _ = error_of(
        ram.create_resource_share, name="tok", resourceArns=[tgw2], clientToken="t-1"
    )
    assert (status, code) == (400, "IdempotentParameterMismatchException")
    # a token per operation
    assoc = dict(resourceShareArn=arn, principals=[other_account.id], clientToken="t-2")
    one = ram.associate_resource_share(**assoc)["resourceShareAssociations"]
    assert ram.associate_resource_share(**assoc)["resourceShareAssociations"] == one
    _, code, _ = error_of(
        ram.associate_resource_share, resourceShareArn=arn, resourceArns=[tgw2], clientToken="t-2"
    )
    assert code == "IdempotentParameterMismatchException"
    # Without the token, associating a principal the share has is answered, not refused
    # (two associations of one principal both apply on AWS: terraform-provider-aws#33483).
    again = ram.associate_resource_share(resourceShareArn=arn, principals=[other_account.id])
    links = again["resourceShareAssociations"]
    assert [(a["associatedEntity"], a["status"]) for a in links] == [
        (other_account.id, "ASSOCIATING")
    ]
    # without a token: one is generated for the answer
    assert ram.update_resource_share(resourceShareArn=arn, name="tok")["clientToken"]

    # Accepting again with the token of the accept that succeeded answers it again; without
    # the token, the invitation is already accepted.
    ram_p = other_account.client("ram")
    inv = ram_p.get_resource_share_invitations(resourceShareArns=[arn])["resourceShareInvitations"]
    inv_arn = inv[0]["resourceShareInvitationArn"]
    done = ram_p.accept_resource_share_invitation(
        resourceShareInvitationArn=inv_arn, clientToken="t-3"
    )
    repeat = ram_p.accept_resource_share_invitation(
        resourceShareInvitationArn=inv_arn, clientToken="t-3"
    )
    assert repeat["resourceShareInvitation"]["status"] == "ACCEPTED"
    assert repeat["resourceShareInvitation"] == done["resourceShareInvitation"]
    _, code, _ = error_of(
        ram_p.accept_resource_share_invitation, resourceShareInvitationArn=inv_arn
    )
    assert code == "ResourceShareInvitationAlreadyAcceptedException"


def test_resources_and_principals_are_listed_by_page_and_filter(account, other_account):
    """botocore RAM model: maxResults pages with a nextToken; a nextToken that is not one
    is InvalidNextTokenException; ListResources' resourceRegionScope (every type shared here
    is regional); ListPrincipals' resourceType and principals filters; resourceOwner is
    required (the model check answers InvalidParameterException)."""
    ec2 = account.client("ec2")
    _, subnets = make_network(ec2, "10.6.0.0/16", azs=("us-east-1a", "us-east-1b", "us-east-1c"))
    arns = [f"arn:aws:ec2:us-east-1:{account.id}:subnet/{s}" for s in subnets]
    ram = account.client("ram")
    share = ram.create_resource_share(
        name="subnets", resourceArns=arns, principals=[other_account.id]
    )
    share_arn = share["resourceShare"]["resourceShareArn"]
    accept(other_account, share_arn)

    page = ram.list_resources(resourceOwner="SELF", maxResults=2)
    assert len(page["resources"]) == 2 and page["nextToken"]
    rest = ram.list_resources(resourceOwner="SELF", maxResults=2, nextToken=page["nextToken"])
    assert len(rest["resources"]) == 1 and "nextToken" not in rest
    listed = [r["arn"] for r in page["resources"] + rest["resources"]]
    assert sorted(listed) == sorted(arns)
    status, code, _ = error_of(ram.list_resources, resourceOwner="SELF", nextToken="bogus")
    assert (status, code) == (400, "InvalidNextTokenException")
    assert ram.list_resources(resourceOwner="SELF", resourceRegionScope="GLOBAL")["resources"] == []
    regional = ram.list_resources(resourceOwner="SELF", resourceRegionScope="REGIONAL")
    assert len(regional["resources"]) == 3

    def principals(client, **kw):
        return [p["id"] for p in client.list_principals(**kw)["principals"]]

    assert principals(ram, resourceOwner="SELF", resourceType="ec2:Subnet") == [other_account.id]
    assert principals(ram, resourceOwner="SELF", resourceType="ec2:TransitGateway") == []
    got = ram.list_principals(resourceOwner="SELF")["principals"]
    assert [(p["id"], p["external"]) for p in got] == [(other_account.id, True)]
    ram_p = other_account.client("ram")
    assert principals(ram_p, resourceOwner="OTHER-ACCOUNTS") == [account.id]
    assert principals(ram_p, resourceOwner="OTHER-ACCOUNTS", principals=["111122223333"]) == []
    page = ram_p.list_principals(resourceOwner="OTHER-ACCOUNTS", maxResults=1)
    assert "nextToken" not in page
    # a token of another operation is not one of this one
    token = ram.list_resources(resourceOwner="SELF", maxResults=1)["nextToken"]
    _, code, _ = error_of(ram.list_principals, resourceOwner="SELF", nextToken=token)
    assert code == "InvalidNextTokenException"

    unchecked = account.client("ram", config=Config(parameter_validation=False))
    status, code, _ = error_of(unchecked.list_resources)
    assert (status, code) == (400, "InvalidParameterException")

    def resources(**kw):
        return sorted(r["arn"] for r in ram.list_resources(resourceOwner="SELF", **kw)["resources"])

    assert resources(resourceType="ec2:Subnet") == sorted(arns)
    assert resources(resourceType="ec2:TransitGateway") == []
    assert resources(resourceArns=arns[:1]) == arns[:1]
    assert resources(principal=other_account.id) == sorted(arns)
    assert resources(principal="111122223333") == []
    # a principal removed from the share no longer matches
    ram.disassociate_resource_share(resourceShareArn=share_arn, principals=[other_account.id])
    assert resources(principal=other_account.id) == []


def test_shares_and_invitations_are_listed_by_page(account, other_account):
    """GetResourceShares and GetResourceShareInvitations page with maxResults/nextToken as
    the other list operations (botocore RAM model)."""
    arns = [share_tgw(account, other_account)[1]["resourceShareArn"] for _ in range(3)]
    ram = account.client("ram")
    seen, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        page = ram.get_resource_shares(resourceOwner="SELF", maxResults=2, **kw)
        seen += [s["resourceShareArn"] for s in page["resourceShares"]]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == arns
    ram_p = other_account.client("ram")
    first = ram_p.get_resource_share_invitations(maxResults=2)
    assert len(first["resourceShareInvitations"]) == 2
    last = ram_p.get_resource_share_invitations(maxResults=2, nextToken=first["nextToken"])
    assert len(last["resourceShareInvitations"]) == 1 and "nextToken" not in last
