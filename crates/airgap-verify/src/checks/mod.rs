//! The checks. Each reads the topology (and the blueprint's intent where the topology
//! cannot say what was meant) and returns its result with evidence.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::egress::{self, classes, vpc_route, End};
use crate::intent::Intent;
use crate::prefix::{AddrSet, Prefix};
use crate::report::{CheckInfo, CheckResult, Finding, Status};
use crate::topology::{Pull, Target, Topology, VpcRole};

mod access;
mod network;
mod privatelink;
mod workload;

use access::*;
use network::*;
use privatelink::*;
use workload::*;

/// Every check, in report order. Ids are stable.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "egress.firewall-first",
        title: "Egress from every spoke subnet meets a firewall endpoint before any NAT or internet gateway",
        proves: "for every subnet of every spoke VPC and every destination outside the environment's VPC CIDRs (all of them, by equivalence classes of prefixes), every path through VPC route tables, transit gateway route tables (associations, propagations, static and blackhole routes) and zones either drops or passes a firewall endpoint before a NAT gateway, an internet gateway or any target the model does not follow",
    },
    CheckInfo {
        id: "egress.return-symmetry",
        title: "Return traffic comes back through the firewall endpoint of the same zone",
        proves: "appliance mode is on for the inspection VPC's attachment, every NAT gateway's subnet routes each spoke CIDR to the firewall endpoint of its own zone, and every firewall subnet routes each spoke CIDR to the transit gateway",
    },
    CheckInfo {
        id: "spoke.no-public-surface",
        title: "No public surface in spokes",
        proves: "no internet gateway, NAT gateway, egress-only gateway or peering connection in a spoke VPC, no subnet that maps public IPs on launch, and no route table outside the inspection VPC with a route to a NAT or internet gateway",
    },
    CheckInfo {
        id: "firewall.default-drop",
        title: "Firewall drops by default, in strict order",
        proves: "the policy and its rule groups evaluate in strict order, the stateful default action drops, and the stateless defaults forward to the stateful engine (or drop) instead of passing",
    },
    CheckInfo {
        id: "firewall.home-net",
        title: "HOME_NET of every rule group covers every spoke CIDR",
        proves: "each stateful rule group's HOME_NET includes every address of every spoke VPC, so the rules written for the spokes match their traffic",
    },
    CheckInfo {
        id: "firewall.allowlist",
        title: "The firewall passes the declared allowlist only",
        proves: "the domain allowlist equals the blueprint's, and no pass rule admits any destination on any port; the allowed domains and rules are listed",
    },
    CheckInfo {
        id: "firewall.logging",
        title: "Firewall alert logs are on",
        proves: "the firewall sends its ALERT logs (what its rules dropped or flagged) to a destination; where FLOW logs go is shown",
    },
    CheckInfo {
        id: "eks.private-endpoint",
        title: "EKS API endpoint is private only",
        proves: "public endpoint access is off and private access on, for every cluster",
    },
    CheckInfo {
        id: "eks.endpoint-dns",
        title: "The cluster endpoint's name resolves inside its VPC",
        proves: "with --dns on what exists: the name of every cluster's API endpoint, looked up with the system resolver of the machine running verify, gives only addresses within the cluster's VPC CIDR (not applicable without --dns)",
    },
    CheckInfo {
        id: "eks.api-access",
        title: "Cluster API (443) open only to apiAccessCidrs",
        proves: "every ingress rule of the cluster's security groups that admits port 443 admits only addresses within the cluster's declared apiAccessCidrs",
    },
    CheckInfo {
        id: "eks.node-endpoints",
        title: "The endpoints nodes need exist, with private DNS",
        proves: "the cluster's VPC has interface endpoints for ec2, ecr.api, ecr.dkr and sts with private DNS on, and an S3 gateway endpoint",
    },
    CheckInfo {
        id: "endpoints.ecr-policy",
        title: "ECR endpoints allow only the environment's repositories",
        proves: "every ecr.api and ecr.dkr endpoint has a policy whose Allow statements name only the environment's repository ARNs (and `*` only for ecr:GetAuthorizationToken)",
    },
    CheckInfo {
        id: "endpoints.s3-policy",
        title: "S3 gateway endpoints allow only ECR's layer bucket and declared buckets",
        proves: "every S3 gateway endpoint has a policy whose Allow statements name only the region's ECR layer bucket and the declared buckets",
    },
    CheckInfo {
        id: "registry.scan-on-push",
        title: "Repositories scan images on push",
        proves: "scan on push is on for every repository of the environment",
    },
    CheckInfo {
        id: "registry.immutable-tags",
        title: "Repositories have immutable tags",
        proves: "tag immutability is on for every repository of the environment",
    },
    CheckInfo {
        id: "registry.pull-principals",
        title: "Only the environment's node roles may pull",
        proves: "each repository policy grants pull to the node roles of the environment's clusters and to no one else",
    },
    CheckInfo {
        id: "vpn.split-tunnel",
        title: "The VPN carries only the environment's ranges, into spoke subnets",
        proves: "every Client VPN endpoint is split-tunnel, none of its routes or authorization rules reaches outside the environment's VPC CIDRs (0.0.0.0/0 included), and it is associated with subnets of a spoke VPC only, whose egress egress.firewall-first follows",
    },
    CheckInfo {
        id: "vpn.authorization",
        title: "The VPN authorizes only the declared destinations",
        proves: "every authorization rule of every Client VPN endpoint is within the VPCs of the clusters named in access.vpn.clusters and the CIDRs of access.vpn.cidrs, and no endpoint exists that access.vpn does not declare",
    },
    CheckInfo {
        id: "vpn.cluster-api",
        title: "The VPN reaches the API (443) of the clusters it is for",
        proves: "for each cluster named in access.vpn.clusters, every address of its subnets is authorized and routed by the endpoint, every path from each subnet the clients enter by is delivered in the cluster's VPC through firewalls with a pass rule for TCP 443 from that subnet, the cluster's security groups admit that subnet on 443, and the replies are routed back",
    },
    CheckInfo {
        id: "privatelink.exposure",
        title: "PrivateLink services admit only the declared principals, through internal load balancers",
        proves: "every VPC endpoint service in front of the environment's load balancers (or tagged as its own) is declared in access.privateLink, allows only the principals declared for it (never `*`), requires acceptance of each connection unless declared otherwise, and fronts internal load balancers only; every declared service exists",
    },
];

fn result(
    id: &'static str,
    evidence: Vec<String>,
    findings: Vec<Finding>,
    applicable: bool,
) -> CheckResult {
    let info = CHECKS.iter().find(|c| c.id == id).expect("every check is listed in CHECKS");
    let status = if !findings.is_empty() {
        Status::Fail
    } else if applicable {
        Status::Pass
    } else {
        Status::NotApplicable
    };
    CheckResult { id, title: info.title, status, evidence, findings }
}

fn join<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let v: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Runs every check.
pub fn run(t: &Topology, intent: &Intent) -> Vec<CheckResult> {
    let mut out = vec![egress_check(t), return_symmetry(t), no_public_surface(t)];
    out.extend(firewall_checks(t, intent));
    out.extend(eks_checks(t, intent));
    out.push(ecr_policy(t, intent));
    out.push(s3_policy(t, intent));
    out.extend(registry_checks(t));
    out.extend(vpn_checks(t, intent));
    out.push(private_link_check(t, intent));
    out
}

fn spoke_cidrs(t: &Topology) -> Vec<Prefix> {
    t.vpcs_of(VpcRole::Spoke).map(|v| v.cidr).collect()
}
