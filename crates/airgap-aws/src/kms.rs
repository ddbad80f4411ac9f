//! KMS: the key that envelope-encrypts a cluster's Kubernetes secrets, and its alias.
//!
//! KMS cannot list keys by tag, and `ListKeys` returns neither tags nor descriptions, so
//! observe is `ListKeys` and `ListAliases` (to skip AWS managed keys, `alias/aws/*`),
//! then `ListResourceTags` per remaining key; only the env's keys are described further
//! (`DescribeKey`, `GetKeyRotationStatus`). The Resource Groups Tagging API would find
//! them in one call, but it is one more service to grant and LocalStack does not enable
//! it. A key is deleted by scheduling its deletion with the shortest window KMS allows
//! (7 days); a key pending deletion counts as gone.
//!
//! Aliases cannot be tagged: each is recorded on its key as `airgap:alias:<name>`, and
//! the env's aliases are those under `alias/airgap/<env>/` (one `ListAliases`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use airgap_catalog::spec::{KmsAliasSpec, KmsKeySpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, ErrorClass, Kind, KindError, Observed, Op, Readiness, Registry,
    Resolved, Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_kms::types::{AliasListEntry, KeyMetadata, KeyState, Tag};

use crate::clients::PerScope;
use crate::ec2::kind_meta;
use crate::errors::{classify, code_of, found};
use crate::kit::{
    all_pages, call_unless_already, changes, lookup, not_visible_yet, on_fresh, presence, s,
    send_once, tag_map,
};
use crate::tags;

pub type Kms = PerScope<aws_sdk_kms::Client>;

pub const ALIAS_MARK: &str = "airgap:alias:";
/// The shortest pending window KMS accepts.
pub const DELETION_WINDOW_DAYS: i32 = 7;

pub fn register(registry: &mut Registry, kms: &Arc<Kms>) {
    registry
        .register(Arc::new(KmsKey(Arc::clone(kms))))
        .register(Arc::new(KmsAlias(Arc::clone(kms))));
}

/// The prefix of the env's alias names.
pub fn alias_prefix(env: &str) -> String {
    format!("alias/airgap/{env}/")
}

fn kms_tags(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<Tag> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok())
        .collect()
}

fn kms_tag_map(t: &[Tag]) -> HashMap<String, String> {
    tag_map(t, |t| (t.tag_key(), t.tag_value()))
}

fn gone_state(st: Option<&KeyState>) -> bool {
    matches!(st, Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion))
}

fn key_out(m: &KeyMetadata) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(m.key_id())),
        ("arn".to_string(), Value::str(m.arn().unwrap_or_default())),
    ])
}

async fn aliases(c: &aws_sdk_kms::Client) -> Result<Vec<AliasListEntry>, KindError> {
    all_pages!(c.list_aliases())
}

/// A key's tags; None for a key this caller may not read or that is gone.
async fn key_tags(
    c: &aws_sdk_kms::Client,
    key: &str,
) -> Result<Option<HashMap<String, String>>, KindError> {
    let r: Result<Vec<Tag>, KindError> = all_pages!(c.list_resource_tags().key_id(key));
    match r {
        // Another team's key whose policy does not let us in: not ours either way.
        Err(e) if e.code == "AccessDeniedException" => Ok(None),
        r => Ok(found(r)?.map(|t| kms_tag_map(&t))),
    }
}

