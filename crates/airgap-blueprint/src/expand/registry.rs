//! The shared account's private ECR repositories.

use airgap_catalog::spec::{node, EcrRegistryScanningSpec, EcrRepositorySpec, Id, PullPrincipals};
use airgap_engine::{GraphBuilder, Scope};

use crate::model::{Blueprint, Registries, Scanning};

pub(super) fn registry(b: &mut GraphBuilder, bp: &Blueprint, reg: &Registries, s: &Scope) {
    // Without a repository policy only the owning account may pull: the node roles
    // of the clusters (in their accounts) may, nothing more. A reference to a role of
    // ours also orders the repository after it: ECR refuses a policy naming a role
    // that does not exist. (An organization-wide grant would need the organization's
    // id, which the blueprint does not have; the TGW share is per account too.)
    let mut pull: Vec<Id> = Vec::new();
    for c in &bp.clusters {
        let role = match &c.roles.node {
            Some(arn) => Id::from(arn.value.as_str()),
            None => Id::of(format!("cluster/{}/node-role", c.name.value), "arn"),
        };
        if !pull.contains(&role) {
            pull.push(role);
        }
    }
    let rules: Vec<serde_json::Value> = reg.lifecycle.iter().map(|r| r.value.clone()).collect();
    let lifecycle = crate::lifecycle::policy(&rules);
    for repo in &reg.repositories {
        b.add(node(
            format!("registry/{}", repo.value).as_str(),
            s.clone(),
            &EcrRepositorySpec {
                name: repo.value.clone(),
                immutable_tags: reg.immutable_tags.value,
                scan_on_push: reg.scan_on_push.value,
                pull_principals: PullPrincipals::Principals(pull.clone()),
                lifecycle_policy: lifecycle.clone(),
            },
        ));
    }
    // Quarantine: where a sync puts what no approved lock lists yet. The same settings,
    // and no repository policy, so only the registry's own account may pull (ECR user
    // guide, "Private repository policies"): no node role of another account can.
    for name in reg.quarantine_repositories() {
        b.add(node(
            format!("registry/{name}").as_str(),
            s.clone(),
            &EcrRepositorySpec {
                name,
                immutable_tags: reg.immutable_tags.value,
                scan_on_push: reg.scan_on_push.value,
                pull_principals: PullPrincipals::Principals(Vec::new()),
                lifecycle_policy: lifecycle.clone(),
            },
        ));
    }
    // Enhanced scanning is the registry's, not a repository's: a rule naming the
    // repositories. Basic scanning stays with each repository (`scanOnPush`).
    if reg.scanning.value == Scanning::Enhanced && !reg.repositories.is_empty() {
        let mut repositories: Vec<String> =
            reg.repositories.iter().map(|r| r.value.clone()).collect();
        repositories.extend(reg.quarantine_repositories());
        repositories.sort();
        b.add(node(
            "ecr/scanning",
            s.clone(),
            &EcrRegistryScanningSpec {
                scan_type: "ENHANCED".into(),
                frequency: "CONTINUOUS_SCAN".into(),
                repositories,
            },
        ));
    }
}
