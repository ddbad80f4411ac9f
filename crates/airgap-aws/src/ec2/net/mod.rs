//! VPCs, subnets, internet gateways, Elastic IPs and NAT gateways.

mod elastic_ip;
mod internet_gateway;
mod nat_gateway;
mod subnet;
mod vpc;

use airgap_engine::{KindError, Op, Readiness};

use crate::ec2::not_visible;

pub use elastic_ip::ElasticIp;
pub use internet_gateway::InternetGateway;
pub use nat_gateway::NatGateway;
pub use subnet::Subnet;
pub use vpc::Vpc;

/// Gone after a delete, or (right after a create) not visible yet.
fn missing(op: Op, what: &str) -> Result<Readiness, KindError> {
    if op == Op::Delete {
        Ok(Readiness::Gone)
    } else {
        Err(not_visible(what))
    }
}
