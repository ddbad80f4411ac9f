//! One entry per resource kind. `replace_fields` name the attributes AWS cannot change
//! in place (the API has no update for them); the timings are (create, update, delete,
//! timeout) in seconds of real AWS time.

use airgap_engine::{KindFacts, ReplaceMode, Timing};

// Rate-limit buckets (see `rate_limits`).
pub const EC2_DESCRIBE: &str = "ec2-describe";
pub const EC2_MUTATE: &str = "ec2-mutate";
pub const EC2_ENDPOINT: &str = "ec2-endpoint";
pub const EC2_NAT: &str = "ec2-nat";
pub const EC2_TAGS: &str = "ec2-tags";
pub const EKS: &str = "eks";
pub const RAM: &str = "ram";
pub const NFW: &str = "nfw";
pub const IAM: &str = "iam";
pub const KMS: &str = "kms";
pub const LOGS: &str = "logs";
pub const ECR: &str = "ecr";
pub const ROUTE53: &str = "route53";
pub const ACM: &str = "acm";
pub const RESOLVER: &str = "route53resolver";
pub const ELB: &str = "elb";

const fn ec2(name: &'static str, timing: Timing, replace: &'static [&'static str]) -> KindFacts {
    KindFacts {
        name,
        timing,
        bucket: EC2_MUTATE,
        read_bucket: EC2_DESCRIBE,
        replace_fields: replace,
        replace_mode: ReplaceMode::DeleteBeforeCreate,
        outputs_changed_by_update: &[],
        identity: &[],
        unordered: &[],
        holds: &[],
    }
}

const fn svc(
    name: &'static str,
    bucket: &'static str,
    timing: Timing,
    replace: &'static [&'static str],
) -> KindFacts {
    KindFacts {
        name,
        timing,
        bucket,
        read_bucket: bucket,
        replace_fields: replace,
        replace_mode: ReplaceMode::DeleteBeforeCreate,
        outputs_changed_by_update: &[],
        identity: &[],
        unordered: &[],
        holds: &[],
    }
}

// --- EC2 networking --------------------------------------------------------------------
pub const VPC: KindFacts = ec2("vpc", Timing::secs(3, 2, 2, 300), &["cidr"]);
pub const SUBNET: KindFacts = ec2("subnet", Timing::secs(2, 2, 2, 300), &["vpc", "cidr", "az"]);
pub const ROUTE_TABLE: KindFacts = ec2("route-table", Timing::secs(2, 2, 2, 300), &["vpc"]);
pub const ROUTE_TABLE_ASSOCIATION: KindFacts = KindFacts {
    identity: &["routeTable", "subnet"],
    ..ec2("route-table-association", Timing::secs(1, 1, 1, 300), &["subnet", "routeTable"])
};
/// A route's target changes in place (ReplaceRoute); its destination does not.
pub const ROUTE: KindFacts = KindFacts {
    identity: &["routeTable", "cidr"],
    ..ec2("route", Timing::secs(1, 1, 1, 300), &["routeTable", "cidr"])
};
pub const INTERNET_GATEWAY: KindFacts = ec2("internet-gateway", Timing::secs(3, 2, 3, 300), &[]);
pub const ELASTIC_IP: KindFacts = ec2("elastic-ip", Timing::secs(1, 1, 2, 300), &[]);
/// ~1m47s to create, ~4 min to delete with its address released.
pub const NAT_GATEWAY: KindFacts = KindFacts {
    bucket: EC2_NAT,
    ..ec2("nat-gateway", Timing::secs(107, 10, 240, 900), &["subnet", "eip"])
};
/// A group's name and description are fixed at creation.
pub const SECURITY_GROUP: KindFacts =
    ec2("security-group", Timing::secs(2, 2, 2, 300), &["vpc", "description"]);
pub const SECURITY_GROUP_RULE: KindFacts =
    ec2("security-group-rule", Timing::secs(1, 1, 1, 300), &["group", "protocol", "port", "cidr"]);

// --- Transit gateway (durations unverified: ~2-3 min for the gateway, ~1 min for an
// attachment) ---------------------------------------------------------------------------
pub const TRANSIT_GATEWAY: KindFacts =
    ec2("transit-gateway", Timing::secs(150, 30, 150, 900), &["asn"]);
pub const TGW_ROUTE_TABLE: KindFacts =
    ec2("tgw-route-table", Timing::secs(60, 10, 60, 600), &["tgw"]);
pub const TGW_ASSOCIATION: KindFacts = KindFacts {
    identity: &["routeTable", "attachment"],
    ..ec2("tgw-association", Timing::secs(30, 30, 30, 600), &["attachment", "routeTable"])
};
pub const TGW_PROPAGATION: KindFacts = KindFacts {
    identity: &["routeTable", "attachment"],
    ..ec2("tgw-propagation", Timing::secs(30, 30, 30, 600), &["attachment", "routeTable"])
};
pub const TGW_ROUTE: KindFacts = KindFacts {
    identity: &["routeTable", "cidr"],
    ..ec2("tgw-route", Timing::secs(2, 2, 2, 300), &["routeTable", "cidr"])
};
pub const TGW_ATTACHMENT: KindFacts = KindFacts {
    unordered: &["subnets"],
    // its network interfaces, one per subnet
    holds: &["subnets"],
    ..ec2("tgw-attachment", Timing::secs(60, 30, 60, 900), &["tgw", "vpc"])
};
pub const TGW_ATTACHMENT_ACCEPTER: KindFacts = KindFacts {
    identity: &["tgw", "attachment"],
    ..ec2("tgw-attachment-accepter", Timing::secs(45, 10, 10, 900), &["attachment", "tgw"])
};

