//! The accounts' reads into the verifier's model: names, VPC roles, routes and their
//! targets, the transit gateway, firewalls, clusters, repositories and private zones.

use super::*;

/// `zones`: the hub's zone names by zone ID (empty: each account's own names).
pub(super) fn build(
    env: &str,
    region: &str,
    read: Vec<(String, Raw)>,
    zones: &HashMap<String, String>,
) -> Inspection {
    let mut n = Names::default();
    let mut owners = BTreeMap::new();
    let raws: Vec<Raw> = read
        .into_iter()
        .map(|(account, r)| {
            for s in r.subnets.iter().filter_map(|s| s.subnet_id()) {
                owners.insert(s.to_string(), account.clone());
            }
            for f in r.firewalls.iter().filter_map(|f| f.firewall.firewall_arn()) {
                owners.insert(f.to_string(), account.clone());
            }
            r
        })
        .collect();
    for r in &raws {
        n.add_all(&r.vpcs, env);
        n.add_all(&r.subnets, env);
        n.add_all(&r.route_tables, env);
        n.add_all(&r.igws, env);
        n.add_all(&r.nats, env);
        n.add_all(&r.endpoints, env);
        n.add_all(&r.attachments, env);
        n.add_all(&r.tgws, env);
        n.add_all(r.tgw_tables.iter().map(|t| &t.table), env);
        n.add_all(&r.sg_rules, env);
        for f in &r.firewalls {
            let fw = &f.firewall;
            n.add(
                Some(fw.firewall_arn().unwrap_or_default()),
                &crate::nfw::tag_map(fw.tags()),
                env,
            );
            for (arn, t, _) in &f.groups {
                n.add(Some(arn), t, env);
            }
            if let Some((arn, t, _)) = &f.policy {
                n.add(Some(arn), t, env);
            }
        }
        for c in &r.clusters {
            let t = c.cluster.tags().cloned().unwrap_or_default();
            n.add(c.cluster.name(), &t, env);
        }
        for repo in &r.repositories {
            n.logical.insert(repo.arn.clone(), repo.id.clone());
        }
    }
    let mut t = Topology { region: region.to_string(), ..Topology::default() };
    // Firewall endpoints by endpoint id: routes to them are routes to the firewall.
    let mut fw_endpoints: HashMap<String, (String, String)> = HashMap::new();
    for r in &raws {
        for f in &r.firewalls {
            let name = n.of(f.firewall.firewall_arn().unwrap_or_default());
            for (az, ep) in &f.endpoints {
                fw_endpoints.insert(ep.clone(), (name.clone(), az.clone()));
            }
        }
    }
    let gateway_endpoints: Vec<String> = raws
        .iter()
        .flat_map(|r| &r.endpoints)
        .filter(|e| e.vpc_endpoint_type().map(|t| t.as_str()) == Some("Gateway"))
        .filter_map(|e| e.vpc_endpoint_id().map(str::to_string))
        .collect();
    for r in &raws {
        for v in &r.vpcs {
            let (Some(id), Some(cidr)) = (v.vpc_id(), prefix(v.cidr_block())) else { continue };
            let name = n.of(id);
            let role = if name == INSPECTION_VPC { VpcRole::Inspection } else { VpcRole::Spoke };
            t.vpcs.insert(name.clone(), Vpc { id: name, cidr, role, main_route_table: None });
        }
    }
    for r in &raws {
        for s in &r.subnets {
            let (Some(id), Some(cidr)) = (s.subnet_id(), prefix(s.cidr_block())) else {
                continue;
            };
            let name = n.of(id);
            t.subnets.insert(
                name.clone(),
                Subnet {
                    id: name,
                    vpc: n.of(s.vpc_id().unwrap_or_default()),
                    cidr,
                    az: s
                        .availability_zone_id()
                        .and_then(|id| zones.get(id))
                        .map_or(s.availability_zone().unwrap_or_default(), String::as_str)
                        .to_string(),
                    route_table: None,
                    map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
                },
            );
        }
        for rt in &r.route_tables {
            let Some(id) = rt.route_table_id() else { continue };
            let name = n.of(id);
            let vpc = n.of(rt.vpc_id().unwrap_or_default());
            for a in rt.associations() {
                if a.main() == Some(true) {
                    if let Some(v) = t.vpcs.get_mut(&vpc) {
                        v.main_route_table = Some(name.clone());
                    }
                } else if let Some(s) = a.subnet_id().and_then(|s| t.subnets.get_mut(&n.of(s))) {
                    s.route_table = Some(name.clone());
                }
            }
            let routes = rt
                .routes()
                .iter()
                .filter_map(|ro| {
                    let dest = prefix(ro.destination_cidr_block())?;
                    let target = route_target(ro, &n, &fw_endpoints, &gateway_endpoints);
                    Some(Route { dest, target, id: format!("{name}:{dest}") })
                })
                .collect();
            t.route_tables.insert(name.clone(), RouteTable { id: name, vpc, routes });
        }
        for g in &r.igws {
            let Some(id) = g.internet_gateway_id() else { continue };
            t.internet_gateways.push(InternetGateway {
                id: n.of(id),
                vpc: g.attachments().iter().find_map(|a| a.vpc_id()).map(|v| n.of(v)),
            });
        }
        for g in &r.eigws {
            for a in g.attachments() {
                t.other_gateways.push(OtherGateway {
                    id: g.egress_only_internet_gateway_id().unwrap_or_default().to_string(),
                    kind: "egress-only internet gateway".into(),
                    vpc: n.of(a.vpc_id().unwrap_or_default()),
                });
            }
        }
        for p in &r.peerings {
            let state = p.status().and_then(|s| s.code()).map(|c| c.as_str());
            if matches!(state, Some("deleted" | "rejected" | "failed" | "expired" | "deleting")) {
                continue;
            }
            let id = p.vpc_peering_connection_id().unwrap_or_default();
            for side in [p.requester_vpc_info(), p.accepter_vpc_info()].into_iter().flatten() {
                let vpc = n.of(side.vpc_id().unwrap_or_default());
                if t.vpcs.contains_key(&vpc) {
                    t.other_gateways.push(OtherGateway {
                        id: id.to_string(),
                        kind: "VPC peering connection".into(),
                        vpc,
                    });
                }
            }
        }
        for g in &r.nats {
            let state = g.state().map(|s| s.as_str());
            if matches!(state, Some("deleted" | "deleting" | "failed")) {
                continue;
            }
            let Some(id) = g.nat_gateway_id() else { continue };
            t.nat_gateways
                .push(NatGateway { id: n.of(id), subnet: n.of(g.subnet_id().unwrap_or_default()) });
        }
        for e in &r.endpoints {
            let state = e.state().map(|s| s.as_str().to_ascii_lowercase());
            if matches!(state.as_deref(), Some("deleted" | "deleting" | "failed" | "rejected")) {
                continue;
            }
            let Some(id) = e.vpc_endpoint_id() else { continue };
            let kind = e.vpc_endpoint_type().map(|t| t.as_str());
            if kind == Some("GatewayLoadBalancer") {
                continue;
            }
            let service = e.service_name().unwrap_or_default();
            let prefix = format!("com.amazonaws.{region}.");
            t.endpoints.push(Endpoint {
                id: n.of(id),
                vpc: n.of(e.vpc_id().unwrap_or_default()),
                service: service.strip_prefix(&prefix).unwrap_or(service).to_string(),
                gateway: kind == Some("Gateway"),
                private_dns: e.private_dns_enabled().unwrap_or(false),
                policy: e.policy_document().map(|p| {
                    serde_json::from_str(p).unwrap_or(serde_json::Value::String(p.into()))
                }),
            });
        }
        for a in &r.attachments {
            let state = a.state().map(|s| s.as_str());
            if matches!(state, Some("deleted" | "deleting" | "rejected" | "failed")) {
                continue;
            }
            let Some(id) = a.transit_gateway_attachment_id() else { continue };
            let name = n.of(id);
            t.attachments.insert(
                name.clone(),
                TgwAttachment {
                    id: name,
                    tgw: n.of(a.transit_gateway_id().unwrap_or_default()),
                    vpc: n.of(a.vpc_id().unwrap_or_default()),
                    subnets: a.subnet_ids().iter().map(|s| n.of(s)).collect(),
                    appliance_mode: a
                        .options()
                        .and_then(|o| o.appliance_mode_support())
                        .is_some_and(|m| m.as_str() == "enable"),
                },
            );
        }
        for tt in &r.tgw_tables {
            let Some(id) = tt.table.transit_gateway_route_table_id() else { continue };
            let name = n.of(id);
            let routes = tt
                .routes
                .iter()
                .filter_map(|ro| {
                    let dest = prefix(ro.destination_cidr_block())?;
                    let target = match ro.state().map(|s| s.as_str()) {
                        Some("blackhole") => TgwTarget::Blackhole,
                        _ => TgwTarget::Attachment {
                            id: n.of(ro
                                .transit_gateway_attachments()
                                .iter()
                                .find_map(|a| a.transit_gateway_attachment_id())
                                .unwrap_or_default()),
                        },
                    };
                    Some(TgwRoute { dest, target, id: format!("{name}:{dest}") })
                })
                .collect();
            t.tgw_route_tables.insert(
                name.clone(),
                TgwRouteTable {
                    id: name,
                    tgw: n.of(tt.table.transit_gateway_id().unwrap_or_default()),
                    associations: tt.associations.iter().map(|a| n.of(a)).collect(),
                    propagations: tt.propagations.iter().map(|a| n.of(a)).collect(),
                    routes,
                },
            );
        }
        for f in &r.firewalls {
            let fw = &f.firewall;
            let policy = f.policy.as_ref().map(|(arn, _, s)| {
                let ids: Vec<String> =
                    s.rule_groups.iter().filter_map(|g| g.get().ok()).map(str::to_string).collect();
                let found = |g: &String| f.groups.iter().find(|(a, _, _)| a == g);
                FirewallPolicy {
                    id: n.of(arn),
                    rule_order: s.rule_order.clone(),
                    stateless_default: s.stateless_default.clone(),
                    stateless_fragment_default: s.stateless_fragment_default.clone(),
                    stateful_default: s.stateful_default.clone(),
                    rule_groups: ids
                        .iter()
                        .filter_map(found)
                        .map(|(arn, _, g)| RuleGroup {
                            id: n.of(arn),
                            rule_order: g.rule_order.clone(),
                            home_net: g.home_net.iter().filter_map(|c| prefix(Some(c))).collect(),
                            domains: g.domains.clone(),
                            target_types: g.target_types.clone(),
                            rules: g.rules.clone(),
                        })
                        .collect(),
                    missing_groups: ids
                        .iter()
                        .filter(|g| found(g).is_none())
                        .map(|g| n.of(g))
                        .collect(),
                }
            });
            t.firewalls.push(Firewall {
                id: n.of(fw.firewall_arn().unwrap_or_default()),
                vpc: n.of(fw.vpc_id()),
                subnets: fw.subnet_mappings().iter().map(|m| n.of(m.subnet_id())).collect(),
                policy,
                alert_log: f.logs.get("ALERT").cloned(),
                flow_log: f.logs.get("FLOW").cloned(),
            });
        }
        for c in &r.clusters {
            let cl = &c.cluster;
            let v = cl.resources_vpc_config();
            let mut groups: Vec<String> = v
                .map(|v| v.security_group_ids().iter().map(|g| n.of(g)).collect())
                .unwrap_or_default();
            groups.extend(v.and_then(|v| v.cluster_security_group_id()).map(|g| n.of(g)));
            t.clusters.push(Cluster {
                id: n.of(cl.name().unwrap_or_default()),
                name: cl.name().unwrap_or_default().to_string(),
                subnets: v
                    .map(|v| v.subnet_ids().iter().map(|s| n.of(s)).collect())
                    .unwrap_or_default(),
                security_groups: groups,
                public_access: v.is_some_and(|v| v.endpoint_public_access()),
                private_access: v.is_some_and(|v| v.endpoint_private_access()),
                node_roles: c.node_roles.clone(),
                endpoint: cl.endpoint().map(str::to_string),
            });
        }
        for s in &r.sg_rules {
            // Inbound IPv4 rules only: what the API access check compares with
            // apiAccessCidrs (rules naming a security group are not address ranges).
            if s.is_egress() == Some(true) {
                continue;
            }
            let Some(cidr) = prefix(s.cidr_ipv4()) else { continue };
            let (from, to) = (s.from_port().unwrap_or(-1), s.to_port().unwrap_or(-1));
            t.sg_rules.push(SgRule {
                id: n.of(s.security_group_rule_id().unwrap_or_default()),
                group: n.of(s.group_id().unwrap_or_default()),
                protocol: s.ip_protocol().unwrap_or_default().to_string(),
                port: if (from..=to).contains(&443) { 443 } else { from },
                cidr,
            });
        }
        for repo in &r.repositories {
            t.repositories.push(Repository {
                id: repo.id.clone(),
                name: repo.name.clone(),
                scan_on_push: repo.scan_on_push,
                immutable_tags: repo.immutable_tags,
                pull: repo.pull.clone(),
            });
        }
    }
    let mut vpns = Vec::new();
    for r in &raws {
        for v in &r.client_vpns {
            let e = &v.endpoint;
            let aws = e.client_vpn_endpoint_id().unwrap_or_default();
            n.add(Some(aws), &ec2_tags(e.tags()), env);
            let id = n.of(aws);
            let Some(client_cidr) = prefix(e.client_cidr_block()) else { continue };
            vpns.push(ClientVpn {
                vpc: n.of(e.vpc_id().unwrap_or_default()),
                client_cidr,
                split_tunnel: e.split_tunnel().unwrap_or(false),
                subnets: v.subnets.iter().map(|s| n.of(s)).collect(),
                authorizations: v
                    .authorized
                    .iter()
                    .filter_map(|c| {
                        Some(VpnAuthorization {
                            id: format!("{id}:authorize/{c}"),
                            dest: prefix(Some(c))?,
                        })
                    })
                    .collect(),
                routes: v
                    .routes
                    .iter()
                    .filter_map(|(c, sub)| {
                        let subnet = n.of(sub);
                        Some(VpnRoute {
                            id: format!("{id}:route/{c}@{subnet}"),
                            dest: prefix(Some(c))?,
                            subnet,
                        })
                    })
                    .collect(),
                id,
            });
        }
    }
    t.client_vpns = Some(vpns);
    let mut services = Vec::new();
    for r in &raws {
        for s in &r.endpoint_services {
            let sid = s.service.service_id().unwrap_or_default();
            n.add(Some(sid), &ec2_tags(s.service.tags()), env);
            for lb in &s.load_balancers {
                n.add(Some(&lb.arn), &lb.tags, env);
            }
            services.push(EndpointService {
                id: n.of(sid),
                acceptance_required: s.service.acceptance_required().unwrap_or(false),
                allowed_principals: s.principals.clone(),
                load_balancers: s
                    .load_balancers
                    .iter()
                    .map(|lb| ServiceLoadBalancer {
                        id: n.of(&lb.arn),
                        scheme: lb.scheme.clone(),
                        vpc: lb.vpc.as_deref().map(|v| n.of(v)),
                    })
                    .collect(),
            });
        }
    }
    t.endpoint_services = Some(services);
    private_zones(&mut t, &mut n, &raws, region);
    let aws_ids = n.logical.iter().map(|(aws, name)| (name.clone(), aws.clone())).collect();
    let owners = owners.into_iter().map(|(aws, account)| (n.of(&aws), account)).collect();
    Inspection { topology: t, aws_ids, owners }
}

