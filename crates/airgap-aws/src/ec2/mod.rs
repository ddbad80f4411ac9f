//! EC2 kinds: networking (VPCs, subnets, routing, gateways), security groups, the
//! transit gateway family and VPC endpoints.

mod blockers;
mod endpoint;
mod launch_template;
mod net;
mod routing;
mod sg;
mod tgw;
mod tgw_accept;

use std::collections::HashMap;
use std::sync::Arc;

use airgap_engine::{Attrs, KindError, Registry, Value};
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use crate::tags;

pub use blockers::{k8s_cluster, Blockers, Elb, Held};
pub use endpoint::{GatewayEndpoint, InterfaceEndpoint};
pub use launch_template::LaunchTemplate;
pub use net::{ElasticIp, InternetGateway, NatGateway, Subnet, Vpc};
pub use routing::{Route, RouteTable, RouteTableAssociation};
pub use sg::{SecurityGroup, SecurityGroupRule};
pub use tgw::{
    TgwAssociation, TgwAttachment, TgwPropagation, TgwRoute, TgwRouteTable, TransitGateway,
};
pub use tgw_accept::TgwAttachmentAccepter;

/// EC2 clients per account and region.
pub type Ec2 = crate::clients::PerScope<aws_sdk_ec2::Client>;

/// Every EC2 kind, sharing the clients; VPCs, subnets and groups also share the
/// blocker search their deletes fall back on.
pub fn register(registry: &mut Registry, ec2: &Arc<Ec2>, blockers: &Arc<Blockers>) {
    let e = || Arc::clone(ec2);
    let b = || Arc::clone(blockers);
    registry
        .register(Arc::new(Vpc(e(), b())))
        .register(Arc::new(Subnet(e(), b())))
        .register(Arc::new(InternetGateway(e())))
        .register(Arc::new(ElasticIp(e())))
        .register(Arc::new(NatGateway(e())))
        .register(Arc::new(RouteTable(e())))
        .register(Arc::new(RouteTableAssociation(e())))
        .register(Arc::new(Route(e())))
        .register(Arc::new(SecurityGroup(e(), b())))
        .register(Arc::new(SecurityGroupRule(e())))
        .register(Arc::new(TransitGateway(e())))
        .register(Arc::new(TgwRouteTable(e())))
        .register(Arc::new(TgwAttachment(e())))
        .register(Arc::new(TgwAssociation(e())))
        .register(Arc::new(TgwPropagation(e())))
        .register(Arc::new(TgwRoute(e())))
        .register(Arc::new(TgwAttachmentAccepter(e())))
        .register(Arc::new(GatewayEndpoint(e())))
        .register(Arc::new(InterfaceEndpoint(e())))
        .register(Arc::new(LaunchTemplate(e())));
}

/// The timing and rate-limit bucket of a kind come from the engine's catalogue (the
/// same figures the simulator and the benchmarks use).
macro_rules! kind_meta {
    ($name:literal) => {
        fn name(&self) -> &'static str {
            $name
        }
        fn timing(&self) -> airgap_engine::Timing {
            $crate::ec2::spec($name).timing
        }
        fn bucket(&self, _op: airgap_engine::Op) -> &'static str {
            $crate::ec2::spec($name).bucket
        }
        fn read_bucket(&self) -> &'static str {
            $crate::ec2::spec($name).read_bucket
        }
    };
}
pub(crate) use kind_meta;

pub(crate) fn spec(name: &str) -> &'static airgap_catalog::KindFacts {
    airgap_catalog::get(name).expect("every AWS kind is in the catalogue")
}

pub(crate) fn env_filter(env: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{}", tags::ENV))
        .values(env)
        .build()
}

pub(crate) fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    let mut f = Filter::builder().name(name);
    for v in values {
        f = f.values(v);
    }
    f.build()
}

pub(crate) fn tag_spec(rt: ResourceType, env: &str, id: &str) -> TagSpecification {
    let mut s = TagSpecification::builder().resource_type(rt);
    for (k, v) in tags::standard(env, id) {
        s = s.tags(Tag::builder().key(k).value(v).build());
    }
    s.build()
}

