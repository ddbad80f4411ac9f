//! IAM roles for EKS (the cluster's and the nodes') and their managed policy
//! attachments.
//!
//! Roles are created under the path `/airgap/<env>/`, so one paginated
//! `ListRoles(PathPrefix)` finds the env's roles. `ListRoles` returns no tags (on AWS
//! as on LocalStack), so the tags that map a role to its node are read with one
//! `ListRoleTags` per role of that path: the API offers nothing cheaper. Attachments
//! cannot be tagged: each is recorded on its role as `airgap:attach:<policy ARN>`.

use std::collections::HashMap;
use std::sync::Arc;

use airgap_catalog::spec::{IamRolePolicySpec, IamRoleSpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, ErrorClass, Kind, KindError, Observed, Readiness, Registry,
    Resolved, Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_iam::types::{Role, Tag};

use crate::clients::PerScope;
use crate::ec2::kind_meta;
use crate::errors::{classify, code_of};
use crate::kit::{
    all_pages, canonical_policy, changes, delete_call, lookup, not_visible_yet, ours, presence, s,
    settled, tag_map,
};
use crate::tags;

/// IAM clients per account (IAM is global; the region only places the client).
pub type Iam = PerScope<aws_sdk_iam::Client>;

pub const ATTACH_MARK: &str = "airgap:attach:";

pub fn register(registry: &mut Registry, iam: &Arc<Iam>) {
    registry
        .register(Arc::new(IamRole(Arc::clone(iam))))
        .register(Arc::new(IamRolePolicy(Arc::clone(iam))));
}

/// The path every role of the env lives under.
pub fn role_path(env: &str) -> String {
    format!("/airgap/{env}/")
}

/// The trust policy letting one AWS service assume the role.
fn trust_policy(service: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole",
        }],
    })
    .to_string()
}

/// The service of a trust policy in the shape [`trust_policy`] writes; anything else is
/// returned whole (canonical), so it differs from the desired service and is rewritten.
fn trusted_service(doc: &str) -> String {
    let mut canonical = canonical_policy(doc);
    // Some implementations (LocalStack) hand the document back as a JSON string of it.
    if let Ok(serde_json::Value::String(inner)) = serde_json::from_str(&canonical) {
        canonical = canonical_policy(&inner);
    }
    let parsed: Option<serde_json::Value> = serde_json::from_str(&canonical).ok();
    let service = parsed.as_ref().and_then(|v| {
        let st = v.get("Statement")?.as_array()?;
        let [one] = st.as_slice() else { return None };
        let action = one.get("Action")?;
        let assume = action.as_str() == Some("sts:AssumeRole")
            || action
                .as_array()
                .is_some_and(|a| a.len() == 1 && a[0].as_str() == Some("sts:AssumeRole"));
        if one.get("Effect")?.as_str()? != "Allow" || !assume {
            return None;
        }
        one.get("Principal")?.get("Service")?.as_str()
    });
    service.map_or(canonical.clone(), str::to_string)
}

fn iam_tags(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<Tag> {
    pairs.into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

fn role_tags(role: &Role) -> HashMap<String, String> {
    tag_map(role.tags(), |t| (t.key(), t.value()))
}

fn role_out(role: &Role) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(role.role_name())),
        ("arn".to_string(), Value::str(role.arn())),
    ])
}

