//! What the two route kinds share: a VPC route table's routes (`route`) and a transit
//! gateway route table's static routes (`tgw-route`). Neither can be tagged; each is its
//! table and CIDR (the physical id `{table}_{cidr}`), made by a Create call, pointed
//! elsewhere in place by a Replace call, and removed by a Delete call of its own API
//! (CreateRoute/ReplaceRoute/DeleteRoute, CreateTransitGatewayRoute/...). The table and
//! CIDR force a replacement; the target is what changes in place.

use std::marker::PhantomData;
use std::sync::Arc;

use airgap_catalog::spec::Spec;
use airgap_engine::{
    Attrs, Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
};
use async_trait::async_trait;
use aws_sdk_ec2::Client;

use super::Ec2;
use crate::errors::gone_is_ok;
use crate::kit::{changes, settled};

/// One route API, on the spec of its kind.
#[async_trait]
pub trait TableRoute: Spec + Send + Sync + 'static {
    /// The spec field that Replace changes in place.
    const TARGET: &'static str;

    /// The environment's routes in the tables of `scope`: those of its tables that
    /// the API made (not a table's `local` or propagated routes), paired with their
    /// nodes by table and CIDR.
    async fn observe(ec2: &Arc<Ec2>, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError>;

    /// The route table and destination CIDR, which name the route.
    fn table_and_cidr(&self) -> Result<(&str, &str), KindError>;

    /// The Create call: `Ok(false)` when the route is there already (a retry, or one
    /// made outside), which `replace` then points where the spec says.
    async fn create(&self, c: &Client) -> Result<bool, KindError>;

    /// The Replace call: the route's target set to the spec's.
    async fn replace(&self, c: &Client) -> Result<(), KindError>;

    /// The Delete call, its error classified (a route already gone is `Gone`).
    async fn delete(&self, c: &Client) -> Result<(), KindError>;
}

/// The kind of the routes of spec `S`: its facts are the spec's catalogue entry.
pub struct RouteKind<S>(Arc<Ec2>, PhantomData<fn() -> S>);

impl<S> RouteKind<S> {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        RouteKind(ec2, PhantomData)
    }
}

#[async_trait]
impl<S: TableRoute> Kind for RouteKind<S> {
    fn facts(&self) -> &'static airgap_catalog::KindFacts {
        S::KIND
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        S::observe(&self.0, env, scope).await
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let spec = S::from_attrs(&node.attrs)?;
        if !spec.create(c).await? {
            spec.replace(c).await?;
        }
        let (rt, cidr) = spec.table_and_cidr()?;
        Ok(Created { physical_id: format!("{rt}_{cidr}"), outputs: Attrs::new() })
    }

    // The table and CIDR force a replacement: a changed target is replaced in place.
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        if changes(change.diff, &[S::TARGET]) {
            let spec = S::from_attrs(&change.node.attrs)?;
            spec.replace(self.0.client(&change.node.scope)?).await?;
        }
        Ok(change.done())
    }

    // A route already gone counts as deleted.
    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let spec = S::from_attrs(&current.attrs)?;
        gone_is_ok(spec.delete(self.0.client(scope)?).await)
    }

    // Nothing to wait for: a route is in place when its call returns.
    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        Ok(settled(check.op, check.outputs))
    }
}
