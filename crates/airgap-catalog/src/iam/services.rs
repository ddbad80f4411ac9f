//! RAM, CloudWatch Logs, Network Firewall, IAM, KMS and EKS kinds.

use super::*;

// --- RAM ---------------------------------------------------------------------------------

pub(super) const SHARE_ARN: &str = "arn:{partition}:ram:{region}:{account}:resource-share/*";
pub(super) const RAM_READ_WHY: &str =
    "RAM's Get and List actions authorize against no resource type";
pub(super) const GET_SHARES: Grant = Grant::any(&["ram:GetResourceShares"], RAM_READ_WHY);
pub(super) const GET_SHARE_ASSOCIATIONS: Grant =
    Grant::any(&["ram:GetResourceShareAssociations"], RAM_READ_WHY);

/// The transit gateway shared with the spoke accounts. The Service Authorization
/// Reference lists no dependent action of sharing (nothing of EC2 on the gateway).
pub const RAM_SHARE: Permissions = Permissions {
    name: "ram-share",
    observe: &[Grant::any(&["ram:GetResourceShares", "ram:ListResources"], RAM_READ_WHY)],
    create: &[
        GET_SHARES,
        // Readiness: the shared resources' associations.
        GET_SHARE_ASSOCIATIONS,
        // CreateResourceShare has no resource type; its tags are its condition.
        Grant::any(&["ram:CreateResourceShare"], NO_RESOURCE_WHY).when(&[REQUEST_TAG]),
    ],
    update: &[
        GET_SHARES,
        GET_SHARE_ASSOCIATIONS,
        Grant::on(
            &[
                "ram:UpdateResourceShare",
                "ram:AssociateResourceShare",
                "ram:DisassociateResourceShare",
            ],
            &[SHARE_ARN],
        )
        .when(&[RESOURCE_TAG]),
    ],
    delete: &[
        GET_SHARES,
        Grant::on(&["ram:DeleteResourceShare"], &[SHARE_ARN]).when(&[RESOURCE_TAG]),
    ],
};

pub const RAM_ASSOCIATION: Permissions = Permissions {
    name: "ram-association",
    observe: &[GET_SHARES, GET_SHARE_ASSOCIATIONS],
    create: &[
        GET_SHARE_ASSOCIATIONS,
        Grant::on(&["ram:AssociateResourceShare"], &[SHARE_ARN]).when(&[RESOURCE_TAG]),
    ],
    update: &[GET_SHARE_ASSOCIATIONS],
    delete: &[
        GET_SHARE_ASSOCIATIONS,
        Grant::on(&["ram:DisassociateResourceShare"], &[SHARE_ARN]).when(&[RESOURCE_TAG]),
    ],
};

pub(super) const GET_INVITATIONS: Grant =
    Grant::any(&["ram:GetResourceShareInvitations"], RAM_READ_WHY);

/// In the principal account; its observe and readiness also read the owner's shares and
/// principal associations with the owner's credentials (`ram:GetResourceShares`,
/// `ram:GetResourceShareAssociations`).
pub const RAM_INVITATION_ACCEPTER: Permissions = Permissions {
    name: "ram-invitation-accepter",
    observe: &[GET_SHARES, GET_SHARE_ASSOCIATIONS, GET_INVITATIONS],
    create: &[
        GET_INVITATIONS,
        GET_SHARE_ASSOCIATIONS,
        Grant::on(
            &["ram:AcceptResourceShareInvitation"],
            &["arn:{partition}:ram:{region}:*:resource-share-invitation/*"],
        )
        .because(
            "an invitation is the sharing account's: its ARN names that account, and \
             the share's tags are not visible to the principal",
        ),
    ],
    update: &[GET_SHARE_ASSOCIATIONS],
    delete: &[],
};

// --- CloudWatch Logs ---------------------------------------------------------------------

