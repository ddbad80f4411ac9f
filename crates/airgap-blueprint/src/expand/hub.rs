//! The network account: the transit gateway, its route tables and the RAM share to
//! the spoke accounts, and the routes of the inspection VPC.

use airgap_catalog::spec::{node, Id, RamAssociationSpec, RamInvitationAccepterSpec, RamShareSpec};
use airgap_engine::{GraphBuilder, Node, Scope};

use super::{az_suffix, list, r};
use crate::model::Blueprint;

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
    // Transit gateway, its route tables, and the RAM share to the spoke accounts.
    b.add(
        Node::new("tgw", "transit-gateway", net.clone())
            .attr("asn", i64::from(hub.transit_gateway.asn.value))
            .attr(
                "autoAcceptSharedAttachments",
                hub.transit_gateway.auto_accept_shared_attachments.value,
            )
            .attr("defaultRouteTableAssociation", false)
            .attr("defaultRouteTablePropagation", false),
    );
    for rt in ["spoke", "inspection"] {
        b.add(
            Node::new(
                format!("tgw/rt/{rt}").as_str(),
                "tgw-route-table",
                net.clone(),
            )
            .attr("tgw", r("tgw", "id")),
        );
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
                resources: vec![Id::of("tgw", "arn")],
                allow_external_principals: !hub.ram.organization.value,
            },
        ));
        for (name, scope) in &spoke_accounts {
            // The principal's side finds its node by this name on the share.
            let accepter = (!hub.ram.organization.value).then(|| format!("ram/accept/{name}"));
            b.add(node(
                format!("ram/principal/{name}").as_str(),
                net.clone(),
                &RamAssociationSpec {
                    share: Id::of("ram/share", "arn"),
                    principal: scope.account.clone(),
                    accepter: accepter.clone(),
                },
            ));
            if let Some(accepter) = accepter {
                b.add(
                    node(
                        accepter.as_str(),
                        scope.clone(),
                        &RamInvitationAccepterSpec {
                            share: Id::of("ram/share", "arn"),
                        },
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
    b.add(
        Node::new("tgw/attachment/inspection", "tgw-attachment", net.clone())
            .attr("tgw", r("tgw", "id"))
            .attr("vpc", r(v, "id"))
            .attr("applianceMode", true)
            .attr(
                "subnets",
                list(
                    azs.iter()
                        .map(|az| r(&format!("{v}/subnet/transit/{}", az_suffix(az)), "id")),
                ),
            ),
    );
    b.add(
        Node::new(
            "tgw/attachment/inspection/assoc",
            "tgw-association",
            net.clone(),
        )
        .attr("attachment", r("tgw/attachment/inspection", "id"))
        .attr("routeTable", r("tgw/rt/inspection", "id")),
    );
    b.add(
        Node::new("tgw/rt/spoke/default", "tgw-route", net.clone())
            .attr("cidr", "0.0.0.0/0")
            .attr("routeTable", r("tgw/rt/spoke", "id"))
            .attr("attachment", r("tgw/attachment/inspection", "id")),
    );
    for az in azs {
        let az = az_suffix(az);
        let rt = |tier: &str| format!("{v}/rt/{tier}/{az}");
        let nat = r(&format!("{v}/nat/{az}"), "id");
        // With a firewall, traffic passes its endpoint in the same AZ both ways.
        let (out_of_transit, back_in) = if firewall {
            (
                r("firewall", &format!("endpoint/{az}")),
                r("firewall", &format!("endpoint/{az}")),
            )
        } else {
            (nat.clone(), r("tgw", "id"))
        };
        b.add(
            Node::new(
                format!("{}/default", rt("transit")).as_str(),
                "route",
                net.clone(),
            )
            .attr("routeTable", r(&rt("transit"), "id"))
            .attr("cidr", "0.0.0.0/0")
            .attr("target", out_of_transit),
        );
        if firewall {
            b.add(
                Node::new(
                    format!("{}/default", rt("firewall")).as_str(),
                    "route",
                    net.clone(),
                )
                .attr("routeTable", r(&rt("firewall"), "id"))
                .attr("cidr", "0.0.0.0/0")
                .attr("target", nat.clone()),
            );
            // What the firewall passes back towards a spoke (replies that came in
            // through the NAT) goes to the transit gateway, not to the NAT again.
            for vpc in &bp.vpcs {
                b.add(
                    Node::new(
                        format!("{}/return/{}", rt("firewall"), vpc.name.value).as_str(),
                        "route",
                        net.clone(),
                    )
                    .attr("routeTable", r(&rt("firewall"), "id"))
                    .attr("cidr", vpc.cidr.value.to_string())
                    .attr("target", r("tgw", "id"))
                    .after("tgw/attachment/inspection"),
                );
            }
        }
        b.add(
            Node::new(
                format!("{}/default", rt("public")).as_str(),
                "route",
                net.clone(),
            )
            .attr("routeTable", r(&rt("public"), "id"))
            .attr("cidr", "0.0.0.0/0")
            .attr("target", r("vpc/inspection/igw", "id")),
        );
        for vpc in &bp.vpcs {
            b.add(
                Node::new(
                    format!("{}/return/{}", rt("public"), vpc.name.value).as_str(),
                    "route",
                    net.clone(),
                )
                .attr("routeTable", r(&rt("public"), "id"))
                .attr("cidr", vpc.cidr.value.to_string())
                .attr("target", back_in.clone())
                // A VPC route to the transit gateway needs the VPC attached to it.
                .after("tgw/attachment/inspection"),
            );
        }
    }
}
