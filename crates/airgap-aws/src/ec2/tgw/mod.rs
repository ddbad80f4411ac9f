//! The transit gateway, its route tables, VPC attachments, and the route table
//! associations, propagations and static routes. Associations, propagations and routes
//! cannot be tagged: those of the environment's TGW route tables are its own, read from
//! the tables (one Get or Search per table, not per spoke) and paired with their nodes by
//! table and attachment or CIDR (`KindFacts::identity`).

mod attachment;
mod existing;
mod link;
mod route;
mod route_table;
mod transit_gateway;

use std::collections::HashMap;

use airgap_engine::{KindError, Scope};
use aws_sdk_ec2::types::TransitGatewayRouteTableState;

use crate::ec2::env_pages;
use crate::ec2::{tag_map, Ec2};
use crate::tags;

pub use attachment::TgwAttachment;
pub use existing::{check_existing, Mismatch};
pub use link::{TgwAssociation, TgwPropagation};
pub use route::TgwRoute;
pub use route_table::TgwRouteTable;
pub use transit_gateway::TransitGateway;

/// Shared resources show in the principals' accounts too (with the owner's tags, on
/// some implementations): each account observes only what it owns.
pub(crate) fn owned_by(owner: Option<&str>, scope: &Scope) -> bool {
    owner.is_none_or(|o| o == scope.account)
}

fn enable(on: bool) -> &'static str {
    if on {
        "enable"
    } else {
        "disable"
    }
}

/// A deleted TGW route table lingers in Describe for a while: never observed nor adopted.
fn table_gone(t: &aws_sdk_ec2::types::TransitGatewayRouteTable) -> bool {
    matches!(
        t.state(),
        Some(TransitGatewayRouteTableState::Deleted | TransitGatewayRouteTableState::Deleting)
    )
}

async fn tgw_route_tables(
    ec2: &Ec2,
    env: &str,
    scope: &Scope,
) -> Result<Vec<aws_sdk_ec2::types::TransitGatewayRouteTable>, KindError> {
    let all: Vec<_> = env_pages!(ec2, scope, env, describe_transit_gateway_route_tables)?;
    Ok(all
        .into_iter()
        .filter(|t| !table_gone(t) && tags::owned_id(&tag_map(t.tags()), env).is_some())
        .collect())
}

/// The env's TGW route tables: (route table id, tags), the parents of the
/// sub-resources AWS cannot tag.
async fn env_tables(
    ec2: &Ec2,
    env: &str,
    scope: &Scope,
) -> Result<Vec<(String, HashMap<String, String>)>, KindError> {
    Ok(tgw_route_tables(ec2, env, scope)
        .await?
        .into_iter()
        .filter_map(|t| Some((t.transit_gateway_route_table_id()?.to_string(), tag_map(t.tags()))))
        .collect())
}
