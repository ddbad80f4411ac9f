//! Reads what exists of an environment into the verifier's model
//! ([`airgap_verify::Topology`]), for `airgapctl verify --live`.
//!
//! The kinds' observe finds what carries the environment's tags; this reads more,
//! because a gap is usually opened by something nobody tagged: every route of the
//! environment's route tables, every internet, egress-only and NAT gateway, endpoint,
//! peering connection and transit gateway attachment of its VPCs (filtered by VPC id,
//! tagged or not), every static route of its transit gateway's route tables, and the
//! security group rules of its clusters. The environment itself is found by its tags:
//! the VPCs, transit gateway, firewalls, clusters and repositories that carry
//! `airgap:env`.
//!
//! Resources are named by their logical id (`airgap:id`) where they carry the
//! environment's tags, else by their AWS id; [`Inspection::aws_ids`] maps names back to
//! AWS ids for the report. Every call is a read; a few per kind and account (one per
//! route table of the transit gateway, cluster and repository), counted by the
//! provider's [`CallStats`](crate::CallStats).

use std::collections::{BTreeMap, HashMap};

use airgap_catalog::spec::PullPrincipals;
use airgap_engine::{KindError, Scope};
use airgap_verify::prefix::Prefix;
use airgap_verify::topology::{
    Cluster, Endpoint, Firewall, FirewallPolicy, InternetGateway, NatGateway, OtherGateway,
    PrivateZone, Pull, Repository, Route, RouteTable, RuleGroup, SgRule, Subnet, Target,
    TgwAttachment, TgwRoute, TgwRouteTable, TgwTarget, Topology, Vpc, VpcRole,
};
use aws_sdk_ec2::types::{
    EgressOnlyInternetGateway, InternetGateway as SdkIgw, NatGateway as SdkNat,
    RouteTable as SdkRouteTable, SecurityGroupRule, Subnet as SdkSubnet, Tag,
    TransitGatewayVpcAttachment, VpcEndpoint, VpcPeeringConnection,
};
use thiserror::Error;

use crate::ec2::{env_filter, filter, Tagged};
use crate::errors::classify;
use crate::kit::{all_pages, lookup};
use crate::tags;
use crate::Provider;

/// The VPC the expansion names the hub's inspection VPC.
const INSPECTION_VPC: &str = airgap_verify::from_graph::INSPECTION_VPC;

#[derive(Debug, Error)]
pub enum InspectError {
    #[error("account {account}: {what}: {source}")]
    Call {
        account: String,
        what: &'static str,
        #[source]
        source: KindError,
    },
    #[error("account {0}: no credentials (is it declared under accounts:?)")]
    NoConfig(String),
}

/// What exists of an environment, in the verifier's model.
#[derive(Debug, Default)]
pub struct Inspection {
    pub topology: Topology,
    /// The AWS id (or ARN) of each resource named by its logical id.
    pub aws_ids: BTreeMap<String, String>,
    /// The account of each subnet and firewall, by name.
    pub owners: BTreeMap<String, String>,
}

/// Reads the environment `env` in every account of the provider, side by side.
pub async fn inspect(provider: &Provider, env: &str) -> Result<Inspection, InspectError> {
    let reads = provider.scopes().iter().map(|s| read_account(provider, env, s));
    let raws = crate::provider::futures_join(reads).await?;
    let region = provider.scopes().first().map(|s| s.region.clone()).unwrap_or_default();
    // Every subnet's zone in the hub's names (by zone ID), as the plan names them.
    let zones = provider.zone_names().await.map_err(|source| InspectError::Call {
        account: provider.scopes().first().map(|s| s.account.clone()).unwrap_or_default(),
        what: "availability zones",
        source,
    })?;
    let accounts = provider.scopes().iter().map(|s| s.account.clone());
    Ok(build(env, &region, accounts.zip(raws).collect(), &zones))
}

