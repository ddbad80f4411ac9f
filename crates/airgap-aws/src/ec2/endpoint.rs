//! VPC endpoints: gateway (S3, DynamoDB; route table associations) and interface
//! (subnets, security groups, private DNS), both with optional endpoint policies.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, State, VpcEndpointType};

use super::{env_filter, kind_meta, not_visible, retag, tag_map, tag_spec, Ec2};
use crate::errors::{classify, found, unless_gone};
use crate::kit::{
    all_pages, b, canonical_policy, created, id_out, id_set, list, missing_tags, opt_s, s,
    sorted_lists, with_tag_drift,
};
use crate::tags;

/// The endpoint's state in lower case: the API documents `Available`, but EC2 (and
/// LocalStack) answer `available`, which the SDK's enum does not recognise.
pub(crate) fn state_of(st: Option<&State>) -> String {
    st.map_or("pending", |s| s.as_str()).to_ascii_lowercase()
}

/// Deleted or on its way (its interfaces are going too), or never usable.
pub(crate) fn gone(st: Option<&State>) -> bool {
    matches!(
        state_of(st).as_str(),
        "deleted" | "deleting" | "failed" | "rejected" | "expired"
    )
}

/// The policy an endpoint gets when it is created without one: full access. AWS
/// writes it with `"Version": "2008-10-17"`, LocalStack without a version.
const DEFAULT_POLICY: &str = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// An observed policy in canonical form; the default one, with or without its version,
/// as [`DEFAULT_POLICY`].
fn observed_policy(doc: &str) -> String {
    let c = canonical_policy(doc);
    let unversioned =
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    if c == canonical_policy(unversioned) {
        canonical_policy(DEFAULT_POLICY)
    } else {
        c
    }
}

/// The env's endpoints of one type.
async fn observe(
    ec2: &Ec2,
    env: &str,
    scope: &Scope,
    ty: VpcEndpointType,
) -> Result<Vec<Observed>, KindError> {
    let eps = all_pages!(ec2
        .client(scope)?
        .describe_vpc_endpoints()
        .filters(env_filter(env)))?;
    Ok(eps
        .into_iter()
        .filter(|e| e.vpc_endpoint_type() == Some(&ty) && !gone(e.state()))
        .filter_map(|e| {
            let tm = tag_map(e.tags());
            let id = tags::owned_id(&tm, env)?;
            let ep = e.vpc_endpoint_id()?.to_string();
            let vpc = e.vpc_id().unwrap_or_default().to_string();
            let mut attrs = Attrs::from([
                ("vpc".to_string(), Value::str(vpc.as_str())),
                (
                    "service".to_string(),
                    Value::str(e.service_name().unwrap_or_default()),
                ),
            ]);
            if let Some(p) = e.policy_document() {
                attrs.insert("policy".into(), Value::Str(observed_policy(p)));
            }
            let mut parents = vec![vpc];
            match ty {
                VpcEndpointType::Gateway => {
                    attrs.insert(
                        "routeTables".into(),
                        id_set(e.route_table_ids().iter().cloned()),
                    );
                    parents.extend(e.route_table_ids().iter().cloned());
                }
                _ => {
                    attrs.insert("subnets".into(), id_set(e.subnet_ids().iter().cloned()));
                    let groups = e
                        .groups()
                        .iter()
                        .filter_map(|g| g.group_id().map(str::to_string));
                    let groups: Vec<String> = groups.collect();
                    attrs.insert("securityGroups".into(), id_set(groups.iter().cloned()));
                    attrs.insert(
                        "privateDns".into(),
                        Value::Bool(e.private_dns_enabled().unwrap_or(false)),
                    );
                    parents.extend(e.subnet_ids().iter().cloned());
                    parents.extend(groups);
                }
            }
            attrs.extend(missing_tags(&tm, env, &id));
            Some(Observed {
                id: id.as_str().into(),
                attrs,
                outputs: id_out(&ep),
                physical_id: ep,
                parents,
            })
        })
        .collect())
}

