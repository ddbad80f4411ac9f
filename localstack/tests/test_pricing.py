"""The Price List Query API's GetProducts from the fixture (airgap_ext/pricing.py): filters,
pages and the answer's shape, as the service model describes them."""

import json

import pytest
from botocore.exceptions import ClientError


def _products(pricing, **kwargs):
    out = pricing.get_products(**kwargs)
    assert out["FormatVersion"] == "aws_v1"
    return out, [json.loads(p) for p in out["PriceList"]]


def _tm(field, value, kind="TERM_MATCH"):
    return {"Type": kind, "Field": field, "Value": value}


def test_filters_select_products_by_service_family_and_attributes(account):
    pricing = account.client("pricing")
    _, nat = _products(
        pricing,
        ServiceCode="AmazonEC2",
        Filters=[_tm("regionCode", "eu-central-1"), _tm("productFamily", "NAT Gateway")],
    )
    # The region's hours and bytes, not us-east-1's gateway.
    assert sorted(p["product"]["attributes"]["usagetype"] for p in nat) == [
        "EUC1-NatGateway-Bytes",
        "EUC1-NatGateway-Hours",
    ]
    hours = next(p for p in nat if p["product"]["attributes"]["usagetype"].endswith("Hours"))
    dims = next(iter(hours["terms"]["OnDemand"].values()))["priceDimensions"]
    assert [d["pricePerUnit"]["USD"] for d in dims.values()] == ["0.0520000000"]

    # Every filter must match; a field the product lacks matches nothing.
    _, none = _products(
        pricing, ServiceCode="AmazonEC2", Filters=[_tm("productFamily", "NAT Gateway"), _tm("volumeType", "gp3")]
    )
    assert none == []
    # The service code selects too.
    _, other = _products(pricing, ServiceCode="AmazonVPC", Filters=[_tm("productFamily", "NAT Gateway")])
    assert other == []

    # ANY_OF and NONE_OF take comma-separated values; CONTAINS a substring.
    _, linux = _products(
        pricing,
        ServiceCode="AmazonEC2",
        Filters=[
            _tm("instanceType", "m6i.large, c6i.xlarge", "ANY_OF"),
            _tm("tenancy", "Dedicated", "NONE_OF"),
            _tm("operatingSystem", "Lin", "CONTAINS"),
        ],
    )
    assert sorted(p["product"]["attributes"]["instanceType"] for p in linux) == ["c6i.xlarge", "m6i.large"]


def test_pages_follow_next_token(account):
    pricing = account.client("pricing")
    seen = []
    token = None
    pages = 0
    while True:
        kwargs = {"ServiceCode": "AmazonEC2", "MaxResults": 3}
        if token:
            kwargs["NextToken"] = token
        out, page = _products(pricing, **kwargs)
        assert len(page) <= 3
        seen += [p["product"]["sku"] for p in page]
        pages += 1
        token = out.get("NextToken")
        if not token:
            break
    _, whole = _products(pricing, ServiceCode="AmazonEC2")
    assert seen == [p["product"]["sku"] for p in whole] and pages > 1

    with pytest.raises(ClientError) as e:
        pricing.get_products(ServiceCode="AmazonEC2", NextToken="not-ours")
    assert e.value.response["Error"]["Code"] == "InvalidNextTokenException"
    # MaxResults is 1..100 in the model: refused before the handler.
    with pytest.raises(ClientError) as e:
        pricing.get_products(ServiceCode="AmazonEC2", MaxResults=101)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
