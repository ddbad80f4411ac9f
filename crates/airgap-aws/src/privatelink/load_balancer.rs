//! The `load-balancer` kind: an internal Network Load Balancer and its listeners, which
//! live and die with it and are listed only by it (DescribeListeners takes a load
//! balancer or listener ARNs, never the account's), so the load balancer's spec lists
//! them and observe reads them back.
//!
//! API rules followed (Elastic Load Balancing API Reference):
//! - CreateLoadBalancer is idempotent by name ("If you attempt to create multiple load
//!   balancers with the same settings, each call succeeds"); the same name with other
//!   settings is DuplicateLoadBalancerName. CreateListener likewise for the same port and
//!   settings (DuplicateListener otherwise). Both take the standard tags in the call.
//! - A new load balancer is `provisioning`, then `active` (or `failed`); listeners can be
//!   added before it is active. An endpoint service takes only an active one.
//! - DeleteLoadBalancer deletes its listeners with it; it answers success for a load
//!   balancer already gone ("If the load balancer does not exist or has already been
//!   deleted, the call succeeds").

use std::sync::Arc;

use airgap_catalog::spec::{Id, ListenerSpec, LoadBalancerSpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Diff, ErrorClass, Kind, KindError, Observed, Readiness,
    Resolved, Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Listener, LoadBalancer as Lb, LoadBalancerSchemeEnum,
    LoadBalancerTypeEnum, ProtocolEnum,
};

use super::{create_failed, elb_tag_list, owned_arns};
use crate::ec2::{kind_meta, Elb};
use crate::errors::classify;
use crate::kit::{all_pages, by_state, delete_call, ids, lookup, sort_refs};

pub struct LoadBalancer(pub Arc<Elb>);

type Client = aws_sdk_elasticloadbalancingv2::Client;

fn outputs(lb: &Lb) -> Attrs {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    Attrs::from([
        ("id".to_string(), Value::str(arn)),
        ("arn".to_string(), Value::str(arn)),
        ("dnsName".to_string(), Value::str(lb.dns_name().unwrap_or_default())),
    ])
}

async fn listeners(c: &Client, lb: &str) -> Result<Vec<Listener>, KindError> {
    all_pages!(c.describe_listeners().load_balancer_arn(lb))
}