pub(crate) fn tag_map(tags: &[Tag]) -> HashMap<String, String> {
    tags::to_map(tags.iter().map(|t| (t.key(), t.value())))
}

/// Lookup filters for one node's resource: before a create that has no client token,
/// so a retried create adopts what an interrupted one made.
pub(crate) fn owned_filters(env: &str, id: &str) -> Vec<Filter> {
    vec![env_filter(env), filter(&format!("tag:{}", tags::ID), [id])]
}

/// Right after a create, Describe may not show the resource yet: NotFound, which the
/// engine's grace period covers.
pub(crate) fn not_visible(id: &str) -> KindError {
    KindError::new(
        airgap_engine::ErrorClass::NotFound,
        "NotVisibleYet",
        format!("{id} is not visible yet"),
    )
}

/// Whether a resource found by a lookup is this node's: the tags are checked here as
/// well, since not every EC2 implementation applies tag filters server-side.
pub(crate) fn is_node(tags: &[Tag], node: &airgap_engine::Resolved) -> bool {
    tags::owned_id(&tag_map(tags), &node.env).as_deref() == Some(node.id.0.as_str())
}

/// Attribute accessors on resolved attributes; a missing or mistyped one is a bug in
/// the expansion, reported as fatal.
pub(crate) fn s(attrs: &Attrs, key: &str) -> Result<String, KindError> {
    match attrs.get(key) {
        Some(Value::Str(v)) => Ok(v.clone()),
        other => Err(bad_attr(key, other)),
    }
}

pub(crate) fn opt_s(attrs: &Attrs, key: &str) -> Option<String> {
    attrs.get(key).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn b(attrs: &Attrs, key: &str, default: bool) -> bool {
    match attrs.get(key) {
        Some(Value::Bool(v)) => *v,
        _ => default,
    }
}

pub(crate) fn list(attrs: &Attrs, key: &str) -> Result<Vec<String>, KindError> {
    match attrs.get(key) {
        Some(Value::List(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad_attr(key, Some(v)))
            })
            .collect(),
        None => Ok(Vec::new()),
        other => Err(bad_attr(key, other)),
    }
}

fn bad_attr(key: &str, v: Option<&Value>) -> KindError {
    KindError::fatal(
        "BadAttribute",
        format!("attribute {key} is missing or of the wrong type: {v:?}"),
    )
}

/// A sorted list of ids: AWS returns members in no particular order.
pub(crate) fn id_set(ids: impl IntoIterator<Item = impl Into<String>>) -> Value {
    let mut v: Vec<String> = ids.into_iter().map(Into::into).collect();
    v.sort();
    v.dedup();
    Value::List(v.into_iter().map(Value::Str).collect())
}

/// Desired attributes with their id lists sorted like [`id_set`], for comparison.
pub(crate) fn sorted_lists(attrs: &Attrs, keys: &[&str]) -> Attrs {
    let mut a = attrs.clone();
    for k in keys {
        if let Some(Value::List(items)) = a.get_mut(*k) {
            if items.iter().all(|v| v.as_str().is_some()) {
                items.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
                items.dedup();
            }
        }
    }
    a
}

/// Outputs that carry only an id.
pub(crate) fn id_out(id: &str) -> Attrs {
    Attrs::from([("id".to_string(), Value::str(id))])
}

/// A policy document in a canonical form (parsed and re-serialized with sorted keys),
/// so formatting differences between the blueprint and AWS are not drift. AWS returns
/// endpoint policies as JSON, sometimes URL-encoded, and without their `Version`
/// (LocalStack does the same, for parity), so the version is left out of the comparison.
pub(crate) fn canonical_policy(doc: &str) -> String {
    let decoded = if doc.trim_start().starts_with('%') || doc.contains("%22") {
        percent_decode(doc)
    } else {
        doc.to_string()
    };
    match serde_json::from_str::<serde_json::Value>(&decoded) {
        Ok(mut v) => {
            if let Some(m) = v.as_object_mut() {
                m.remove("Version");
            }
            sorted_json(&v)
        }
        Err(_) => decoded,
    }
}