/// One account's reads, as AWS returned them.
#[derive(Default)]
struct Raw {
    vpcs: Vec<aws_sdk_ec2::types::Vpc>,
    subnets: Vec<SdkSubnet>,
    route_tables: Vec<SdkRouteTable>,
    igws: Vec<SdkIgw>,
    eigws: Vec<EgressOnlyInternetGateway>,
    nats: Vec<SdkNat>,
    endpoints: Vec<VpcEndpoint>,
    peerings: Vec<VpcPeeringConnection>,
    attachments: Vec<TransitGatewayVpcAttachment>,
    tgws: Vec<aws_sdk_ec2::types::TransitGateway>,
    tgw_tables: Vec<TgwTable>,
    firewalls: Vec<FirewallRead>,
    clusters: Vec<ClusterRead>,
    sg_rules: Vec<SecurityGroupRule>,
    repositories: Vec<RepositoryRead>,
    /// Private hosted zones: the VPCs' associations, the environment's zones.
    dns: crate::route53::read::DnsRead,
}

struct TgwTable {
    table: aws_sdk_ec2::types::TransitGatewayRouteTable,
    associations: Vec<String>,
    propagations: Vec<String>,
    routes: Vec<aws_sdk_ec2::types::TransitGatewayRoute>,
}

struct FirewallRead {
    firewall: aws_sdk_networkfirewall::types::Firewall,
    /// Endpoint id by zone name.
    endpoints: BTreeMap<String, String>,
    /// The policy's ARN, tags and spec.
    policy: Option<(String, HashMap<String, String>, airgap_catalog::spec::NfwPolicySpec)>,
    groups: Vec<(String, HashMap<String, String>, airgap_catalog::spec::NfwRuleGroupSpec)>,
    logs: HashMap<String, String>,
}

struct ClusterRead {
    cluster: aws_sdk_eks::types::Cluster,
    node_roles: Vec<String>,
}

struct RepositoryRead {
    id: String,
    arn: String,
    name: String,
    scan_on_push: bool,
    immutable_tags: bool,
    pull: Pull,
}

fn config(provider: &Provider, account: &str) -> Result<aws_types::SdkConfig, InspectError> {
    provider.sdk_config(account).cloned().ok_or_else(|| InspectError::NoConfig(account.into()))
}

async fn read_account(provider: &Provider, env: &str, scope: &Scope) -> Result<Raw, InspectError> {
    let conf = config(provider, &scope.account)?;
    let stats = provider.stats().clone();
    let ec2 = aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(&conf).interceptor(stats.clone()).build(),
    );
    let nfw = aws_sdk_networkfirewall::Client::from_conf(
        aws_sdk_networkfirewall::config::Builder::from(&conf).interceptor(stats.clone()).build(),
    );
    let eks = aws_sdk_eks::Client::from_conf(
        aws_sdk_eks::config::Builder::from(&conf).interceptor(stats.clone()).build(),
    );
    let ecr = aws_sdk_ecr::Client::from_conf(
        aws_sdk_ecr::config::Builder::from(&conf).interceptor(stats.clone()).build(),
    );
    let r53 = aws_sdk_route53::Client::from_conf(
        aws_sdk_route53::config::Builder::from(&conf).interceptor(stats).build(),
    );
    let at = |what: &'static str| {
        let account = scope.account.clone();
        move |source: KindError| InspectError::Call { account, what, source }
    };
    let (network, tgw, clusters, repos) = tokio::join!(
        read_network(&ec2, &nfw, env),
        read_tgw(&ec2, env),
        read_clusters(&eks, &ec2, env),
        read_repositories(&ecr, env),
    );
    // The network's reads fill the VPC fields; the others come from their own reads.
    let mut raw = network.map_err(at("VPCs"))?;
    (raw.tgws, raw.tgw_tables) = tgw.map_err(at("transit gateway"))?;
    (raw.clusters, raw.sg_rules) = clusters.map_err(at("EKS clusters"))?;
    raw.repositories = repos.map_err(at("ECR repositories"))?;
    // After the VPCs: their zone associations are read by VPC.
    let vpcs: Vec<String> =
        raw.vpcs.iter().filter_map(|v| v.vpc_id().map(str::to_string)).collect();
    raw.dns = crate::route53::read::read(&r53, env, &vpcs, &scope.region)
        .await
        .map_err(at("Route 53 private hosted zones"))?;
    Ok(raw)
}

