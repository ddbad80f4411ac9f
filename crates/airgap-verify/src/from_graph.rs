//! The topology of a plan: the expanded resource graph's typed specs, read into the
//! analysis' model. References (`Id::Ref`) stay logical: a route to `tgw`'s `id` is a
//! route to the transit gateway node `tgw`, which is what a plan-time report names.

use std::collections::BTreeMap;

use airgap_catalog::names::az_letter;
use airgap_catalog::spec::{
    ClientVpnEndpointSpec, EcrRepositorySpec, EksClusterSpec, EksNodegroupSpec,
    EndpointServiceSpec, FirewallSpec, HostedZoneSpec, Id, InternetGatewaySpec, LoadBalancerSpec,
    NatGatewaySpec, NfwPolicySpec, NfwRuleGroupSpec, PullPrincipals, RouteSpec,
    RouteTableAssociationSpec, RouteTableSpec, SecurityGroupRuleSpec, Spec, SpecError, SubnetSpec,
    TgwAssociationSpec, TgwAttachmentSpec, TgwPropagationSpec, TgwRouteSpec, TgwRouteTableSpec,
    VpcEndpointGatewaySpec, VpcEndpointInterfaceSpec, VpcSpec, ZoneAssociationSpec,
};
use airgap_engine::{Graph, Node};

use crate::prefix::{Prefix, PrefixError};
use crate::topology::{
    ClientVpn, Cluster, Endpoint, EndpointService, Firewall, FirewallPolicy, InternetGateway,
    NatGateway, PrivateZone, Pull, Repository, Route, RouteTable, RuleGroup, ServiceLoadBalancer,
    SgRule, Subnet, Target, TgwAttachment, TgwRoute, TgwRouteTable, TgwTarget, Topology, Vpc,
    VpcRole, VpnAuthorization, VpnRoute,
};

/// The node of the hub's inspection VPC: the expansion's fixed address for it (a
/// blueprint's VPCs are `vpc/<name>`, and `inspection` is not a name they may take).
pub const INSPECTION_VPC: &str = "vpc/inspection";

/// Why a graph could not be read into a topology: a bug in the expansion, never the
/// user's input (the blueprint was validated first).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("node {node}: {source}")]
    Spec {
        node: String,
        #[source]
        source: SpecError,
    },
    #[error("node {node}: {source}")]
    Cidr {
        node: String,
        #[source]
        source: PrefixError,
    },
}

fn spec<S: Spec>(n: &Node) -> Result<S, BuildError> {
    S::from_attrs(&n.attrs).map_err(|source| BuildError::Spec { node: n.id.to_string(), source })
}

/// The nodes of the kind `S` describes (its catalogue entry, `S::KIND`), each with its
/// spec.
fn specs<S: Spec>(graph: &Graph) -> Result<Vec<(&Node, S)>, BuildError> {
    graph.nodes().filter(|n| n.kind == S::KIND.name).map(|n| Ok((n, spec(n)?))).collect()
}

fn cidr(n: &Node, s: &str) -> Result<Prefix, BuildError> {
    s.parse().map_err(|source| BuildError::Cidr { node: n.id.to_string(), source })
}

/// An id as the report shows it: a reference to a node's `id` is the node; to another
/// output, `node#output`; a known value, itself.
pub fn id_str(id: &Id) -> String {
    match id {
        Id::Ref(r) if r.output == "id" => r.node.to_string(),
        Id::Ref(r) => format!("{}#{}", r.node, r.output),
        Id::Known(s) => s.clone(),
        Id::Unknown(_) => "(known after apply)".into(),
    }
}