/// The environment's log groups, under the current prefix and the one before it
/// (`names::LOG_GROUP_PREFIX`, `LEGACY_LOG_GROUP_PREFIX`); the `*` also matches the `:*`
/// some actions authorize against.
pub(super) const ENV_LOG_GROUPS: &[&str] = &[
    "arn:{partition}:logs:{region}:{account}:log-group:/aws/vendedlogs/airgap/{env}/*",
    "arn:{partition}:logs:{region}:{account}:log-group:/airgap/{env}/*",
];
pub(super) const NEW_LOG_GROUPS: &[&str] =
    &["arn:{partition}:logs:{region}:{account}:log-group:/aws/vendedlogs/airgap/{env}/*"];
pub(super) const DESCRIBE_LOG_GROUPS: Grant =
    Grant::any(&["logs:DescribeLogGroups"], NO_RESOURCE_WHY);
/// Observe lists every group under the shared prefixes (other environments' too) and
/// reads each one's tags to find the environment's.
pub(super) const LOG_GROUP_TAGS: Grant = Grant::on(
    &["logs:ListTagsForResource"],
    &[
        "arn:{partition}:logs:{region}:{account}:log-group:/aws/vendedlogs/airgap/*",
        "arn:{partition}:logs:{region}:{account}:log-group:/airgap/*",
    ],
)
.because(READ_WHY);

pub const LOG_GROUP: Permissions = Permissions {
    name: "log-group",
    observe: &[DESCRIBE_LOG_GROUPS, LOG_GROUP_TAGS],
    create: &[
        DESCRIBE_LOG_GROUPS,
        LOG_GROUP_TAGS,
        // CreateLogGroup with tags is authorized for logs:TagResource too (CloudWatch
        // Logs API reference, CreateLogGroup).
        Grant::on(&["logs:CreateLogGroup", "logs:TagResource"], NEW_LOG_GROUPS)
            .when(&[REQUEST_TAG]),
        Grant::on(&["logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy"], NEW_LOG_GROUPS)
            .because(FRESH_WHY),
    ],
    update: &[
        DESCRIBE_LOG_GROUPS,
        Grant::on(&["logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy"], NEW_LOG_GROUPS)
            .when(&[RESOURCE_TAG]),
    ],
    delete: &[
        DESCRIBE_LOG_GROUPS,
        Grant::on(&["logs:DeleteLogGroup"], ENV_LOG_GROUPS).when(&[RESOURCE_TAG]),
    ],
};

// --- Network Firewall --------------------------------------------------------------------

/// Names are `airgap-<env>-<node>` (`nfw::resource_name`; environment names are DNS
/// labels, so the name carries them unchanged).
pub(super) const RULE_GROUP_ARNS: &[&str] = &[
    "arn:{partition}:network-firewall:{region}:{account}:stateful-rulegroup/airgap-{env}-*",
    "arn:{partition}:network-firewall:{region}:{account}:stateless-rulegroup/airgap-{env}-*",
];
pub(super) const NFW_POLICY_ARN: &str =
    "arn:{partition}:network-firewall:{region}:{account}:firewall-policy/airgap-{env}-*";
pub(super) const FIREWALL_ARN: &str =
    "arn:{partition}:network-firewall:{region}:{account}:firewall/airgap-{env}-*";
/// The rule groups a policy names and the policy a firewall names: the environment's,
/// by the name, whatever their tags say at that moment (a replacement made in the same
/// apply).
pub(super) const REFERENCED_BY_NAME_WHY: &str =
    "named in the request as a reference (the policy's rule \
     groups, the firewall's policy): the environment's by their name";

pub(super) const DESCRIBE_RULE_GROUP: Grant =
    Grant::on(&["network-firewall:DescribeRuleGroup"], RULE_GROUP_ARNS).because(READ_WHY);

pub const NFW_RULE_GROUP: Permissions = Permissions {
    name: "nfw-rule-group",
    observe: &[
        Grant::any(&["network-firewall:ListRuleGroups"], NO_RESOURCE_WHY),
        DESCRIBE_RULE_GROUP,
    ],
    create: &[
        DESCRIBE_RULE_GROUP,
        Grant::on(&["network-firewall:CreateRuleGroup"], RULE_GROUP_ARNS).when(&[REQUEST_TAG]),
    ],
    update: &[
        DESCRIBE_RULE_GROUP,
        Grant::on(
            &["network-firewall:UpdateRuleGroup", "network-firewall:TagResource"],
            RULE_GROUP_ARNS,
        )
        .when(&[RESOURCE_TAG]),
    ],
    delete: &[
        DESCRIBE_RULE_GROUP,
        Grant::on(&["network-firewall:DeleteRuleGroup"], RULE_GROUP_ARNS).when(&[RESOURCE_TAG]),
    ],
};

