//! Cross-field and format rules on the parsed model. Every rule runs; a
//! value whose span is poisoned (it already produced a parse problem) is
//! skipped so one mistake is reported once.

use std::collections::HashSet;

use crate::carve::{needed_addresses, prefix_for, Ipv4Net};
use crate::diag::{Code, Sink};
use crate::model::*;
use crate::regions::{self, did_you_mean};
use crate::{API_VERSION, KIND};

struct V<'a> {
    sink: &'a mut Sink,
    poison: &'a HashSet<(usize, usize)>,
}

impl V<'_> {
    fn ok<T>(&self, s: &Spanned<T>) -> bool {
        !self.poison.contains(&(s.span.offset(), s.span.len()))
    }

    /// True if the value was not written but defaulted (its span holds other text).
    fn defaulted<T: ToString>(&self, s: &Spanned<T>) -> bool {
        let text = self.sink.source.inner();
        let (a, b) = (s.span.offset(), s.span.offset() + s.span.len());
        text.get(a..b) != Some(s.value.to_string().as_str())
    }
}

pub(crate) fn validate(bp: &Blueprint, sink: &mut Sink, poison: &HashSet<(usize, usize)>) {
    let mut v = V { sink, poison };
    v.header(bp);
    v.metadata(bp);
    v.accounts(bp);
    let az_count = v.azs(bp);
    v.references(bp);
    v.duplicates(bp);
    v.networks(bp, az_count);
    v.endpoints(bp);
    v.hub(bp);
    v.clusters(bp, az_count);
    v.registries(bp);
}

fn is_arn_partition(p: &str) -> bool {
    matches!(p, "aws" | "aws-cn" | "aws-us-gov")
}