/// Reads the graph of a plan (for region `region`) into a topology.
pub fn topology(graph: &Graph, region: &str) -> Result<Topology, BuildError> {
    let mut t = Topology { region: region.to_string(), ..Topology::default() };
    let kind_of = |id: &str| graph.get(&id.into()).map(|n| n.kind.as_str());

    for (n, s) in specs::<VpcSpec>(graph)? {
        let role =
            if n.id.as_str() == INSPECTION_VPC { VpcRole::Inspection } else { VpcRole::Spoke };
        let id = n.id.to_string();
        t.vpcs
            .insert(id.clone(), Vpc { id, cidr: cidr(n, &s.cidr)?, role, main_route_table: None });
    }
    let mut assoc: BTreeMap<String, String> = BTreeMap::new();
    for (_, s) in specs::<RouteTableAssociationSpec>(graph)? {
        assoc.insert(id_str(&s.subnet), id_str(&s.route_table));
    }
    for (n, s) in specs::<SubnetSpec>(graph)? {
        let id = n.id.to_string();
        t.subnets.insert(
            id.clone(),
            Subnet {
                route_table: assoc.get(&id).cloned(),
                id,
                vpc: id_str(&s.vpc),
                cidr: cidr(n, &s.cidr)?,
                az: s.az,
                map_public_ip_on_launch: s.map_public_ip_on_launch,
            },
        );
    }
    for (n, s) in specs::<RouteTableSpec>(graph)? {
        let id = n.id.to_string();
        t.route_tables
            .insert(id.clone(), RouteTable { id, vpc: id_str(&s.vpc), routes: Vec::new() });
    }
    // A firewall endpoint output names its zone by letter; the firewall's subnets give
    // the full name.
    let mut fw_zones: BTreeMap<(String, String), String> = BTreeMap::new();
    for (n, s) in specs::<FirewallSpec>(graph)? {
        for sub in s.subnets.iter().filter_map(|x| t.subnets.get(&id_str(x))) {
            // Keyed as the firewall kind keys its endpoint outputs (`endpoint/a`).
            fw_zones.insert((n.id.to_string(), az_letter(&sub.az).to_string()), sub.az.clone());
        }
    }
    let target = |id: &Id| -> Target {
        match id {
            Id::Ref(r) => {
                let node = r.node.to_string();
                match kind_of(&node) {
                    Some(k) if k == airgap_catalog::TRANSIT_GATEWAY.name => {
                        Target::TransitGateway { id: node }
                    }
                    Some(k) if k == airgap_catalog::NAT_GATEWAY.name => {
                        Target::NatGateway { id: node }
                    }
                    Some(k) if k == airgap_catalog::INTERNET_GATEWAY.name => {
                        Target::InternetGateway { id: node }
                    }
                    Some(k) if k == airgap_catalog::VPC_ENDPOINT_GATEWAY.name => {
                        Target::GatewayEndpoint { id: node }
                    }
                    Some(k) if k == airgap_catalog::FIREWALL.name => {
                        let letter = r.output.strip_prefix("endpoint/").unwrap_or(&r.output);
                        let az = fw_zones
                            .get(&(node.clone(), letter.to_string()))
                            .cloned()
                            .unwrap_or_else(|| format!("{region}{letter}"));
                        Target::FirewallEndpoint { firewall: node, az }
                    }
                    _ => Target::Other { id: id_str(id) },
                }
            }
            Id::Known(s) => known_target(s),
            Id::Unknown(_) => Target::Other { id: id_str(id) },
        }
    };
    for (n, s) in specs::<RouteSpec>(graph)? {
        let route =
            Route { dest: cidr(n, &s.cidr)?, target: target(&s.target), id: n.id.to_string() };
        if let Some(rt) = t.route_tables.get_mut(&id_str(&s.route_table)) {
            rt.routes.push(route);
        }
    }
    for (n, s) in specs::<TgwAttachmentSpec>(graph)? {
        let id = n.id.to_string();
        t.attachments.insert(
            id.clone(),
            TgwAttachment {
                id,
                tgw: id_str(&s.tgw),
                vpc: id_str(&s.vpc),
                subnets: s.subnets.iter().map(id_str).collect(),
                appliance_mode: s.appliance_mode.unwrap_or(false),
            },
        );
    }
    for (n, s) in specs::<TgwRouteTableSpec>(graph)? {
        let id = n.id.to_string();
        t.tgw_route_tables.insert(
            id.clone(),
            TgwRouteTable {
                id,
                tgw: id_str(&s.tgw),
                associations: Vec::new(),
                propagations: Vec::new(),
                routes: Vec::new(),
            },
        );
    }
    for (_, s) in specs::<TgwAssociationSpec>(graph)? {
        if let Some(rt) = t.tgw_route_tables.get_mut(&id_str(&s.route_table)) {
            rt.associations.push(id_str(&s.attachment));
        }
    }
    for (_, s) in specs::<TgwPropagationSpec>(graph)? {
        if let Some(rt) = t.tgw_route_tables.get_mut(&id_str(&s.route_table)) {
            rt.propagations.push(id_str(&s.attachment));
        }
    }
    for (n, s) in specs::<TgwRouteSpec>(graph)? {
        let target = match &s.attachment {
            Id::Known(k) if k.ends_with("(blackhole)") || k == "blackhole" => TgwTarget::Blackhole,
            other => TgwTarget::Attachment { id: id_str(other) },
        };
        let route = TgwRoute { dest: cidr(n, &s.cidr)?, target, id: n.id.to_string() };
        if let Some(rt) = t.tgw_route_tables.get_mut(&id_str(&s.route_table)) {
            rt.routes.push(route);
        }
    }
    for (n, s) in specs::<NatGatewaySpec>(graph)? {
        t.nat_gateways.push(NatGateway { id: n.id.to_string(), subnet: id_str(&s.subnet) });
    }
    for (n, s) in specs::<InternetGatewaySpec>(graph)? {
        t.internet_gateways
            .push(InternetGateway { id: n.id.to_string(), vpc: Some(id_str(&s.vpc)) });
    }
    let mut groups: BTreeMap<String, RuleGroup> = BTreeMap::new();
    for (n, s) in specs::<NfwRuleGroupSpec>(graph)? {
        let home_net = s.home_net.iter().map(|c| cidr(n, c)).collect::<Result<_, _>>()?;
        groups.insert(
            n.id.to_string(),
            RuleGroup {
                id: n.id.to_string(),
                rule_order: s.rule_order,
                home_net,
                domains: s.domains,
                target_types: s.target_types,
                rules: s.rules,
            },
        );
    }
    let mut policies: BTreeMap<String, FirewallPolicy> = BTreeMap::new();
    for (n, s) in specs::<NfwPolicySpec>(graph)? {
        let ids: Vec<String> = s.rule_groups.iter().map(node_of).collect();
        policies.insert(
            n.id.to_string(),
            FirewallPolicy {
                id: n.id.to_string(),
                rule_order: s.rule_order,
                stateless_default: s.stateless_default,
                stateless_fragment_default: s.stateless_fragment_default,
                stateful_default: s.stateful_default,
                rule_groups: ids.iter().filter_map(|g| groups.get(g).cloned()).collect(),
                missing_groups: ids.iter().filter(|g| !groups.contains_key(*g)).cloned().collect(),
            },
        );
    }
    for (n, s) in specs::<FirewallSpec>(graph)? {
        t.firewalls.push(Firewall {
            id: n.id.to_string(),
            vpc: id_str(&s.vpc),
            subnets: s.subnets.iter().map(id_str).collect(),
            policy: policies.get(&node_of(&s.policy)).cloned(),
            alert_log: s.alert_log_group.as_ref().map(node_of),
            flow_log: s.flow_log_group.as_ref().map(node_of),
        });
    }
    let short = |service: &str| {
        let prefix = format!("com.amazonaws.{region}.");
        service.strip_prefix(&prefix).unwrap_or(service).to_string()
    };
    let policy = |p: &Option<String>| {
        p.as_ref().map(|text| {
            serde_json::from_str(text).unwrap_or(serde_json::Value::String(text.clone()))
        })
    };
    for (n, s) in specs::<VpcEndpointInterfaceSpec>(graph)? {
        t.endpoints.push(Endpoint {
            id: n.id.to_string(),
            vpc: id_str(&s.vpc),
            service: short(&s.service),
            gateway: false,
            private_dns: s.private_dns,
            policy: policy(&s.policy),
        });
    }
    for (n, s) in specs::<VpcEndpointGatewaySpec>(graph)? {
        t.endpoints.push(Endpoint {
            id: n.id.to_string(),
            vpc: id_str(&s.vpc),
            service: short(&s.service),
            gateway: true,
            private_dns: false,
            policy: policy(&s.policy),
        });
    }
    // A zone's records alias to an endpoint's `dnsName` output: that endpoint's node.
    for (n, s) in specs::<HostedZoneSpec>(graph)? {
        let mut targets: Vec<String> = s.records.iter().map(|r| node_of(&r.target)).collect();
        targets.dedup();
        t.zones.push(PrivateZone {
            id: n.id.to_string(),
            service: airgap_catalog::dns::service_of_zone(&s.name, region).map(str::to_string),
            vpcs: vec![id_str(&s.vpc)],
            targets,
        });
    }
    for (_, s) in specs::<ZoneAssociationSpec>(graph)? {
        let (zone, vpc) = (node_of(&s.zone), id_str(&s.vpc));
        if let Some(z) = t.zones.iter_mut().find(|z| z.id == zone) {
            if !z.vpcs.contains(&vpc) {
                z.vpcs.push(vpc);
            }
        }
    }
    for (n, s) in specs::<SecurityGroupRuleSpec>(graph)? {
        t.sg_rules.push(SgRule {
            id: n.id.to_string(),
            group: id_str(&s.group),
            protocol: s.protocol,
            port: s.port,
            cidr: cidr(n, &s.cidr)?,
        });
    }
    let mut node_roles: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, s) in specs::<EksNodegroupSpec>(graph)? {
        let roles = node_roles.entry(id_str(&s.cluster)).or_default();
        let role = id_str(&s.role);
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    for (n, s) in specs::<EksClusterSpec>(graph)? {
        t.clusters.push(Cluster {
            id: n.id.to_string(),
            name: s.name,
            subnets: s.subnets.iter().map(id_str).collect(),
            security_groups: s.security_groups.iter().map(id_str).collect(),
            public_access: s.endpoint_public_access,
            private_access: s.endpoint_private_access,
            node_roles: node_roles.remove(n.id.as_str()).unwrap_or_default(),
            endpoint: None,
        });
    }
    for (n, s) in specs::<EcrRepositorySpec>(graph)? {
        t.repositories.push(Repository {
            id: n.id.to_string(),
            name: s.name,
            scan_on_push: s.scan_on_push,
            immutable_tags: s.immutable_tags,
            pull: match s.pull_principals {
                PullPrincipals::Principals(p) => Pull::Principals(p.iter().map(id_str).collect()),
                PullPrincipals::Other(text) => Pull::Other(text),
            },
        });
    }
    let mut vpns = Vec::new();
    for (n, s) in specs::<ClientVpnEndpointSpec>(graph)? {
        vpns.push(client_vpn(&t, n, &s)?);
    }
    t.client_vpns = Some(vpns);
    let mut services = Vec::new();
    for (n, s) in specs::<EndpointServiceSpec>(graph)? {
        let load_balancers = s
            .load_balancers
            .iter()
            .map(|lb| {
                let id = node_of(lb);
                // The environment's own load balancer, or one an operator named by ARN.
                match graph.get(&id.as_str().into()) {
                    Some(m) if m.kind == airgap_catalog::LOAD_BALANCER.name => {
                        let l: LoadBalancerSpec = spec(m)?;
                        let vpc = l.subnets.first().and_then(|s| t.subnets.get(&id_str(s)));
                        Ok(ServiceLoadBalancer {
                            id,
                            scheme: Some(l.scheme),
                            vpc: vpc.map(|s| s.vpc.clone()),
                        })
                    }
                    _ => Ok(ServiceLoadBalancer { id, scheme: None, vpc: None }),
                }
            })
            .collect::<Result<_, BuildError>>()?;
        services.push(EndpointService {
            id: n.id.to_string(),
            acceptance_required: s.acceptance_required,
            allowed_principals: s.allowed_principals,
            load_balancers,
        });
    }
    t.endpoint_services = Some(services);
    Ok(t)
}

