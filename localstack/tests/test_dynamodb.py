"""DynamoDB through moto (dynamodb:airgap): what airgapctl's lock table relies on."""

import time

import pytest
from botocore.exceptions import ClientError

TABLE = "airgapctl-locks"


def _create(ddb):
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "env", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "env", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _put(ddb, env, token, expires_at, now):
    ddb.put_item(
        TableName=TABLE,
        Item={"env": {"S": env}, "token": {"S": token}, "expires_at": {"N": str(expires_at)}},
        ConditionExpression="attribute_not_exists(#env) OR #exp < :now",
        ExpressionAttributeNames={"#env": "env", "#exp": "expires_at"},
        ExpressionAttributeValues={":now": {"N": str(now)}},
    )


def test_tables_are_per_account_and_created_once(account, other_account):
    ddb = account.client("dynamodb")
    _create(ddb)
    assert ddb.describe_table(TableName=TABLE)["Table"]["TableStatus"] == "ACTIVE"
    with pytest.raises(ClientError) as e:
        _create(ddb)
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    with pytest.raises(ClientError) as e:
        other_account.client("dynamodb").describe_table(TableName=TABLE)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_conditional_writes_make_a_lease(account):
    ddb = account.client("dynamodb")
    _create(ddb)
    now = int(time.time() * 1000)
    _put(ddb, "demo", "a", now + 60_000, now)
    # held: a second holder is refused until the lease expired
    with pytest.raises(ClientError) as e:
        _put(ddb, "demo", "b", now + 60_000, now)
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    _put(ddb, "demo", "b", now + 180_000, now + 120_000)
    # renew and release only with the holder's token
    renew = dict(
        TableName=TABLE,
        Key={"env": {"S": "demo"}},
        UpdateExpression="SET #exp = :exp",
        ConditionExpression="#token = :token",
        ExpressionAttributeNames={"#exp": "expires_at", "#token": "token"},
    )
    with pytest.raises(ClientError) as e:
        ddb.update_item(
            **renew, ExpressionAttributeValues={":exp": {"N": "1"}, ":token": {"S": "a"}}
        )
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    ddb.update_item(**renew, ExpressionAttributeValues={":exp": {"N": "2"}, ":token": {"S": "b"}})
    item = ddb.get_item(TableName=TABLE, Key={"env": {"S": "demo"}}, ConsistentRead=True)["Item"]
    assert item["expires_at"] == {"N": "2"}
    ddb.delete_item(
        TableName=TABLE,
        Key={"env": {"S": "demo"}},
        ConditionExpression="#token = :token",
        ExpressionAttributeNames={"#token": "token"},
        ExpressionAttributeValues={":token": {"S": "b"}},
    )
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"env": {"S": "demo"}})


def test_conditions_on_a_missing_item_or_table(account):
    """What the lease's renew and release meet once the item is gone (released, or removed by
    `airgapctl unlock`): DynamoDB developer guide, "Condition expressions": "If the condition
    expression evaluates to true, the operation succeeds; otherwise, the operation fails";
    botocore dynamodb UpdateItem: "Edits an existing item's attributes, or adds a new item to
    the table if it does not already exist" (only without a failing condition);
    ConditionalCheckFailedException: "A condition specified in the operation failed to be
    evaluated". A read of a table that does not exist: ResourceNotFoundException (botocore
    GetItem errors)."""
    ddb = account.client("dynamodb")
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=TABLE, Key={"env": {"S": "demo"}}, ConsistentRead=True)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    _create(ddb)
    key = {"env": {"S": "demo"}}
    with pytest.raises(ClientError) as e:
        ddb.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET #exp = :exp",
            ConditionExpression="#token = :token",
            ExpressionAttributeNames={"#exp": "expires_at", "#token": "token"},
            ExpressionAttributeValues={":exp": {"N": "1"}, ":token": {"S": "a"}},
        )
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    # the failed update made no item
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)
    with pytest.raises(ClientError) as e:
        ddb.delete_item(
            TableName=TABLE,
            Key=key,
            ConditionExpression="#token = :token",
            ExpressionAttributeNames={"#token": "token"},
            ExpressionAttributeValues={":token": {"S": "a"}},
        )
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_a_new_table_is_creating_for_a_while(account, time_scale):
    """botocore CreateTable: "DynamoDB immediately returns a response with a TableStatus of
    CREATING ... You can perform read and write operations only on an ACTIVE table";
    ResourceNotFoundException: "... or its status might not be ACTIVE"; ResourceInUseException:
    "You tried to delete a table currently in the CREATING state". What LockTable::ensure
    waits out before its first PutItem."""
    ddb = account.client("dynamodb")
    time_scale(account, 0.3)  # the table's 10 s CREATING -> 3 s
    _create(ddb)
    assert ddb.describe_table(TableName=TABLE)["Table"]["TableStatus"] == "CREATING"
    with pytest.raises(ClientError) as e:
        _put(ddb, "demo", "a", 2, 1)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=TABLE, Key={"env": {"S": "demo"}}, ConsistentRead=True)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        ddb.delete_table(TableName=TABLE)
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    ddb.get_waiter("table_exists").wait(TableName=TABLE, WaiterConfig={"Delay": 1})
    assert ddb.describe_table(TableName=TABLE)["Table"]["TableStatus"] == "ACTIVE"
    _put(ddb, "demo", "a", 2, 1)
