//! One spoke VPC: its subnets and route tables (all egress through the transit
//! gateway), its transit gateway attachment (accepted in the network account when
//! cross-account), and its interface and gateway endpoints.

use airgap_engine::{GraphBuilder, Node, Scope, Value};

use super::{add_subnet, add_vpc, az_suffix, list, r, tier_name};
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
    let mut private_rts = Vec::new();
    for sub in carve_vpc(vpc, azs)? {
        let (tier, az) = (tier_name(sub.tier), az_suffix(&sub.az));
        let rt = add_subnet(b, &v, s, tier, az, &sub.cidr.to_string(), &sub.az);
        if sub.tier != SubnetTier::Transit {
            // All egress: TGW -> inspection -> firewall -> NAT.
            let mut route = Node::new(format!("{rt}/default").as_str(), "route", s.clone())
                .attr("routeTable", r(&rt, "id"))
                .attr("cidr", "0.0.0.0/0")
                .attr("target", r("tgw", "id"));
            route = route.after(
                if cross_account {
                    format!("{att}/accept")
                } else {
                    att.clone()
                }
                .as_str(),
            );
            b.add(route);
            private_rts.push(r(&rt, "id"));
        }
    }
    let mut attachment = Node::new(att.as_str(), "tgw-attachment", s.clone())
        .attr("tgw", r("tgw", "id"))
        .attr("vpc", r(&v, "id"))
        .attr(
            "subnets",
            list(
                azs.iter()
                    .map(|az| r(&format!("{v}/subnet/transit/{}", az_suffix(az)), "id")),
            ),
        );
    if cross_account && !bp.hub.ram.organization.value {
        attachment = attachment.after(format!("ram/accept/{}", vpc.account.value).as_str());
    } else if cross_account {
        attachment = attachment.after(format!("ram/principal/{}", vpc.account.value).as_str());
    }
    b.add(attachment);
    let ready = if cross_account {
        b.add(
            Node::new(
                format!("{att}/accept").as_str(),
                "tgw-attachment-accepter",
                net.clone(),
            )
            .attr("attachment", r(&att, "id"))
            .attr("tgw", r("tgw", "id")),
        );
        format!("{att}/accept")
    } else {
        att.clone()
    };
    b.add(
        Node::new(
            format!("{att}/assoc").as_str(),
            "tgw-association",
            net.clone(),
        )
        .attr("attachment", r(&att, "id"))
        .attr("routeTable", r("tgw/rt/spoke", "id"))
        .after(ready.as_str()),
    );
    b.add(
        Node::new(
            format!("{att}/propagation").as_str(),
            "tgw-propagation",
            net.clone(),
        )
        .attr("attachment", r(&att, "id"))
        .attr("routeTable", r("tgw/rt/inspection", "id"))
        .after(ready.as_str()),
    );

    let sg = format!("{v}/sg/endpoints");
    if !vpc.endpoints.interface.is_empty() {
        b.add(
            Node::new(sg.as_str(), "security-group", s.clone())
                .attr("vpc", r(&v, "id"))
                .attr(
                    "description",
                    "HTTPS from the VPC to its interface endpoints",
                ),
        );
        b.add(
            Node::new(
                format!("{sg}/https").as_str(),
                "security-group-rule",
                s.clone(),
            )
            .attr("group", r(&sg, "id"))
            .attr("protocol", "tcp")
            .attr("port", 443i64)
            .attr("cidr", vpc.cidr.value.to_string()),
        );
    }
    let policy = |svc: &str| {
        vpc.endpoints
            .policies
            .iter()
            .find(|(k, _)| k.value == svc)
            .map(|(_, p)| Value::str(p.value.to_string()))
    };
    for svc in &vpc.endpoints.interface {
        let mut n = Node::new(
            format!("{v}/endpoint/{}", svc.value).as_str(),
            "vpc-endpoint-interface",
            s.clone(),
        )
        .attr("vpc", r(&v, "id"))
        .attr(
            "service",
            format!("com.amazonaws.{}.{}", bp.metadata.region.value, svc.value),
        )
        .attr(
            "subnets",
            list(
                azs.iter()
                    .map(|az| r(&format!("{v}/subnet/endpoints/{}", az_suffix(az)), "id")),
            ),
        )
        .attr("securityGroups", list([r(&sg, "id")]))
        .attr("privateDns", true);
        if let Some(p) = policy(&svc.value) {
            n = n.attr("policy", p);
        }
        b.add(n);
    }
    for svc in &vpc.endpoints.gateway {
        let mut n = Node::new(
            format!("{v}/endpoint/{}", svc.value).as_str(),
            "vpc-endpoint-gateway",
            s.clone(),
        )
        .attr("vpc", r(&v, "id"))
        .attr(
            "service",
            format!("com.amazonaws.{}.{}", bp.metadata.region.value, svc.value),
        )
        .attr("routeTables", Value::List(private_rts.clone()));
        if let Some(p) = policy(&svc.value) {
            n = n.attr("policy", p);
        }
        b.add(n);
    }
    Ok(())
}