/// A Client VPN endpoint as it will exist: its spec's routes through every associated
/// subnet, and the route to the VPC's own CIDR AWS adds with each association.
fn client_vpn(t: &Topology, n: &Node, s: &ClientVpnEndpointSpec) -> Result<ClientVpn, BuildError> {
    let id = n.id.to_string();
    let vpc = id_str(&s.vpc);
    let subnets: Vec<String> = s.subnets.iter().map(id_str).collect();
    let authorizations = s
        .authorize
        .iter()
        .map(|c| Ok(VpnAuthorization { id: format!("{id}:authorize/{c}"), dest: cidr(n, c)? }))
        .collect::<Result<_, BuildError>>()?;
    let mut dests: Vec<Prefix> = s.routes.iter().map(|c| cidr(n, c)).collect::<Result<_, _>>()?;
    if let Some(v) = t.vpcs.get(&vpc) {
        if !dests.contains(&v.cidr) {
            dests.insert(0, v.cidr);
        }
    }
    let routes = subnets
        .iter()
        .flat_map(|sub| {
            let id = &id;
            dests.iter().map(move |d| VpnRoute {
                id: format!("{id}:route/{d}@{sub}"),
                dest: *d,
                subnet: sub.clone(),
            })
        })
        .collect();
    Ok(ClientVpn {
        client_cidr: cidr(n, &s.client_cidr)?,
        split_tunnel: s.split_tunnel,
        subnets,
        authorizations,
        routes,
        vpc,
        id,
    })
}

/// The node a reference points at, whatever its output (a known value: itself).
fn node_of(id: &Id) -> String {
    match id {
        Id::Ref(r) => r.node.to_string(),
        other => id_str(other),
    }
}

/// The target of a route given by AWS id, told apart by its prefix; observe writes
/// `<id> (blackhole)` for a route whose target is gone.
fn known_target(s: &str) -> Target {
    let id = s.to_string();
    if s.ends_with("(blackhole)") {
        return Target::Blackhole { id };
    }
    match s.split('-').next() {
        Some("local") => Target::Local,
        Some("tgw") => Target::TransitGateway { id },
        Some("nat") => Target::NatGateway { id },
        Some("igw") => Target::InternetGateway { id },
        _ => Target::Other { id },
    }
}
