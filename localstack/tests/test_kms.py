"""KMS through LocalStack's provider, with the extension's Python 3.11 fix (compat.py)."""

import pytest
from botocore.exceptions import ClientError


def test_symmetric_key_tags_alias_and_deletion(account):
    kms = account.client("kms")
    key = kms.create_key(
        Description="EKS secrets", Tags=[{"TagKey": "airgap:env", "TagValue": "t"}]
    )["KeyMetadata"]
    assert key["KeySpec"] == "SYMMETRIC_DEFAULT" and key["KeyState"] == "Enabled"
    kid = key["KeyId"]
    tags = kms.list_resource_tags(KeyId=kid)["Tags"]
    assert tags == [{"TagKey": "airgap:env", "TagValue": "t"}]
    kms.create_alias(AliasName="alias/airgap/t/k", TargetKeyId=kid)
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/airgap/t/k"] == kid
    with pytest.raises(ClientError) as e:
        kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=6)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    kms.delete_alias(AliasName="alias/airgap/t/k")
    out = kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion"
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingDeletion"
