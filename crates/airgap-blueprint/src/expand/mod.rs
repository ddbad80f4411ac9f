//! Blueprint -> resource graph. Every AWS resource the environment needs becomes a
//! node with a stable logical address (its `airgap:id` tag), so a later run maps what
//! exists back onto the same nodes.
//!
//! Kind names are those of the catalogue (`airgap_catalog::ALL`); the AWS provider implements
//! the same names.
//!
//! [`expand_as`] lays out the network account (transit gateway, RAM share,
//! inspection VPC, firewall and their routes) here, then calls `spoke::spoke` for
//! each spoke VPC and `cluster::cluster_nodes` for each cluster, and adds the ECR
//! repositories last.

use airgap_catalog::spec::{
    node, Id, InternetGatewaySpec, NatGatewaySpec, RouteTableAssociationSpec, RouteTableSpec,
    SubnetSpec, VpcSpec,
};
use airgap_engine::{GraphBuilder, Node, Scope, Value};

use crate::carve::{carve_inspection, CarveError, InspectionTier};
use crate::model::{Blueprint, LogDestination, Protocol, SubnetTier};

mod cluster;
mod spoke;

use cluster::cluster_nodes;
use spoke::spoke;

/// The tier's name in logical addresses and tags.
pub fn tier_name(t: SubnetTier) -> &'static str {
    match t {
        SubnetTier::ControlPlane => "controlPlane",
        SubnetTier::DataPlane => "dataPlane",
        SubnetTier::Endpoints => "endpoints",
        SubnetTier::Transit => "transit",
    }
}

fn inspection_tier_name(t: InspectionTier) -> &'static str {
    match t {
        InspectionTier::Transit => "transit",
        InspectionTier::Firewall => "firewall",
        InspectionTier::Public => "public",
    }
}

/// A VPC of the environment; DNS support and hostnames on, as interface endpoints'
/// private names need.
fn add_vpc(b: &mut GraphBuilder, id: &str, scope: &Scope, cidr: &str) {
    b.add(node(
        id,
        scope.clone(),
        &VpcSpec {
            cidr: cidr.to_string(),
            enable_dns_support: true,
            enable_dns_hostnames: true,
        },
    ));
}

/// A subnet of VPC node `v` with a route table of its own and their association:
/// `{v}/subnet/{tier}/{az}`, `{v}/rt/{tier}/{az}` and `{v}/rt/{tier}/{az}/assoc`. Returns
/// the route table's node id.
fn add_subnet(
    b: &mut GraphBuilder,
    v: &str,
    scope: &Scope,
    tier: &str,
    az: &str,
    cidr: &str,
    zone: &str,
) -> String {
    let sn = format!("{v}/subnet/{tier}/{az}");
    let rt = format!("{v}/rt/{tier}/{az}");
    b.add(node(
        sn.as_str(),
        scope.clone(),
        &SubnetSpec {
            vpc: Id::of(v, "id"),
            cidr: cidr.to_string(),
            az: zone.to_string(),
            // No public addresses anywhere, the inspection VPC's public subnets included:
            // only the NAT gateways there have one, an elastic IP of their own.
            map_public_ip_on_launch: false,
        },
    ));
    b.add(node(
        rt.as_str(),
        scope.clone(),
        &RouteTableSpec {
            vpc: Id::of(v, "id"),
        },
    ));
    b.add(node(
        format!("{rt}/assoc"),
        scope.clone(),
        &RouteTableAssociationSpec {
            subnet: Id::of(sn.as_str(), "id"),
            route_table: Id::of(rt.as_str(), "id"),
        },
    ));
    rt
}

fn r(node: &str, output: &str) -> Value {
    Value::reference(node, output)
}

fn list<I: IntoIterator<Item = Value>>(items: I) -> Value {
    Value::List(items.into_iter().collect())
}

/// The short AZ suffix used in addresses: `eu-central-1a` -> `a`.
fn az_suffix(az: &str) -> &str {
    let i = az.rfind(|c: char| c.is_ascii_digit()).map_or(0, |i| i + 1);
    &az[i..]
}

/// Expands a validated blueprint into the declared resource graph (not yet sealed),
/// for the environment its `metadata.name` names.
pub fn expand(bp: &Blueprint) -> Result<GraphBuilder, CarveError> {
    expand_as(bp, &bp.metadata.name.value)
}

