"""DynamoDB: moto's tables and items, with CreateTable's CREATING state on the time model.

botocore dynamodb CreateTable: "CreateTable is an asynchronous operation. Upon receiving a
CreateTable request, DynamoDB immediately returns a response with a TableStatus of CREATING.
After the table is created, DynamoDB sets the TableStatus to ACTIVE. You can perform read and
write operations only on an ACTIVE table." moto makes a table ACTIVE at once; here the table is
CREATING for the `dynamodb-table` create duration of timing.py (at scale 0 the call answers
CREATING and the next read sees ACTIVE, as for EKS and Network Firewall). While it is CREATING:

* DescribeTable answers TableStatus CREATING;
* item calls (GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan) answer
  ResourceNotFoundException: botocore ResourceNotFoundException, "The operation tried to access
  a nonexistent table or index. The resource might not be specified correctly, or its status
  might not be ACTIVE" (the message is moto's for a missing table);
* DeleteTable answers ResourceInUseException: botocore ResourceInUseException, "For example:
  ... You tried to delete a table currently in the CREATING state".

Every other operation is moto's. Batch and transaction calls do not see the CREATING state.
"""

from . import timing
from .common import LOCK, AwsError

# (account, region, table name) of the tables still CREATING
CREATING: set[tuple[str, str, str]] = set()


def _call_moto(ctx):
    from localstack.services.moto import call_moto

    return call_moto(ctx)


def _key(ctx, req):
    name = req.get("TableName") or ""
    if name.startswith("arn:"):  # TableName takes a table ARN too (botocore TableArn)
        name = name.split(":table/", 1)[-1]
    return (ctx.account_id, ctx.region, name)


def create_table(ctx, req):
    out = _call_moto(ctx)
    key = _key(ctx, req)
    with LOCK:
        CREATING.add(key)
    out["TableDescription"]["TableStatus"] = "CREATING"

    def active():
        with LOCK:
            CREATING.discard(key)

    timing.after("dynamodb-table", "create", active)
    return out


def describe_table(ctx, req):
    out = _call_moto(ctx)
    with LOCK:
        creating = _key(ctx, req) in CREATING
    if creating:
        out["Table"]["TableStatus"] = "CREATING"
    return out


def _not_while_creating(code="ResourceNotFoundException", message="Requested resource not found"):
    """An operation refused while its table is CREATING (the messages are moto's for a missing
    table and ours for DeleteTable)."""

    def op(ctx, req):
        with LOCK:
            creating = _key(ctx, req) in CREATING
        if creating:
            raise AwsError(code, message.format(name=_key(ctx, req)[2]))
        return _call_moto(ctx)

    return op


HANDLERS = {
    "CreateTable": create_table,
    "DescribeTable": describe_table,
    "DeleteTable": _not_while_creating(
        code="ResourceInUseException", message="Table is being created: {name}"
    ),
    **{
        op: _not_while_creating()
        for op in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan")
    },
}
