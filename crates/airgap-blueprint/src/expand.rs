//! Blueprint -> resource graph. Every AWS resource the environment needs becomes a
//! node with a stable logical address (its `airgap:id` tag), so a later run maps what
//! exists back onto the same nodes.
//!
//! Kind names are those of `airgap_engine::sim::KINDS`; the AWS provider implements
//! the same names.

use airgap_engine::{GraphBuilder, Node, Scope, Value};

use crate::carve::{carve_inspection, carve_vpc, CarveError, InspectionTier};
use crate::model::{Ami, Blueprint, LogDestination, Protocol, SubnetTier, TaintEffect};

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
    b.add(
        Node::new(v, "vpc", net.clone())
            .attr("cidr", hub.inspection_vpc.cidr.value.to_string())
            .attr("enableDnsSupport", true)
            .attr("enableDnsHostnames", true),
    );
    b.add(Node::new("vpc/inspection/igw", "internet-gateway", net.clone()).attr("vpc", r(v, "id")));
    for s in carve_inspection(&hub.inspection_vpc, &azs)? {
        let (tier, az) = (inspection_tier_name(s.tier), az_suffix(&s.az));
        let sn = format!("{v}/subnet/{tier}/{az}");
        let rt = format!("{v}/rt/{tier}/{az}");
        b.add(
            Node::new(sn.as_str(), "subnet", net.clone())
                .attr("vpc", r(v, "id"))
                .attr("cidr", s.cidr.to_string())
                .attr("az", s.az.as_str()),
        );
        b.add(Node::new(rt.as_str(), "route-table", net.clone()).attr("vpc", r(v, "id")));
        b.add(
            Node::new(
                format!("{rt}/assoc").as_str(),
                "route-table-association",
                net.clone(),
            )
            .attr("subnet", r(&sn, "id"))
            .attr("routeTable", r(&rt, "id")),
        );
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
            Node::new(format!("{v}/nat/{az}").as_str(), "nat-gateway", net.clone())
                .attr("subnet", r(&format!("{v}/subnet/public/{az}"), "id"))
                .attr("eip", r(&format!("{v}/eip/{az}"), "id"))
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

fn spoke(
    b: &mut GraphBuilder,
    bp: &Blueprint,
    vpc: &crate::model::Vpc,
    s: &Scope,
    net: &Scope,
    azs: &[String],
) -> Result<(), CarveError> {
    let name = &vpc.name.value;
    let v = format!("vpc/{name}");
    let cross_account = s.account != net.account;
    let att = format!("tgw/attachment/{name}");
    b.add(
        Node::new(v.as_str(), "vpc", s.clone())
            .attr("cidr", vpc.cidr.value.to_string())
            .attr("enableDnsSupport", true)
            .attr("enableDnsHostnames", true),
    );
    let mut private_rts = Vec::new();
    for sub in carve_vpc(vpc, azs)? {
        let (tier, az) = (tier_name(sub.tier), az_suffix(&sub.az));
        let sn = format!("{v}/subnet/{tier}/{az}");
        let rt = format!("{v}/rt/{tier}/{az}");
        b.add(
            Node::new(sn.as_str(), "subnet", s.clone())
                .attr("vpc", r(&v, "id"))
                .attr("cidr", sub.cidr.to_string())
                .attr("az", sub.az.as_str()),
        );
        b.add(Node::new(rt.as_str(), "route-table", s.clone()).attr("vpc", r(&v, "id")));
        b.add(
            Node::new(
                format!("{rt}/assoc").as_str(),
                "route-table-association",
                s.clone(),
            )
            .attr("subnet", r(&sn, "id"))
            .attr("routeTable", r(&rt, "id")),
        );
        if sub.tier != SubnetTier::Transit {
            // All egress: TGW -> inspection -> firewall -> NAT.
            let mut route = Node::new(format!("{rt}/default").as_str(), "route", s.clone())
                .attr("routeTable", r(&rt, "id"))
                .attr("cidr", "0.0.0.0/0")
                .attr("target", r("tgw", "id"));
            route = route.after(
                if cross_account {
                    format!("{att}/accept")
                } else {
                    att.clone()
                }
                .as_str(),
            );
            b.add(route);
            private_rts.push(r(&rt, "id"));
        }
    }
    let mut attachment = Node::new(att.as_str(), "tgw-attachment", s.clone())
        .attr("tgw", r("tgw", "id"))
        .attr("vpc", r(&v, "id"))
        .attr(
            "subnets",
            list(
                azs.iter()
                    .map(|az| r(&format!("{v}/subnet/transit/{}", az_suffix(az)), "id")),
            ),
        );
    if cross_account && !bp.hub.ram.organization.value {
        attachment = attachment.after(format!("ram/accept/{}", vpc.account.value).as_str());
    } else if cross_account {
        attachment = attachment.after(format!("ram/principal/{}", vpc.account.value).as_str());
    }
    b.add(attachment);
    let ready = if cross_account {
        b.add(
            Node::new(
                format!("{att}/accept").as_str(),
                "tgw-attachment-accepter",
                net.clone(),
            )
            .attr("attachment", r(&att, "id"))
            .attr("tgw", r("tgw", "id")),
        );
        format!("{att}/accept")
    } else {
        att.clone()
    };
    b.add(
        Node::new(
            format!("{att}/assoc").as_str(),
            "tgw-association",
            net.clone(),
        )
        .attr("attachment", r(&att, "id"))
        .attr("routeTable", r("tgw/rt/spoke", "id"))
        .after(ready.as_str()),
    );
    b.add(
        Node::new(
            format!("{att}/propagation").as_str(),
            "tgw-propagation",
            net.clone(),
        )
        .attr("attachment", r(&att, "id"))
        .attr("routeTable", r("tgw/rt/inspection", "id"))
        .after(ready.as_str()),
    );

    let sg = format!("{v}/sg/endpoints");
    if !vpc.endpoints.interface.is_empty() {
        b.add(
            Node::new(sg.as_str(), "security-group", s.clone())
                .attr("vpc", r(&v, "id"))
                .attr(
                    "description",
                    "HTTPS from the VPC to its interface endpoints",
                ),
        );
        b.add(
            Node::new(
                format!("{sg}/https").as_str(),
                "security-group-rule",
                s.clone(),
            )
            .attr("group", r(&sg, "id"))
            .attr("protocol", "tcp")
            .attr("port", 443i64)
            .attr("cidr", vpc.cidr.value.to_string()),
        );
    }
    let policy = |svc: &str| {
        vpc.endpoints
            .policies
            .iter()
            .find(|(k, _)| k.value == svc)
            .map(|(_, p)| Value::str(p.value.to_string()))
    };
    for svc in &vpc.endpoints.interface {
        let mut n = Node::new(
            format!("{v}/endpoint/{}", svc.value).as_str(),
            "vpc-endpoint-interface",
            s.clone(),
        )
        .attr("vpc", r(&v, "id"))
        .attr(
            "service",
            format!("com.amazonaws.{}.{}", bp.metadata.region.value, svc.value),
        )
        .attr(
            "subnets",
            list(
                azs.iter()
                    .map(|az| r(&format!("{v}/subnet/endpoints/{}", az_suffix(az)), "id")),
            ),
        )
        .attr("securityGroups", list([r(&sg, "id")]))
        .attr("privateDns", true);
        if let Some(p) = policy(&svc.value) {
            n = n.attr("policy", p);
        }
        b.add(n);
    }
    for svc in &vpc.endpoints.gateway {
        let mut n = Node::new(
            format!("{v}/endpoint/{}", svc.value).as_str(),
            "vpc-endpoint-gateway",
            s.clone(),
        )
        .attr("vpc", r(&v, "id"))
        .attr(
            "service",
            format!("com.amazonaws.{}.{}", bp.metadata.region.value, svc.value),
        )
        .attr("routeTables", Value::List(private_rts.clone()));
        if let Some(p) = policy(&svc.value) {
            n = n.attr("policy", p);
        }
        b.add(n);
    }
    Ok(())
}

fn cluster_nodes(
    b: &mut GraphBuilder,
    bp: &Blueprint,
    env: &str,
    c: &crate::model::Cluster,
    s: &Scope,
    azs: &[String],
) {
    let name = &c.name.value;
    let id = format!("cluster/{name}");
    let v = format!("vpc/{}", c.vpc.value);
    let vpc = bp.vpc(&c.vpc.value).expect("validated");
    let subnets = |tier: &str| {
        list(
            azs.iter()
                .map(|az| r(&format!("{v}/subnet/{tier}/{}", az_suffix(az)), "id")),
        )
    };

    let cluster_role = match &c.roles.cluster {
        Some(arn) => Value::str(arn.value.as_str()),
        None => {
            b.add(
                Node::new(format!("{id}/role").as_str(), "iam-role", s.clone())
                    .attr("name", format!("airgap-{}-{name}-cluster", env))
                    .attr("service", "eks.amazonaws.com"),
            );
            b.add(
                Node::new(
                    format!("{id}/role/AmazonEKSClusterPolicy").as_str(),
                    "iam-role-policy",
                    s.clone(),
                )
                .attr("role", r(&format!("{id}/role"), "id"))
                .attr("policy", "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"),
            );
            r(&format!("{id}/role"), "arn")
        }
    };
    const NODE_POLICIES: [&str; 3] = [
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEKS_CNI_Policy",
    ];
    let node_role = match &c.roles.node {
        Some(arn) => Value::str(arn.value.as_str()),
        None => {
            b.add(
                Node::new(format!("{id}/node-role").as_str(), "iam-role", s.clone())
                    .attr("name", format!("airgap-{}-{name}-node", env))
                    .attr("service", "ec2.amazonaws.com"),
            );
            for p in NODE_POLICIES {
                b.add(
                    Node::new(
                        format!("{id}/node-role/{p}").as_str(),
                        "iam-role-policy",
                        s.clone(),
                    )
                    .attr("role", r(&format!("{id}/node-role"), "id"))
                    .attr("policy", format!("arn:aws:iam::aws:policy/{p}")),
                );
            }
            r(&format!("{id}/node-role"), "arn")
        }
    };
    b.add(
        Node::new(format!("{id}/sg").as_str(), "security-group", s.clone())
            .attr("vpc", r(&v, "id"))
            .attr("description", "EKS API from trusted networks"),
    );
    for (i, cidr) in c.api_access_cidrs.iter().enumerate() {
        b.add(
            Node::new(
                format!("{id}/sg/api/{i}").as_str(),
                "security-group-rule",
                s.clone(),
            )
            .attr("group", r(&format!("{id}/sg"), "id"))
            .attr("protocol", "tcp")
            .attr("port", 443i64)
            .attr("cidr", cidr.value.to_string()),
        );
    }
    let mut cluster = Node::new(id.as_str(), "eks-cluster", s.clone())
        .attr("name", format!("{}-{name}", env))
        .attr("role", cluster_role)
        .attr("subnets", subnets("controlPlane"))
        .attr("securityGroups", list([r(&format!("{id}/sg"), "id")]))
        .attr("endpointPrivateAccess", true)
        .attr("endpointPublicAccess", false)
        .attr("authenticationMode", "API")
        .attr(
            "logging",
            list(c.logging.iter().map(|l| Value::str(l.value.as_str()))),
        );
    if let Some(ver) = &c.version {
        cluster = cluster.attr("version", ver.value.as_str());
    }
    if c.roles.cluster.is_none() {
        cluster = cluster.after(format!("{id}/role/AmazonEKSClusterPolicy").as_str());
    }
    if c.secrets_encryption.value {
        b.add(
            Node::new(format!("{id}/kms").as_str(), "kms-key", s.clone())
                .attr("description", format!("EKS secrets of {name}"))
                .attr("rotation", true),
        );
        b.add(
            Node::new(format!("{id}/kms/alias").as_str(), "kms-alias", s.clone())
                .attr("name", format!("alias/airgap/{}/{name}", env))
                .attr("key", r(&format!("{id}/kms"), "id")),
        );
        cluster = cluster.attr("secretsKey", r(&format!("{id}/kms"), "arn"));
    }
    b.add(cluster);
    for (i, admin) in c.admins.iter().enumerate() {
        b.add(
            Node::new(
                format!("{id}/access/{i}").as_str(),
                "eks-access-entry",
                s.clone(),
            )
            .attr("cluster", r(&id, "id"))
            .attr("principal", admin.value.as_str())
            .attr(
                "policy",
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            ),
        );
    }
    // vpc-cni and kube-proxy before nodes (so they join networked); the rest after.
    // Add-ons and node groups carry the cluster's version, so a version bump updates
    // them too, each after what it depends on: the control plane, then these add-ons,
    // then the node groups, then the add-ons that need nodes (coredns).
    let early = ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"];
    let addon_node = |name: &str| {
        let n = Node::new(
            format!("{id}/addon/{name}").as_str(),
            "eks-addon",
            s.clone(),
        )
        .attr("cluster", r(&id, "id"))
        .attr("name", name);
        match &c.version {
            Some(v) => n.attr("kubernetesVersion", v.value.as_str()),
            None => n,
        }
    };
    for addon in c
        .addons
        .iter()
        .filter(|a| early.contains(&a.value.as_str()))
    {
        b.add(addon_node(&addon.value));
    }
    let mut ng_ids = Vec::new();
    for ng in &c.nodegroups {
        let ngid = format!("{id}/nodegroup/{}", ng.name.value);
        let mut n = Node::new(ngid.as_str(), "eks-nodegroup", s.clone())
            .attr("cluster", r(&id, "id"))
            .attr("name", ng.name.value.as_str())
            .attr("role", node_role.clone())
            .attr("subnets", subnets("dataPlane"))
            .attr(
                "instanceTypes",
                list(
                    ng.instance_types
                        .iter()
                        .map(|t| Value::str(t.value.as_str())),
                ),
            )
            .attr("min", i64::from(ng.scaling.min.value))
            .attr("desired", i64::from(ng.scaling.desired.value))
            .attr("max", i64::from(ng.scaling.max.value))
            .attr(
                "labels",
                Value::Map(
                    ng.labels
                        .iter()
                        .map(|(k, v)| (k.value.clone(), Value::str(v.value.as_str())))
                        .collect(),
                ),
            )
            .attr(
                "taints",
                list(ng.taints.iter().map(|t| {
                    let effect = match t.effect.value {
                        TaintEffect::NoSchedule => "NO_SCHEDULE",
                        TaintEffect::NoExecute => "NO_EXECUTE",
                        TaintEffect::PreferNoSchedule => "PREFER_NO_SCHEDULE",
                    };
                    Value::Map(
                        [
                            ("key".to_string(), Value::str(t.key.value.as_str())),
                            (
                                "value".to_string(),
                                t.value
                                    .as_ref()
                                    .map_or(Value::Null, |v| Value::str(v.value.as_str())),
                            ),
                            ("effect".to_string(), Value::str(effect)),
                        ]
                        .into(),
                    )
                })),
            );
        if let Some(v) = &c.version {
            n = n.attr("version", v.value.as_str());
        }
        n = match &ng.ami.value {
            Ami::Type(t) => n.attr("amiType", t.as_str()),
            Ami::LaunchTemplate {
                id_or_name,
                version,
            } => n.attr("launchTemplate", id_or_name.as_str()).attr(
                "launchTemplateVersion",
                version.clone().map_or(Value::Null, Value::Str),
            ),
            Ami::Id(ami) => {
                // A custom AMI gets no bootstrap from EKS: a template of ours joins
                // its nodes (nodeadm), and each new version rolls the node group.
                let lt = format!("{ngid}/launch-template");
                b.add(
                    Node::new(lt.as_str(), "launch-template", s.clone())
                        .attr("name", format!("airgap-{env}-{name}-{}", ng.name.value))
                        .attr("imageId", ami.as_str())
                        .attr("cluster", r(&id, "id"))
                        .attr("endpoint", r(&id, "endpoint"))
                        .attr("ca", r(&id, "ca"))
                        .attr("serviceCidr", r(&id, "serviceCidr")),
                );
                n.attr("launchTemplate", r(&lt, "id"))
                    .attr("launchTemplateVersion", r(&lt, "version"))
            }
        };
        // Nodes join without internet: through the endpoints, with the routes in place.
        for svc in vpc.endpoints.interface.iter().chain(&vpc.endpoints.gateway) {
            n = n.after(format!("{v}/endpoint/{}", svc.value).as_str());
        }
        for addon in c
            .addons
            .iter()
            .filter(|a| early.contains(&a.value.as_str()))
        {
            n = n.after(format!("{id}/addon/{}", addon.value).as_str());
        }
        if c.roles.node.is_none() {
            for p in NODE_POLICIES {
                n = n.after(format!("{id}/node-role/{p}").as_str());
            }
        }
        b.add(n);
        ng_ids.push(ngid);
    }
    for addon in c
        .addons
        .iter()
        .filter(|a| !early.contains(&a.value.as_str()))
    {
        let mut n = addon_node(&addon.value);
        for ng in &ng_ids {
            n = n.after(ng.as_str());
        }
        b.add(n);
    }
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
