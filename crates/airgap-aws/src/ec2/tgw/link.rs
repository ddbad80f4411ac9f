//! The TGW route table association and propagation kinds (`tgw-association`,
//! `tgw-propagation`): one implementation for both, told apart by `Link`. Neither can
//! be tagged: the links of the environment's route tables are its own.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Change, Check, Created, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved,
    Scope, Updated,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    TransitGatewayRouteTableAssociation, TransitGatewayRouteTablePropagation,
};

use super::env_tables;
use crate::ec2::{child, kind_meta, not_visible, Ec2};
use crate::errors::{classify, found, gone_is_ok};
use crate::kit::{all_pages, unless_done};
use airgap_catalog::spec::{Spec, TgwAssociationSpec, TgwPropagationSpec};

/// Which relation of a TGW route table to an attachment a kind manages.
#[derive(Clone, Copy, PartialEq)]
enum Link {
    Association,
    Propagation,
}

impl Link {
    /// Suffix of the physical id: an association and a propagation of the same pair
    /// must not share one.
    fn tag(self) -> &'static str {
        match self {
            Link::Association => "assoc",
            Link::Propagation => "prop",
        }
    }

    fn physical_id(self, rt: &str, att: &str) -> String {
        format!("{rt}_{att}_{}", self.tag())
    }

    /// The spec's attributes for a route table and attachment.
    fn attrs(self, rt: &str, att: &str) -> Attrs {
        let (attachment, route_table) = (att.into(), rt.into());
        match self {
            Link::Association => TgwAssociationSpec { attachment, route_table }.to_attrs(),
            Link::Propagation => TgwPropagationSpec { attachment, route_table }.to_attrs(),
        }
    }

    /// The route table and attachment of a spec's attributes (resolved or observed).
    fn ends(self, attrs: &Attrs) -> Result<(String, String), KindError> {
        let (rt, att) = match self {
            Link::Association => {
                let s = TgwAssociationSpec::from_attrs(attrs)?;
                (s.route_table, s.attachment)
            }
            Link::Propagation => {
                let s = TgwPropagationSpec::from_attrs(attrs)?;
                (s.route_table, s.attachment)
            }
        };
        Ok((rt.get()?.to_string(), att.get()?.to_string()))
    }
}

/// An association or propagation as listed by its Get call: (attachment id, state).
trait Listed {
    fn pair(&self) -> Option<(String, String)>;
}

macro_rules! listed {
    ($($ty:ty),*) => {
        $(impl Listed for $ty {
            fn pair(&self) -> Option<(String, String)> {
                Some((
                    self.transit_gateway_attachment_id()?.to_string(),
                    self.state().map_or("", |s| s.as_str()).to_string(),
                ))
            }
        })*
    };
}
listed!(TransitGatewayRouteTableAssociation, TransitGatewayRouteTablePropagation);

fn pairs<T: Listed>(items: Vec<T>) -> Vec<(String, String)> {
    items.iter().filter_map(Listed::pair).collect()
}

/// Current links of one route table: (attachment id, state).
async fn links(
    c: &aws_sdk_ec2::Client,
    link: Link,
    rt: &str,
) -> Result<Vec<(String, String)>, KindError> {
    Ok(match link {
        Link::Association => pairs(all_pages!(c
            .get_transit_gateway_route_table_associations()
            .transit_gateway_route_table_id(rt))?),
        Link::Propagation => pairs(all_pages!(c
            .get_transit_gateway_route_table_propagations()
            .transit_gateway_route_table_id(rt))?),
    })
}

/// Observe of associations and propagations: one Describe of the env's TGW route
/// tables, then one Get per route table (a handful per environment, not per VPC). A
/// link is the environment's when its route table is.
async fn observe_links(
    ec2: &Ec2,
    link: Link,
    env: &str,
    scope: &Scope,
) -> Result<Vec<Observed>, KindError> {
    let c = ec2.client(scope)?;
    let mut out = Vec::new();
    for (rt, tm) in env_tables(ec2, env, scope).await? {
        let rt = rt.as_str();
        for (att, state) in links(c, link, rt).await? {
            if matches!(
                state.as_str(),
                "disassociating" | "disassociated" | "disabling" | "disabled"
            ) {
                continue;
            }
            let (id, attrs) = (link.physical_id(rt, &att), link.attrs(rt, &att));
            let key = format!("{}:{att}", link.tag());
            out.extend(child(&tm, env, &key, id, attrs, vec![rt.into(), att]));
        }
    }
    Ok(out)
}