/// The env's roles with their tags: `ListRoles(PathPrefix)`, then `ListRoleTags` per
/// role, since the list carries no tags. Only roles whose tags name the env are kept.
async fn env_roles(
    c: &aws_sdk_iam::Client,
    env: &str,
) -> Result<Vec<(Role, HashMap<String, String>)>, KindError> {
    let roles: Vec<Role> = all_pages!(c.list_roles().path_prefix(role_path(env)))?;
    let mut out = Vec::with_capacity(roles.len());
    for role in roles {
        // A path prefix matches `/airgap/<env>-x/` too only if it were not `/`-terminated.
        if role.path() != role_path(env) {
            continue;
        }
        let tm = if role.tags().is_empty() {
            let r: Result<Vec<Tag>, _> = all_pages!(c.list_role_tags().role_name(role.role_name()));
            match r {
                Ok(t) => tag_map(&t, |t| (t.key(), t.value())),
                // Deleted between the two calls.
                Err(e) if e.class == ErrorClass::NotFound => continue,
                Err(e) => return Err(e),
            }
        } else {
            role_tags(&role)
        };
        if tags::owned_id(&tm, env).is_some() {
            out.push((role, tm));
        }
    }
    Ok(out)
}

pub struct IamRole(pub Arc<Iam>);

