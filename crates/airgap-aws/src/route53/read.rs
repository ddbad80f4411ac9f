//! What `verify --live` reads of Route 53 in one account: the private zones each of the
//! environment's VPCs there is associated with (whoever owns them, so a zone associated
//! out of band shows too), and the environment's own zones with the targets of their
//! alias records. Calls: one ListHostedZonesByVPC per VPC, ListHostedZones, and one
//! ListResourceRecordSets per zone of the environment.

use airgap_engine::KindError;

use super::association::zones_of;
use super::zone::{aliases, owner_id, record_sets};
use super::{bare_zone_id, dns_name};
use crate::kit::all_pages;

/// A private zone associated with a VPC of the environment.
pub struct ZoneLink {
    pub vpc: String,
    pub zone: String,
    /// The zone's name (`sts.eu-central-1.amazonaws.com`).
    pub name: String,
}

/// One of the environment's zones: its AWS id, its logical id, and the DNS names its
/// alias records point at.
pub struct ZoneRead {
    pub zone: String,
    pub logical: String,
    pub targets: Vec<String>,
}

#[derive(Default)]
pub struct DnsRead {
    pub links: Vec<ZoneLink>,
    pub zones: Vec<ZoneRead>,
}

pub async fn read(
    c: &aws_sdk_route53::Client,
    env: &str,
    vpcs: &[String],
    region: &str,
) -> Result<DnsRead, KindError> {
    let mut out = DnsRead::default();
    for vpc in vpcs {
        for z in zones_of(c, vpc, region).await? {
            out.links.push(ZoneLink {
                vpc: vpc.clone(),
                zone: bare_zone_id(z.hosted_zone_id()).to_string(),
                name: dns_name(z.name()),
            });
        }
    }
    let zones: Vec<aws_sdk_route53::types::HostedZone> = all_pages!(c.list_hosted_zones())?;
    for z in zones {
        let Some(logical) = owner_id(&z, env) else { continue };
        let zone = bare_zone_id(z.id()).to_string();
        let targets = match record_sets(c, &zone).await {
            Ok(sets) => aliases(&sets)
                .into_iter()
                .filter_map(|a| a.target.get().ok().map(str::to_string))
                .collect(),
            Err(e) if e.class == airgap_engine::ErrorClass::NotFound => continue,
            Err(e) => return Err(e),
        };
        out.zones.push(ZoneRead { zone, logical, targets });
    }
    Ok(out)
}