/// One of the four calls on a (route table, attachment) pair, sent; its output is not
/// needed.
macro_rules! on_pair {
    ($c:expr, $call:ident, $rt:expr, $att:expr) => {
        $c.$call()
            .transit_gateway_route_table_id($rt)
            .transit_gateway_attachment_id($att)
            .send()
            .await
            .map(drop)
    };
}

async fn create_link(ec2: &Ec2, link: Link, node: &Resolved) -> Result<Created, KindError> {
    let c = ec2.client(&node.scope)?;
    let (rt, att) = link.ends(&node.attrs)?;
    // A retry after a call that went through answers this.
    let done = match link {
        Link::Association => "Resource.AlreadyAssociated",
        Link::Propagation => "TransitGatewayRouteTablePropagation.Duplicate",
    };
    let now = match link {
        Link::Association => {
            let r = on_pair!(c, associate_transit_gateway_route_table, &rt, &att);
            unless_done(r, &[done])?.is_some()
        }
        Link::Propagation => {
            let r = on_pair!(c, enable_transit_gateway_route_table_propagation, &rt, &att);
            unless_done(r, &[done])?.is_some()
        }
    };
    if !now && !links(c, link, &rt).await?.iter().any(|(a, _)| *a == att) {
        return Err(KindError::new(
            ErrorClass::Conflict,
            done,
            format!("{att} is linked to another route table"),
        ));
    }
    Ok(Created { physical_id: link.physical_id(&rt, &att), outputs: Attrs::new() })
}

async fn delete_link(
    ec2: &Ec2,
    link: Link,
    scope: &Scope,
    current: &Observed,
) -> Result<(), KindError> {
    let c = ec2.client(scope)?;
    let (rt, att) = link.ends(&current.attrs)?;
    let removed = match link {
        Link::Association => {
            on_pair!(c, disassociate_transit_gateway_route_table, &rt, &att).map_err(classify)
        }
        Link::Propagation => {
            on_pair!(c, disable_transit_gateway_route_table_propagation, &rt, &att)
                .map_err(classify)
        }
    };
    gone_is_ok(removed)
}

async fn link_ready(
    ec2: &Ec2,
    link: Link,
    scope: &Scope,
    op: Op,
    physical_id: &str,
) -> Result<Readiness, KindError> {
    let mut parts = physical_id.split('_');
    let (Some(rt), Some(att)) = (parts.next(), parts.next()) else {
        return Err(KindError::fatal("BadId", physical_id));
    };
    let found = found(links(ec2.client(scope)?, link, rt).await)?
        .and_then(|l| l.into_iter().find(|(a, _)| a == att).map(|(_, s)| s));
    Ok(match (op, found.as_deref()) {
        (Op::Delete, None | Some("disassociated" | "disabled")) => Readiness::Gone,
        (Op::Delete, Some(st)) => Readiness::Pending(st.to_string()),
        (_, Some("associated" | "enabled")) => Readiness::Ready(Attrs::new()),
        (_, Some(st)) => Readiness::Pending(st.to_string()),
        (_, None) => return Err(not_visible(physical_id)),
    })
}

pub struct TgwAssociation(pub Arc<Ec2>);
pub struct TgwPropagation(pub Arc<Ec2>);

macro_rules! link_kind {
    ($ty:ident, $name:ident, $link:expr) => {
        #[async_trait]
        impl Kind for $ty {
            kind_meta!($name);

            async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
                observe_links(&self.0, $link, env, scope).await
            }

            async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
                create_link(&self.0, $link, node).await
            }

            async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
                Ok(change.done())
            }

            async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
                delete_link(&self.0, $link, scope, current).await
            }

            async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
                link_ready(&self.0, $link, check.scope, check.op, check.physical_id).await
            }
        }
    };
}

link_kind!(TgwAssociation, TGW_ASSOCIATION, Link::Association);
link_kind!(TgwPropagation, TGW_PROPAGATION, Link::Propagation);