pub(super) const DESCRIBE_NFW_POLICY: Grant =
    Grant::on(&["network-firewall:DescribeFirewallPolicy"], &[NFW_POLICY_ARN]).because(READ_WHY);

pub const NFW_POLICY: Permissions = Permissions {
    name: "nfw-policy",
    observe: &[
        // ListFirewallPolicies authorizes against `FirewallPolicy*`, all of them.
        Grant::on(
            &["network-firewall:ListFirewallPolicies"],
            &["arn:{partition}:network-firewall:{region}:{account}:firewall-policy/*"],
        )
        .because("a list of every policy of the account, other environments' included"),
        DESCRIBE_NFW_POLICY,
    ],
    create: &[
        DESCRIBE_NFW_POLICY,
        Grant::on(&["network-firewall:CreateFirewallPolicy"], &[NFW_POLICY_ARN])
            .when(&[REQUEST_TAG]),
        Grant::on(&["network-firewall:CreateFirewallPolicy"], RULE_GROUP_ARNS)
            .because(REFERENCED_BY_NAME_WHY),
    ],
    update: &[
        DESCRIBE_NFW_POLICY,
        Grant::on(
            &["network-firewall:UpdateFirewallPolicy", "network-firewall:TagResource"],
            &[NFW_POLICY_ARN],
        )
        .when(&[RESOURCE_TAG]),
        Grant::on(&["network-firewall:UpdateFirewallPolicy"], RULE_GROUP_ARNS)
            .because(REFERENCED_BY_NAME_WHY),
    ],
    delete: &[
        DESCRIBE_NFW_POLICY,
        Grant::on(&["network-firewall:DeleteFirewallPolicy"], &[NFW_POLICY_ARN])
            .when(&[RESOURCE_TAG]),
    ],
};

pub(super) const DESCRIBE_FIREWALL: Grant = Grant::on(
    &["network-firewall:DescribeFirewall", "network-firewall:DescribeLoggingConfiguration"],
    &[FIREWALL_ARN],
)
.because(READ_WHY);
/// DescribeLoggingConfiguration's dependent actions.
pub(super) const READ_LOG_DELIVERIES: Grant = Grant::any(
    &["logs:GetLogDelivery", "logs:ListLogDeliveries"],
    "CloudWatch Logs' log delivery actions authorize against no resource type",
);
/// Logging to CloudWatch Logs is a vended log delivery made with the caller's
/// permissions ("Permissions to publish logs to CloudWatch Logs", Network Firewall
/// developer guide: these actions, and the log group resource policy they write).
pub(super) const WRITE_LOG_DELIVERIES: Grant = Grant::any(
    &[
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    ],
    "log delivery and the account's log resource policy authorize against no resource \
     type (Service Authorization Reference, CloudWatch Logs)",
);

