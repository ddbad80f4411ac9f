//! The IAM actions each kind's operations call, with the resources and condition keys
//! that scope them where AWS supports it. `airgapctl iam-policy` and `bootstrap` build a
//! deployer role's policy from these declarations for the kinds a blueprint uses, so the
//! role may do what airgapctl calls and little else.
//!
//! Sources: the Service Authorization Reference
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/>), one page per
//! service ("Actions, resources, and condition keys for Amazon EC2", ...), which says for
//! every action which resource types it authorizes against and which condition keys
//! apply. An action whose row lists no resource type takes only `"*"`; the grant says so
//! in `why`. Every resource type an action authorizes against gets a grant: the required
//! ones (`ec2:CreateSubnet` needs the new `subnet` and the `vpc`), and the optional ones
//! the request names (the subnet and address of `ec2:CreateNatGateway`). Where the
//! reference lists dependent actions (`ec2:CreateTags` for a create that tags,
//! `ecr:TagResource`, `kms:TagResource`, `iam:CreateServiceLinkedRole`), they are granted
//! too.
//!
//! Each phase lists every call it makes, reads included: a create's lookup by tag and its
//! readiness polls are create's, a delete's wait until gone is delete's. Placeholders in
//! resources and condition values, filled per account by the policy builder:
//! `{partition}`, `{region}`, `{account}` (the account the role lives in), `{env}` (the
//! environment's name).
//!
//! How grants are scoped:
//! - Writes on what the environment made carry a tag condition: [`REQUEST_TAG`] where the
//!   call creates (every create sends the standard tags), [`RESOURCE_TAG`] where it acts
//!   on something that carries them. Names that airgapctl derives from the environment
//!   narrow the ARN as well (`/airgap/{env}/` roles, `airgap-{env}-` firewall resources,
//!   `{env}-` clusters, `alias/airgap/{env}/`, log groups under the env's prefix).
//! - Reads carry no tag condition: observe and the lookups before a create read
//!   resources before anyone knows whose they are (other environments', hand-made ones,
//!   or nothing yet), and a denial would fail the plan.
//! - A call on what the same step created moments earlier (the VPC's DNS attributes after
//!   CreateVpc, the key rotation after CreateKey, retried while the new id is not visible:
//!   `kit/fresh.rs`) is scoped by ARN only: whether authorization already sees the new
//!   resource's tags then is not documented, and a denial would fail the create.
//! - What another account owns or tagged (the transit gateway shared through RAM, a
//!   spoke's attachment as the hub sees it, a RAM invitation) has `*` as the account of
//!   its ARN and no tag condition: its tags are the owner's and not visible here.
//!
//! A few kinds call with the credentials of another account of the environment (the
//! RAM invitation accepter reads the owner's share associations; a Route 53 association
//! has the zone's owner authorize it): their grants are written for whichever account
//! makes the call, so the builder grants such a kind in the accounts on both sides.

/// When a kind's grants are needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Reading what exists: `plan`, and the lookups before every change.
    Observe,
    /// Creating, waiting until ready, tagging.
    Create,
    /// Changing in place.
    Update,
    /// Deleting and waiting until gone (`destroy`, and `apply` of a removed or replaced node).
    Delete,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Observe, Phase::Create, Phase::Update, Phase::Delete];
}

/// One condition of a grant: `{"<op>": {"<key>": [values]}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cond {
    pub op: &'static str,
    pub key: &'static str,
    pub values: &'static [&'static str],
}

/// Only requests that tag what they create with the environment's tag.
pub const REQUEST_TAG: Cond =
    Cond { op: "StringEquals", key: "aws:RequestTag/airgap:env", values: &["{env}"] };
/// Only resources that carry the environment's tag.
pub const RESOURCE_TAG: Cond =
    Cond { op: "StringEquals", key: "aws:ResourceTag/airgap:env", values: &["{env}"] };

/// Only resources that carry no environment's tag yet (IAM's `Null` operator: the key is
/// absent), so tagging one cannot take another environment's.
pub const NOT_TAGGED: Cond =
    Cond { op: "Null", key: "aws:ResourceTag/airgap:env", values: &["true"] };

/// EC2's tag-on-create: `ec2:CreateTags` only as part of these create actions
/// ("Grant permission to tag Amazon EC2 resources during creation", EC2 user guide).
const fn created_by(actions: &'static [&'static str]) -> Cond {
    Cond { op: "StringEquals", key: "ec2:CreateAction", values: actions }
}

/// Only requests whose tag keys are all among `keys` (patterns).
const fn only_tag_keys(keys: &'static [&'static str]) -> Cond {
    Cond { op: "ForAllValues:StringLike", key: "aws:TagKeys", values: keys }
}

/// `iam:CreateServiceLinkedRole` for this service's role only.
const fn service_linked(service: &'static [&'static str]) -> Cond {
    Cond { op: "StringEquals", key: "iam:AWSServiceName", values: service }
}

/// Actions allowed on resources, under conditions (all of which must hold).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub actions: &'static [&'static str],
    /// ARN patterns with placeholders, or `"*"`.
    pub resources: &'static [&'static str],
    pub conditions: &'static [Cond],
    /// Why the grant is no narrower (empty when it is as narrow as AWS allows).
    pub why: &'static str,
}

impl Grant {
    /// Actions that authorize against no resource type: only `"*"` is possible.
    pub const fn any(actions: &'static [&'static str], why: &'static str) -> Grant {
        Grant { actions, resources: &["*"], conditions: &[], why }
    }

    /// Actions on resources (ARN patterns), without conditions yet.
    pub const fn on(actions: &'static [&'static str], resources: &'static [&'static str]) -> Grant {
        Grant { actions, resources, conditions: &[], why: "" }
    }

    /// The grant under `conditions`.
    pub const fn when(self, conditions: &'static [Cond]) -> Grant {
        Grant { actions: self.actions, resources: self.resources, conditions, why: self.why }
    }

    /// The grant with the reason it is no narrower.
    pub const fn because(self, why: &'static str) -> Grant {
        Grant { actions: self.actions, resources: self.resources, conditions: self.conditions, why }
    }
}

/// The grants of one kind (a catalogue name) or of one piece of airgapctl that is not a
/// kind (the lock table, the environment record, ...), per phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permissions {
    pub name: &'static str,
    pub observe: &'static [Grant],
    pub create: &'static [Grant],
    pub update: &'static [Grant],
    pub delete: &'static [Grant],
}

impl Permissions {
    pub fn phase(&self, phase: Phase) -> &'static [Grant] {
        match phase {
            Phase::Observe => self.observe,
            Phase::Create => self.create,
            Phase::Update => self.update,
            Phase::Delete => self.delete,
        }
    }
}

// --- Reasons shared by many grants ------------------------------------------------------

const EC2_DESCRIBE_WHY: &str = "EC2's Describe actions support no resource-level permissions";
const NO_RESOURCE_WHY: &str =
    "the action authorizes against no resource type (Service Authorization Reference)";
const READ_WHY: &str = "a read: observe and the lookups before a create read resources \
     before anyone knows whose they are, so no tag condition";
const FRESH_WHY: &str = "called on what this step created moments earlier (retried while \
     its id is not visible, kit/fresh.rs): whether authorization already sees its tags is \
     not documented, so scoped by ARN only";
const SHARED_TGW_WHY: &str = "a spoke attaches to the hub's transit gateway, shared through \
     RAM: its ARN names the owner's account and its tags are the owner's, not visible here";