/// The env's keys (not pending deletion) with their metadata and tags.
async fn env_keys(
    c: &aws_sdk_kms::Client,
    env: &str,
) -> Result<Vec<(KeyMetadata, HashMap<String, String>)>, KindError> {
    let keys = all_pages!(c.list_keys())?;
    let aws_managed: HashSet<String> = aliases(c)
        .await?
        .into_iter()
        .filter(|a| a.alias_name().is_some_and(|n| n.starts_with("alias/aws/")))
        .filter_map(|a| a.target_key_id().map(str::to_string))
        .collect();
    let mut out = Vec::new();
    for k in keys {
        let Some(id) = k.key_id() else { continue };
        if aws_managed.contains(id) {
            continue;
        }
        let Some(tm) = key_tags(c, id).await? else {
            continue;
        };
        if tags::owned_id(&tm, env).is_none() {
            continue;
        }
        let meta = lookup(c.describe_key().key_id(id).send()).await?.and_then(|o| o.key_metadata);
        if let Some(m) = meta.filter(|m| !gone_state(m.key_state())) {
            out.push((m, tm));
        }
    }
    Ok(out)
}

pub struct KmsKey(pub Arc<Kms>);

#[async_trait]
impl Kind for KmsKey {
    kind_meta!(KMS_KEY);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let mut out = Vec::new();
        for (m, tm) in env_keys(c, env).await? {
            let Some(id) = tags::owned_id(&tm, env) else {
                continue;
            };
            let rotation = c
                .get_key_rotation_status()
                .key_id(m.key_id())
                .send()
                .await
                .map_err(classify)?
                .key_rotation_enabled;
            let spec = KmsKeySpec {
                description: m.description().unwrap_or_default().to_string(),
                rotation,
            };
            out.push(Observed {
                id: id.as_str().into(),
                physical_id: m.arn().unwrap_or(m.key_id()).to_string(),
                attrs: spec.to_attrs(),
                outputs: key_out(&m),
                parents: Vec::new(),
            });
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = KmsKeySpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        // KMS has no client token: look for this node's key first, so a retried create
        // (the first one's answer lost) adopts it instead of making a second key.
        let existing = env_keys(c, &node.env).await?.into_iter().find(|(m, tm)| {
            tags::owned_id(tm, &node.env).as_deref() == Some(node.id.0.as_str())
                && node.replaces.as_deref() != m.arn()
        });
        let meta = match existing {
            Some((m, _)) => m,
            None => send_once!(
                aws_sdk_kms,
                c.create_key()
                    .description(&spec.description)
                    .set_tags(Some(kms_tags(tags::standard(&node.env, &node.id.0))))
            )?
            .key_metadata
            .ok_or_else(|| KindError::fatal("NoKey", "CreateKey returned no key"))?,
        };
        if spec.rotation {
            // The key may be moments old: KMS may not know its id everywhere yet.
            on_fresh(|| async {
                c.enable_key_rotation().key_id(meta.key_id()).send().await.map_err(classify)
            })
            .await?;
        }
        Ok(Created {
            physical_id: meta.arn().unwrap_or(meta.key_id()).to_string(),
            outputs: key_out(&meta),
        })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let spec = KmsKeySpec::from_attrs(&change.node.attrs)?;
        let c = self.0.client(&change.node.scope)?;
        let key = s(&change.current.outputs, "id")?;
        if changes(change.diff, &["description"]) {
            c.update_key_description()
                .key_id(&key)
                .description(&spec.description)
                .send()
                .await
                .map_err(classify)?;
        }
        if changes(change.diff, &["rotation"]) && spec.rotation {
            c.enable_key_rotation().key_id(&key).send().await.map_err(classify)?;
        } else if changes(change.diff, &["rotation"]) {
            c.disable_key_rotation().key_id(&key).send().await.map_err(classify)?;
        }
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let r = c
            .schedule_key_deletion()
            .key_id(&current.physical_id)
            .pending_window_in_days(DELETION_WINDOW_DAYS)
            .send()
            .await;
        match r {
            // KMSInvalidStateException answers a key already pending deletion and one in
            // a state that cannot be scheduled (PendingImport, Unavailable, Creating) alike
            // (ScheduleKeyDeletion, KMS API reference): the key's state tells them apart.
            Err(e) if code_of(&e) == Some("KMSInvalidStateException") => {
                let state = c
                    .describe_key()
                    .key_id(&current.physical_id)
                    .send()
                    .await
                    .map_err(classify)?
                    .key_metadata
                    .and_then(|m| m.key_state);
                match state {
                    Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion) => Ok(()),
                    Some(KeyState::Creating | KeyState::Updating) => Err(KindError::new(
                        ErrorClass::Conflict,
                        "KMSInvalidStateException",
                        format!("key {} is being created or updated", current.physical_id),
                    )),
                    other => Err(KindError::fatal(
                        "KMSInvalidStateException",
                        format!(
                            "key {} cannot be scheduled for deletion in state {}",
                            current.physical_id,
                            other.as_ref().map_or("unknown", |s| s.as_str())
                        ),
                    )),
                }
            }
            r => call_unless_already(std::future::ready(r), &[]).await,
        }
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let r = self
            .0
            .client(check.scope)?
            .describe_key()
            .key_id(check.physical_id)
            .send()
            .await
            .map_err(classify);
        let meta = match r {
            Ok(o) => o.key_metadata,
            Err(e) if e.class == ErrorClass::NotFound && check.op == Op::Delete => None,
            Err(e) => return Err(e),
        };
        let state = meta.as_ref().and_then(|m| m.key_state().cloned());
        Ok(match (check.op, state) {
            (Op::Delete, None) => Readiness::Gone,
            (Op::Delete, Some(st)) if gone_state(Some(&st)) => Readiness::Gone,
            (Op::Delete, Some(st)) => Readiness::Pending(st.as_str().to_string()),
            (_, Some(KeyState::Enabled)) => Readiness::Ready(
                meta.as_ref().map(key_out).unwrap_or_else(|| check.outputs.clone()),
            ),
            (_, Some(st)) => Readiness::Pending(st.as_str().to_string()),
            (_, None) => Readiness::Pending("creating".into()),
        })
    }
}

