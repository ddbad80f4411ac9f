//! The network sections' readers that one field type cannot express: an existing
//! transit gateway (`id`, which rules out `asn`), a VPC's endpoints (defaulted as a
//! whole), endpoint policies (a JSON string or a mapping) and the ICMP rule without a
//! port. `hub` and `vpcs` are otherwise read by `#[derive(Section)]` on the model.

use serde_json::{json, Map, Value as Json};

use super::{Obj, Parser};
use crate::diag::Code;
use crate::model::*;
use crate::section::{Schema, Section};
use crate::yaml::{Kind, ScalarType};

/// `transitGateway.id`: an existing gateway. Its ASN is the gateway's own (fixed at
/// creation, AWS has no call to change it), so `asn` beside `id` is a contradiction.
pub(crate) mod existing_tgw {
    use super::*;

    pub(crate) const KEYS: &[&str] = &["id"];

    pub(crate) fn read(p: &mut Parser<'_>, t: &Obj<'_>, _: &str) -> Option<Spanned<String>> {
        let id = p.opt_string(t, "id")?;
        if !is_tgw_id(&id.value) {
            p.sink
                .report(
                    Code::InvalidValue,
                    id.span,
                    format!("`{}` is not a transit gateway id", id.value),
                    "not tgw-<8 or 17 hex digits>",
                )
                .help(
                    "give the id of an existing transit gateway of the hub account, as \
                     `aws ec2 describe-transit-gateways` prints it (tgw-0123456789abcdef0)",
                );
            return None;
        }
        if let Some((k, _)) = p.get(t, "asn") {
            p.sink
                .report(
                    Code::InvalidValue,
                    k.span,
                    "`asn` is set beside `id`".to_string(),
                    "an existing gateway keeps its own ASN",
                )
                .help("remove `asn`: AWS fixes a transit gateway's ASN when it is created");
        }
        Some(id)
    }

    pub(crate) fn schema(_: &mut Schema, props: &mut Map<String, Json>, _: &mut Map<String, Json>) {
        props.insert(
            "id".into(),
            json!({ "type": "string", "pattern": "^tgw-([0-9a-f]{8}|[0-9a-f]{17})$" }),
        );
    }
}

/// ICMP has no ports: a rule with both says something the firewall cannot do.
pub(crate) fn icmp_has_no_port(p: &mut Parser<'_>, rule: &AllowRule) {
    if rule.protocol.value != Protocol::Icmp || p.is_poisoned(rule.protocol.span) {
        return;
    }
    if let Some(port) = &rule.port {
        p.sink
            .report(Code::InvalidValue, port.span, "ICMP has no ports", "port on an ICMP rule")
            .help("remove `port`, or use tcp or udp");
    }
}

/// A VPC's `endpoints`: left out, the S3 gateway and the interface endpoints a private
/// EKS cluster needs; written, exactly what it lists.
pub(crate) mod vpc_endpoints {
    use super::*;

    pub(crate) const KEYS: &[&str] = &["endpoints"];

    pub(crate) fn read(p: &mut Parser<'_>, o: &Obj<'_>, _: &str) -> Endpoints {
        match p.get(o, "endpoints") {
            None => Endpoints {
                gateway: vec![Spanned::new("s3".to_string(), o.owner())],
                interface: crate::regions::EKS_INTERFACE_DEFAULT
                    .iter()
                    .map(|s| Spanned::new(s.to_string(), o.owner()))
                    .collect(),
                policies: Vec::new(),
            },
            Some((k, v)) => match p.obj(v, k.span, "`endpoints`", &Endpoints::keys()) {
                Some(e) => Endpoints::read_fields(p, &e, "`endpoints`"),
                None => Endpoints::default(),
            },
        }
    }

    pub(crate) fn schema(s: &mut Schema, props: &mut Map<String, Json>, _: &mut Map<String, Json>) {
        props.insert("endpoints".into(), s.def::<Endpoints>());
    }
}

/// `endpoints.policies`: service name -> policy, each a YAML mapping or a JSON string.
pub(crate) mod policies {
    use super::*;

    pub(crate) const KEYS: &[&str] = &["policies"];

    pub(crate) fn read(
        p: &mut Parser<'_>,
        e: &Obj<'_>,
        _: &str,
    ) -> Vec<(Spanned<String>, Spanned<serde_json::Value>)> {
        let Some((_, v)) = p.get(e, "policies") else {
            return Vec::new();
        };
        let Kind::Map(pairs) = &v.kind else {
            p.wrong_type(v, "`policies`", "a mapping of service name to policy");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, body) in pairs {
            let Some(service) = p.string(k, "a service name") else {
                continue;
            };
            let json = match &body.kind {
                Kind::Map(_) => Some(body.to_json()),
                Kind::Scalar { text, .. } if body.scalar_type() == Some(ScalarType::Str) => {
                    match serde_json::from_str::<serde_json::Value>(text) {
                        Ok(j @ serde_json::Value::Object(_)) => Some(j),
                        Ok(_) => {
                            p.sink
                                .report(
                                    Code::EndpointPolicy,
                                    body.span,
                                    format!(
                                        "policy for `{}` is JSON but not an object",
                                        service.value
                                    ),
                                    "not a JSON object",
                                )
                                .help("an endpoint policy is a JSON object with `Statement`");
                            None
                        }
                        Err(err) => {
                            p.sink
                                .report(
                                    Code::EndpointPolicy,
                                    body.span,
                                    format!(
                                        "policy for `{}` is not valid JSON: {err}",
                                        service.value
                                    ),
                                    "invalid JSON",
                                )
                                .help(
                                    "write the policy as a JSON string or as a YAML mapping \
                                         (`Statement: [...]`)",
                                );
                            None
                        }
                    }
                }
                _ => {
                    p.sink
                            .report(
                                Code::EndpointPolicy,
                                body.span,
                                format!("policy for `{}` must be an object, found {}", service.value, body.type_name()),
                                "not a policy document",
                            )
                            .help("write the policy as a JSON string or as a YAML mapping (`Statement: [...]`)");
                    None
                }
            };
            if let Some(j) = json {
                out.push((service, Spanned::new(j, body.span)));
            }
        }
        out
    }

    pub(crate) fn schema(_: &mut Schema, props: &mut Map<String, Json>, _: &mut Map<String, Json>) {
        props.insert(
            "policies".into(),
            json!({
                "type": "object",
                "additionalProperties": {
                    "oneOf": [
                        { "type": "string", "description": "Policy document as a JSON string." },
                        { "type": "object", "required": ["Statement"] }
                    ]
                }
            }),
        );
    }
}

/// `tgw-` and 8 or 17 lowercase hex digits, the two id lengths EC2 has issued.
pub(crate) fn is_tgw_id(s: &str) -> bool {
    s.strip_prefix("tgw-").is_some_and(|h| {
        matches!(h.len(), 8 | 17)
            && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}
