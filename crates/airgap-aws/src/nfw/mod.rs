//! AWS Network Firewall: stateful rule groups (a domain allowlist, or Suricata rules),
//! the firewall policy, and the firewall with its per-AZ endpoints and logging.
//!
//! Names are unique per account, region and type, so they are derived from the env and
//! the node (`airgap-<env>-<node>`, see [`resource_name`]) and a create looks the name
//! up first: Network Firewall has no client tokens.
//!
//! The List calls return names and ARNs only (no tags, no tag filter), so observe lists
//! each type once and describes only the resources whose name carries the env's prefix,
//! one Describe each (the firewall also one DescribeLoggingConfiguration): the calls
//! grow with the env's few firewall resources, not with the account. The env tag is
//! checked on what the Describe returns.
//!
//! Updates carry the resource's UpdateToken, read just before; a token made stale by a
//! concurrent change fails with InvalidTokenException (a Conflict), and the engine's
//! retry reads the resource again.

mod firewall;
mod policy;
mod rule_group;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use airgap_engine::{
    Attrs, Change, Created, Diff, KindError, Observed, Op, Readiness, Registry, Resolved, Updated,
    Value,
};
use aws_sdk_networkfirewall::error::{BuildError, ProvideErrorMetadata, SdkError};
use aws_sdk_networkfirewall::types::{ResourceStatus, Tag};

use airgap_catalog::names::{fit, NFW_NAME};

use crate::clients::PerScope;
use crate::errors::classify;
use crate::kit::{self, missing_tags};
use crate::tags;

pub(crate) use firewall::log_groups;
pub use firewall::Firewall;
pub(crate) use policy::policy_spec;
pub use policy::NfwPolicy;
pub(crate) use rule_group::rule_group_spec;
pub use rule_group::NfwRuleGroup;

pub type Nfw = PerScope<aws_sdk_networkfirewall::Client>;

pub fn register(registry: &mut Registry, nfw: &Arc<Nfw>) {
    registry
        .register(Arc::new(NfwRuleGroup(Arc::clone(nfw))))
        .register(Arc::new(NfwPolicy(Arc::clone(nfw))))
        .register(Arc::new(Firewall(Arc::clone(nfw))));
}

fn dashed(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}

/// The names of the env's resources start with this.
pub fn name_prefix(env: &str) -> String {
    format!("airgap-{}-", dashed(env))
}

/// `airgap-<env>-<node>`. A create-before-destroy replacement needs a name of its own
/// while the old one still exists: it gets a suffix from its spec (`Resolved::replaces`).
pub fn resource_name(node: &Resolved) -> String {
    let base = format!("{}{}", name_prefix(&node.env), dashed(&node.id.0));
    match &node.replaces {
        None => fit(&base, NFW_NAME),
        Some(_) => {
            let suffix = format!("-{:08x}", node.spec_hash() as u32);
            format!("{}{suffix}", fit(&base, NFW_NAME - suffix.len()))
        }
    }
}

fn build_err(e: BuildError) -> KindError {
    KindError::fatal("BuildError", e.to_string())
}

fn nfw_tags(env: &str, id: &str) -> Result<Vec<Tag>, KindError> {
    tags::standard(env, id)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_err))
        .collect()
}

pub(crate) fn tag_map(t: &[Tag]) -> HashMap<String, String> {
    kit::tag_map(t, |t| (t.key(), t.value()))
}

fn arn_out(arn: &str, name: &str) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(arn)),
        ("arn".to_string(), Value::str(arn)),
        ("name".to_string(), Value::str(name)),
    ])
}

/// The (name, ARN) pairs of a List answer that may be the env's: those named under its
/// prefix. The List calls return no tags, so only these are described.
fn candidates<'a>(
    env: &str,
    listed: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> Vec<(String, String)> {
    let prefix = name_prefix(env);
    listed
        .into_iter()
        .filter_map(|(name, arn)| Some((name?.to_string(), arn?.to_string())))
        .filter(|(name, _)| name.starts_with(&prefix))
        .collect()
}

/// A described resource as observed, when its tags name a node of the env (checked
/// here, whatever the name said), with the standard tags it lacks as drift.
fn observed(
    env: &str,
    t: &HashMap<String, String>,
    arn: &str,
    mut attrs: Attrs,
    outputs: Attrs,
    parents: Vec<String>,
) -> Option<Observed> {
    let id = tags::owned_id(t, env)?;
    attrs.extend(missing_tags(t, env, &id));
    Some(Observed { id: id.as_str().into(), physical_id: arn.to_string(), attrs, outputs, parents })
}