/// JSON text with object keys sorted at every level, whatever map order serde_json
/// was built with.
fn sorted_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::Value::String(k.clone()),
                        sorted_json(&m[k])
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        serde_json::Value::Array(a) => {
            format!(
                "[{}]",
                a.iter().map(sorted_json).collect::<Vec<_>>().join(",")
            )
        }
        other => other.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard tags missing or altered on a resource, recorded by observe as the
/// `tagsMissing` attribute so a removed `Name` or manager tag shows as drift.
pub(crate) fn missing_tags(
    tags: &HashMap<String, String>,
    env: &str,
    id: &str,
) -> Option<(String, Value)> {
    let missing: Vec<Value> = tags::standard(env, id)
        .into_iter()
        .filter(|(k, v)| tags.get(k) != Some(v))
        .map(|(k, _)| Value::Str(k))
        .collect();
    (!missing.is_empty()).then(|| ("tagsMissing".to_string(), Value::List(missing)))
}

/// A kind's own diff plus the tag drift observe found.
pub(crate) fn with_tag_drift(
    mut diff: airgap_engine::Diff,
    observed: &airgap_engine::Observed,
) -> airgap_engine::Diff {
    if let Some(missing) = observed.attrs.get("tagsMissing") {
        diff.changes.push(airgap_engine::FieldChange {
            field: "tags".into(),
            old: Some(missing.clone()),
            new: Value::str("airgap:env, airgap:id, airgap:managed-by, Name"),
            forces_replacement: false,
        });
    }
    diff
}

/// Puts the standard tags back when the diff says some are missing.
pub(crate) async fn retag(
    c: &aws_sdk_ec2::Client,
    diff: &airgap_engine::Diff,
    resource: &str,
    env: &str,
    id: &str,
) -> Result<(), KindError> {
    if !diff.changes.iter().any(|ch| ch.field == "tags") {
        return Ok(());
    }
    let mut req = c.create_tags().resources(resource);
    for (k, v) in tags::standard(env, id) {
        req = req.tags(Tag::builder().key(k).value(v).build());
    }
    req.send().await.map_err(crate::errors::classify)?;
    Ok(())
}

/// Records a sub-resource (route, association) on its parent: `<mark><key>` = id.
pub(crate) async fn mark(
    c: &aws_sdk_ec2::Client,
    parent: &str,
    key: &str,
    id: &str,
) -> Result<(), KindError> {
    c.create_tags()
        .resources(parent)
        .tags(Tag::builder().key(key).value(id).build())
        .send()
        .await
        .map_err(crate::errors::classify)?;
    Ok(())
}

pub(crate) async fn unmark(
    c: &aws_sdk_ec2::Client,
    parent: &str,
    key: &str,
) -> Result<(), KindError> {
    match c
        .delete_tags()
        .resources(parent)
        .tags(Tag::builder().key(key).build())
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => match crate::errors::classify(e) {
            e if e.class == airgap_engine::ErrorClass::NotFound => Ok(()),
            e => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_compare_by_content() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
        let b = "{\n  \"Statement\": [ {\"Resource\":\"*\", \"Action\":\"s3:GetObject\",\"Principal\":\"*\",\"Effect\":\"Allow\"}],\n \"Version\": \"2012-10-17\"}";
        assert_eq!(canonical_policy(a), canonical_policy(b));
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(canonical_policy(encoded), r#"{"Statement":[]}"#);
        // Described endpoint policies come back without their version.
        let unversioned = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
        assert_eq!(canonical_policy(a), canonical_policy(unversioned));
    }

    #[test]
    fn id_lists_compare_as_sets() {
        let desired = Attrs::from([(
            "subnets".to_string(),
            Value::List(vec![Value::str("subnet-b"), Value::str("subnet-a")]),
        )]);
        let sorted = sorted_lists(&desired, &["subnets"]);
        assert_eq!(sorted["subnets"], id_set(["subnet-a", "subnet-b"]));
    }
}
