"""Requests are checked against the service model (botocore's, pinned with LocalStack)
before a provider sees them, with the error AWS answers for the protocol. botocore's own
client-side validation is turned off here, so the request reaches the emulator as a
client that does not validate (the AWS SDK for Rust checks only required members) would
send it."""

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

RAW = Config(parameter_validation=False)


def code(exc):
    return exc.value.response["Error"]["Code"]


def test_ec2_missing_and_invalid_parameters(account):
    ec2 = account.client("ec2", config=RAW)
    with pytest.raises(ClientError) as e:
        ec2.create_route(DestinationCidrBlock="10.0.0.0/16")  # RouteTableId is required
    assert code(e) == "MissingParameter"
    assert "RouteTableId" in e.value.response["Error"]["Message"]
    ec2.describe_vpcs(MaxResults=1000)  # DescribeVpcsMaxResults: 5-1000
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs(MaxResults=1)
    assert code(e) == "InvalidParameterValue"


def test_json_protocols_refuse_lengths_patterns_and_enums(account):
    logs = account.client("logs", config=RAW)
    with pytest.raises(ClientError) as e:
        logs.create_log_group(logGroupName="x" * 513)  # LogGroupName: 1-512
    assert code(e) == "ValidationException"
    kms = account.client("kms", config=RAW)
    with pytest.raises(ClientError) as e:
        kms.create_key(KeyUsage="SIGN_EVERYTHING")  # KeyUsageType enum
    assert code(e) == "ValidationException"


def test_eks_answers_invalid_parameter(account):
    eks = account.client("eks", config=RAW)
    with pytest.raises(ClientError) as e:
        eks.create_cluster(name="-bad", roleArn="arn:aws:iam::1:role/x", resourcesVpcConfig={})
    assert code(e) == "InvalidParameterException"
    assert "name" in e.value.response["Error"]["Message"]


def test_counts_are_reported(account):
    import json
    import os
    import urllib.request

    url = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566") + "/_airgap/validation"
    before = json.load(urllib.request.urlopen(url))["validated"]
    account.client("ec2").describe_vpcs()
    after = json.load(urllib.request.urlopen(url))
    assert after["validated"] > before