const FOREIGN_ATTACHMENT_WHY: &str = "in the hub, a spoke's attachment is the spoke's: its ARN \
     may name the spoke's account, and the tags the spoke wrote are not visible to the hub";
const REFERENCED_WHY: &str = "what the change detaches or removes is whatever observe found \
     attached, possibly not the environment's (a hand-made change): scoped by ARN only";
/// The marks earlier versions wrote on a parent (`tags::legacy_marks`), which an update
/// removes.
const LEGACY_MARKS: Cond = only_tag_keys(&[
    "airgap:route:*",
    "airgap:assoc:*",
    "airgap:prop:*",
    "airgap:rule:*",
    "airgap:accept:*",
]);

// --- EC2 ---------------------------------------------------------------------------------

const VPC_ARN: &str = "arn:{partition}:ec2:{region}:{account}:vpc/*";
const SUBNET_ARN: &str = "arn:{partition}:ec2:{region}:{account}:subnet/*";
const RTB_ARN: &str = "arn:{partition}:ec2:{region}:{account}:route-table/*";
const IGW_ARN: &str = "arn:{partition}:ec2:{region}:{account}:internet-gateway/*";
const EIP_ARN: &str = "arn:{partition}:ec2:{region}:{account}:elastic-ip/*";
const NAT_ARN: &str = "arn:{partition}:ec2:{region}:{account}:natgateway/*";
const SG_ARN: &str = "arn:{partition}:ec2:{region}:{account}:security-group/*";
const SGR_ARN: &str = "arn:{partition}:ec2:{region}:{account}:security-group-rule/*";
const TGW_ARN: &str = "arn:{partition}:ec2:{region}:{account}:transit-gateway/*";
const TGW_RTB_ARN: &str = "arn:{partition}:ec2:{region}:{account}:transit-gateway-route-table/*";
const TGW_ATT_ARN: &str = "arn:{partition}:ec2:{region}:{account}:transit-gateway-attachment/*";
const VPCE_ARN: &str = "arn:{partition}:ec2:{region}:{account}:vpc-endpoint/*";
const LT_ARN: &str = "arn:{partition}:ec2:{region}:{account}:launch-template/*";
const ENI_ARN: &str = "arn:{partition}:ec2:{region}:{account}:network-interface/*";
/// The transit gateway of another account (the hub's, shared through RAM).
const ANY_TGW_ARN: &str = "arn:{partition}:ec2:{region}:*:transit-gateway/*";
/// An attachment as the transit gateway's owner sees it (possibly a spoke's).
const ANY_TGW_ATT_ARN: &str = "arn:{partition}:ec2:{region}:*:transit-gateway-attachment/*";

const fn describe(actions: &'static [&'static str]) -> Grant {
    Grant::any(actions, EC2_DESCRIBE_WHY)
}

/// `ec2:CreateTags` as part of `action` on `resource` (tag-on-create).
const fn tag_on_create(resource: &'static [&'static str], action: &'static [Cond]) -> Grant {
    Grant::on(&["ec2:CreateTags"], resource).when(action)
}

/// The standard tags put back on a resource of the environment, and the marks of earlier
/// versions removed (`ec2::retag`).
const fn retag(resource: &'static [&'static str]) -> [Grant; 2] {
    [
        Grant::on(&["ec2:CreateTags"], resource).when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:DeleteTags"], resource).when(&[RESOURCE_TAG, LEGACY_MARKS]),
    ]
}

const DESCRIBE_VPCS: Grant = describe(&["ec2:DescribeVpcs"]);

pub const VPC: Permissions = Permissions {
    name: "vpc",
    observe: &[DESCRIBE_VPCS],
    create: &[
        DESCRIBE_VPCS,
        Grant::on(&["ec2:CreateVpc"], &[VPC_ARN]).when(&[REQUEST_TAG]),
        tag_on_create(&[VPC_ARN], &[created_by(&["CreateVpc"])]),
        // DNS support and hostnames, set right after CreateVpc.
        Grant::on(&["ec2:ModifyVpcAttribute"], &[VPC_ARN]).because(FRESH_WHY),
    ],
    update: &[
        DESCRIBE_VPCS,
        Grant::on(&["ec2:ModifyVpcAttribute"], &[VPC_ARN]).when(&[RESOURCE_TAG]),
    ],
    delete: &[DESCRIBE_VPCS, Grant::on(&["ec2:DeleteVpc"], &[VPC_ARN]).when(&[RESOURCE_TAG])],
};

const DESCRIBE_SUBNETS: Grant = describe(&["ec2:DescribeSubnets"]);

/// Subnets of other accounts are created by zone ID: the hub's zone names are read with
/// `ec2:DescribeAvailabilityZones` (see [`ZONES`]).
pub const SUBNET: Permissions = Permissions {
    name: "subnet",
    observe: &[DESCRIBE_SUBNETS],
    create: &[
        DESCRIBE_SUBNETS,
        Grant::on(&["ec2:CreateSubnet"], &[SUBNET_ARN]).when(&[REQUEST_TAG]),
        Grant::on(&["ec2:CreateSubnet"], &[VPC_ARN]).when(&[RESOURCE_TAG]),
        tag_on_create(&[SUBNET_ARN], &[created_by(&["CreateSubnet"])]),
        // MapPublicIpOnLaunch, right after CreateSubnet (or on the subnet adopted).
        Grant::on(&["ec2:ModifySubnetAttribute"], &[SUBNET_ARN]).because(FRESH_WHY),
    ],
    update: &[
        DESCRIBE_SUBNETS,
        Grant::on(&["ec2:ModifySubnetAttribute"], &[SUBNET_ARN]).when(&[RESOURCE_TAG]),
    ],
    delete: &[
        DESCRIBE_SUBNETS,
        Grant::on(&["ec2:DeleteSubnet"], &[SUBNET_ARN]).when(&[RESOURCE_TAG]),
    ],
};

const DESCRIBE_RTBS: Grant = describe(&["ec2:DescribeRouteTables"]);
const RTB_RETAG: [Grant; 2] = retag(&[RTB_ARN]);

pub const ROUTE_TABLE: Permissions = Permissions {
    name: "route-table",
    observe: &[DESCRIBE_RTBS],
    create: &[
        DESCRIBE_RTBS,
        Grant::on(&["ec2:CreateRouteTable"], &[RTB_ARN]).when(&[REQUEST_TAG]),
        Grant::on(&["ec2:CreateRouteTable"], &[VPC_ARN]).when(&[RESOURCE_TAG]),
        tag_on_create(&[RTB_ARN], &[created_by(&["CreateRouteTable"])]),
    ],
    update: &[DESCRIBE_RTBS, RTB_RETAG[0], RTB_RETAG[1]],
    delete: &[
        DESCRIBE_RTBS,
        Grant::on(&["ec2:DeleteRouteTable"], &[RTB_ARN]).when(&[RESOURCE_TAG]),
    ],
};

/// An association is made between the environment's table and subnet (the blueprint's);
/// one observe finds in the environment's table may be of a subnet someone else
/// associated with it.
pub const ROUTE_TABLE_ASSOCIATION: Permissions = Permissions {
    name: "route-table-association",
    observe: &[DESCRIBE_RTBS],
    create: &[
        // The subnet's current association, when AWS answers Resource.AlreadyAssociated.
        DESCRIBE_RTBS,
        Grant::on(
            &["ec2:AssociateRouteTable", "ec2:ReplaceRouteTableAssociation"],
            &[RTB_ARN, SUBNET_ARN],
        )
        .when(&[RESOURCE_TAG]),
    ],
    update: &[],
    delete: &[
        Grant::on(&["ec2:DisassociateRouteTable"], &[RTB_ARN]).when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:DisassociateRouteTable"], &[SUBNET_ARN]).because(REFERENCED_WHY),
    ],
};

