//! The reads: one account's VPCs, gateways, routes, endpoints, transit gateway tables,
//! firewalls, clusters and repositories, as AWS returns them.

use super::*;
use crate::stats::counted_client;

fn config(provider: &Provider, account: &str) -> Result<aws_types::SdkConfig, InspectError> {
    provider.sdk_config(account).cloned().ok_or_else(|| InspectError::NoConfig(account.into()))
}

pub(super) async fn read_account(
    provider: &Provider,
    env: &str,
    scope: &Scope,
) -> Result<Raw, InspectError> {
    let conf = config(provider, &scope.account)?;
    let stats = provider.stats();
    let ec2 = counted_client!(aws_sdk_ec2, &conf, stats);
    let nfw = counted_client!(aws_sdk_networkfirewall, &conf, stats);
    let eks = counted_client!(aws_sdk_eks, &conf, stats);
    let ecr = counted_client!(aws_sdk_ecr, &conf, stats);
    let r53 = counted_client!(aws_sdk_route53, &conf, stats);
    let elb = counted_client!(aws_sdk_elasticloadbalancingv2, &conf, stats);
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
    raw.endpoint_services = read_endpoint_services(&ec2, &elb, env, &vpcs)
        .await
        .map_err(at("VPC endpoint services"))?;
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
        client_vpns: read_client_vpns(c, &ids).await?,
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

/// The Client VPN endpoints in the VPCs, tagged or not (DescribeClientVpnEndpoints
/// filters by endpoint id and transport only: every endpoint of the account, kept when
/// its VPC is one of `vpcs`), with their active associations, authorization rules and
/// routes (the one AWS adds for the VPC's range with each association included).
async fn read_client_vpns(
    c: &aws_sdk_ec2::Client,
    vpcs: &[String],
) -> Result<Vec<ClientVpnRead>, KindError> {
    let all: Vec<aws_sdk_ec2::types::ClientVpnEndpoint> =
        all_pages!(c.describe_client_vpn_endpoints())?;
    let code = |s: Option<&str>| s.unwrap_or_default().to_string();
    let mut out = Vec::new();
    for e in all {
        let state = e.status().and_then(|s| s.code()).map(|c| c.as_str());
        let (Some(id), Some(vpc)) = (e.client_vpn_endpoint_id(), e.vpc_id()) else { continue };
        if state == Some("deleted") || !vpcs.iter().any(|v| v == vpc) {
            continue;
        }
        let id = id.to_string();
        let (nets, rules, routes) = tokio::join!(
            async {
                all_pages!(c.describe_client_vpn_target_networks().client_vpn_endpoint_id(&id))
            },
            async {
                all_pages!(c.describe_client_vpn_authorization_rules().client_vpn_endpoint_id(&id))
            },
            async { all_pages!(c.describe_client_vpn_routes().client_vpn_endpoint_id(&id)) },
        );
        let nets: Vec<aws_sdk_ec2::types::TargetNetwork> = nets?;
        let rules: Vec<aws_sdk_ec2::types::AuthorizationRule> = rules?;
        let routes: Vec<aws_sdk_ec2::types::ClientVpnRoute> = routes?;
        out.push(ClientVpnRead {
            subnets: nets
                .iter()
                .filter(|n| {
                    let s = n.status().and_then(|s| s.code()).map(|c| c.as_str());
                    matches!(s, Some("associating" | "associated"))
                })
                .map(|n| code(n.target_network_id()))
                .collect(),
            authorized: rules
                .iter()
                .filter(|r| r.status().and_then(|s| s.code()).map(|c| c.as_str()) == Some("active"))
                .map(|r| code(r.destination_cidr()))
                .collect(),
            routes: routes
                .iter()
                .filter(|r| {
                    r.status().and_then(|s| s.code()).map(|c| c.as_str()) != Some("deleting")
                })
                .map(|r| (code(r.destination_cidr()), code(r.target_subnet())))
                .collect(),
            endpoint: e,
        });
    }
    Ok(out)
}

/// The account's VPC endpoint services that carry the environment's tag or front a load
/// balancer in one of `vpcs`, tagged or not: a service someone put in front of the
/// environment by hand is a way in all the same. DescribeVpcEndpointServiceConfigurations
/// lists the caller's own services; a service's load balancers are in its account
/// ("Create an endpoint service": the Network Load Balancers are the service owner's), so
/// one listing of the account's load balancers gives their schemes and VPCs.
async fn read_endpoint_services(
    c: &aws_sdk_ec2::Client,
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    env: &str,
    vpcs: &[String],
) -> Result<Vec<EndpointServiceRead>, KindError> {
    use aws_sdk_ec2::types::{ServiceConfiguration, ServiceState};
    let all: Vec<ServiceConfiguration> =
        all_pages!(c.describe_vpc_endpoint_service_configurations())?;
    let all: Vec<ServiceConfiguration> = all
        .into_iter()
        .filter(|s| {
            !matches!(s.service_state(), Some(ServiceState::Deleting | ServiceState::Deleted))
        })
        .collect();
    if all.is_empty() {
        return Ok(Vec::new());
    }
    let lbs: Vec<aws_sdk_elasticloadbalancingv2::types::LoadBalancer> =
        all_pages!(elb.describe_load_balancers())?;
    let lb = |arn: &str| lbs.iter().find(|l| l.load_balancer_arn() == Some(arn));
    let in_env =
        |arn: &str| lb(arn).and_then(|l| l.vpc_id()).is_some_and(|v| vpcs.iter().any(|id| id == v));
    let mut out = Vec::new();
    for s in all {
        let tagged = tags::owned_id(&ec2_tags(s.tags()), env).is_some();
        let arns = s.network_load_balancer_arns();
        let Some(id) = s.service_id() else { continue };
        if !tagged && !arns.iter().any(|a| in_env(a)) {
            continue;
        }
        let principals = match crate::privatelink::principals(c, id).await {
            Ok(p) => p,
            // Deleted between the calls: not part of what exists.
            Err(e) if e.class == airgap_engine::ErrorClass::NotFound => continue,
            Err(e) => return Err(e),
        };
        // DescribeTags refuses the whole call for an ARN it does not know: listed ones only.
        let listed: Vec<String> = arns.iter().filter(|a| lb(a).is_some()).cloned().collect();
        let mut tags = crate::privatelink::elb_tags(elb, &listed).await?;
        let load_balancers = arns
            .iter()
            .map(|arn| LoadBalancerRead {
                arn: arn.clone(),
                scheme: lb(arn).and_then(|l| l.scheme()).map(|s| s.as_str().to_string()),
                vpc: lb(arn).and_then(|l| l.vpc_id()).map(str::to_string),
                tags: tags.remove(arn).unwrap_or_default(),
            })
            .collect();
        out.push(EndpointServiceRead { service: s, principals, load_balancers });
    }
    Ok(out)
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
