"""The AWS Price List Query API (``pricing``): GetProducts answered from a small fixture.

The free edition has no Price List service. ``airgapctl cost refresh-prices`` needs one
operation, GetProducts; this answers it from ``pricing_products.json`` (a few eu-central-1
products in the ``aws_v1`` format, and decoys), so the command can be tested end to end.
Every other operation of the model goes to moto, which has no pricing backend: not emulated.

Behaviours, each from the service model botocore ships (``data/pricing/2017-10-15/
service-2.json``, the Smithy model of the API reference's GetProducts page,
https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html):

* ``ServiceCode`` (required) selects the service's products.
* ``Filters``: "only products that match all filters are returned" (GetProductsRequest).
  ``Field`` is ``ServiceCode`` or an attribute name (Filter.Field); ``productFamily``, the
  product's family, is accepted as well, as API users filter by it (not stated in the model:
  its documentation names "ServiceCode, and all attribute names"). Types (FilterType):
  ``TERM_MATCH`` "match both the given filter field and the given value" and ``EQUALS``
  "exactly matching": equality; ``CONTAINS``: substring; ``ANY_OF`` / ``NONE_OF``: the value
  is "a comma-separated string" of values (Filter.Value). A product without the field
  matches no filter on it.
* ``MaxResults`` is 1..100 (BoxedInteger; the model check of validation.py refuses others);
  without it, 100 a page (not stated in the model). ``NextToken`` continues where the last
  page ended; one this emulator did not hand out is ``InvalidNextTokenException`` (an error
  of GetProducts in the model; its message here is ours).
* The answer: ``FormatVersion`` ``aws_v1`` ("Valid values are: aws_v1"), ``PriceList``: one
  JSON document per product, as a string (PriceListJsonItems, ``jsonvalue``).

Not emulated: every product but the fixture's, an unknown service code (AWS's answer is not
documented; here: no products), GetServices, GetAttributeValues, price list files.
"""

import json
import os

from .common import AwsError

FIXTURE = os.path.join(os.path.dirname(__file__), "pricing_products.json")
PAGE = 100
TOKEN_PREFIX = "airgap-pricing-"


def _products() -> list:
    with open(FIXTURE, encoding="utf-8") as f:
        return json.load(f)["products"]


def _field(product: dict, field: str):
    if field == "ServiceCode":
        return product.get("serviceCode")
    if field == "productFamily":
        return product.get("product", {}).get("productFamily")
    return product.get("product", {}).get("attributes", {}).get(field)


def _matches(product: dict, flt: dict) -> bool:
    value = _field(product, flt.get("Field", ""))
    if value is None:
        return False
    wanted = flt.get("Value", "")
    kind = flt.get("Type", "TERM_MATCH")
    if kind in ("TERM_MATCH", "EQUALS"):
        return value == wanted
    if kind == "CONTAINS":
        return wanted in value
    values = [v.strip() for v in wanted.split(",")]
    if kind == "ANY_OF":
        return value in values
    if kind == "NONE_OF":
        return value not in values
    return False


def get_products(context, request):
    service = request.get("ServiceCode")
    filters = request.get("Filters") or []
    found = [
        p
        for p in _products()
        if p.get("serviceCode") == service and all(_matches(p, f) for f in filters)
    ]
    start = 0
    token = request.get("NextToken")
    if token:
        try:
            if not token.startswith(TOKEN_PREFIX):
                raise ValueError(token)
            start = int(token[len(TOKEN_PREFIX) :])
        except ValueError:
            raise AwsError("InvalidNextTokenException", "The pagination token is invalid.")
    size = int(request.get("MaxResults") or PAGE)
    page = found[start : start + size]
    out = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(p) for p in page]}
    if start + size < len(found):
        out["NextToken"] = f"{TOKEN_PREFIX}{start + size}"
    return out


HANDLERS = {"GetProducts": get_products}
