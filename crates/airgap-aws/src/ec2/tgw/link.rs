//! The TGW route table association and propagation kinds (`tgw-association`,
//! `tgw-propagation`): one implementation for both, told apart by `Link`. Neither can
//! be tagged, so each is recorded on its route table (`airgap:assoc:<attachment>`,
//! `airgap:prop:<attachment>`).

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope, Value,
};
use async_trait::async_trait;

use super::tgw_route_tables;
use crate::ec2::{kind_meta, mark, not_visible, tag_map, unmark, Ec2};
use crate::errors::{classify, code_of, found, gone_is_ok};
use crate::kit::{all_pages, s, update_keeps_outputs};
use crate::tags;

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

    fn mark(self) -> &'static str {
        match self {
            Link::Association => tags::ASSOC_MARK,
            Link::Propagation => tags::PROP_MARK,
        }
    }
}

/// Current links of one route table: (attachment id, state).
async fn links(
    c: &aws_sdk_ec2::Client,
    link: Link,
    rt: &str,
) -> Result<Vec<(String, String)>, KindError> {
    Ok(match link {
        Link::Association => all_pages!(c
            .get_transit_gateway_route_table_associations()
            .transit_gateway_route_table_id(rt))?
        .into_iter()
        .filter_map(|a| {
            Some((
                a.transit_gateway_attachment_id()?.to_string(),
                a.state().map_or("", |s| s.as_str()).to_string(),
            ))
        })
        .collect(),
        Link::Propagation => all_pages!(c
            .get_transit_gateway_route_table_propagations()
            .transit_gateway_route_table_id(rt))?
        .into_iter()
        .filter_map(|a| {
            Some((
                a.transit_gateway_attachment_id()?.to_string(),
                a.state().map_or("", |s| s.as_str()).to_string(),
            ))
        })
        .collect(),
    })
}

/// Observe of associations and propagations: one Describe of the env's TGW route
/// tables, then one Get per route table (a handful per environment, not per VPC).
async fn observe_links(
    ec2: &Ec2,
    link: Link,
    env: &str,
    scope: &Scope,
) -> Result<Vec<Observed>, KindError> {
    let c = ec2.client(scope)?;
    let mut out = Vec::new();
    for t in tgw_route_tables(ec2, env, scope).await? {
        let tm = tag_map(t.tags());
        let Some(rt) = t.transit_gateway_route_table_id() else {
            continue;
        };
        if !tm.keys().any(|k| k.starts_with(link.mark())) {
            continue;
        }
        for (att, state) in links(c, link, rt).await? {
            if matches!(
                state.as_str(),
                "disassociating" | "disassociated" | "disabling" | "disabled"
            ) {
                continue;
            }
            let Some(id) = tm.get(&format!("{}{att}", link.mark())) else {
                continue;
            };
            out.push(Observed {
                id: id.as_str().into(),
                physical_id: format!("{rt}_{att}_{}", link.tag()),
                attrs: Attrs::from([
                    ("attachment".to_string(), Value::str(att.as_str())),
                    ("routeTable".to_string(), Value::str(rt)),
                ]),
                outputs: Attrs::new(),
                parents: vec![rt.to_string(), att],
            });
        }
    }
    Ok(out)
}

async fn create_link(ec2: &Ec2, link: Link, node: &Resolved) -> Result<Created, KindError> {
    let c = ec2.client(&node.scope)?;
    let (rt, att) = (s(&node.attrs, "routeTable")?, s(&node.attrs, "attachment")?);
    let r = match link {
        Link::Association => c
            .associate_transit_gateway_route_table()
            .transit_gateway_route_table_id(&rt)
            .transit_gateway_attachment_id(&att)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| (code_of(&e).map(str::to_string), classify(e))),
        Link::Propagation => c
            .enable_transit_gateway_route_table_propagation()
            .transit_gateway_route_table_id(&rt)
            .transit_gateway_attachment_id(&att)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| (code_of(&e).map(str::to_string), classify(e))),
    };
    match r {
        Ok(()) => {}
        // A retry after a call that went through.
        Err((Some(code), _))
            if code == "Resource.AlreadyAssociated"
                || code == "TransitGatewayRouteTablePropagation.Duplicate" =>
        {
            if !links(c, link, &rt).await?.iter().any(|(a, _)| *a == att) {
                return Err(KindError::new(
                    ErrorClass::Conflict,
                    code,
                    format!("{att} is linked to another route table"),
                ));
            }
        }
        Err((_, e)) => return Err(e),
    }
    mark(c, &rt, &format!("{}{att}", link.mark()), &node.id.0).await?;
    Ok(Created {
        physical_id: format!("{rt}_{att}_{}", link.tag()),
        outputs: Attrs::new(),
    })
}

async fn delete_link(
    ec2: &Ec2,
    link: Link,
    scope: &Scope,
    current: &Observed,
) -> Result<(), KindError> {
    let c = ec2.client(scope)?;
    let (rt, att) = (
        s(&current.attrs, "routeTable")?,
        s(&current.attrs, "attachment")?,
    );
    let r = match link {
        Link::Association => c
            .disassociate_transit_gateway_route_table()
            .transit_gateway_route_table_id(&rt)
            .transit_gateway_attachment_id(&att)
            .send()
            .await
            .map(|_| ())
            .map_err(classify),
        Link::Propagation => c
            .disable_transit_gateway_route_table_propagation()
            .transit_gateway_route_table_id(&rt)
            .transit_gateway_attachment_id(&att)
            .send()
            .await
            .map(|_| ())
            .map_err(classify),
    };
    gone_is_ok(r)?;
    unmark(c, &rt, &format!("{}{att}", link.mark())).await
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

            update_keeps_outputs!();

            async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
                delete_link(&self.0, $link, scope, current).await
            }

            async fn ready(
                &self,
                scope: &Scope,
                op: Op,
                physical_id: &str,
                _outputs: &Attrs,
            ) -> Result<Readiness, KindError> {
                link_ready(&self.0, $link, scope, op, physical_id).await
            }
        }
    };
}

link_kind!(TgwAssociation, TGW_ASSOCIATION, Link::Association);
link_kind!(TgwPropagation, TGW_PROPAGATION, Link::Propagation);
