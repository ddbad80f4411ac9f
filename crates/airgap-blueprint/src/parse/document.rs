//! The top level of a blueprint: `apiVersion`, `kind`, `metadata`, `accounts`,
//! `availabilityZones` and `registries`; `hub`, `vpcs` and `clusters` are read
//! by the sibling modules.

use miette::SourceSpan;

use super::{keys, parse_ttl, Obj, Parser};
use crate::diag::Code;
use crate::model::*;
use crate::section::Field;
use crate::yaml::{Kind, Node, ScalarType};

impl Parser<'_> {
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
        let clusters = crate::section::items::<Cluster>(self, &o, &Field::key("clusters"));
        let registries = self.registries(&o);
        let endpoints = self.endpoint_layout(&o);
        let access = self.access(&o);
        Some(Blueprint {
            source: self.sink.source.clone(),
            layers: Default::default(),
            api_version,
            kind,
            metadata,
            accounts,
            availability_zones,
            hub,
            vpcs,
            clusters,
            registries,
            endpoints,
            access,
        })
    }

    /// `access`: the VPN for people, DNS from outside.
    fn access(&mut self, root: &Obj) -> Access {
        let Some((k, v)) = self.get(root, "access") else { return Access::default() };
        let Some(o) = self.obj(v, k.span, "`access`", keys::ACCESS) else {
            return Access::default();
        };
        let vpn = self.get(&o, "vpn").and_then(|(k, v)| {
            let o = self.obj(v, k.span, "`access.vpn`", keys::VPN)?;
            let mut cidrs = Vec::new();
            if let Some((_, v)) = self.get(&o, "cidrs") {
                for n in self.list(v, "`cidrs`") {
                    if let Some(c) = self.cidr(n, "a `cidrs` entry") {
                        cidrs.push(c);
                    }
                }
            }
            let transports = [("udp", "udp"), ("tcp", "tcp")];
            let transport = match self.get(&o, "transport") {
                Some((_, t)) => self
                    .choice(t, "`access.vpn.transport`", &transports)
                    .map(|t| Spanned::new(t.value.to_string(), t.span)),
                None => Some(Spanned::new("udp".to_string(), o.owner)),
            };
            Some(Vpn {
                vpc: self.req_string(&o, "vpc", "`access.vpn`"),
                client_cidr: self.req_cidr(&o, "clientCidr", "`access.vpn`"),
                clusters: self.string_list(&o, "clusters"),
                cidrs,
                high_availability: self.bool_or(&o, "highAvailability", false),
                transport: transport
                    .unwrap_or_else(|| self.placeholder("udp".to_string(), o.owner)),
            })
        });
        let dns = self.get(&o, "dns").and_then(|(k, v)| {
            let o = self.obj(v, k.span, "`access.dns`", keys::DNS)?;
            let mut allow_from = Vec::new();
            if let Some((_, v)) = self.get(&o, "allowFrom") {
                for n in self.list(v, "`allowFrom`") {
                    if let Some(c) = self.cidr(n, "an `allowFrom` entry") {
                        allow_from.push(c);
                    }
                }
            }
            Some(Dns { vpc: self.req_string(&o, "vpc", "`access.dns`"), allow_from })
        });
        let mut private_link = Vec::new();
        if let Some((_, v)) = self.get(&o, "privateLink") {
            for item in self.list(v, "`access.privateLink`") {
                let Some((o, name, _)) =
                    self.named_item(item, "privateLink service", keys::PRIVATE_LINK)
                else {
                    continue;
                };
                private_link.push(PrivateLink {
                    name,
                    vpc: self.opt_string(&o, "vpc"),
                    load_balancer_arn: self.opt_string(&o, "loadBalancerArn"),
                    port: self.int_or(&o, "port", 1, 65535, 443),
                    allowed_principals: self.string_list(&o, "allowedPrincipals"),
                    acceptance_required: self.bool_or(&o, "acceptanceRequired", true),
                });
            }
        }
        Access { vpn, dns, private_link }
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
            out.push(Account { name, id, role, external_id, session_name });
        }
        out
    }

    fn azs(&mut self, root: &Obj) -> Spanned<AzSpec> {
        let Some((_, v)) = self.get(root, "availabilityZones") else {
            return Spanned::new(AzSpec::Count(2), root.owner);
        };
        match &v.kind {
            Kind::Seq(items) => {
                let list =
                    items.iter().filter_map(|n| self.string(n, "an availability zone")).collect();
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

    fn registries(&mut self, root: &Obj) -> Option<Registries> {
        let (k, v) = self.get(root, "registries")?;
        let o = self.obj(v, k.span, "`registries`", keys::REGISTRIES)?;
        Some(Registries {
            account: self.req_string(&o, "account", "`registries`"),
            repositories: self.string_list(&o, "repositories"),
            immutable_tags: self.bool_or(&o, "immutableTags", true),
            scan_on_push: self.bool_or(&o, "scanOnPush", true),
            scanning: self.scanning(&o),
            quarantine: self.opt_string(&o, "quarantine"),
            lifecycle: self.lifecycle(&o),
        })
    }

    fn scanning(&mut self, reg: &Obj) -> Spanned<Scanning> {
        let options = [("basic", Scanning::Basic), ("enhanced", Scanning::Enhanced)];
        match self.get(reg, "scanning") {
            Some((_, v)) => self
                .choice(v, "`registries.scanning`", &options)
                .unwrap_or_else(|| self.placeholder(Scanning::Basic, v.span)),
            None => Spanned::new(Scanning::Basic, reg.owner),
        }
    }

    /// `registries.lifecycle.rules`: each rule a mapping (ECR's lifecycle policy rule, as
    /// ECR's JSON spells it), kept with its span; validate checks what ECR would refuse.
    fn lifecycle(&mut self, reg: &Obj) -> Vec<Spanned<serde_json::Value>> {
        let Some((k, v)) = self.get(reg, "lifecycle") else { return Vec::new() };
        let Some(o) = self.obj(v, k.span, "`registries.lifecycle`", keys::LIFECYCLE) else {
            return Vec::new();
        };
        let Some((_, rules)) = self.get(&o, "rules") else { return Vec::new() };
        let mut out = Vec::new();
        for rule in self.list(rules, "`registries.lifecycle.rules`") {
            if matches!(rule.kind, Kind::Map(_)) {
                out.push(Spanned::new(rule.to_json(), rule.span));
            } else {
                self.wrong_type(
                    rule,
                    "a lifecycle rule",
                    "a mapping (rulePriority, selection, action)",
                );
            }
        }
        out
    }

    /// `endpoints` at the top level: per-VPC (default) or central interface endpoints.
    fn endpoint_layout(&mut self, root: &Obj) -> Option<EndpointLayout> {
        let (k, v) = self.get(root, "endpoints")?;
        let o = self.obj(v, k.span, "`endpoints`", keys::ENDPOINT_LAYOUT)?;
        let modes = [("per-vpc", EndpointMode::PerVpc), ("central", EndpointMode::Central)];
        let mode = match self.get(&o, "mode") {
            Some((_, m)) => self.choice(m, "`endpoints.mode`", &modes),
            None => Some(Spanned::new(EndpointMode::PerVpc, o.owner)),
        };
        Some(EndpointLayout {
            mode: mode.unwrap_or_else(|| self.placeholder(EndpointMode::PerVpc, o.owner)),
            vpc: self.opt_string(&o, "vpc"),
            services: self.string_list(&o, "services"),
        })
    }
}
