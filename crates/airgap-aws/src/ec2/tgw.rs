//! The transit gateway, its route tables, VPC attachments, and the route table
//! associations, propagations and static routes. Associations, propagations and routes
//! cannot be tagged: they are recorded on their TGW route table
//! (`airgap:assoc:<attachment>`, `airgap:prop:<attachment>`, `airgap:route:<cidr>`).

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    ApplianceModeSupportValue, AutoAcceptSharedAttachmentsValue,
    CreateTransitGatewayVpcAttachmentRequestOptions, DefaultRouteTableAssociationValue,
    DefaultRouteTablePropagationValue, DnsSupportValue, ModifyTransitGatewayOptions,
    ModifyTransitGatewayVpcAttachmentRequestOptions, ResourceType, TransitGatewayAttachmentState,
    TransitGatewayRequestOptions, TransitGatewayRouteTableState, TransitGatewayState,
};

use super::{
    env_filter, filter, is_node, kind_meta, mark, not_visible, owned_filters, retag, tag_map,
    tag_spec, unmark, Ec2,
};
use crate::errors::{classify, code_of, found, gone_is_ok};
use crate::kit::{b, id_out, id_set, list, missing_tags, s, sorted_lists, with_tag_drift};
use crate::tags;

/// Shared resources show in the principals' accounts too (with the owner's tags, on
/// some implementations): each account observes only what it owns.
pub(crate) fn owned_by(owner: Option<&str>, scope: &Scope) -> bool {
    owner.is_none_or(|o| o == scope.account)
}

fn enable(on: bool) -> &'static str {
    if on {
        "enable"
    } else {
        "disable"
    }
}

pub struct TransitGateway(pub Arc<Ec2>);

fn tgw_out(id: &str, arn: Option<&str>) -> Attrs {
    let mut o = id_out(id);
    if let Some(arn) = arn {
        o.insert("arn".into(), Value::str(arn));
    }
    o
}

