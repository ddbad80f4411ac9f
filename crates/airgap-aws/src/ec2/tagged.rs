//! The shapes the EC2 kinds share: observing the environment's tagged resources from
//! one Describe, adopting what an interrupted create made, reading a Describe by id,
//! and the sub-resources AWS cannot tag, found under a parent of the environment.

use std::collections::HashMap;

use airgap_engine::{Attrs, Change, KindError, Observed, Op, Readiness, Resolved, Updated};
use aws_sdk_ec2::types::Tag;

use super::{tag_map, Ec2};
use crate::kit::{id_out, missing_tags, ready_when_available, stale_marks};
use crate::tags;

/// An EC2 resource that carries tags and has an id: what observe and adoption need.
pub(crate) trait Tagged {
    fn tag_list(&self) -> &[Tag];
    fn physical_id(&self) -> Option<&str>;
}

impl<T: Tagged> Tagged for &T {
    fn tag_list(&self) -> &[Tag] {
        (*self).tag_list()
    }
    fn physical_id(&self) -> Option<&str> {
        (*self).physical_id()
    }
}

macro_rules! tagged {
    ($($ty:ident . $id:ident),* $(,)?) => {
        $(impl Tagged for aws_sdk_ec2::types::$ty {
            fn tag_list(&self) -> &[Tag] {
                self.tags()
            }
            fn physical_id(&self) -> Option<&str> {
                self.$id()
            }
        })*
    };
}

tagged!(
    Vpc.vpc_id,
    Subnet.subnet_id,
    InternetGateway.internet_gateway_id,
    Address.allocation_id,
    NatGateway.nat_gateway_id,
    RouteTable.route_table_id,
    SecurityGroup.group_id,
    TransitGateway.transit_gateway_id,
    TransitGatewayRouteTable.transit_gateway_route_table_id,
    TransitGatewayVpcAttachment.transit_gateway_attachment_id,
    VpcEndpoint.vpc_endpoint_id,
    SecurityGroupRule.security_group_rule_id,
);

/// Whether standard tags removed by hand show as drift (`tagsMissing`): for the kinds
/// whose update puts them back.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum TagDrift {
    Shown,
    Ignored,
}

/// The environment's resources among what one Describe by the env tag answered: those
/// carrying the env tag (checked here too, as not every EC2 implementation filters by
/// tag) and a node id. `map` fills in what the kind compares (attributes, parents,
/// other outputs) on an [`Observed`] that has the node id, the physical id and the
/// id as output.
pub(crate) fn observe_tagged<T: Tagged>(
    items: impl IntoIterator<Item = T>,
    env: &str,
    drift: TagDrift,
    map: impl Fn(&T, Observed) -> Observed,
) -> Vec<Observed> {
    items
        .into_iter()
        .filter_map(|item| {
            let t = tag_map(item.tag_list());
            let id = tags::owned_id(&t, env)?;
            let pid = item.physical_id()?.to_string();
            let mut o = map(
                &item,
                Observed {
                    id: id.as_str().into(),
                    attrs: Attrs::new(),
                    outputs: id_out(&pid),
                    physical_id: pid,
                    parents: vec![],
                },
            );
            if drift == TagDrift::Shown {
                o.attrs.extend(missing_tags(&t, env, &id));
                o.attrs.extend(stale_marks(&t));
            }
            Some(o)
        })
        .collect()
}

/// What an interrupted create of this node made, among what a lookup by
/// [`super::owned_filters`] found: this node's (the tags are checked here as well),
/// with an id, and not the instance it replaces.
pub(crate) fn adopted<'a, T: Tagged>(
    node: &Resolved,
    found: impl IntoIterator<Item = &'a T>,
) -> Option<&'a T> {
    found.into_iter().find(|t| {
        t.physical_id().is_some_and(|id| node.replaces.as_deref() != Some(id))
            && super::is_node(t.tag_list(), node)
    })
}

/// The first resource a Describe by id answers, `None` when it is not found.
macro_rules! describe_one {
    ($req:expr, $list:ident) => {
        $crate::errors::found($req.send().await.map_err($crate::errors::classify))?
            .and_then(|o| o.$list().first().cloned())
    };
}
pub(crate) use describe_one;

/// How many resources a batched readiness check describes per call: EC2 takes at most
/// 200 filter values in one call and answers more with InvalidParameterValue ("The
/// maximum number of filter values specified on a single call is 200", recorded for
/// DescribeVpcEndpoints in a public issue); half of that leaves room.
pub(crate) const ID_BATCH: usize = 100;

