//! YAML tree -> model. This layer checks shapes: unknown keys, YAML types,
//! required fields, and values that must be parsed to be stored (CIDRs,
//! durations, enums, endpoint policies). Cross-field rules live in
//! `validate`. Nothing stops at the first problem: a bad value is replaced
//! by a placeholder whose span is remembered as poisoned, so validation can
//! skip it instead of reporting follow-on noise.
//!
//! The `Parser` and its shape helpers live here. Most mappings are read by
//! `#[derive(Section)]` on their model struct (see `crate::section`): the
//! struct's fields are the keys. What one field cannot say is read by hand:
//! the top level, accounts and AZs in `document`, an existing transit gateway,
//! a VPC's default endpoints, endpoint policies and the ICMP rule in `network`,
//! the image choice and `updateConfig` in `cluster`, and the artifacts file in
//! `artifacts`.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use miette::SourceSpan;

use crate::carve::{CidrError, Ipv4Net};
use crate::diag::{Code, Sink};
use crate::model::*;
use crate::yaml::{self, Kind, Node, ScalarType};

mod artifacts;
mod cluster;
mod document;
mod network;

pub(crate) use cluster::ami;
pub(crate) use document::lifecycle;
pub(crate) use network::{existing_tgw, icmp_has_no_port, policies, vpc_endpoints};

/// The keys of the mappings read by hand (a derived section lists its own,
/// `Section::keys`); the JSON schema is checked against both.
pub(crate) mod keys {
    pub const LAUNCH_TEMPLATE: &[&str] = &["id", "name", "version"];
    pub const UPDATE_CONFIG: &[&str] = &["maxUnavailable", "maxUnavailablePercentage"];

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
        "endpoints",
        "access",
    ];
    pub const ACCOUNT: &[&str] = &["id", "role", "externalId", "sessionName"];
    pub const ARTIFACTS: &[&str] =
        &["apiVersion", "kind", "blueprint", "plainHttp", "images", "charts"];
    pub const CHART: &[&str] = &["source", "repo", "chart", "version", "repository", "tag"];
    pub const IMAGE: &[&str] = &["source", "repository", "tag", "platforms"];
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
    /// The lists read only in part (`vpcs` past its bound): a reference to an item of
    /// theirs cannot be checked, since the item may be among those left unread.
    pub(crate) cut: HashSet<&'static str>,
}

impl<'s> Parser<'s> {
    pub(crate) fn new(sink: &'s mut Sink) -> Self {
        Parser { sink, poison: HashSet::new(), cut: HashSet::new() }
    }
}

pub(crate) struct Obj<'n> {
    owner: SourceSpan,
    entries: Vec<(&'n Node, &'n Node)>,
}

impl Obj<'_> {
    /// A mapping with no keys, whose defaults take `owner`.
    pub(crate) fn empty(owner: SourceSpan) -> Self {
        Obj { owner, entries: Vec::new() }
    }

    /// The span defaults take: the key of the mapping, or the first key of a list item.
    pub(crate) fn owner(&self) -> SourceSpan {
        self.owner
    }
}

fn key(s: SourceSpan) -> (usize, usize) {
    (s.offset(), s.len())
}

impl<'s> Parser<'s> {
    /// A placeholder at a zero-length span, remembered as poisoned.
    pub(crate) fn placeholder<T>(&mut self, value: T, at: SourceSpan) -> Spanned<T> {
        let span = SourceSpan::from(at.offset()..at.offset());
        self.poison.insert(key(span));
        Spanned::new(value, span)
    }

    /// Whether `span` holds a placeholder for a value that was refused.
    pub(crate) fn is_poisoned(&self, span: SourceSpan) -> bool {
        self.poison.contains(&key(span))
    }

    pub(crate) fn poisoned<T>(&mut self, value: T, span: SourceSpan) -> Spanned<T> {
        self.poison.insert(key(span));
        Spanned::new(value, span)
    }

    pub(crate) fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
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
    pub(crate) fn obj<'n>(
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
        // By name: a mapping of many keys is checked in linear time.
        let mut seen: HashMap<&str, SourceSpan> = HashMap::new();
        let mut entries = Vec::new();
        for (k, v) in pairs {
            let Some(name) = k.scalar() else {
                self.wrong_type(k, &format!("a key in {what}"), "a string");
                continue;
            };
            if let Some(&first) = seen.get(name) {
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
            seen.insert(name, k.span);
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
        p.suggest(name, allowed.iter().copied(), format!("{what} accepts: {}", allowed.join(", ")));
    }

    pub(crate) fn get<'n>(&self, o: &Obj<'n>, name: &str) -> Option<(&'n Node, &'n Node)> {
        o.entries
            .iter()
            .find(|(k, _)| k.scalar() == Some(name))
            .copied()
            .filter(|(_, v)| !v.is_null())
    }

    pub(crate) fn req<'n>(
        &mut self,
        o: &Obj<'n>,
        name: &str,
        what: &str,
    ) -> Option<(&'n Node, &'n Node)> {
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

    pub(crate) fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
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
        let v = self.req(o, name, what).and_then(|(_, v)| self.string(v, &format!("`{name}`")));
        v.unwrap_or_else(|| self.placeholder(String::new(), o.owner))
    }

    fn opt_string(&mut self, o: &Obj, name: &str) -> Option<Spanned<String>> {
        let (_, v) = self.get(o, name)?;
        self.string(v, &format!("`{name}`"))
    }

    pub(crate) fn int(
        &mut self,
        node: &Node,
        what: &str,
        min: i64,
        max: i64,
    ) -> Option<Spanned<i64>> {
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

    pub(crate) fn list<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Node] {
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
        self.list(v, &format!("`{name}`")).iter().filter_map(|n| self.string(n, &what)).collect()
    }

    pub(crate) fn cidr(&mut self, node: &Node, what: &str) -> Option<Spanned<Ipv4Net>> {
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

    pub(crate) fn choice<T: Copy>(
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
        p.suggest(&s.value, names.iter().copied(), format!("use one of: {}", names.join(", ")));
        None
    }

    /// First key of a list item mapping, so item-level labels stay on one line.
    pub(crate) fn item_owner(node: &Node) -> SourceSpan {
        match &node.kind {
            Kind::Map(pairs) if !pairs.is_empty() => pairs[0].0.span,
            _ => SourceSpan::from(node.span.offset()..node.span.offset()),
        }
    }

    pub(crate) fn sub_or_empty<'n>(
        &mut self,
        o: &Obj<'n>,
        name: &str,
        what: &str,
        allowed: &[&str],
    ) -> Obj<'n> {
        self.get(o, name)
            .and_then(|(k, v)| self.obj(v, k.span, what, allowed))
            .unwrap_or(Obj { owner: o.owner, entries: Vec::new() })
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