pub const FIREWALL: Permissions = Permissions {
    name: "firewall",
    observe: &[
        // ListFirewalls authorizes against `Firewall*`, all of them.
        Grant::on(
            &["network-firewall:ListFirewalls"],
            &["arn:{partition}:network-firewall:{region}:{account}:firewall/*"],
        )
        .because("a list of every firewall of the account, other environments' included"),
        DESCRIBE_FIREWALL,
        READ_LOG_DELIVERIES,
    ],
    create: &[
        DESCRIBE_FIREWALL,
        Grant::on(&["network-firewall:CreateFirewall"], &[FIREWALL_ARN]).when(&[REQUEST_TAG]),
        Grant::on(&["network-firewall:CreateFirewall"], &[NFW_POLICY_ARN])
            .because(REFERENCED_BY_NAME_WHY),
        // CreateFirewall's dependent action: AWSServiceRoleForNetworkFirewall.
        Grant::on(
            &["iam:CreateServiceLinkedRole"],
            &["arn:{partition}:iam::{account}:role/aws-service-role/network-firewall.amazonaws.com/*"],
        )
        .when(&[service_linked(&["network-firewall.amazonaws.com"])]),
        Grant::on(&["network-firewall:UpdateLoggingConfiguration"], &[FIREWALL_ARN])
            .because(FRESH_WHY),
        WRITE_LOG_DELIVERIES,
    ],
    update: &[
        DESCRIBE_FIREWALL,
        Grant::on(
            &[
                "network-firewall:TagResource",
                "network-firewall:AssociateFirewallPolicy",
                "network-firewall:AssociateSubnets",
                "network-firewall:DisassociateSubnets",
                "network-firewall:UpdateFirewallDeleteProtection",
                "network-firewall:UpdateFirewallPolicyChangeProtection",
                "network-firewall:UpdateSubnetChangeProtection",
                "network-firewall:UpdateLoggingConfiguration",
            ],
            &[FIREWALL_ARN],
        )
        .when(&[RESOURCE_TAG]),
        Grant::on(&["network-firewall:AssociateFirewallPolicy"], &[NFW_POLICY_ARN])
            .because(REFERENCED_BY_NAME_WHY),
        WRITE_LOG_DELIVERIES,
    ],
    delete: &[
        DESCRIBE_FIREWALL,
        Grant::on(&["network-firewall:DeleteFirewall"], &[FIREWALL_ARN]).when(&[RESOURCE_TAG]),
        // The firewall's log deliveries go with it.
        Grant::any(
            &["logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:DeleteLogDelivery"],
            "CloudWatch Logs' log delivery actions authorize against no resource type",
        ),
    ],
};

// --- IAM ---------------------------------------------------------------------------------

/// The environment's roles (`iam::role_path`): the path names the environment, so tag
/// conditions would add nothing, and IAM is eventually consistent (a role's tags may not
/// be visible to authorization right after CreateRole).
pub(super) const ENV_ROLES: &[&str] = &["arn:{partition}:iam::{account}:role/airgap/{env}/*"];
pub(super) const BY_PATH_WHY: &str =
    "scoped by the role path /airgap/{env}/, which names the environment";
pub(super) const LIST_ROLES: Grant = Grant::any(&["iam:ListRoles"], NO_RESOURCE_WHY);
pub(super) const LIST_ROLE_TAGS: Grant =
    Grant::on(&["iam:ListRoleTags"], ENV_ROLES).because(BY_PATH_WHY);
pub(super) const GET_ROLE: Grant = Grant::on(&["iam:GetRole"], ENV_ROLES).because(BY_PATH_WHY);
/// Role passed to EKS: the cluster role (CreateCluster) and the node role
/// (CreateNodegroup), both to `eks.amazonaws.com` (Step Functions developer guide, "IAM
/// policies for Amazon EKS", which grants exactly that for both calls). Roles the
/// blueprint names by ARN (`roles:`) are outside the path and need a grant of their own.
pub(super) const PASS_ROLE_TO_EKS: Grant = Grant::on(&["iam:PassRole"], ENV_ROLES).when(&[Cond {
    op: "StringEquals",
    key: "iam:PassedToService",
    values: &["eks.amazonaws.com"],
}]);
/// The marks `airgap:attach:<policy>` = node id that record attachments on their role.
pub(super) const ATTACH_MARKS: Cond = only_tag_keys(&["airgap:attach:*"]);

pub const IAM_ROLE: Permissions = Permissions {
    name: "iam-role",
    observe: &[LIST_ROLES, LIST_ROLE_TAGS],
    create: &[
        // CreateRole with tags is authorized for iam:TagRole too (IAM user guide,
        // "Tagging IAM roles").
        Grant::on(&["iam:CreateRole", "iam:TagRole"], ENV_ROLES).when(&[REQUEST_TAG]),
        // The role a retried create made (EntityAlreadyExists), and readiness.
        GET_ROLE,
    ],
    update: &[GET_ROLE, Grant::on(&["iam:UpdateAssumeRolePolicy"], ENV_ROLES).because(BY_PATH_WHY)],
    delete: &[GET_ROLE, Grant::on(&["iam:DeleteRole"], ENV_ROLES).because(BY_PATH_WHY)],
};