/// Every resource a Describe finds among `checks`' ids, asked through the id `filter`
/// (`vpc-endpoint-id`, `nat-gateway-id`, ...) of the call's filter parameter
/// (`filters`, or `filter` for DescribeNatGateways), [`ID_BATCH`] ids a call. A filter, not
/// the list of ids: an id it does not match (not visible yet, or gone) is left out,
/// where a list of ids fails the whole call with NotFound and hides the others.
macro_rules! describe_by_ids {
    ($ec2:expr, $checks:expr, $call:ident, $filters:ident, $filter:expr) => {
        async {
            let checks: &[airgap_engine::Check<'_>] = $checks;
            let mut found = Vec::new();
            if let Some(first) = checks.first() {
                let c = $ec2.client(first.scope)?;
                for chunk in checks.chunks($crate::ec2::ID_BATCH) {
                    let ids = chunk.iter().map(|ch| ch.physical_id.to_string());
                    let items: Vec<_> = $crate::kit::all_pages!(c
                        .$call()
                        .$filters($crate::ec2::filter($filter, ids)))?;
                    found.extend(items);
                }
            }
            Ok::<_, airgap_engine::KindError>(found)
        }
        .await
    };
}
pub(crate) use describe_by_ids;

/// Answers each check from what one batched Describe found (see [`describe_by_ids`]):
/// `answer` gets the check and its resource, `None` when not found; a failed call is
/// every check's error.
pub(crate) fn answer_each<T: Tagged>(
    checks: &[airgap_engine::Check<'_>],
    found: Result<Vec<T>, KindError>,
    answer: impl Fn(&airgap_engine::Check<'_>, Option<&T>) -> Result<Readiness, KindError>,
) -> Vec<Result<Readiness, KindError>> {
    match found {
        Err(e) => checks.iter().map(|_| Err(e.clone())).collect(),
        Ok(items) => checks
            .iter()
            .map(|ch| answer(ch, items.iter().find(|i| i.physical_id() == Some(ch.physical_id))))
            .collect(),
    }
}

/// A lookup by the node's tags before a create that has no client token, so a retried
/// create adopts what an interrupted one made: the listed resources.
macro_rules! lookup {
    ($req:expr, $node:expr, $list:ident) => {
        $req.set_filters(Some($crate::ec2::owned_filters(&$node.env, &$node.id.0)))
            .send()
            .await
            .map_err($crate::errors::classify)?
            .$list()
            .to_vec()
    };
}
pub(crate) use lookup;

/// A sub-resource AWS cannot tag (a route, an association, a rule), found in a parent
/// that carries the env tag: the environment's because its parent is. Nothing is written
/// on the parent (its tags would grow with its children, against EC2's and RAM's 50 per
/// resource); the id names the parent and the key until the plan pairs the resource with
/// its node by identity (`KindFacts::identity`). No outputs.
pub(crate) fn child(
    parent_tags: &HashMap<String, String>,
    env: &str,
    key: &str,
    physical_id: String,
    attrs: Attrs,
    parents: Vec<String>,
) -> Option<Observed> {
    let parent = tags::owned_id(parent_tags, env)?;
    Some(Observed {
        id: format!("{parent}~{key}").as_str().into(),
        physical_id,
        attrs,
        outputs: Attrs::new(),
        parents,
    })
}

/// Readiness of a resource that has no deleting state (a VPC, a subnet), from the state a
/// Describe by id found (`None`: not found): usable once `available`, being deleted
/// while a Describe still shows it.
pub(crate) fn available_or_gone(
    op: Op,
    physical_id: &str,
    found: Option<Option<&str>>,
) -> Result<Readiness, KindError> {
    let state = found.map(|st| match op {
        Op::Delete => "deleting",
        _ => st.unwrap_or("pending"),
    });
    ready_when_available(op, physical_id, state)
}

/// The diff of a kind whose observe shows tag drift ([`TagDrift::Shown`]): its fields as
/// usual, plus the standard tags when some are missing.
macro_rules! diff_with_tag_drift {
    () => {
        fn diff(
            &self,
            desired: &airgap_engine::Attrs,
            observed: &airgap_engine::Observed,
        ) -> airgap_engine::Diff {
            $crate::kit::with_tag_drift(self.facts().diff(desired, &observed.attrs), observed)
        }
    };
}
pub(crate) use diff_with_tag_drift;

/// The update of an EC2 kind whose fields all force a replacement: all it can mend in
/// place are its standard tags.
pub(crate) async fn retag_only(ec2: &Ec2, change: Change<'_>) -> Result<Updated, KindError> {
    let c = ec2.client(&change.node.scope)?;
    crate::ec2::retag(
        c,
        change.diff,
        &change.current.physical_id,
        &change.node.env,
        &change.node.id.0,
    )
    .await?;
    Ok(change.done())
}

/// The environment's parents among `items` with their tags: where the sub-resources AWS
/// cannot tag are found (see [`child`]).
pub(crate) fn parents_of_env<T: Tagged>(
    items: impl IntoIterator<Item = T>,
    env: &str,
) -> Vec<(T, HashMap<String, String>)> {
    items
        .into_iter()
        .filter_map(|item| {
            let t = tag_map(item.tag_list());
            tags::owned_id(&t, env).is_some().then_some((item, t))
        })
        .collect()
}

/// Every resource one Describe answers for the env tag, all pages: what observe reads
/// (`$filter` names the builder's filter setter, `filters` for all but NAT gateways).
macro_rules! env_pages {
    ($ec2:expr, $scope:expr, $env:expr, $call:ident) => {
        $crate::ec2::env_pages!($ec2, $scope, $env, $call, filters)
    };
    ($ec2:expr, $scope:expr, $env:expr, $call:ident, $filter:ident) => {
        $crate::kit::all_pages!($ec2.client($scope)?.$call().$filter($crate::ec2::env_filter($env)))
    };
}
pub(crate) use env_pages;
