//! Central interface endpoints (`endpoints.mode: central`): the host VPC's endpoints
//! themselves come from `spoke` (private DNS off, the merged policy); here are what makes
//! them reachable from the other VPCs: HTTPS from their CIDRs into the host's endpoint
//! security group, a private hosted zone per service in the host's account answering the
//! service's name with the endpoint, and each using VPC's association with it.

use airgap_catalog::spec::{
    node, AliasRecordSpec, HostedZoneSpec, Id, SecurityGroupRuleSpec, ZoneAssociationSpec,
};
use airgap_engine::{GraphBuilder, Scope};

use crate::central::{users, zone};
use crate::model::Blueprint;

pub(super) fn central(b: &mut GraphBuilder, bp: &Blueprint, scope_of: &dyn Fn(&str) -> Scope) {
    let Some((host, services)) = bp.central() else { return };
    let region = &bp.metadata.region.value;
    let hv = format!("vpc/{}", host.name.value);
    let host_scope = scope_of(&host.account.value);
    let host_account = host_scope.account.clone();
    let mut reached = Vec::new();
    for svc in &services {
        let Some((zone_name, names)) = zone(svc, region) else { continue };
        let ep = format!("{hv}/endpoint/{svc}");
        let z = format!("dns/{svc}");
        b.add(node(
            z.as_str(),
            host_scope.clone(),
            &HostedZoneSpec {
                name: zone_name,
                vpc: Id::of(hv.as_str(), "id"),
                region: region.clone(),
                records: names
                    .into_iter()
                    .map(|name| AliasRecordSpec {
                        name,
                        target: Id::of(ep.as_str(), "dnsName"),
                        target_zone: Id::of(ep.as_str(), "dnsZone"),
                    })
                    .collect(),
            },
        ));
        // Every VPC that resolves the name through the zone, the host's too: it is
        // associated at the zone's creation, and its node finds it so (and lets the
        // association go with the zone).
        let mut resolvers = users(bp, svc);
        if !resolvers.iter().any(|v| v.name.value == host.name.value) {
            resolvers.push(host);
        }
        for v in resolvers {
            let vid = format!("vpc/{}", v.name.value);
            b.add(node(
                format!("{z}/{}", v.name.value),
                scope_of(&v.account.value),
                &ZoneAssociationSpec {
                    zone: Id::of(z.as_str(), "id"),
                    zone_account: host_account.clone(),
                    vpc: Id::of(vid.as_str(), "id"),
                    region: region.clone(),
                },
            ));
            if v.name.value != host.name.value && !reached.contains(&v.name.value) {
                reached.push(v.name.value.clone());
            }
        }
    }
    // HTTPS into the host's endpoints from every VPC that uses one of them; their own
    // CIDR is allowed by the group's first rule.
    let sg = format!("{hv}/sg/endpoints");
    for name in reached {
        let Some(v) = bp.vpc(&name) else { continue };
        b.add(node(
            format!("{sg}/https/{name}"),
            host_scope.clone(),
            &SecurityGroupRuleSpec {
                group: Id::of(sg.as_str(), "id"),
                protocol: "tcp".into(),
                port: 443,
                cidr: v.cidr.value.to_string(),
            },
        ));
    }
}