/// CreateRoute and ReplaceRoute authorize against the route table only, whatever the
/// target (Service Authorization Reference, EC2: `route-table*`).
pub const ROUTE: Permissions = Permissions {
    name: "route",
    observe: &[DESCRIBE_RTBS],
    create: &[Grant::on(&["ec2:CreateRoute", "ec2:ReplaceRoute"], &[RTB_ARN]).when(&[RESOURCE_TAG])],
    update: &[Grant::on(&["ec2:ReplaceRoute"], &[RTB_ARN]).when(&[RESOURCE_TAG])],
    delete: &[Grant::on(&["ec2:DeleteRoute"], &[RTB_ARN]).when(&[RESOURCE_TAG])],
};

const DESCRIBE_IGWS: Grant = describe(&["ec2:DescribeInternetGateways"]);
/// Detaching from the VPC observe found it attached to, whoever's that is.
const IGW_DETACH_VPC: Grant =
    Grant::on(&["ec2:DetachInternetGateway"], &[VPC_ARN]).because(REFERENCED_WHY);

pub const INTERNET_GATEWAY: Permissions = Permissions {
    name: "internet-gateway",
    observe: &[DESCRIBE_IGWS],
    create: &[
        DESCRIBE_IGWS,
        Grant::on(&["ec2:CreateInternetGateway"], &[IGW_ARN]).when(&[REQUEST_TAG]),
        tag_on_create(&[IGW_ARN], &[created_by(&["CreateInternetGateway"])]),
        Grant::on(&["ec2:AttachInternetGateway"], &[IGW_ARN]).because(FRESH_WHY),
        Grant::on(&["ec2:AttachInternetGateway"], &[VPC_ARN]).when(&[RESOURCE_TAG]),
    ],
    update: &[
        DESCRIBE_IGWS,
        Grant::on(&["ec2:AttachInternetGateway", "ec2:DetachInternetGateway"], &[IGW_ARN])
            .when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:AttachInternetGateway"], &[VPC_ARN]).when(&[RESOURCE_TAG]),
        IGW_DETACH_VPC,
    ],
    delete: &[
        DESCRIBE_IGWS,
        Grant::on(&["ec2:DetachInternetGateway", "ec2:DeleteInternetGateway"], &[IGW_ARN])
            .when(&[RESOURCE_TAG]),
        IGW_DETACH_VPC,
    ],
};

const DESCRIBE_ADDRESSES: Grant = describe(&["ec2:DescribeAddresses"]);

pub const ELASTIC_IP: Permissions = Permissions {
    name: "elastic-ip",
    observe: &[DESCRIBE_ADDRESSES],
    create: &[
        DESCRIBE_ADDRESSES,
        Grant::on(&["ec2:AllocateAddress"], &[EIP_ARN]).when(&[REQUEST_TAG]),
        tag_on_create(&[EIP_ARN], &[created_by(&["AllocateAddress"])]),
    ],
    update: &[],
    delete: &[
        DESCRIBE_ADDRESSES,
        Grant::on(&["ec2:ReleaseAddress"], &[EIP_ARN]).when(&[RESOURCE_TAG]),
    ],
};

const DESCRIBE_NATS: Grant = describe(&["ec2:DescribeNatGateways"]);

pub const NAT_GATEWAY: Permissions = Permissions {
    name: "nat-gateway",
    observe: &[DESCRIBE_NATS],
    create: &[
        // Whether the address is still held (by a NAT gateway being deleted).
        describe(&["ec2:DescribeAddresses", "ec2:DescribeNatGateways"]),
        Grant::on(&["ec2:CreateNatGateway"], &[NAT_ARN]).when(&[REQUEST_TAG]),
        // Optional resource types of CreateNatGateway, named by the request.
        Grant::on(&["ec2:CreateNatGateway"], &[SUBNET_ARN, EIP_ARN, VPC_ARN]).when(&[RESOURCE_TAG]),
        tag_on_create(&[NAT_ARN], &[created_by(&["CreateNatGateway"])]),
    ],
    update: &[DESCRIBE_NATS],
    delete: &[
        DESCRIBE_NATS,
        Grant::on(&["ec2:DeleteNatGateway"], &[NAT_ARN]).when(&[RESOURCE_TAG]),
    ],
};

const DESCRIBE_SGS: Grant = describe(&["ec2:DescribeSecurityGroups"]);
const SG_RETAG: [Grant; 2] = retag(&[SG_ARN]);

pub const SECURITY_GROUP: Permissions = Permissions {
    name: "security-group",
    observe: &[DESCRIBE_SGS],
    create: &[
        // The group a retried create made, on InvalidGroup.Duplicate.
        DESCRIBE_SGS,
        Grant::on(&["ec2:CreateSecurityGroup"], &[SG_ARN]).when(&[REQUEST_TAG]),
        Grant::on(&["ec2:CreateSecurityGroup"], &[VPC_ARN]).when(&[RESOURCE_TAG]),
        tag_on_create(&[SG_ARN], &[created_by(&["CreateSecurityGroup"])]),
    ],
    update: &[SG_RETAG[0], SG_RETAG[1]],
    delete: &[
        DESCRIBE_SGS,
        Grant::on(&["ec2:DeleteSecurityGroup"], &[SG_ARN]).when(&[RESOURCE_TAG]),
    ],
};

const DESCRIBE_SG_RULES: Grant = describe(&["ec2:DescribeSecurityGroupRules"]);

pub const SECURITY_GROUP_RULE: Permissions = Permissions {
    name: "security-group-rule",
    observe: &[DESCRIBE_SG_RULES],
    create: &[
        Grant::on(&["ec2:AuthorizeSecurityGroupIngress"], &[SG_ARN]).when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:AuthorizeSecurityGroupIngress"], &[SGR_ARN]).when(&[REQUEST_TAG]),
        tag_on_create(&[SGR_ARN], &[created_by(&["AuthorizeSecurityGroupIngress"])]),
        // A rule there already (InvalidPermission.Duplicate) is found and given the
        // standard tags: a CreateTags of its own, the environment's tag in the request.
        // An interrupted create's rule has them already.
        DESCRIBE_SG_RULES,
        Grant::on(&["ec2:CreateTags"], &[SGR_ARN]).when(&[REQUEST_TAG, NOT_TAGGED]),
        Grant::on(&["ec2:CreateTags"], &[SGR_ARN]).when(&[RESOURCE_TAG]),
    ],
    update: &[],
    delete: &[Grant::on(&["ec2:RevokeSecurityGroupIngress"], &[SG_ARN]).when(&[RESOURCE_TAG])],
};

const DESCRIBE_TGWS: Grant = describe(&["ec2:DescribeTransitGateways"]);
const TGW_RETAG: [Grant; 2] = retag(&[TGW_ARN]);

pub const TRANSIT_GATEWAY: Permissions = Permissions {
    name: "transit-gateway",
    observe: &[DESCRIBE_TGWS],
    create: &[
        DESCRIBE_TGWS,
        Grant::on(&["ec2:CreateTransitGateway"], &[TGW_ARN]).when(&[REQUEST_TAG]),
        tag_on_create(&[TGW_ARN], &[created_by(&["CreateTransitGateway"])]),
    ],
    update: &[
        DESCRIBE_TGWS,
        TGW_RETAG[0],
        TGW_RETAG[1],
        Grant::on(&["ec2:ModifyTransitGateway"], &[TGW_ARN]).when(&[RESOURCE_TAG]),
    ],
    delete: &[
        DESCRIBE_TGWS,
        Grant::on(&["ec2:DeleteTransitGateway"], &[TGW_ARN]).when(&[RESOURCE_TAG]),
    ],
};