async fn read_network(
    c: &aws_sdk_ec2::Client,
    nfw: &aws_sdk_networkfirewall::Client,
    env: &str,
) -> Result<Raw, KindError> {
    let vpcs: Vec<aws_sdk_ec2::types::Vpc> =
        all_pages!(c.describe_vpcs().filters(env_filter(env)))?;
    let ids: Vec<String> = vpcs.iter().filter_map(|v| v.vpc_id().map(str::to_string)).collect();
    if ids.is_empty() {
        return Ok(Raw { vpcs, ..Raw::default() });
    }
    let by_vpc = || filter("vpc-id", ids.clone());
    let (subnets, route_tables, igws, eigws, nats, endpoints, requested, accepted, attachments) = tokio::join!(
        async { all_pages!(c.describe_subnets().filters(by_vpc())) },
        async { all_pages!(c.describe_route_tables().filters(by_vpc())) },
        async {
            all_pages!(c
                .describe_internet_gateways()
                .filters(filter("attachment.vpc-id", ids.clone())))
        },
        // DescribeEgressOnlyInternetGateways filters by tag only (API reference): all
        // of the account's, kept when attached to one of the VPCs.
        async { all_pages!(c.describe_egress_only_internet_gateways()) },
        async { all_pages!(c.describe_nat_gateways().filter(by_vpc())) },
        async { all_pages!(c.describe_vpc_endpoints().filters(by_vpc())) },
        async {
            all_pages!(c
                .describe_vpc_peering_connections()
                .filters(filter("requester-vpc-info.vpc-id", ids.clone())))
        },
        async {
            all_pages!(c
                .describe_vpc_peering_connections()
                .filters(filter("accepter-vpc-info.vpc-id", ids.clone())))
        },
        async { all_pages!(c.describe_transit_gateway_vpc_attachments().filters(by_vpc())) },
    );
    let eigws: Vec<EgressOnlyInternetGateway> = eigws?;
    let eigws = eigws
        .into_iter()
        .filter(|g| {
            g.attachments().iter().any(|a| a.vpc_id().is_some_and(|v| ids.iter().any(|i| i == v)))
        })
        .collect();
    let mut peerings: Vec<VpcPeeringConnection> = requested?;
    let accepted: Vec<VpcPeeringConnection> = accepted?;
    for p in accepted {
        if !peerings.iter().any(|q| q.vpc_peering_connection_id() == p.vpc_peering_connection_id())
        {
            peerings.push(p);
        }
    }
    Ok(Raw {
        firewalls: read_firewalls(nfw, &ids).await?,
        vpcs,
        subnets: subnets?,
        route_tables: route_tables?,
        igws: igws?,
        eigws,
        nats: nats?,
        endpoints: endpoints?,
        peerings,
        attachments: attachments?,
        ..Raw::default()
    })
}