pub const IAM_ROLE_POLICY: Permissions = Permissions {
    name: "iam-role-policy",
    observe: &[
        LIST_ROLES,
        LIST_ROLE_TAGS,
        Grant::on(&["iam:ListAttachedRolePolicies"], ENV_ROLES).because(BY_PATH_WHY),
    ],
    create: &[
        // Only the AWS managed policies the cluster expansion attaches
        // (airgap-blueprint expand/cluster.rs): a deployer that could attach any policy
        // to a role it can pass could grant itself anything.
        Grant::on(&["iam:AttachRolePolicy"], ENV_ROLES)
            .when(&[Cond {
                op: "ArnEquals",
                key: "iam:PolicyARN",
                values: &[
                    "arn:{partition}:iam::aws:policy/AmazonEKSClusterPolicy",
                    "arn:{partition}:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                    "arn:{partition}:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
                    "arn:{partition}:iam::aws:policy/AmazonEKS_CNI_Policy",
                ],
            }])
            .because(BY_PATH_WHY),
        Grant::on(&["iam:TagRole"], ENV_ROLES).when(&[ATTACH_MARKS]).because(BY_PATH_WHY),
    ],
    update: &[],
    delete: &[
        Grant::on(&["iam:DetachRolePolicy"], ENV_ROLES).because(BY_PATH_WHY),
        Grant::on(&["iam:UntagRole"], ENV_ROLES).when(&[ATTACH_MARKS]).because(BY_PATH_WHY),
    ],
};

// --- KMS ---------------------------------------------------------------------------------

pub(super) const KEY_ARN: &str = "arn:{partition}:kms:{region}:{account}:key/*";
pub(super) const ENV_ALIASES: &str = "arn:{partition}:kms:{region}:{account}:alias/airgap/{env}/*";
/// "Changes to tags and aliases might take up to five minutes to affect KMS key
/// authorization" (KMS developer guide, "ABAC for AWS KMS"): calls on a key made in the
/// same apply are scoped by ARN only.
pub(super) const KEY_FRESH_WHY: &str =
    "a key made in the same apply: KMS says tag changes may take up \
     to five minutes to affect authorization (ABAC for AWS KMS)";
pub(super) const LIST_KEYS: Grant =
    Grant::any(&["kms:ListKeys", "kms:ListAliases"], NO_RESOURCE_WHY);
pub(super) const LIST_ALIASES: Grant = Grant::any(&["kms:ListAliases"], NO_RESOURCE_WHY);
/// Observe reads the tags of every key of the account to find the environment's.
pub(super) const KEY_READS: Grant =
    Grant::on(&["kms:ListResourceTags", "kms:DescribeKey", "kms:GetKeyRotationStatus"], &[KEY_ARN])
        .because(READ_WHY);
pub(super) const DESCRIBE_KEY: Grant =
    Grant::on(&["kms:DescribeKey"], &[KEY_ARN]).because(READ_WHY);

pub const KMS_KEY: Permissions = Permissions {
    name: "kms-key",
    observe: &[LIST_KEYS, KEY_READS],
    create: &[
        // The key an interrupted create made, found by its tags; readiness.
        LIST_KEYS,
        Grant::on(&["kms:ListResourceTags", "kms:DescribeKey"], &[KEY_ARN]).because(READ_WHY),
        Grant::any(&["kms:CreateKey"], NO_RESOURCE_WHY).when(&[REQUEST_TAG]),
        // CreateKey's dependent action when it tags.
        Grant::on(&["kms:TagResource"], &[KEY_ARN]).when(&[REQUEST_TAG]),
        Grant::on(&["kms:EnableKeyRotation"], &[KEY_ARN]).because(KEY_FRESH_WHY),
    ],
    update: &[
        DESCRIBE_KEY,
        Grant::on(
            &["kms:UpdateKeyDescription", "kms:EnableKeyRotation", "kms:DisableKeyRotation"],
            &[KEY_ARN],
        )
        .when(&[RESOURCE_TAG]),
    ],
    delete: &[
        DESCRIBE_KEY,
        Grant::on(&["kms:ScheduleKeyDeletion"], &[KEY_ARN]).when(&[RESOURCE_TAG]),
    ],
};