/// Desired attributes in observe's form: id lists as sets, the policy canonical. No
/// policy in the blueprint means the default one, so a policy set outside is drift.
fn comparable(desired: &Attrs, observed: &Attrs, lists: &[&str]) -> Attrs {
    let mut d = sorted_lists(desired, lists);
    match d.get("policy") {
        Some(Value::Str(p)) => {
            let c = observed_policy(p);
            d.insert("policy".into(), Value::Str(c));
        }
        None if observed.contains_key("policy") => {
            d.insert(
                "policy".into(),
                Value::Str(canonical_policy(DEFAULT_POLICY)),
            );
        }
        _ => {}
    }
    d
}

async fn create(ec2: &Ec2, node: &Resolved, ty: VpcEndpointType) -> Result<Created, KindError> {
    let a = &node.attrs;
    let mut req = ec2
        .client(&node.scope)?
        .create_vpc_endpoint()
        .client_token(node.client_token())
        .vpc_endpoint_type(ty.clone())
        .vpc_id(s(a, "vpc")?)
        .service_name(s(a, "service")?)
        .set_policy_document(opt_s(a, "policy"))
        .tag_specifications(tag_spec(ResourceType::VpcEndpoint, &node.env, &node.id.0));
    req = match ty {
        VpcEndpointType::Gateway => req.set_route_table_ids(Some(list(a, "routeTables")?)),
        _ => req
            .set_subnet_ids(Some(list(a, "subnets")?))
            .set_security_group_ids(Some(list(a, "securityGroups")?))
            .private_dns_enabled(b(a, "privateDns", true)),
    };
    let out = req.send().await.map_err(classify)?;
    let id = out
        .vpc_endpoint()
        .and_then(|e| e.vpc_endpoint_id())
        .ok_or_else(|| KindError::fatal("NoId", "CreateVpcEndpoint returned no id"))?;
    Ok(created(id))
}

/// Members to add and remove to go from the observed list to the desired one.
fn delta(
    desired: &Attrs,
    observed: &Attrs,
    key: &str,
) -> Result<(Vec<String>, Vec<String>), KindError> {
    let want = list(desired, key)?;
    let have = list(observed, key)?;
    Ok((
        want.iter().filter(|x| !have.contains(x)).cloned().collect(),
        have.iter().filter(|x| !want.contains(x)).cloned().collect(),
    ))
}

fn some_if(v: Vec<String>) -> Option<Vec<String>> {
    (!v.is_empty()).then_some(v)
}

async fn update(
    ec2: &Ec2,
    node: &Resolved,
    current: &Observed,
    diff: &Diff,
    ty: VpcEndpointType,
) -> Result<Attrs, KindError> {
    let c = ec2.client(&node.scope)?;
    retag(c, diff, &current.physical_id, &node.env, &node.id.0).await?;
    if !diff.changes.iter().any(|ch| ch.field != "tags") {
        return Ok(current.outputs.clone());
    }
    let a = &node.attrs;
    let mut req = c
        .modify_vpc_endpoint()
        .vpc_endpoint_id(&current.physical_id);
    if diff.changes.iter().any(|ch| ch.field == "policy") {
        // Back to the default when the blueprint has none (LocalStack ignores ResetPolicy).
        req = req.policy_document(opt_s(a, "policy").unwrap_or_else(|| DEFAULT_POLICY.into()));
    }
    req = match ty {
        VpcEndpointType::Gateway => {
            let (add, remove) = delta(a, &current.attrs, "routeTables")?;
            req.set_add_route_table_ids(some_if(add))
                .set_remove_route_table_ids(some_if(remove))
        }
        _ => {
            let (add, remove) = delta(a, &current.attrs, "subnets")?;
            let (add_sg, remove_sg) = delta(a, &current.attrs, "securityGroups")?;
            req.set_add_subnet_ids(some_if(add))
                .set_remove_subnet_ids(some_if(remove))
                .set_add_security_group_ids(some_if(add_sg))
                .set_remove_security_group_ids(some_if(remove_sg))
                .private_dns_enabled(b(a, "privateDns", true))
        }
    };
    req.send().await.map_err(classify)?;
    Ok(current.outputs.clone())
}

