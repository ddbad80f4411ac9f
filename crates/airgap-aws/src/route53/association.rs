//! A VPC's association with a central endpoint's private hosted zone, made by the VPC's
//! account. When the zone belongs to another account, its owner first authorizes the
//! association (CreateVPCAssociationAuthorization, "you must use the account that created
//! the hosted zone"), the VPC's account associates, and the owner deletes the
//! authorization, as the Route 53 developer guide recommends once the association exists
//! ("Associating an Amazon VPC and a private hosted zone that you created with different
//! AWS accounts"); deleting it leaves the association in place
//! (DeleteVPCAssociationAuthorization).
//!
//! Observed from AWS's own state, no tag per association: the VPCs each of the
//! environment's zones is associated with (GetHostedZone, by the zone's owner), so the
//! calls follow the zones, not the VPCs.

use std::collections::HashMap;
use std::sync::Arc;

use airgap_catalog::spec::{Spec, ZoneAssociationSpec};
use airgap_engine::{
    Attrs, Change, Check, Created, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved,
    Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_route53::types::HostedZoneSummary;

use super::zone::{owner_id, vpc};
use super::{bare_zone_id, Route53};
use crate::ec2::{env_pages, kind_meta, Ec2};
use crate::errors::classify;
use crate::kit::{all_pages, id_out, not_visible_yet, presence};
use crate::tags;

pub struct ZoneAssociation(pub Arc<Route53>, pub Arc<Ec2>, ZoneReads);

impl ZoneAssociation {
    pub fn new(r53: Arc<Route53>, ec2: Arc<Ec2>) -> Self {
        ZoneAssociation(r53, ec2, ZoneReads::default())
    }

    /// The environment's zones of `owner`, read once per plan (see [`ZoneReads`]).
    async fn owner_zones(&self, owner: &Scope, env: &str) -> Result<OwnerZones, KindError> {
        let cell = {
            let mut reads = self.2 .0.lock().expect("zone reads lock");
            Arc::clone(reads.entry((owner.account.clone(), owner.region.clone())).or_default())
        };
        let c = self.0.client(owner)?;
        cell.get_or_try_init(|| read_owner_zones(c, env)).await.cloned()
    }
}

/// The environment's zones of one account: (zone id, zone name, the VPCs associated with it).
type OwnerZones = Vec<(String, String, Vec<String>)>;

/// Every account's observe reads the zones of every account of the environment (a zone's
/// associations are listed by its owner only); read once per plan and shared, the calls
/// grow with the accounts, not with accounts times accounts (a hundred spoke accounts made
/// ten thousand ListHostedZones, against Route 53's five requests a second per account).
/// Emptied by [`Kind::begin_observation`].
#[derive(Default)]
pub struct ZoneReads(std::sync::Mutex<HashMap<(String, String), ZoneRead>>);

/// One owner's read, made by the first observer that asks for it.
type ZoneRead = Arc<tokio::sync::OnceCell<OwnerZones>>;

/// ListHostedZones (all pages), then GetHostedZone for each of the environment's zones.
async fn read_owner_zones(c: &aws_sdk_route53::Client, env: &str) -> Result<OwnerZones, KindError> {
    let zones: Vec<aws_sdk_route53::types::HostedZone> = all_pages!(c.list_hosted_zones())?;
    let mut out = Vec::new();
    for z in zones.iter().filter(|z| owner_id(z, env).is_some()) {
        let zone = bare_zone_id(z.id()).to_string();
        let got = match c.get_hosted_zone().id(&zone).send().await.map_err(classify) {
            Ok(g) => g,
            // Deleted between the calls.
            Err(e) if e.class == ErrorClass::NotFound => continue,
            Err(e) => return Err(e),
        };
        let vpcs = got.vpcs().iter().filter_map(|v| v.vpc_id()).map(str::to_string).collect();
        out.push((zone, z.name().to_string(), vpcs));
    }
    Ok(out)
}

/// Every private zone `vpc` is associated with (ListHostedZonesByVPC, paginated by token).
pub(super) async fn zones_of(
    c: &aws_sdk_route53::Client,
    vpc: &str,
    region: &str,
) -> Result<Vec<HostedZoneSummary>, KindError> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = c
            .list_hosted_zones_by_vpc()
            .vpc_id(vpc)
            .vpc_region(aws_sdk_route53::types::VpcRegion::from(region))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(classify)?;
        all.extend(out.hosted_zone_summaries().iter().cloned());
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(all),
        }
    }
}

