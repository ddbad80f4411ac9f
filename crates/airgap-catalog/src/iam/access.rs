//! ECR, Route 53, and the private access kinds (Client VPN, the resolver endpoint,
//! PrivateLink's load balancer, target group and endpoint service).

use super::*;

// --- ECR ---------------------------------------------------------------------------------

/// Repository names are the blueprint's, not derived from the environment.
pub(super) const REPO_ARN: &str = "arn:{partition}:ecr:{region}:{account}:repository/*";
/// Observe lists every repository of the account and reads each one's tags.
pub(super) const REPO_READS: Grant = Grant::on(
    &[
        "ecr:DescribeRepositories",
        "ecr:ListTagsForResource",
        "ecr:GetRepositoryPolicy",
        "ecr:GetLifecyclePolicy",
    ],
    &[REPO_ARN],
)
.because(READ_WHY);
pub(super) const DESCRIBE_REPOS: Grant =
    Grant::on(&["ecr:DescribeRepositories"], &[REPO_ARN]).because(READ_WHY);

pub const ECR_REPOSITORY: Permissions = Permissions {
    name: "ecr-repository",
    observe: &[REPO_READS],
    create: &[
        // The repository a retried create made (RepositoryAlreadyExistsException).
        Grant::on(&["ecr:DescribeRepositories", "ecr:ListTagsForResource"], &[REPO_ARN])
            .because(READ_WHY),
        // CreateRepository's dependent action when it tags.
        Grant::on(&["ecr:CreateRepository", "ecr:TagResource"], &[REPO_ARN]).when(&[REQUEST_TAG]),
        Grant::on(&["ecr:SetRepositoryPolicy", "ecr:PutLifecyclePolicy"], &[REPO_ARN])
            .because(FRESH_WHY),
    ],
    update: &[Grant::on(
        &[
            "ecr:PutImageTagMutability",
            "ecr:PutImageScanningConfiguration",
            "ecr:SetRepositoryPolicy",
            "ecr:DeleteRepositoryPolicy",
            "ecr:PutLifecyclePolicy",
            "ecr:DeleteLifecyclePolicy",
        ],
        &[REPO_ARN],
    )
    .when(&[RESOURCE_TAG])],
    delete: &[
        DESCRIBE_REPOS,
        Grant::on(&["ecr:DeleteRepository"], &[REPO_ARN]).when(&[RESOURCE_TAG]),
    ],
};

/// Inspector's service-linked role, which Inspector makes when enhanced scanning is
/// turned on ("IAM permissions required for enhanced scanning", ECR user guide).
const INSPECTOR_SLR: Cond =
    Cond { op: "StringEquals", key: "iam:AWSServiceName", values: &["inspector2.amazonaws.com"] };
/// Where IAM puts a service-linked role ("Using service-linked roles", IAM user guide).
const INSPECTOR_SLR_ARN: &str =
    "arn:{partition}:iam::{account}:role/aws-service-role/inspector2.amazonaws.com/*";
const SCANNING_WHY: &str =
    "the registry's scanning configuration is one per account and region, with no ARN";
const GET_SCANNING: Grant = Grant::any(&["ecr:GetRegistryScanningConfiguration"], SCANNING_WHY);
/// Read, merged with the environment's filters, written back whole (the API replaces the
/// configuration); enhanced scanning needs Inspector enabled and its role.
const PUT_SCANNING: &[Grant] = &[
    GET_SCANNING,
    Grant::any(&["ecr:PutRegistryScanningConfiguration"], SCANNING_WHY),
    Grant::any(
        &["inspector2:Enable", "inspector2:ListAccountPermissions"],
        "what the ECR user guide's enhanced scanning policy grants, on every resource",
    ),
    Grant::on(&["iam:CreateServiceLinkedRole"], &[INSPECTOR_SLR_ARN]).when(&[INSPECTOR_SLR]),
];

pub const ECR_REGISTRY_SCANNING: Permissions = Permissions {
    name: "ecr-registry-scanning",
    // Which filters are the environment's: the names of its repositories.
    observe: &[GET_SCANNING, REPO_READS],
    create: PUT_SCANNING,
    update: PUT_SCANNING,
    delete: &[GET_SCANNING, Grant::any(&["ecr:PutRegistryScanningConfiguration"], SCANNING_WHY)],
};