/// A template's name is fixed; a new image is a new version (an update), which the
/// node groups that use the template roll to.
pub const LAUNCH_TEMPLATE: KindFacts = KindFacts {
    outputs_changed_by_update: &["version"],
    ..ec2("launch-template", Timing::secs(1, 1, 1, 300), &["name"])
};

// --- VPC endpoints (interface: unverified ~1-2 min up, "a few minutes" down) -----------
pub const VPC_ENDPOINT_INTERFACE: KindFacts = KindFacts {
    bucket: EC2_ENDPOINT,
    unordered: &["subnets", "securityGroups"],
    holds: &["subnets", "securityGroups"],
    ..ec2("vpc-endpoint-interface", Timing::secs(90, 30, 120, 900), &["vpc", "service"])
};
pub const VPC_ENDPOINT_GATEWAY: KindFacts = KindFacts {
    bucket: EC2_ENDPOINT,
    unordered: &["routeTables"],
    ..ec2("vpc-endpoint-gateway", Timing::secs(10, 5, 10, 600), &["vpc", "service"])
};

// --- RAM (seconds) ---------------------------------------------------------------------
pub const RAM_SHARE: KindFacts = KindFacts {
    unordered: &["resources"],
    ..svc("ram-share", RAM, Timing::secs(2, 2, 2, 300), &[])
};
pub const RAM_ASSOCIATION: KindFacts = KindFacts {
    identity: &["share", "principal"],
    ..svc("ram-association", RAM, Timing::secs(2, 2, 2, 300), &["share", "principal"])
};
pub const RAM_INVITATION_ACCEPTER: KindFacts = KindFacts {
    identity: &["share"],
    ..svc("ram-invitation-accepter", RAM, Timing::secs(2, 2, 2, 300), &["share"])
};

// --- Logs and Network Firewall (~6 min up, ~21 min down) --------------------------------
pub const LOG_GROUP: KindFacts = svc("log-group", LOGS, Timing::secs(1, 1, 1, 120), &["name"]);
/// A rule group's type, rule order and capacity are fixed at creation; a new one is
/// made before the old goes, so the policy never points at nothing.
pub const NFW_RULE_GROUP: KindFacts = KindFacts {
    replace_mode: ReplaceMode::CreateBeforeDestroy,
    ..svc("nfw-rule-group", NFW, Timing::secs(5, 5, 5, 300), &["type", "ruleOrder", "capacity"])
};
/// The firewall switches to a new policy in place.
pub const NFW_POLICY: KindFacts = KindFacts {
    replace_mode: ReplaceMode::CreateBeforeDestroy,
    ..svc("nfw-policy", NFW, Timing::secs(5, 5, 5, 300), &["ruleOrder"])
};
pub const FIREWALL: KindFacts = KindFacts {
    unordered: &["subnets"],
    // the endpoint's network interface in each subnet
    holds: &["subnets"],
    ..svc("firewall", NFW, Timing::secs(360, 60, 1260, 3600), &["vpc"])
};

// --- IAM and KMS -------------------------------------------------------------------------
/// Roles are usable by EKS only after propagation (up to ~2 min), folded into create.
pub const IAM_ROLE: KindFacts = svc("iam-role", IAM, Timing::secs(10, 2, 2, 300), &["name"]);
pub const IAM_ROLE_POLICY: KindFacts =
    svc("iam-role-policy", IAM, Timing::secs(1, 1, 1, 300), &["role", "policy"]);
pub const KMS_KEY: KindFacts = svc("kms-key", KMS, Timing::secs(2, 2, 2, 300), &[]);
pub const KMS_ALIAS: KindFacts = svc("kms-alias", KMS, Timing::secs(1, 1, 1, 300), &["name"]);

// --- EKS ---------------------------------------------------------------------------------
/// 9-16 min to create, ~15 to delete. A version update is unverified: users report
/// 8-12 min per minor version. A cluster keeps its name and role for life; its secrets
/// key can be added later (AssociateEncryptionConfig) but never changed.
pub const EKS_CLUSTER: KindFacts = KindFacts {
    // the control plane's network interfaces, in those subnets with those groups
    holds: &["subnets", "securityGroups"],
    ..svc("eks-cluster", EKS, Timing::secs(600, 600, 900, 3600), &["name", "role"])
};
/// 1m20s-3 min for a small group (delete and update unverified). What EKS cannot
/// change in place is replaced create-before-destroy, so workloads keep nodes.
pub const EKS_NODEGROUP: KindFacts = KindFacts {
    replace_mode: ReplaceMode::CreateBeforeDestroy,
    ..svc(
        "eks-nodegroup",
        EKS,
        Timing::secs(150, 300, 300, 3600),
        &[
            "instanceTypes",
            "cluster",
            "name",
            "role",
            "subnets",
            "amiType",
            "launchTemplate",
            "capacityType",
        ],
    )
};
/// Unverified (~1-2 min).
pub const EKS_ADDON: KindFacts =
    svc("eks-addon", EKS, Timing::secs(90, 90, 60, 1200), &["cluster", "name"]);