const DESCRIBE_TGW_RTBS: Grant = describe(&["ec2:DescribeTransitGatewayRouteTables"]);
const TGW_RTB_RETAG: [Grant; 2] = retag(&[TGW_RTB_ARN]);

pub const TGW_ROUTE_TABLE: Permissions = Permissions {
    name: "tgw-route-table",
    observe: &[DESCRIBE_TGW_RTBS],
    create: &[
        DESCRIBE_TGW_RTBS,
        Grant::on(&["ec2:CreateTransitGatewayRouteTable"], &[TGW_RTB_ARN]).when(&[REQUEST_TAG]),
        // The owner's own gateway: route tables are made where the gateway is.
        Grant::on(&["ec2:CreateTransitGatewayRouteTable"], &[TGW_ARN]).when(&[RESOURCE_TAG]),
        tag_on_create(&[TGW_RTB_ARN], &[created_by(&["CreateTransitGatewayRouteTable"])]),
    ],
    update: &[DESCRIBE_TGW_RTBS, TGW_RTB_RETAG[0], TGW_RTB_RETAG[1]],
    delete: &[
        DESCRIBE_TGW_RTBS,
        Grant::on(&["ec2:DeleteTransitGatewayRouteTable"], &[TGW_RTB_ARN]).when(&[RESOURCE_TAG]),
    ],
};

/// Associations and propagations are read per route table of the environment
/// (`Get...` actions support no resource-level permissions).
const GET_TGW_ASSOCIATIONS: Grant = describe(&["ec2:GetTransitGatewayRouteTableAssociations"]);
const GET_TGW_PROPAGATIONS: Grant = describe(&["ec2:GetTransitGatewayRouteTablePropagations"]);

pub const TGW_ASSOCIATION: Permissions = Permissions {
    name: "tgw-association",
    observe: &[DESCRIBE_TGW_RTBS, GET_TGW_ASSOCIATIONS],
    create: &[
        GET_TGW_ASSOCIATIONS,
        Grant::on(&["ec2:AssociateTransitGatewayRouteTable"], &[TGW_RTB_ARN]).when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:AssociateTransitGatewayRouteTable"], &[ANY_TGW_ATT_ARN])
            .because(FOREIGN_ATTACHMENT_WHY),
    ],
    update: &[GET_TGW_ASSOCIATIONS],
    delete: &[
        GET_TGW_ASSOCIATIONS,
        Grant::on(&["ec2:DisassociateTransitGatewayRouteTable"], &[TGW_RTB_ARN])
            .when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:DisassociateTransitGatewayRouteTable"], &[ANY_TGW_ATT_ARN])
            .because(FOREIGN_ATTACHMENT_WHY),
    ],
};

pub const TGW_PROPAGATION: Permissions = Permissions {
    name: "tgw-propagation",
    observe: &[DESCRIBE_TGW_RTBS, GET_TGW_PROPAGATIONS],
    create: &[
        GET_TGW_PROPAGATIONS,
        Grant::on(&["ec2:EnableTransitGatewayRouteTablePropagation"], &[TGW_RTB_ARN])
            .when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:EnableTransitGatewayRouteTablePropagation"], &[ANY_TGW_ATT_ARN])
            .because(FOREIGN_ATTACHMENT_WHY),
    ],
    update: &[GET_TGW_PROPAGATIONS],
    delete: &[
        GET_TGW_PROPAGATIONS,
        Grant::on(&["ec2:DisableTransitGatewayRouteTablePropagation"], &[TGW_RTB_ARN])
            .when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:DisableTransitGatewayRouteTablePropagation"], &[ANY_TGW_ATT_ARN])
            .because(FOREIGN_ATTACHMENT_WHY),
    ],
};

/// SearchTransitGatewayRoutes, unlike the other reads, authorizes against the route table
/// (`transit-gateway-route-table*`).
pub const TGW_ROUTE: Permissions = Permissions {
    name: "tgw-route",
    observe: &[
        DESCRIBE_TGW_RTBS,
        Grant::on(&["ec2:SearchTransitGatewayRoutes"], &[TGW_RTB_ARN]).because(READ_WHY),
    ],
    create: &[
        Grant::on(
            &["ec2:CreateTransitGatewayRoute", "ec2:ReplaceTransitGatewayRoute"],
            &[TGW_RTB_ARN],
        )
        .when(&[RESOURCE_TAG]),
        Grant::on(
            &["ec2:CreateTransitGatewayRoute", "ec2:ReplaceTransitGatewayRoute"],
            &[ANY_TGW_ATT_ARN],
        )
        .because(FOREIGN_ATTACHMENT_WHY),
    ],
    update: &[
        Grant::on(&["ec2:ReplaceTransitGatewayRoute"], &[TGW_RTB_ARN]).when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:ReplaceTransitGatewayRoute"], &[ANY_TGW_ATT_ARN])
            .because(FOREIGN_ATTACHMENT_WHY),
    ],
    delete: &[Grant::on(&["ec2:DeleteTransitGatewayRoute"], &[TGW_RTB_ARN]).when(&[RESOURCE_TAG])],
};

const DESCRIBE_TGW_VPC_ATTS: Grant = describe(&["ec2:DescribeTransitGatewayVpcAttachments"]);
const TGW_ATT_RETAG: [Grant; 2] = retag(&[TGW_ATT_ARN]);

/// Made by the VPC's account, on the hub's gateway.
pub const TGW_ATTACHMENT: Permissions = Permissions {
    name: "tgw-attachment",
    observe: &[DESCRIBE_TGW_VPC_ATTS],
    create: &[
        DESCRIBE_TGW_VPC_ATTS,
        Grant::on(&["ec2:CreateTransitGatewayVpcAttachment"], &[TGW_ATT_ARN])
            .when(&[REQUEST_TAG]),
        Grant::on(&["ec2:CreateTransitGatewayVpcAttachment"], &[VPC_ARN, SUBNET_ARN])
            .when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:CreateTransitGatewayVpcAttachment"], &[ANY_TGW_ARN])
            .because(SHARED_TGW_WHY),
        tag_on_create(&[TGW_ATT_ARN], &[created_by(&["CreateTransitGatewayVpcAttachment"])]),
        // The first VPC attachment of an account creates the service-linked role
        // AWSServiceRoleForVPCTransitGateway (Transit Gateways guide, "Service-linked
        // role for transit gateways").
        Grant::on(
            &["iam:CreateServiceLinkedRole"],
            &["arn:{partition}:iam::{account}:role/aws-service-role/transitgateway.amazonaws.com/*"],
        )
        .when(&[service_linked(&["transitgateway.amazonaws.com"])]),
    ],
    update: &[
        DESCRIBE_TGW_VPC_ATTS,
        TGW_ATT_RETAG[0],
        TGW_ATT_RETAG[1],
        Grant::on(&["ec2:ModifyTransitGatewayVpcAttachment"], &[TGW_ATT_ARN])
            .when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:ModifyTransitGatewayVpcAttachment"], &[SUBNET_ARN])
            .because(REFERENCED_WHY),
    ],
    delete: &[
        DESCRIBE_TGW_VPC_ATTS,
        Grant::on(&["ec2:DeleteTransitGatewayVpcAttachment"], &[TGW_ATT_ARN])
            .when(&[RESOURCE_TAG]),
    ],
};

