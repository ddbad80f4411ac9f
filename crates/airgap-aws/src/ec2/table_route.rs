//! What the two route kinds share: a VPC route table's routes (`route`) and a transit
//! gateway route table's static routes (`tgw-route`). Neither can be tagged; each is its
//! table and CIDR (the physical id `{table}_{cidr}`), made by a Create call, pointed
//! elsewhere in place by a Replace call, and removed by a Delete call of its own API
//! (CreateRoute/ReplaceRoute/DeleteRoute, CreateTransitGatewayRoute/...). The table and
//! CIDR force a replacement; the target is what changes in place.

use airgap_catalog::spec::Spec;
use airgap_engine::{Attrs, Change, Created, KindError, Observed, Resolved, Scope, Updated};
use async_trait::async_trait;
use aws_sdk_ec2::Client;

use super::Ec2;
use crate::errors::gone_is_ok;
use crate::kit::changes;

/// One route API, on the spec of its kind.
#[async_trait]
pub(crate) trait TableRoute: Spec + Send + Sync {
    /// The spec field that Replace changes in place.
    const TARGET: &'static str;

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

/// `Kind::create` of a route kind.
pub(crate) async fn create<S: TableRoute>(
    ec2: &Ec2,
    node: &Resolved,
) -> Result<Created, KindError> {
    let c = ec2.client(&node.scope)?;
    let spec = S::from_attrs(&node.attrs)?;
    if !spec.create(c).await? {
        spec.replace(c).await?;
    }
    let (rt, cidr) = spec.table_and_cidr()?;
    Ok(Created { physical_id: format!("{rt}_{cidr}"), outputs: Attrs::new() })
}

/// `Kind::update` of a route kind: a changed target is replaced in place.
pub(crate) async fn update<S: TableRoute>(
    ec2: &Ec2,
    change: Change<'_>,
) -> Result<Updated, KindError> {
    if changes(change.diff, &[S::TARGET]) {
        let spec = S::from_attrs(&change.node.attrs)?;
        spec.replace(ec2.client(&change.node.scope)?).await?;
    }
    Ok(change.done())
}

/// `Kind::delete` of a route kind: a route already gone is deleted.
pub(crate) async fn delete<S: TableRoute>(
    ec2: &Ec2,
    scope: &Scope,
    current: &Observed,
) -> Result<(), KindError> {
    let spec = S::from_attrs(&current.attrs)?;
    gone_is_ok(spec.delete(ec2.client(scope)?).await)
}