/// A create found a resource by the node's name: what an interrupted create made is
/// adopted; one of another node or env, or the instance a replacement replaces, never.
fn ours(
    what: &str,
    name: &str,
    node: &Resolved,
    t: &HashMap<String, String>,
    arn: &str,
) -> Result<(), KindError> {
    kit::ours("NameTaken", &format!("{what} {name}"), node, t, arn)
}

fn arn_created(arn: &str, name: &str) -> Created {
    Created { physical_id: arn.to_string(), outputs: arn_out(arn, name) }
}

/// [`ours`], adopted.
fn adopt(
    what: &str,
    name: &str,
    node: &Resolved,
    t: &HashMap<String, String>,
    arn: &str,
) -> Result<Created, KindError> {
    ours(what, name, node, t, arn).map(|()| arn_created(arn, name))
}

/// Puts the standard tags back when the diff says some are missing.
async fn retag(
    c: &aws_sdk_networkfirewall::Client,
    diff: &Diff,
    arn: &str,
    node: &Resolved,
) -> Result<(), KindError> {
    if !kit::changes(diff, &["tags"]) {
        return Ok(());
    }
    c.tag_resource()
        .resource_arn(arn)
        .set_tags(Some(nfw_tags(&node.env, &node.id.0)?))
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}

/// The update of a rule group or policy: the standard tags put back when the diff says
/// some are missing, and the body replaced when anything else differs, with the token
/// of the resource as it is now (`read`, sent only then). A token made stale by a
/// concurrent change is a Conflict, retried by the engine with a fresh read.
#[allow(clippy::too_many_arguments)] // the two calls and how to get from one to the other
async fn update_with_token<D, U, E1, R1, E2, R2, F>(
    c: &aws_sdk_networkfirewall::Client,
    change: Change<'_>,
    read: impl Future<Output = Result<D, SdkError<E1, R1>>>,
    token: fn(&D) -> &str,
    update: impl FnOnce(String) -> F,
) -> Result<Updated, KindError>
where
    F: Future<Output = Result<U, SdkError<E2, R2>>>,
    E1: ProvideErrorMetadata + std::error::Error + 'static,
    E2: ProvideErrorMetadata + std::error::Error + 'static,
    R1: std::fmt::Debug,
    R2: std::fmt::Debug,
{
    retag(c, change.diff, &change.current.physical_id, change.node).await?;
    if change.diff.changes.iter().any(|ch| ch.field != "tags") {
        let t = token(&read.await.map_err(classify)?).to_string();
        update(t).await.map_err(classify)?;
    }
    Ok(change.done())
}

fn status_str(st: Option<&ResourceStatus>) -> String {
    st.map_or("active", |s| s.as_str()).to_ascii_lowercase()
}

/// Readiness of a rule group or policy from its status (None: not found).
fn ready_from_status(
    op: Op,
    status: Option<String>,
    physical_id: &str,
    outputs: &Attrs,
) -> Result<Readiness, KindError> {
    Ok(match (op, status.as_deref()) {
        (Op::Delete, None) => Readiness::Gone,
        (Op::Delete, Some(st)) => Readiness::Pending(st.to_string()),
        (_, Some("active")) => Readiness::Ready(outputs.clone()),
        (_, Some(st)) => Readiness::Pending(st.to_string()),
        (_, None) => return Err(crate::kit::not_visible_yet(physical_id)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use airgap_engine::Scope;

    fn node(env: &str, id: &str) -> Resolved {
        Resolved {
            env: env.into(),
            id: id.into(),
            scope: Scope::new("1", "r"),
            attrs: Attrs::new(),
            replaces: None,
        }
    }

    #[test]
    fn names_carry_the_env_and_node_in_allowed_characters() {
        let n = node("hub_spoke", "firewall/rules/domains");
        assert_eq!(resource_name(&n), "airgap-hub-spoke-firewall-rules-domains");
        assert!(resource_name(&n).starts_with(&name_prefix("hub_spoke")));
        let long = node(&"e".repeat(64), &"x/".repeat(60));
        let name = resource_name(&long);
        assert_eq!(name.len(), NFW_NAME);
        assert!(name.starts_with(&name_prefix(&"e".repeat(64))));
        // A replacement exists beside the old one: another name, same prefix.
        let mut r = node("demo", "firewall/policy");
        r.replaces = Some("arn:old".into());
        let name = resource_name(&r);
        assert_ne!(name, "airgap-demo-firewall-policy");
        assert!(name.starts_with("airgap-demo-firewall-policy-"));
    }

    pub(super) fn observed(attrs: Attrs) -> Observed {
        Observed {
            id: "firewall/rules/domains".into(),
            physical_id: "arn:rg".into(),
            attrs,
            outputs: Attrs::new(),
            parents: vec![],
        }
    }
}