// --- Route 53 ----------------------------------------------------------------------------

/// Hosted zones: global, no account in their ARN, and Route 53 has no tag condition keys
/// (Service Authorization Reference, Route 53), so a zone grant is every zone.
pub(super) const ZONE_ARN: &str = "arn:{partition}:route53:::hostedzone/*";
pub(super) const ZONE_WHY: &str =
    "Route 53 offers no tag or account condition on hosted zones: every zone of the account";
pub(super) const ROUTE53_LIST_WHY: &str =
    "Route 53's list actions authorize against no resource type";
pub(super) const LIST_ZONES: Grant = Grant::any(&["route53:ListHostedZones"], ROUTE53_LIST_WHY);
pub(super) const RECORD_SETS: Grant =
    Grant::on(&["route53:ListResourceRecordSets"], &[ZONE_ARN]).because(ZONE_WHY);
/// CreateHostedZone, AssociateVPCWithHostedZone and ListHostedZonesByVPC of a VPC depend
/// on ec2:DescribeVpcs (Service Authorization Reference, Route 53).
pub(super) const ZONE_VPC_READ: Grant = describe(&["ec2:DescribeVpcs"]);
/// A zone of the environment holds alias A records only (besides its SOA and NS); a
/// delete removes whatever else is there too.
pub(super) const A_RECORDS: Cond = Cond {
    op: "ForAllValues:StringEquals",
    key: "route53:ChangeResourceRecordSetsRecordTypes",
    values: &["A"],
};

pub const ROUTE53_ZONE: Permissions = Permissions {
    name: "route53-zone",
    observe: &[LIST_ZONES, RECORD_SETS],
    create: &[
        Grant::any(&["route53:ListHostedZonesByName"], ROUTE53_LIST_WHY),
        Grant::any(&["route53:CreateHostedZone"], NO_RESOURCE_WHY),
        ZONE_VPC_READ,
        Grant::on(&["route53:ChangeTagsForResource"], &[ZONE_ARN]).because(ZONE_WHY),
        Grant::on(&["route53:ChangeResourceRecordSets"], &[ZONE_ARN])
            .when(&[A_RECORDS])
            .because(ZONE_WHY),
    ],
    update: &[
        RECORD_SETS,
        Grant::on(&["route53:ChangeResourceRecordSets"], &[ZONE_ARN])
            .when(&[A_RECORDS])
            .because(ZONE_WHY),
    ],
    delete: &[Grant::on(
        &[
            "route53:ListResourceRecordSets",
            "route53:ChangeResourceRecordSets",
            "route53:DeleteHostedZone",
            "route53:GetHostedZone",
        ],
        &[ZONE_ARN],
    )
    .because(ZONE_WHY)],
};

pub(super) const ZONES_OF_VPC: Grant =
    Grant::any(&["route53:ListHostedZonesByVPC"], ROUTE53_LIST_WHY);

/// Made by the VPC's account; when the zone is another account's, that account
/// authorizes the association first and deletes the authorization after, and readiness
/// after a delete asks it how many VPCs the zone has left.
pub const ROUTE53_ASSOCIATION: Permissions = Permissions {
    name: "route53-association",
    observe: &[
        ZONE_VPC_READ,
        LIST_ZONES,
        Grant::on(&["route53:GetHostedZone"], &[ZONE_ARN]).because(ZONE_WHY),
    ],
    create: &[
        ZONES_OF_VPC,
        ZONE_VPC_READ,
        Grant::on(
            &[
                "route53:CreateVPCAssociationAuthorization",
                "route53:AssociateVPCWithHostedZone",
                "route53:DeleteVPCAssociationAuthorization",
            ],
            &[ZONE_ARN],
        )
        .because(ZONE_WHY),
    ],
    update: &[ZONES_OF_VPC, ZONE_VPC_READ],
    delete: &[
        ZONES_OF_VPC,
        ZONE_VPC_READ,
        Grant::on(&["route53:DisassociateVPCFromHostedZone", "route53:GetHostedZone"], &[ZONE_ARN])
            .because(ZONE_WHY),
    ],
};

// --- Private access: Client VPN ----------------------------------------------------------

pub(super) const CERT_ARN: &str = "arn:{partition}:acm:{region}:{account}:certificate/*";
/// Secrets Manager appends six random characters to a secret's name in its ARN.
pub(super) const VPN_SECRET_ARN: &str =
    "arn:{partition}:secretsmanager:{region}:{account}:secret:airgap/{env}/*";
