"""Server-side EC2 rate limits: AWS's per-API token buckets ("Request throttling for the
Amazon EC2 API"), per account and region, at the account's time scale."""

import math
import time

from botocore.exceptions import ClientError
from conftest import airgap


# The buckets run at the account's time scale; at 10 they refill ten times slower than
# AWS's, so a machine slowed by a parallel build still empties them. Each count is checked
# against what refilled in the time the calls actually took, not against a fixed window.
SLOW = 10.0


def refilled(rate_per_second, since):
    """Tokens a bucket refilling at AWS's `rate_per_second` gained since `since`, at SLOW."""
    return math.ceil(rate_per_second * (time.monotonic() - since) / SLOW)


def throttled(account):
    _, cfg = airgap("GET", "/_airgap/config")
    return cfg["rate_limits"]["throttled"].get(account.id, {})


def test_a_mutating_api_gets_50_then_5_a_second(account, time_scale):
    time_scale(account, SLOW)
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    ok = 1  # CreateVpc took a token of its own bucket, not CreateSecurityGroup's
    refused = 0
    start = time.monotonic()
    for i in range(60):
        try:
            ec2.create_security_group(GroupName=f"g{i}", Description="d", VpcId=vpc)
            ok += 1
        except ClientError as e:
            assert e.response["Error"]["Code"] == "RequestLimitExceeded"
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 503
            refused += 1
    # 50 in the burst, plus what refilled at 5 a second while the calls ran.
    assert 1 + 50 <= ok <= 1 + 50 + refilled(5, start), ok
    assert refused == 60 - (ok - 1)
    assert throttled(account).get("CreateSecurityGroup") == refused
    # Another API has its own bucket.
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.90.0.0/24")
    time.sleep(0.5 * SLOW)  # 2.5 tokens
    ec2.create_security_group(GroupName="after", Description="d", VpcId=vpc)


def test_reads_have_the_larger_bucket_and_scale_follows_the_account(account, time_scale):
    time_scale(account, SLOW)
    ec2 = account.client("ec2")
    ok = refused = 0
    start = time.monotonic()
    for _ in range(200):
        try:
            ec2.describe_vpcs()
            ok += 1
        except ClientError as e:
            assert e.response["Error"]["Code"] == "RequestLimitExceeded"
            refused += 1
    # 100 in the burst, then 20 a second while the calls run.
    assert 100 <= ok <= 100 + refilled(20, start), (ok, refused)
    # At time scale 0.01 the bucket refills 100 times faster: 2,000 tokens a second.
    time_scale(account, 0.01)
    time.sleep(0.05)
    for _ in range(50):
        ec2.describe_vpcs()


def test_unfiltered_security_group_listing_has_the_small_bucket(account, time_scale):
    time_scale(account, SLOW)
    ec2 = account.client("ec2")
    refused = 0
    start = time.monotonic()
    for _ in range(60):
        try:
            ec2.describe_security_groups()
        except ClientError:
            refused += 1
    # 50 in the burst, refilled 10 a second.
    assert max(0, 10 - refilled(10, start)) <= refused <= 10, refused
    # Filtered, it is an ordinary read with a bucket of its own.
    for _ in range(20):
        ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["x"]}])


def test_buckets_can_run_at_real_time_under_a_fast_time_model(account, time_scale):
    time_scale(account, 0.01)
    status, _ = airgap("POST", "/_airgap/config", {"rate_scale": 1, "account": account.id})
    assert status == 200
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    refused = 0
    # 150 writes against a burst of 50 refilled 5 a second: refused unless the calls take
    # 20 s, which a loaded machine (a parallel build) can stretch 60 of them towards.
    for i in range(150):
        try:
            ec2.create_security_group(GroupName=f"g{i}", Description="d", VpcId=vpc)
        except ClientError:
            refused += 1
    assert refused >= 2, refused
    status, _ = airgap("POST", "/_airgap/config", {"rate_scale": 0.01, "account": account.id})
    assert status == 200
