//! YAML tree -> model. This layer checks shapes: unknown keys, YAML types,
//! required fields, and values that must be parsed to be stored (CIDRs,
//! durations, enums, endpoint policies). Cross-field rules live in
//! `validate`. Nothing stops at the first problem: a bad value is replaced
//! by a placeholder whose span is remembered as poisoned, so validation can
//! skip it instead of reporting follow-on noise.

use std::collections::HashSet;
use std::time::Duration;

use miette::SourceSpan;

use crate::carve::{CidrError, Ipv4Net};
use crate::diag::{Code, Sink};
use crate::model::*;
use crate::regions::did_you_mean;
use crate::yaml::{self, Kind, Node, ScalarType};

/// The keys each mapping accepts; the JSON schema is checked against these.
pub(crate) mod keys {
    pub const ROOT: &[&str] = &[
        "apiVersion",
        "kind",
        "metadata",
        "accounts",
        "availabilityZones",
        "hub",
        "vpcs",
        "clusters",
        "registries",
    ];
    pub const METADATA: &[&str] = &["name", "region", "ttl"];
    pub const ACCOUNT: &[&str] = &["id", "role", "externalId", "sessionName"];
    pub const HUB: &[&str] = &[
        "account",
        "transitGateway",
        "ram",
        "inspectionVpc",
        "firewall",
    ];
    pub const TRANSIT_GATEWAY: &[&str] = &["asn", "autoAcceptSharedAttachments"];
    pub const RAM: &[&str] = &["organization"];
    pub const INSPECTION_VPC: &[&str] = &["cidr", "subnets"];
    pub const INSPECTION_SUBNETS: &[&str] = &["transit", "firewall", "public"];
    pub const FIREWALL: &[&str] = &[
        "allowDomains",
        "allowRules",
        "logging",
        "deletionProtection",
    ];
    pub const ALLOW_RULE: &[&str] = &["protocol", "destination", "port"];
    pub const FIREWALL_LOGGING: &[&str] = &["alert", "flow", "retentionDays"];
    pub const VPC: &[&str] = &["name", "account", "cidr", "subnets", "endpoints"];
    pub const VPC_SUBNETS: &[&str] = &["controlPlane", "dataPlane", "endpoints", "transit"];
    pub const ENDPOINTS: &[&str] = &["gateway", "interface", "policies"];
    pub const CLUSTER: &[&str] = &[
        "name",
        "vpc",
        "version",
        "apiAccessCidrs",
        "secretsEncryption",
        "logging",
        "admins",
        "addons",
        "roles",
        "nodegroups",
    ];
    pub const CLUSTER_ROLES: &[&str] = &["cluster", "node"];
    pub const NODEGROUP: &[&str] = &[
        "name",
        "instanceTypes",
        "scaling",
        "amiType",
        "launchTemplate",
        "amiId",
        "labels",
        "taints",
    ];
    pub const SCALING: &[&str] = &["min", "desired", "max"];
    pub const LAUNCH_TEMPLATE: &[&str] = &["id", "name", "version"];
    pub const TAINT: &[&str] = &["key", "value", "effect"];
    pub const REGISTRIES: &[&str] = &["account", "repositories"];
}

/// Keys people reach for when they want a spoke VPC to reach the internet.
const EGRESS_KEYS: &[&str] = &[
    "natgateway",
    "natgateways",
    "nat",
    "internetgateway",
    "igw",
    "egress",
    "internetaccess",
    "publicsubnets",
    "public",
    "egressonlyinternetgateway",
];

pub(crate) struct Parser<'s> {
    pub(crate) sink: &'s mut Sink,
    pub(crate) poison: HashSet<(usize, usize)>,
}

pub(crate) struct Obj<'n> {
    owner: SourceSpan,
    entries: Vec<(&'n Node, &'n Node)>,
}

fn key(s: SourceSpan) -> (usize, usize) {
    (s.offset(), s.len())
}

impl<'s> Parser<'s> {
    /// A placeholder at a zero-length span, remembered as poisoned.
    fn placeholder<T>(&mut self, value: T, at: SourceSpan) -> Spanned<T> {
        let span = SourceSpan::from(at.offset()..at.offset());
        self.poison.insert(key(span));
        Spanned::new(value, span)
    }

