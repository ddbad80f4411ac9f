"""ELBv2 (moto's load balancers, target groups and listeners) with AWS's rules where moto
differs: the handlers of the ``elbv2:default`` provider (plugins.py); every other operation
goes to moto.

What moto (moto-ext 5.1.54) did, and what is done here instead:

* A second CreateLoadBalancer with a name in use made a second load balancer of that name
  (moto compared ARNs, which hold a random id); a second CreateListener on a port in use
  made a second listener (moto looked the port up among listener ARNs). AWS: "This
  operation is idempotent ... If you attempt to create multiple load balancers [target
  groups, listeners] with the same settings, each call succeeds" (botocore ``elbv2``
  2015-12-01, CreateLoadBalancer / CreateTargetGroup / CreateListener); other settings
  under the name or port are DuplicateLoadBalancerName ("A load balancer with the specified
  name already exists."), DuplicateTargetGroupName, DuplicateListener ("A listener with the
  specified port already exists."), each HTTP 400 in the model. moto refused any second
  target group of a name, even with the same settings.
* Load balancer names were not checked (target group names were, by moto): botocore
  CreateLoadBalancerInput.Name "can have a maximum of 32 characters, must contain only
  alphanumeric characters or hyphens, must not begin or end with a hyphen, and must not
  begin with "internal-"".
* A network (gateway) load balancer's ARN read ``loadbalancer/app/...``; AWS's read
  ``loadbalancer/net/...`` (``gwy/``), as every recorded one does (e.g. the ARNs in
  hashicorp/terraform#18753 and aws/aws-sdk-go-v2#2254).
* moto's load balancer turned ``active`` at the first Describe; here it is
  ``provisioning`` for the time model's duration (botocore LoadBalancerStateEnum:
  active, provisioning, active_impaired, failed).
* DeleteLoadBalancer removed a load balancer an endpoint service used; AWS refuses:
  ``ResourceInUse``, "Load balancer '<arn>' cannot be deleted because it is currently
  associated with another service" (HTTP 400; recorded in hashicorp/terraform#18753,
  kubernetes-sigs/aws-load-balancer-controller#4472, cloud-custodian/cloud-custodian#9921 -
  the last one for a VPC endpoint service).
* A deleted load balancer or listener stayed in its target groups' ``LoadBalancerArns``;
  AWS: "Deleting a load balancer also deletes its listeners" (botocore DeleteLoadBalancer),
  and a target group is the load balancer's through a listener's action.

docs/emulator-fidelity.md ("ELBv2: network load balancers") lists the same with the tests.
"""

import copy
import json
import re

from localstack.services.moto import call_moto
from moto.elbv2.models import elbv2_backends

from . import ec2_share, timing
from .common import LOCK, AwsError


def _backend(context):
    return elbv2_backends[context.account_id][context.region]


