//! The `registries` section: ECR repository names and the lifecycle rules.

use super::V;
use crate::diag::Code;
use crate::model::*;

/// ECR's repository names: 2 to 256 characters, lowercase letters, digits and `._-` in
/// `/`-separated parts that start and end with a letter or digit (ECR API reference,
/// CreateRepository.repositoryName).
pub(crate) fn is_repository_name(v: &str) -> bool {
    (2..=256).contains(&v.len())
        && v.split('/').all(|part| {
            !part.is_empty()
                && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        })
}

impl V<'_> {
    pub(super) fn registries(&mut self, bp: &Blueprint) {
        let Some(r) = &bp.registries else { return };
        for repo in &r.repositories {
            let v = &repo.value;
            if !is_repository_name(v) {
                self.not_a(repo.span, v, "an ECR repository name", "invalid repository name").help(
                    "use lowercase letters, digits and ._- in /-separated parts, e.g. mirror/nginx",
                );
            }
        }
        if let Some(q) = &r.quarantine {
            let bad = r.repositories.iter().find_map(|repo| {
                let name = r.quarantine_of(&repo.value)?;
                (!is_repository_name(&name)).then_some(name)
            });
            let declared = r.repositories.iter().find(|repo| {
                repo.value == q.value || repo.value.starts_with(&format!("{}/", q.value))
            });
            if !is_repository_name(&format!("{}/x0", q.value)) || bad.is_some() {
                self.not_a(
                    q.span,
                    &q.value,
                    "a repository name prefix",
                    "invalid quarantine prefix",
                )
                .help(format!(
                    "use lowercase letters, digits and ._- in /-separated parts (e.g. \
                         quarantine), short enough that `<prefix>/<repository>` stays within \
                         ECR's 256 characters{}",
                    bad.map(|b| format!(": `{b}` is not a repository name")).unwrap_or_default()
                ));
            } else if let Some(d) = declared {
                self.sink
                    .report(
                        Code::InvalidValue,
                        q.span,
                        format!(
                            "quarantine prefix `{}` is also the start of the declared repository `{}`",
                            q.value, d.value
                        ),
                        "quarantined images would share names with pulled ones",
                    )
                    .help("choose a prefix no declared repository starts with, e.g. quarantine");
            }
        }
        // The quarantine repositories are in the rule too.
        let filters = r.repositories.len() * if r.quarantine.is_some() { 2 } else { 1 };
        // RegistryScanningRule.repositoryFilters: at most 100 (ECR API reference); one
        // filter per repository.
        if r.scanning.value == Scanning::Enhanced && filters > 100 {
            self.sink
                .report(
                    Code::InvalidValue,
                    r.scanning.span,
                    format!(
                        "enhanced scanning names each repository in one rule of at most 100 \
                         filters; `registries` needs {filters} (quarantine repositories count)"
                    ),
                    "too many repositories for one scanning rule",
                )
                .help("use `scanning: basic`, or fewer repositories");
        }
        for p in crate::lifecycle::problems(
            &r.lifecycle.iter().map(|s| s.value.clone()).collect::<Vec<_>>(),
        ) {
            self.sink
                .report(
                    Code::InvalidValue,
                    r.lifecycle[p.rule].span,
                    p.message,
                    "ECR refuses this rule",
                )
                .help(p.help);
        }
    }
}
