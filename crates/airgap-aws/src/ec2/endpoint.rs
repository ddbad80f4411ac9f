//! VPC endpoints: gateway (S3, DynamoDB; route table associations) and interface
//! (subnets, security groups, private DNS), both with optional endpoint policies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use airgap_engine::{
    Attrs, Change, Check, Created, Diff, ErrorClass, Kind, KindError, Observed, Readiness,
    Resolved, Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, State, VpcEndpoint, VpcEndpointType};
use tokio::sync::OnceCell;

use super::{
    answer_each, describe_by_ids, describe_one, env_pages, kind_meta, made, observe_tagged, retag,
    tag_spec, Ec2, TagDrift, ID_BATCH,
};
use crate::errors::{classify, unless_gone};
use crate::kit::{
    by_state, canonical_policy, changes, created, delta, id_out, ids, removals_first, set_of,
    some_if, with_tag_drift,
};
use airgap_catalog::spec::{Id, Spec, VpcEndpointGatewaySpec, VpcEndpointInterfaceSpec};

/// The endpoint's state in lower case: the API documents `Available`, but EC2 (and
/// LocalStack) answer `available`, which the SDK's enum does not recognise.
pub(crate) fn state_of(st: Option<&State>) -> String {
    st.map_or("pending", |s| s.as_str()).to_ascii_lowercase()
}

/// Deleted or on its way (its interfaces are going too), or never usable.
pub(crate) fn gone(st: Option<&State>) -> bool {
    matches!(state_of(st).as_str(), "deleted" | "deleting" | "failed" | "rejected" | "expired")
}

