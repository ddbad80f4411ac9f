//! Route tables, their subnet associations and routes. Associations and routes cannot
//! be tagged: those of the environment's route tables are the environment's, observed
//! from the same one Describe and paired with their nodes by identity (table and subnet,
//! table and CIDR; `KindFacts::identity`).

mod association;
mod route;
mod route_table;

use airgap_engine::{KindError, Scope};

use crate::ec2::env_pages;
use crate::ec2::Ec2;

pub use association::RouteTableAssociation;
pub use route::Route;
pub use route_table::RouteTable;

async fn route_tables(
    ec2: &Ec2,
    env: &str,
    scope: &Scope,
) -> Result<Vec<aws_sdk_ec2::types::RouteTable>, KindError> {
    env_pages!(ec2, scope, env, describe_route_tables)
}