def _norm(value):
    """A request's settings, comparable: lists of strings as sets, lists of objects in a
    canonical order."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_norm(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    return value


def _settings(request, defaults) -> dict:
    """The settings a create compares: the request without its name and tags (tags are not
    compared: an assumption; botocore speaks of "the same settings"), with the documented
    defaults filled in so that leaving one out equals giving it."""
    out = {k: v for k, v in request.items() if k not in ("Name", "Tags")}
    for k, v in defaults.items():
        out.setdefault(k, v)
    return _norm(out)


# ---- load balancers ------------------------------------------------------------------
_LB_NAME = re.compile(r"^[A-Za-z0-9-]+$")


def _check_lb_name(name: str):
    """botocore CreateLoadBalancerInput.Name (the rules, quoted in the module docstring).
    AWS's refusal of a long name: "The load balancer name '<name>' cannot be longer than
    '32' characters" (HTTP 400, recorded in aws-cloudformation/cfn-lint#3259), code
    ValidationError ("LoadBalancer name cannot be longer than 32 characters ... Error Code:
    ValidationError", libertymutual/herman#88). The messages of the other three rules are
    ours; their code is assumed the same."""
    if len(name) > 32:
        raise AwsError(
            "ValidationError",
            f"The load balancer name '{name}' cannot be longer than '32' characters",
        )
    if not _LB_NAME.match(name):
        raise AwsError(
            "ValidationError",
            f"The load balancer name '{name}' can only contain characters that are alphanumeric "
            "characters or hyphens(-)",
        )
    if name.startswith("-") or name.endswith("-"):
        raise AwsError(
            "ValidationError", f"The load balancer name '{name}' cannot begin or end with '-'"
        )
    if name.startswith("internal-"):
        raise AwsError(
            "ValidationError", f"The load balancer name '{name}' cannot begin with 'internal-'"
        )


LB_DEFAULTS = {"Type": "application", "Scheme": "internet-facing", "IpAddressType": "ipv4"}
# botocore LoadBalancer ARNs: application "app/", network "net/", gateway "gwy/"
_ARN_KIND = {"network": "net", "gateway": "gwy"}


def _reindex(be, lb, new_arn):
    """moto names every load balancer ``loadbalancer/app/...``; give a network or gateway
    one AWS's ARN (its tags and index follow)."""
    old = lb.arn
    tags = be.tagging_service.list_tags_for_resource(old).get("Tags", [])
    be.load_balancers.pop(old, None)
    lb.arn = new_arn
    be.load_balancers[new_arn] = lb
    if tags:
        be.tagging_service.tag_resource(new_arn, tags)
    be.tagging_service.delete_all_tags_for_resource(old)


def _hold_provisioning(lb):
    """moto turns a load balancer active at any Describe (``activate``); keep it
    provisioning until the time model says otherwise."""
    lb.state = "provisioning"
    lb.activate = lambda: None

    def active():
        with LOCK:
            lb.__dict__.pop("activate", None)
            if lb.state == "provisioning":
                lb.state = "active"

    timing.after("load-balancer", "create", active)


def create_load_balancer(context, request):
    name = request["Name"]
    _check_lb_name(name)
    be = _backend(context)
    settings = _settings(request, LB_DEFAULTS)
    with LOCK:
        existing = next((lb for lb in be.load_balancers.values() if lb.name == name), None)
        if existing is not None:
            if getattr(existing, "_airgap_settings", None) != settings:
                raise AwsError(
                    "DuplicateLoadBalancerName",
                    "A load balancer with the specified name already exists.",
                )
            out = copy.deepcopy(existing._airgap_created)
            out["State"] = {"Code": existing.state}
            return {"LoadBalancers": [out]}
        result = call_moto(context)
        item = result["LoadBalancers"][0]
        lb = be.load_balancers[item["LoadBalancerArn"]]
        kind = _ARN_KIND.get(request.get("Type") or "application")
        if kind:
            _reindex(be, lb, lb.arn.replace(":loadbalancer/app/", f":loadbalancer/{kind}/", 1))
            item["LoadBalancerArn"] = lb.arn
        lb._airgap_settings = settings
        if timing.delay("load-balancer", "create") > 0:
            _hold_provisioning(lb)
        else:
            lb.state = "active"
        item["State"] = {"Code": lb.state}
        lb._airgap_created = copy.deepcopy(item)
        return result


def _used_by_endpoint_service(context, lb_arn):
    be = ec2_share.backend(context.account_id, context.region)
    for cfg in list(getattr(be, "configurations", {}).values()):
        if lb_arn in (cfg.network_load_balancer_arns or []) or lb_arn in (
            cfg.gateway_load_balancer_arns or []
        ):
            return cfg
    return None


def _drop_from_target_groups(be, lb_arn):
    """A target group lists the load balancers whose listeners route to it."""
    lb = be.load_balancers.get(lb_arn)
    routed = set()
    if lb is not None:
        for listener in lb.listeners.values():
            for rule in listener.rules.values():
                for action in rule.actions:
                    routed.update(be._get_target_group_arns_from(action_data=action.data))
    for tg_arn, tg in be.target_groups.items():
        if lb_arn in tg.load_balancer_arns and tg_arn not in routed:
            tg.load_balancer_arns = [a for a in tg.load_balancer_arns if a != lb_arn]


def delete_load_balancer(context, request):
    arn = request["LoadBalancerArn"]
    be = _backend(context)
    with LOCK:
        cfg = _used_by_endpoint_service(context, arn)
        if cfg is not None and arn in be.load_balancers:
            raise AwsError(
                "ResourceInUse",
                f"Load balancer '{arn}' cannot be deleted because it is currently associated "
                "with another service",
            )
        result = call_moto(context)
        # botocore DeleteLoadBalancer: "Deleting a load balancer also deletes its listeners"
        # (and "If the load balancer does not exist or has already been deleted, the call
        # succeeds", as moto answers)
        _drop_from_target_groups(be, arn)
        return result


# ---- target groups ---------------------------------------------------------------------
TG_DEFAULTS = {"TargetType": "instance", "IpAddressType": "ipv4"}


def create_target_group(context, request):
    be = _backend(context)
    settings = _settings(request, TG_DEFAULTS)
    with LOCK:
        existing = next(
            (tg for tg in be.target_groups.values() if tg.name == request["Name"]), None
        )
        if existing is not None:
            if getattr(existing, "_airgap_settings", None) != settings:
                raise AwsError(
                    "DuplicateTargetGroupName",
                    "A target group with the specified name already exists.",
                )
            out = copy.deepcopy(existing._airgap_created)
            out["LoadBalancerArns"] = list(existing.load_balancer_arns)
            return {"TargetGroups": [out]}
        result = call_moto(context)
        item = result["TargetGroups"][0]
        tg = be.target_groups[item["TargetGroupArn"]]
        tg._airgap_settings = settings
        tg._airgap_created = copy.deepcopy(item)
        return result


# ---- listeners -------------------------------------------------------------------------
def create_listener(context, request):
    be = _backend(context)
    settings = _settings(request, {})
    with LOCK:
        lb = be.load_balancers.get(request["LoadBalancerArn"])
        existing = None
        if lb is not None:
            existing = next(
                (
                    li
                    for li in lb.listeners.values()
                    if str(li.port) == str(request.get("Port"))
                ),
                None,
            )
        if existing is not None:
            if getattr(existing, "_airgap_settings", None) != settings:
                raise AwsError(
                    "DuplicateListener", "A listener with the specified port already exists."
                )
            return {"Listeners": [copy.deepcopy(existing._airgap_created)]}
        result = call_moto(context)
        item = result["Listeners"][0]
        listener = lb.listeners[item["ListenerArn"]]
        listener._airgap_settings = settings
        listener._airgap_created = copy.deepcopy(item)
        return result


def delete_listener(context, request):
    be = _backend(context)
    with LOCK:
        lb_arn = next(
            (
                lb.arn
                for lb in be.load_balancers.values()
                if request["ListenerArn"] in lb.listeners
            ),
            None,
        )
        result = call_moto(context)
        if lb_arn is not None:
            _drop_from_target_groups(be, lb_arn)
        return result


HANDLERS = {
    "CreateLoadBalancer": create_load_balancer,
    "DeleteLoadBalancer": delete_load_balancer,
    "CreateTargetGroup": create_target_group,
    "CreateListener": create_listener,
    "DeleteListener": delete_listener,
}