    fn poisoned<T>(&mut self, value: T, span: SourceSpan) -> Spanned<T> {
        self.poison.insert(key(span));
        Spanned::new(value, span)
    }

    fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        self.sink
            .report(
                Code::WrongType,
                node.span,
                format!("{what} must be {expected}, found {}", node.type_name()),
                format!("expected {expected}"),
            )
            .help(format!("write {what} as {expected}; see docs/blueprint.md"));
    }

    /// Views a mapping, reporting unknown and duplicate keys.
    fn obj<'n>(
        &mut self,
        node: &'n Node,
        owner: SourceSpan,
        what: &str,
        allowed: &[&str],
    ) -> Option<Obj<'n>> {
        let Kind::Map(pairs) = &node.kind else {
            self.wrong_type(node, what, "a mapping");
            return None;
        };
        let mut seen: Vec<(&str, SourceSpan)> = Vec::new();
        let mut entries = Vec::new();
        for (k, v) in pairs {
            let Some(name) = k.scalar() else {
                self.wrong_type(k, &format!("a key in {what}"), "a string");
                continue;
            };
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
                let first = *first;
                self.sink
                    .report(
                        Code::DuplicateKey,
                        k.span,
                        format!("`{name}` appears twice in {what}"),
                        "duplicate key",
                    )
                    .also(first, "first defined here")
                    .help("YAML keeps only one of them; remove or merge the duplicate");
                continue;
            }
            seen.push((name, k.span));
            if !allowed.contains(&name) {
                self.unknown_key(k, name, what, allowed);
                continue;
            }
            entries.push((k, v));
        }
        Some(Obj { owner, entries })
    }

    fn unknown_key(&mut self, k: &Node, name: &str, what: &str, allowed: &[&str]) {
        if what.starts_with("VPC") && EGRESS_KEYS.contains(&name.to_ascii_lowercase().as_str()) {
            self.sink
                .report(
                    Code::SpokeEgress,
                    k.span,
                    format!("spoke VPCs cannot have `{name}`"),
                    "no internet path in a spoke",
                )
                .help(
                    "spoke VPCs have no internet or NAT gateway: all egress leaves through the \
                     hub's inspection VPC and its Network Firewall; allow destinations with \
                     hub.firewall.allowDomains or hub.firewall.allowRules",
                );
            return;
        }
        let p = self.sink.report(
            Code::UnknownKey,
            k.span,
            format!("unknown key `{name}` in {what}"),
            "unknown key",
        );
        match did_you_mean(name, allowed.iter().copied()) {
            Some(s) => p.help(format!("did you mean `{s}`?")),
            None => p.help(format!("{what} accepts: {}", allowed.join(", "))),
        };
    }

    fn get<'n>(&self, o: &Obj<'n>, name: &str) -> Option<(&'n Node, &'n Node)> {
        o.entries
            .iter()
            .find(|(k, _)| k.scalar() == Some(name))
            .copied()
            .filter(|(_, v)| !v.is_null())
    }

    fn req<'n>(&mut self, o: &Obj<'n>, name: &str, what: &str) -> Option<(&'n Node, &'n Node)> {
        let found = self.get(o, name);
        if found.is_none() {
            let explicit_null = o.entries.iter().find(|(k, _)| k.scalar() == Some(name));
            let span = explicit_null.map_or(o.owner, |(k, _)| k.span);
            self.sink
                .report(
                    Code::Missing,
                    span,
                    format!("{what} has no `{name}`"),
                    format!("`{name}` is required here"),
                )
                .help(format!("add `{name}:` to {what}; see docs/blueprint.md"));
        }
        found
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        match node.scalar_type() {
            Some(ScalarType::Str | ScalarType::Int | ScalarType::Float) => {
                Some(Spanned::new(node.scalar()?.to_string(), node.span))
            }
            _ => {
                self.wrong_type(node, what, "a string");
                None
            }
        }
    }

    fn req_string(&mut self, o: &Obj, name: &str, what: &str) -> Spanned<String> {
        let v = self
            .req(o, name, what)
            .and_then(|(_, v)| self.string(v, &format!("`{name}`")));
        v.unwrap_or_else(|| self.placeholder(String::new(), o.owner))
    }

    fn opt_string(&mut self, o: &Obj, name: &str) -> Option<Spanned<String>> {
        let (_, v) = self.get(o, name)?;
        self.string(v, &format!("`{name}`"))
    }

    fn int(&mut self, node: &Node, what: &str, min: i64, max: i64) -> Option<Spanned<i64>> {
        let n = match node.scalar_type() {
            Some(ScalarType::Int) => yaml::parse_int(node.scalar()?),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Some(Spanned::new(n, node.span)),
            Some(n) => {
                self.sink
                    .report(
                        Code::InvalidValue,
                        node.span,
                        format!("{what} is {n}, outside {min}..={max}"),
                        "out of range",
                    )
                    .help(format!("use a value between {min} and {max}"));
                None
            }
            None => {
                self.wrong_type(node, what, "an integer");
                None
            }
        }
    }

    /// An optional integer field with a default; defaults carry the owner span.
    fn int_or<T: TryFrom<i64>>(
        &mut self,
        o: &Obj,
        name: &str,
        min: i64,
        max: i64,
        default: T,
    ) -> Spanned<T> {
        match self.get(o, name) {
            None => Spanned::new(default, o.owner),
            Some((_, v)) => match self.int(v, &format!("`{name}`"), min, max) {
                Some(n) => match T::try_from(n.value) {
                    Ok(t) => Spanned::new(t, n.span),
                    Err(_) => self.poisoned(default, v.span),
                },
                None => self.poisoned(default, v.span),
            },
        }
    }

    fn bool_or(&mut self, o: &Obj, name: &str, default: bool) -> Spanned<bool> {
        match self.get(o, name) {
            None => Spanned::new(default, o.owner),
            Some((_, v)) if v.scalar_type() == Some(ScalarType::Bool) => Spanned::new(
                v.scalar().is_some_and(|t| t.eq_ignore_ascii_case("true")),
                v.span,
            ),
            Some((_, v)) => {
                self.wrong_type(v, &format!("`{name}`"), "true or false");
                self.poisoned(default, v.span)
            }
        }
    }

    fn list<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Node] {
        match &node.kind {
            Kind::Seq(items) => items,
            _ => {
                self.wrong_type(node, what, "a list");
                &[]
            }
        }
    }

    fn string_list(&mut self, o: &Obj, name: &str) -> Vec<Spanned<String>> {
        let Some((_, v)) = self.get(o, name) else {
            return Vec::new();
        };
        let what = format!("an entry of `{name}`");
        self.list(v, &format!("`{name}`"))
            .iter()
            .filter_map(|n| self.string(n, &what))
            .collect()
    }

    fn cidr(&mut self, node: &Node, what: &str) -> Option<Spanned<Ipv4Net>> {
        let text = self.string(node, what)?;
        match text.value.parse::<Ipv4Net>() {
            Ok(net) => Some(Spanned::new(net, node.span)),
            Err(CidrError::HostBits { network, .. }) => {
                self.sink
                    .report(
                        Code::Cidr,
                        node.span,
                        format!("{what} `{}` has host bits set", text.value),
                        "host bits set",
                    )
                    .help(format!(
                        "use the network address `{network}` (bits after /{} must be zero)",
                        network.prefix()
                    ));
                None
            }
            Err(e) => {
                self.sink
                    .report(
                        Code::Cidr,
                        node.span,
                        format!("{what} is not a valid IPv4 CIDR: {e}"),
                        "not a CIDR",
                    )
                    .help("write an IPv4 network as a.b.c.d/n, e.g. 10.10.0.0/16");
                None
            }
        }
    }

    fn req_cidr(&mut self, o: &Obj, name: &str, what: &str) -> Spanned<Ipv4Net> {
        let v = self
            .req(o, name, what)
            .and_then(|(_, v)| self.cidr(v, &format!("`{name}`")).ok_or(v.span).ok());
        match v {
            Some(c) => c,
            None => {
                let at = self.get(o, name).map_or(o.owner, |(_, v)| v.span);
                let placeholder = Ipv4Net::new(std::net::Ipv4Addr::UNSPECIFIED, 32).expect("valid");
                self.placeholder(placeholder, at)
            }
        }
    }

    fn choice<T: Copy>(
        &mut self,
        node: &Node,
        what: &str,
        options: &[(&str, T)],
    ) -> Option<Spanned<T>> {
        let s = self.string(node, what)?;
        if let Some((_, t)) = options.iter().find(|(n, _)| *n == s.value) {
            return Some(Spanned::new(*t, s.span));
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let p = self.sink.report(
            Code::InvalidValue,
            s.span,
            format!("{what} `{}` is not one of: {}", s.value, names.join(", ")),
            "unknown value",
        );
        match did_you_mean(&s.value, names.iter().copied()) {
            Some(m) => p.help(format!("did you mean `{m}`?")),
            None => p.help(format!("use one of: {}", names.join(", "))),
        };
        None
    }

    /// First key of a list item mapping, so item-level labels stay on one line.
    fn item_owner(node: &Node) -> SourceSpan {
        match &node.kind {
            Kind::Map(pairs) if !pairs.is_empty() => pairs[0].0.span,
            _ => SourceSpan::from(node.span.offset()..node.span.offset()),
        }
    }

    pub(crate) fn blueprint(&mut self, root: &Node) -> Option<Blueprint> {
        let top = SourceSpan::from(root.span.offset()..root.span.offset());
        let o = self.obj(root, top, "the blueprint", keys::ROOT)?;
        let api_version = self.req_string(&o, "apiVersion", "the blueprint");
        let kind = self.req_string(&o, "kind", "the blueprint");
        let metadata = self.metadata(&o);
        let accounts = self.accounts(&o);
        let availability_zones = self.azs(&o);
        let hub = self.hub(&o);
        let mut vpcs = Vec::new();
        if let Some((_, v)) = self.get(&o, "vpcs") {
            for item in self.list(v, "`vpcs`") {
                if let Some(vpc) = self.vpc(item) {
                    vpcs.push(vpc);
                }
            }
        }
        let mut clusters = Vec::new();
        if let Some((_, v)) = self.get(&o, "clusters") {
            for item in self.list(v, "`clusters`") {
                if let Some(c) = self.cluster(item) {
                    clusters.push(c);
                }
            }
        }
        let registries = self.registries(&o);
        Some(Blueprint {
            source: self.sink.source.clone(),
            api_version,
            kind,
            metadata,
            accounts,
            availability_zones,
            hub,
            vpcs,
            clusters,
            registries,
        })
    }

    fn metadata(&mut self, root: &Obj) -> Metadata {
        let sub = self
            .req(root, "metadata", "the blueprint")
            .and_then(|(k, v)| self.obj(v, k.span, "`metadata`", keys::METADATA));
        let Some(o) = sub else {
            let at = root.owner;
            return Metadata {
                name: self.placeholder(String::new(), at),
                region: self.placeholder(String::new(), at),
                ttl: None,
            };
        };
        let name = self.req_string(&o, "name", "`metadata`");
        let region = self.req_string(&o, "region", "`metadata`");
        let ttl = self.get(&o, "ttl").and_then(|(_, v)| {
            let s = self.string(v, "`ttl`")?;
            match parse_ttl(&s.value) {
                Some(d) => Some(Spanned::new(d, s.span)),
                None => {
                    self.sink
                        .report(
                            Code::Ttl,
                            s.span,
                            format!("`ttl` `{}` is not a duration", s.value),
                            "not a duration",
                        )
                        .help(
                            "write a positive number followed by m, h or d, e.g. 30m, 8h, 2d \
                             (units may be combined: 1d12h)",
                        );
                    None
                }
            }
        });
        Metadata { name, region, ttl }
    }

    fn accounts(&mut self, root: &Obj) -> Vec<Account> {
        let Some((k, v)) = self.req(root, "accounts", "the blueprint") else {
            return Vec::new();
        };
        let Kind::Map(pairs) = &v.kind else {
            self.wrong_type(v, "`accounts`", "a mapping of logical name to account");
            return Vec::new();
        };
        if pairs.is_empty() {
            self.sink
                .report(Code::Missing, k.span, "`accounts` is empty", "no accounts")
                .help("define at least one account, e.g. `main: { id: \"111111111111\" }`");
        }
        let mut out: Vec<Account> = Vec::new();
        for (name_node, body) in pairs {
            let Some(name) = self.string(name_node, "an account name") else {
                continue;
            };
            if let Some(first) = out.iter().find(|a| a.name.value == name.value) {
                let first = first.name.span;
                self.sink
                    .report(
                        Code::DuplicateKey,
                        name.span,
                        format!("account `{}` is defined twice", name.value),
                        "duplicate account",
                    )
                    .also(first, "first defined here")
                    .help("give each account a unique logical name");
                continue;
            }
            let what = format!("account `{}`", name.value);
            let Some(o) = self.obj(body, name.span, &what, keys::ACCOUNT) else {
                continue;
            };
            let id = self.req_string(&o, "id", &what);
            let role = self.opt_string(&o, "role");
            let external_id = self.opt_string(&o, "externalId");
            let session_name = self.opt_string(&o, "sessionName");
            out.push(Account {
                name,
                id,
                role,
                external_id,
                session_name,
            });
        }
        out
    }

    fn azs(&mut self, root: &Obj) -> Spanned<AzSpec> {
        let Some((_, v)) = self.get(root, "availabilityZones") else {
            return Spanned::new(AzSpec::Count(2), root.owner);
        };
        match &v.kind {
            Kind::Seq(items) => {
                let list = items
                    .iter()
                    .filter_map(|n| self.string(n, "an availability zone"))
                    .collect();
                Spanned::new(AzSpec::Explicit(list), v.span)
            }
            _ => match v.scalar_type() {
                Some(ScalarType::Int) => match self.int(v, "`availabilityZones`", 1, 6) {
                    Some(n) => Spanned::new(AzSpec::Count(n.value as u8), v.span),
                    None => self.poisoned(AzSpec::Count(2), v.span),
                },
                _ => {
                    self.wrong_type(v, "`availabilityZones`", "a count or a list of AZ names");
                    self.poisoned(AzSpec::Count(2), v.span)
                }
            },
        }
    }

    fn hub(&mut self, root: &Obj) -> Hub {
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
                    asn: Spanned::new(64512, at),
                    auto_accept_shared_attachments: Spanned::new(false, at),
                },
                ram: Ram {
                    organization: Spanned::new(false, at),
                },
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
            let empty = Obj {
                owner,
                entries: Vec::new(),
            };
            let t = sub.as_ref().unwrap_or(&empty);
            TransitGateway {
                asn: self.int_or(t, "asn", 1, 4_294_967_295, 64512u32),
                auto_accept_shared_attachments: self.bool_or(
                    t,
                    "autoAcceptSharedAttachments",
                    false,
                ),
            }
        };
        let ram = {
            let sub = self
                .get(&o, "ram")
                .and_then(|(k, v)| self.obj(v, k.span, "`ram`", keys::RAM));
            let empty = Obj {
                owner: k.span,
                entries: Vec::new(),
            };
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
        Hub {
            account,
            transit_gateway,
            ram,
            inspection_vpc,
            firewall,
        }
    }

    fn sub_or_empty<'n>(
        &mut self,
        o: &Obj<'n>,
        name: &str,
        what: &str,
        allowed: &[&str],
    ) -> Obj<'n> {
        self.get(o, name)
            .and_then(|(k, v)| self.obj(v, k.span, what, allowed))
            .unwrap_or(Obj {
                owner: o.owner,
                entries: Vec::new(),
            })
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
                let protocol = self
                    .req(&r, "protocol", "an allow rule")
                    .and_then(|(_, v)| {
                        self.choice(
                            v,
                            "`protocol`",
                            &[
                                ("tcp", Protocol::Tcp),
                                ("udp", Protocol::Udp),
                                ("icmp", Protocol::Icmp),
                            ],
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
                    allow_rules.push(AllowRule {
                        protocol,
                        destination,
                        port,
                    });
                }
            }
        }
        let l = self.sub_or_empty(f, "logging", "`firewall.logging`", keys::FIREWALL_LOGGING);
        let dest = [
            ("cloudwatch", LogDestination::Cloudwatch),
            ("none", LogDestination::None),
        ];
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

    fn vpc(&mut self, item: &Node) -> Option<Vpc> {
        let owner = Self::item_owner(item);
        let o = self.obj(item, owner, "VPC", keys::VPC)?;
        let name = self.req_string(&o, "name", "a VPC");
        let what = format!("VPC `{}`", name.value);
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
                gateway: vec![Spanned::new("s3".to_string(), owner)],
                interface: crate::regions::EKS_INTERFACE_DEFAULT
                    .iter()
                    .map(|s| Spanned::new(s.to_string(), owner))
                    .collect(),
                policies: Vec::new(),
            },
            Some((k, v)) => match self.obj(v, k.span, "`endpoints`", keys::ENDPOINTS) {
                Some(e) => Endpoints {
                    gateway: self.string_list(&e, "gateway"),
                    interface: self.string_list(&e, "interface"),
                    policies: self.policies(&e),
                },
                None => Endpoints {
                    gateway: Vec::new(),
                    interface: Vec::new(),
                    policies: Vec::new(),
                },
            },
        };
        Some(Vpc {
            name,
            account,
            cidr,
            subnets,
            endpoints,
        })
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

    fn cluster(&mut self, item: &Node) -> Option<Cluster> {
        let owner = Self::item_owner(item);
        let o = self.obj(item, owner, "cluster", keys::CLUSTER)?;
        let name = self.req_string(&o, "name", "a cluster");
        let what = format!("cluster `{}`", name.value);
        let vpc = self.req_string(&o, "vpc", &what);
        let version = self.opt_string(&o, "version");
        let mut api_access_cidrs = Vec::new();
        if let Some((_, v)) = self.get(&o, "apiAccessCidrs") {
            for n in self.list(v, "`apiAccessCidrs`") {
                if let Some(c) = self.cidr(n, "an `apiAccessCidrs` entry") {
                    api_access_cidrs.push(c);
                }
            }
        }
        let secrets_encryption = self.bool_or(&o, "secretsEncryption", true);
        let logging = self.string_list(&o, "logging");
        let admins = self.string_list(&o, "admins");
        let addons = self.string_list(&o, "addons");
        let r = self.sub_or_empty(&o, "roles", "`roles`", keys::CLUSTER_ROLES);
        let roles = ClusterRoles {
            cluster: self.opt_string(&r, "cluster"),
            node: self.opt_string(&r, "node"),
        };
        let mut nodegroups = Vec::new();
        if let Some((_, v)) = self.get(&o, "nodegroups") {
            for item in self.list(v, "`nodegroups`") {
                if let Some(ng) = self.nodegroup(item) {
                    nodegroups.push(ng);
                }
            }
        }
        Some(Cluster {
            name,
            vpc,
            version,
            api_access_cidrs,
            secrets_encryption,
            logging,
            admins,
            addons,
            roles,
            nodegroups,
        })
    }

    fn nodegroup(&mut self, item: &Node) -> Option<Nodegroup> {
        let owner = Self::item_owner(item);
        let o = self.obj(item, owner, "node group", keys::NODEGROUP)?;
        let name = self.req_string(&o, "name", "a node group");
        let mut instance_types = self.string_list(&o, "instanceTypes");
        if self.get(&o, "instanceTypes").is_none() {
            instance_types.push(Spanned::new("m6i.large".into(), owner));
        }
        let s = self.sub_or_empty(&o, "scaling", "`scaling`", keys::SCALING);
        let scaling = Scaling {
            min: self.int_or(&s, "min", 0, 1000, 1u32),
            desired: self.int_or(&s, "desired", 0, 1000, 2u32),
            max: self.int_or(&s, "max", 1, 1000, 3u32),
        };
        let ami_keys: Vec<(&Node, &Node)> = ["amiType", "launchTemplate", "amiId"]
            .iter()
            .filter_map(|k| self.get(&o, k))
            .collect();
        if ami_keys.len() > 1 {
            self.exclusive_ami(ami_keys[1].0.span, ami_keys[0].0.span);
        }
        let ami = match ami_keys.first() {
            None => Spanned::new(Ami::Type("AL2023_x86_64_STANDARD".into()), owner),
            Some((k, v)) => match k.scalar() {
                Some("launchTemplate") => {
                    match self.obj(v, k.span, "`launchTemplate`", keys::LAUNCH_TEMPLATE) {
                        Some(lt) => {
                            let id = self.opt_string(&lt, "id");
                            let nm = self.opt_string(&lt, "name");
                            let version = self.opt_string(&lt, "version").map(|s| s.value);
                            match (id, nm) {
                                (Some(i), None) | (None, Some(i)) => Spanned::new(
                                    Ami::LaunchTemplate {
                                        id_or_name: i.value,
                                        version,
                                    },
                                    v.span,
                                ),
                                _ => {
                                    self.sink
                                        .report(
                                            Code::InvalidValue,
                                            k.span,
                                            "`launchTemplate` needs exactly one of `id` or `name`",
                                            "ambiguous launch template",
                                        )
                                        .help("write `launchTemplate: { id: lt-0123456789abcdef0 }` or `{ name: my-template }`");
                                    self.poisoned(Ami::Type(String::new()), v.span)
                                }
                            }
                        }
                        None => self.poisoned(Ami::Type(String::new()), v.span),
                    }
                }
                Some("amiId") => match self.string(v, "`amiId`") {
                    Some(s) => Spanned::new(Ami::Id(s.value), s.span),
                    None => self.poisoned(Ami::Type(String::new()), v.span),
                },
                _ => match self.string(v, "`amiType`") {
                    Some(s) => Spanned::new(Ami::Type(s.value), s.span),
                    None => self.poisoned(Ami::Type(String::new()), v.span),
                },
            },
        };
        let mut labels = Vec::new();
        if let Some((_, v)) = self.get(&o, "labels") {
            match &v.kind {
                Kind::Map(pairs) => {
                    for (k, val) in pairs {
                        if let (Some(k), Some(val)) = (
                            self.string(k, "a label key"),
                            self.string(val, "a label value"),
                        ) {
                            labels.push((k, val));
                        }
                    }
                }
                _ => self.wrong_type(v, "`labels`", "a mapping"),
            }
        }
        let mut taints = Vec::new();
        if let Some((_, v)) = self.get(&o, "taints") {
            for item in self.list(v, "`taints`") {
                let owner = Self::item_owner(item);
                let Some(t) = self.obj(item, owner, "a taint", keys::TAINT) else {
                    continue;
                };
                let key = self.req_string(&t, "key", "a taint");
                let value = self.opt_string(&t, "value");
                let effect = self.req(&t, "effect", "a taint").and_then(|(_, v)| {
                    self.choice(
                        v,
                        "`effect`",
                        &[
                            ("NO_SCHEDULE", TaintEffect::NoSchedule),
                            ("NO_EXECUTE", TaintEffect::NoExecute),
                            ("PREFER_NO_SCHEDULE", TaintEffect::PreferNoSchedule),
                        ],
                    )
                });
                if let Some(effect) = effect {
                    taints.push(Taint { key, value, effect });
                }
            }
        }
        Some(Nodegroup {
            name,
            instance_types,
            scaling,
            ami,
            labels,
            taints,
        })
    }

    fn exclusive_ami(&mut self, second: SourceSpan, first: SourceSpan) {
        self.sink
            .report(
                Code::InvalidValue,
                second,
                "a node group takes only one of `amiType`, `launchTemplate`, `amiId`",
                "second image choice",
            )
            .also(first, "first image choice")
            .help("keep one: `amiType` for an EKS AMI, `amiId` for a custom AMI, `launchTemplate` for your own template");
    }

    fn registries(&mut self, root: &Obj) -> Option<Registries> {
        let (k, v) = self.get(root, "registries")?;
        let o = self.obj(v, k.span, "`registries`", keys::REGISTRIES)?;
        Some(Registries {
            account: self.req_string(&o, "account", "`registries`"),
            repositories: self.string_list(&o, "repositories"),
        })
    }
}

/// Parses `30m`, `8h`, `2d`, `1d12h`: one or more positive `<n><unit>`
/// groups with units m, h, d. Returns `None` for anything else or zero.
pub fn parse_ttl(text: &str) -> Option<Duration> {
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return None,
        };
        if digits.is_empty() || digits.len() > 6 {
            return None;
        }
        total += digits.parse::<u64>().ok()? * unit;
        digits.clear();
    }
    if !digits.is_empty() || total == 0 {
        return None;
    }
    Some(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl() {
        assert_eq!(parse_ttl("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_ttl("8h"), Some(Duration::from_secs(8 * 3600)));
        assert_eq!(parse_ttl("1d12h"), Some(Duration::from_secs(36 * 3600)));
        for bad in ["", "8", "h", "0h", "8x", "-1h", "8 h", "1.5h"] {
            assert_eq!(parse_ttl(bad), None, "{bad}");
        }
    }
}
