"""LocalStack plugins of the airgap extension (registered as entry points in pyproject.toml).

* ``localstack.aws.provider``: eks:default, ram:default, network-firewall:default (our handlers,
  every other operation of the botocore model forwarded to moto), ecr:default (moto, with
  SetRepositoryPolicy checking its principals first), elbv2:default (moto, with AWS's name
  rules, idempotent creates and the endpoint service's hold on a load balancer: elbv2.py),
  organizations:default (moto only), route53resolver:airgap (LocalStack's provider with
  AWS's endpoint rules: resolver.py),
  ec2:airgap and dynamodb:airgap (moto, with CreateTable's CREATING state: dynamodb.py;
  LocalStack's own DynamoDB provider needs DynamoDB Local, a Java download, and does not even
  import on Python 3.11).
* ``localstack.hooks.on_infra_start``: adds /_airgap/* routes, the fault handlers, and patches the
  twisted server so a fault can drop a connection. (The community edition does not load
  ``localstack.extensions`` plugins, so a hook is used instead; see extension.py.)
"""

import logging

from localstack.runtime import hooks
from localstack.services.plugins import Service, aws_provider

LOG = logging.getLogger(__name__)


def _service(name: str, handlers: dict) -> Service:
    from localstack.aws.skeleton import Skeleton
    from localstack.aws.spec import load_service
    from localstack.services.moto import call_moto

    model = load_service(name)

    def forward(context, request):
        return call_moto(context)

    def wrap(fn):
        def call(context, request):
            return fn(context, request or {})

        return call

    table = {op: forward for op in model.operation_names}
    for op, fn in handlers.items():
        if op in table:
            table[op] = wrap(fn)
    return Service(name=name, skeleton=Skeleton(model, table))


@aws_provider(api="eks", name="default")
def eks():
    from . import eks as impl

    return _service("eks", impl.HANDLERS)


@aws_provider(api="ram", name="default")
def ram():
    from . import ram as impl

    return _service("ram", impl.HANDLERS)


@aws_provider(api="network-firewall", name="default")
def network_firewall():
    from . import nfw as impl

    return _service("network-firewall", impl.HANDLERS)


@aws_provider(api="ecr", name="default")
def ecr():
    # the free edition has no ECR provider: serve the API from moto (repositories, images,
    # policies, GetAuthorizationToken); there is no registry to push to. SetRepositoryPolicy
    # checks that the IAM principals exist first (ecr.py).
    from . import ecr as impl

    return _service("ecr", impl.HANDLERS)


@aws_provider(api="pricing", name="default")
def pricing():
    # the free edition has no Price List service: GetProducts from a fixture (pricing.py)
    from . import pricing as impl

    return _service("pricing", impl.HANDLERS)


@aws_provider(api="elbv2", name="default")
def elbv2():
    # the free edition has no ELBv2 provider: moto's load balancers, target groups and
    # listeners (tests leave what an in-cluster load balancer controller would; the
    # PrivateLink endpoint service's network load balancer), with AWS's rules (elbv2.py)
    from . import elbv2 as impl

    return _service("elbv2", impl.HANDLERS)


@aws_provider(api="dynamodb", name="airgap")
def dynamodb_airgap():
    # moto's DynamoDB: tables per account and region, condition expressions, no Java; a new
    # table is CREATING for a while, as on AWS (dynamodb.py)
    from . import dynamodb as impl

    return _service("dynamodb", impl.HANDLERS)


@aws_provider(api="ec2", name="airgap")
def ec2_airgap():
    from localstack.services.moto import MotoFallbackDispatcher

    from .ec2 import AirgapEc2Provider

    provider = AirgapEc2Provider()
    return Service.for_provider(provider, dispatch_table_factory=MotoFallbackDispatcher)


@aws_provider(api="route53", name="airgap")
def route53_airgap():
    # LocalStack's Route 53 provider with AWS's cross-account rules (route53.py)
    from localstack.services.moto import MotoFallbackDispatcher

    from .route53 import AirgapRoute53Provider

    provider = AirgapRoute53Provider()
    return Service.for_provider(provider, dispatch_table_factory=MotoFallbackDispatcher)


@aws_provider(api="route53resolver", name="airgap")
def route53resolver_airgap():
    # LocalStack's Route 53 Resolver provider with AWS's rules for endpoints (resolver.py)
    from localstack.services.moto import MotoFallbackDispatcher

    from .resolver import AirgapRoute53ResolverProvider

    provider = AirgapRoute53ResolverProvider()
    return Service.for_provider(provider, dispatch_table_factory=MotoFallbackDispatcher)


@hooks.on_infra_start()
def airgap_init():
    from .extension import install

    install()


@aws_provider(api="organizations", name="default")
def organizations():
    # the free edition has no Organizations provider: moto's (organizations, accounts made
    # in them) serves it, and ram.py reads membership from it for sharing within one.
    return _service("organizations", {})
