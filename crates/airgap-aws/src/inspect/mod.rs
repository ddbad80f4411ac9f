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
    ClientVpn, Cluster, Endpoint, EndpointService, Firewall, FirewallPolicy, InternetGateway,
    NatGateway, OtherGateway, PrivateZone, Pull, Repository, Route, RouteTable, RuleGroup,
    ServiceLoadBalancer, SgRule, Subnet, Target, TgwAttachment, TgwRoute, TgwRouteTable, TgwTarget,
    Topology, Vpc, VpcRole, VpnAuthorization, VpnRoute,
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

mod build;
mod read;

use build::build;
use read::read_account;

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
    /// Client VPN endpoints associated with (or in) the environment's VPCs.
    client_vpns: Vec<ClientVpnRead>,
    /// VPC endpoint services tagged as the environment's or in front of a load balancer
    /// in its VPCs.
    endpoint_services: Vec<EndpointServiceRead>,
}

struct EndpointServiceRead {
    service: aws_sdk_ec2::types::ServiceConfiguration,
    principals: Vec<String>,
    load_balancers: Vec<LoadBalancerRead>,
}

/// A load balancer behind an endpoint service; `scheme` and `vpc` are `None` when
/// DescribeLoadBalancers did not list it.
struct LoadBalancerRead {
    arn: String,
    scheme: Option<String>,
    vpc: Option<String>,
    tags: HashMap<String, String>,
}

/// A Client VPN endpoint and what its sub-resources say: the subnets associated, the
/// CIDRs authorized (any group), the routes (destination, target subnet).
struct ClientVpnRead {
    endpoint: aws_sdk_ec2::types::ClientVpnEndpoint,
    subnets: Vec<String>,
    authorized: Vec<String>,
    routes: Vec<(String, String)>,
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
