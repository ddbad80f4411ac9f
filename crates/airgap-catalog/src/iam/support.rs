//! What airgapctl calls outside the kinds: the lock table, the environment record, the
//! expiry tag, identity, zones, teardown blockers, adoption.

use super::*;

// --- What airgapctl calls outside the kinds ------------------------------------------------

pub(super) const LOCK_TABLE_ARN: &str =
    "arn:{partition}:dynamodb:{region}:{account}:table/airgapctl-locks";
/// The environment's lease (key `<env>`) and record (key `record:<env>`) only.
pub(super) const ENV_ITEMS: Cond = Cond {
    op: "ForAllValues:StringEquals",
    key: "dynamodb:LeadingKeys",
    values: &["{env}", "record:{env}"],
};
pub(super) const LOCK_WRITES: Grant = Grant::on(
    &["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
    &[LOCK_TABLE_ARN],
)
.when(&[ENV_ITEMS]);
/// The table is created on first use (`LockTable::ensure`, before a lease or a record is
/// written), without tags.
pub(super) const LOCK_TABLE_CREATE: Grant = Grant::on(&["dynamodb:CreateTable"], &[LOCK_TABLE_ARN])
    .because("one table shared by every environment of the hub account, made untagged");
/// Whether the table exists and is active, and the item a conditional write lost to.
pub(super) const LOCK_READS: Grant =
    Grant::on(&["dynamodb:DescribeTable", "dynamodb:GetItem"], &[LOCK_TABLE_ARN])
        .because("the table is shared by every environment of the hub account");

/// The lease that keeps two runs off one environment (`lock/`): taken, renewed and
/// released by every apply and destroy (and by `lock`, `unlock`, `adopt`).
pub const LOCK_TABLE: Permissions = Permissions {
    name: "lock-table",
    observe: &[LOCK_READS],
    create: &[LOCK_READS, LOCK_TABLE_CREATE, LOCK_WRITES],
    update: &[LOCK_READS, LOCK_TABLE_CREATE, LOCK_WRITES],
    delete: &[LOCK_READS, LOCK_TABLE_CREATE, LOCK_WRITES],
};

/// The environment record (`record.rs`): an item of the lock table, written by apply
/// before it changes anything, read by a destroy without the blueprint, deleted by a
/// complete destroy; `envs` and `gc` list every record (Scan).
pub const ENV_RECORD: Permissions = Permissions {
    name: "environment-record",
    observe: &[Grant::on(
        &["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Scan"],
        &[LOCK_TABLE_ARN],
    )
    .because(
        "the table is shared by every environment of the hub account; a Scan reads \
         every record",
    )],
    create: &[LOCK_READS, LOCK_TABLE_CREATE, LOCK_WRITES],
    update: &[LOCK_READS, LOCK_TABLE_CREATE, LOCK_WRITES],
    delete: &[LOCK_READS, LOCK_WRITES],
};

/// `record::tag_expiry`: the expiry written on (or removed from) the environment's
/// transit gateway after an apply and by `record --ttl`; the gateway is found by its tag.
pub const EXPIRY_TAG: Permissions = Permissions {
    name: "expiry-tag",
    observe: &[DESCRIBE_TGWS],
    create: &[DESCRIBE_TGWS, EXPIRY_WRITE],
    update: &[DESCRIBE_TGWS, EXPIRY_WRITE],
    delete: &[],
};

pub(super) const EXPIRY_WRITE: Grant = Grant::on(&["ec2:CreateTags", "ec2:DeleteTags"], &[TGW_ARN])
    .when(&[RESOURCE_TAG, only_tag_keys(&["airgap:expires-at"])]);

/// Only in the hub (network) account.
pub const HUB_SUPPORT: &[&Permissions] = &[&LOCK_TABLE, &ENV_RECORD, &EXPIRY_TAG];

/// `Provider::connect` checks that each account's credentials land where the blueprint
/// says. GetCallerIdentity needs no permission (STS API reference), listed so the policy
/// says what is called.
pub const IDENTITY: Permissions = Permissions {
    name: "identity",
    observe: &[Grant::any(&["sts:GetCallerIdentity"], NO_RESOURCE_WHY)],
    create: &[],
    update: &[],
    delete: &[],
};

pub(super) const DESCRIBE_ZONES: Grant = describe(&["ec2:DescribeAvailabilityZones"]);

/// `ec2/zones.rs`: the hub's zone names and IDs, read once so subnets of other accounts
/// are made in the same physical zones (by the subnet kind of any account, in the hub).
pub const ZONES: Permissions = Permissions {
    name: "availability-zones",
    observe: &[DESCRIBE_ZONES],
    // Read once; the first subnet create of a run may be the first to ask.
    create: &[DESCRIBE_ZONES],
    update: &[],
    delete: &[],
};

/// `ec2/blockers`: after a subnet, security group or VPC delete answers
/// DependencyViolation, what holds it is searched and what Kubernetes controllers left
/// for the environment's clusters is deleted. None of that carries the environment's
/// tag (controllers tag with the cluster's name, under several keys), so the deletes
/// are scoped by ARN only.
pub const BLOCKERS: Permissions = Permissions {
    name: "dependency-blockers",
    observe: &[],
    create: &[],
    update: &[],
    delete: &[
        describe(&[
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeVpcs",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeVpcEndpoints",
            "ec2:DescribeNatGateways",
            "ec2:DescribeTransitGatewayAttachments",
            "ec2:DescribeInternetGateways",
        ]),
        Grant::any(
            &[
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTargetGroups",
            ],
            "Elastic Load Balancing's Describe actions authorize against no resource type",
        ),
        // Whether the cluster a controller's tag names still exists, and whose it is.
        DESCRIBE_CLUSTER,
        Grant::on(&["ec2:DeleteNetworkInterface"], &[ENI_ARN]).because(
            "interfaces the VPC CNI left: tagged with their cluster's name, not the env tag",
        ),
        Grant::on(&["ec2:DeleteSecurityGroup"], &[SG_ARN]).because(
            "groups the load balancer controller left: tagged with their cluster, not the env",
        ),
        Grant::on(
            &["elasticloadbalancing:DeleteLoadBalancer"],
            &["arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/*"],
        )
        .because("load balancers controllers made: tagged with their cluster, not the env"),
        Grant::on(
            &["elasticloadbalancing:DeleteTargetGroup"],
            &["arn:{partition}:elasticloadbalancing:{region}:{account}:targetgroup/*"],
        )
        .because("target groups controllers made: tagged with their cluster, not the env"),
    ],
};

/// `airgapctl adopt` (`adopt.rs`): an existing EC2 resource given a node's standard tags,
/// and the tags it added taken back when the adoption is refused. Destroy needs nothing
/// of its own beyond the kinds: it finds what carries the environment's tags through
/// every kind's observe.
pub const ADOPT: Permissions = Permissions {
    name: "adopt",
    observe: &[],
    create: &[
        describe(&["ec2:DescribeTags"]),
        // A resource no environment owns yet; adopt refuses another's before tagging.
        Grant::on(&["ec2:CreateTags"], ADOPTABLE).when(&[REQUEST_TAG, NOT_TAGGED]),
        // One this node already has (a repeated adopt), and the take-back of a refusal.
        Grant::on(&["ec2:CreateTags", "ec2:DeleteTags"], ADOPTABLE).when(&[RESOURCE_TAG]),
    ],
    update: &[],
    delete: &[],
};

/// What `adopt::ADOPTABLE` takes.
pub(super) const ADOPTABLE: &[&str] = &[
    VPC_ARN,
    SUBNET_ARN,
    RTB_ARN,
    IGW_ARN,
    EIP_ARN,
    NAT_ARN,
    SG_ARN,
    TGW_ARN,
    TGW_RTB_ARN,
    TGW_ATT_ARN,
    VPCE_ARN,
];

/// In every account of the environment, the hub's included.
pub const EVERY_SUPPORT: &[&Permissions] = &[&IDENTITY, &ZONES, &BLOCKERS, &ADOPT];

// Not here, being separate commands with policies of their own:
// - `verify --live` (`inspect/`): ec2:DescribeVpcs, DescribeSubnets, DescribeRouteTables,
//   DescribeInternetGateways, DescribeEgressOnlyInternetGateways, DescribeNatGateways,
//   DescribeVpcEndpoints, DescribeVpcPeeringConnections,
//   DescribeTransitGatewayVpcAttachments, DescribeTransitGateways,
//   DescribeTransitGatewayRouteTables, GetTransitGatewayRouteTableAssociations,
//   GetTransitGatewayRouteTablePropagations, SearchTransitGatewayRoutes,
//   DescribeSecurityGroupRules, DescribeAvailabilityZones;
//   network-firewall:ListFirewalls, DescribeFirewall, DescribeFirewallPolicy,
//   DescribeRuleGroup, DescribeLoggingConfiguration; eks:ListClusters, DescribeCluster,
//   ListNodegroups, DescribeNodegroup; ecr:DescribeRepositories, ListTagsForResource,
//   GetRepositoryPolicy; route53:ListHostedZonesByVPC, ListHostedZones,
//   ListResourceRecordSets; ec2:DescribeClientVpnEndpoints,
//   DescribeClientVpnTargetNetworks, DescribeClientVpnAuthorizationRules,
//   DescribeClientVpnRoutes, DescribeVpcEndpointServiceConfigurations,
//   DescribeVpcEndpointServicePermissions; elasticloadbalancing:DescribeLoadBalancers,
//   DescribeTags.
// - `verify` with Network Access Analyzer (`analyzer.rs`):
//   ec2:CreateNetworkInsightsAccessScope, StartNetworkInsightsAccessScopeAnalysis,
//   DescribeNetworkInsightsAccessScopeAnalyses,
//   GetNetworkInsightsAccessScopeAnalysisFindings,
//   DeleteNetworkInsightsAccessScopeAnalysis, DeleteNetworkInsightsAccessScope.
// - `cost` (`pricing.rs`): pricing:GetProducts.