#[async_trait]
impl Kind for IamRole {
    kind_meta!(IAM_ROLE);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let roles = env_roles(self.0.client(scope)?, env).await?;
        Ok(roles
            .into_iter()
            .filter_map(|(role, tm)| {
                let id = tags::owned_id(&tm, env)?;
                let service =
                    role.assume_role_policy_document().map(trusted_service).unwrap_or_default();
                let spec = IamRoleSpec { name: role.role_name().to_string(), service };
                Some(Observed {
                    id: id.as_str().into(),
                    physical_id: role.arn().to_string(),
                    attrs: spec.to_attrs(),
                    outputs: role_out(&role),
                    parents: Vec::new(),
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = IamRoleSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let name = &spec.name;
        let created = c
            .create_role()
            .role_name(name)
            .path(role_path(&node.env))
            .assume_role_policy_document(trust_policy(&spec.service))
            .description(format!("airgapctl {}: {}", node.env, node.id))
            .set_tags(Some(iam_tags(tags::standard(&node.env, &node.id.0))))
            .send()
            .await;
        let role = match created {
            Ok(o) => o.role,
            // IAM has no client token: the name is the idempotency key. A role of this
            // name that carries this node's tags was made by an interrupted create.
            Err(e) if code_of(&e) == Some("EntityAlreadyExists") => {
                let found = c.get_role().role_name(name).send().await.map_err(classify)?.role;
                ours(
                    "EntityAlreadyExists",
                    &format!("a role named {name} in account {}", node.scope.account),
                    node,
                    &found.as_ref().map(role_tags).unwrap_or_default(),
                    found.as_ref().map_or("", |r| r.arn()),
                )?;
                found
            }
            Err(e) => return Err(classify(e)),
        };
        let role = role.ok_or_else(|| KindError::fatal("NoRole", "CreateRole returned no role"))?;
        Ok(Created { physical_id: role.arn().to_string(), outputs: role_out(&role) })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        // The name forces a replacement: only the trusted service changes in place.
        if changes(change.diff, &["service"]) {
            let spec = IamRoleSpec::from_attrs(&change.node.attrs)?;
            self.0
                .client(&change.node.scope)?
                .update_assume_role_policy()
                .role_name(&spec.name)
                .policy_document(trust_policy(&spec.service))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        // Attached policies make this a DeleteConflict (DependencyViolation): the
        // attachments are deleted first, and the engine retries until they are.
        let spec = IamRoleSpec::from_attrs(&current.attrs)?;
        delete_call(self.0.client(scope)?.delete_role().role_name(spec.name).send()).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let name = s(check.outputs, "id")?;
        let found = lookup(self.0.client(check.scope)?.get_role().role_name(&name).send()).await?;
        // Ready once IAM shows it: EKS may still reject the role for a while
        // (propagation), which the cluster and node group creates retry.
        presence(
            check.op,
            found,
            |o| o.role.as_ref().map(role_out).unwrap_or_else(|| check.outputs.clone()),
            || not_visible_yet(format!("role {name} is not visible yet")),
        )
    }
}

pub struct IamRolePolicy(pub Arc<Iam>);

/// The tag on the role recording an attachment. Tag keys take at most 128 characters
/// of letters, digits and `_.:/=+-@`; other policy ARNs are recorded by hash.
fn attach_key(policy: &str) -> String {
    let plain = format!("{ATTACH_MARK}{policy}");
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_.:/=+-@".contains(c);
    if plain.len() <= 128 && plain.chars().all(allowed) {
        plain
    } else {
        format!("{ATTACH_MARK}{:016x}", airgap_engine::fnv1a(&[policy.as_bytes()]))
    }
}

fn attachment_id(role: &str, policy: &str) -> String {
    format!("{role}#{policy}")
}

#[async_trait]
impl Kind for IamRolePolicy {
    kind_meta!(IAM_ROLE_POLICY);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let mut out = Vec::new();
        for (role, tm) in env_roles(c, env).await? {
            if !tm.keys().any(|k| k.starts_with(ATTACH_MARK)) {
                continue;
            }
            // One call per role that has attachments of ours: IAM lists them per role.
            let attached = all_pages!(c.list_attached_role_policies().role_name(role.role_name()))?;
            for p in attached {
                let Some(arn) = p.policy_arn() else { continue };
                let Some(id) = tm.get(&attach_key(arn)) else {
                    continue;
                };
                let spec =
                    IamRolePolicySpec { role: role.role_name().into(), policy: arn.to_string() };
                out.push(Observed {
                    id: id.as_str().into(),
                    physical_id: attachment_id(role.role_name(), arn),
                    attrs: spec.to_attrs(),
                    outputs: Attrs::new(),
                    parents: vec![role.arn().to_string()],
                });
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = IamRolePolicySpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let (role, policy) = (spec.role.get()?, &spec.policy);
        // Attaching an attached policy succeeds: a retried create is harmless.
        c.attach_role_policy().role_name(role).policy_arn(policy).send().await.map_err(classify)?;
        c.tag_role()
            .role_name(role)
            .set_tags(Some(iam_tags([(attach_key(policy), node.id.0.clone())])))
            .send()
            .await
            .map_err(classify)?;
        Ok(Created { physical_id: attachment_id(role, policy), outputs: Attrs::new() })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let spec = IamRolePolicySpec::from_attrs(&current.attrs)?;
        let c = self.0.client(scope)?;
        let (role, policy) = (spec.role.get()?, &spec.policy);
        delete_call(c.detach_role_policy().role_name(role).policy_arn(policy).send()).await?;
        delete_call(c.untag_role().role_name(role).tag_keys(attach_key(policy)).send()).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let (op, outputs) = (check.op, check.outputs);
        Ok(settled(op, outputs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_policies_read_back_as_their_service() {
        let doc = trust_policy("eks.amazonaws.com");
        assert_eq!(trusted_service(&doc), "eks.amazonaws.com");
        // IAM returns the document URL-encoded.
        let encoded =
            doc.replace('{', "%7B").replace('}', "%7D").replace('"', "%22").replace(':', "%3A");
        assert_eq!(trusted_service(&encoded), "eks.amazonaws.com");
        let quoted = serde_json::Value::String(doc.clone()).to_string();
        assert_eq!(trusted_service(&quoted), "eks.amazonaws.com");
        let other = r#"{"Statement":[{"Effect":"Deny","Principal":{"Service":"x"},"Action":"sts:AssumeRole"}]}"#;
        assert!(trusted_service(other).contains("Deny"));
    }

    #[test]
    fn attachment_marks_fit_iam_tag_keys() {
        let k = attach_key("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy");
        assert_eq!(k, "airgap:attach:arn:aws:iam::aws:policy/AmazonEKSClusterPolicy");
        let long = format!("arn:aws:iam::123456789012:policy/{}", "p".repeat(120));
        assert!(attach_key(&long).len() <= 128);
        assert_ne!(attach_key(&long), attach_key(&format!("{long}x")));
        assert!(attach_key("arn:aws:iam::1:policy/a,b").len() < 40);
    }
}