/// Splits `arn:<partition>:iam::<account>:<rest>`.
fn iam_arn(s: &str) -> Option<(&str, &str)> {
    let mut parts = s.splitn(6, ':');
    let (arn, partition, service, region, account, rest) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (arn == "arn" && is_arn_partition(partition) && service == "iam" && region.is_empty())
        .then_some((account, rest))
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// IAM role (or path) name characters.
fn is_iam_name(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// Whether `name` can name an environment: it goes into AWS resource names and the
/// `airgap:env` tag. The error says what is wrong and what would do.
pub fn check_env_name(name: &str) -> Result<(), String> {
    if is_dns_label_like(name, 32) {
        return Ok(());
    }
    let n = name.chars().count();
    let why = if n > 32 {
        format!("is {n} characters long (at most 32)")
    } else {
        "must be lowercase letters, digits and hyphens".to_string()
    };
    Err(format!(
        "environment name `{name}` {why}; use 1-32 lowercase letters, digits and hyphens, \
         starting with a letter and not ending with a hyphen, e.g. `{}`",
        sanitize(name)
    ))
}

fn is_dns_label_like(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn sanitize(s: &str) -> String {
    let mut out: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let out = out.trim_matches('-');
    let out = out
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches('-');
    let mut out: String = out.chars().take(32).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "env".into()
    } else {
        out
    }
}

impl V<'_> {
    fn header(&mut self, bp: &Blueprint) {
        if self.ok(&bp.api_version) && bp.api_version.value != API_VERSION {
            self.sink
                .report(
                    Code::ApiVersion,
                    bp.api_version.span,
                    format!("unsupported apiVersion `{}`", bp.api_version.value),
                    "unsupported",
                )
                .help(format!("use `apiVersion: {API_VERSION}`"));
        }
        if self.ok(&bp.kind) && bp.kind.value != KIND {
            self.sink
                .report(
                    Code::Kind,
                    bp.kind.span,
                    format!("unsupported kind `{}`", bp.kind.value),
                    "unsupported",
                )
                .help(format!("use `kind: {KIND}`"));
        }
    }

    fn metadata(&mut self, bp: &Blueprint) {
        let name = &bp.metadata.name;
        if self.ok(name) && !is_dns_label_like(&name.value, 32) {
            let n = name.value.chars().count();
            let why = if n > 32 {
                format!("is {n} characters long (at most 32)")
            } else {
                "must be lowercase letters, digits and hyphens".to_string()
            };
            self.sink
                .report(
                    Code::EnvName,
                    name.span,
                    format!("environment name `{}` {why}", name.value),
                    "invalid environment name",
                )
                .help(format!(
                    "use 1-32 lowercase letters, digits and hyphens, starting with a letter and \
                     not ending with a hyphen (it goes into AWS resource names and the \
                     airgap:env tag), e.g. `{}`",
                    sanitize(&name.value)
                ));
        }
        let region = &bp.metadata.region;
        if self.ok(region) && regions::az_letters(&region.value).is_none() {
            let p = self.sink.report(
                Code::Region,
                region.span,
                format!("unknown region `{}`", region.value),
                "unknown region",
            );
            match did_you_mean(&region.value, regions::REGIONS.iter().map(|r| r.0)) {
                Some(m) => p.help(format!("did you mean `{m}`?")),
                None => p.help("use an AWS commercial region code such as eu-central-1"),
            };
        }
    }

    fn accounts(&mut self, bp: &Blueprint) {
        for a in &bp.accounts {
            if self.ok(&a.id) && !is_account_id(&a.id.value) {
                self.sink
                    .report(
                        Code::AccountId,
                        a.id.span,
                        format!("account id `{}` is not 12 digits", a.id.value),
                        "not an account id",
                    )
                    .help("an AWS account id is exactly 12 digits; quote it so YAML keeps leading zeros: id: \"012345678901\"");
            }
            if let Some(role) = &a.role {
                if role.value.starts_with("arn:") {
                    match iam_arn(&role.value) {
                        Some((acct, rest))
                            if is_account_id(acct)
                                && rest.strip_prefix("role/").is_some_and(|n| {
                                    !n.is_empty() && n.split('/').all(|s| is_iam_name(s, 64))
                                }) =>
                        {
                            if self.ok(&a.id) && acct != a.id.value {
                                self.sink
                                    .report(
                                        Code::Role,
                                        role.span,
                                        format!(
                                            "role ARN is in account {acct}, but account `{}` is {}",
                                            a.name.value, a.id.value
                                        ),
                                        "role of another account",
                                    )
                                    .also(a.id.span, "account id")
                                    .help("the role must live in the account it deploys to; fix the ARN or the id, or write just the role name");
                            }
                        }
                        _ => {
                            self.sink
                                .report(
                                    Code::Role,
                                    role.span,
                                    format!("`{}` is not an IAM role ARN", role.value),
                                    "invalid role ARN",
                                )
                                .help("write a role name (airgap-deployer) or arn:aws:iam::<12-digit id>:role/<name>");
                        }
                    }
                } else if !is_iam_name(&role.value, 64) {
                    self.sink
                        .report(
                            Code::Role,
                            role.span,
                            format!("`{}` is not a valid IAM role name", role.value),
                            "invalid role name",
                        )
                        .help("a role name has 1-64 letters, digits and +=,.@_- ; or give the full role ARN");
                }
            }
            if let Some(e) = &a.external_id {
                let good = (2..=1224).contains(&e.value.len())
                    && e.value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/_-".contains(c));
                if !good {
                    self.sink
                        .report(
                            Code::InvalidValue,
                            e.span,
                            "invalid `externalId`",
                            "invalid external id",
                        )
                        .help("an external id has 2-1224 letters, digits and +=,.@:/_-");
                }
            }
            if let Some(s) = &a.session_name {
                if !(2..=64).contains(&s.value.len()) || !is_iam_name(&s.value, 64) {
                    self.sink
                        .report(
                            Code::InvalidValue,
                            s.span,
                            "invalid `sessionName`",
                            "invalid session name",
                        )
                        .help("a role session name has 2-64 letters, digits and +=,.@_-");
                }
            }
        }
    }

    /// Checks AZs against the region; returns the AZ count in use.
    fn azs(&mut self, bp: &Blueprint) -> usize {
        let region = &bp.metadata.region;
        let letters = if self.ok(region) {
            regions::az_letters(&region.value)
        } else {
            None
        };
        let spec = &bp.availability_zones;
        match &spec.value {
            AzSpec::Count(n) => {
                let n = usize::from(*n);
                if let Some(l) = letters {
                    if self.ok(spec) && n > l.len() {
                        self.sink
                            .report(
                                Code::AvailabilityZones,
                                spec.span,
                                format!(
                                    "{} has {} availability zones, {n} requested",
                                    region.value,
                                    l.len()
                                ),
                                "too many AZs",
                            )
                            .also(region.span, "region")
                            .help(format!("use at most {} AZs in {}", l.len(), region.value));
                    }
                }
                n
            }
            AzSpec::Explicit(list) => {
                if list.is_empty() {
                    self.sink
                        .report(
                            Code::AvailabilityZones,
                            spec.span,
                            "no availability zones listed",
                            "empty list",
                        )
                        .help("list at least one AZ, or give a count such as 2");
                }
                let mut seen: Vec<&Spanned<String>> = Vec::new();
                for az in list {
                    if let Some(first) = seen.iter().find(|s| s.value == az.value) {
                        let first = first.span;
                        self.sink
                            .report(
                                Code::AvailabilityZones,
                                az.span,
                                format!("`{}` is listed twice", az.value),
                                "duplicate AZ",
                            )
                            .also(first, "first listed here")
                            .help("list each AZ once");
                        continue;
                    }
                    seen.push(az);
                    if let Some(l) = letters {
                        let valid = az
                            .value
                            .strip_prefix(region.value.as_str())
                            .is_some_and(|s| s.len() == 1 && l.contains(s));
                        if !valid {
                            let names: Vec<String> =
                                l.chars().map(|c| format!("{}{c}", region.value)).collect();
                            self.sink
                                .report(
                                    Code::AvailabilityZones,
                                    az.span,
                                    format!(
                                        "`{}` is not an availability zone of {}",
                                        az.value, region.value
                                    ),
                                    "unknown AZ",
                                )
                                .help(format!("{} has: {}", region.value, names.join(", ")));
                        }
                    }
                }
                seen.len()
            }
        }
    }

    fn undefined_account(&mut self, bp: &Blueprint, r: &Spanned<String>) {
        if !self.ok(r) || bp.account(&r.value).is_some() {
            return;
        }
        let names: Vec<&str> = bp.accounts.iter().map(|a| a.name.value.as_str()).collect();
        let p = self.sink.report(
            Code::UndefinedAccount,
            r.span,
            format!("account `{}` is not defined", r.value),
            "undefined account",
        );
        match did_you_mean(&r.value, names.iter().copied()) {
            Some(m) => p.help(format!("did you mean `{m}`?")),
            None if names.is_empty() => p.help("define it under `accounts`"),
            None => p.help(format!(
                "define it under `accounts`, or use one of: {}",
                names.join(", ")
            )),
        };
    }

    fn references(&mut self, bp: &Blueprint) {
        self.undefined_account(bp, &bp.hub.account);
        for vpc in &bp.vpcs {
            self.undefined_account(bp, &vpc.account);
        }
        if let Some(r) = &bp.registries {
            self.undefined_account(bp, &r.account);
        }
        for c in &bp.clusters {
            if self.ok(&c.vpc) && bp.vpc(&c.vpc.value).is_none() {
                let p = self.sink.report(
                    Code::UndefinedVpc,
                    c.vpc.span,
                    format!("VPC `{}` is not defined", c.vpc.value),
                    "undefined VPC",
                );
                match did_you_mean(&c.vpc.value, bp.vpcs.iter().map(|v| v.name.value.as_str())) {
                    Some(m) => p.help(format!("did you mean `{m}`?")),
                    None => p.help("clusters run in a spoke VPC listed under `vpcs`"),
                };
            }
        }
    }

    fn dup_names<'a>(&mut self, what: &str, names: impl IntoIterator<Item = &'a Spanned<String>>) {
        let mut seen: Vec<&Spanned<String>> = Vec::new();
        for n in names {
            if !self.ok(n) {
                continue;
            }
            if let Some(first) = seen.iter().find(|s| s.value == n.value) {
                let first = first.span;
                self.sink
                    .report(
                        Code::DuplicateName,
                        n.span,
                        format!("{what} `{}` is defined twice", n.value),
                        format!("duplicate {what}"),
                    )
                    .also(first, "first defined here")
                    .help(format!("{what} names must be unique; rename one"));
            } else {
                seen.push(n);
            }
        }
    }

    fn duplicates(&mut self, bp: &Blueprint) {
        self.dup_names("VPC", bp.vpcs.iter().map(|v| &v.name));
        self.dup_names("cluster", bp.clusters.iter().map(|c| &c.name));
        for c in &bp.clusters {
            self.dup_names("node group", c.nodegroups.iter().map(|n| &n.name));
        }
        if let Some(r) = &bp.registries {
            self.dup_names("repository", r.repositories.iter());
        }
        for v in &bp.vpcs {
            if self.ok(&v.name) && !is_dns_label_like(&v.name.value, 32) {
                self.sink
                    .report(
                        Code::InvalidValue,
                        v.name.span,
                        format!("VPC name `{}` is not allowed", v.name.value),
                        "invalid name",
                    )
                    .help("use 1-32 lowercase letters, digits and hyphens, starting with a letter");
            }
        }
    }

    fn check_vpc_cidr(&mut self, cidr: &Spanned<Ipv4Net>) -> bool {
        if !self.ok(cidr) {
            return false;
        }
        if !(16..=28).contains(&cidr.prefix()) {
            self.sink
                .report(
                    Code::Cidr,
                    cidr.span,
                    format!("VPC CIDR {} has prefix /{}", cidr.value, cidr.prefix()),
                    "VPC size out of range",
                )
                .help("AWS VPCs are between /16 and /28");
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
            let per_az: Vec<String> = tiers
                .iter()
                .map(|(n, p)| format!("{n} /{}", p.value))
                .collect();
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

    fn networks(&mut self, bp: &Blueprint, az: usize) {
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

    fn endpoints(&mut self, bp: &Blueprint) {
        for v in &bp.vpcs {
            let e = &v.endpoints;
            for (list, known, kind) in [
                (&e.gateway, regions::GATEWAY_SERVICES, "gateway"),
                (&e.interface, regions::INTERFACE_SERVICES, "interface"),
            ] {
                let mut seen: Vec<&Spanned<String>> = Vec::new();
                for s in list {
                    if let Some(first) = seen.iter().find(|x| x.value == s.value) {
                        let first = first.span;
                        self.sink
                            .report(
                                Code::DuplicateName,
                                s.span,
                                format!("{kind} endpoint `{}` is listed twice", s.value),
                                "duplicate endpoint",
                            )
                            .also(first, "first listed here")
                            .help("list each endpoint once");
                        continue;
                    }
                    seen.push(s);
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
                                if kind == "gateway" {
                                    "interface"
                                } else {
                                    "gateway"
                                },
                                if kind == "gateway" {
                                    "interface"
                                } else {
                                    "gateway"
                                }
                            ));
                        } else {
                            match did_you_mean(&s.value, known.iter().copied()) {
                                Some(m) => p.help(format!("did you mean `{m}`?")),
                                None => {
                                    p.help(format!("known {kind} services: {}", known.join(", ")))
                                }
                            };
                        }
                    }
                }
            }
            for (svc, doc) in &e.policies {
                let listed = e
                    .gateway
                    .iter()
                    .chain(&e.interface)
                    .any(|s| s.value == svc.value);
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

    fn hub(&mut self, bp: &Blueprint) {
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
                self.sink
                    .report(Code::InvalidValue, d.span, format!("`{}` is not a domain name", d.value), "invalid domain")
                    .help("write a domain (api.partner.example) or a leading dot for all subdomains (.amazonaws.com); no wildcards or schemes");
            }
        }
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

    fn known(&mut self, s: &Spanned<String>, what: &str, known: &[&str]) {
        if known.contains(&s.value.as_str()) {
            return;
        }
        let p = self.sink.report(
            Code::InvalidValue,
            s.span,
            format!("unknown {what} `{}`", s.value),
            format!("unknown {what}"),
        );
        match did_you_mean(&s.value, known.iter().copied()) {
            Some(m) => p.help(format!("did you mean `{m}`?")),
            None => p.help(format!("known: {}", known.join(", "))),
        };
    }

    fn role_arn(&mut self, s: &Spanned<String>, what: &str, kinds: &[&str]) {
        let good = iam_arn(&s.value).is_some_and(|(acct, rest)| {
            is_account_id(acct)
                && kinds.iter().any(|k| {
                    rest.strip_prefix(k)
                        .and_then(|r| r.strip_prefix('/'))
                        .is_some_and(|n| !n.is_empty() && n.split('/').all(|p| is_iam_name(p, 128)))
                })
        });
        if !good {
            self.sink
                .report(
                    Code::InvalidValue,
                    s.span,
                    format!("`{}` is not an IAM {} ARN", s.value, kinds.join(" or ")),
                    format!("invalid {what}"),
                )
                .help(format!(
                    "write arn:aws:iam::<12-digit account id>:{}/<name>",
                    kinds[0]
                ));
        }
    }

    fn clusters(&mut self, bp: &Blueprint, az: usize) {
        for c in &bp.clusters {
            if self.ok(&c.name) {
                let n = &c.name.value;
                let good = !n.is_empty()
                    && n.len() <= 100
                    && n.starts_with(|ch: char| ch.is_ascii_alphanumeric())
                    && n.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
                if !good {
                    self.sink
                        .report(Code::InvalidValue, c.name.span, format!("cluster name `{n}` is not allowed"), "invalid cluster name")
                        .help("EKS cluster names have 1-100 letters, digits, hyphens and underscores and start with a letter or digit");
                }
                if az < 2 {
                    self.sink
                        .report(Code::AvailabilityZones, c.name.span, format!("cluster `{n}` needs at least 2 availability zones"), "needs 2 AZs")
                        .also(bp.availability_zones.span, "AZs")
                        .help("EKS requires control plane subnets in at least two AZs; set availabilityZones: 2");
                }
            }
            if let Some(v) = &c.version {
                let good = v.value.strip_prefix("1.").is_some_and(|m| {
                    !m.is_empty()
                        && m.len() <= 2
                        && m.bytes().all(|b| b.is_ascii_digit())
                        && !m.starts_with('0')
                });
                if !good {
                    self.sink
                        .report(
                            Code::InvalidValue,
                            v.span,
                            format!("`{}` is not a Kubernetes version", v.value),
                            "invalid version",
                        )
                        .help("write the minor version as a quoted string, e.g. version: \"1.31\"");
                }
            }
            for l in &c.logging {
                self.known(l, "control plane log type", regions::CLUSTER_LOG_TYPES);
            }
            for a in &c.addons {
                self.known(a, "add-on", regions::ADDONS);
            }
            self.dup_names("add-on", c.addons.iter());
            for a in &c.admins {
                self.role_arn(a, "admin", &["role", "user"]);
            }
            if let Some(r) = &c.roles.cluster {
                self.role_arn(r, "cluster role", &["role"]);
            }
            if let Some(r) = &c.roles.node {
                self.role_arn(r, "node role", &["role"]);
            }
            for ng in &c.nodegroups {
                self.nodegroup(ng);
            }
            self.private_cluster(bp, c);
        }
    }

    /// Nodes of a private cluster have no way out but the VPC endpoints: without the
    /// ones below they never join (EC2 and STS for the kubelet's identity, ECR for the
    /// images, S3 for ECR's image layers), so the plan refuses such a cluster up front.
    /// A spoke VPC never routes to an internet gateway (see `spoke_egress`), and the
    /// gateway endpoints go on every private route table, the data plane's included.
    fn private_cluster(&mut self, bp: &Blueprint, c: &Cluster) {
        if !self.ok(&c.vpc) || !self.ok(&c.name) {
            return;
        }
        let Some(vpc) = bp.vpc(&c.vpc.value) else {
            return;
        };
        let e = &vpc.endpoints;
        // An unknown service name is reported already, often as a typo of one needed here.
        let known = e
            .interface
            .iter()
            .all(|s| regions::INTERFACE_SERVICES.contains(&s.value.as_str()))
            && e.gateway
                .iter()
                .all(|s| regions::GATEWAY_SERVICES.contains(&s.value.as_str()));
        if !known {
            return;
        }
        let has = |list: &[Spanned<String>], s: &str| list.iter().any(|x| x.value == s);
        let mut interface: Vec<(&str, String)> = vec![
            (
                "ec2",
                "nodes describe themselves and their network interfaces".into(),
            ),
            ("ecr.api", "ECR authentication and image manifests".into()),
            ("ecr.dkr", "image pulls from ECR".into()),
            ("sts", "the kubelet's and pods' IAM identities".into()),
        ];
        if !c.logging.is_empty() {
            let on: Vec<&str> = c.logging.iter().map(|l| l.value.as_str()).collect();
            interface.push(("logs", format!("logging is on: {}", on.join(", "))));
        }
        if let Some(a) = c
            .addons
            .iter()
            .find(|a| a.value == "eks-pod-identity-agent")
        {
            interface.push(("eks-auth", format!("the `{}` add-on", a.value)));
        }
        let missing_if: Vec<(&str, String)> = interface
            .into_iter()
            .filter(|(s, _)| !has(&e.interface, s))
            .collect();
        let missing_gw = !has(&e.gateway, "s3");
        if missing_if.is_empty() && !missing_gw {
            return;
        }
        let mut pieces: Vec<String> = missing_if
            .iter()
            .map(|(s, why)| format!("interface endpoint `{s}` ({why})"))
            .collect();
        if missing_gw {
            pieces.push(
                "gateway endpoint `s3` (ECR serves image layers from S3; it goes on the data-plane route tables)"
                    .into(),
            );
        }
        let mut fixes = Vec::new();
        if !missing_if.is_empty() {
            let mut all: Vec<&str> = e.interface.iter().map(|s| s.value.as_str()).collect();
            all.extend(missing_if.iter().map(|(s, _)| *s));
            fixes.push(format!("interface: [{}]", all.join(", ")));
        }
        if missing_gw {
            let mut all: Vec<&str> = e.gateway.iter().map(|s| s.value.as_str()).collect();
            all.push("s3");
            fixes.push(format!("gateway: [{}]", all.join(", ")));
        }
        self.sink
            .report(
                Code::PrivateCluster,
                c.name.span,
                format!(
                    "private cluster `{}` cannot start nodes: VPC `{}` lacks {}",
                    c.name.value,
                    vpc.name.value,
                    pieces.join("; ")
                ),
                "nodes would not join",
            )
            .also(vpc.name.span, "the cluster's VPC")
            .help(format!(
                "the nodes have no internet access, only VPC endpoints; under vpcs[{}].endpoints write {}",
                vpc.name.value,
                fixes.join(" and ")
            ));
    }

    fn nodegroup(&mut self, ng: &Nodegroup) {
        if self.ok(&ng.name) && !is_dns_label_like(&ng.name.value, 63) {
            self.sink
                .report(
                    Code::InvalidValue,
                    ng.name.span,
                    format!("node group name `{}` is not allowed", ng.name.value),
                    "invalid name",
                )
                .help("use 1-63 lowercase letters, digits and hyphens, starting with a letter");
        }
        for t in &ng.instance_types {
            let good = t.value.split_once('.').is_some_and(|(f, s)| {
                !f.is_empty()
                    && !s.is_empty()
                    && f.starts_with(|c: char| c.is_ascii_lowercase())
                    && f.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            });
            if !good {
                self.sink
                    .report(
                        Code::InvalidValue,
                        t.span,
                        format!("`{}` is not an EC2 instance type", t.value),
                        "invalid instance type",
                    )
                    .help("write family.size, e.g. m6i.large");
            }
        }
        if self.ok(&ng.ami) {
            match &ng.ami.value {
                Ami::Type(t) => {
                    let s = Spanned::new(t.clone(), ng.ami.span);
                    self.known(&s, "AMI type", regions::AMI_TYPES);
                }
                Ami::Id(id) => {
                    let good = id.strip_prefix("ami-").is_some_and(|h| {
                        (h.len() == 8 || h.len() == 17)
                            && h.bytes()
                                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                    });
                    if !good {
                        self.sink
                            .report(
                                Code::InvalidValue,
                                ng.ami.span,
                                format!("`{id}` is not an AMI id"),
                                "invalid AMI id",
                            )
                            .help("an AMI id looks like ami-0123456789abcdef0");
                    }
                }
                Ami::LaunchTemplate { .. } => {}
            }
        }
        let s = &ng.scaling;
        if self.ok(&s.min)
            && self.ok(&s.desired)
            && self.ok(&s.max)
            && (s.min.value > s.desired.value || s.desired.value > s.max.value)
        {
            {
                let (span, label) = if s.min.value > s.desired.value {
                    (s.min.span, "min is above desired")
                } else {
                    (s.desired.span, "desired is above max")
                };
                self.sink
                    .report(
                        Code::Scaling,
                        span,
                        format!(
                            "node group `{}` scaling needs min <= desired <= max, got min {}, desired {}, max {}",
                            ng.name.value, s.min.value, s.desired.value, s.max.value
                        ),
                        label,
                    )
                    .help("set min <= desired <= max (defaults: min 1, desired 2, max 3)");
            }
        }
    }

    fn registries(&mut self, bp: &Blueprint) {
        let Some(r) = &bp.registries else { return };
        for repo in &r.repositories {
            let v = &repo.value;
            let good = (2..=256).contains(&v.len())
                && v.split('/').all(|part| {
                    !part.is_empty()
                        && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                        && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                        && part.chars().all(|c| {
                            c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c)
                        })
                });
            if !good {
                self.sink
                    .report(Code::InvalidValue, repo.span, format!("`{v}` is not an ECR repository name"), "invalid repository name")
                    .help("use lowercase letters, digits and ._- in /-separated parts, e.g. mirror/nginx");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(sanitize("My_Env!"), "my-env");
        assert_eq!(sanitize("9lives"), "lives");
        assert!(is_dns_label_like("demo-1", 32));
        assert!(!is_dns_label_like("Demo", 32));
        assert!(!is_dns_label_like("demo-", 32));
        assert_eq!(
            iam_arn("arn:aws:iam::123456789012:role/x"),
            Some(("123456789012", "role/x"))
        );
        assert_eq!(iam_arn("arn:aws:s3:::bucket"), None);
    }
}
