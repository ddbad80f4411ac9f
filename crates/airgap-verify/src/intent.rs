//! What the blueprint declares that the checks compare the topology with: the API
//! access CIDRs of each cluster, the environment's repositories, the firewall's
//! allowlist. At plan time the topology comes from the same blueprint; on observed
//! state (later) it is what AWS says, and the intent is still the blueprint.

use airgap_blueprint::Blueprint;

use crate::prefix::{AddrSet, Prefix};
use crate::topology::Topology;

#[derive(Clone, Debug, Default)]
pub struct ClusterIntent {
    /// The cluster's node in the topology (`cluster/<name>`).
    pub id: String,
    pub api_access_cidrs: Vec<Prefix>,
}

/// `access.vpn`: where its clients are meant to go.
#[derive(Clone, Debug, Default)]
pub struct VpnIntent {
    /// The endpoint's node in the topology (`access/vpn`).
    pub id: String,
    /// The clusters whose API (443) it reaches (`cluster/<name>`): their VPCs may be
    /// authorized.
    pub clusters: Vec<String>,
    /// The other destinations it may reach (`access.vpn.cidrs`).
    pub cidrs: Vec<Prefix>,
    /// The networks of the DNS servers it hands out, which it must authorize too
    /// (`Blueprint::vpn_dns`).
    pub dns: Vec<Prefix>,
}

/// An entry of `access.privateLink`: who may connect to its endpoint service, and how.
#[derive(Clone, Debug, Default)]
pub struct PrivateLinkIntent {
    /// The service's node (`access/privatelink/<name>`).
    pub id: String,
    pub acceptance_required: bool,
    pub allowed_principals: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Intent {
    pub env: String,
    pub region: String,
    pub clusters: Vec<ClusterIntent>,
    /// The ARNs of the environment's ECR repositories.
    pub repositories: Vec<String>,
    /// S3 buckets the S3 gateway endpoints may reach besides ECR's layer bucket. The
    /// blueprint declares none yet: this is where such a list would come in.
    pub buckets: Vec<String>,
    /// `hub.firewall.allowDomains`; `None` without a firewall.
    pub allow_domains: Option<Vec<String>>,
    /// The Client VPN endpoints meant to exist: `access.vpn`, if declared.
    pub vpns: Vec<VpnIntent>,
    /// The endpoint services meant to exist: `access.privateLink`.
    pub private_links: Vec<PrivateLinkIntent>,
}

impl Intent {
    pub fn from_blueprint(bp: &Blueprint, env: &str) -> Intent {
        let region = bp.metadata.region.value.clone();
        // The same ARNs the made endpoint policies name, in the region's partition.
        let mut repositories = airgap_blueprint::endpoint_policy::repository_arns(bp);
        // The quarantine repositories are the environment's too (its pipeline pushes there).
        repositories.extend(airgap_blueprint::endpoint_policy::quarantine_arns(bp));
        Intent {
            env: env.to_string(),
            clusters: bp
                .clusters
                .iter()
                .map(|c| ClusterIntent {
                    id: format!("cluster/{}", c.name.value),
                    api_access_cidrs: bp
                        .api_access(c)
                        .iter()
                        .map(|n| Prefix::new(n.value.first(), n.value.prefix()))
                        .collect(),
                })
                .collect(),
            repositories,
            buckets: Vec::new(),
            allow_domains: bp
                .hub
                .firewall
                .as_ref()
                .map(|f| f.allow_domains.iter().map(|d| d.value.clone()).collect()),
            vpns: bp
                .access
                .vpn
                .iter()
                .map(|v| VpnIntent {
                    id: "access/vpn".into(),
                    clusters: v.clusters.iter().map(|c| format!("cluster/{}", c.value)).collect(),
                    cidrs: v
                        .cidrs
                        .iter()
                        .map(|n| Prefix::new(n.value.first(), n.value.prefix()))
                        .collect(),
                    dns: bp
                        .vpn_dns()
                        .map(|(_, nets)| nets)
                        .unwrap_or_default()
                        .iter()
                        .map(|n| Prefix::new(n.first(), n.prefix()))
                        .collect(),
                })
                .collect(),
            private_links: bp
                .access
                .private_link
                .iter()
                .map(|p| PrivateLinkIntent {
                    id: format!("access/privatelink/{}", p.name.value),
                    acceptance_required: p.acceptance_required.value,
                    allowed_principals: p
                        .allowed_principals
                        .iter()
                        .map(|a| a.value.clone())
                        .collect(),
                })
                .collect(),
            region,
        }
    }

