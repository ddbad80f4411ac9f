//! The top level: `apiVersion` and `kind`, `metadata` (environment name,
//! region), `accounts` (ids, roles, external ids, session names) and
//! `availabilityZones` against the region.

use super::names::{iam_arn, is_account_id, is_dns_label_like, is_iam_name, sanitize};
use super::V;
use crate::diag::Code;
use crate::model::*;
use crate::regions;
use crate::{API_VERSION, KIND};

impl V<'_> {
    pub(super) fn header(&mut self, bp: &Blueprint) {
        self.fixed_value(&bp.api_version, API_VERSION, Code::ApiVersion, "apiVersion");
        self.fixed_value(&bp.kind, KIND, Code::Kind, "kind");
    }

    /// A top-level field that has one supported value (`apiVersion`, `kind`).
    fn fixed_value(&mut self, v: &Spanned<String>, supported: &str, code: Code, field: &str) {
        if self.ok(v) && v.value != supported {
            self.sink
                .report(code, v.span, format!("unsupported {field} `{}`", v.value), "unsupported")
                .help(format!("use `{field}: {supported}`"));
        }
    }

    pub(super) fn metadata(&mut self, bp: &Blueprint) {
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
            p.suggest(
                &region.value,
                regions::REGIONS.iter().map(|r| r.0),
                "use an AWS commercial region code such as eu-central-1",
            );
        }
    }

    pub(super) fn accounts(&mut self, bp: &Blueprint) {
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
    pub(super) fn azs(&mut self, bp: &Blueprint) -> usize {
        let region = &bp.metadata.region;
        let letters = if self.ok(region) { regions::az_letters(&region.value) } else { None };
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
                    let twice = format!("`{}` is listed twice", az.value);
                    if !self.first_listing(&mut seen, az, Code::AvailabilityZones, "AZ", twice) {
                        continue;
                    }
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
}
