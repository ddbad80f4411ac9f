//! Route 53 private hosted zones of central interface endpoints, and the VPCs' associations
//! with them (`endpoints.mode: central`). Route 53 is a global service: one client per
//! account, whatever the region of the scope; a VPC is named by its id and region.

use std::sync::Arc;

use airgap_engine::Registry;

use crate::clients::PerScope;
use crate::ec2::Ec2;

mod association;
pub(crate) mod read;
mod zone;

pub type Route53 = PerScope<aws_sdk_route53::Client>;

pub fn register(registry: &mut Registry, r53: &Arc<Route53>, ec2: &Arc<Ec2>) {
    registry.register(Arc::new(zone::HostedZone(Arc::clone(r53))));
    registry
        .register(Arc::new(association::ZoneAssociation::new(Arc::clone(r53), Arc::clone(ec2))));
}

/// A zone id without the `/hostedzone/` prefix some answers carry.
pub(crate) fn bare_zone_id(id: &str) -> &str {
    id.trim_start_matches("/hostedzone/")
}

/// A DNS name as Route 53 answers it (absolute, `*` as `\052`, any case) in the form the
/// blueprint writes it.
pub(crate) fn dns_name(name: &str) -> String {
    name.trim_end_matches('.').replace("\\052", "*").to_ascii_lowercase()
}
