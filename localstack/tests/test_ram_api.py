"""RAM's errors, client tokens and listings, as AWS documents or answered them. Sources:
botocore's RAM model (the clientToken, maxResults, nextToken and filter members of each
operation, and its error shapes) and the AWS answers recorded in public issues named by
each test; docs/emulator-fidelity.md (RAM) lists them.
"""

import pytest
from botocore.exceptions import ClientError

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