async fn associated(
    c: &aws_sdk_route53::Client,
    zone: &str,
    vpc: &str,
    region: &str,
) -> Result<bool, KindError> {
    Ok(zones_of(c, vpc, region).await?.iter().any(|z| bare_zone_id(z.hosted_zone_id()) == zone))
}

/// The association's outputs: its id, and the zone's account (readiness after a delete
/// asks the owner how many VPCs the zone has left).
fn outputs(physical: &str, owner: &str) -> Attrs {
    let mut o = id_out(physical);
    o.insert("zoneAccount".into(), Value::str(owner));
    o
}

/// `zone:vpc`, the association's physical id.
fn split(physical: &str) -> Result<(&str, &str), KindError> {
    physical
        .split_once(':')
        .ok_or_else(|| KindError::fatal("BadId", format!("not a zone:vpc association: {physical}")))
}

#[async_trait]
impl Kind for ZoneAssociation {
    kind_meta!(ROUTE53_ASSOCIATION);

    fn begin_observation(&self) {
        self.2 .0.lock().expect("zone reads lock").clear();
    }

    /// From the zones' side, so a plan's calls do not grow with the VPCs: the
    /// environment's VPCs in this account (one DescribeVpcs), then the environment's zones
    /// in every account of the environment (ListHostedZones, by caller reference) and
    /// each one's VPCs (GetHostedZone, by its owner): zero zones, no call per zone. The
    /// zones are read once per plan for all the accounts that observe (`ZoneReads`).
    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let vpcs: Vec<aws_sdk_ec2::types::Vpc> = env_pages!(self.1, scope, env, describe_vpcs)?;
        let names: HashMap<String, String> = vpcs
            .iter()
            .filter_map(|v| {
                let name = v
                    .tags()
                    .iter()
                    .find(|t| t.key() == Some(tags::ID))
                    .and_then(|t| t.value())
                    .and_then(|id| id.strip_prefix("vpc/"))?;
                Some((v.vpc_id()?.to_string(), name.to_string()))
            })
            .collect();
        let mut found = Vec::new();
        if names.is_empty() {
            return Ok(found);
        }
        let mut owners: Vec<Scope> = self.0.scopes().filter(|s| s.region == scope.region).collect();
        owners.sort_by(|a, b| a.account.cmp(&b.account));
        for owner in owners {
            for (zone, zone_name, vpcs) in self.owner_zones(&owner, env).await? {
                let Some(svc) = airgap_catalog::dns::service_of_zone(&zone_name, &scope.region)
                else {
                    continue;
                };
                for vid in &vpcs {
                    let Some(name) = names.get(vid) else { continue };
                    let physical = format!("{zone}:{vid}");
                    found.push(Observed {
                        id: format!("dns/{svc}/{name}").as_str().into(),
                        attrs: ZoneAssociationSpec {
                            zone: zone.as_str().into(),
                            zone_account: owner.account.clone(),
                            vpc: vid.as_str().into(),
                            region: scope.region.clone(),
                        }
                        .to_attrs(),
                        outputs: outputs(&physical, &owner.account),
                        parents: vec![vid.to_string(), zone.clone()],
                        physical_id: physical,
                    });
                }
            }
        }
        Ok(found)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = ZoneAssociationSpec::from_attrs(&node.attrs)?;
        let (zone, vpc_id) = (spec.zone.get()?, spec.vpc.get()?);
        let region = spec.region.as_str();
        let physical = format!("{zone}:{vpc_id}");
        let c = self.0.client(&node.scope)?;
        // Lookup first: the zone's own VPC is associated from its creation, and a retry
        // finds what a lost answer did.
        let done = Created {
            physical_id: physical.clone(),
            outputs: outputs(&physical, &spec.zone_account),
        };
        if associated(c, zone, vpc_id, region).await? {
            return Ok(done);
        }
        let owner = (spec.zone_account != node.scope.account)
            .then(|| {
                self.0.client(&Scope::new(spec.zone_account.clone(), node.scope.region.clone()))
            })
            .transpose()?;
        if let Some(o) = owner {
            o.create_vpc_association_authorization()
                .hosted_zone_id(zone)
                .vpc(vpc(vpc_id, region))
                .send()
                .await
                .map_err(classify)?;
        }
        let made = c
            .associate_vpc_with_hosted_zone()
            .hosted_zone_id(zone)
            .vpc(vpc(vpc_id, region))
            .comment(format!("airgapctl {}: {}", node.env, node.id.0))
            .send()
            .await
            .map_err(classify);
        match made {
            Ok(_) => {}
            // The owner's authorization not visible to the association yet: retried.
            Err(e) if e.code == "NotAuthorizedException" => {
                return Err(KindError::new(ErrorClass::NotFound, e.code, e.message));
            }
            // "The VPC that you specified is already associated with another hosted
            // zone that has the same name" (botocore, ConflictingDomainExists): this
            // one (an answer lost), or another: a per-VPC endpoint's private DNS on
            // its way out when the service became central, or a zone made outside
            // airgapctl. Waited on until the operation's timeout.
            Err(e) if e.code == "ConflictingDomainExists" => {
                if !associated(c, zone, vpc_id, region).await? {
                    return Err(KindError::new(
                        ErrorClass::Conflict,
                        e.code,
                        format!(
                            "{}: VPC {vpc_id} already resolves this name through another private hosted zone (its own endpoint with private DNS, still being deleted, or a zone made outside airgapctl)",
                            e.message
                        ),
                    ));
                }
            }
            Err(e) => return Err(e),
        }
        if let Some(o) = owner {
            let done = o
                .delete_vpc_association_authorization()
                .hosted_zone_id(zone)
                .vpc(vpc(vpc_id, region))
                .send()
                .await
                .map_err(classify);
            match done {
                Err(e) if e.class != ErrorClass::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(done)
    }

    /// Every field is a replace field: nothing changes in place.
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let (zone, vpc_id) = split(&current.physical_id)?;
        let gone = self
            .0
            .client(scope)?
            .disassociate_vpc_from_hosted_zone()
            .hosted_zone_id(zone)
            .vpc(vpc(vpc_id, &scope.region))
            .send()
            .await
            .map_err(classify);
        match gone {
            Ok(_) => Ok(()),
            // VPCAssociationNotFound, NoSuchHostedZone: gone already.
            Err(e) if e.class == ErrorClass::NotFound => Ok(()),
            // The zone's own VPC, its last: it leaves with the zone.
            Err(e) if e.code == "LastVPCAssociation" => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let (zone, vpc_id) = split(check.physical_id)?;
        let c = self.0.client(check.scope)?;
        let mut listed = associated(c, zone, vpc_id, &check.scope.region).await?;
        if listed && check.op == Op::Delete {
            // The zone's last VPC cannot be disassociated (LastVPCAssociation); it leaves
            // with the zone, whose delete comes after this one: done.
            let owner = check
                .outputs
                .get("zoneAccount")
                .and_then(Value::as_str)
                .unwrap_or(&check.scope.account);
            let o = self.0.client(&Scope::new(owner.to_string(), check.scope.region.clone()))?;
            let got = o.get_hosted_zone().id(zone).send().await.map_err(classify);
            listed = match got {
                Ok(z) => z.vpcs().len() > 1,
                Err(e) if e.class == ErrorClass::NotFound => false,
                Err(e) => return Err(e),
            };
        }
        presence(
            check.op,
            listed.then_some(()),
            |_| check.outputs.clone(),
            || not_visible_yet(format!("VPC {vpc_id} not yet associated with zone {zone}")),
        )
    }
}
