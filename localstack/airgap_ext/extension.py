"""Gateway wiring: /_airgap/faults, /_airgap/config, /_airgap/calls and /_airgap/iam/* routes,
ECR's registry (/_airgap/ecr/<account>/<region>/v2/..., and /v2/... on a
<account>.dkr.ecr.<region>.* host: ecr_registry.py) plus the request handlers (IAM record and enforcement, validation, STS trust, rate limits,
faults).

``install()`` is called from the on_infra_start hook (community edition). ``AirgapExtension``
offers the same through the Extension API for LocalStack editions that load extensions.
"""

import json
import logging

from localstack.http import Request, Response

from . import compat, ecr_registry, faults, iam, ratelimit, sts, timing, validation

LOG = logging.getLogger(__name__)
_installed = False

# What this version of the extension can do, listed by GET /_airgap/config, so a test can
# tell a LocalStack started with an older extension (restart it) from a failure.
FEATURES = [
    "network-firewall-vpc-endpoints",
    "network-firewall-endpoint-interfaces",
    "model-validation",
    "ec2-rate-limits",
    "fault-seeds",
    "sts-trust",
    "iam-calls",
    "iam-check",
    "iam-lint",
    "iam-enforce",
    "client-vpn",
    "vpc-endpoint-connections",
    "route53resolver-endpoints",
    "elbv2-rules",
    "ecr-registry",
]


def _json(data, status=200):
    return Response(json.dumps(data, default=str), status=status, mimetype="application/json")


def faults_endpoint(request: Request, **kwargs):
    if request.method == "GET":
        return _json({"rules": faults.list_rules()})
    if request.method == "DELETE":
        return _json({"deleted": faults.clear()})
    try:
        data = json.loads(request.get_data() or b"{}")
        rules = data if isinstance(data, list) else [data]
        added = [faults.add_rule(r) for r in rules]
    except (ValueError, TypeError) as e:
        return _json({"error": str(e)}, 400)
    return _json(added[0] if len(added) == 1 else {"rules": added}, 201)


def fault_endpoint(request: Request, rule_id: str, **kwargs):
    if faults.clear(rule_id):
        return _json({"deleted": 1})
    return _json({"error": f"no rule {rule_id}"}, 404)


def config_endpoint(request: Request, **kwargs):
    if request.method == "POST":
        try:
            data = json.loads(request.get_data() or b"{}")
            if "time_scale" in data:
                timing.set_scale(float(data["time_scale"]), data.get("account"))
            if "rate_limits" in data:
                ratelimit.set_enabled(bool(data["rate_limits"]))
            if "rate_scale" in data:
                if not data.get("account"):
                    raise ValueError("rate_scale needs an account")
                ratelimit.set_rate_scale(data["account"], float(data["rate_scale"]))
            if "iam_enforce" in data:
                if not data.get("account"):
                    raise ValueError("iam_enforce needs an account")
                if not isinstance(data["iam_enforce"], bool):
                    raise ValueError("iam_enforce must be true or false")
                iam.set_enforce(data["account"], data["iam_enforce"])
        except (ValueError, TypeError) as e:
            return _json({"error": str(e)}, 400)
    return _json(
        {
            "time_scale": timing.global_scale(),
            "account_time_scales": dict(timing.ACCOUNT_SCALES),
            "durations": {f"{k}:{p}": v for (k, p), v in timing.DURATIONS.items()},
            "features": FEATURES,
            "rate_limits": ratelimit.report(),
            "iam_enforce": iam.enforced_accounts(),
        }
    )


def validation_endpoint(request: Request, **kwargs):
    return _json(validation.report())


def _body(request):
    data = json.loads(request.get_data() or b"{}")
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def calls_endpoint(request: Request, **kwargs):
    account = request.args.get("account")
    if not account:
        return _json({"error": "account is required (?account=ID)"}, 400)
    if request.method == "DELETE":
        return _json({"account": account, "deleted": iam.clear_calls(account)})
    return _json(iam.calls_of(account))


def _policies(data):
    policies = data.get("policies")
    if not isinstance(policies, list) or not policies:
        raise ValueError("policies must be a non-empty list of policy documents")
    return policies


def iam_check_endpoint(request: Request, **kwargs):
    try:
        data = _body(request)
        if not data.get("account"):
            raise ValueError("account is required")
        principal = data.get("principal")
        if principal is not None and not isinstance(principal, str):
            raise ValueError("principal must be a string")
        return _json(iam.check(str(data["account"]), _policies(data), principal))
    except (ValueError, TypeError) as e:
        return _json({"error": str(e)}, 400)


