//! VPCs, subnets, internet gateways, Elastic IPs and NAT gateways.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, NatGatewayState, ResourceType, SubnetState, VpcState,
};

use super::{
    env_filter, is_node, kind_meta, not_visible, owned_filters, tag_map, tag_spec, Blockers, Ec2,
    Held,
};
use crate::errors::{classify, code_of, found, gone_is_ok};
use crate::kit::{id_out, s};
use crate::tags;

/// Gone after a delete, or (right after a create) not visible yet.
fn missing(op: Op, what: &str) -> Result<Readiness, KindError> {
    if op == Op::Delete {
        Ok(Readiness::Gone)
    } else {
        Err(not_visible(what))
    }
}

pub struct Vpc(pub Arc<Ec2>, pub Arc<Blockers>);

#[async_trait]
impl Kind for Vpc {
    kind_meta!("vpc");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["cidr"]
    }

    /// DNS support and hostnames are set on every create and update; reading them back
    /// costs two calls per VPC, which would make plans grow with the environment.
    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        let mut d = desired.clone();
        d.retain(|k, _| k == "cidr");
        Diff::compute(&d, &observed.attrs, self.replace_fields())
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let vpcs = self
            .0
            .client(scope)?
            .describe_vpcs()
            .filters(env_filter(env))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
        Ok(vpcs
            .into_iter()
            .filter_map(|v| {
                let id = tags::owned_id(&tag_map(v.tags()), env)?;
                let vpc_id = v.vpc_id()?.to_string();
                Some(Observed {
                    id: id.as_str().into(),
                    attrs: Attrs::from([(
                        "cidr".to_string(),
                        Value::str(v.cidr_block().unwrap_or_default()),
                    )]),
                    outputs: id_out(&vpc_id),
                    physical_id: vpc_id,
                    parents: vec![],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_vpcs()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        let found = existing
            .vpcs()
            .iter()
            .filter(|v| is_node(v.tags(), node))
            .filter_map(|v| v.vpc_id())
            .find(|id| node.replaces.as_deref() != Some(*id))
            .map(str::to_string);
        let vpc_id = match found {
            Some(id) => id,
            None => c
                .create_vpc()
                .cidr_block(s(&node.attrs, "cidr")?)
                .tag_specifications(tag_spec(ResourceType::Vpc, &node.env, &node.id.0))
                .send()
                .await
                .map_err(classify)?
                .vpc()
                .and_then(|v| v.vpc_id())
                .ok_or_else(|| KindError::fatal("NoId", "CreateVpc returned no VPC id"))?
                .to_string(),
        };
        self.dns(c, &vpc_id, &node.attrs).await?;
        Ok(Created {
            outputs: id_out(&vpc_id),
            physical_id: vpc_id,
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        self.dns(
            self.0.client(&node.scope)?,
            &current.physical_id,
            &node.attrs,
        )
        .await?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let r = gone_is_ok(
            self.0
                .client(scope)?
                .delete_vpc()
                .vpc_id(&current.physical_id)
                .send()
                .await
                .map_err(classify),
        );
        match r {
            Err(e) if e.class == ErrorClass::DependencyViolation => Err(self
                .1
                .clear(scope, Held::Vpc, &current.physical_id, e)
                .await),
            r => r,
        }
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
            .describe_vpcs()
            .vpc_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let vpc = found(r)?.and_then(|o| o.vpcs().first().cloned());
        match vpc {
            None => missing(op, physical_id),
            Some(_) if op == Op::Delete => Ok(Readiness::Pending("deleting".into())),
            Some(v) if v.state() == Some(&VpcState::Available) => {
                Ok(Readiness::Ready(id_out(physical_id)))
            }
            Some(v) => Ok(Readiness::Pending(
                v.state().map_or("pending", |s| s.as_str()).to_string(),
            )),
        }
    }
}

impl Vpc {
    /// Private DNS of interface endpoints needs both attributes; each takes its own call.
    async fn dns(
        &self,
        c: &aws_sdk_ec2::Client,
        vpc_id: &str,
        attrs: &Attrs,
    ) -> Result<(), KindError> {
        let on = |k| {
            AttributeBooleanValue::builder()
                .value(crate::kit::b(attrs, k, true))
                .build()
        };
        c.modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_support(on("enableDnsSupport"))
            .send()
            .await
            .map_err(classify)?;
        c.modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_hostnames(on("enableDnsHostnames"))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}

pub struct Subnet(pub Arc<Ec2>, pub Arc<Blockers>);

#[async_trait]
impl Kind for Subnet {
    kind_meta!("subnet");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["vpc", "cidr", "az"]
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let subnets = self
            .0
            .client(scope)?
            .describe_subnets()
            .filters(env_filter(env))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
        Ok(subnets
            .into_iter()
            .filter_map(|sn| {
                let id = tags::owned_id(&tag_map(sn.tags()), env)?;
                let subnet_id = sn.subnet_id()?.to_string();
                let vpc = sn.vpc_id().unwrap_or_default().to_string();
                Some(Observed {
                    id: id.as_str().into(),
                    attrs: Attrs::from([
                        ("vpc".to_string(), Value::str(vpc.as_str())),
                        (
                            "cidr".to_string(),
                            Value::str(sn.cidr_block().unwrap_or_default()),
                        ),
                        (
                            "az".to_string(),
                            Value::str(sn.availability_zone().unwrap_or_default()),
                        ),
                    ]),
                    outputs: id_out(&subnet_id),
                    physical_id: subnet_id,
                    parents: vec![vpc],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_subnets()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        if let Some(id) = existing
            .subnets()
            .iter()
            .filter(|v| is_node(v.tags(), node))
            .filter_map(|v| v.subnet_id())
            .find(|id| node.replaces.as_deref() != Some(*id))
        {
            return Ok(Created {
                physical_id: id.to_string(),
                outputs: id_out(id),
            });
        }
        let out = c
            .create_subnet()
            .vpc_id(s(&node.attrs, "vpc")?)
            .cidr_block(s(&node.attrs, "cidr")?)
            .availability_zone(s(&node.attrs, "az")?)
            .tag_specifications(tag_spec(ResourceType::Subnet, &node.env, &node.id.0))
            .send()
            .await
            .map_err(classify)?;
        let id = out
            .subnet()
            .and_then(|s| s.subnet_id())
            .ok_or_else(|| KindError::fatal("NoId", "CreateSubnet returned no subnet id"))?;
        Ok(Created {
            physical_id: id.to_string(),
            outputs: id_out(id),
        })
    }

    async fn update(
        &self,
        _node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        // Every field forces a replacement; nothing to change in place.
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let r = gone_is_ok(
            self.0
                .client(scope)?
                .delete_subnet()
                .subnet_id(&current.physical_id)
                .send()
                .await
                .map_err(classify),
        );
        match r {
            Err(e) if e.class == ErrorClass::DependencyViolation => Err(self
                .1
                .clear(scope, Held::Subnet, &current.physical_id, e)
                .await),
            r => r,
        }
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
            .describe_subnets()
            .subnet_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let sn = found(r)?.and_then(|o| o.subnets().first().cloned());
        match sn {
            None => missing(op, physical_id),
            Some(_) if op == Op::Delete => Ok(Readiness::Pending("deleting".into())),
            Some(v) if v.state() == Some(&SubnetState::Available) => {
                Ok(Readiness::Ready(id_out(physical_id)))
            }
            Some(v) => Ok(Readiness::Pending(
                v.state().map_or("pending", |s| s.as_str()).to_string(),
            )),
        }
    }
}

pub struct InternetGateway(pub Arc<Ec2>);

#[async_trait]
impl Kind for InternetGateway {
    kind_meta!("internet-gateway");

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let igws = self
            .0
            .client(scope)?
            .describe_internet_gateways()
            .filters(env_filter(env))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
        Ok(igws
            .into_iter()
            .filter_map(|g| {
                let id = tags::owned_id(&tag_map(g.tags()), env)?;
                let igw_id = g.internet_gateway_id()?.to_string();
                let vpc = g
                    .attachments()
                    .iter()
                    .find_map(|a| a.vpc_id())
                    .map(str::to_string);
                let mut attrs = Attrs::new();
                if let Some(v) = &vpc {
                    attrs.insert("vpc".into(), Value::str(v.as_str()));
                }
                Some(Observed {
                    id: id.as_str().into(),
                    attrs,
                    outputs: id_out(&igw_id),
                    physical_id: igw_id,
                    parents: vpc.into_iter().collect(),
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_internet_gateways()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        let found = existing
            .internet_gateways()
            .iter()
            .find(|g| {
                is_node(g.tags(), node) && node.replaces.as_deref() != g.internet_gateway_id()
            })
            .cloned();
        let (igw_id, attached) = match found {
            Some(g) => (
                g.internet_gateway_id().unwrap_or_default().to_string(),
                !g.attachments().is_empty(),
            ),
            None => {
                let out = c
                    .create_internet_gateway()
                    .tag_specifications(tag_spec(
                        ResourceType::InternetGateway,
                        &node.env,
                        &node.id.0,
                    ))
                    .send()
                    .await
                    .map_err(classify)?;
                let id = out
                    .internet_gateway()
                    .and_then(|g| g.internet_gateway_id())
                    .ok_or_else(|| {
                        KindError::fatal("NoId", "CreateInternetGateway returned no id")
                    })?
                    .to_string();
                (id, false)
            }
        };
        if !attached {
            self.attach(c, &igw_id, &s(&node.attrs, "vpc")?).await?;
        }
        Ok(Created {
            outputs: id_out(&igw_id),
            physical_id: igw_id,
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let c = self.0.client(&node.scope)?;
        if let Some(old) = current.attrs.get("vpc").and_then(Value::as_str) {
            detach(c, &current.physical_id, old).await?;
        }
        self.attach(c, &current.physical_id, &s(&node.attrs, "vpc")?)
            .await?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        if let Some(vpc) = current.attrs.get("vpc").and_then(Value::as_str) {
            detach(c, &current.physical_id, vpc).await?;
        }
        gone_is_ok(
            c.delete_internet_gateway()
                .internet_gateway_id(&current.physical_id)
                .send()
                .await
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
            .describe_internet_gateways()
            .internet_gateway_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        match r {
            Ok(o) if !o.internet_gateways().is_empty() => {
                if op == Op::Delete {
                    Ok(Readiness::Pending("deleting".into()))
                } else {
                    Ok(Readiness::Ready(id_out(physical_id)))
                }
            }
            Ok(_) => missing(op, physical_id),
            Err(e) if e.class == ErrorClass::NotFound => missing(op, physical_id),
            Err(e) => Err(e),
        }
    }
}

impl InternetGateway {
    async fn attach(&self, c: &aws_sdk_ec2::Client, igw: &str, vpc: &str) -> Result<(), KindError> {
        match c
            .attach_internet_gateway()
            .internet_gateway_id(igw)
            .vpc_id(vpc)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // A retried attach after one that went through.
            Err(e) if code_of(&e) == Some("Resource.AlreadyAssociated") => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }
}

async fn detach(c: &aws_sdk_ec2::Client, igw: &str, vpc: &str) -> Result<(), KindError> {
    match c
        .detach_internet_gateway()
        .internet_gateway_id(igw)
        .vpc_id(vpc)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if code_of(&e) == Some("Gateway.NotAttached") => Ok(()),
        Err(e) => gone_is_ok(Err::<(), _>(classify(e))),
    }
}

pub struct ElasticIp(pub Arc<Ec2>);

#[async_trait]
impl Kind for ElasticIp {
    kind_meta!("elastic-ip");

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        // DescribeAddresses is not paginated.
        let out = self
            .0
            .client(scope)?
            .describe_addresses()
            .filters(env_filter(env))
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .addresses()
            .iter()
            .filter_map(|a| {
                let id = tags::owned_id(&tag_map(a.tags()), env)?;
                let alloc = a.allocation_id()?.to_string();
                Some(Observed {
                    id: id.as_str().into(),
                    attrs: Attrs::new(),
                    outputs: eip_out(&alloc, a.public_ip()),
                    physical_id: alloc,
                    parents: vec![],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_addresses()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        if let Some(a) = existing.addresses().iter().find(|a| {
            is_node(a.tags(), node)
                && a.allocation_id().is_some()
                && node.replaces.as_deref() != a.allocation_id()
        }) {
            let alloc = a.allocation_id().unwrap_or_default();
            return Ok(Created {
                physical_id: alloc.to_string(),
                outputs: eip_out(alloc, a.public_ip()),
            });
        }
        let out = c
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_spec(ResourceType::ElasticIp, &node.env, &node.id.0))
            .send()
            .await
            .map_err(classify)?;
        let alloc = out
            .allocation_id()
            .ok_or_else(|| KindError::fatal("NoId", "AllocateAddress returned no allocation id"))?;
        Ok(Created {
            physical_id: alloc.to_string(),
            outputs: eip_out(alloc, out.public_ip()),
        })
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
        gone_is_ok(
            self.0
                .client(scope)?
                .release_address()
                .allocation_id(&current.physical_id)
                .send()
                .await
                .map_err(classify),
        )
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        if op != Op::Delete {
            return Ok(Readiness::Ready(outputs.clone()));
        }
        let r = self
            .0
            .client(scope)?
            .describe_addresses()
            .allocation_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        match r {
            Ok(o) if !o.addresses().is_empty() => Ok(Readiness::Pending("releasing".into())),
            Ok(_) => Ok(Readiness::Gone),
            Err(e) if e.class == ErrorClass::NotFound => Ok(Readiness::Gone),
            Err(e) => Err(e),
        }
    }
}

fn eip_out(alloc: &str, ip: Option<&str>) -> Attrs {
    let mut o = id_out(alloc);
    if let Some(ip) = ip {
        o.insert("publicIp".into(), Value::str(ip));
    }
    o
}

pub struct NatGateway(pub Arc<Ec2>);

#[async_trait]
impl Kind for NatGateway {
    kind_meta!("nat-gateway");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["subnet", "eip"]
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let nats = self
            .0
            .client(scope)?
            .describe_nat_gateways()
            .filter(env_filter(env))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
        Ok(nats
            .into_iter()
            .filter(|n| {
                // Deleted ones linger in Describe for about an hour.
                !matches!(
                    n.state(),
                    Some(
                        NatGatewayState::Deleted
                            | NatGatewayState::Deleting
                            | NatGatewayState::Failed
                    )
                )
            })
            .filter_map(|n| {
                let id = tags::owned_id(&tag_map(n.tags()), env)?;
                let nat_id = n.nat_gateway_id()?.to_string();
                let subnet = n.subnet_id().unwrap_or_default().to_string();
                let eip = n
                    .nat_gateway_addresses()
                    .iter()
                    .find_map(|a| a.allocation_id())
                    .unwrap_or_default()
                    .to_string();
                Some(Observed {
                    id: id.as_str().into(),
                    attrs: Attrs::from([
                        ("subnet".to_string(), Value::str(subnet.as_str())),
                        ("eip".to_string(), Value::str(eip.as_str())),
                    ]),
                    outputs: id_out(&nat_id),
                    physical_id: nat_id,
                    parents: vec![subnet, eip],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let out = self
            .0
            .client(&node.scope)?
            .create_nat_gateway()
            .client_token(node.client_token())
            .subnet_id(s(&node.attrs, "subnet")?)
            .allocation_id(s(&node.attrs, "eip")?)
            .tag_specifications(tag_spec(ResourceType::Natgateway, &node.env, &node.id.0))
            .send()
            .await
            .map_err(classify)?;
        let id = out
            .nat_gateway()
            .and_then(|n| n.nat_gateway_id())
            .ok_or_else(|| KindError::fatal("NoId", "CreateNatGateway returned no id"))?;
        Ok(Created {
            physical_id: id.to_string(),
            outputs: id_out(id),
        })
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
        gone_is_ok(
            self.0
                .client(scope)?
                .delete_nat_gateway()
                .nat_gateway_id(&current.physical_id)
                .send()
                .await
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
            .describe_nat_gateways()
            .nat_gateway_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let nat = found(r)?.and_then(|o| o.nat_gateways().first().cloned());
        let Some(n) = nat else {
            return missing(op, physical_id);
        };
        let state = n.state().cloned().unwrap_or(NatGatewayState::Pending);
        match (op, state) {
            (Op::Delete, NatGatewayState::Deleted) => Ok(Readiness::Gone),
            (Op::Delete, st) => Ok(Readiness::Pending(st.as_str().to_string())),
            (_, NatGatewayState::Available) => Ok(Readiness::Ready(id_out(physical_id))),
            (_, NatGatewayState::Failed) => Err(KindError::fatal(
                n.failure_code().unwrap_or("NatGatewayFailed"),
                n.failure_message().unwrap_or("the NAT gateway failed"),
            )),
            (_, st) => Ok(Readiness::Pending(st.as_str().to_string())),
        }
    }
}
