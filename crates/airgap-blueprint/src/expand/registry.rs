//! The shared account's private ECR repositories.

use airgap_engine::{GraphBuilder, Node, Scope, Value};

use super::r;
use crate::model::{Blueprint, Registries};

pub(super) fn registry(b: &mut GraphBuilder, bp: &Blueprint, reg: &Registries, s: &Scope) {
    // Without a repository policy only the owning account may pull: the node roles
    // of the clusters (in their accounts) may, nothing more. A reference to a role of
    // ours also orders the repository after it: ECR refuses a policy naming a role
    // that does not exist. (An organization-wide grant would need the organization's
    // id, which the blueprint does not have; the TGW share is per account too.)
    let mut pull: Vec<Value> = Vec::new();
    for c in &bp.clusters {
        let role = match &c.roles.node {
            Some(arn) => Value::str(arn.value.as_str()),
            None => r(&format!("cluster/{}/node-role", c.name.value), "arn"),
        };
        if !pull.contains(&role) {
            pull.push(role);
        }
    }
    for repo in &reg.repositories {
        b.add(
            Node::new(
                format!("registry/{}", repo.value).as_str(),
                "ecr-repository",
                s.clone(),
            )
            .attr("name", repo.value.as_str())
            .attr("immutableTags", true)
            .attr("scanOnPush", true)
            .attr("pullPrincipals", Value::List(pull.clone())),
        );
    }
}
