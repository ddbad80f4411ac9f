//! Availability zone names across accounts. AWS maps zone names to physical zones per
//! account ("AWS maps the physical Availability Zones randomly to the Availability Zone
//! names for each AWS account", AWS RAM user guide, "Availability Zone IDs for your AWS
//! resources"): `eu-central-1a` of the workload account may be another building than the
//! network account's. The zone ID (`euc1-az2`) is the same in every account. A blueprint's
//! zone names are read in the hub account's naming (where the firewall and its
//! endpoints are); subnets in other accounts are created by zone ID and observed back in
//! the hub's names, so a spoke's zone `a` is physically the firewall endpoint's zone `a`.

use std::collections::HashMap;

use airgap_engine::{KindError, Scope};
use tokio::sync::OnceCell;

use super::Ec2;
use crate::errors::classify;

/// The reference account's zone names and IDs, read once (the mapping does not change).
#[derive(Debug, Default)]
pub struct Zones {
    reference: Option<Scope>,
    map: OnceCell<Map>,
}

#[derive(Debug, Default)]
struct Map {
    id_of: HashMap<String, String>,
    name_of: HashMap<String, String>,
}

impl Zones {
    /// Names read in `reference`'s account (the hub's); `None`: each account's own.
    pub fn new(reference: Option<Scope>) -> Self {
        Zones { reference, map: OnceCell::new() }
    }

    /// Whether `scope` names zones differently from the reference account (a subnet
    /// there is created and observed by zone ID).
    pub fn translates(&self, scope: &Scope) -> bool {
        self.reference
            .as_ref()
            .is_some_and(|r| r.account != scope.account && r.region == scope.region)
    }

    async fn map(&self, ec2: &Ec2) -> Result<&Map, KindError> {
        let Some(reference) = &self.reference else {
            return Ok(self.map.get_or_init(|| async { Map::default() }).await);
        };
        self.map
            .get_or_try_init(|| async {
                let out = ec2
                    .client(reference)?
                    .describe_availability_zones()
                    .send()
                    .await
                    .map_err(classify)?;
                let mut m = Map::default();
                for z in out.availability_zones() {
                    if let (Some(name), Some(id)) = (z.zone_name(), z.zone_id()) {
                        m.id_of.insert(name.to_string(), id.to_string());
                        m.name_of.insert(id.to_string(), name.to_string());
                    }
                }
                Ok(m)
            })
            .await
    }

    /// The zone ID of the reference account's zone `name`.
    pub async fn id_of(&self, ec2: &Ec2, name: &str) -> Result<String, KindError> {
        self.map(ec2).await?.id_of.get(name).cloned().ok_or_else(|| {
            KindError::fatal(
                "UnknownAvailabilityZone",
                format!("availability zone {name} is not one of the hub account's"),
            )
        })
    }

    /// The reference account's names by zone ID.
    pub async fn names(&self, ec2: &Ec2) -> Result<HashMap<String, String>, KindError> {
        Ok(self.map(ec2).await?.name_of.clone())
    }
}
