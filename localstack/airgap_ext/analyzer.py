"""Network Access Analyzer (EC2 ``*NetworkInsightsAccessScope*``), which neither moto nor
LocalStack's free edition has, for ``airgapctl verify --aws-analyzer``.

The API is AWS's (botocore ``ec2`` model: CreateNetworkInsightsAccessScope,
StartNetworkInsightsAccessScopeAnalysis, DescribeNetworkInsightsAccessScopeAnalyses,
GetNetworkInsightsAccessScopeAnalysisFindings, DeleteNetworkInsightsAccessScopeAnalysis,
DeleteNetworkInsightsAccessScope; ``ClientToken`` required on Create and Start). The
analysis is NOT AWS's: AWS's analyzer follows every path through the network; this one
answers with a small analysis of its own over the emulator's state, and says so in each
analysis' StatusMessage:

* sources: subnets named by id in a match path's ``Source`` resource statement
  (``AWS::EC2::Subnet`` ids); destinations: internet gateways (by type or id);
* a finding is a source subnet whose own route table (its association, else its VPC's
  main table) has a route to an internet gateway attached to that VPC: subnet -> route ->
  internet gateway. Paths through a transit gateway, a NAT gateway or a firewall endpoint
  are not followed (AWS follows them); exclude paths therefore never remove a finding
  here, since no path it reports passes through anything.

Rules of AWS it keeps: a resource statement holds resource ids or resource types, never
both (Network Access Analyzer guide, "Resource statements": "A single resource statement
can include either resource IDs or resource types, but not both"), refused with
InvalidParameterCombination (EC2 error codes: "an incorrect combination of parameters");
the client token makes Create and Start idempotent (EC2 API, "Ensuring idempotency"); an
unknown scope or analysis id is refused (the code follows EC2's
``Invalid<Resource>Id.NotFound`` pattern; the EC2 error code list has no entry of its own
for these ids, so the exact code is an assumption).
"""

import datetime
import threading
import uuid

from . import ec2_share
from .common import AwsError

_LOCK = threading.Lock()
# (account, region) -> {"scopes": {id: scope}, "analyses": {id: analysis}, "tokens": {}}
_STATE: dict = {}

NOTE = (
    "emulated analysis: a source subnet's own route table, direct routes to an internet "
    "gateway of its VPC only (paths through transit gateways, NAT gateways and firewalls "
    "are not followed)"
)


def _state(context):
    key = (context.account_id, context.region)
    with _LOCK:
        return _STATE.setdefault(key, {"scopes": {}, "analyses": {}, "tokens": {}})


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _check_statements(paths):
    for path in paths or []:
        statements = [path.get("Source"), path.get("Destination")]
        statements += path.get("ThroughResources") or []
        for st in statements:
            rs = (st or {}).get("ResourceStatement") or {}
            if rs.get("Resources") and rs.get("ResourceTypes"):
                raise AwsError(
                    "InvalidParameterCombination",
                    "A resource statement can include either resource IDs or resource "
                    "types, but not both.",
                )


def create_scope(context, request):
    _check_statements(request.get("MatchPaths"))
    _check_statements(request.get("ExcludePaths"))
    st = _state(context)
    token = request["ClientToken"]
    with _LOCK:
        known = st["tokens"].get(("scope", token))
        if known:
            return st["scopes"][known]["dto"]
        sid = "nis-" + uuid.uuid4().hex[:17]
        tags = []
        for spec in request.get("TagSpecifications") or []:
            tags += spec.get("Tags") or []
        now = _now()
        dto = {
            "NetworkInsightsAccessScope": {
                "NetworkInsightsAccessScopeId": sid,
                "NetworkInsightsAccessScopeArn": (
                    f"arn:aws:ec2:{context.region}:{context.account_id}"
                    f":network-insights-access-scope/{sid}"
                ),
                "CreatedDate": now,
                "UpdatedDate": now,
                "Tags": tags,
            },
            "NetworkInsightsAccessScopeContent": {
                "NetworkInsightsAccessScopeId": sid,
                "MatchPaths": request.get("MatchPaths") or [],
                "ExcludePaths": request.get("ExcludePaths") or [],
            },
        }
        st["scopes"][sid] = {"dto": dto, "request": request}
        st["tokens"][("scope", token)] = sid
        return dto


def _route_table_of(be, subnet):
    main = None
    for rt in be.route_tables.values():
        if rt.vpc_id != subnet.vpc_id:
            continue
        if subnet.id in rt.associations.values():
            return rt
        if rt.main_association_id is not None:
            main = rt
    return main


