//! The network account: the transit gateway, its route tables and the RAM share to
//! the spoke accounts, and the routes of the inspection VPC.

use airgap_catalog::spec::{
    node, Id, RamAssociationSpec, RamInvitationAccepterSpec, RamShareSpec, RouteSpec,
    TgwAssociationSpec, TgwAttachmentSpec, TgwRouteSpec, TgwRouteTableSpec, TransitGatewaySpec,
};
use airgap_engine::{GraphBuilder, Scope};

use super::az_suffix;
use crate::model::Blueprint;

/// The transit gateway's id: the `tgw` node's, or the existing gateway's the blueprint
/// names (a known value: no node, no edge, nothing that could delete it).
pub(super) fn tgw_id(bp: &Blueprint) -> Id {
    match &bp.hub.transit_gateway.existing {
        Some(id) => Id::Known(id.value.clone()),
        None => Id::of("tgw", "id"),
    }
}

/// The transit gateway's ARN, for its RAM share. EC2 ARNs of the hub account's own
/// gateway: `arn:<partition>:ec2:<region>:<account>:transit-gateway/<id>` (Service
/// Authorization Reference, Amazon EC2 resource types).
fn tgw_arn(bp: &Blueprint, net: &Scope) -> Id {
    match &bp.hub.transit_gateway.existing {
        Some(id) => Id::Known(format!(
            "arn:{}:ec2:{}:{}:transit-gateway/{}",
            airgap_catalog::names::partition(&net.region),
            net.region,
            net.account,
            id.value
        )),
        None => Id::of("tgw", "arn"),
    }
}

/// The transit gateway, its two route tables, and its RAM share to every spoke account
/// that is not the network account (with an accepter per account outside an
/// organization).
pub(super) fn transit_gateway(
    b: &mut GraphBuilder,
    bp: &Blueprint,
    env: &str,
    net: &Scope,
    scope_of: &dyn Fn(&str) -> Scope,
) {
    let hub = &bp.hub;
    // Transit gateway (unless the blueprint names an existing one), its route tables,
    // and the RAM share to the spoke accounts.
    if hub.transit_gateway.existing.is_none() {
        b.add(node(
            "tgw",
            net.clone(),
            &TransitGatewaySpec {
                asn: i64::from(hub.transit_gateway.asn.value),
                auto_accept_shared_attachments: hub
                    .transit_gateway
                    .auto_accept_shared_attachments
                    .value,
                default_route_table_association: false,
                default_route_table_propagation: false,
            },
        ));
    }
    for rt in ["spoke", "inspection"] {
        b.add(node(format!("tgw/rt/{rt}"), net.clone(), &TgwRouteTableSpec { tgw: tgw_id(bp) }));
    }
    let spoke_accounts: Vec<(String, Scope)> = {
        let mut v: Vec<(String, Scope)> = bp
            .vpcs
            .iter()
            .map(|vpc| (vpc.account.value.clone(), scope_of(&vpc.account.value)))
            .filter(|(_, s)| s.account != net.account)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    if !spoke_accounts.is_empty() {
        b.add(node(
            "ram/share",
            net.clone(),
            &RamShareSpec {
                name: format!("airgap-{}-tgw", env),
                resources: vec![tgw_arn(bp, net)],
                allow_external_principals: !hub.ram.organization.value,
            },
        ));
        for (name, scope) in &spoke_accounts {
            b.add(node(
                format!("ram/principal/{name}").as_str(),
                net.clone(),
                &RamAssociationSpec {
                    share: Id::of("ram/share", "arn"),
                    principal: scope.account.clone(),
                },
            ));
            // Within the organization (sharing with it enabled) there is no invitation.
            if !hub.ram.organization.value {
                b.add(
                    node(
                        format!("ram/accept/{name}").as_str(),
                        scope.clone(),
                        &RamInvitationAccepterSpec { share: Id::of("ram/share", "arn") },
                    )
                    .after(format!("ram/principal/{name}").as_str()),
                );
            }
        }
    }
}

/// The inspection VPC's attachment to the transit gateway and its routes: out through
/// the firewall (when there is one) and the NAT, back to the spokes through the transit
/// gateway.
pub(super) fn inspection_routes(
    b: &mut GraphBuilder,
    bp: &Blueprint,
    net: &Scope,
    v: &str,
    azs: &[String],
    firewall: bool,
) {
    b.add(node(
        "tgw/attachment/inspection",
        net.clone(),
        &TgwAttachmentSpec {
            tgw: tgw_id(bp),
            vpc: Id::of(v, "id"),
            subnets: azs
                .iter()
                .map(|az| Id::of(format!("{v}/subnet/transit/{}", az_suffix(az)), "id"))
                .collect(),
            appliance_mode: Some(true),
        },
    ));
    b.add(node(
        "tgw/attachment/inspection/assoc",
        net.clone(),
        &TgwAssociationSpec {
            attachment: Id::of("tgw/attachment/inspection", "id"),
            route_table: Id::of("tgw/rt/inspection", "id"),
        },
    ));
    b.add(node(
        "tgw/rt/spoke/default",
        net.clone(),
        &TgwRouteSpec {
            route_table: Id::of("tgw/rt/spoke", "id"),
            cidr: "0.0.0.0/0".into(),
            attachment: Id::of("tgw/attachment/inspection", "id"),
        },
    ));
    for az in azs {
        let az = az_suffix(az);
        let rt = |tier: &str| format!("{v}/rt/{tier}/{az}");
        // A route `{table}/{name}` of the table of `tier`.
        let route = |tier: &str, name: &str, cidr: String, target: Id| {
            node(
                format!("{}/{name}", rt(tier)),
                net.clone(),
                &RouteSpec { route_table: Id::of(rt(tier), "id"), cidr, target },
            )
        };
        let nat = Id::of(format!("{v}/nat/{az}"), "id");
        let default = || "0.0.0.0/0".to_string();
        // With a firewall, traffic passes its endpoint in the same AZ both ways.
        let (out_of_transit, back_in) = if firewall {
            (
                Id::of("firewall", &format!("endpoint/{az}")),
                Id::of("firewall", &format!("endpoint/{az}")),
            )
        } else {
            (nat.clone(), tgw_id(bp))
        };
        // The routes of `tier`'s table back to each spoke, through `target`. A VPC route
        // to the transit gateway needs the VPC attached to it.
        let returns = |tier: &'static str, target: Id| {
            bp.vpcs.iter().map(move |vpc| {
                let (name, cidr) = (format!("return/{}", vpc.name.value), vpc.cidr.value);
                route(tier, &name, cidr.to_string(), target.clone())
                    .after("tgw/attachment/inspection")
            })
        };
        b.add(route("transit", "default", default(), out_of_transit));
        if firewall {
            b.add(route("firewall", "default", default(), nat.clone()));
            // What the firewall passes back towards a spoke (replies that came in
            // through the NAT) goes to the transit gateway, not to the NAT again.
            for n in returns("firewall", tgw_id(bp)) {
                b.add(n);
            }
        }
        b.add(route("public", "default", default(), Id::of("vpc/inspection/igw", "id")));
        for n in returns("public", back_in) {
            b.add(n);
        }
    }
}