pub(super) const CVPN_ARN: &str = "arn:{partition}:ec2:{region}:{account}:client-vpn-endpoint/*";

/// The CA in Secrets Manager (its name under `airgap/<env>/`), the server certificate in
/// ACM. Observe lists the account's certificates and secrets and reads their tags.
pub const VPN_PKI: Permissions = Permissions {
    name: "vpn-pki",
    observe: &[
        Grant::any(&["acm:ListCertificates", "secretsmanager:ListSecrets"], NO_RESOURCE_WHY),
        Grant::on(&["acm:ListTagsForCertificate"], &[CERT_ARN]).because(READ_WHY),
    ],
    create: &[
        Grant::any(&["acm:ListCertificates", "secretsmanager:ListSecrets"], NO_RESOURCE_WHY),
        Grant::on(&["acm:ListTagsForCertificate", "acm:DescribeCertificate"], &[CERT_ARN])
            .because(READ_WHY),
        // A retried create finds the CA it stored and signs with it again.
        Grant::on(&["secretsmanager:GetSecretValue"], &[VPN_SECRET_ARN]).when(&[RESOURCE_TAG]),
        // CreateSecret and ImportCertificate with tags need the tagging actions too.
        Grant::on(
            &["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
            &[VPN_SECRET_ARN],
        )
        .when(&[REQUEST_TAG]),
        Grant::on(&["acm:ImportCertificate", "acm:AddTagsToCertificate"], &[CERT_ARN])
            .when(&[REQUEST_TAG]),
    ],
    update: &[],
    delete: &[
        Grant::on(&["acm:DescribeCertificate"], &[CERT_ARN]).because(READ_WHY),
        Grant::on(&["acm:DeleteCertificate"], &[CERT_ARN]).when(&[RESOURCE_TAG]),
        Grant::on(&["secretsmanager:DeleteSecret"], &[VPN_SECRET_ARN]).when(&[RESOURCE_TAG]),
        // Deletion without recovery ends asynchronously: gone once DescribeSecret says so.
        Grant::on(&["secretsmanager:DescribeSecret"], &[VPN_SECRET_ARN]).because(READ_WHY),
    ],
};

pub(super) const CVPN_READS: Grant = Grant::on(
    &[
        "ec2:DescribeClientVpnTargetNetworks",
        "ec2:DescribeClientVpnAuthorizationRules",
        "ec2:DescribeClientVpnRoutes",
    ],
    &[CVPN_ARN],
)
.because(READ_WHY);
/// The associations, rules and routes of an endpoint change with the endpoint's tag as
/// their only scope (they are not resources of their own).
pub(super) const CVPN_CHILDREN: Grant = Grant::on(
    &[
        "ec2:AssociateClientVpnTargetNetwork",
        "ec2:DisassociateClientVpnTargetNetwork",
        "ec2:AuthorizeClientVpnIngress",
        "ec2:RevokeClientVpnIngress",
        "ec2:CreateClientVpnRoute",
        "ec2:DeleteClientVpnRoute",
    ],
    &[CVPN_ARN],
)
.when(&[RESOURCE_TAG]);
/// The subnets associations and routes name are the environment's own, made before.
pub(super) const CVPN_SUBNETS: Grant = Grant::on(
    &[
        "ec2:AssociateClientVpnTargetNetwork",
        "ec2:CreateClientVpnRoute",
        "ec2:DeleteClientVpnRoute",
    ],
    &[SUBNET_ARN],
)
.when(&[RESOURCE_TAG]);

pub const CLIENT_VPN_ENDPOINT: Permissions = Permissions {
    name: "client-vpn-endpoint",
    observe: &[describe(&["ec2:DescribeClientVpnEndpoints"]), CVPN_READS],
    create: &[
        describe(&["ec2:DescribeClientVpnEndpoints"]),
        CVPN_READS,
        Grant::on(&["ec2:CreateClientVpnEndpoint"], &[CVPN_ARN]).when(&[REQUEST_TAG]),
        Grant::on(&["ec2:CreateClientVpnEndpoint"], &[SG_ARN, VPC_ARN]).when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:CreateTags"], &[CVPN_ARN])
            .when(&[created_by(&["CreateClientVpnEndpoint"])]),
        CVPN_CHILDREN,
        CVPN_SUBNETS,
    ],
    update: &[
        CVPN_READS,
        Grant::on(&["ec2:ModifyClientVpnEndpoint"], &[CVPN_ARN]).when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:ModifyClientVpnEndpoint"], &[SG_ARN, VPC_ARN]).when(&[RESOURCE_TAG]),
        CVPN_CHILDREN,
        CVPN_SUBNETS,
    ],
    delete: &[
        describe(&["ec2:DescribeClientVpnEndpoints"]),
        CVPN_READS,
        CVPN_CHILDREN,
        CVPN_SUBNETS,
        Grant::on(&["ec2:DeleteClientVpnEndpoint"], &[CVPN_ARN]).when(&[RESOURCE_TAG]),
    ],
};

pub(super) const RESOLVER_ARN: &str =
    "arn:{partition}:route53resolver:{region}:{account}:resolver-endpoint/*";
pub(super) const RESOLVER_READS: Grant = Grant::on(
    &["route53resolver:GetResolverEndpoint", "route53resolver:ListResolverEndpointIpAddresses"],
    &[RESOLVER_ARN],
)
.because(READ_WHY);
pub(super) const RESOLVER_LIST: Grant =
    Grant::any(&["route53resolver:ListResolverEndpoints"], NO_RESOURCE_WHY);
/// Resolver makes and removes the endpoint's network interfaces with the caller's
/// permissions (AWS's managed policy AmazonRoute53ResolverFullAccess grants these).
pub(super) const RESOLVER_EC2_READS: Grant = describe(&[
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcs",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeAvailabilityZones",
]);
pub(super) const RESOLVER_ENIS_WHY: &str =
    "the endpoint's network interfaces are Resolver's, made \
     with the caller's permissions and no tags of the environment: scoped by ARN only";

/// Found by the CreatorRequestId `airgap/<env>/<id>/...` ListResolverEndpoints answers
/// (no per-endpoint tag read); tagged at creation.
pub const RESOLVER_ENDPOINT: Permissions = Permissions {
    name: "resolver-endpoint",
    observe: &[RESOLVER_LIST, RESOLVER_READS],
    create: &[
        RESOLVER_LIST,
        RESOLVER_READS,
        RESOLVER_EC2_READS,
        Grant::on(
            &["route53resolver:CreateResolverEndpoint", "route53resolver:TagResource"],
            &[RESOLVER_ARN],
        )
        .when(&[REQUEST_TAG]),
        Grant::on(&["ec2:CreateNetworkInterface"], &[SUBNET_ARN, SG_ARN]).when(&[RESOURCE_TAG]),
        Grant::on(
            &[
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:ModifyNetworkInterfaceAttribute",
            ],
            &[ENI_ARN],
        )
        .because(RESOLVER_ENIS_WHY),
    ],
    update: &[
        RESOLVER_READS,
        Grant::on(&["route53resolver:UpdateResolverEndpoint"], &[RESOLVER_ARN])
            .when(&[RESOURCE_TAG]),
    ],
    delete: &[
        RESOLVER_LIST,
        RESOLVER_READS,
        Grant::on(&["route53resolver:DeleteResolverEndpoint"], &[RESOLVER_ARN])
            .when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:DeleteNetworkInterface"], &[ENI_ARN]).because(RESOLVER_ENIS_WHY),
    ],
};

// --- PrivateLink: an internal NLB, its target group, the endpoint service ----------------

pub(super) const NLB_ARN: &str =
    "arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/net/*";
pub(super) const TG_ARN: &str =
    "arn:{partition}:elasticloadbalancing:{region}:{account}:targetgroup/*";
/// Network listeners only: the Service Authorization Reference lists listener actions
/// against `listener/app/...` or `listener/net/...`, by the load balancer's type, and
/// the environment has network load balancers only.
pub(super) const LISTENER_ARN: &str =
    "arn:{partition}:elasticloadbalancing:{region}:{account}:listener/net/*";
pub(super) const VPCE_SVC_ARN: &str =
    "arn:{partition}:ec2:{region}:{account}:vpc-endpoint-service/*";
pub(super) const ELB_DESCRIBE_WHY: &str =
    "Elastic Load Balancing's Describe actions authorize against no resource type";
pub(super) const ELB_READS: Grant = Grant::any(
    &[
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeTags",
    ],
    ELB_DESCRIBE_WHY,
);

/// Made with its tags (CreateTargetGroup's `Tags`, which also needs AddTags).
pub const TARGET_GROUP: Permissions = Permissions {
    name: "target-group",
    observe: &[ELB_READS],
    create: &[
        ELB_READS,
        Grant::on(
            &["elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:AddTags"],
            &[TG_ARN],
        )
        .when(&[REQUEST_TAG]),
    ],
    update: &[],
    delete: &[
        ELB_READS,
        Grant::on(&["elasticloadbalancing:DeleteTargetGroup"], &[TG_ARN]).when(&[RESOURCE_TAG]),
    ],
};

pub(super) const LISTENER_CHANGES: [Grant; 2] = [
    Grant::on(
        &["elasticloadbalancing:CreateListener", "elasticloadbalancing:AddTags"],
        &[LISTENER_ARN],
    )
    .when(&[REQUEST_TAG]),
    Grant::on(
        &["elasticloadbalancing:ModifyListener", "elasticloadbalancing:DeleteListener"],
        &[LISTENER_ARN],
    )
    .when(&[RESOURCE_TAG]),
];

/// The load balancer and its listeners, each tagged in its create. The first load
/// balancer of an account makes ELB's service-linked role.
pub const LOAD_BALANCER: Permissions = Permissions {
    name: "load-balancer",
    observe: &[ELB_READS],
    create: &[
        ELB_READS,
        Grant::on(
            &["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:AddTags"],
            &[NLB_ARN],
        )
        .when(&[REQUEST_TAG]),
        LISTENER_CHANGES[0],
        LISTENER_CHANGES[1],
        Grant::on(
            &["iam:CreateServiceLinkedRole"],
            &["arn:{partition}:iam::{account}:role/aws-service-role/elasticloadbalancing.amazonaws.com/*"],
        )
        .when(&[service_linked(&["elasticloadbalancing.amazonaws.com"])]),
    ],
    update: &[ELB_READS, LISTENER_CHANGES[0], LISTENER_CHANGES[1]],
    delete: &[
        ELB_READS,
        Grant::on(&["elasticloadbalancing:DeleteLoadBalancer"], &[NLB_ARN]).when(&[RESOURCE_TAG]),
    ],
};

pub(super) const VPCE_SVC_READS: Grant = describe(&[
    "ec2:DescribeVpcEndpointServiceConfigurations",
    "ec2:DescribeVpcEndpointConnections",
]);
/// The one Describe of the service that authorizes against the service itself.
pub(super) const VPCE_SVC_PERMISSIONS: Grant =
    Grant::on(&["ec2:DescribeVpcEndpointServicePermissions"], &[VPCE_SVC_ARN]).because(READ_WHY);
pub(super) const VPCE_SVC_CHANGES: Grant = Grant::on(
    &["ec2:ModifyVpcEndpointServiceConfiguration", "ec2:ModifyVpcEndpointServicePermissions"],
    &[VPCE_SVC_ARN],
)
.when(&[RESOURCE_TAG]);

/// The endpoint service, tagged in its create; its permissions (allowed principals).
/// Destroy rejects the connections still attached, which AWS requires before the delete.
pub const ENDPOINT_SERVICE: Permissions = Permissions {
    name: "endpoint-service",
    observe: &[VPCE_SVC_READS, VPCE_SVC_PERMISSIONS],
    create: &[
        VPCE_SVC_READS,
        VPCE_SVC_PERMISSIONS,
        Grant::on(&["ec2:CreateVpcEndpointServiceConfiguration"], &[VPCE_SVC_ARN])
            .when(&[REQUEST_TAG]),
        tag_on_create(&[VPCE_SVC_ARN], &[created_by(&["CreateVpcEndpointServiceConfiguration"])]),
        VPCE_SVC_CHANGES,
    ],
    update: &[VPCE_SVC_READS, VPCE_SVC_PERMISSIONS, VPCE_SVC_CHANGES],
    delete: &[
        VPCE_SVC_READS,
        Grant::on(
            &["ec2:RejectVpcEndpointConnections", "ec2:DeleteVpcEndpointServiceConfigurations"],
            &[VPCE_SVC_ARN],
        )
        .when(&[RESOURCE_TAG]),
    ],
};
