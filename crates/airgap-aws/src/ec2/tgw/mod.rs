//! The transit gateway, its route tables, VPC attachments, and the route table
//! associations, propagations and static routes. Associations, propagations and routes
//! cannot be tagged: they are recorded on their TGW route table
//! (`airgap:assoc:<attachment>`, `airgap:prop:<attachment>`, `airgap:route:<cidr>`).

mod attachment;
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

/// The env's TGW route tables that carry marks starting with `mark` (the sub-resources
/// recorded on them): (route table id, tags). The others need no Get or Search.
async fn tables_marked(
    ec2: &Ec2,
    env: &str,
    scope: &Scope,
    mark: &str,
) -> Result<Vec<(String, HashMap<String, String>)>, KindError> {
    Ok(tgw_route_tables(ec2, env, scope)
        .await?
        .into_iter()
        .filter_map(|t| {
            let tm = tag_map(t.tags());
            let rt = t.transit_gateway_route_table_id()?.to_string();
            tm.keys().any(|k| k.starts_with(mark)).then_some((rt, tm))
        })
        .collect())
}