/// An endpoint's outputs: its id and, for an interface endpoint, its regional DNS name
/// and that name's hosted zone (what a central endpoint's alias records point at). EC2
/// lists the regional name first, then one per AZ (`vpce-...-<az>.<service>...`) and the
/// private names; the regional one is the shortest `vpce-` name.
pub(crate) fn outputs(e: &VpcEndpoint) -> Attrs {
    let id = e.vpc_endpoint_id().unwrap_or_default();
    let mut out = id_out(id);
    let regional = e
        .dns_entries()
        .iter()
        .filter(|d| d.dns_name().is_some_and(|n| n.starts_with("vpce-")))
        .min_by_key(|d| d.dns_name().map_or(usize::MAX, str::len));
    if let Some(d) = regional {
        if let (Some(name), Some(zone)) = (d.dns_name(), d.hosted_zone_id()) {
            out.insert("dnsName".into(), Value::str(name));
            out.insert("dnsZone".into(), Value::str(zone));
        }
    }
    out
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

/// What a DescribeVpcEndpoints of the env's endpoints answered.
type Described = Result<Vec<VpcEndpoint>, KindError>;

/// A describe in flight, by scope and env.
type InFlight = HashMap<(Scope, String), Weak<OnceCell<Described>>>;

/// The environment's endpoints of a scope, described once for both endpoint kinds when
/// they observe at the same time (a plan observes every kind at once): concurrent
/// callers share the call in flight; nothing is kept once they have their answer, so
/// the next plan describes afresh.
#[derive(Default)]
pub struct SharedDescribe {
    in_flight: Mutex<InFlight>,
}

impl SharedDescribe {
    async fn endpoints(&self, ec2: &Ec2, env: &str, scope: &Scope) -> Described {
        let cell = {
            let mut map = self.in_flight.lock().expect("in-flight map poisoned");
            map.retain(|_, w| w.strong_count() > 0);
            let key = (scope.clone(), env.to_string());
            match map.get(&key).and_then(Weak::upgrade) {
                Some(cell) => cell,
                None => {
                    let cell = Arc::new(OnceCell::new());
                    map.insert(key, Arc::downgrade(&cell));
                    cell
                }
            }
        };
        cell.get_or_init(|| async { env_pages!(ec2, scope, env, describe_vpc_endpoints) })
            .await
            .clone()
    }
}

/// The env's endpoints of one type.
async fn observe(
    ec2: &Ec2,
    shared: &SharedDescribe,
    env: &str,
    scope: &Scope,
    ty: VpcEndpointType,
) -> Result<Vec<Observed>, KindError> {
    let eps = shared.endpoints(ec2, env, scope).await?;
    let live = eps.into_iter().filter(|e| e.vpc_endpoint_type() == Some(&ty) && !gone(e.state()));
    Ok(observe_tagged(live, env, TagDrift::Shown, |e, o| {
        let vpc = e.vpc_id().unwrap_or_default().to_string();
        let service = e.service_name().unwrap_or_default().to_string();
        let policy = e.policy_document().map(observed_policy);
        let set = |v: &[String]| set_of(v).into_iter().map(Id::from).collect::<Vec<_>>();
        let mut parents = vec![vpc.clone()];
        let attrs = match ty {
            VpcEndpointType::Gateway => {
                parents.extend(e.route_table_ids().iter().cloned());
                VpcEndpointGatewaySpec {
                    vpc: vpc.into(),
                    service,
                    route_tables: set(e.route_table_ids()),
                    policy,
                }
                .to_attrs()
            }
            _ => {
                let groups: Vec<String> =
                    e.groups().iter().filter_map(|g| g.group_id().map(str::to_string)).collect();
                parents.extend(e.subnet_ids().iter().cloned());
                parents.extend(groups.iter().cloned());
                VpcEndpointInterfaceSpec {
                    vpc: vpc.into(),
                    service,
                    subnets: set(e.subnet_ids()),
                    security_groups: set(&groups),
                    private_dns: e.private_dns_enabled().unwrap_or(false),
                    policy,
                }
                .to_attrs()
            }
        };
        Observed { attrs, parents, outputs: outputs(e), ..o }
    }))
}

/// Desired attributes with the policy in observe's form: canonical. No policy in the
/// blueprint means the default one, so a policy set outside is drift.
fn comparable(desired: &Attrs, observed: &Attrs) -> Attrs {
    let mut d = desired.clone();
    match d.get("policy") {
        Some(Value::Str(p)) => {
            let c = observed_policy(p);
            d.insert("policy".into(), Value::Str(c));
        }
        None if observed.contains_key("policy") => {
            d.insert("policy".into(), Value::Str(canonical_policy(DEFAULT_POLICY)));
        }
        _ => {}
    }
    d
}

async fn create(ec2: &Ec2, node: &Resolved, ty: VpcEndpointType) -> Result<Created, KindError> {
    let req = ec2
        .client(&node.scope)?
        .create_vpc_endpoint()
        .client_token(node.client_token())
        .vpc_endpoint_type(ty.clone())
        .tag_specifications(tag_spec(ResourceType::VpcEndpoint, &node.env, &node.id.0));
    let req = match ty {
        VpcEndpointType::Gateway => {
            let spec = VpcEndpointGatewaySpec::from_attrs(&node.attrs)?;
            req.vpc_id(spec.vpc.get()?)
                .service_name(spec.service)
                .set_policy_document(spec.policy)
                .set_route_table_ids(Some(ids(&spec.route_tables)?))
        }
        _ => {
            let spec = VpcEndpointInterfaceSpec::from_attrs(&node.attrs)?;
            req.vpc_id(spec.vpc.get()?)
                .service_name(spec.service)
                .set_policy_document(spec.policy)
                .set_subnet_ids(Some(ids(&spec.subnets)?))
                .set_security_group_ids(Some(ids(&spec.security_groups)?))
                .private_dns_enabled(spec.private_dns)
        }
    };
    let out = req.send().await.map_err(classify)?;
    let id = out.vpc_endpoint().and_then(|e| e.vpc_endpoint_id());
    Ok(created(made(id, "CreateVpcEndpoint")?))
}

/// Members to add and to remove, as optional request parameters.
type Delta = (Option<Vec<String>>, Option<Vec<String>>);

/// Members to add and remove for a list the diff says changed, as request parameters.
fn set_change(diff: &Diff, field: &str, want: &[Id], have: &[String]) -> Result<Delta, KindError> {
    if !changes(diff, &[field]) {
        return Ok((None, None));
    }
    let (add, remove) = delta(&ids(want)?, have);
    Ok((some_if(add), some_if(remove)))
}

/// The interface endpoint as it is now, for its subnets and groups: an update retried
/// after the subnet removals below adds only what is left. A `pending` one (a change of
/// its interfaces under way) is a Conflict, retried.
async fn live_interface(c: &aws_sdk_ec2::Client, id: &str) -> Result<VpcEndpoint, KindError> {
    let e = describe_one!(c.describe_vpc_endpoints().vpc_endpoint_ids(id), vpc_endpoints)
        .ok_or_else(|| {
            KindError::new(
                ErrorClass::NotFound,
                "InvalidVpcEndpointId.NotFound",
                format!("endpoint {id} was deleted or does not exist"),
            )
        })?;
    if state_of(e.state()) == "pending" {
        return Err(KindError::new(
            ErrorClass::Conflict,
            "IncorrectState",
            format!("endpoint {id} is pending; its subnets and groups change once available"),
        ));
    }
    Ok(e)
}

/// The service and VPC force a replacement; the policy and the lists (and private DNS)
/// change in place, each when the diff names it, and missing standard tags are put back.
async fn update(ec2: &Ec2, change: Change<'_>, ty: VpcEndpointType) -> Result<Attrs, KindError> {
    let c = ec2.client(&change.node.scope)?;
    let id = &change.current.physical_id;
    retag(c, change.diff, id, &change.node.env, &change.node.id.0).await?;
    if !change.diff.changes.iter().any(|ch| ch.field != "tags") {
        return Ok(change.current.outputs.clone());
    }
    let req = c.modify_vpc_endpoint().vpc_endpoint_id(id);
    // Back to the default when the blueprint has none (LocalStack ignores ResetPolicy).
    let policy = |p: Option<String>| {
        changes(change.diff, &["policy"]).then(|| p.unwrap_or_else(|| DEFAULT_POLICY.into()))
    };
    let mut later = None;
    let req = match ty {
        VpcEndpointType::Gateway => {
            let (want, have) = (
                VpcEndpointGatewaySpec::from_attrs(&change.node.attrs)?,
                VpcEndpointGatewaySpec::from_attrs(&change.current.attrs)?,
            );
            let (add, remove) = set_change(
                change.diff,
                "routeTables",
                &want.route_tables,
                &ids(&have.route_tables)?,
            )?;
            req.set_policy_document(policy(want.policy))
                .set_add_route_table_ids(add)
                .set_remove_route_table_ids(remove)
        }
        _ => {
            let want = VpcEndpointInterfaceSpec::from_attrs(&change.node.attrs)?;
            let (mut add, mut remove, mut add_sg, mut remove_sg) = (None, None, None, None);
            if changes(change.diff, &["subnets", "securityGroups"]) {
                let live = live_interface(c, id).await?;
                let groups: Vec<String> =
                    live.groups().iter().filter_map(|g| g.group_id().map(str::to_string)).collect();
                (add, remove) =
                    set_change(change.diff, "subnets", &want.subnets, live.subnet_ids())?;
                (add_sg, remove_sg) =
                    set_change(change.diff, "securityGroups", &want.security_groups, &groups)?;
                let held;
                (held, later) = removals_first(
                    add.unwrap_or_default(),
                    remove.as_deref().unwrap_or_default(),
                    &format!("endpoint {id}"),
                );
                add = some_if(held);
            }
            req.set_policy_document(policy(want.policy))
                .set_add_subnet_ids(add)
                .set_remove_subnet_ids(remove)
                .set_add_security_group_ids(add_sg)
                .set_remove_security_group_ids(remove_sg)
                .set_private_dns_enabled(
                    changes(change.diff, &["privateDns"]).then_some(want.private_dns),
                )
        }
    };
    req.send().await.map_err(classify)?;
    match later {
        Some(e) => Err(e),
        None => Ok(change.current.outputs.clone()),
    }
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

/// Readiness of an endpoint from what a Describe found of it (`None`: not found).
fn readiness(check: &Check<'_>, e: Option<&VpcEndpoint>) -> Result<Readiness, KindError> {
    let id = check.physical_id;
    let state = e.map(|e| state_of(e.state()));
    by_state(
        check.op,
        id,
        state.as_deref(),
        &["available"],
        || e.map_or_else(|| id_out(id), outputs),
        |st| {
            matches!(st, "failed" | "rejected" | "expired")
                .then(|| KindError::fatal("EndpointFailed", format!("endpoint {id} is {st}")))
        },
    )
}

/// Endpoints of one scope, checked in one DescribeVpcEndpoints per [`ID_BATCH`].
async fn ready_many(ec2: &Ec2, checks: &[Check<'_>]) -> Vec<Result<Readiness, KindError>> {
    let found = describe_by_ids!(ec2, checks, describe_vpc_endpoints, filters, "vpc-endpoint-id");
    answer_each(checks, found, readiness)
}

pub struct GatewayEndpoint(pub Arc<Ec2>, pub Arc<SharedDescribe>);
pub struct InterfaceEndpoint(pub Arc<Ec2>, pub Arc<SharedDescribe>);

macro_rules! endpoint_kind {
    ($ty:ident, $name:ident, $ep:expr) => {
        #[async_trait]
        impl Kind for $ty {
            kind_meta!($name);

            fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
                let want = comparable(desired, &observed.attrs);
                with_tag_drift(self.facts().diff(&want, &observed.attrs), observed)
            }

            async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
                observe(&self.0, &self.1, env, scope, $ep).await
            }

            async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
                create(&self.0, node, $ep).await
            }

            async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
                update(&self.0, change, $ep).await.map(Updated::done)
            }

            async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
                delete(&self.0, scope, current).await
            }

            async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
                let mut answer = ready_many(&self.0, &[check]).await;
                answer.pop().expect("one answer per check")
            }

            fn ready_batch(&self) -> usize {
                ID_BATCH
            }

            /// One DescribeVpcEndpoints answers gateway and interface endpoints alike.
            fn ready_family(&self) -> &'static str {
                "vpc-endpoint"
            }

            async fn ready_many(&self, checks: &[Check<'_>]) -> Vec<Result<Readiness, KindError>> {
                ready_many(&self.0, checks).await
            }
        }
    };
}

endpoint_kind!(GatewayEndpoint, VPC_ENDPOINT_GATEWAY, VpcEndpointType::Gateway);
endpoint_kind!(InterfaceEndpoint, VPC_ENDPOINT_INTERFACE, VpcEndpointType::Interface);

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
                ("policy".to_string(), Value::str(observed_policy(p.as_str().unwrap()))),
            ])
        };
        // The default, as LocalStack (no version) or AWS (2008-10-17) writes it: no drift.
        for default in [policy("*"), Value::str(DEFAULT_POLICY)] {
            let o = observed(default);
            assert_eq!(comparable(&desired, &o)["policy"], o["policy"]);
        }
        // A policy set outside airgapctl is drift.
        let o = observed(policy("s3:GetObject"));
        assert_ne!(comparable(&desired, &o)["policy"], o["policy"]);
        // Endpoints whose service has no policy are left alone.
        assert!(!comparable(&desired, &desired).contains_key("policy"));
    }
}