#[async_trait]
impl Kind for TransitGateway {
    kind_meta!("transit-gateway");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["asn"]
    }

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(desired, &observed.attrs, self.replace_fields()),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let tgws = self
            .0
            .client(scope)?
            .describe_transit_gateways()
            .filters(env_filter(env))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
        Ok(tgws
            .into_iter()
            .filter(|t| {
                !matches!(
                    t.state(),
                    Some(TransitGatewayState::Deleted | TransitGatewayState::Deleting)
                ) && owned_by(t.owner_id(), scope)
            })
            .filter_map(|t| {
                let tm = tag_map(t.tags());
                let id = tags::owned_id(&tm, env)?;
                let tgw_id = t.transit_gateway_id()?.to_string();
                let o = t.options();
                let flag = |v: Option<&str>| Value::Bool(v == Some("enable"));
                let mut attrs = Attrs::from([
                    (
                        "asn".to_string(),
                        Value::Int(o.and_then(|o| o.amazon_side_asn()).unwrap_or_default()),
                    ),
                    (
                        "autoAcceptSharedAttachments".to_string(),
                        flag(
                            o.and_then(|o| o.auto_accept_shared_attachments())
                                .map(|v| v.as_str()),
                        ),
                    ),
                    (
                        "defaultRouteTableAssociation".to_string(),
                        flag(
                            o.and_then(|o| o.default_route_table_association())
                                .map(|v| v.as_str()),
                        ),
                    ),
                    (
                        "defaultRouteTablePropagation".to_string(),
                        flag(
                            o.and_then(|o| o.default_route_table_propagation())
                                .map(|v| v.as_str()),
                        ),
                    ),
                ]);
                attrs.extend(missing_tags(&tm, env, &id));
                Some(Observed {
                    id: id.as_str().into(),
                    attrs,
                    outputs: tgw_out(&tgw_id, t.transit_gateway_arn()),
                    physical_id: tgw_id,
                    parents: vec![],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_transit_gateways()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        if let Some(t) = existing.transit_gateways().iter().find(|t| {
            is_node(t.tags(), node)
                && owned_by(t.owner_id(), &node.scope)
                && node.replaces.as_deref() != t.transit_gateway_id()
                && !matches!(
                    t.state(),
                    Some(TransitGatewayState::Deleted | TransitGatewayState::Deleting)
                )
        }) {
            let id = t.transit_gateway_id().unwrap_or_default();
            return Ok(Created {
                physical_id: id.to_string(),
                outputs: tgw_out(id, t.transit_gateway_arn()),
            });
        }
        let a = &node.attrs;
        let mut opts =
            TransitGatewayRequestOptions::builder()
                .auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::from(enable(b(
                    a,
                    "autoAcceptSharedAttachments",
                    false,
                ))))
                .default_route_table_association(DefaultRouteTableAssociationValue::from(enable(
                    b(a, "defaultRouteTableAssociation", false),
                )))
                .default_route_table_propagation(DefaultRouteTablePropagationValue::from(enable(
                    b(a, "defaultRouteTablePropagation", false),
                )))
                .dns_support(DnsSupportValue::Enable);
        if let Some(Value::Int(asn)) = a.get("asn") {
            opts = opts.amazon_side_asn(*asn);
        }
        let out = c
            .create_transit_gateway()
            .description(format!("airgap {}", node.env))
            .options(opts.build())
            .tag_specifications(tag_spec(
                ResourceType::TransitGateway,
                &node.env,
                &node.id.0,
            ))
            .send()
            .await
            .map_err(classify)?;
        let t = out
            .transit_gateway()
            .ok_or_else(|| KindError::fatal("NoId", "CreateTransitGateway returned nothing"))?;
        let id = t.transit_gateway_id().unwrap_or_default();
        Ok(Created {
            physical_id: id.to_string(),
            outputs: tgw_out(id, t.transit_gateway_arn()),
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let c = self.0.client(&node.scope)?;
        retag(c, diff, &current.physical_id, &node.env, &node.id.0).await?;
        if diff.changes.iter().any(|ch| ch.field != "tags") {
            let a = &node.attrs;
            c.modify_transit_gateway()
                .transit_gateway_id(&current.physical_id)
                .options(
                    ModifyTransitGatewayOptions::builder()
                        .auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::from(
                            enable(b(a, "autoAcceptSharedAttachments", false)),
                        ))
                        .default_route_table_association(DefaultRouteTableAssociationValue::from(
                            enable(b(a, "defaultRouteTableAssociation", false)),
                        ))
                        .default_route_table_propagation(DefaultRouteTablePropagationValue::from(
                            enable(b(a, "defaultRouteTablePropagation", false)),
                        ))
                        .build(),
                )
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        gone_is_ok(
            self.0
                .client(scope)?
                .delete_transit_gateway()
                .transit_gateway_id(&current.physical_id)
                .send()
                .await
                .map(|_| ())
                .map_err(classify),
        )
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        _outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        let r = self
            .0
            .client(scope)?
            .describe_transit_gateways()
            .transit_gateway_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let t = found(r)?.and_then(|o| o.transit_gateways().first().cloned());
        let Some(t) = t else {
            return if op == Op::Delete {
                Ok(Readiness::Gone)
            } else {
                Err(not_visible(physical_id))
            };
        };
        let state = t.state().cloned().unwrap_or(TransitGatewayState::Pending);
        Ok(match (op, state) {
            (Op::Delete, TransitGatewayState::Deleted) => Readiness::Gone,
            (Op::Delete, st) => Readiness::Pending(st.as_str().to_string()),
            (_, TransitGatewayState::Available) => {
                Readiness::Ready(tgw_out(physical_id, t.transit_gateway_arn()))
            }
            (_, st) => Readiness::Pending(st.as_str().to_string()),
        })
    }
}

pub struct TgwRouteTable(pub Arc<Ec2>);

async fn tgw_route_tables(
    ec2: &Ec2,
    env: &str,
    scope: &Scope,
) -> Result<Vec<aws_sdk_ec2::types::TransitGatewayRouteTable>, KindError> {
    let all: Vec<_> = ec2
        .client(scope)?
        .describe_transit_gateway_route_tables()
        .filters(env_filter(env))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(classify)?;
    Ok(all
        .into_iter()
        .filter(|t| {
            !matches!(
                t.state(),
                Some(
                    TransitGatewayRouteTableState::Deleted
                        | TransitGatewayRouteTableState::Deleting
                )
            ) && tags::owned_id(&tag_map(t.tags()), env).is_some()
        })
        .collect())
}

#[async_trait]
impl Kind for TgwRouteTable {
    kind_meta!("tgw-route-table");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["tgw"]
    }

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(desired, &observed.attrs, self.replace_fields()),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        Ok(tgw_route_tables(&self.0, env, scope)
            .await?
            .into_iter()
            .filter_map(|t| {
                let tm = tag_map(t.tags());
                let id = tags::owned_id(&tm, env)?;
                let rt = t.transit_gateway_route_table_id()?.to_string();
                let tgw = t.transit_gateway_id().unwrap_or_default().to_string();
                let mut attrs = Attrs::from([("tgw".to_string(), Value::str(tgw.as_str()))]);
                attrs.extend(missing_tags(&tm, env, &id));
                Some(Observed {
                    id: id.as_str().into(),
                    attrs,
                    outputs: id_out(&rt),
                    physical_id: rt,
                    parents: vec![tgw],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_transit_gateway_route_tables()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        if let Some(id) = existing
            .transit_gateway_route_tables()
            .iter()
            .filter(|t| {
                !matches!(
                    t.state(),
                    Some(
                        TransitGatewayRouteTableState::Deleted
                            | TransitGatewayRouteTableState::Deleting
                    )
                )
            })
            .filter(|t| is_node(t.tags(), node))
            .filter_map(|t| t.transit_gateway_route_table_id())
            .find(|id| node.replaces.as_deref() != Some(*id))
        {
            return Ok(Created {
                physical_id: id.to_string(),
                outputs: id_out(id),
            });
        }
        let out = c
            .create_transit_gateway_route_table()
            .transit_gateway_id(s(&node.attrs, "tgw")?)
            .tag_specifications(tag_spec(
                ResourceType::TransitGatewayRouteTable,
                &node.env,
                &node.id.0,
            ))
            .send()
            .await
            .map_err(classify)?;
        let id = out
            .transit_gateway_route_table()
            .and_then(|t| t.transit_gateway_route_table_id())
            .ok_or_else(|| {
                KindError::fatal("NoId", "CreateTransitGatewayRouteTable returned no id")
            })?;
        Ok(Created {
            physical_id: id.to_string(),
            outputs: id_out(id),
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        diff: &Diff,
    ) -> Result<Attrs, KindError> {
        retag(
            self.0.client(&node.scope)?,
            diff,
            &current.physical_id,
            &node.env,
            &node.id.0,
        )
        .await?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        gone_is_ok(
            self.0
                .client(scope)?
                .delete_transit_gateway_route_table()
                .transit_gateway_route_table_id(&current.physical_id)
                .send()
                .await
                .map(|_| ())
                .map_err(classify),
        )
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        _outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        let r = self
            .0
            .client(scope)?
            .describe_transit_gateway_route_tables()
            .transit_gateway_route_table_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let t = found(r)?.and_then(|o| o.transit_gateway_route_tables().first().cloned());
        let Some(t) = t else {
            return if op == Op::Delete {
                Ok(Readiness::Gone)
            } else {
                Err(not_visible(physical_id))
            };
        };
        let state = t
            .state()
            .cloned()
            .unwrap_or(TransitGatewayRouteTableState::Pending);
        Ok(match (op, state) {
            (Op::Delete, TransitGatewayRouteTableState::Deleted) => Readiness::Gone,
            (Op::Delete, st) => Readiness::Pending(st.as_str().to_string()),
            (_, TransitGatewayRouteTableState::Available) => Readiness::Ready(id_out(physical_id)),
            (_, st) => Readiness::Pending(st.as_str().to_string()),
        })
    }
}

pub struct TgwAttachment(pub Arc<Ec2>);

fn attachment_gone(st: &TransitGatewayAttachmentState) -> bool {
    matches!(
        st,
        TransitGatewayAttachmentState::Deleted
            | TransitGatewayAttachmentState::Deleting
            | TransitGatewayAttachmentState::Failed
            | TransitGatewayAttachmentState::Rejected
    )
}

#[async_trait]
impl Kind for TgwAttachment {
    kind_meta!("tgw-attachment");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["tgw", "vpc"]
    }

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(
                &sorted_lists(desired, &["subnets"]),
                &observed.attrs,
                self.replace_fields(),
            ),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let atts = self
            .0
            .client(scope)?
            .describe_transit_gateway_vpc_attachments()
            .filters(env_filter(env))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
        Ok(atts
            .into_iter()
            .filter(|a| {
                !a.state().is_some_and(attachment_gone) && owned_by(a.vpc_owner_id(), scope)
            })
            .filter_map(|a| {
                let tm = tag_map(a.tags());
                let id = tags::owned_id(&tm, env)?;
                let att = a.transit_gateway_attachment_id()?.to_string();
                let tgw = a.transit_gateway_id().unwrap_or_default().to_string();
                let vpc = a.vpc_id().unwrap_or_default().to_string();
                let appliance = a
                    .options()
                    .and_then(|o| o.appliance_mode_support())
                    .is_some_and(|v| *v == ApplianceModeSupportValue::Enable);
                let mut attrs = Attrs::from([
                    ("tgw".to_string(), Value::str(tgw.as_str())),
                    ("vpc".to_string(), Value::str(vpc.as_str())),
                    (
                        "subnets".to_string(),
                        id_set(a.subnet_ids().iter().cloned()),
                    ),
                    ("applianceMode".to_string(), Value::Bool(appliance)),
                ]);
                attrs.extend(missing_tags(&tm, env, &id));
                let mut parents = vec![tgw, vpc];
                parents.extend(a.subnet_ids().iter().cloned());
                Some(Observed {
                    id: id.as_str().into(),
                    attrs,
                    outputs: id_out(&att),
                    physical_id: att,
                    parents,
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_transit_gateway_vpc_attachments()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        if let Some(id) = existing
            .transit_gateway_vpc_attachments()
            .iter()
            .filter(|a| {
                !a.state().is_some_and(attachment_gone)
                    && is_node(a.tags(), node)
                    && owned_by(a.vpc_owner_id(), &node.scope)
            })
            .filter_map(|a| a.transit_gateway_attachment_id())
            .find(|id| node.replaces.as_deref() != Some(*id))
        {
            return Ok(Created {
                physical_id: id.to_string(),
                outputs: id_out(id),
            });
        }
        let a = &node.attrs;
        let out = c
            .create_transit_gateway_vpc_attachment()
            .transit_gateway_id(s(a, "tgw")?)
            .vpc_id(s(a, "vpc")?)
            .set_subnet_ids(Some(list(a, "subnets")?))
            .options(
                CreateTransitGatewayVpcAttachmentRequestOptions::builder()
                    .dns_support(DnsSupportValue::Enable)
                    .appliance_mode_support(ApplianceModeSupportValue::from(enable(b(
                        a,
                        "applianceMode",
                        false,
                    ))))
                    .build(),
            )
            .tag_specifications(tag_spec(
                ResourceType::TransitGatewayAttachment,
                &node.env,
                &node.id.0,
            ))
            .send()
            .await
            .map_err(classify)?;
        let id = out
            .transit_gateway_vpc_attachment()
            .and_then(|t| t.transit_gateway_attachment_id())
            .ok_or_else(|| {
                KindError::fatal("NoId", "CreateTransitGatewayVpcAttachment returned no id")
            })?;
        Ok(Created {
            physical_id: id.to_string(),
            outputs: id_out(id),
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let c = self.0.client(&node.scope)?;
        retag(c, diff, &current.physical_id, &node.env, &node.id.0).await?;
        if !diff.changes.iter().any(|ch| ch.field != "tags") {
            return Ok(current.outputs.clone());
        }
        let want = list(&node.attrs, "subnets")?;
        let have = match current.attrs.get("subnets") {
            Some(Value::List(v)) => v
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let add: Vec<String> = want.iter().filter(|s| !have.contains(s)).cloned().collect();
        let remove: Vec<String> = have.iter().filter(|s| !want.contains(s)).cloned().collect();
        c.modify_transit_gateway_vpc_attachment()
            .transit_gateway_attachment_id(&current.physical_id)
            .set_add_subnet_ids((!add.is_empty()).then_some(add))
            .set_remove_subnet_ids((!remove.is_empty()).then_some(remove))
            .options(
                ModifyTransitGatewayVpcAttachmentRequestOptions::builder()
                    .appliance_mode_support(ApplianceModeSupportValue::from(enable(b(
                        &node.attrs,
                        "applianceMode",
                        false,
                    ))))
                    .build(),
            )
            .send()
            .await
            .map_err(classify)?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        gone_is_ok(
            self.0
                .client(scope)?
                .delete_transit_gateway_vpc_attachment()
                .transit_gateway_attachment_id(&current.physical_id)
                .send()
                .await
                .map(|_| ())
                .map_err(classify),
        )
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        _outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        let r = self
            .0
            .client(scope)?
            .describe_transit_gateway_vpc_attachments()
            .transit_gateway_attachment_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let a = found(r)?.and_then(|o| o.transit_gateway_vpc_attachments().first().cloned());
        let Some(a) = a else {
            return if op == Op::Delete {
                Ok(Readiness::Gone)
            } else {
                Err(not_visible(physical_id))
            };
        };
        use TransitGatewayAttachmentState as S;
        let state = a.state().cloned().unwrap_or(S::Pending);
        match (op, state) {
            (Op::Delete, S::Deleted) => Ok(Readiness::Gone),
            (Op::Delete, st) => Ok(Readiness::Pending(st.as_str().to_string())),
            // Cross-account: the owner's acceptance is a node of its own.
            (_, S::Available | S::PendingAcceptance) => Ok(Readiness::Ready(id_out(physical_id))),
            (_, st @ (S::Failed | S::Rejected)) => Err(KindError::fatal(
                "AttachmentFailed",
                format!("attachment {physical_id} is {}", st.as_str()),
            )),
            (_, st) => Ok(Readiness::Pending(st.as_str().to_string())),
        }
    }
}

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
        Link::Association => c
            .get_transit_gateway_route_table_associations()
            .transit_gateway_route_table_id(rt)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?
            .into_iter()
            .filter_map(|a| {
                Some((
                    a.transit_gateway_attachment_id()?.to_string(),
                    a.state().map_or("", |s| s.as_str()).to_string(),
                ))
            })
            .collect(),
        Link::Propagation => c
            .get_transit_gateway_route_table_propagations()
            .transit_gateway_route_table_id(rt)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?
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
    ($ty:ident, $name:literal, $link:expr) => {
        #[async_trait]
        impl Kind for $ty {
            kind_meta!($name);

            fn replace_fields(&self) -> &'static [&'static str] {
                &["attachment", "routeTable"]
            }

            async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
                observe_links(&self.0, $link, env, scope).await
            }

            async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
                create_link(&self.0, $link, node).await
            }

            async fn update(
                &self,
                _node: &Resolved,
                current: &Observed,
                _diff: &Diff,
            ) -> Result<Attrs, KindError> {
                Ok(current.outputs.clone())
            }

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

link_kind!(TgwAssociation, "tgw-association", Link::Association);
link_kind!(TgwPropagation, "tgw-propagation", Link::Propagation);

pub struct TgwRoute(pub Arc<Ec2>);

#[async_trait]
impl Kind for TgwRoute {
    kind_meta!("tgw-route");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["routeTable", "cidr"]
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let mut out = Vec::new();
        for t in tgw_route_tables(&self.0, env, scope).await? {
            let tm = tag_map(t.tags());
            let Some(rt) = t.transit_gateway_route_table_id() else {
                continue;
            };
            if !tm.keys().any(|k| k.starts_with(tags::ROUTE_MARK)) {
                continue;
            }
            let routes = c
                .search_transit_gateway_routes()
                .transit_gateway_route_table_id(rt)
                .filters(filter("type", ["static"]))
                .send()
                .await
                .map_err(classify)?;
            for r in routes.routes() {
                let Some(cidr) = r.destination_cidr_block() else {
                    continue;
                };
                let Some(id) = tm.get(&format!("{}{cidr}", tags::ROUTE_MARK)) else {
                    continue;
                };
                let att = r
                    .transit_gateway_attachments()
                    .iter()
                    .find_map(|a| a.transit_gateway_attachment_id())
                    .unwrap_or_default();
                let target = if r.state().map(|s| s.as_str()) == Some("blackhole") {
                    format!("{att} (blackhole)")
                } else {
                    att.to_string()
                };
                out.push(Observed {
                    id: id.as_str().into(),
                    physical_id: format!("{rt}_{cidr}"),
                    attrs: Attrs::from([
                        ("routeTable".to_string(), Value::str(rt)),
                        ("cidr".to_string(), Value::str(cidr)),
                        ("attachment".to_string(), Value::Str(target)),
                    ]),
                    outputs: Attrs::new(),
                    parents: vec![rt.to_string(), att.to_string()],
                });
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let a = &node.attrs;
        let (rt, cidr, att) = (s(a, "routeTable")?, s(a, "cidr")?, s(a, "attachment")?);
        match c
            .create_transit_gateway_route()
            .transit_gateway_route_table_id(&rt)
            .destination_cidr_block(&cidr)
            .transit_gateway_attachment_id(&att)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code_of(&e) == Some("RouteAlreadyExists") => {
                replace_tgw_route(c, &rt, &cidr, &att).await?;
            }
            Err(e) => return Err(classify(e)),
        }
        mark(c, &rt, &format!("{}{cidr}", tags::ROUTE_MARK), &node.id.0).await?;
        Ok(Created {
            physical_id: format!("{rt}_{cidr}"),
            outputs: Attrs::new(),
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let a = &node.attrs;
        replace_tgw_route(
            self.0.client(&node.scope)?,
            &s(a, "routeTable")?,
            &s(a, "cidr")?,
            &s(a, "attachment")?,
        )
        .await?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let (rt, cidr) = (s(&current.attrs, "routeTable")?, s(&current.attrs, "cidr")?);
        gone_is_ok(
            c.delete_transit_gateway_route()
                .transit_gateway_route_table_id(&rt)
                .destination_cidr_block(&cidr)
                .send()
                .await
                .map(|_| ())
                .map_err(classify),
        )?;
        unmark(c, &rt, &format!("{}{cidr}", tags::ROUTE_MARK)).await
    }

    async fn ready(
        &self,
        _scope: &Scope,
        op: Op,
        _physical_id: &str,
        outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        Ok(match op {
            Op::Delete => Readiness::Gone,
            _ => Readiness::Ready(outputs.clone()),
        })
    }
}

async fn replace_tgw_route(
    c: &aws_sdk_ec2::Client,
    rt: &str,
    cidr: &str,
    att: &str,
) -> Result<(), KindError> {
    c.replace_transit_gateway_route()
        .transit_gateway_route_table_id(rt)
        .destination_cidr_block(cidr)
        .transit_gateway_attachment_id(att)
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}