/// The key side of an alias: CreateAlias, UpdateAlias and DeleteAlias authorize against
/// the alias and the key (UpdateAlias: both keys); the alias is recorded on its key as
/// the tag `airgap:alias:<name>`.
pub(super) const fn alias_key_side(actions: &'static [&'static str]) -> Grant {
    Grant::on(actions, &[KEY_ARN]).when(&[ALIAS_MARKS]).because(KEY_FRESH_WHY)
}
pub(super) const ALIAS_MARKS: Cond = only_tag_keys(&["airgap:alias:*"]);
pub(super) const ALIAS_NAME_WHY: &str =
    "the alias name is under alias/airgap/{env}/; aliases have no tag condition keys";

pub const KMS_ALIAS: Permissions = Permissions {
    name: "kms-alias",
    observe: &[LIST_ALIASES, Grant::on(&["kms:ListResourceTags"], &[KEY_ARN]).because(READ_WHY)],
    create: &[
        LIST_ALIASES,
        Grant::on(&["kms:CreateAlias"], &[ENV_ALIASES]).because(ALIAS_NAME_WHY),
        alias_key_side(&["kms:CreateAlias", "kms:TagResource"]),
    ],
    update: &[
        LIST_ALIASES,
        Grant::on(&["kms:UpdateAlias"], &[ENV_ALIASES]).because(ALIAS_NAME_WHY),
        alias_key_side(&["kms:UpdateAlias", "kms:TagResource", "kms:UntagResource"]),
    ],
    delete: &[
        LIST_ALIASES,
        Grant::on(&["kms:DeleteAlias"], &[ENV_ALIASES]).because(ALIAS_NAME_WHY),
        alias_key_side(&["kms:DeleteAlias", "kms:UntagResource"]),
    ],
};

// --- EKS ---------------------------------------------------------------------------------

pub(super) const ANY_CLUSTER: &str = "arn:{partition}:eks:{region}:{account}:cluster/*";
pub(super) const ANY_NODEGROUP: &str = "arn:{partition}:eks:{region}:{account}:nodegroup/*";
pub(super) const ANY_ADDON: &str = "arn:{partition}:eks:{region}:{account}:addon/*";
pub(super) const ANY_ACCESS_ENTRY: &str = "arn:{partition}:eks:{region}:{account}:access-entry/*";
/// Clusters are named `<env>-<name>` (the cluster expansion); what is under them carries
/// the cluster's name first.
pub(super) const ENV_CLUSTERS: &str = "arn:{partition}:eks:{region}:{account}:cluster/{env}-*";
pub(super) const ENV_NODEGROUPS: &str =
    "arn:{partition}:eks:{region}:{account}:nodegroup/{env}-*/*";
pub(super) const ENV_ADDONS: &str = "arn:{partition}:eks:{region}:{account}:addon/{env}-*/*";
pub(super) const ENV_ACCESS_ENTRIES: &str =
    "arn:{partition}:eks:{region}:{account}:access-entry/{env}-*/*";

/// Observe lists the account's clusters and describes each to find the environment's;
/// the blocker search describes the cluster a controller's tag names.
pub(super) const LIST_CLUSTERS: Grant = Grant::any(&["eks:ListClusters"], NO_RESOURCE_WHY);
pub(super) const DESCRIBE_CLUSTER: Grant =
    Grant::on(&["eks:DescribeCluster"], &[ANY_CLUSTER]).because(READ_WHY);
/// The update a call started, followed until done.
pub(super) const DESCRIBE_UPDATE: Grant =
    Grant::on(&["eks:DescribeUpdate"], &[ANY_CLUSTER, ANY_NODEGROUP, ANY_ADDON]).because(READ_WHY);
