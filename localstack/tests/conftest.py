"""Fixtures for the airgap extension tests: run against a LocalStack started by localstack/start.

Every test gets fresh random account ids (LocalStack uses a 12-digit access key id as the
account id), so tests can run in parallel and repeatedly against the same LocalStack.
"""

import json
import os
import random
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566").rstrip("/")
REGION = "us-east-1"
CONFIG = Config(
    retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=30, connect_timeout=5
)


def new_account() -> str:
    return str(random.randint(100000000000, 999999999999))


class Account:
    def __init__(self, account_id: str):
        self.id = account_id

    def client(self, service: str, region: str = REGION, retries: int = 1, config=None):
        cfg = CONFIG.merge(Config(retries={"total_max_attempts": retries, "mode": "standard"}))
        if config is not None:
            cfg = cfg.merge(config)
        return boto3.client(
            service,
            endpoint_url=ENDPOINT,
            region_name=region,
            aws_access_key_id=self.id,
            aws_secret_access_key="test",
            config=cfg,
        )


def _fresh_account() -> Account:
    """A new random account whose time scale is 0, whatever LocalStack was started with."""
    acct = Account(new_account())
    status, _ = airgap("POST", "/_airgap/config", {"time_scale": 0, "account": acct.id})
    assert status == 200, "LocalStack without the airgap extension?"
    return acct


@pytest.fixture
def account():
    return _fresh_account()


@pytest.fixture
def other_account():
    return _fresh_account()


def airgap(method: str, path: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        ENDPOINT + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def make_network(ec2, cidr="10.0.0.0/16", azs=("us-east-1a", "us-east-1b")):
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    base = cidr.split(".")
    subnets = []
    for i, az in enumerate(azs):
        block = f"{base[0]}.{base[1]}.{i}.0/24"
        subnets.append(
            ec2.create_subnet(VpcId=vpc, CidrBlock=block, AvailabilityZone=az)["Subnet"]["SubnetId"]
        )
    return vpc, subnets


def wait_for(fn, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last={last!r})")


@pytest.fixture
def time_scale():
    """Set a time scale for one account only: time_scale(account, 0.001)."""
    used = []

    def set_(acct, scale):
        used.append(acct.id)
        status, _ = airgap("POST", "/_airgap/config", {"time_scale": scale, "account": acct.id})
        assert status == 200

    yield set_
    for a in used:
        airgap("POST", "/_airgap/config", {"time_scale": 0, "account": a})