pub struct KmsAlias(pub Arc<Kms>);

/// The tag on the key recording its alias; KMS tag keys take at most 128 characters.
fn alias_key(alias: &str) -> String {
    let plain = format!("{ALIAS_MARK}{alias}");
    if plain.len() <= 128 {
        plain
    } else {
        format!("{ALIAS_MARK}{:016x}", airgap_engine::fnv1a(&[alias.as_bytes()]))
    }
}

/// `arn:aws:kms:<region>:<account>:alias/x` -> the ARN of key `id` in the same place.
fn key_arn_beside(alias_arn: &str, key_id: &str) -> String {
    match alias_arn.split_once(":alias/") {
        Some((prefix, _)) => format!("{prefix}:key/{key_id}"),
        None => key_id.to_string(),
    }
}

fn alias_out(arn: &str, name: &str) -> Attrs {
    Attrs::from([("id".to_string(), Value::str(name)), ("arn".to_string(), Value::str(arn))])
}

#[async_trait]
impl Kind for KmsAlias {
    kind_meta!(KMS_ALIAS);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let prefix = alias_prefix(env);
        let mut out = Vec::new();
        let mut tags_of: HashMap<String, Option<HashMap<String, String>>> = HashMap::new();
        for a in aliases(c).await? {
            let (Some(name), Some(arn), Some(key)) =
                (a.alias_name(), a.alias_arn(), a.target_key_id())
            else {
                continue;
            };
            if !name.starts_with(&prefix) {
                continue;
            }
            if !tags_of.contains_key(key) {
                let t = key_tags(c, key).await?;
                tags_of.insert(key.to_string(), t);
            }
            let Some(Some(tm)) = tags_of.get(key) else {
                continue;
            };
            if tags::owned_id(tm, env).is_none() {
                continue;
            }
            let Some(id) = tm.get(&alias_key(name)) else {
                continue;
            };
            let key_arn = key_arn_beside(arn, key);
            let spec = KmsAliasSpec { name: name.to_string(), key: key.into() };
            out.push(Observed {
                id: id.as_str().into(),
                physical_id: arn.to_string(),
                attrs: spec.to_attrs(),
                outputs: alias_out(arn, name),
                parents: vec![key_arn],
            });
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = KmsAliasSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let (name, key) = (&spec.name, spec.key.get()?);
        // The mark first: an alias is found through its key's tags.
        mark(c, key, name, node).await?;
        match c.create_alias().alias_name(name).target_key_id(key).send().await {
            Ok(_) => {}
            // Alias names are unique per account and region: the name is the
            // idempotency key, adopted when it already points at this key.
            Err(e) if code_of(&e) == Some("AlreadyExistsException") => {
                let target = aliases(c)
                    .await?
                    .into_iter()
                    .find(|a| a.alias_name() == Some(name.as_str()))
                    .and_then(|a| a.target_key_id().map(str::to_string));
                if target.as_deref() != Some(key) {
                    return Err(KindError::fatal(
                        "AlreadyExistsException",
                        format!("the alias {name} exists and points at another key"),
                    ));
                }
            }
            Err(e) => return Err(classify(e)),
        }
        let arn = format!(
            "arn:{}:kms:{}:{}:{name}",
            crate::kit::partition(&node.scope.region),
            node.scope.region,
            node.scope.account
        );
        Ok(Created { outputs: alias_out(&arn, name), physical_id: arn })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        // The name forces a replacement: only the target key changes in place (point
        // the alias, and move the mark).
        if !changes(change.diff, &["key"]) {
            return Ok(change.done());
        }
        let spec = KmsAliasSpec::from_attrs(&change.node.attrs)?;
        let c = self.0.client(&change.node.scope)?;
        let (name, key) = (&spec.name, spec.key.get()?);
        mark(c, key, name, change.node).await?;
        c.update_alias().alias_name(name).target_key_id(key).send().await.map_err(classify)?;
        if let Ok(old) = KmsAliasSpec::from_attrs(&change.current.attrs) {
            untag_quietly(c, old.key.get()?, name).await?;
        }
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let spec = KmsAliasSpec::from_attrs(&current.attrs)?;
        let c = self.0.client(scope)?;
        call_unless_already(c.delete_alias().alias_name(&spec.name).send(), &[]).await?;
        untag_quietly(c, spec.key.get()?, &spec.name).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let name = s(check.outputs, "id")?;
        let found = aliases(self.0.client(check.scope)?)
            .await?
            .into_iter()
            .any(|a| a.alias_name() == Some(name.as_str()));
        presence(
            check.op,
            found.then_some(()),
            |_| check.outputs.clone(),
            || not_visible_yet(format!("alias {name} is not visible yet")),
        )
    }
}

/// Removes an alias mark from a key; a key that is gone or pending deletion (KMS
/// refuses to untag it) no longer matters.
async fn untag_quietly(c: &aws_sdk_kms::Client, key: &str, alias: &str) -> Result<(), KindError> {
    call_unless_already(
        c.untag_resource().key_id(key).tag_keys(alias_key(alias)).send(),
        &["KMSInvalidStateException"],
    )
    .await
}

/// Records on the key which node the alias `name` is (an alias cannot be tagged).
async fn mark(
    c: &aws_sdk_kms::Client,
    key: &str,
    name: &str,
    node: &Resolved,
) -> Result<(), KindError> {
    c.tag_resource()
        .key_id(key)
        .set_tags(Some(kms_tags([(alias_key(name), node.id.0.clone())])))
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_helpers() {
        assert_eq!(
            key_arn_beside("arn:aws:kms:eu-central-1:1:alias/airgap/demo/apps", "k-1"),
            "arn:aws:kms:eu-central-1:1:key/k-1"
        );
        assert_eq!(alias_key("alias/airgap/demo/apps"), "airgap:alias:alias/airgap/demo/apps");
        assert!(alias_key(&format!("alias/{}", "a".repeat(200))).len() <= 128);
    }
}