/// Envelope encryption of the cluster's secrets with the environment's key: "your key
/// policy must include the kms:DescribeKey and kms:CreateGrant permissions for the
/// principal that will create the cluster" (EKS user guide, "Encrypt Kubernetes secrets
/// with KMS"). The grant is for EKS only.
pub(super) const CLUSTER_KEY: [Grant; 2] = [
    Grant::on(&["kms:DescribeKey"], &[KEY_ARN]).because(READ_WHY),
    Grant::on(&["kms:CreateGrant"], &[KEY_ARN])
        .when(&[Cond { op: "Bool", key: "kms:GrantIsForAWSResource", values: &["true"] }])
        .because(KEY_FRESH_WHY),
];

pub const EKS_CLUSTER: Permissions = Permissions {
    name: "eks-cluster",
    observe: &[LIST_CLUSTERS, DESCRIBE_CLUSTER],
    create: &[
        DESCRIBE_CLUSTER,
        // CreateCluster has no resource type; its tags are its condition.
        Grant::any(&["eks:CreateCluster"], NO_RESOURCE_WHY).when(&[REQUEST_TAG]),
        PASS_ROLE_TO_EKS,
        // EKS creates AWSServiceRoleForAmazonEKS with the caller's permissions
        // (EKS user guide, "Using roles for Amazon EKS clusters").
        Grant::on(
            &["iam:CreateServiceLinkedRole"],
            &["arn:{partition}:iam::{account}:role/aws-service-role/eks.amazonaws.com/*"],
        )
        .when(&[service_linked(&["eks.amazonaws.com"])]),
        CLUSTER_KEY[0],
        CLUSTER_KEY[1],
    ],
    update: &[
        DESCRIBE_CLUSTER,
        DESCRIBE_UPDATE,
        Grant::on(
            &[
                "eks:UpdateClusterVersion",
                "eks:UpdateClusterConfig",
                "eks:AssociateEncryptionConfig",
            ],
            &[ENV_CLUSTERS],
        )
        .when(&[RESOURCE_TAG]),
        CLUSTER_KEY[0],
        CLUSTER_KEY[1],
    ],
    delete: &[
        DESCRIBE_CLUSTER,
        Grant::on(&["eks:DeleteCluster"], &[ENV_CLUSTERS]).when(&[RESOURCE_TAG]),
    ],
};

/// A create under one of the environment's clusters, whose tags are the request's. The
/// cluster side is scoped by its name only: whether EKS evaluates the parent cluster's
/// tags for a create under it is not documented.
pub(super) const fn under_env_cluster(actions: &'static [&'static str]) -> Grant {
    Grant::on(actions, &[ENV_CLUSTERS]).when(&[REQUEST_TAG])
}

pub(super) const DESCRIBE_NODEGROUP: Grant =
    Grant::on(&["eks:DescribeNodegroup"], &[ANY_NODEGROUP]).because(READ_WHY);
/// The launch template version a group names (custom AMIs); EKS reads it with the
/// caller's permissions (not in the Service Authorization Reference; Describe actions
/// support no resource-level permissions anyway).
pub(super) const NODEGROUP_TEMPLATE: Grant = describe(&["ec2:DescribeLaunchTemplateVersions"]);

pub const EKS_NODEGROUP: Permissions = Permissions {
    name: "eks-nodegroup",
    observe: &[
        LIST_CLUSTERS,
        DESCRIBE_CLUSTER,
        Grant::on(&["eks:ListNodegroups"], &[ANY_CLUSTER]).because(READ_WHY),
        DESCRIBE_NODEGROUP,
    ],
    create: &[
        // The cluster's version, which a new group starts at.
        DESCRIBE_CLUSTER,
        DESCRIBE_NODEGROUP,
        under_env_cluster(&["eks:CreateNodegroup"]),
        PASS_ROLE_TO_EKS,
        // What EKS checks of the node role and subnets with the caller's permissions
        // (Step Functions developer guide, "IAM policies for Amazon EKS",
        // CreateNodegroup).
        Grant::on(&["iam:GetRole", "iam:ListAttachedRolePolicies"], ENV_ROLES).because(BY_PATH_WHY),
        describe(&["ec2:DescribeSubnets", "ec2:DescribeLaunchTemplateVersions"]),
        // AWSServiceRoleForAmazonEKSNodegroup, made at the account's first node group
        // (EKS user guide, "Using roles for Amazon EKS node groups").
        Grant::on(
            &["iam:CreateServiceLinkedRole"],
            &["arn:{partition}:iam::{account}:role/aws-service-role/eks-nodegroup.amazonaws.com/*"],
        )
        .when(&[service_linked(&["eks-nodegroup.amazonaws.com"])]),
    ],
    update: &[
        DESCRIBE_CLUSTER,
        DESCRIBE_NODEGROUP,
        DESCRIBE_UPDATE,
        NODEGROUP_TEMPLATE,
        Grant::on(&["eks:UpdateNodegroupVersion", "eks:UpdateNodegroupConfig"], &[ENV_NODEGROUPS])
            .when(&[RESOURCE_TAG]),
    ],
    delete: &[
        DESCRIBE_NODEGROUP,
        Grant::on(&["eks:DeleteNodegroup"], &[ENV_NODEGROUPS]).when(&[RESOURCE_TAG]),
    ],
};