const DESCRIBE_TGW_ATTS: Grant = describe(&["ec2:DescribeTransitGatewayAttachments"]);

/// The hub accepting a spoke's attachment: the attachment is the spoke's, untagged in the
/// hub.
pub const TGW_ATTACHMENT_ACCEPTER: Permissions = Permissions {
    name: "tgw-attachment-accepter",
    observe: &[DESCRIBE_TGWS, DESCRIBE_TGW_ATTS],
    create: &[
        DESCRIBE_TGW_ATTS,
        Grant::on(&["ec2:AcceptTransitGatewayVpcAttachment"], &[ANY_TGW_ATT_ARN])
            .because(FOREIGN_ATTACHMENT_WHY),
    ],
    update: &[DESCRIBE_TGW_ATTS],
    // The spoke deletes its attachment; an acceptance has nothing to undo.
    delete: &[],
};

const DESCRIBE_LTS: Grant = describe(&["ec2:DescribeLaunchTemplates"]);

pub const LAUNCH_TEMPLATE: Permissions = Permissions {
    name: "launch-template",
    observe: &[DESCRIBE_LTS],
    create: &[
        DESCRIBE_LTS,
        Grant::on(&["ec2:CreateLaunchTemplate"], &[LT_ARN]).when(&[REQUEST_TAG]),
        tag_on_create(&[LT_ARN], &[created_by(&["CreateLaunchTemplate"])]),
    ],
    update: &[
        Grant::on(&["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"], &[LT_ARN])
            .when(&[RESOURCE_TAG]),
        // The image and join configuration recorded as `airgap:prop:*` tags.
        Grant::on(&["ec2:CreateTags"], &[LT_ARN])
            .when(&[RESOURCE_TAG, only_tag_keys(&["airgap:prop:*"])]),
    ],
    delete: &[
        DESCRIBE_LTS,
        Grant::on(&["ec2:DeleteLaunchTemplate"], &[LT_ARN]).when(&[RESOURCE_TAG]),
    ],
};

const DESCRIBE_VPCES: Grant = describe(&["ec2:DescribeVpcEndpoints"]);
/// Dependent actions of CreateVpcEndpoint (Service Authorization Reference, EC2).
const VPCE_CREATE_READS: Grant = describe(&[
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
]);
const VPCE_RETAG: [Grant; 2] = retag(&[VPCE_ARN]);
const VPCE_DELETE: Grant =
    Grant::on(&["ec2:DeleteVpcEndpoints"], &[VPCE_ARN]).when(&[RESOURCE_TAG]);
/// Private DNS: the endpoint service's private hosted zone, which AWS manages, is
/// associated with the VPC, a dependent action of CreateVpcEndpoint (Service
/// Authorization Reference, EC2).
const VPCE_PRIVATE_DNS: Grant =
    Grant::on(&["route53:AssociateVPCWithHostedZone"], &[ZONE_ARN]).because(ZONE_WHY);

pub const VPC_ENDPOINT_INTERFACE: Permissions = Permissions {
    name: "vpc-endpoint-interface",
    observe: &[DESCRIBE_VPCES],
    create: &[
        VPCE_CREATE_READS,
        Grant::on(&["ec2:CreateVpcEndpoint"], &[VPCE_ARN]).when(&[REQUEST_TAG]),
        Grant::on(&["ec2:CreateVpcEndpoint"], &[VPC_ARN, SUBNET_ARN, SG_ARN]).when(&[RESOURCE_TAG]),
        tag_on_create(&[VPCE_ARN], &[created_by(&["CreateVpcEndpoint"])]),
        VPCE_PRIVATE_DNS,
    ],
    update: &[
        DESCRIBE_VPCES,
        VPCE_RETAG[0],
        VPCE_RETAG[1],
        Grant::on(&["ec2:ModifyVpcEndpoint"], &[VPCE_ARN]).when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:ModifyVpcEndpoint"], &[SUBNET_ARN, SG_ARN]).because(REFERENCED_WHY),
        // Private DNS turned on in place associates the zone as a create does.
        VPCE_PRIVATE_DNS,
    ],
    delete: &[DESCRIBE_VPCES, VPCE_DELETE],
};

pub const VPC_ENDPOINT_GATEWAY: Permissions = Permissions {
    name: "vpc-endpoint-gateway",
    observe: &[DESCRIBE_VPCES],
    create: &[
        VPCE_CREATE_READS,
        Grant::on(&["ec2:CreateVpcEndpoint"], &[VPCE_ARN]).when(&[REQUEST_TAG]),
        Grant::on(&["ec2:CreateVpcEndpoint"], &[VPC_ARN, RTB_ARN]).when(&[RESOURCE_TAG]),
        tag_on_create(&[VPCE_ARN], &[created_by(&["CreateVpcEndpoint"])]),
    ],
    update: &[
        DESCRIBE_VPCES,
        VPCE_RETAG[0],
        VPCE_RETAG[1],
        Grant::on(&["ec2:ModifyVpcEndpoint"], &[VPCE_ARN]).when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:ModifyVpcEndpoint"], &[RTB_ARN]).because(REFERENCED_WHY),
    ],
    delete: &[DESCRIBE_VPCES, VPCE_DELETE],
};

// --- RAM ---------------------------------------------------------------------------------

const SHARE_ARN: &str = "arn:{partition}:ram:{region}:{account}:resource-share/*";
const RAM_READ_WHY: &str = "RAM's Get and List actions authorize against no resource type";
const GET_SHARES: Grant = Grant::any(&["ram:GetResourceShares"], RAM_READ_WHY);
const GET_SHARE_ASSOCIATIONS: Grant =
    Grant::any(&["ram:GetResourceShareAssociations"], RAM_READ_WHY);