/// Expands a validated blueprint for the environment `env` (`--env`, one blueprint for
/// many ephemeral environments): AWS names that must be unique (cluster, roles, log
/// groups, key alias) derive from it, so environments of one blueprint never collide.
/// `env` must pass [`crate::check_env_name`].
pub fn expand_as(bp: &Blueprint, env: &str) -> Result<GraphBuilder, CarveError> {
    let region = bp.metadata.region.value.clone();
    let scope_of = |account: &str| {
        let id = bp
            .account(account)
            .map_or_else(|| account.to_string(), |a| a.id.value.clone());
        Scope::new(id, region.clone())
    };
    let azs = bp.azs();
    let mut b = GraphBuilder::new();
    let hub = &bp.hub;
    let net = scope_of(&hub.account.value);

    // Transit gateway, its route tables, and the RAM share to the spoke accounts.
    b.add(
        Node::new("tgw", "transit-gateway", net.clone())
            .attr("asn", i64::from(hub.transit_gateway.asn.value))
            .attr(
                "autoAcceptSharedAttachments",
                hub.transit_gateway.auto_accept_shared_attachments.value,
            )
            .attr("defaultRouteTableAssociation", false)
            .attr("defaultRouteTablePropagation", false),
    );
    for rt in ["spoke", "inspection"] {
        b.add(
            Node::new(
                format!("tgw/rt/{rt}").as_str(),
                "tgw-route-table",
                net.clone(),
            )
            .attr("tgw", r("tgw", "id")),
        );
    }
    let spoke_accounts: Vec<(String, Scope)> = {
        let mut v: Vec<(String, Scope)> = bp
            .vpcs
            .iter()
            .map(|vpc| (vpc.account.value.clone(), scope_of(&vpc.account.value)))
            .filter(|(_, s)| s.account != net.account)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    if !spoke_accounts.is_empty() {
        b.add(
            Node::new("ram/share", "ram-share", net.clone())
                .attr("name", format!("airgap-{}-tgw", env))
                .attr("resources", list([r("tgw", "arn")]))
                .attr("allowExternalPrincipals", !hub.ram.organization.value),
        );
        for (name, scope) in &spoke_accounts {
            let mut assoc = Node::new(
                format!("ram/principal/{name}").as_str(),
                "ram-association",
                net.clone(),
            )
            .attr("share", r("ram/share", "arn"))
            .attr("principal", scope.account.as_str());
            if !hub.ram.organization.value {
                // The principal's side finds its node by this name on the share.
                assoc = assoc.attr("accepter", format!("ram/accept/{name}"));
            }
            b.add(assoc);
            if !hub.ram.organization.value {
                b.add(
                    Node::new(
                        format!("ram/accept/{name}").as_str(),
                        "ram-invitation-accepter",
                        scope.clone(),
                    )
                    .attr("share", r("ram/share", "arn"))
                    .after(format!("ram/principal/{name}").as_str()),
                );
            }
        }
    }

    // Inspection VPC: the environment's only way out.
    let v = "vpc/inspection";
    add_vpc(&mut b, v, &net, &hub.inspection_vpc.cidr.value.to_string());
    b.add(node(
        "vpc/inspection/igw",
        net.clone(),
        &InternetGatewaySpec {
            vpc: Id::of(v, "id"),
        },
    ));
    for s in carve_inspection(&hub.inspection_vpc, &azs)? {
        let (tier, az) = (inspection_tier_name(s.tier), az_suffix(&s.az));
        add_subnet(&mut b, v, &net, tier, az, &s.cidr.to_string(), &s.az);
    }
    let firewall = hub.firewall.as_ref();
    for az in &azs {
        let az = az_suffix(az);
        b.add(Node::new(
            format!("{v}/eip/{az}").as_str(),
            "elastic-ip",
            net.clone(),
        ));
        b.add(
            node(
                format!("{v}/nat/{az}"),
                net.clone(),
                &NatGatewaySpec {
                    subnet: Id::of(format!("{v}/subnet/public/{az}"), "id"),
                    eip: Id::of(format!("{v}/eip/{az}"), "id"),
                },
            )
            // AWS refuses a public NAT in a VPC without an internet gateway, and the
            // gateway cannot detach while the NAT's address is mapped.
            .after("vpc/inspection/igw"),
        );
    }
    if let Some(fw) = firewall {
        // The rules match traffic from HOME_NET, by default the firewall's own VPC only:
        // the spokes' traffic arrives through the transit gateway.
        let home_net = list(
            std::iter::once(hub.inspection_vpc.cidr.value.to_string())
                .chain(bp.vpcs.iter().map(|vpc| vpc.cidr.value.to_string()))
                .map(Value::Str),
        );
        let mut logs = Vec::new();
        for (kind, dest) in [
            ("alert", fw.logging.alert.value),
            ("flow", fw.logging.flow.value),
        ] {
            if dest == LogDestination::Cloudwatch {
                let id = format!("firewall/logs/{kind}");
                b.add(
                    Node::new(id.as_str(), "log-group", net.clone())
                        .attr("name", format!("/airgap/{}/firewall/{kind}", env))
                        .attr("retentionDays", i64::from(fw.logging.retention_days.value)),
                );
                logs.push((format!("{kind}LogGroup"), r(&id, "id")));
            }
        }
        // A rule group holds at least one rule: without domains there is none (and
        // without any allowed destination, the policy's defaults drop everything).
        let mut groups = Vec::new();
        if !fw.allow_domains.is_empty() {
            b.add(
                Node::new("firewall/rules/domains", "nfw-rule-group", net.clone())
                    .attr("type", "STATEFUL")
                    .attr(
                        "domains",
                        list(
                            fw.allow_domains
                                .iter()
                                .map(|d| Value::str(d.value.as_str())),
                        ),
                    )
                    .attr(
                        "targetTypes",
                        list([Value::str("TLS_SNI"), Value::str("HTTP_HOST")]),
                    )
                    .attr("homeNet", home_net.clone())
                    .attr("ruleOrder", "STRICT_ORDER"),
            );
            groups.push(r("firewall/rules/domains", "arn"));
        }
        if !fw.allow_rules.is_empty() {
            let rules = fw.allow_rules.iter().enumerate().map(|(i, rule)| {
                let proto = match rule.protocol.value {
                    Protocol::Tcp => "tcp",
                    Protocol::Udp => "udp",
                    Protocol::Icmp => "icmp",
                };
                let port = rule
                    .port
                    .as_ref()
                    .map_or("any".to_string(), |p| p.value.to_string());
                Value::str(format!(
                    "pass {proto} $HOME_NET any -> {} {port} (sid:{};)",
                    rule.destination.value,
                    100 + i
                ))
            });
            b.add(
                Node::new("firewall/rules/allow", "nfw-rule-group", net.clone())
                    .attr("type", "STATEFUL")
                    .attr("rules", list(rules))
                    .attr("homeNet", home_net.clone())
                    .attr("ruleOrder", "STRICT_ORDER"),
            );
            groups.push(r("firewall/rules/allow", "arn"));
        }
        b.add(
            Node::new("firewall/policy", "nfw-policy", net.clone())
                .attr("ruleGroups", Value::List(groups))
                .attr("ruleOrder", "STRICT_ORDER")
                .attr("statelessDefault", "aws:forward_to_sfe")
                .attr(
                    "statefulDefault",
                    list([
                        Value::str("aws:drop_established"),
                        Value::str("aws:alert_established"),
                    ]),
                ),
        );
        let mut node = Node::new("firewall", "firewall", net.clone())
            .attr("policy", r("firewall/policy", "arn"))
            .attr("vpc", r(v, "id"))
            .attr(
                "subnets",
                list(
                    azs.iter()
                        .map(|az| r(&format!("{v}/subnet/firewall/{}", az_suffix(az)), "id")),
                ),
            )
            .attr("deletionProtection", fw.deletion_protection.value);
        // The log group of each log type that is logged (`alertLogGroup`, `flowLogGroup`):
        // its `id`, the group's name.
        for (key, group) in logs {
            node = node.attr(key.as_str(), group);
        }
        b.add(node);
    }
    b.add(
        Node::new("tgw/attachment/inspection", "tgw-attachment", net.clone())
            .attr("tgw", r("tgw", "id"))
            .attr("vpc", r(v, "id"))
            .attr("applianceMode", true)
            .attr(
                "subnets",
                list(
                    azs.iter()
                        .map(|az| r(&format!("{v}/subnet/transit/{}", az_suffix(az)), "id")),
                ),
            ),
    );
    b.add(
        Node::new(
            "tgw/attachment/inspection/assoc",
            "tgw-association",
            net.clone(),
        )
        .attr("attachment", r("tgw/attachment/inspection", "id"))
        .attr("routeTable", r("tgw/rt/inspection", "id")),
    );
    b.add(
        Node::new("tgw/rt/spoke/default", "tgw-route", net.clone())
            .attr("cidr", "0.0.0.0/0")
            .attr("routeTable", r("tgw/rt/spoke", "id"))
            .attr("attachment", r("tgw/attachment/inspection", "id")),
    );
    for az in &azs {
        let az = az_suffix(az);
        let rt = |tier: &str| format!("{v}/rt/{tier}/{az}");
        let nat = r(&format!("{v}/nat/{az}"), "id");
        // With a firewall, traffic passes its endpoint in the same AZ both ways.
        let (out_of_transit, back_in) = match firewall {
            Some(_) => (
                r("firewall", &format!("endpoint/{az}")),
                r("firewall", &format!("endpoint/{az}")),
            ),
            None => (nat.clone(), r("tgw", "id")),
        };
        b.add(
            Node::new(
                format!("{}/default", rt("transit")).as_str(),
                "route",
                net.clone(),
            )
            .attr("routeTable", r(&rt("transit"), "id"))
            .attr("cidr", "0.0.0.0/0")
            .attr("target", out_of_transit),
        );
        if firewall.is_some() {
            b.add(
                Node::new(
                    format!("{}/default", rt("firewall")).as_str(),
                    "route",
                    net.clone(),
                )
                .attr("routeTable", r(&rt("firewall"), "id"))
                .attr("cidr", "0.0.0.0/0")
                .attr("target", nat.clone()),
            );
            // What the firewall passes back towards a spoke (replies that came in
            // through the NAT) goes to the transit gateway, not to the NAT again.
            for vpc in &bp.vpcs {
                b.add(
                    Node::new(
                        format!("{}/return/{}", rt("firewall"), vpc.name.value).as_str(),
                        "route",
                        net.clone(),
                    )
                    .attr("routeTable", r(&rt("firewall"), "id"))
                    .attr("cidr", vpc.cidr.value.to_string())
                    .attr("target", r("tgw", "id"))
                    .after("tgw/attachment/inspection"),
                );
            }
        }
        b.add(
            Node::new(
                format!("{}/default", rt("public")).as_str(),
                "route",
                net.clone(),
            )
            .attr("routeTable", r(&rt("public"), "id"))
            .attr("cidr", "0.0.0.0/0")
            .attr("target", r("vpc/inspection/igw", "id")),
        );
        for vpc in &bp.vpcs {
            b.add(
                Node::new(
                    format!("{}/return/{}", rt("public"), vpc.name.value).as_str(),
                    "route",
                    net.clone(),
                )
                .attr("routeTable", r(&rt("public"), "id"))
                .attr("cidr", vpc.cidr.value.to_string())
                .attr("target", back_in.clone())
                // A VPC route to the transit gateway needs the VPC attached to it.
                .after("tgw/attachment/inspection"),
            );
        }
    }

    for vpc in &bp.vpcs {
        spoke(&mut b, bp, vpc, &scope_of(&vpc.account.value), &net, &azs)?;
    }
    for cluster in &bp.clusters {
        let vpc = bp
            .vpc(&cluster.vpc.value)
            .expect("validated: the cluster's VPC exists");
        cluster_nodes(
            &mut b,
            bp,
            env,
            cluster,
            &scope_of(&vpc.account.value),
            &azs,
        );
    }
    if let Some(reg) = &bp.registries {
        let s = scope_of(&reg.account.value);
        // Without a repository policy only the owning account may pull: the node roles
        // of the clusters (in their accounts) may, nothing more. A reference to a role of
        // ours also orders the repository after it: ECR refuses a policy naming a role
        // that does not exist. (An organization-wide grant would need the organization's
        // id, which the blueprint does not have; the TGW share is per account too.)
        let mut pull: Vec<Value> = Vec::new();
        for c in &bp.clusters {
            let role = match &c.roles.node {
                Some(arn) => Value::str(arn.value.as_str()),
                None => r(&format!("cluster/{}/node-role", c.name.value), "arn"),
            };
            if !pull.contains(&role) {
                pull.push(role);
            }
        }
        for repo in &reg.repositories {
            b.add(
                Node::new(
                    format!("registry/{}", repo.value).as_str(),
                    "ecr-repository",
                    s.clone(),
                )
                .attr("name", repo.value.as_str())
                .attr("immutableTags", true)
                .attr("scanOnPush", true)
                .attr("pullPrincipals", Value::List(pull.clone())),
            );
        }
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az_suffix_is_the_letter() {
        assert_eq!(az_suffix("eu-central-1a"), "a");
        assert_eq!(az_suffix("us-east-1f"), "f");
    }
}
