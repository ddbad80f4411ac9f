//! A central endpoint's private hosted zone and its alias records. CreateHostedZone takes
//! no tags, but a `CallerReference` (1-128 characters, unique per request, so a retried
//! request is refused with HostedZoneAlreadyExists instead of making a second zone):
//! airgapctl writes `airgap/<env>/<id>/<run token>` into it, which ListHostedZones answers
//! with every zone. Observe finds the environment's zones by that reference (no
//! per-zone tag read), so a zone whose create stopped before its tags were written is
//! still the environment's; the standard tags follow in ChangeTagsForResource.
//!
//! The VPC a zone is created with is its first association (a private zone has at least
//! one VPC, "You can't disassociate the last Amazon VPC from a private hosted zone",
//! DisassociateVPCFromHostedZone); it is not read back: the zone association kind
//! observes every VPC's associations, this one included.

use std::sync::Arc;

use airgap_catalog::spec::{AliasRecordSpec, HostedZoneSpec, Id, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Diff, Kind, KindError, Observed, Readiness, Resolved, Scope,
    Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget, Change as RrChange, ChangeAction, ChangeBatch, HostedZone as Zone,
    HostedZoneConfig, ResourceRecordSet, RrType, Tag, TagResourceType, Vpc, VpcRegion,
};

use super::{bare_zone_id, dns_name, Route53};
use crate::ec2::kind_meta;
use crate::errors::{classify, code_of};
use crate::kit::{all_pages, changes, delete_call, usable_until_deleted};
use crate::tags;

pub struct HostedZone(pub Arc<Route53>);

fn caller_prefix(env: &str, id: &str) -> String {
    format!("airgap/{env}/{id}/")
}

/// The node id a zone's caller reference names, if it is one of `env`'s.
pub(super) fn owner_id(zone: &Zone, env: &str) -> Option<String> {
    let private = zone.config().is_some_and(|c| c.private_zone());
    let rest = zone.caller_reference().strip_prefix(&format!("airgap/{env}/"))?;
    let (id, _token) = rest.rsplit_once('/')?;
    private.then(|| id.to_string())
}

fn out(zone_id: &str, name: &str) -> Attrs {
    Attrs::from([("id".to_string(), Value::str(zone_id)), ("name".to_string(), Value::str(name))])
}

pub(crate) fn vpc(id: &str, region: &str) -> Vpc {
    Vpc::builder().vpc_id(id).vpc_region(VpcRegion::from(region)).build()
}

/// The zone's record sets (one page: a zone of ours holds its SOA, its NS and a few
/// aliases, well under ListResourceRecordSets' 300 a page).
pub(super) async fn record_sets(
    c: &aws_sdk_route53::Client,
    zone: &str,
) -> Result<Vec<ResourceRecordSet>, KindError> {
    let out = c.list_resource_record_sets().hosted_zone_id(zone).send().await.map_err(classify)?;
    Ok(out.resource_record_sets().to_vec())
}