/// The transit gateway shared with the spoke accounts. The Service Authorization
/// Reference lists no dependent action of sharing (nothing of EC2 on the gateway).
pub const RAM_SHARE: Permissions = Permissions {
    name: "ram-share",
    observe: &[Grant::any(&["ram:GetResourceShares", "ram:ListResources"], RAM_READ_WHY)],
    create: &[
        GET_SHARES,
        // CreateResourceShare has no resource type; its tags are its condition.
        Grant::any(&["ram:CreateResourceShare"], NO_RESOURCE_WHY).when(&[REQUEST_TAG]),
    ],
    update: &[
        GET_SHARES,
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

const GET_INVITATIONS: Grant = Grant::any(&["ram:GetResourceShareInvitations"], RAM_READ_WHY);

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
const ENV_LOG_GROUPS: &[&str] = &[
    "arn:{partition}:logs:{region}:{account}:log-group:/aws/vendedlogs/airgap/{env}/*",
    "arn:{partition}:logs:{region}:{account}:log-group:/airgap/{env}/*",
];
const NEW_LOG_GROUPS: &[&str] =
    &["arn:{partition}:logs:{region}:{account}:log-group:/aws/vendedlogs/airgap/{env}/*"];
const DESCRIBE_LOG_GROUPS: Grant = Grant::any(&["logs:DescribeLogGroups"], NO_RESOURCE_WHY);
/// Observe lists every group under the shared prefixes (other environments' too) and
/// reads each one's tags to find the environment's.
const LOG_GROUP_TAGS: Grant = Grant::on(
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
const RULE_GROUP_ARNS: &[&str] = &[
    "arn:{partition}:network-firewall:{region}:{account}:stateful-rulegroup/airgap-{env}-*",
    "arn:{partition}:network-firewall:{region}:{account}:stateless-rulegroup/airgap-{env}-*",
];
const NFW_POLICY_ARN: &str =
    "arn:{partition}:network-firewall:{region}:{account}:firewall-policy/airgap-{env}-*";
const FIREWALL_ARN: &str =
    "arn:{partition}:network-firewall:{region}:{account}:firewall/airgap-{env}-*";
/// The rule groups a policy names and the policy a firewall names: the environment's,
/// by the name, whatever their tags say at that moment (a replacement made in the same
/// apply).
const REFERENCED_BY_NAME_WHY: &str = "named in the request as a reference (the policy's rule \
     groups, the firewall's policy): the environment's by their name";

const DESCRIBE_RULE_GROUP: Grant =
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

const DESCRIBE_NFW_POLICY: Grant =
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

const DESCRIBE_FIREWALL: Grant = Grant::on(
    &["network-firewall:DescribeFirewall", "network-firewall:DescribeLoggingConfiguration"],
    &[FIREWALL_ARN],
)
.because(READ_WHY);
/// DescribeLoggingConfiguration's dependent actions.
const READ_LOG_DELIVERIES: Grant = Grant::any(
    &["logs:GetLogDelivery", "logs:ListLogDeliveries"],
    "CloudWatch Logs' log delivery actions authorize against no resource type",
);
/// Logging to CloudWatch Logs is a vended log delivery made with the caller's
/// permissions ("Permissions to publish logs to CloudWatch Logs", Network Firewall
/// developer guide: these actions, and the log group resource policy they write).
const WRITE_LOG_DELIVERIES: Grant = Grant::any(
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
const ENV_ROLES: &[&str] = &["arn:{partition}:iam::{account}:role/airgap/{env}/*"];
const BY_PATH_WHY: &str = "scoped by the role path /airgap/{env}/, which names the environment";
const LIST_ROLES: Grant = Grant::any(&["iam:ListRoles"], NO_RESOURCE_WHY);
const LIST_ROLE_TAGS: Grant = Grant::on(&["iam:ListRoleTags"], ENV_ROLES).because(BY_PATH_WHY);
const GET_ROLE: Grant = Grant::on(&["iam:GetRole"], ENV_ROLES).because(BY_PATH_WHY);
/// Role passed to EKS: the cluster role (CreateCluster) and the node role
/// (CreateNodegroup), both to `eks.amazonaws.com` (Step Functions developer guide, "IAM
/// policies for Amazon EKS", which grants exactly that for both calls). Roles the
/// blueprint names by ARN (`roles:`) are outside the path and need a grant of their own.
const PASS_ROLE_TO_EKS: Grant = Grant::on(&["iam:PassRole"], ENV_ROLES).when(&[Cond {
    op: "StringEquals",
    key: "iam:PassedToService",
    values: &["eks.amazonaws.com"],
}]);
/// The marks `airgap:attach:<policy>` = node id that record attachments on their role.
const ATTACH_MARKS: Cond = only_tag_keys(&["airgap:attach:*"]);

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

const KEY_ARN: &str = "arn:{partition}:kms:{region}:{account}:key/*";
const ENV_ALIASES: &str = "arn:{partition}:kms:{region}:{account}:alias/airgap/{env}/*";
/// "Changes to tags and aliases might take up to five minutes to affect KMS key
/// authorization" (KMS developer guide, "ABAC for AWS KMS"): calls on a key made in the
/// same apply are scoped by ARN only.
const KEY_FRESH_WHY: &str = "a key made in the same apply: KMS says tag changes may take up \
     to five minutes to affect authorization (ABAC for AWS KMS)";
const LIST_KEYS: Grant = Grant::any(&["kms:ListKeys", "kms:ListAliases"], NO_RESOURCE_WHY);
const LIST_ALIASES: Grant = Grant::any(&["kms:ListAliases"], NO_RESOURCE_WHY);
/// Observe reads the tags of every key of the account to find the environment's.
const KEY_READS: Grant =
    Grant::on(&["kms:ListResourceTags", "kms:DescribeKey", "kms:GetKeyRotationStatus"], &[KEY_ARN])
        .because(READ_WHY);
const DESCRIBE_KEY: Grant = Grant::on(&["kms:DescribeKey"], &[KEY_ARN]).because(READ_WHY);

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
const fn alias_key_side(actions: &'static [&'static str]) -> Grant {
    Grant::on(actions, &[KEY_ARN]).when(&[ALIAS_MARKS]).because(KEY_FRESH_WHY)
}
const ALIAS_MARKS: Cond = only_tag_keys(&["airgap:alias:*"]);
const ALIAS_NAME_WHY: &str =
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

const ANY_CLUSTER: &str = "arn:{partition}:eks:{region}:{account}:cluster/*";
const ANY_NODEGROUP: &str = "arn:{partition}:eks:{region}:{account}:nodegroup/*";
const ANY_ADDON: &str = "arn:{partition}:eks:{region}:{account}:addon/*";
const ANY_ACCESS_ENTRY: &str = "arn:{partition}:eks:{region}:{account}:access-entry/*";
/// Clusters are named `<env>-<name>` (the cluster expansion); what is under them carries
/// the cluster's name first.
const ENV_CLUSTERS: &str = "arn:{partition}:eks:{region}:{account}:cluster/{env}-*";
const ENV_NODEGROUPS: &str = "arn:{partition}:eks:{region}:{account}:nodegroup/{env}-*/*";
const ENV_ADDONS: &str = "arn:{partition}:eks:{region}:{account}:addon/{env}-*/*";
const ENV_ACCESS_ENTRIES: &str = "arn:{partition}:eks:{region}:{account}:access-entry/{env}-*/*";

/// Observe lists the account's clusters and describes each to find the environment's;
/// the blocker search describes the cluster a controller's tag names.
const LIST_CLUSTERS: Grant = Grant::any(&["eks:ListClusters"], NO_RESOURCE_WHY);
const DESCRIBE_CLUSTER: Grant =
    Grant::on(&["eks:DescribeCluster"], &[ANY_CLUSTER]).because(READ_WHY);
/// The update a call started, followed until done.
const DESCRIBE_UPDATE: Grant =
    Grant::on(&["eks:DescribeUpdate"], &[ANY_CLUSTER, ANY_NODEGROUP, ANY_ADDON]).because(READ_WHY);
/// Envelope encryption of the cluster's secrets with the environment's key: "your key
/// policy must include the kms:DescribeKey and kms:CreateGrant permissions for the
/// principal that will create the cluster" (EKS user guide, "Encrypt Kubernetes secrets
/// with KMS"). The grant is for EKS only.
const CLUSTER_KEY: [Grant; 2] = [
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
const fn under_env_cluster(actions: &'static [&'static str]) -> Grant {
    Grant::on(actions, &[ENV_CLUSTERS]).when(&[REQUEST_TAG])
}

const DESCRIBE_NODEGROUP: Grant =
    Grant::on(&["eks:DescribeNodegroup"], &[ANY_NODEGROUP]).because(READ_WHY);
/// The launch template version a group names (custom AMIs); EKS reads it with the
/// caller's permissions (not in the Service Authorization Reference; Describe actions
/// support no resource-level permissions anyway).
const NODEGROUP_TEMPLATE: Grant = describe(&["ec2:DescribeLaunchTemplateVersions"]);

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

const DESCRIBE_ADDON: Grant = Grant::on(&["eks:DescribeAddon"], &[ANY_ADDON]).because(READ_WHY);
const ADDON_VERSIONS: Grant = Grant::any(&["eks:DescribeAddonVersions"], NO_RESOURCE_WHY);

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

const DESCRIBE_ACCESS_ENTRY: Grant =
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

// --- ECR ---------------------------------------------------------------------------------

/// Repository names are the blueprint's, not derived from the environment.
const REPO_ARN: &str = "arn:{partition}:ecr:{region}:{account}:repository/*";
/// Observe lists every repository of the account and reads each one's tags.
const REPO_READS: Grant = Grant::on(
    &["ecr:DescribeRepositories", "ecr:ListTagsForResource", "ecr:GetRepositoryPolicy"],
    &[REPO_ARN],
)
.because(READ_WHY);
const DESCRIBE_REPOS: Grant =
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
        Grant::on(&["ecr:SetRepositoryPolicy"], &[REPO_ARN]).because(FRESH_WHY),
    ],
    update: &[Grant::on(
        &[
            "ecr:PutImageTagMutability",
            "ecr:PutImageScanningConfiguration",
            "ecr:SetRepositoryPolicy",
            "ecr:DeleteRepositoryPolicy",
        ],
        &[REPO_ARN],
    )
    .when(&[RESOURCE_TAG])],
    delete: &[
        DESCRIBE_REPOS,
        Grant::on(&["ecr:DeleteRepository"], &[REPO_ARN]).when(&[RESOURCE_TAG]),
    ],
};

// --- Route 53 ----------------------------------------------------------------------------

/// Hosted zones: global, no account in their ARN, and Route 53 has no tag condition keys
/// (Service Authorization Reference, Route 53), so a zone grant is every zone.
const ZONE_ARN: &str = "arn:{partition}:route53:::hostedzone/*";
const ZONE_WHY: &str =
    "Route 53 offers no tag or account condition on hosted zones: every zone of the account";
const ROUTE53_LIST_WHY: &str = "Route 53's list actions authorize against no resource type";
const LIST_ZONES: Grant = Grant::any(&["route53:ListHostedZones"], ROUTE53_LIST_WHY);
const RECORD_SETS: Grant =
    Grant::on(&["route53:ListResourceRecordSets"], &[ZONE_ARN]).because(ZONE_WHY);
/// CreateHostedZone, AssociateVPCWithHostedZone and ListHostedZonesByVPC of a VPC depend
/// on ec2:DescribeVpcs (Service Authorization Reference, Route 53).
const ZONE_VPC_READ: Grant = describe(&["ec2:DescribeVpcs"]);
/// A zone of the environment holds alias A records only (besides its SOA and NS); a
/// delete removes whatever else is there too.
const A_RECORDS: Cond = Cond {
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

const ZONES_OF_VPC: Grant = Grant::any(&["route53:ListHostedZonesByVPC"], ROUTE53_LIST_WHY);

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

const CERT_ARN: &str = "arn:{partition}:acm:{region}:{account}:certificate/*";
/// Secrets Manager appends six random characters to a secret's name in its ARN.
const VPN_SECRET_ARN: &str =
    "arn:{partition}:secretsmanager:{region}:{account}:secret:airgap/{env}/*";
const CVPN_ARN: &str = "arn:{partition}:ec2:{region}:{account}:client-vpn-endpoint/*";

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
    ],
};

