//! VPCs, subnets, internet gateways, Elastic IPs and NAT gateways.

mod elastic_ip;
mod internet_gateway;
mod nat_gateway;
mod subnet;
mod vpc;

pub use elastic_ip::ElasticIp;
pub use internet_gateway::InternetGateway;
pub use nat_gateway::NatGateway;
pub use subnet::Subnet;
pub use vpc::Vpc;
