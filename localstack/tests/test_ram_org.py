"""RAM within an AWS Organization (moto's Organizations): once the management account has
enabled sharing with the organization, its accounts get shares without invitations; outside
it, or before sharing is enabled, a principal is external as before.

Sources: RAM API reference, Welcome ("If you specify an AWS account that doesn't exist in the
same organization as the account that owns the resource share, the owner of the specified
account receives an invitation"); RAM user guide, "Enable resource sharing within AWS
Organizations" (with sharing enabled, principals in the organization get access without
invitations); EnableSharingWithAwsOrganization ("You must call this operation from an IAM
role or user in the organization's management account").
"""

import pytest
from botocore.exceptions import ClientError

from conftest import Account, airgap


def member_of(management: Account) -> Account:
    """An account made in `management`'s organization (CreateAccount)."""
    org = management.client("organizations")
    status = org.create_account(Email="member@example.com", AccountName="member")
    account_id = org.describe_create_account_status(
        CreateAccountRequestId=status["CreateAccountStatus"]["Id"]
    )["CreateAccountStatus"]["AccountId"]
    member = Account(account_id)
    airgap("POST", "/_airgap/config", {"time_scale": 0, "account": member.id})
    return member


def a_share(owner: Account, principal: str, external: bool):
    return owner.client("ram").create_resource_share(
        name="org", principals=[principal], allowExternalPrincipals=external
    )["resourceShare"]


def test_an_organizations_accounts_get_shares_without_invitations(account, other_account):
    account.client("organizations").create_organization(FeatureSet="ALL")
    member = member_of(account)
    ram = account.client("ram")
    assert ram.enable_sharing_with_aws_organization()["returnValue"] is True

    share = a_share(account, member.id, external=False)
    links = ram.get_resource_share_associations(
        associationType="PRINCIPAL", resourceShareArns=[share["resourceShareArn"]]
    )["resourceShareAssociations"]
    assert [(a["associatedEntity"], a["status"], a["external"]) for a in links] == [
        (member.id, "ASSOCIATED", False)
    ]
    mram = member.client("ram")
    assert mram.get_resource_share_invitations()["resourceShareInvitations"] == []
    seen = mram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert [s["resourceShareArn"] for s in seen] == [share["resourceShareArn"]]

    # An account outside the organization is still external: refused by a share that does
    # not allow external principals, invited by one that does.
    with pytest.raises(ClientError) as e:
        a_share(account, other_account.id, external=False)
    assert e.value.response["Error"]["Code"] == "OperationNotPermittedException"
    outside = a_share(account, other_account.id, external=True)
    links = ram.get_resource_share_associations(
        associationType="PRINCIPAL", resourceShareArns=[outside["resourceShareArn"]]
    )["resourceShareAssociations"]
    assert [(a["status"], a["external"]) for a in links] == [("ASSOCIATING", True)]


def test_sharing_with_the_organization_must_be_enabled_by_its_management_account(account):
    account.client("organizations").create_organization(FeatureSet="ALL")
    member = member_of(account)
    # Not enabled yet: the member is treated as external.
    with pytest.raises(ClientError) as e:
        a_share(account, member.id, external=False)
    assert e.value.response["Error"]["Code"] == "OperationNotPermittedException"
    # Only the management account may enable it.
    with pytest.raises(ClientError) as e:
        member.client("ram").enable_sharing_with_aws_organization()
    assert e.value.response["Error"]["Code"] == "OperationNotPermittedException"
