//! Name formats (environment, IAM, DNS-label-like names), references to
//! accounts and VPCs that must be defined, and names that must be unique.

use super::V;
use crate::diag::Code;
use crate::model::*;

fn is_arn_partition(p: &str) -> bool {
    matches!(p, "aws" | "aws-cn" | "aws-us-gov")
}

/// Splits `arn:<partition>:iam::<account>:<rest>`.
pub(super) fn iam_arn(s: &str) -> Option<(&str, &str)> {
    let mut parts = s.splitn(6, ':');
    let (arn, partition, service, region, account, rest) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (arn == "arn" && is_arn_partition(partition) && service == "iam" && region.is_empty())
        .then_some((account, rest))
}

pub(super) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// IAM role (or path) name characters.
pub(super) fn is_iam_name(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
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

pub(super) fn is_dns_label_like(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub(super) fn sanitize(s: &str) -> String {
    let mut out: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let out = out.trim_matches('-');
    let out = out.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start_matches('-');
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
        let otherwise = if names.is_empty() {
            "define it under `accounts`".to_string()
        } else {
            format!("define it under `accounts`, or use one of: {}", names.join(", "))
        };
        p.suggest(&r.value, names.iter().copied(), otherwise);
    }

    pub(super) fn references(&mut self, bp: &Blueprint) {
        self.undefined_account(bp, &bp.hub.account);
        for vpc in &bp.vpcs {
            self.undefined_account(bp, &vpc.account);
        }
        if let Some(r) = &bp.registries {
            self.undefined_account(bp, &r.account);
        }
        for c in &bp.clusters {
            self.defined_vpc(bp, &c.vpc, "clusters run in a spoke VPC listed under `vpcs`");
        }
    }

    /// `vpc` names a VPC of `vpcs`; else `otherwise` says which one it should name.
    pub(super) fn defined_vpc(&mut self, bp: &Blueprint, vpc: &Spanned<String>, otherwise: &str) {
        // With `vpcs` cut short, the VPC may be one of those left unread.
        if self.ok(vpc) && bp.vpc(&vpc.value).is_none() && !self.cut.contains("vpcs") {
            self.sink
                .report(
                    Code::UndefinedVpc,
                    vpc.span,
                    format!("VPC `{}` is not defined", vpc.value),
                    "undefined VPC",
                )
                .suggest(&vpc.value, bp.vpcs.iter().map(|v| v.name.value.as_str()), otherwise);
        }
    }

    pub(super) fn dup_names<'a>(
        &mut self,
        what: &str,
        names: impl IntoIterator<Item = &'a Spanned<String>>,
    ) {
        // By name: a list of 20,000 repositories is checked in linear time.
        let mut seen: std::collections::HashMap<&str, miette::SourceSpan> =
            std::collections::HashMap::new();
        for n in names {
            if !self.ok(n) {
                continue;
            }
            if let Some(&first) = seen.get(n.value.as_str()) {
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
                seen.insert(&n.value, n.span);
            }
        }
    }

    pub(super) fn duplicates(&mut self, bp: &Blueprint) {
        self.dup_names("VPC", bp.vpcs.iter().map(|v| &v.name));
        self.dup_names("cluster", bp.clusters.iter().map(|c| &c.name));
        for c in &bp.clusters {
            self.dup_names("node group", c.nodegroups.iter().map(|n| &n.name));
        }
        if let Some(r) = &bp.registries {
            self.dup_names("repository", r.repositories.iter());
        }
        for v in &bp.vpcs {
            self.dns_label_name(&v.name, "VPC", 32);
        }
    }

    /// A name that must be DNS-label-like (a VPC's, a node group's), at most `max` long.
    pub(super) fn dns_label_name(&mut self, name: &Spanned<String>, what: &str, max: usize) {
        if self.ok(name) && !is_dns_label_like(&name.value, max) {
            self.sink
                .report(
                    Code::InvalidValue,
                    name.span,
                    format!("{what} name `{}` is not allowed", name.value),
                    "invalid name",
                )
                .help(format!(
                    "use 1-{max} lowercase letters, digits and hyphens, starting with a letter"
                ));
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
        assert_eq!(iam_arn("arn:aws:iam::123456789012:role/x"), Some(("123456789012", "role/x")));
        assert_eq!(iam_arn("arn:aws:s3:::bucket"), None);
    }
}
