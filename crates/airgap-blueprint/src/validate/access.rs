//! The `access` section: the VPN's VPC, client range and destinations; the DNS
//! endpoint's VPC; the privateLink services' names, load balancers and principals.

use super::V;
use crate::diag::Code;
use crate::model::*;

impl V<'_> {
    pub(super) fn access(&mut self, bp: &Blueprint) {
        if let Some(dns) = &bp.access.dns {
            self.defined_vpc(
                bp,
                &dns.vpc,
                "the DNS endpoint lives in a spoke VPC listed under `vpcs`",
            );
        }
        self.private_link(bp);
        let Some(vpn) = &bp.access.vpn else { return };
        self.defined_vpc(
            bp,
            &vpn.vpc,
            "the VPN is associated with a spoke VPC listed under `vpcs`",
        );
        for c in &vpn.clusters {
            if self.ok(c) && !bp.clusters.iter().any(|k| k.name.value == c.value) {
                let p = self.sink.report(
                    Code::InvalidValue,
                    c.span,
                    format!("cluster `{}` is not defined", c.value),
                    "undefined cluster",
                );
                p.suggest(
                    &c.value,
                    bp.clusters.iter().map(|k| k.name.value.as_str()),
                    "name a cluster listed under `clusters`",
                );
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

    /// `access.privateLink`: names that fit the AWS names made of them, one load balancer
    /// each (made in a VPC, or named), and principals that are IAM ARNs.
    fn private_link(&mut self, bp: &Blueprint) {
        let mut seen: Vec<&Spanned<String>> = Vec::new();
        for p in &bp.access.private_link {
            let name = &p.name;
            if self.ok(name) {
                // Names the load balancer and target group `<env>-<name>` (32 at most).
                let good = name.value.len() <= 20
                    && !name.value.starts_with('-')
                    && !name.value.ends_with('-')
                    && name
                        .value
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if !good {
                    self.sink
                        .report(
                            Code::InvalidValue,
                            name.span,
                            format!("`{}` is not a privateLink name", name.value),
                            "bad name",
                        )
                        .help("use up to 20 lower-case letters, digits and hyphens, e.g. partners-api");
                }
                if let Some(first) = seen.iter().find(|s| s.value == name.value) {
                    self.sink
                        .report(
                            Code::DuplicateName,
                            name.span,
                            format!("privateLink `{}` is declared twice", name.value),
                            "duplicate",
                        )
                        .also(first.span, "first declared here")
                        .help("give each privateLink service a name of its own");
                }
                seen.push(name);
            }
            match (&p.vpc, &p.load_balancer_arn) {
                (Some(v), None) => self.defined_vpc(
                    bp,
                    v,
                    "the load balancer is made in a VPC listed under `vpcs`",
                ),
                (None, Some(arn)) => self.load_balancer_arn(bp, arn),
                (Some(v), Some(_)) => {
                    self.sink
                        .report(
                            Code::InvalidValue,
                            v.span,
                            "`vpc` and `loadBalancerArn` both given",
                            "one or the other",
                        )
                        .help("name the VPC airgapctl makes the load balancer in, or an existing load balancer, not both");
                }
                (None, None) => {
                    self.sink
                        .report(
                            Code::Missing,
                            name.span,
                            format!("privateLink `{}` has no load balancer", name.value),
                            "no `vpc` or `loadBalancerArn`",
                        )
                        .help("add `vpc: <a VPC of vpcs>` (airgapctl makes an internal NLB there) or `loadBalancerArn: <an NLB's ARN>`");
                }
            }
            if p.allowed_principals.is_empty() {
                self.sink
                    .report(
                        Code::Missing,
                        name.span,
                        format!("privateLink `{}` allows no principal", name.value),
                        "no `allowedPrincipals`",
                    )
                    .help("list the third parties' accounts, e.g. allowedPrincipals: [arn:aws:iam::444455556666:root]");
            }
            for a in &p.allowed_principals {
                if self.ok(a) && !principal_arn(&a.value) {
                    self.sink
                        .report(
                            Code::InvalidValue,
                            a.span,
                            format!("`{}` is not an IAM principal ARN", a.value),
                            "not a principal",
                        )
                        .help("name an account (arn:aws:iam::444455556666:root), a role or a user; `*` would let any AWS account ask");
                }
            }
        }
    }

    /// An NLB's ARN in the blueprint's region and one of its accounts (the endpoint
    /// service is made beside it, with that account's credentials).
    fn load_balancer_arn(&mut self, bp: &Blueprint, arn: &Spanned<String>) {
        if !self.ok(arn) {
            return;
        }
        let parts: Vec<&str> = arn.value.splitn(6, ':').collect();
        let net = parts.len() == 6
            && parts[0] == "arn"
            && parts[2] == "elasticloadbalancing"
            && parts[5].starts_with("loadbalancer/net/");
        if !net {
            self.sink
                .report(
                    Code::InvalidValue,
                    arn.span,
                    format!("`{}` is not a Network Load Balancer's ARN", arn.value),
                    "not an NLB ARN",
                )
                .help("an endpoint service stands in front of a Network Load Balancer: arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/net/<name>/<id>");
            return;
        }
        if parts[3] != bp.metadata.region.value {
            self.sink
                .report(
                    Code::InvalidValue,
                    arn.span,
                    format!("the load balancer is in {}, the environment in {}", parts[3], bp.metadata.region.value),
                    "another region",
                )
                .help("an endpoint service is regional: name a load balancer of the environment's region");
        }
        if !bp.accounts.iter().any(|a| a.id.value == parts[4]) {
            self.sink
                .report(
                    Code::UndefinedAccount,
                    arn.span,
                    format!("account {} is not among `accounts`", parts[4]),
                    "unknown account",
                )
                .help("declare the load balancer's account under `accounts`: the endpoint service is made there");
        }
    }
}

/// `arn:<partition>:iam::<12 digits>:root`, `:role/...` or `:user/...`.
fn principal_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && (parts[5] == "root" || parts[5].starts_with("role/") || parts[5].starts_with("user/"))
}
