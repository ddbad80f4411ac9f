//! The top level of a blueprint, and what its derived sections cannot read alone:
//! `accounts` (a mapping keyed by logical name), `availabilityZones` (a count or a list),
//! `metadata.ttl` (a duration) and `registries.lifecycle` (ECR's rules as written).

use std::time::Duration;

use miette::SourceSpan;
use serde_json::{json, Map, Value as Json};

use super::{keys, parse_ttl, Obj, Parser};
use crate::diag::Code;
use crate::model::*;
use crate::section::{self, At, Field, Leaf, Schema};
use crate::yaml::{Kind, Node, ScalarType};

impl Parser<'_> {
    pub(crate) fn blueprint(&mut self, root: &Node) -> Option<Blueprint> {
        let top = SourceSpan::from(root.span.offset()..root.span.offset());
        let o = self.obj(root, top, "the blueprint", keys::ROOT)?;
        let what = "the blueprint";
        let api_version = self.req_string(&o, "apiVersion", what);
        let kind = self.req_string(&o, "kind", what);
        let metadata = section::required_sub(self, &o, &Field::key("metadata"), what);
        let accounts = self.accounts(&o);
        let availability_zones = self.azs(&o);
        let hub = section::required_sub(self, &o, &Field::key("hub"), what);
        let vpcs = section::capped_items::<Vpc>(self, &o, &VPCS, Some(VPCS_BOUND));
        let clusters = section::items::<Cluster>(self, &o, &Field::key("clusters"), what);
        let registries = section::optional_sub(self, &o, &Field::key("registries"), what);
        let endpoints = section::optional_sub(self, &o, &Field::key("endpoints"), what);
        let access = section::sub(self, &o, &Field::key("access"), what);
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
}

/// `metadata.ttl`: `30m`, `8h`, `2d`, `1d12h`.
impl Leaf for Duration {
    fn read(p: &mut Parser<'_>, at: &At<'_>) -> Option<Spanned<Self>> {
        let what = at.what;
        let s = p.string(at.node, what)?;
        match parse_ttl(&s.value) {
            Some(d) => Some(Spanned::new(d, s.span)),
            None => {
                p.sink
                    .report(
                        Code::Ttl,
                        s.span,
                        format!("{what} `{}` is not a duration", s.value),
                        "not a duration",
                    )
                    .help(
                        "write a positive number followed by m, h or d, e.g. 30m, 8h, 2d \
                             (units may be combined: 1d12h)",
                    );
                None
            }
        }
    }

    fn placeholder() -> Self {
        Duration::ZERO
    }

    fn schema(_: &mut Schema, _: &Field) -> Json {
        json!({ "type": "string", "pattern": "^([0-9]+[mhd])+$" })
    }

    fn to_json(&self) -> Json {
        json!(format!("{}m", self.as_secs() / 60))
    }
}

/// `registries.lifecycle.rules`: each rule a mapping (ECR's lifecycle policy rule, as
/// ECR's JSON spells it), kept with its span; validate checks what ECR would refuse.
pub(crate) mod lifecycle {
    use super::*;

    pub(crate) const KEYS: &[&str] = &["lifecycle"];

    pub(crate) fn read(p: &mut Parser<'_>, reg: &Obj<'_>, _: &str) -> Vec<Spanned<Json>> {
        let Some((k, v)) = p.get(reg, "lifecycle") else { return Vec::new() };
        let Some(o) = p.obj(v, k.span, "`registries.lifecycle`", &["rules"]) else {
            return Vec::new();
        };
        let Some((_, rules)) = p.get(&o, "rules") else { return Vec::new() };
        let mut out = Vec::new();
        for rule in p.list(rules, "`registries.lifecycle.rules`") {
            if matches!(rule.kind, Kind::Map(_)) {
                out.push(Spanned::new(rule.to_json(), rule.span));
            } else {
                p.wrong_type(
                    rule,
                    "a lifecycle rule",
                    "a mapping (rulePriority, selection, action)",
                );
            }
        }
        out
    }

    pub(crate) fn schema(_: &mut Schema, props: &mut Map<String, Json>, _: &mut Map<String, Json>) {
        props.insert(
            "lifecycle".into(),
            json!({
                "description": "The ECR lifecycle policy of every repository: its rules as ECR's JSON spells them (rulePriority, selection, action).",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "rules": { "type": "array", "items": { "type": "object" } }
                }
            }),
        );
    }
}
