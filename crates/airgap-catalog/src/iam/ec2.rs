//! EC2's kinds: the VPC and everything in it, the transit gateway and its parts, launch
//! templates, VPC endpoints.

use super::*;

// --- EC2 ---------------------------------------------------------------------------------

pub(super) const VPC_ARN: &str = "arn:{partition}:ec2:{region}:{account}:vpc/*";
pub(super) const SUBNET_ARN: &str = "arn:{partition}:ec2:{region}:{account}:subnet/*";
pub(super) const RTB_ARN: &str = "arn:{partition}:ec2:{region}:{account}:route-table/*";
pub(super) const IGW_ARN: &str = "arn:{partition}:ec2:{region}:{account}:internet-gateway/*";
pub(super) const EIP_ARN: &str = "arn:{partition}:ec2:{region}:{account}:elastic-ip/*";
pub(super) const NAT_ARN: &str = "arn:{partition}:ec2:{region}:{account}:natgateway/*";
pub(super) const SG_ARN: &str = "arn:{partition}:ec2:{region}:{account}:security-group/*";
pub(super) const SGR_ARN: &str = "arn:{partition}:ec2:{region}:{account}:security-group-rule/*";
pub(super) const TGW_ARN: &str = "arn:{partition}:ec2:{region}:{account}:transit-gateway/*";
pub(super) const TGW_RTB_ARN: &str =
    "arn:{partition}:ec2:{region}:{account}:transit-gateway-route-table/*";
pub(super) const TGW_ATT_ARN: &str =
    "arn:{partition}:ec2:{region}:{account}:transit-gateway-attachment/*";
pub(super) const VPCE_ARN: &str = "arn:{partition}:ec2:{region}:{account}:vpc-endpoint/*";
pub(super) const LT_ARN: &str = "arn:{partition}:ec2:{region}:{account}:launch-template/*";
pub(super) const ENI_ARN: &str = "arn:{partition}:ec2:{region}:{account}:network-interface/*";
/// The transit gateway of another account (the hub's, shared through RAM).
pub(super) const ANY_TGW_ARN: &str = "arn:{partition}:ec2:{region}:*:transit-gateway/*";
/// An attachment as the transit gateway's owner sees it (possibly a spoke's).
pub(super) const ANY_TGW_ATT_ARN: &str =
    "arn:{partition}:ec2:{region}:*:transit-gateway-attachment/*";

pub(super) const fn describe(actions: &'static [&'static str]) -> Grant {
    Grant::any(actions, EC2_DESCRIBE_WHY)
}

/// `ec2:CreateTags` as part of `action` on `resource` (tag-on-create).
pub(super) const fn tag_on_create(
    resource: &'static [&'static str],
    action: &'static [Cond],
) -> Grant {
    Grant::on(&["ec2:CreateTags"], resource).when(action)
}

/// The standard tags put back on a resource of the environment, and the marks of earlier
/// versions removed (`ec2::retag`).
pub(super) const fn retag(resource: &'static [&'static str]) -> [Grant; 2] {
    [
        Grant::on(&["ec2:CreateTags"], resource).when(&[RESOURCE_TAG]),
        Grant::on(&["ec2:DeleteTags"], resource).when(&[RESOURCE_TAG, LEGACY_MARKS]),
    ]
}

pub(super) const DESCRIBE_VPCS: Grant = describe(&["ec2:DescribeVpcs"]);

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

pub(super) const DESCRIBE_SUBNETS: Grant = describe(&["ec2:DescribeSubnets"]);

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

pub(super) const DESCRIBE_RTBS: Grant = describe(&["ec2:DescribeRouteTables"]);
pub(super) const RTB_RETAG: [Grant; 2] = retag(&[RTB_ARN]);

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

pub(super) const DESCRIBE_IGWS: Grant = describe(&["ec2:DescribeInternetGateways"]);
/// Detaching from the VPC observe found it attached to, whoever's that is.
pub(super) const IGW_DETACH_VPC: Grant =
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

pub(super) const DESCRIBE_ADDRESSES: Grant = describe(&["ec2:DescribeAddresses"]);

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

pub(super) const DESCRIBE_NATS: Grant = describe(&["ec2:DescribeNatGateways"]);

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

pub(super) const DESCRIBE_SGS: Grant = describe(&["ec2:DescribeSecurityGroups"]);
pub(super) const SG_RETAG: [Grant; 2] = retag(&[SG_ARN]);

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

pub(super) const DESCRIBE_SG_RULES: Grant = describe(&["ec2:DescribeSecurityGroupRules"]);

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

pub(super) const DESCRIBE_TGWS: Grant = describe(&["ec2:DescribeTransitGateways"]);
pub(super) const TGW_RETAG: [Grant; 2] = retag(&[TGW_ARN]);

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

pub(super) const DESCRIBE_TGW_RTBS: Grant = describe(&["ec2:DescribeTransitGatewayRouteTables"]);
pub(super) const TGW_RTB_RETAG: [Grant; 2] = retag(&[TGW_RTB_ARN]);

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
pub(super) const GET_TGW_ASSOCIATIONS: Grant =
    describe(&["ec2:GetTransitGatewayRouteTableAssociations"]);
pub(super) const GET_TGW_PROPAGATIONS: Grant =
    describe(&["ec2:GetTransitGatewayRouteTablePropagations"]);

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

pub(super) const DESCRIBE_TGW_VPC_ATTS: Grant =
    describe(&["ec2:DescribeTransitGatewayVpcAttachments"]);
pub(super) const TGW_ATT_RETAG: [Grant; 2] = retag(&[TGW_ATT_ARN]);

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

pub(super) const DESCRIBE_TGW_ATTS: Grant = describe(&["ec2:DescribeTransitGatewayAttachments"]);

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

pub(super) const DESCRIBE_LTS: Grant = describe(&["ec2:DescribeLaunchTemplates"]);

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

pub(super) const DESCRIBE_VPCES: Grant = describe(&["ec2:DescribeVpcEndpoints"]);
/// Dependent actions of CreateVpcEndpoint (Service Authorization Reference, EC2).
pub(super) const VPCE_CREATE_READS: Grant = describe(&[
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
]);
pub(super) const VPCE_RETAG: [Grant; 2] = retag(&[VPCE_ARN]);
pub(super) const VPCE_DELETE: Grant =
    Grant::on(&["ec2:DeleteVpcEndpoints"], &[VPCE_ARN]).when(&[RESOURCE_TAG]);
/// Private DNS: the endpoint service's private hosted zone, which AWS manages, is
/// associated with the VPC, a dependent action of CreateVpcEndpoint (Service
/// Authorization Reference, EC2).
pub(super) const VPCE_PRIVATE_DNS: Grant =
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
