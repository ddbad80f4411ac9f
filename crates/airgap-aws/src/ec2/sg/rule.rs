//! The security group ingress rule kind (`security-group-rule`), recorded on its group
//! as `airgap:rule:<protocol>:<port>:<cidr>`.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope, Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange};

use crate::ec2::{env_filter, kind_meta, mark, tag_map, unmark, Ec2};
use crate::errors::{classify, code_of};
use crate::kit::{all_pages, s, update_keeps_outputs};
use crate::tags;

pub struct SecurityGroupRule(pub Arc<Ec2>);

fn port_of(attrs: &Attrs) -> Result<i32, KindError> {
    match attrs.get("port") {
        Some(Value::Int(p)) => i32::try_from(*p)
            .map_err(|_| KindError::fatal("BadAttribute", format!("port {p} out of range"))),
        other => Err(KindError::fatal(
            "BadAttribute",
            format!("port is missing or not a number: {other:?}"),
        )),
    }
}

fn rule_key(proto: &str, port: i32, cidr: &str) -> String {
    format!("{}{proto}:{port}:{cidr}", tags::RULE_MARK)
}

fn permission(proto: &str, port: i32, cidr: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol(proto)
        .from_port(port)
        .to_port(port)
        .ip_ranges(IpRange::builder().cidr_ip(cidr).build())
        .build()
}

#[async_trait]
impl Kind for SecurityGroupRule {
    kind_meta!(SECURITY_GROUP_RULE);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let groups = all_pages!(self
            .0
            .client(scope)?
            .describe_security_groups()
            .filters(env_filter(env)))?;
        let mut out = Vec::new();
        for g in groups {
            let t = tag_map(g.tags());
            if tags::owned_id(&t, env).is_none() {
                continue;
            }
            let gid = g.group_id().unwrap_or_default();
            for p in g.ip_permissions() {
                let (Some(proto), Some(from)) = (p.ip_protocol(), p.from_port()) else {
                    continue;
                };
                for r in p.ip_ranges() {
                    let Some(cidr) = r.cidr_ip() else { continue };
                    let Some(id) = t.get(&rule_key(proto, from, cidr)) else {
                        continue;
                    };
                    out.push(Observed {
                        id: id.as_str().into(),
                        physical_id: format!("{gid}_ingress_{proto}_{from}_{cidr}"),
                        attrs: Attrs::from([
                            ("group".to_string(), Value::str(gid)),
                            ("protocol".to_string(), Value::str(proto)),
                            ("port".to_string(), Value::Int(i64::from(from))),
                            ("cidr".to_string(), Value::str(cidr)),
                        ]),
                        outputs: Attrs::new(),
                        parents: vec![gid.to_string()],
                    });
                }
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let (gid, proto, cidr) = (
            s(&node.attrs, "group")?,
            s(&node.attrs, "protocol")?,
            s(&node.attrs, "cidr")?,
        );
        let port = port_of(&node.attrs)?;
        match c
            .authorize_security_group_ingress()
            .group_id(&gid)
            .ip_permissions(permission(&proto, port, &cidr))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code_of(&e) == Some("InvalidPermission.Duplicate") => {}
            Err(e) => return Err(classify(e)),
        }
        mark(c, &gid, &rule_key(&proto, port, &cidr), &node.id.0).await?;
        Ok(Created {
            physical_id: format!("{gid}_ingress_{proto}_{port}_{cidr}"),
            outputs: Attrs::new(),
        })
    }

    update_keeps_outputs!();

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let a = &current.attrs;
        let (gid, proto, cidr) = (s(a, "group")?, s(a, "protocol")?, s(a, "cidr")?);
        let port = port_of(a)?;
        match c
            .revoke_security_group_ingress()
            .group_id(&gid)
            .ip_permissions(permission(&proto, port, &cidr))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code_of(&e) == Some("InvalidPermission.NotFound") => {}
            Err(e) => match classify(e) {
                e if e.class == ErrorClass::NotFound => {}
                e => return Err(e),
            },
        }
        unmark(c, &gid, &rule_key(&proto, port, &cidr)).await
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
