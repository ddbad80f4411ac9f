"""Helpers shared by the service modules: errors, per-account/region stores, small utilities."""

import copy
import datetime
import threading
import uuid
from collections import defaultdict

from localstack.aws.api import CommonServiceException

# one lock for all our in-memory stores: requests are short, contention is irrelevant here
LOCK = threading.RLock()


class AwsError(CommonServiceException):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(code, message, status_code=status, sender_fault=status < 500)


def as_list(v) -> list:
    """A policy element that may be one value or a list of them, as a list."""
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def statements_allow(statements, applies) -> bool:
    """IAM's evaluation of one policy's statements for a request: allowed when a statement
    that `applies` to it Allows it and none that applies Denies it ("an explicit deny in any
    policy overrides any allows": IAM user guide, "Policy evaluation logic")."""
    allowed = False
    for st in as_list(statements):
        if not isinstance(st, dict) or not applies(st):
            continue
        if st.get("Effect") == "Deny":
            return False
        if st.get("Effect") == "Allow":
            allowed = True
    return allowed


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def new_uuid() -> str:
    return str(uuid.uuid4())


class Stores:
    """``Stores(factory)[account][region]`` -> a lazily created store object."""

    def __init__(self, factory):
        self._factory = factory
        self._data = defaultdict(dict)

    def get(self, account: str, region: str):
        with LOCK:
            by_region = self._data[account]
            if region not in by_region:
                by_region[region] = self._factory()
            return by_region[region]

    def items(self):
        with LOCK:
            for account, by_region in list(self._data.items()):
                for region, store in list(by_region.items()):
                    yield account, region, store

    def reset(self):
        with LOCK:
            self._data.clear()


def tags_to_list(tags: dict, key="Key", value="Value") -> list:
    return [{key: k, value: v} for k, v in tags.items()]


def tags_from_list(items, key="Key", value="Value") -> dict:
    return {t[key]: t.get(value, "") for t in items or []}


def parse_arn(arn: str) -> dict:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(arn)
    return {
        "partition": parts[1],
        "service": parts[2],
        "region": parts[3],
        "account": parts[4],
        "resource": parts[5],
    }


def once_per_token(store: dict, lock, key: tuple, params: dict, make, mismatch):
    """A create with a client token, as AWS's services document it (EC2's ClientToken, RAM's
    clientToken; each caller cites its own): the first call with a token runs `make` and
    records its parameters and answer under `key`; a repeat with the same parameters answers
    that record and does nothing again; other parameters raise `mismatch()`. A failed call
    records nothing. `make` runs under `lock`, so a repeat racing the first one waits for it."""
    with lock:
        seen = store.get(key)
        if seen is None:
            out = make()
            store[key] = (copy.deepcopy(params), copy.deepcopy(out))
            return out
    if seen[0] != params:
        raise mismatch()
    return copy.deepcopy(seen[1])
