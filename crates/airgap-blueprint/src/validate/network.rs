//! Network rules: VPC CIDR sizes, whether the subnet tiers fit every AZ,
//! overlapping CIDRs, endpoint services and policies, and the hub (transit
//! gateway ASN, firewall domains, log retention).

use super::V;
use crate::carve::{needed_addresses, prefix_for, Ipv4Net};
use crate::diag::Code;
use crate::model::*;
use crate::regions;

impl V<'_> {
    fn check_vpc_cidr(&mut self, cidr: &Spanned<Ipv4Net>) -> bool {
        if !self.ok(cidr) {
            return false;
        }
        if !(PREFIX_MIN..=PREFIX_MAX).contains(&i64::from(cidr.prefix())) {
            self.sink
                .report(
                    Code::Cidr,
                    cidr.span,
                    format!("VPC CIDR {} has prefix /{}", cidr.value, cidr.prefix()),
                    "VPC size out of range",
                )
                .help(format!("AWS VPCs are between /{PREFIX_MIN} and /{PREFIX_MAX}"));
            return false;
        }
        true
    }

    fn fit(
        &mut self,
        what: &str,
        cidr: &Spanned<Ipv4Net>,
        az: usize,
        tiers: &[(&str, &Spanned<u8>)],
    ) {
        let mut all_ok = true;
        for (name, p) in tiers {
            if !self.ok(*p) {
                all_ok = false;
            } else if p.value < cidr.prefix() {
                all_ok = false;
                if self.defaulted(*p) {
                    // Point at the CIDR: the default prefix has no text of its own.
                    self.sink
                        .report(
                            Code::SubnetsDoNotFit,
                            cidr.span,
                            format!(
                                "{name} subnets (/{}, the default) are larger than {what} ({})",
                                p.value, cidr.value
                            ),
                            format!("smaller than a default {name} subnet"),
                        )
                        .help(format!(
                            "set `subnets: {{ {name}: <prefix> }}` with a prefix of /{} or longer, or widen the CIDR",
                            cidr.prefix()
                        ));
                } else {
                    self.sink
                        .report(
                            Code::SubnetsDoNotFit,
                            p.span,
                            format!(
                                "{name} subnets (/{}) are larger than {what} ({})",
                                p.value, cidr.value
                            ),
                            "larger than the VPC",
                        )
                        .also(cidr.span, "VPC CIDR")
                        .help(format!("use a prefix of /{} or longer", cidr.prefix()));
                }
            }
        }
        if !all_ok || az == 0 {
            return;
        }
        let needed = needed_addresses(az, tiers.iter().map(|(_, p)| p.value));
        if needed > cidr.size() {
            let per_az: Vec<String> =
                tiers.iter().map(|(n, p)| format!("{n} /{}", p.value)).collect();
            self.sink
                .report(
                    Code::SubnetsDoNotFit,
                    cidr.span,
                    format!(
                        "subnets of {what} need {needed} addresses, but {} has {}",
                        cidr.value,
                        cidr.size()
                    ),
                    format!("needs at least a /{}", prefix_for(needed)),
                )
                .help(format!(
                    "{az} AZs x ({}) = {needed} addresses: widen the CIDR to /{} or lengthen the subnet prefixes",
                    per_az.join(" + "),
                    prefix_for(needed)
                ));
        }
    }

    pub(super) fn networks(&mut self, bp: &Blueprint, az: usize) {
        let insp = &bp.hub.inspection_vpc;
        let mut nets: Vec<(String, &Spanned<Ipv4Net>)> = Vec::new();
        if self.check_vpc_cidr(&insp.cidr) {
            nets.push(("the inspection VPC".into(), &insp.cidr));
            self.fit(
                "the inspection VPC",
                &insp.cidr,
                az,
                &[
                    ("transit", &insp.subnets.transit),
                    ("firewall", &insp.subnets.firewall),
                    ("public", &insp.subnets.public),
                ],
            );
        }
        for v in &bp.vpcs {
            if !self.check_vpc_cidr(&v.cidr) {
                continue;
            }
            let what = format!("VPC `{}`", v.name.value);
            self.fit(
                &what,
                &v.cidr,
                az,
                &[
                    ("controlPlane", &v.subnets.control_plane),
                    ("dataPlane", &v.subnets.data_plane),
                    ("endpoints", &v.subnets.endpoints),
                    ("transit", &v.subnets.transit),
                ],
            );
            if let Some((other, o)) = nets.iter().find(|(_, o)| o.overlaps(&v.cidr)) {
                self.sink
                    .report(
                        Code::CidrOverlap,
                        v.cidr.span,
                        format!("{what} ({}) overlaps {other} ({})", v.cidr.value, o.value),
                        "overlapping CIDR",
                    )
                    .also(o.span, other.to_string())
                    .help("the transit gateway routes by destination CIDR, so every VPC needs a disjoint range; pick a free block");
            }
            nets.push((what, &v.cidr));
        }
    }

    /// `endpoints` at the top level: central mode names a VPC of `vpcs`, and its services
    /// are interface services some VPC lists that a private hosted zone can serve.
    pub(super) fn endpoint_layout(&mut self, bp: &Blueprint) {
        let Some(layout) = &bp.endpoints else { return };
        if !self.ok(&layout.mode) {
            return;
        }
        let names = || bp.vpcs.iter().map(|v| v.name.value.as_str());
        if layout.mode.value == EndpointMode::PerVpc {
            let stray =
                layout.vpc.iter().map(|v| v.span).chain(layout.services.iter().map(|s| s.span));
            for span in stray.take(1) {
                self.sink
                    .report(
                        Code::InvalidValue,
                        span,
                        "`endpoints.vpc` and `endpoints.services` apply to `mode: central` only",
                        "no effect per VPC",
                    )
                    .also(layout.mode.span, "per-VPC endpoints")
                    .help("set `mode: central` to share one set of interface endpoints, or remove these keys");
            }
            return;
        }
        match &layout.vpc {
            None => {
                self.sink
                    .report(
                        Code::Missing,
                        layout.mode.span,
                        "central endpoints need `endpoints.vpc`, the VPC that holds them",
                        "which VPC?",
                    )
                    .help(format!(
                        "add `vpc: <name>` naming one of: {} (usually the shared account's tooling VPC)",
                        names().collect::<Vec<_>>().join(", ")
                    ));
            }
            Some(v) => {
                self.defined_vpc(bp, v, "central endpoints live in a VPC listed under `vpcs`")
            }
        }
        let mut seen: Vec<&Spanned<String>> = Vec::new();
        for s in &layout.services {
            let twice = format!("central endpoint `{}` is listed twice", s.value);
            if !self.ok(s)
                || !self.first_listing(&mut seen, s, Code::DuplicateName, "service", twice)
            {
                continue;
            }
            if regions::GATEWAY_SERVICES.contains(&s.value.as_str())
                || !regions::centralizable(&s.value)
            {
                let p = self.sink.report(
                    Code::EndpointService,
                    s.span,
                    format!("`{}` cannot be a central endpoint", s.value),
                    "not shareable",
                );
                if regions::GATEWAY_SERVICES.contains(&s.value.as_str()) {
                    p.help("S3 and DynamoDB stay per VPC: their gateway endpoints are free and cannot be reached from another VPC");
                } else {
                    let known = regions::INTERFACE_SERVICES;
                    let otherwise = format!("known interface services: {}", known.join(", "));
                    p.suggest(&s.value, known.iter().copied(), otherwise);
                }
                continue;
            }
            let used =
                bp.vpcs.iter().any(|v| v.endpoints.interface.iter().any(|i| i.value == s.value));
            if !used {
                self.sink
                    .report(
                        Code::EndpointService,
                        s.span,
                        format!("no VPC lists `{}` under `endpoints.interface`", s.value),
                        "used by no VPC",
                    )
                    .help("a VPC's `endpoints.interface` says what it needs; `endpoints.services` says which of those are central. Add it to a VPC or remove it here");
            }
        }
        // The merged policy of each central endpoint must fit AWS's limit for one
        // endpoint policy (20,480 characters, PrivateLink guide, "Control access to VPC
        // endpoints using endpoint policies").
        if let Some((_, services)) = bp.central() {
            for svc in services {
                let Some(doc) = crate::central::policy(bp, &svc) else { continue };
                if doc.len() > crate::central::POLICY_LIMIT {
                    self.sink
                        .report(
                            Code::EndpointPolicy,
                            layout.mode.span,
                            format!(
                                "the central `{svc}` endpoint's policy, made of every VPC's policy for it, is {} characters (AWS allows {})",
                                doc.len(),
                                crate::central::POLICY_LIMIT
                            ),
                            "policy too large",
                        )
                        .help(format!("shorten the VPCs' `{svc}` policies, or keep `{svc}` per VPC by leaving it out of `endpoints.services`"));
                }
            }
        }
    }

    pub(super) fn endpoints(&mut self, bp: &Blueprint) {
        for v in &bp.vpcs {
            let e = &v.endpoints;
            for (list, known, kind) in [
                (&e.gateway, regions::GATEWAY_SERVICES, "gateway"),
                (&e.interface, regions::INTERFACE_SERVICES, "interface"),
            ] {
                let mut seen: Vec<&Spanned<String>> = Vec::new();
                for s in list {
                    let twice = format!("{kind} endpoint `{}` is listed twice", s.value);
                    if !self.first_listing(&mut seen, s, Code::DuplicateName, "endpoint", twice) {
                        continue;
                    }
                    // S3 and DynamoDB are gateway and interface services both, but an
                    // endpoint's node address and its policy are keyed by the service alone.
                    let gateway = e.gateway.iter().find(|g| {
                        g.value == s.value && regions::GATEWAY_SERVICES.contains(&g.value.as_str())
                    });
                    if let Some(g) = gateway.filter(|_| kind == "interface") {
                        self.sink
                            .report(
                                Code::DuplicateName,
                                s.span,
                                format!(
                                    "`{}` is listed as both a gateway and an interface endpoint",
                                    s.value
                                ),
                                "also an interface endpoint",
                            )
                            .also(g.span, "gateway endpoint")
                            .help("a VPC gets one endpoint per service: keep it in `gateway` (free, and enough for traffic from the VPC) or in `interface`");
                        continue;
                    }
                    if !known.contains(&s.value.as_str()) {
                        let p = self.sink.report(
                            Code::EndpointService,
                            s.span,
                            format!("unknown {kind} endpoint service `{}`", s.value),
                            "unknown service",
                        );
                        let other = if kind == "gateway" {
                            regions::INTERFACE_SERVICES
                        } else {
                            regions::GATEWAY_SERVICES
                        };
                        if other.contains(&s.value.as_str()) {
                            p.help(format!(
                                "`{}` is an {} endpoint; move it to `{}`",
                                s.value,
                                if kind == "gateway" { "interface" } else { "gateway" },
                                if kind == "gateway" { "interface" } else { "gateway" }
                            ));
                        } else {
                            let otherwise = format!("known {kind} services: {}", known.join(", "));
                            p.suggest(&s.value, known.iter().copied(), otherwise);
                        }
                    }
                }
            }
            // Every endpoint's policy, declared or made from `registries` (which grows with
            // the repositories), must fit AWS's limit for one endpoint policy.
            for svc in e.interface.iter().chain(&e.gateway) {
                let Some(doc) = crate::endpoint_policy::effective(bp, v, &svc.value) else {
                    continue;
                };
                let len = doc.to_string().len();
                if len <= crate::central::POLICY_LIMIT {
                    continue;
                }
                let declared = e.policies.iter().find(|(k, _)| k.value == svc.value);
                let (span, whose, help) = match declared {
                    Some((k, _)) => (
                        k.span,
                        "declared",
                        "shorten it: a repository or bucket ARN with a wildcard (`.../repository/team/*`) covers many".to_string(),
                    ),
                    None => (
                        svc.span,
                        "made from `registries.repositories`",
                        format!("declare `endpoints.policies.{}` for this VPC yourself (a repository ARN with a wildcard, `.../repository/team/*`, covers many), or fewer repositories", svc.value),
                    ),
                };
                self.sink
                    .report(
                        Code::EndpointPolicy,
                        span,
                        format!(
                            "the `{}` endpoint policy {whose} for VPC `{}` is {len} characters (AWS allows {})",
                            svc.value,
                            v.name.value,
                            crate::central::POLICY_LIMIT
                        ),
                        "policy too large",
                    )
                    .help(help);
            }
            for (svc, doc) in &e.policies {
                let listed = e.gateway.iter().chain(&e.interface).any(|s| s.value == svc.value);
                if !listed {
                    self.sink
                        .report(
                            Code::EndpointPolicy,
                            svc.span,
                            format!(
                                "policy for `{}`, which is not an endpoint of VPC `{}`",
                                svc.value, v.name.value
                            ),
                            "no such endpoint",
                        )
                        .help("add the service to `gateway` or `interface`, or remove the policy");
                } else if doc.value.get("Statement").is_none() {
                    self.sink
                        .report(
                            Code::EndpointPolicy,
                            doc.span,
                            format!("policy for `{}` has no `Statement`", svc.value),
                            "no Statement",
                        )
                        .help("an IAM policy document needs `Statement: [...]` (and usually `Version: \"2012-10-17\"`)");
                }
            }
        }
    }

    /// The firewall's rule groups, as expansion makes them and sized as the kind creates
    /// them, must fit their policy: AWS refuses a group over 30,000 capacity, and a policy
    /// whose groups' capacities sum past its quota (see `NfwRuleGroupSpec`).
    fn firewall_capacity(&mut self, bp: &Blueprint, fw: &Firewall) {
        use airgap_catalog::spec::NfwRuleGroupSpec as G;
        let groups = crate::expand::firewall::rule_groups(bp, fw);
        let total: i64 = groups.iter().map(|(_, g)| g.planned_capacity()).sum();
        // The group that needs the most: over one group's maximum if any is, and the list
        // to point at (the flows are derived, not written).
        let Some((id, g)) = groups.iter().max_by_key(|(_, g)| g.needed_capacity()) else {
            return;
        };
        let one_group_over = g.needed_capacity() > G::MAX_CAPACITY;
        if total <= G::POLICY_CAPACITY && !one_group_over {
            return;
        }
        let (list, span, help) = match *id {
            "firewall/rules/domains" => (
                "allowDomains",
                fw.allow_domains.first().map(|d| d.span),
                "list fewer domains: a leading dot allows a domain and every subdomain (.example.com); a domain takes 2 capacity (TLS SNI and HTTP Host)",
            ),
            "firewall/rules/allow" => (
                "allowRules",
                fw.allow_rules.first().map(|r| r.protocol.span),
                "allow fewer rules: one destination CIDR can cover many (10.0.0.0/8)",
            ),
            _ => return,
        };
        let Some(span) = span else { return };
        let message = if one_group_over {
            format!(
                "`hub.firewall.{list}` needs rule group capacity {}, more than the {} AWS allows one group",
                g.needed_capacity(),
                G::MAX_CAPACITY
            )
        } else {
            let sizes: Vec<String> = groups
                .iter()
                .map(|(id, g)| {
                    format!("{} {}", id.trim_start_matches("firewall/rules/"), g.planned_capacity())
                })
                .collect();
            format!(
                "the firewall's rule groups take capacity {total} ({}), more than the {} a firewall policy holds",
                sizes.join(", "),
                G::POLICY_CAPACITY
            )
        };
        self.sink
            .report(Code::InvalidValue, span, message, "too many to fit the firewall")
            .help(help);
    }

    pub(super) fn hub(&mut self, bp: &Blueprint) {
        let asn = &bp.hub.transit_gateway.asn;
        let private = (64512..=65534).contains(&asn.value)
            || (4_200_000_000..=4_294_967_294).contains(&asn.value);
        if self.ok(asn) && !private {
            self.sink
                .report(
                    Code::InvalidValue,
                    asn.span,
                    format!("ASN {} is not a private ASN", asn.value),
                    "not private",
                )
                .help("a transit gateway ASN must be in 64512-65534 or 4200000000-4294967294");
        }
        let Some(fw) = &bp.hub.firewall else { return };
        for d in &fw.allow_domains {
            let body = d.value.strip_prefix('.').unwrap_or(&d.value);
            let good = !body.is_empty()
                && body.len() <= 253
                && body.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !good {
                self.not_a(d.span, &d.value, "a domain name", "invalid domain")
                    .help("write a domain (api.partner.example) or a leading dot for all subdomains (.amazonaws.com); no wildcards or schemes");
            }
        }
        self.firewall_capacity(bp, fw);
        let r = &fw.logging.retention_days;
        if self.ok(r) && !regions::LOG_RETENTION_DAYS.contains(&r.value) {
            let nearest = regions::LOG_RETENTION_DAYS
                .iter()
                .min_by_key(|d| d.abs_diff(r.value))
                .copied()
                .unwrap_or(30);
            self.sink
                .report(
                    Code::InvalidValue,
                    r.span,
                    format!("CloudWatch Logs has no {}-day retention", r.value),
                    "unsupported retention",
                )
                .help(format!(
                    "use one of {:?}; nearest is {nearest}",
                    regions::LOG_RETENTION_DAYS
                ));
        }
    }
}