/// The private hosted zones the environment's VPCs are associated with, each with the
/// endpoints its alias records point at (by the endpoints' DNS names). A zone of another
/// owner (one associated out of band) has no known targets.
fn private_zones(t: &mut Topology, n: &mut Names, raws: &[Raw], region: &str) {
    let mut by_dns: HashMap<String, String> = HashMap::new();
    for e in raws.iter().flat_map(|r| &r.endpoints) {
        let Some(id) = e.vpc_endpoint_id() else { continue };
        for d in e.dns_entries().iter().filter_map(|d| d.dns_name()) {
            by_dns.insert(d.trim_end_matches('.').to_ascii_lowercase(), n.of(id));
        }
    }
    let ours: Vec<&crate::route53::read::ZoneRead> =
        raws.iter().flat_map(|r| &r.dns.zones).collect();
    for z in &ours {
        n.logical.insert(z.zone.clone(), z.logical.clone());
    }
    for link in raws.iter().flat_map(|r| &r.dns.links) {
        let id = n.of(&link.zone);
        let vpc = n.of(&link.vpc);
        if let Some(z) = t.zones.iter_mut().find(|z| z.id == id) {
            if !z.vpcs.contains(&vpc) {
                z.vpcs.push(vpc);
            }
            continue;
        }
        let targets = ours
            .iter()
            .find(|z| z.zone == link.zone)
            .map(|z| {
                z.targets
                    .iter()
                    .map(|d| by_dns.get(d).cloned().unwrap_or_else(|| d.clone()))
                    .collect()
            })
            .unwrap_or_default();
        t.zones.push(PrivateZone {
            id,
            service: airgap_catalog::dns::service_of_zone(&link.name, region).map(str::to_string),
            vpcs: vec![vpc],
            targets,
        });
    }
}

/// Where a VPC route sends traffic, in the model's terms.
fn route_target(
    r: &aws_sdk_ec2::types::Route,
    n: &Names,
    fw_endpoints: &HashMap<String, (String, String)>,
    gateway_endpoints: &[String],
) -> Target {
    let target = crate::ec2::route_target!(r)
        .or(r.local_gateway_id())
        .or(r.carrier_gateway_id())
        .or(r.core_network_arn())
        .unwrap_or("unknown");
    if r.state().map(|s| s.as_str()) == Some("blackhole") {
        return Target::Blackhole { id: n.of(target) };
    }
    let id = n.of(target);
    match target.split('-').next() {
        Some("local") => Target::Local,
        Some("igw") => Target::InternetGateway { id },
        Some("nat") => Target::NatGateway { id },
        Some("tgw") => Target::TransitGateway { id },
        Some("vpce") => match fw_endpoints.get(target) {
            Some((firewall, az)) => {
                Target::FirewallEndpoint { firewall: firewall.clone(), az: az.clone() }
            }
            None if gateway_endpoints.iter().any(|g| g == target) => Target::GatewayEndpoint { id },
            None => Target::Other { id },
        },
        _ => Target::Other { id },
    }
}