    /// The intent of an environment verified without its blueprint (from its record):
    /// what exists stands for what was meant, except that each cluster's API is taken as
    /// meant for the environment's own address space (its VPCs' CIDRs), and the
    /// firewall's allowlist is listed, not compared. A Client VPN endpoint is meant to
    /// reach what it is authorized for, and the API of each cluster whose VPC that
    /// covers. An endpoint service is meant for the principals it allows (the checks
    /// still refuse `*` and an internet-facing load balancer).
    pub fn without_blueprint(env: &str, t: &Topology, repositories: Vec<String>) -> Intent {
        Intent {
            env: env.to_string(),
            region: t.region.clone(),
            clusters: t
                .clusters
                .iter()
                .map(|c| ClusterIntent { id: c.id.clone(), api_access_cidrs: t.private_ranges() })
                .collect(),
            repositories,
            buckets: Vec::new(),
            allow_domains: None,
            vpns: t
                .client_vpns
                .iter()
                .flatten()
                .map(|v| {
                    let dests: Vec<Prefix> = v.authorizations.iter().map(|a| a.dest).collect();
                    let reached = AddrSet::of_prefixes(&dests);
                    VpnIntent {
                        id: v.id.clone(),
                        clusters: t
                            .clusters
                            .iter()
                            .filter(|c| {
                                t.vpc_of_cluster(c).is_some_and(|vpc| {
                                    AddrSet::of_prefixes(&[vpc.cidr]).minus(&reached).is_empty()
                                })
                            })
                            .map(|c| c.id.clone())
                            .collect(),
                        cidrs: dests,
                        dns: Vec::new(),
                    }
                })
                .collect(),
            private_links: t
                .endpoint_services
                .iter()
                .flatten()
                .map(|s| PrivateLinkIntent {
                    id: s.id.clone(),
                    acceptance_required: s.acceptance_required,
                    allowed_principals: s.allowed_principals.clone(),
                })
                .collect(),
        }
    }

    /// ECR's bucket of image layers in the region: what pulls through an S3 gateway
    /// endpoint fetch (ECR user guide, "Amazon ECR interface VPC endpoints").
    pub fn layer_bucket(&self) -> String {
        airgap_blueprint::endpoint_policy::layer_bucket(&self.region)
    }