/// The firewalls in the VPCs, with their policy, rule groups and logging. ListFirewalls
/// takes VPC ids (Network Firewall API reference), so untagged firewalls count too.
async fn read_firewalls(
    c: &aws_sdk_networkfirewall::Client,
    vpcs: &[String],
) -> Result<Vec<FirewallRead>, KindError> {
    let listed: Vec<aws_sdk_networkfirewall::types::FirewallMetadata> =
        all_pages!(c.list_firewalls().set_vpc_ids(Some(vpcs.to_vec())))?;
    let mut out = Vec::new();
    for f in listed {
        let Some(arn) = f.firewall_arn() else { continue };
        // Deleted between the calls: not part of what exists.
        let Some(d) = lookup(c.describe_firewall().firewall_arn(arn).send()).await? else {
            continue;
        };
        let Some(firewall) = d.firewall().cloned() else { continue };
        let endpoints = d
            .firewall_status()
            .and_then(|s| s.sync_states())
            .into_iter()
            .flatten()
            .filter_map(|(az, st)| Some((az.clone(), st.attachment()?.endpoint_id()?.to_string())))
            .collect();
        let mut policy = None;
        let mut groups = Vec::new();
        let policy_arn = firewall.firewall_policy_arn().to_string();
        if let Some(p) =
            lookup(c.describe_firewall_policy().firewall_policy_arn(&policy_arn).send()).await?
        {
            if let Some(body) = p.firewall_policy() {
                let spec = crate::nfw::policy_spec(body);
                for g in &spec.rule_groups {
                    let Ok(garn) = g.get() else { continue };
                    if let Some(rg) =
                        lookup(c.describe_rule_group().rule_group_arn(garn).send()).await?
                    {
                        let resp = rg.rule_group_response();
                        let t = resp.map(|r| crate::nfw::tag_map(r.tags())).unwrap_or_default();
                        if let Some(resp) = resp {
                            groups.push((
                                garn.to_string(),
                                t,
                                crate::nfw::rule_group_spec(resp, rg.rule_group()),
                            ));
                        }
                    }
                }
                let t = p
                    .firewall_policy_response()
                    .map(|r| crate::nfw::tag_map(r.tags()))
                    .unwrap_or_default();
                policy = Some((policy_arn.clone(), t, spec));
            }
        }
        let logs = lookup(c.describe_logging_configuration().firewall_arn(arn).send())
            .await?
            .map(|l| crate::nfw::log_groups(l.logging_configuration()))
            .unwrap_or_default();
        out.push(FirewallRead { firewall, endpoints, policy, groups, logs });
    }
    Ok(out)
}

/// The environment's transit gateways and, for each of their route tables, its
/// associations, propagations and static routes (blackholes included).
async fn read_tgw(
    c: &aws_sdk_ec2::Client,
    env: &str,
) -> Result<(Vec<aws_sdk_ec2::types::TransitGateway>, Vec<TgwTable>), KindError> {
    let tgws: Vec<aws_sdk_ec2::types::TransitGateway> =
        all_pages!(c.describe_transit_gateways().filters(env_filter(env)))?;
    let ids: Vec<String> =
        tgws.iter().filter_map(|t| t.transit_gateway_id().map(str::to_string)).collect();
    if ids.is_empty() {
        return Ok((tgws, Vec::new()));
    }
    let tables: Vec<aws_sdk_ec2::types::TransitGatewayRouteTable> = all_pages!(c
        .describe_transit_gateway_route_tables()
        .filters(filter("transit-gateway-id", ids)))?;
    let mut out = Vec::new();
    for table in tables {
        let Some(rt) = table.transit_gateway_route_table_id().map(str::to_string) else {
            continue;
        };
        let live = |state: Option<&str>| matches!(state, Some("associated" | "enabled"));
        let assoc: Vec<aws_sdk_ec2::types::TransitGatewayRouteTableAssociation> = all_pages!(c
            .get_transit_gateway_route_table_associations()
            .transit_gateway_route_table_id(&rt))?;
        let props: Vec<aws_sdk_ec2::types::TransitGatewayRouteTablePropagation> = all_pages!(c
            .get_transit_gateway_route_table_propagations()
            .transit_gateway_route_table_id(&rt))?;
        // SearchTransitGatewayRoutes requires a filter (API reference); propagated
        // routes are computed from the propagations and the attached VPCs' CIDRs.
        let routes = c
            .search_transit_gateway_routes()
            .transit_gateway_route_table_id(&rt)
            .filters(filter("type", ["static"]))
            .send()
            .await
            .map_err(classify)?;
        out.push(TgwTable {
            associations: assoc
                .iter()
                .filter(|a| live(a.state().map(|s| s.as_str())))
                .filter_map(|a| a.transit_gateway_attachment_id().map(str::to_string))
                .collect(),
            propagations: props
                .iter()
                .filter(|a| live(a.state().map(|s| s.as_str())))
                .filter_map(|a| a.transit_gateway_attachment_id().map(str::to_string))
                .collect(),
            routes: routes.routes().to_vec(),
            table,
        });
    }
    Ok((tgws, out))
}