def _findings(context, scope_id, analysis_id, request):
    be = ec2_share.backend(context.account_id, context.region)
    findings = []
    enis = 0
    for path in request.get("MatchPaths") or []:
        src = ((path.get("Source") or {}).get("ResourceStatement") or {}).get("Resources") or []
        dst = (path.get("Destination") or {}).get("ResourceStatement") or {}
        wanted_types = dst.get("ResourceTypes") or []
        wanted_ids = dst.get("Resources") or []
        for sid in src:
            try:
                subnet = be.get_subnet(sid)
            except Exception:  # an id of another kind or account: nothing to follow here
                continue
            enis += len([e for e in be.enis.values() if e.subnet and e.subnet.id == sid])
            rt = _route_table_of(be, subnet)
            if rt is None:
                continue
            for route in rt.routes.values():
                gw = getattr(route.gateway, "id", None) or ""
                if not gw.startswith("igw-"):
                    continue
                igw = be.internet_gateways.get(gw)
                if igw is None or getattr(igw.vpc, "id", None) != subnet.vpc_id:
                    continue
                if wanted_ids and gw not in wanted_ids:
                    continue
                if not wanted_ids and "AWS::EC2::InternetGateway" not in wanted_types:
                    continue
                findings.append(
                    {
                        "NetworkInsightsAccessScopeAnalysisId": analysis_id,
                        "NetworkInsightsAccessScopeId": scope_id,
                        "FindingId": "AnalysisFinding-" + uuid.uuid4().hex[:8],
                        "FindingComponents": [
                            {
                                "SequenceNumber": 1,
                                "Component": {"Id": sid},
                                "Subnet": {"Id": sid},
                                "Vpc": {"Id": subnet.vpc_id},
                            },
                            {
                                "SequenceNumber": 2,
                                "Component": {"Id": rt.id},
                                "RouteTableRoute": {
                                    "DestinationCidr": route.destination_cidr_block,
                                    "GatewayId": gw,
                                    "State": "active",
                                },
                            },
                            {"SequenceNumber": 3, "Component": {"Id": gw}},
                        ],
                    }
                )
    return findings, enis


def start_analysis(context, request):
    st = _state(context)
    scope_id = request["NetworkInsightsAccessScopeId"]
    token = request["ClientToken"]
    with _LOCK:
        known = st["tokens"].get(("analysis", token))
        if known:
            return {"NetworkInsightsAccessScopeAnalysis": st["analyses"][known]["dto"]}
        scope = st["scopes"].get(scope_id)
    if scope is None:
        raise AwsError(
            "InvalidNetworkInsightsAccessScopeId.NotFound",
            f"The Network Access Scope '{scope_id}' does not exist.",
        )
    aid = "nisa-" + uuid.uuid4().hex[:17]
    findings, enis = _findings(context, scope_id, aid, scope["request"])
    now = _now()
    dto = {
        "NetworkInsightsAccessScopeAnalysisId": aid,
        "NetworkInsightsAccessScopeAnalysisArn": (
            f"arn:aws:ec2:{context.region}:{context.account_id}"
            f":network-insights-access-scope-analysis/{aid}"
        ),
        "NetworkInsightsAccessScopeId": scope_id,
        "Status": "succeeded",
        "StatusMessage": NOTE,
        "StartDate": now,
        "EndDate": now,
        "FindingsFound": "true" if findings else "false",
        "AnalyzedEniCount": enis,
        "Tags": [],
    }
    with _LOCK:
        st["analyses"][aid] = {"dto": dto, "findings": findings}
        st["tokens"][("analysis", token)] = aid
    return {"NetworkInsightsAccessScopeAnalysis": dto}


def describe_analyses(context, request):
    st = _state(context)
    ids = request.get("NetworkInsightsAccessScopeAnalysisIds") or []
    scope = request.get("NetworkInsightsAccessScopeId")
    with _LOCK:
        items = [
            a["dto"]
            for aid, a in st["analyses"].items()
            if (not ids or aid in ids)
            and (not scope or a["dto"]["NetworkInsightsAccessScopeId"] == scope)
        ]
    return {"NetworkInsightsAccessScopeAnalyses": items}


def _analysis(st, aid):
    a = st["analyses"].get(aid)
    if a is None:
        raise AwsError(
            "InvalidNetworkInsightsAccessScopeAnalysisId.NotFound",
            f"The Network Access Scope analysis '{aid}' does not exist.",
        )
    return a


def get_findings(context, request):
    st = _state(context)
    with _LOCK:
        a = _analysis(st, request["NetworkInsightsAccessScopeAnalysisId"])
        return {
            "NetworkInsightsAccessScopeAnalysisId": a["dto"]["NetworkInsightsAccessScopeAnalysisId"],
            "AnalysisStatus": a["dto"]["Status"],
            "AnalysisFindings": list(a["findings"]),
        }


def delete_analysis(context, request):
    st = _state(context)
    aid = request["NetworkInsightsAccessScopeAnalysisId"]
    with _LOCK:
        _analysis(st, aid)
        del st["analyses"][aid]
    return {"NetworkInsightsAccessScopeAnalysisId": aid}


def delete_scope(context, request):
    st = _state(context)
    sid = request["NetworkInsightsAccessScopeId"]
    with _LOCK:
        if sid not in st["scopes"]:
            raise AwsError(
                "InvalidNetworkInsightsAccessScopeId.NotFound",
                f"The Network Access Scope '{sid}' does not exist.",
            )
        del st["scopes"][sid]
    return {"NetworkInsightsAccessScopeId": sid}
