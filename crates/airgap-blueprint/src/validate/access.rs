//! The `access` section: the VPN's VPC, client range and destinations; the DNS
//! endpoint's VPC.

use super::V;
use crate::diag::Code;
use crate::model::*;
use crate::regions::did_you_mean;

impl V<'_> {
    pub(super) fn access(&mut self, bp: &Blueprint) {
        if let Some(dns) = &bp.access.dns {
            self.access_vpc(
                bp,
                &dns.vpc,
                "the DNS endpoint lives in a spoke VPC listed under `vpcs`",
            );
        }
        let Some(vpn) = &bp.access.vpn else { return };
        self.access_vpc(bp, &vpn.vpc, "the VPN is associated with a spoke VPC listed under `vpcs`");
        for c in &vpn.clusters {
            if self.ok(c) && !bp.clusters.iter().any(|k| k.name.value == c.value) {
                let p = self.sink.report(
                    Code::InvalidValue,
                    c.span,
                    format!("cluster `{}` is not defined", c.value),
                    "undefined cluster",
                );
                match did_you_mean(&c.value, bp.clusters.iter().map(|k| k.name.value.as_str())) {
                    Some(m) => p.help(format!("did you mean `{m}`?")),
                    None => p.help("name a cluster listed under `clusters`"),
                };
            }
        }
        let cidr = &vpn.client_cidr;
        if !self.ok(cidr) {
            return;
        }
        // CreateClientVpnEndpoint: "The CIDR range must have a size of at least /22 and
        // must not be greater than /12", and it must not overlap the associated VPC's or
        // any routed destination's (Client VPN Administrator Guide, "Limitations and
        // rules of Client VPN").
        if !(12..=22).contains(&cidr.value.prefix()) {
            self.sink
                .report(
                    Code::InvalidValue,
                    cidr.span,
                    format!("the client range {} is a /{}", cidr.value, cidr.value.prefix()),
                    "not /12 to /22",
                )
                .help("AWS Client VPN takes client ranges from /12 to /22, e.g. 10.250.0.0/22");
        }
        let mut nets: Vec<(String, &Spanned<crate::carve::Ipv4Net>)> =
            vec![("the inspection VPC".into(), &bp.hub.inspection_vpc.cidr)];
        nets.extend(bp.vpcs.iter().map(|v| (format!("VPC `{}`", v.name.value), &v.cidr)));
        nets.extend(vpn.cidrs.iter().map(|c| (format!("destination {}", c.value), c)));
        for (what, net) in nets {
            if self.ok(net) && net.value.overlaps(&cidr.value) {
                self.sink
                    .report(
                        Code::CidrOverlap,
                        cidr.span,
                        format!("the client range {} overlaps {what} ({})", cidr.value, net.value),
                        "overlapping client range",
                    )
                    .also(net.span, "overlapped here")
                    .help(
                        "pick a client range that no VPC or destination uses, e.g. 10.250.0.0/22",
                    );
            }
        }
    }

    /// `vpc` names a VPC of `vpcs`.
    fn access_vpc(&mut self, bp: &Blueprint, vpc: &Spanned<String>, otherwise: &str) {
        if self.ok(vpc) && bp.vpc(&vpc.value).is_none() {
            let p = self.sink.report(
                Code::UndefinedVpc,
                vpc.span,
                format!("VPC `{}` is not defined", vpc.value),
                "undefined VPC",
            );
            match did_you_mean(&vpc.value, bp.vpcs.iter().map(|v| v.name.value.as_str())) {
                Some(m) => p.help(format!("did you mean `{m}`?")),
                None => p.help(otherwise.to_string()),
            };
        }
    }
}