async fn delete(ec2: &Ec2, scope: &Scope, current: &Observed) -> Result<(), KindError> {
    let out = ec2
        .client(scope)?
        .delete_vpc_endpoints()
        .vpc_endpoint_ids(&current.physical_id)
        .send()
        .await;
    match out {
        Ok(o) => match o.unsuccessful().first().and_then(|u| u.error()) {
            // A batch API: per-endpoint failures come back in the body.
            Some(err) => {
                let code = err.code().unwrap_or("Unknown");
                let e = KindError::new(
                    crate::errors::class_of(code, err.message().unwrap_or_default()),
                    code,
                    err.message().unwrap_or_default(),
                );
                if e.class == ErrorClass::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            }
            None => Ok(()),
        },
        Err(e) => unless_gone(classify(e)),
    }
}

async fn ready(
    ec2: &Ec2,
    scope: &Scope,
    op: Op,
    physical_id: &str,
) -> Result<Readiness, KindError> {
    let r = ec2
        .client(scope)?
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(physical_id)
        .send()
        .await
        .map_err(classify);
    let e = found(r)?.and_then(|o| o.vpc_endpoints().first().cloned());
    let Some(e) = e else {
        return if op == Op::Delete {
            Ok(Readiness::Gone)
        } else {
            Err(not_visible(physical_id))
        };
    };
    let state = state_of(e.state());
    match (op, state.as_str()) {
        (Op::Delete, "deleted") => Ok(Readiness::Gone),
        (Op::Delete, st) => Ok(Readiness::Pending(st.to_string())),
        (_, "available") => Ok(Readiness::Ready(id_out(physical_id))),
        (_, st @ ("failed" | "rejected" | "expired")) => Err(KindError::fatal(
            "EndpointFailed",
            format!("endpoint {physical_id} is {st}"),
        )),
        (_, st) => Ok(Readiness::Pending(st.to_string())),
    }
}

pub struct GatewayEndpoint(pub Arc<Ec2>);
pub struct InterfaceEndpoint(pub Arc<Ec2>);

macro_rules! endpoint_kind {
    ($ty:ident, $name:ident, $ep:expr, $lists:expr) => {
        #[async_trait]
        impl Kind for $ty {
            kind_meta!($name);

            fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
                with_tag_drift(
                    Diff::compute(
                        &comparable(desired, &observed.attrs, $lists),
                        &observed.attrs,
                        self.facts().replace_fields,
                    ),
                    observed,
                )
            }

            async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
                observe(&self.0, env, scope, $ep).await
            }

            async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
                create(&self.0, node, $ep).await
            }

            async fn update(
                &self,
                node: &Resolved,
                current: &Observed,
                diff: &Diff,
            ) -> Result<Attrs, KindError> {
                update(&self.0, node, current, diff, $ep).await
            }

            async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
                delete(&self.0, scope, current).await
            }

            async fn ready(
                &self,
                scope: &Scope,
                op: Op,
                physical_id: &str,
                _outputs: &Attrs,
            ) -> Result<Readiness, KindError> {
                ready(&self.0, scope, op, physical_id).await
            }
        }
    };
}

endpoint_kind!(
    GatewayEndpoint,
    VPC_ENDPOINT_GATEWAY,
    VpcEndpointType::Gateway,
    &["routeTables"]
);
endpoint_kind!(
    InterfaceEndpoint,
    VPC_ENDPOINT_INTERFACE,
    VpcEndpointType::Interface,
    &["subnets", "securityGroups"]
);

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(action: &str) -> Value {
        Value::str(format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"{action}","Resource":"*"}}]}}"#
        ))
    }

    #[test]
    fn no_policy_in_the_blueprint_means_the_default_one() {
        let desired = Attrs::from([("vpc".to_string(), Value::str("vpc-1"))]);
        let observed = |p: Value| {
            Attrs::from([
                ("vpc".to_string(), Value::str("vpc-1")),
                (
                    "policy".to_string(),
                    Value::str(observed_policy(p.as_str().unwrap())),
                ),
            ])
        };
        // The default, as LocalStack (no version) or AWS (2008-10-17) writes it: no drift.
        for default in [policy("*"), Value::str(DEFAULT_POLICY)] {
            let o = observed(default);
            assert_eq!(comparable(&desired, &o, &[])["policy"], o["policy"]);
        }
        // A policy set outside airgapctl is drift.
        let o = observed(policy("s3:GetObject"));
        assert_ne!(comparable(&desired, &o, &[])["policy"], o["policy"]);
        // Endpoints whose service has no policy are left alone.
        assert!(!comparable(&desired, &desired, &[]).contains_key("policy"));
    }
}