/// The environment's clusters (by their tags), their node groups' roles, and the rules
/// of their security groups (the cluster security group EKS made included).
async fn read_clusters(
    c: &aws_sdk_eks::Client,
    ec2: &aws_sdk_ec2::Client,
    env: &str,
) -> Result<(Vec<ClusterRead>, Vec<SecurityGroupRule>), KindError> {
    let names: Vec<String> = all_pages!(c.list_clusters())?;
    let mut out = Vec::new();
    let mut groups = Vec::new();
    for name in names {
        let Some(d) = lookup(c.describe_cluster().name(&name).send()).await? else { continue };
        let Some(cluster) = d.cluster().cloned() else { continue };
        let t: HashMap<String, String> = cluster.tags().cloned().unwrap_or_default();
        if t.get(tags::ENV).map(String::as_str) != Some(env) {
            continue;
        }
        if let Some(v) = cluster.resources_vpc_config() {
            groups.extend(v.security_group_ids().iter().cloned());
            groups.extend(v.cluster_security_group_id().map(str::to_string));
        }
        let ngs: Vec<String> = all_pages!(c.list_nodegroups().cluster_name(&name))?;
        let mut node_roles = Vec::new();
        for ng in ngs {
            let Some(n) =
                lookup(c.describe_nodegroup().cluster_name(&name).nodegroup_name(&ng).send())
                    .await?
            else {
                continue;
            };
            if let Some(role) = n.nodegroup().and_then(|n| n.node_role()) {
                if !node_roles.iter().any(|r| r == role) {
                    node_roles.push(role.to_string());
                }
            }
        }
        out.push(ClusterRead { cluster, node_roles });
    }
    let rules = if groups.is_empty() {
        Vec::new()
    } else {
        all_pages!(ec2.describe_security_group_rules().filters(filter("group-id", groups)))?
    };
    Ok((out, rules))
}

async fn read_repositories(
    c: &aws_sdk_ecr::Client,
    env: &str,
) -> Result<Vec<RepositoryRead>, KindError> {
    Ok(crate::ecr::repositories_of(c, env)
        .await?
        .into_iter()
        .map(|(id, r, spec)| RepositoryRead {
            id,
            arn: r.repository_arn().unwrap_or_default().to_string(),
            name: spec.name,
            scan_on_push: spec.scan_on_push,
            immutable_tags: spec.immutable_tags,
            pull: match spec.pull_principals {
                PullPrincipals::Principals(p) => Pull::Principals(
                    p.iter().filter_map(|i| i.get().ok()).map(str::to_string).collect(),
                ),
                PullPrincipals::Other(text) => Pull::Other(text),
            },
        })
        .collect())
}

fn ec2_tags(t: &[Tag]) -> HashMap<String, String> {
    tags::to_map(t.iter().map(|t| (t.key(), t.value())))
}

/// Names resources: the logical id of what carries the environment's tags, else the
/// AWS id.
#[derive(Default)]
struct Names {
    logical: HashMap<String, String>,
}

impl Names {
    fn add(&mut self, aws: Option<&str>, t: &HashMap<String, String>, env: &str) {
        if let (Some(aws), Some(id)) = (aws, tags::owned_id(t, env)) {
            self.logical.insert(aws.to_string(), id);
        }
    }

    /// Names EC2 resources by their tags.
    fn add_all<T: Tagged>(&mut self, items: impl IntoIterator<Item = T>, env: &str) {
        for i in items {
            self.add(i.physical_id(), &ec2_tags(i.tag_list()), env);
        }
    }

    fn of(&self, aws: &str) -> String {
        self.logical.get(aws).cloned().unwrap_or_else(|| aws.to_string())
    }
}

fn prefix(s: Option<&str>) -> Option<Prefix> {
    s?.parse().ok()
}

/// `zones`: the hub's zone names by zone ID (empty: each account's own names).
fn build(
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
    let target = r
        .gateway_id()
        .or(r.nat_gateway_id())
        .or(r.transit_gateway_id())
        .or(r.vpc_peering_connection_id())
        .or(r.egress_only_internet_gateway_id())
        .or(r.network_interface_id())
        .or(r.instance_id())
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
