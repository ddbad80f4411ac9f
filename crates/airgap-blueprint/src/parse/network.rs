//! The network sections: `hub` (transit gateway, RAM, inspection VPC,
//! firewall) and the spoke `vpcs` with their endpoints and endpoint policies.

use super::{keys, Obj, Parser};
use crate::carve::Ipv4Net;
use crate::diag::Code;
use crate::model::*;
use crate::yaml::{Kind, Node, ScalarType};

impl Parser<'_> {
    /// `transitGateway.id`: an existing gateway. Its ASN is the gateway's own (fixed at
    /// creation, AWS has no call to change it), so `asn` beside `id` is a contradiction.
    fn existing_tgw(&mut self, t: &Obj) -> Option<Spanned<String>> {
        let id = self.opt_string(t, "id")?;
        if !is_tgw_id(&id.value) {
            self.sink
                .report(
                    Code::InvalidValue,
                    id.span,
                    format!("`{}` is not a transit gateway id", id.value),
                    "not tgw-<8 or 17 hex digits>",
                )
                .help("give the id of an existing transit gateway of the hub account, as `aws ec2 describe-transit-gateways` prints it (tgw-0123456789abcdef0)");
            return None;
        }
        if let Some((k, _)) = self.get(t, "asn") {
            self.sink
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

    pub(super) fn hub(&mut self, root: &Obj) -> Hub {
        let sub = self
            .req(root, "hub", "the blueprint")
            .and_then(|(k, v)| Some((k, self.obj(v, k.span, "`hub`", keys::HUB)?)));
        let Some((k, o)) = sub else {
            // Already reported; a placeholder hub keeps validation of the rest going.
            let at = root.owner;
            let placeholder = Ipv4Net::new(std::net::Ipv4Addr::UNSPECIFIED, 32).expect("valid");
            return Hub {
                account: self.placeholder(String::new(), at),
                transit_gateway: TransitGateway {
                    existing: None,
                    asn: Spanned::new(64512, at),
                    auto_accept_shared_attachments: Spanned::new(false, at),
                },
                ram: Ram { organization: Spanned::new(false, at) },
                inspection_vpc: InspectionVpc {
                    cidr: self.placeholder(placeholder, at),
                    subnets: InspectionSubnets {
                        transit: Spanned::new(28, at),
                        firewall: Spanned::new(28, at),
                        public: Spanned::new(28, at),
                    },
                },
                firewall: None,
            };
        };
        let account = self.req_string(&o, "account", "`hub`");
        let transit_gateway = {
            let sub = self
                .get(&o, "transitGateway")
                .and_then(|(k, v)| self.obj(v, k.span, "`transitGateway`", keys::TRANSIT_GATEWAY));
            let owner = sub.as_ref().map_or(k.span, |s| s.owner);
            let empty = Obj { owner, entries: Vec::new() };
            let t = sub.as_ref().unwrap_or(&empty);
            let existing = self.existing_tgw(t);
            TransitGateway {
                existing,
                asn: self.int_or(t, "asn", 1, 4_294_967_295, 64512u32),
                auto_accept_shared_attachments: self.bool_or(
                    t,
                    "autoAcceptSharedAttachments",
                    false,
                ),
            }
        };
        let ram = {
            let sub =
                self.get(&o, "ram").and_then(|(k, v)| self.obj(v, k.span, "`ram`", keys::RAM));
            let empty = Obj { owner: k.span, entries: Vec::new() };
            Ram {
                organization: self.bool_or(sub.as_ref().unwrap_or(&empty), "organization", false),
            }
        };
        let inspection_vpc = {
            let sub = self
                .req(&o, "inspectionVpc", "`hub`")
                .and_then(|(k, v)| self.obj(v, k.span, "`inspectionVpc`", keys::INSPECTION_VPC));
            match sub {
                Some(i) => {
                    let cidr = self.req_cidr(&i, "cidr", "`inspectionVpc`");
                    let s = self.sub_or_empty(
                        &i,
                        "subnets",
                        "`inspectionVpc.subnets`",
                        keys::INSPECTION_SUBNETS,
                    );
                    InspectionVpc {
                        cidr,
                        subnets: InspectionSubnets {
                            transit: self.int_or(&s, "transit", 16, 28, 28u8),
                            firewall: self.int_or(&s, "firewall", 16, 28, 28u8),
                            public: self.int_or(&s, "public", 16, 28, 28u8),
                        },
                    }
                }
                None => {
                    let at = k.span;
                    let placeholder =
                        Ipv4Net::new(std::net::Ipv4Addr::UNSPECIFIED, 32).expect("valid");
                    InspectionVpc {
                        cidr: self.placeholder(placeholder, at),
                        subnets: InspectionSubnets {
                            transit: Spanned::new(28, at),
                            firewall: Spanned::new(28, at),
                            public: Spanned::new(28, at),
                        },
                    }
                }
            }
        };
        let firewall = self
            .get(&o, "firewall")
            .and_then(|(k, v)| self.obj(v, k.span, "`firewall`", keys::FIREWALL))
            .map(|f| self.firewall(&f));
        Hub { account, transit_gateway, ram, inspection_vpc, firewall }
    }

    fn firewall(&mut self, f: &Obj) -> Firewall {
        let allow_domains = self.string_list(f, "allowDomains");
        let mut allow_rules = Vec::new();
        if let Some((_, v)) = self.get(f, "allowRules") {
            for item in self.list(v, "`allowRules`") {
                let owner = Self::item_owner(item);
                let Some(r) = self.obj(item, owner, "an allow rule", keys::ALLOW_RULE) else {
                    continue;
                };
                let protocol = self.req(&r, "protocol", "an allow rule").and_then(|(_, v)| {
                    self.choice(
                        v,
                        "`protocol`",
                        &[("tcp", Protocol::Tcp), ("udp", Protocol::Udp), ("icmp", Protocol::Icmp)],
                    )
                });
                let destination = self.req_cidr(&r, "destination", "an allow rule");
                let port = self
                    .get(&r, "port")
                    .and_then(|(_, v)| self.int(v, "`port`", 1, 65535))
                    .map(|p| Spanned::new(p.value as u16, p.span));
                if let Some(protocol) = protocol {
                    if protocol.value == Protocol::Icmp {
                        if let Some(p) = &port {
                            self.sink
                                .report(
                                    Code::InvalidValue,
                                    p.span,
                                    "ICMP has no ports",
                                    "port on an ICMP rule",
                                )
                                .help("remove `port`, or use tcp or udp");
                        }
                    }
                    allow_rules.push(AllowRule { protocol, destination, port });
                }
            }
        }
        let l = self.sub_or_empty(f, "logging", "`firewall.logging`", keys::FIREWALL_LOGGING);
        let dest = [("cloudwatch", LogDestination::Cloudwatch), ("none", LogDestination::None)];
        let alert = match self.get(&l, "alert") {
            Some((_, v)) => self.choice(v, "`alert`", &dest),
            None => Some(Spanned::new(LogDestination::Cloudwatch, l.owner)),
        };
        let flow = match self.get(&l, "flow") {
            Some((_, v)) => self.choice(v, "`flow`", &dest),
            None => Some(Spanned::new(LogDestination::None, l.owner)),
        };
        let logging = FirewallLogging {
            alert: alert.unwrap_or_else(|| self.placeholder(LogDestination::None, l.owner)),
            flow: flow.unwrap_or_else(|| self.placeholder(LogDestination::None, l.owner)),
            retention_days: self.int_or(&l, "retentionDays", 1, 3653, 30u32),
        };
        Firewall {
            allow_domains,
            allow_rules,
            logging,
            deletion_protection: self.bool_or(f, "deletionProtection", false),
        }
    }

    pub(super) fn vpc(&mut self, item: &Node) -> Option<Vpc> {
        let (o, name, what) = self.named_item(item, "VPC", keys::VPC)?;
        let account = self.req_string(&o, "account", &what);
        let cidr = self.req_cidr(&o, "cidr", &what);
        let s = self.sub_or_empty(&o, "subnets", "`subnets`", keys::VPC_SUBNETS);
        let subnets = SubnetPrefixes {
            control_plane: self.int_or(&s, "controlPlane", 16, 28, 28u8),
            data_plane: self.int_or(&s, "dataPlane", 16, 28, 20u8),
            endpoints: self.int_or(&s, "endpoints", 16, 28, 24u8),
            transit: self.int_or(&s, "transit", 16, 28, 28u8),
        };
        let endpoints = match self.get(&o, "endpoints") {
            None => Endpoints {
                gateway: vec![Spanned::new("s3".to_string(), o.owner)],
                interface: crate::regions::EKS_INTERFACE_DEFAULT
                    .iter()
                    .map(|s| Spanned::new(s.to_string(), o.owner))
                    .collect(),
                policies: Vec::new(),
            },
            Some((k, v)) => match self.obj(v, k.span, "`endpoints`", keys::ENDPOINTS) {
                Some(e) => Endpoints {
                    gateway: self.string_list(&e, "gateway"),
                    interface: self.string_list(&e, "interface"),
                    policies: self.policies(&e),
                },
                None => {
                    Endpoints { gateway: Vec::new(), interface: Vec::new(), policies: Vec::new() }
                }
            },
        };
        Some(Vpc { name, account, cidr, subnets, endpoints })
    }

    fn policies(&mut self, e: &Obj) -> Vec<(Spanned<String>, Spanned<serde_json::Value>)> {
        let Some((_, v)) = self.get(e, "policies") else {
            return Vec::new();
        };
        let Kind::Map(pairs) = &v.kind else {
            self.wrong_type(v, "`policies`", "a mapping of service name to policy");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, body) in pairs {
            let Some(service) = self.string(k, "a service name") else {
                continue;
            };
            let json = match &body.kind {
                Kind::Map(_) => Some(body.to_json()),
                Kind::Scalar { text, .. } if body.scalar_type() == Some(ScalarType::Str) => {
                    match serde_json::from_str::<serde_json::Value>(text) {
                        Ok(j @ serde_json::Value::Object(_)) => Some(j),
                        Ok(_) => {
                            self.sink
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
                            self.sink
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
                    self.sink
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
}

/// `tgw-` and 8 or 17 lowercase hex digits, the two id lengths EC2 has issued.
pub(crate) fn is_tgw_id(s: &str) -> bool {
    s.strip_prefix("tgw-").is_some_and(|h| {
        matches!(h.len(), 8 | 17)
            && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}