    /// The ARN prefix of the repositories EKS serves its add-on images from in the
    /// region (vpc-cni, coredns, kube-proxy): nodes pull them through the same ECR
    /// endpoints as the environment's own images.
    pub fn eks_addon_repositories(&self) -> String {
        airgap_blueprint::endpoint_policy::eks_addon_repositories(&self.region)
    }
}

/// Where in the blueprint a finding's resource comes from: 1-based line and column of
/// what declares it (the VPC's name, the endpoint's service, the cluster's name, ...), so
/// code-scanning UIs can show a finding on the line to change. Resource ids are the
/// expansion's node addresses; `None` for one the blueprint does not declare directly.
/// With overlays, the file is the one that wrote the declaration.
pub fn locate(bp: &Blueprint, resource: &str) -> Option<(String, usize, usize)> {
    let offset = span_of(bp, resource)?;
    Some(bp.position(offset))
}

fn span_of(bp: &Blueprint, resource: &str) -> Option<usize> {
    let hub = &bp.hub;
    let mut parts = resource.split('/');
    let first = parts.next()?;
    let second = parts.next();
    let span = match (first, second) {
        ("vpc", Some("inspection")) => hub.inspection_vpc.cidr.span,
        ("vpc", Some(name)) => {
            let vpc = bp.vpcs.iter().find(|v| v.name.value == name)?;
            match (parts.next(), parts.next()) {
                (Some("endpoint"), Some(svc)) => {
                    let policy = vpc.endpoints.policies.iter().find(|(k, _)| k.value == svc);
                    let listed = vpc
                        .endpoints
                        .interface
                        .iter()
                        .chain(&vpc.endpoints.gateway)
                        .find(|s| s.value == svc);
                    match (policy, listed) {
                        (Some((k, _)), _) => k.span,
                        (None, Some(s)) => s.span,
                        (None, None) => vpc.name.span,
                    }
                }
                _ => vpc.name.span,
            }
        }
        ("tgw", _) => hub.transit_gateway.asn.span,
        ("firewall", _) | ("hub.firewall", _) => match &hub.firewall {
            Some(fw) => match second {
                Some("rules") => match parts.next() {
                    Some("domains") => fw.allow_domains.first()?.span,
                    Some("allow") => fw.allow_rules.first()?.protocol.span,
                    _ => fw.logging.alert.span,
                },
                _ => fw.logging.alert.span,
            },
            None => hub.account.span,
        },
        ("cluster", Some(name)) => {
            let c = bp.clusters.iter().find(|c| c.name.value == name)?;
            match parts.next() {
                Some("sg") => c.api_access_cidrs.first().map_or(c.name.span, |a| a.span),
                _ => c.name.span,
            }
        }
        ("access", Some("privatelink")) => {
            let name = parts.next()?;
            let p = bp.access.private_link.iter().find(|p| p.name.value == name)?;
            p.name.span
        }
        // `access/vpn`, its rules (`access/vpn:authorize/<cidr>`) and routes
        // (`access/vpn:route/<cidr>@<subnet>`): the declared CIDR, or the cluster whose
        // VPC it is, else the VPN's `vpc`.
        ("access", Some(_)) => {
            let vpn = bp.access.vpn.as_ref()?;
            let dest = resource
                .split_once(':')
                .and_then(|(_, rule)| rule.split_once('/'))
                .map(|(_, d)| d.split('@').next().unwrap_or(d));
            let declared = dest.and_then(|d| vpn.cidrs.iter().find(|c| c.value.to_string() == d));
            let cluster = dest.and_then(|d| {
                vpn.clusters.iter().find(|n| {
                    let c = bp.clusters.iter().find(|c| c.name.value == n.value);
                    c.and_then(|c| bp.vpc(&c.vpc.value))
                        .is_some_and(|v| v.cidr.value.to_string() == d)
                })
            });
            match (declared, cluster) {
                (Some(c), _) => c.span,
                (None, Some(n)) => n.span,
                (None, None) => vpn.vpc.span,
            }
        }
        ("registry", Some(_)) => {
            let name = resource.strip_prefix("registry/")?;
            let reg = bp.registries.as_ref()?;
            reg.repositories.iter().find(|r| r.value == name)?.span
        }
        _ => return None,
    };
    Some(span.offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_located_on_the_lines_that_declare_them() {
        let bp = airgap_blueprint::examples::blueprint("hub-spoke.yaml").unwrap();
        let text = bp.source.inner().as_str();
        let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
        let at = |r: &str| locate(&bp, r).map(|(_, l, _)| l);
        assert_eq!(at("vpc/tooling/subnet/dataPlane/a"), Some(line_of("- name: tooling")));
        // An endpoint without a declared policy (hub-spoke's are made from `registries`):
        // the service in its list.
        assert_eq!(at("vpc/workload/endpoint/s3"), Some(line_of("gateway: [s3, dynamodb]")));
        assert_eq!(
            at("vpc/workload/endpoint/sts"),
            Some(line_of("interface: [ecr.api, ecr.dkr, sts, ec2"))
        );
        assert_eq!(
            at("vpc/workload/endpoint/ecr.api"),
            Some(line_of("interface: [ecr.api, ecr.dkr, sts, ec2"))
        );
        // An endpoint with a declared policy is located on its policy's key.
        let single = airgap_blueprint::examples::blueprint("single-account.yaml").unwrap();
        let single_text = single.source.inner().as_str();
        let single_line = single_text.lines().position(|l| l.contains("ecr.api: &ecr-none"));
        assert_eq!(
            locate(&single, "vpc/workload/endpoint/ecr.api").map(|(_, l, _)| l),
            single_line.map(|i| i + 1)
        );
        assert_eq!(at("vpc/inspection/rt/transit/a/default"), Some(line_of("inspectionVpc:")));
        assert_eq!(at("cluster/apps/sg/api/0"), Some(line_of("apiAccessCidrs:")));
        assert_eq!(at("registry/mirror/busybox"), Some(line_of("repositories:")));
        assert_eq!(at("firewall"), Some(line_of("logging: { alert:")));
        assert_eq!(at("ram/share"), None);
        // The VPN on its `vpc`; a rule or route to a cluster's VPC on the cluster named.
        assert_eq!(at("access/vpn"), Some(line_of("    vpc: access")));
        assert_eq!(at("access/vpn:authorize/10.10.0.0/16"), Some(line_of("    clusters: [apps]")));
        assert_eq!(
            at("access/vpn:route/10.30.0.0/22@vpc/access/subnet/endpoints/a"),
            Some(line_of("    vpc: access"))
        );
    }
}