/// The alias A records among `sets`, in the spec's form, by name.
pub(super) fn aliases(sets: &[ResourceRecordSet]) -> Vec<AliasRecordSpec> {
    let mut out: Vec<AliasRecordSpec> = sets
        .iter()
        .filter(|r| r.r#type() == &RrType::A)
        .filter_map(|r| {
            let a = r.alias_target()?;
            Some(AliasRecordSpec {
                name: dns_name(r.name()),
                target: Id::from(dns_name(a.dns_name())),
                target_zone: Id::from(a.hosted_zone_id()),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Desired records in observe's form: names as Route 53 writes them back, sorted.
fn normalized(spec: &mut HostedZoneSpec) {
    for r in &mut spec.records {
        r.name = dns_name(&r.name);
        if let Id::Known(t) = &r.target {
            r.target = Id::from(dns_name(t));
        }
    }
    spec.records.sort_by(|a, b| a.name.cmp(&b.name));
}

fn alias_set(r: &AliasRecordSpec) -> Result<ResourceRecordSet, KindError> {
    let target = AliasTarget::builder()
        .dns_name(r.target.get()?)
        .hosted_zone_id(r.target_zone.get()?)
        .evaluate_target_health(false)
        .build()
        .map_err(|e| KindError::fatal("BadRecord", e.to_string()))?;
    ResourceRecordSet::builder()
        .name(&r.name)
        .r#type(RrType::A)
        .alias_target(target)
        .build()
        .map_err(|e| KindError::fatal("BadRecord", e.to_string()))
}

/// UPSERTs `records` and DELETEs `stale` in one batch (applied atomically by Route 53).
async fn change_records(
    c: &aws_sdk_route53::Client,
    zone: &str,
    records: &[AliasRecordSpec],
    stale: Vec<ResourceRecordSet>,
) -> Result<(), KindError> {
    let mut changes = Vec::new();
    let build = |action: ChangeAction, set: ResourceRecordSet| {
        RrChange::builder()
            .action(action)
            .resource_record_set(set)
            .build()
            .map_err(|e| KindError::fatal("BadRecord", e.to_string()))
    };
    for r in records {
        changes.push(build(ChangeAction::Upsert, alias_set(r)?)?);
    }
    for set in stale {
        changes.push(build(ChangeAction::Delete, set)?);
    }
    if changes.is_empty() {
        return Ok(());
    }
    let batch = ChangeBatch::builder()
        .set_changes(Some(changes))
        .build()
        .map_err(|e| KindError::fatal("BadRecord", e.to_string()))?;
    c.change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}

/// The record sets of `sets` that a delete of the zone must remove first: all but the
/// SOA and NS Route 53 made ("You can delete a hosted zone only if it contains only the
/// default SOA and NS records", DeleteHostedZone).
fn removable(sets: Vec<ResourceRecordSet>) -> Vec<ResourceRecordSet> {
    sets.into_iter().filter(|r| !matches!(r.r#type(), RrType::Soa | RrType::Ns)).collect()
}

/// The zone of this node an earlier attempt made, by its name and caller reference.
async fn find(
    c: &aws_sdk_route53::Client,
    env: &str,
    id: &str,
    name: &str,
) -> Result<Option<String>, KindError> {
    let out = c.list_hosted_zones_by_name().dns_name(name).send().await.map_err(classify)?;
    Ok(out
        .hosted_zones()
        .iter()
        .filter(|z| dns_name(z.name()) == dns_name(name))
        .find(|z| owner_id(z, env).as_deref() == Some(id))
        .map(|z| bare_zone_id(z.id()).to_string()))
}

async fn tag(
    c: &aws_sdk_route53::Client,
    zone: &str,
    env: &str,
    id: &str,
) -> Result<(), KindError> {
    let mut req =
        c.change_tags_for_resource().resource_type(TagResourceType::Hostedzone).resource_id(zone);
    for (k, v) in tags::standard(env, id) {
        req = req.add_tags(Tag::builder().key(k).value(v).build());
    }
    req.send().await.map_err(classify)?;
    Ok(())
}

#[async_trait]
impl Kind for HostedZone {
    kind_meta!(ROUTE53_ZONE);

    /// The VPC and region are inputs of the create only (see the module's comment).
    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        let mut d = match HostedZoneSpec::from_attrs(desired) {
            Ok(mut spec) => {
                normalized(&mut spec);
                spec.to_attrs()
            }
            Err(_) => desired.clone(),
        };
        let mut o = observed.attrs.clone();
        for k in ["vpc", "region"] {
            d.remove(k);
            o.remove(k);
        }
        self.facts().diff(&d, &o)
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let zones: Vec<Zone> = all_pages!(c.list_hosted_zones())?;
        let mut found = Vec::new();
        for z in zones {
            let Some(id) = owner_id(&z, env) else { continue };
            let zone_id = bare_zone_id(z.id()).to_string();
            let sets = match record_sets(c, &zone_id).await {
                Ok(s) => s,
                // Deleted between the calls.
                Err(e) if e.class == airgap_engine::ErrorClass::NotFound => continue,
                Err(e) => return Err(e),
            };
            let name = dns_name(z.name());
            let spec = HostedZoneSpec {
                name: name.clone(),
                vpc: Id::from(""),
                region: scope.region.clone(),
                records: aliases(&sets),
            };
            found.push(Observed {
                id: id.as_str().into(),
                physical_id: zone_id.clone(),
                attrs: spec.to_attrs(),
                outputs: out(&zone_id, &name),
                parents: vec![],
            });
        }
        Ok(found)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = HostedZoneSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let (env, id): (&str, &str) = (&node.env, &node.id.0);
        // A retry finds the zone an earlier attempt made, whose answer was lost.
        let zone = match find(c, env, id, &spec.name).await? {
            Some(z) => z,
            None => {
                let caller = format!("{}{}", caller_prefix(env, id), node.client_token());
                let made = c
                    .create_hosted_zone()
                    .name(&spec.name)
                    .caller_reference(caller)
                    .vpc(vpc(spec.vpc.get()?, &spec.region))
                    .hosted_zone_config(
                        HostedZoneConfig::builder()
                            .private_zone(true)
                            .comment(format!("airgapctl {env}: {id}"))
                            .build(),
                    )
                    .send()
                    .await;
                match made {
                    Ok(o) => o.hosted_zone().map(|z| bare_zone_id(z.id()).to_string()).ok_or_else(
                        || KindError::fatal("NoId", "CreateHostedZone returned no zone"),
                    )?,
                    // HostedZoneAlreadyExists: this request's reference was used (the
                    // SDK resent a call whose answer was lost). ConflictingDomainExists:
                    // a zone of this name is already on the VPC ("A conflicting domain is
                    // already associated with the given VPC or Delegation Set.", AWS's
                    // answer recorded in ansible/ansible-modules-extras#915): ours from
                    // a lost answer, or someone else's.
                    Err(e)
                        if matches!(
                            code_of(&e),
                            Some("HostedZoneAlreadyExists" | "ConflictingDomainExists")
                        ) =>
                    {
                        find(c, env, id, &spec.name).await?.ok_or_else(|| {
                            KindError::fatal(
                                "ConflictingDomainExists",
                                format!(
                                    "a private hosted zone {} that is not this environment's is already associated with VPC {}: delete it, or keep the service's endpoints per VPC",
                                    spec.name,
                                    spec.vpc.get().unwrap_or_default()
                                ),
                            )
                        })?
                    }
                    Err(e) => return Err(classify(e)),
                }
            }
        };
        tag(c, &zone, env, id).await?;
        change_records(c, &zone, &spec.records, Vec::new()).await?;
        Ok(Created { physical_id: zone.clone(), outputs: out(&zone, &spec.name) })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let spec = HostedZoneSpec::from_attrs(&change.node.attrs)?;
        let c = self.0.client(&change.node.scope)?;
        let zone = &change.current.physical_id;
        if changes(change.diff, &["records"]) {
            let wanted: Vec<String> = spec.records.iter().map(|r| dns_name(&r.name)).collect();
            let stale = record_sets(c, zone)
                .await?
                .into_iter()
                .filter(|r| r.r#type() == &RrType::A && !wanted.contains(&dns_name(r.name())))
                .collect();
            change_records(c, zone, &spec.records, stale).await?;
        }
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let zone = &current.physical_id;
        match record_sets(c, zone).await {
            Ok(sets) => change_records(c, zone, &[], removable(sets)).await?,
            Err(e) if e.class == airgap_engine::ErrorClass::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        delete_call(c.delete_hosted_zone().id(zone).send()).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let describe = c.get_hosted_zone().id(check.physical_id).send();
        usable_until_deleted(&check, describe, |_| true, "deleting").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(caller: &str, private: bool) -> Zone {
        Zone::builder()
            .id("/hostedzone/Z1")
            .name("sts.eu-central-1.amazonaws.com.")
            .caller_reference(caller)
            .config(HostedZoneConfig::builder().private_zone(private).build())
            .build()
            .unwrap()
    }

    #[test]
    fn the_caller_reference_names_the_environment_and_node() {
        let z = zone("airgap/demo/dns/sts/airgap-0123456789abcdef", true);
        assert_eq!(owner_id(&z, "demo").as_deref(), Some("dns/sts"));
        assert_eq!(owner_id(&z, "other"), None);
        assert_eq!(owner_id(&zone("airgap/demo/dns/sts/x", false), "demo"), None);
        assert_eq!(owner_id(&zone("terraform-123", true), "demo"), None);
    }

    #[test]
    fn route53s_spelling_of_names_is_not_drift() {
        assert_eq!(
            dns_name("\\052.dkr.ecr.eu-central-1.amazonaws.com."),
            "*.dkr.ecr.eu-central-1.amazonaws.com"
        );
        assert_eq!(
            dns_name("VPCE-1.sts.eu-central-1.vpce.amazonaws.com."),
            "vpce-1.sts.eu-central-1.vpce.amazonaws.com"
        );
    }
}