const CVPN_READS: Grant = Grant::on(
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
const CVPN_CHILDREN: Grant = Grant::on(
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
const CVPN_SUBNETS: Grant = Grant::on(
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

const RESOLVER_ARN: &str = "arn:{partition}:route53resolver:{region}:{account}:resolver-endpoint/*";
const RESOLVER_READS: Grant = Grant::on(
    &["route53resolver:GetResolverEndpoint", "route53resolver:ListResolverEndpointIpAddresses"],
    &[RESOLVER_ARN],
)
.because(READ_WHY);
const RESOLVER_LIST: Grant =
    Grant::any(&["route53resolver:ListResolverEndpoints"], NO_RESOURCE_WHY);
/// Resolver makes and removes the endpoint's network interfaces with the caller's
/// permissions (AWS's managed policy AmazonRoute53ResolverFullAccess grants these).
const RESOLVER_EC2_READS: Grant = describe(&[
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcs",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeAvailabilityZones",
]);
const RESOLVER_ENIS_WHY: &str = "the endpoint's network interfaces are Resolver's, made \
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

const NLB_ARN: &str = "arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/net/*";
const TG_ARN: &str = "arn:{partition}:elasticloadbalancing:{region}:{account}:targetgroup/*";
/// Network listeners only: the Service Authorization Reference lists listener actions
/// against `listener/app/...` or `listener/net/...`, by the load balancer's type, and
/// the environment has network load balancers only.
const LISTENER_ARN: &str = "arn:{partition}:elasticloadbalancing:{region}:{account}:listener/net/*";
const VPCE_SVC_ARN: &str = "arn:{partition}:ec2:{region}:{account}:vpc-endpoint-service/*";
const ELB_DESCRIBE_WHY: &str =
    "Elastic Load Balancing's Describe actions authorize against no resource type";
const ELB_READS: Grant = Grant::any(
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

const LISTENER_CHANGES: [Grant; 2] = [
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

const VPCE_SVC_READS: Grant = describe(&[
    "ec2:DescribeVpcEndpointServiceConfigurations",
    "ec2:DescribeVpcEndpointConnections",
]);
/// The one Describe of the service that authorizes against the service itself.
const VPCE_SVC_PERMISSIONS: Grant =
    Grant::on(&["ec2:DescribeVpcEndpointServicePermissions"], &[VPCE_SVC_ARN]).because(READ_WHY);
const VPCE_SVC_CHANGES: Grant = Grant::on(
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

/// Every kind's permissions, one per catalogue entry.
pub const KINDS: &[&Permissions] = &[
    &VPC,
    &SUBNET,
    &ROUTE_TABLE,
    &ROUTE_TABLE_ASSOCIATION,
    &ROUTE,
    &INTERNET_GATEWAY,
    &ELASTIC_IP,
    &NAT_GATEWAY,
    &SECURITY_GROUP,
    &SECURITY_GROUP_RULE,
    &TRANSIT_GATEWAY,
    &TGW_ROUTE_TABLE,
    &TGW_ASSOCIATION,
    &TGW_PROPAGATION,
    &TGW_ROUTE,
    &TGW_ATTACHMENT,
    &TGW_ATTACHMENT_ACCEPTER,
    &LAUNCH_TEMPLATE,
    &VPC_ENDPOINT_INTERFACE,
    &VPC_ENDPOINT_GATEWAY,
    &RAM_SHARE,
    &RAM_ASSOCIATION,
    &RAM_INVITATION_ACCEPTER,
    &LOG_GROUP,
    &NFW_RULE_GROUP,
    &NFW_POLICY,
    &FIREWALL,
    &IAM_ROLE,
    &IAM_ROLE_POLICY,
    &KMS_KEY,
    &KMS_ALIAS,
    &EKS_CLUSTER,
    &EKS_NODEGROUP,
    &EKS_ADDON,
    &EKS_ACCESS_ENTRY,
    &ECR_REPOSITORY,
    &ROUTE53_ZONE,
    &ROUTE53_ASSOCIATION,
    &VPN_PKI,
    &CLIENT_VPN_ENDPOINT,
    &RESOLVER_ENDPOINT,
    &TARGET_GROUP,
    &LOAD_BALANCER,
    &ENDPOINT_SERVICE,
];

/// The permissions of a kind.
pub fn of(kind: &str) -> Option<&'static Permissions> {
    KINDS.iter().copied().find(|p| p.name == kind)
}

// --- What airgapctl calls outside the kinds ------------------------------------------------

const LOCK_TABLE_ARN: &str = "arn:{partition}:dynamodb:{region}:{account}:table/airgapctl-locks";
/// The environment's lease (key `<env>`) and record (key `record:<env>`) only.
const ENV_ITEMS: Cond = Cond {
    op: "ForAllValues:StringEquals",
    key: "dynamodb:LeadingKeys",
    values: &["{env}", "record:{env}"],
};
const LOCK_WRITES: Grant = Grant::on(
    &["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
    &[LOCK_TABLE_ARN],
)
.when(&[ENV_ITEMS]);
/// The table is created on first use (`LockTable::ensure`, before a lease or a record is
/// written), without tags.
const LOCK_TABLE_CREATE: Grant = Grant::on(&["dynamodb:CreateTable"], &[LOCK_TABLE_ARN])
    .because("one table shared by every environment of the hub account, made untagged");
/// Whether the table exists and is active, and the item a conditional write lost to.
const LOCK_READS: Grant =
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

const EXPIRY_WRITE: Grant = Grant::on(&["ec2:CreateTags", "ec2:DeleteTags"], &[TGW_ARN])
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

const DESCRIBE_ZONES: Grant = describe(&["ec2:DescribeAvailabilityZones"]);

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
const ADOPTABLE: &[&str] = &[
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
//   ListResourceRecordSets.
// - `verify` with Network Access Analyzer (`analyzer.rs`):
//   ec2:CreateNetworkInsightsAccessScope, StartNetworkInsightsAccessScopeAnalysis,
//   DescribeNetworkInsightsAccessScopeAnalyses,
//   GetNetworkInsightsAccessScopeAnalysisFindings,
//   DeleteNetworkInsightsAccessScopeAnalysis, DeleteNetworkInsightsAccessScope.
// - `cost` (`pricing.rs`): pricing:GetProducts.

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> impl Iterator<Item = &'static Permissions> {
        KINDS.iter().chain(HUB_SUPPORT).chain(EVERY_SUPPORT).copied()
    }

    fn all_grants() -> impl Iterator<Item = (&'static str, Phase, &'static Grant)> {
        entries().flat_map(|p| {
            Phase::ALL
                .into_iter()
                .flat_map(move |ph| p.phase(ph).iter().map(move |g| (p.name, ph, g)))
        })
    }

    #[test]
    fn every_kind_of_the_catalogue_has_its_permissions() {
        let missing: Vec<_> =
            crate::ALL.iter().map(|k| k.name).filter(|n| of(n).is_none()).collect();
        assert!(missing.is_empty(), "kinds without IAM permissions: {missing:?}");
        for p in KINDS {
            assert!(crate::get(p.name).is_some(), "{} is not a catalogue kind", p.name);
        }
        let mut names: Vec<_> = entries().map(|p| p.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "an entry name twice: {names:?}");
    }

    #[test]
    fn actions_and_resources_are_well_formed() {
        const SERVICES: &[&str] = &[
            "ec2",
            "eks",
            "network-firewall",
            "ram",
            "iam",
            "kms",
            "logs",
            "ecr",
            "route53",
            "dynamodb",
            "sts",
            "elasticloadbalancing",
            "acm",
            "secretsmanager",
            "route53resolver",
        ];
        for (name, _, g) in all_grants() {
            assert!(!g.actions.is_empty() && !g.resources.is_empty(), "{name}: empty grant");
            for a in g.actions {
                let (svc, act) = a.split_once(':').unwrap_or_default();
                assert!(
                    SERVICES.contains(&svc)
                        && act.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                        && act.chars().all(|c| c.is_ascii_alphanumeric()),
                    "{name}: {a} is not service:Action"
                );
            }
            for r in g.resources {
                assert!(*r == "*" || r.starts_with("arn:{partition}:"), "{name}: resource {r}");
                if *r == "*" {
                    assert!(!g.why.is_empty(), "{name}: {:?} on * without a reason", g.actions);
                }
                // Only the placeholders the policy builder fills.
                let mut rest = *r;
                while let Some(i) = rest.find('{') {
                    let end = rest[i..].find('}').map(|j| i + j + 1).unwrap_or(rest.len());
                    let p = &rest[i..end];
                    assert!(
                        ["{partition}", "{region}", "{account}", "{env}"].contains(&p),
                        "{name}: placeholder {p} in {r}"
                    );
                    rest = &rest[end..];
                }
                // IAM and Route 53 are global: no region in their ARNs.
                for (svc, global) in
                    [("iam", "arn:{partition}:iam::"), ("route53", "arn:{partition}:route53:::")]
                {
                    if r.split(':').nth(2) == Some(svc) {
                        assert!(r.starts_with(global), "{name}: {r} names a region");
                    }
                }
            }
            // A grant without conditions says why it is no narrower.
            if g.conditions.is_empty() {
                assert!(
                    !g.why.is_empty(),
                    "{name}: {:?} unconditioned without a reason",
                    g.actions
                );
            }
            for c in g.conditions {
                assert!(!c.values.is_empty(), "{name}: condition {} without values", c.key);
            }
        }
    }

    #[test]
    fn no_action_is_both_on_star_and_on_an_arn_in_one_phase() {
        // "*" beside an ARN for the same action: either the ARN grant is useless or the
        // action authorizes against a resource type and "*" gives it every one.
        for p in entries() {
            for ph in Phase::ALL {
                let grants = p.phase(ph);
                for g in grants.iter().filter(|g| g.resources.contains(&"*")) {
                    for a in g.actions {
                        let on_arn = grants.iter().any(|o| {
                            o.actions.contains(a) && o.resources.iter().any(|r| *r != "*")
                        });
                        assert!(!on_arn, "{} {ph:?}: {a} both on * and on an ARN", p.name);
                    }
                }
            }
        }
    }

    #[test]
    fn tags_on_create_name_creates_the_same_phase_grants() {
        // ec2:CreateTags under ec2:CreateAction is useless unless the create is granted.
        for p in entries() {
            for ph in Phase::ALL {
                let grants = p.phase(ph);
                let granted = |a: &str| grants.iter().any(|g| g.actions.contains(&a));
                for c in grants.iter().flat_map(|g| g.conditions) {
                    if c.key == "ec2:CreateAction" {
                        for v in c.values {
                            assert!(
                                granted(&format!("ec2:{v}")),
                                "{} {ph:?}: tags on {v}, which is not granted",
                                p.name
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn iam_roles_stay_under_the_environments_path() {
        for (name, _, g) in all_grants() {
            for r in g.resources.iter().filter(|r| r.starts_with("arn:{partition}:iam::")) {
                assert!(
                    r.starts_with("arn:{partition}:iam::{account}:role/airgap/{env}/")
                        || r.starts_with("arn:{partition}:iam::{account}:role/aws-service-role/"),
                    "{name}: IAM resource {r}"
                );
            }
            if g.actions.contains(&"iam:CreateServiceLinkedRole") {
                assert!(
                    g.conditions.iter().any(|c| c.key == "iam:AWSServiceName"),
                    "{name}: a service-linked role for any service"
                );
            }
            if g.actions.contains(&"iam:PassRole") {
                assert!(
                    g.conditions.iter().any(|c| c.key == "iam:PassedToService"),
                    "{name}: a role passed to any service"
                );
            }
        }
    }
}