/// A listener in the spec's form: its first forward action's target group.
fn listener_spec(l: &Listener) -> ListenerSpec {
    let target = l
        .default_actions()
        .iter()
        .find(|a| a.r#type() == Some(&ActionTypeEnum::Forward))
        .and_then(|a| a.target_group_arn())
        .unwrap_or_default();
    ListenerSpec {
        protocol: l.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
        port: l.port().unwrap_or_default(),
        target_group: Id::from(target),
    }
}

fn forward(target_group: &str) -> Action {
    Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(target_group).build()
}

/// Brings the listeners to the spec: adds the missing ports, points the others at their
/// target group, removes ports the spec no longer has.
async fn reconcile(
    c: &Client,
    node: &Resolved,
    lb: &str,
    want: &[ListenerSpec],
) -> Result<(), KindError> {
    let have = listeners(c, lb).await?;
    for w in want {
        let tg = w.target_group.get()?;
        match have.iter().find(|l| l.port() == Some(w.port)) {
            None => {
                let r = c
                    .create_listener()
                    .load_balancer_arn(lb)
                    .protocol(ProtocolEnum::from(w.protocol.as_str()))
                    .port(w.port)
                    .default_actions(forward(tg))
                    .set_tags(Some(elb_tag_list(&node.env, &node.id.0)))
                    .send()
                    .await;
                r.map_err(classify)?;
            }
            Some(l) if listener_spec(l) != *w => {
                c.modify_listener()
                    .listener_arn(l.listener_arn().unwrap_or_default())
                    .protocol(ProtocolEnum::from(w.protocol.as_str()))
                    .default_actions(forward(tg))
                    .send()
                    .await
                    .map_err(classify)?;
            }
            Some(_) => {}
        }
    }
    for l in have.iter().filter(|l| !want.iter().any(|w| l.port() == Some(w.port))) {
        let arn = l.listener_arn().unwrap_or_default();
        delete_call(c.delete_listener().listener_arn(arn).send()).await?;
    }
    Ok(())
}

fn spec_of(lb: &Lb, listeners: &[Listener]) -> LoadBalancerSpec {
    let mut subnets: Vec<String> =
        lb.availability_zones().iter().filter_map(|z| z.subnet_id().map(str::to_string)).collect();
    subnets.sort();
    let mut listeners: Vec<ListenerSpec> = listeners.iter().map(listener_spec).collect();
    listeners.sort_by_key(|l| l.port);
    LoadBalancerSpec {
        name: lb.load_balancer_name().unwrap_or_default().to_string(),
        scheme: lb.scheme().map(|s| s.as_str().to_string()).unwrap_or_default(),
        subnets: subnets.into_iter().map(Id::from).collect(),
        listeners,
    }
}

#[async_trait]
impl Kind for LoadBalancer {
    kind_meta!(LOAD_BALANCER);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        let d = match LoadBalancerSpec::from_attrs(desired) {
            Ok(mut spec) => {
                sort_refs(&mut spec.subnets);
                spec.listeners.sort_by_key(|l| l.port);
                spec.to_attrs()
            }
            Err(_) => desired.clone(),
        };
        self.facts().diff(&d, &observed.attrs)
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let all: Vec<Lb> = all_pages!(c.describe_load_balancers())?;
        let arns = all
            .iter()
            .filter(|lb| lb.r#type() == Some(&LoadBalancerTypeEnum::Network))
            .filter_map(|lb| lb.load_balancer_arn().map(str::to_string))
            .collect();
        let mut out = Vec::new();
        for (id, arn) in owned_arns(c, env, arns).await? {
            let Some(lb) = all.iter().find(|l| l.load_balancer_arn() == Some(arn.as_str())) else {
                continue;
            };
            let ls = match listeners(c, &arn).await {
                Ok(l) => l,
                // Deleted between the calls.
                Err(e) if e.class == ErrorClass::NotFound => continue,
                Err(e) => return Err(e),
            };
            out.push(Observed {
                id: id.as_str().into(),
                attrs: spec_of(lb, &ls).to_attrs(),
                outputs: outputs(lb),
                physical_id: arn.clone(),
                parents: lb.vpc_id().into_iter().map(str::to_string).collect(),
            });
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = LoadBalancerSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let made = c
            .create_load_balancer()
            .name(&spec.name)
            .r#type(LoadBalancerTypeEnum::Network)
            .scheme(LoadBalancerSchemeEnum::from(spec.scheme.as_str()))
            .set_subnets(Some(ids(&spec.subnets)?))
            .set_tags(Some(elb_tag_list(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(|e| {
                create_failed(e, "DuplicateLoadBalancerName", "a load balancer", &spec.name, node)
            })?;
        let lb = made.load_balancers().first().cloned().ok_or_else(|| {
            KindError::fatal("NoLoadBalancer", "CreateLoadBalancer returned none")
        })?;
        let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
        reconcile(c, node, &arn, &spec.listeners).await?;
        Ok(Created { physical_id: arn, outputs: outputs(&lb) })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let spec = LoadBalancerSpec::from_attrs(&change.node.attrs)?;
        let c = self.0.client(&change.node.scope)?;
        reconcile(c, change.node, &change.current.physical_id, &spec.listeners).await?;
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        delete_call(c.delete_load_balancer().load_balancer_arn(&current.physical_id).send()).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let describe = c.describe_load_balancers().load_balancer_arns(check.physical_id).send();
        let lb = lookup(describe).await?.and_then(|o| o.load_balancers().first().cloned());
        let state = lb.as_ref().map(|l| {
            l.state().and_then(|s| s.code()).map_or("provisioning", |c| c.as_str()).to_string()
        });
        let failed = |_: &str| {
            let why = lb.as_ref().and_then(|l| l.state()).and_then(|s| s.reason());
            Some(KindError::fatal(
                "LoadBalancerFailed",
                format!("{}: {}", check.physical_id, why.unwrap_or("failed")),
            ))
        };
        let failed = |s: &str| if s == "failed" { failed(s) } else { None };
        let outputs = || lb.as_ref().map(outputs).unwrap_or_default();
        by_state(check.op, check.physical_id, state.as_deref(), &["active"], outputs, failed)
    }
}
