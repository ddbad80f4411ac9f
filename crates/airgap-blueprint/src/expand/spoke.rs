//! One spoke VPC: its subnets and route tables (all egress through the transit
//! gateway), its transit gateway attachment (accepted in the network account when
//! cross-account), and its interface and gateway endpoints.

use airgap_catalog::spec::{
    node, Id, RouteSpec, SecurityGroupRuleSpec, SecurityGroupSpec, TgwAssociationSpec,
    TgwAttachmentAccepterSpec, TgwAttachmentSpec, TgwPropagationSpec, VpcEndpointGatewaySpec,
    VpcEndpointInterfaceSpec,
};
use airgap_engine::{GraphBuilder, Scope};

use super::hub::tgw_id;
use super::{add_subnet, add_vpc, az_suffix, tier_name};
use crate::carve::{carve_vpc, CarveError};
use crate::model::{Blueprint, SubnetTier};

pub(super) fn spoke(
    b: &mut GraphBuilder,
    bp: &Blueprint,
    vpc: &crate::model::Vpc,
    s: &Scope,
    net: &Scope,
    azs: &[String],
) -> Result<(), CarveError> {
    let name = &vpc.name.value;
    let v = format!("vpc/{name}");
    let cross_account = s.account != net.account;
    let att = format!("tgw/attachment/{name}");
    add_vpc(b, &v, s, &vpc.cidr.value.to_string());
    // Spoke routes to the transit gateway wait for the attachment (accepted, across
    // accounts): a VPC route to a transit gateway needs the VPC attached to it.
    let attached = if cross_account { format!("{att}/accept") } else { att.clone() };
    let mut private_rts = Vec::new();
    for sub in carve_vpc(vpc, azs)? {
        let (tier, az) = (tier_name(sub.tier), az_suffix(&sub.az));
        let rt = add_subnet(b, &v, s, tier, az, &sub.cidr.to_string(), &sub.az);
        if sub.tier != SubnetTier::Transit {
            // All egress: TGW -> inspection -> firewall -> NAT.
            b.add(
                node(
                    format!("{rt}/default"),
                    s.clone(),
                    &RouteSpec {
                        route_table: Id::of(rt.as_str(), "id"),
                        cidr: "0.0.0.0/0".into(),
                        target: tgw_id(bp),
                    },
                )
                .after(attached.as_str()),
            );
            private_rts.push(Id::of(rt.as_str(), "id"));
        }
    }
    let transit = azs
        .iter()
        .map(|az| Id::of(format!("{v}/subnet/transit/{}", az_suffix(az)), "id"))
        .collect();
    let mut attachment = node(
        att.as_str(),
        s.clone(),
        &TgwAttachmentSpec {
            tgw: tgw_id(bp),
            vpc: Id::of(v.as_str(), "id"),
            subnets: transit,
            appliance_mode: None,
        },
    );
    if cross_account && !bp.hub.ram.organization.value {
        attachment = attachment.after(format!("ram/accept/{}", vpc.account.value).as_str());
    } else if cross_account {
        attachment = attachment.after(format!("ram/principal/{}", vpc.account.value).as_str());
    }
    b.add(attachment);
    if cross_account {
        b.add(node(
            attached.as_str(),
            net.clone(),
            &TgwAttachmentAccepterSpec { attachment: Id::of(att.as_str(), "id"), tgw: tgw_id(bp) },
        ));
    }
    b.add(
        node(
            format!("{att}/assoc"),
            net.clone(),
            &TgwAssociationSpec {
                attachment: Id::of(att.as_str(), "id"),
                route_table: Id::of("tgw/rt/spoke", "id"),
            },
        )
        .after(attached.as_str()),
    );
    b.add(
        node(
            format!("{att}/propagation"),
            net.clone(),
            &TgwPropagationSpec {
                attachment: Id::of(att.as_str(), "id"),
                route_table: Id::of("tgw/rt/inspection", "id"),
            },
        )
        .after(attached.as_str()),
    );

    let policy = |svc: &str| crate::endpoint_policy::effective(bp, vpc, svc).map(|p| p.to_string());
    // The interface endpoints in this VPC: its own, less the central ones, which the
    // host VPC holds (private DNS off: the environment's private hosted zones answer
    // their names) with the policy of every VPC that uses them.
    let central = bp.central();
    let is_central = |svc: &str| central.as_ref().is_some_and(|(_, c)| c.iter().any(|s| s == svc));
    let mut here: Vec<(String, bool, Option<String>)> = vpc
        .endpoints
        .interface
        .iter()
        .filter(|s| !is_central(&s.value))
        .map(|s| (s.value.clone(), true, policy(&s.value)))
        .collect();
    if let Some((host, services)) = &central {
        if host.name.value == *name {
            for svc in services {
                here.push((svc.clone(), false, crate::central::policy(bp, svc)));
            }
        }
    }
    let sg = format!("{v}/sg/endpoints");
    if !here.is_empty() {
        b.add(node(
            sg.as_str(),
            s.clone(),
            &SecurityGroupSpec {
                vpc: Id::of(v.as_str(), "id"),
                description: "HTTPS from the VPC to its interface endpoints".into(),
            },
        ));
        b.add(node(
            format!("{sg}/https"),
            s.clone(),
            &SecurityGroupRuleSpec {
                group: Id::of(sg.as_str(), "id"),
                protocol: "tcp".into(),
                port: 443,
                cidr: vpc.cidr.value.to_string(),
            },
        ));
    }
    let service = |svc: &str| format!("com.amazonaws.{}.{svc}", bp.metadata.region.value);
    let endpoint = |svc: &str| format!("{v}/endpoint/{svc}");
    for (svc, private_dns, policy) in here {
        b.add(node(
            endpoint(&svc),
            s.clone(),
            &VpcEndpointInterfaceSpec {
                vpc: Id::of(v.as_str(), "id"),
                service: service(&svc),
                subnets: azs
                    .iter()
                    .map(|az| Id::of(format!("{v}/subnet/endpoints/{}", az_suffix(az)), "id"))
                    .collect(),
                security_groups: vec![Id::of(sg.as_str(), "id")],
                private_dns,
                policy,
            },
        ));
    }
    for svc in &vpc.endpoints.gateway {
        b.add(node(
            endpoint(&svc.value),
            s.clone(),
            &VpcEndpointGatewaySpec {
                vpc: Id::of(v.as_str(), "id"),
                service: service(&svc.value),
                route_tables: private_rts.clone(),
                policy: policy(&svc.value),
            },
        ));
    }
    Ok(())
}
