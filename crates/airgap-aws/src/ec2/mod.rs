//! EC2 kinds: networking (VPCs, subnets, routing, gateways), security groups, the
//! transit gateway family and VPC endpoints.

mod blockers;
mod endpoint;
mod launch_template;
mod net;
mod routing;
mod sg;
pub mod table_route;
mod tagged;
mod tgw;
mod tgw_accept;
pub mod zones;

use std::collections::HashMap;
use std::sync::Arc;

use airgap_engine::{KindError, Registry};
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use crate::tags;

pub use blockers::{k8s_cluster, Blockers, Elb, Held};
pub use endpoint::{GatewayEndpoint, InterfaceEndpoint, SharedDescribe};
pub use launch_template::LaunchTemplate;
pub use net::{ElasticIp, InternetGateway, NatGateway, Subnet, Vpc};
pub use routing::{Route, RouteTable, RouteTableAssociation};
pub use sg::{SecurityGroup, SecurityGroupRule};
pub use tgw::{
    check_existing as check_existing_tgw, Mismatch as TgwMismatch, TgwAssociation, TgwAttachment,
    TgwPropagation, TgwRoute, TgwRouteTable, TransitGateway,
};
pub use tgw_accept::TgwAttachmentAccepter;

pub(crate) use crate::kit::made;
pub(crate) use tagged::{
    adopted, answer_each, available_or_gone, child, describe_by_ids, describe_one,
    diff_with_tag_drift, env_pages, lookup, observe_tagged, parents_of_env, retag_only, TagDrift,
    Tagged, ID_BATCH,
};

/// EC2 clients per account and region.
pub type Ec2 = crate::clients::PerScope<aws_sdk_ec2::Client>;

/// Every EC2 kind, sharing the clients; VPCs, subnets and groups also share the
/// blocker search their deletes fall back on.
pub fn register(
    registry: &mut Registry,
    ec2: &Arc<Ec2>,
    blockers: &Arc<Blockers>,
    zones: &Arc<zones::Zones>,
) {
    let e = || Arc::clone(ec2);
    let b = || Arc::clone(blockers);
    let endpoints = Arc::new(SharedDescribe::default());
    registry
        .register(Arc::new(Vpc(e(), b())))
        .register(Arc::new(Subnet(e(), b(), Arc::clone(zones))))
        .register(Arc::new(InternetGateway(e())))
        .register(Arc::new(ElasticIp(e())))
        .register(Arc::new(NatGateway(e())))
        .register(Arc::new(RouteTable(e())))
        .register(Arc::new(RouteTableAssociation(e())))
        .register(Arc::new(Route::new(e())))
        .register(Arc::new(SecurityGroup(e(), b())))
        .register(Arc::new(SecurityGroupRule(e())))
        .register(Arc::new(TransitGateway(e())))
        .register(Arc::new(TgwRouteTable(e())))
        .register(Arc::new(TgwAttachment(e())))
        .register(Arc::new(TgwAssociation(e())))
        .register(Arc::new(TgwPropagation(e())))
        .register(Arc::new(TgwRoute::new(e())))
        .register(Arc::new(TgwAttachmentAccepter(e())))
        .register(Arc::new(GatewayEndpoint(e(), Arc::clone(&endpoints))))
        .register(Arc::new(InterfaceEndpoint(e(), endpoints)))
        .register(Arc::new(LaunchTemplate(e())));
}

/// A kind's facts (durations, buckets, what cannot change in place) are its catalogue
/// entry, named by its constant in `airgap_catalog` (`kind_meta!(SUBNET)`), so a kind
/// without an entry does not compile.
macro_rules! kind_meta {
    ($entry:ident) => {
        fn facts(&self) -> &'static airgap_catalog::KindFacts {
            &airgap_catalog::$entry
        }
    };
}
pub(crate) use kind_meta;

/// Where a route sends traffic: its one target id (a gateway, NAT gateway, transit
/// gateway, peering, egress-only gateway, interface or instance). A macro, as two SDK
/// types describe a route with these same getters: a route table's `Route`, and a
/// Reachability Analyzer hop's `RouteTableRoute`.
macro_rules! route_target {
    ($route:expr) => {{
        let r = $route;
        r.gateway_id()
            .or(r.nat_gateway_id())
            .or(r.transit_gateway_id())
            .or(r.vpc_peering_connection_id())
            .or(r.egress_only_internet_gateway_id())
            .or(r.network_interface_id())
            .or(r.instance_id())
    }};
}
pub(crate) use route_target;

pub(crate) fn env_filter(env: &str) -> Filter {
    Filter::builder().name(format!("tag:{}", tags::ENV)).values(env).build()
}

pub(crate) fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    let mut f = Filter::builder().name(name);
    for v in values {
        f = f.values(v);
    }
    f.build()
}

pub(crate) fn tag_spec(rt: ResourceType, env: &str, id: &str) -> TagSpecification {
    let mut s = TagSpecification::builder().resource_type(rt);
    for (k, v) in tags::standard(env, id) {
        s = s.tags(Tag::builder().key(k).value(v).build());
    }
    s.build()
}

pub(crate) fn tag_map(tags: &[Tag]) -> HashMap<String, String> {
    tags::to_map(tags.iter().map(|t| (t.key(), t.value())))
}

/// Lookup filters for one node's resource: before a create that has no client token,
/// so a retried create adopts what an interrupted one made.
pub(crate) fn owned_filters(env: &str, id: &str) -> Vec<Filter> {
    vec![env_filter(env), filter(&format!("tag:{}", tags::ID), [id])]
}

/// Right after a create, Describe may not show the resource yet: NotFound, which the
/// engine's grace period covers.
pub(crate) fn not_visible(id: &str) -> KindError {
    crate::kit::not_visible_yet(format!("{id} is not visible yet"))
}

/// Whether a resource found by a lookup is this node's: the tags are checked here as
/// well, since not every EC2 implementation applies tag filters server-side.
pub(crate) fn is_node(tags: &[Tag], node: &airgap_engine::Resolved) -> bool {
    tags::owned_id(&tag_map(tags), &node.env).as_deref() == Some(node.id.0.as_str())
}

/// Writes the standard tags on an existing resource: one put back by `retag`, or one a
/// create adopts (CreateTags takes any EC2 resource id).
pub(crate) async fn tag_standard(
    c: &aws_sdk_ec2::Client,
    resource: &str,
    env: &str,
    id: &str,
) -> Result<(), KindError> {
    let mut req = c.create_tags().resources(resource);
    for (k, v) in tags::standard(env, id) {
        req = req.tags(Tag::builder().key(k).value(v).build());
    }
    req.send().await.map_err(crate::errors::classify)?;
    Ok(())
}

/// Puts the standard tags back when the diff says some are missing, and removes the
/// marks earlier versions left ([`tags::legacy_marks`]).
pub(crate) async fn retag(
    c: &aws_sdk_ec2::Client,
    diff: &airgap_engine::Diff,
    resource: &str,
    env: &str,
    id: &str,
) -> Result<(), KindError> {
    if crate::kit::changes(diff, &["tags"]) {
        tag_standard(c, resource, env, id).await?;
    }
    let stale =
        diff.changes.iter().find(|ch| ch.field == "staleTags").and_then(|ch| ch.old.as_ref());
    if let Some(airgap_engine::Value::List(keys)) = stale {
        let mut req = c.delete_tags().resources(resource);
        for k in keys.iter().filter_map(airgap_engine::Value::as_str) {
            req = req.tags(Tag::builder().key(k).build());
        }
        req.send().await.map_err(crate::errors::classify)?;
    }
    Ok(())
}