pub const EKS_ACCESS_ENTRY: KindFacts =
    svc("eks-access-entry", EKS, Timing::secs(2, 2, 2, 300), &["cluster", "principal"]);

// --- ECR ---------------------------------------------------------------------------------
pub const ECR_REPOSITORY: KindFacts = KindFacts {
    unordered: &["pullPrincipals"],
    ..svc("ecr-repository", ECR, Timing::secs(1, 1, 1, 300), &["name"])
};
/// The environment's share of the registry's scanning configuration (one per account and
/// region, shared with whatever else the registry holds): its repositories' filters in
/// a rule of the scan type and frequency the blueprint asks for. Seconds.
pub const ECR_REGISTRY_SCANNING: KindFacts =
    svc("ecr-registry-scanning", ECR, Timing::secs(2, 2, 2, 300), &[]);

// --- Route 53 (central endpoints' private hosted zones; a change is INSYNC within
// seconds to a minute, the API reference's GetChange says "typically ... within 60
// seconds"; unverified) ------------------------------------------------------------------
/// A private hosted zone's name is fixed. The VPC it is created with is its first
/// association, which the association kind follows like any other.
pub const ROUTE53_ZONE: KindFacts =
    svc("route53-zone", ROUTE53, Timing::secs(30, 30, 30, 600), &["name"]);
/// A VPC's association with a zone, made by the VPC's account (after the zone's owner
/// authorized it when they differ).
pub const ROUTE53_ASSOCIATION: KindFacts =
    svc("route53-association", ROUTE53, Timing::secs(30, 30, 30, 600), &["zone", "vpc"]);

// --- Private access: AWS Client VPN (issue 21) --------------------------------------------
/// The VPN's certificate authority: a CA and a server certificate airgapctl makes, the
/// CA kept in Secrets Manager (to issue client certificates later), the server
/// certificate with its chain imported into ACM. Seconds; a new CA is a new PKI.
pub const VPN_PKI: KindFacts = svc("vpn-pki", ACM, Timing::secs(3, 3, 3, 300), &["name"]);
/// A Client VPN endpoint with its target network associations, authorization rules and
/// routes. Unverified: the endpoint is made in seconds, each association takes "a few
/// minutes" (Client VPN Administrator Guide), removing them about as long.
pub const CLIENT_VPN_ENDPOINT: KindFacts = KindFacts {
    unordered: &["subnets", "authorize", "routes", "securityGroups", "dnsServers"],
    // the associations' network interfaces; ACM keeps a certificate in use
    holds: &["subnets", "securityGroups", "serverCertificate"],
    ..ec2(
        "client-vpn-endpoint",
        Timing::secs(300, 300, 300, 1800),
        &["clientCidr", "vpc", "transport", "splitTunnel"],
    )
};
/// A Route 53 Resolver inbound endpoint: its addresses are network interfaces Resolver
/// makes in the subnets named. Unverified: creation takes a few minutes (the endpoint is
/// `CREATING` until every interface is up), deletion about as long. Its security groups
/// and addresses are fixed at creation here (UpdateResolverEndpoint changes only the
/// name, type and protocols; addresses move one by one, which a replacement does whole).
pub const RESOLVER_ENDPOINT: KindFacts = svc(
    "resolver-endpoint",
    RESOLVER,
    Timing::secs(150, 5, 120, 900),
    &["direction", "securityGroups", "subnets"],
);

// --- PrivateLink (issue 21) ----------------------------------------------------------------
/// A target group: made in a second; its name, protocol, port, VPC and target type are
/// fixed (ModifyTargetGroup changes health checks only).
pub const TARGET_GROUP: KindFacts = svc(
    "target-group",
    ELB,
    Timing::secs(2, 2, 2, 300),
    &["name", "protocol", "port", "vpc", "targetType"],
);
/// An internal NLB: `provisioning` for a few minutes before `active` (unverified: users
/// report 2-4 minutes). Its name, scheme and subnets are fixed here; listeners change in
/// place.
pub const LOAD_BALANCER: KindFacts =
    svc("load-balancer", ELB, Timing::secs(180, 5, 30, 900), &["name", "scheme", "subnets"]);
/// A VPC endpoint service: `Pending` briefly, then `Available` (unverified: seconds).
pub const ENDPOINT_SERVICE: KindFacts = KindFacts {
    unordered: &["loadBalancers", "allowedPrincipals"],
    // a load balancer an endpoint service uses is not deleted
    holds: &["loadBalancers"],
    ..ec2("endpoint-service", Timing::secs(5, 2, 10, 300), &[])
};