def iam_lint_endpoint(request: Request, **kwargs):
    try:
        data = _body(request)
        return _json(iam.lint(_policies(data)))
    except (ValueError, TypeError) as e:
        return _json({"error": str(e)}, 400)
    except ImportError as e:
        return _json({"error": f"the lint needs policy-sentry and parliament: {e}"}, 501)


def set_account(chain, context, response):
    timing.set_current_account(context.account_id)


def add_routes(router):
    router.add("/_airgap/faults", faults_endpoint, methods=["GET", "POST", "DELETE"])
    router.add("/_airgap/faults/<rule_id>", fault_endpoint, methods=["DELETE"])
    router.add("/_airgap/config", config_endpoint, methods=["GET", "POST"])
    router.add("/_airgap/validation", validation_endpoint, methods=["GET"])
    router.add("/_airgap/calls", calls_endpoint, methods=["GET", "DELETE"])
    router.add("/_airgap/iam/check", iam_check_endpoint, methods=["POST"])
    router.add("/_airgap/iam/lint", iam_lint_endpoint, methods=["POST"])
    ecr_registry.add_routes(router)


def _patch_twisted():
    try:
        from rolo.serving import twisted as rolo_twisted
    except ImportError:
        return
    original = rolo_twisted.update_wsgi_environment
    if getattr(original, "_airgap", False):
        return

    def update_wsgi_environment(environ, request):
        original(environ, request)
        environ["airgap.twisted_request"] = request

    update_wsgi_environment._airgap = True
    rolo_twisted.update_wsgi_environment = update_wsgi_environment


def _patch_listen_interface():
    """LocalStack 4.13's twisted server ignores the host of GATEWAY_LISTEN for IPv4 and binds
    0.0.0.0; make it bind the configured interface (127.0.0.1 with localstack/start)."""
    try:
        from localstack.runtime.server import twisted as ls_twisted
        from twisted.internet import endpoints
    except ImportError:
        return
    if getattr(ls_twisted.endpoints, "_airgap", False):
        return
    from localstack import config

    hosts = {hp.port: hp.host for hp in config.GATEWAY_LISTEN}

    class _Endpoints:
        _airgap = True
        TCP6ServerEndpoint = endpoints.TCP6ServerEndpoint

        @staticmethod
        def TCP4ServerEndpoint(reactor, port, *args, **kwargs):
            host = hosts.get(port)
            if host and "interface" not in kwargs:
                kwargs["interface"] = host
            return endpoints.TCP4ServerEndpoint(reactor, port, *args, **kwargs)

    ls_twisted.endpoints = _Endpoints


def install():
    global _installed
    if _installed:
        return
    _installed = True
    from localstack.aws import handlers
    from localstack.services.edge import ROUTER

    add_routes(ROUTER)
    handlers.serve_custom_service_request_handlers.append(set_account)
    handlers.serve_custom_service_request_handlers.append(iam.request_handler)
    handlers.serve_custom_service_request_handlers.append(validation.request_handler)
    handlers.serve_custom_service_request_handlers.append(sts.request_handler)
    handlers.serve_custom_service_request_handlers.append(ratelimit.request_handler)
    handlers.serve_custom_service_request_handlers.append(faults.request_handler)
    handlers.run_custom_response_handlers.append(faults.response_handler)
    _patch_twisted()
    _patch_listen_interface()
    compat.patch_uuid5_bytes()
    compat.patch_moto_dispatch()
    compat.patch_ec2_get_tags()
    LOG.info("airgap extension installed (time scale %s)", timing.global_scale())


try:
    from localstack.extensions.api import Extension

    class AirgapExtension(Extension):
        name = "airgap"

        def update_gateway_routes(self, router):
            add_routes(router)

        def update_request_handlers(self, handlers):
            handlers.append(set_account)
            handlers.append(iam.request_handler)
            handlers.append(validation.request_handler)
            handlers.append(sts.request_handler)
            handlers.append(ratelimit.request_handler)
            handlers.append(faults.request_handler)

        def update_response_handlers(self, handlers):
            handlers.append(faults.response_handler)

        def on_platform_start(self):
            _patch_twisted()
            compat.patch_uuid5_bytes()
            compat.patch_moto_dispatch()
            compat.patch_ec2_get_tags()

except ImportError:  # pragma: no cover
    pass