pub(super) const DESCRIBE_ADDON: Grant =
    Grant::on(&["eks:DescribeAddon"], &[ANY_ADDON]).because(READ_WHY);
pub(super) const ADDON_VERSIONS: Grant =
    Grant::any(&["eks:DescribeAddonVersions"], NO_RESOURCE_WHY);

pub const EKS_ADDON: Permissions = Permissions {
    name: "eks-addon",
    observe: &[
        LIST_CLUSTERS,
        DESCRIBE_CLUSTER,
        Grant::on(&["eks:ListAddons"], &[ANY_CLUSTER]).because(READ_WHY),
        DESCRIBE_ADDON,
    ],
    create: &[ADDON_VERSIONS, DESCRIBE_ADDON, under_env_cluster(&["eks:CreateAddon"])],
    update: &[
        ADDON_VERSIONS,
        DESCRIBE_ADDON,
        DESCRIBE_CLUSTER,
        DESCRIBE_UPDATE,
        Grant::on(&["eks:UpdateAddon"], &[ENV_ADDONS]).when(&[RESOURCE_TAG]),
        // The Kubernetes version recorded once the update succeeded.
        Grant::on(&["eks:TagResource"], &[ENV_ADDONS])
            .when(&[RESOURCE_TAG, only_tag_keys(&["airgap:kubernetes-version"])]),
    ],
    delete: &[DESCRIBE_ADDON, Grant::on(&["eks:DeleteAddon"], &[ENV_ADDONS]).when(&[RESOURCE_TAG])],
};

pub(super) const DESCRIBE_ACCESS_ENTRY: Grant =
    Grant::on(&["eks:DescribeAccessEntry"], &[ANY_ACCESS_ENTRY]).because(READ_WHY);

pub const EKS_ACCESS_ENTRY: Permissions = Permissions {
    name: "eks-access-entry",
    observe: &[
        LIST_CLUSTERS,
        DESCRIBE_CLUSTER,
        Grant::on(&["eks:ListAccessEntries"], &[ANY_CLUSTER]).because(READ_WHY),
        Grant::on(
            &["eks:DescribeAccessEntry", "eks:ListAssociatedAccessPolicies"],
            &[ANY_ACCESS_ENTRY],
        )
        .because(READ_WHY),
    ],
    create: &[
        DESCRIBE_ACCESS_ENTRY,
        under_env_cluster(&["eks:CreateAccessEntry"]),
        Grant::on(&["eks:AssociateAccessPolicy"], &[ENV_ACCESS_ENTRIES]).because(FRESH_WHY),
    ],
    update: &[
        DESCRIBE_ACCESS_ENTRY,
        Grant::on(
            &["eks:AssociateAccessPolicy", "eks:DisassociateAccessPolicy"],
            &[ENV_ACCESS_ENTRIES],
        )
        .when(&[RESOURCE_TAG]),
    ],
    delete: &[
        DESCRIBE_ACCESS_ENTRY,
        Grant::on(&["eks:DeleteAccessEntry"], &[ENV_ACCESS_ENTRIES]).when(&[RESOURCE_TAG]),
    ],
};
