//! The usage file: how much traffic the environment carries, in GB a month, and how much
//! its private access is used. Without it (or for what it leaves out) traffic is priced
//! per GB only, and access usage is none.
//!
//! ```yaml
//! vpcs:
//!   workload:
//!     endpoints: { ecr.dkr: 300, ecr.api: 2 }  # GB processed per interface endpoint
//!     transitGateway: 60                      # GB the VPC sends into the transit gateway
//! egress:
//!   firewall: 40                              # GB to the internet through the firewall
//! logs:
//!   firewall: 5                               # GB ingested: the firewall's logs,
//!   apps: 20                                  # a cluster's control plane logs by name
//! access:
//!   vpn:
//!     connectionHours: 800                    # Client VPN connection-hours a month
//! ```
//!
//! A mistake is reported at its place (file:line:col, with the line shown), as the
//! blueprint's are.

use std::collections::BTreeMap;
use std::sync::Arc;

use miette::{NamedSource, SourceSpan};
use saphyr_parser::{Event, Parser, Span};

/// GB a month, each with the span it was written at.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    pub vpcs: BTreeMap<String, VpcUsage>,
    /// GB to the internet through the firewall (and the NAT gateways behind it).
    pub egress_firewall: Option<f64>,
    /// GB ingested into CloudWatch Logs, by source: `firewall` or a cluster's name.
    pub logs: BTreeMap<String, Gb>,
    /// How much the `access` pieces are used, by (piece, key) of [`ACCESS_KEYS`]; read
    /// with [`Usage::access`].
    pub access: BTreeMap<(String, String), f64>,
    /// Where each VPC name, log source and access piece was written, to point at an
    /// unknown one.
    pub(crate) names: Vec<(Place, String, SourceSpan)>,
    pub(crate) source: Option<NamedSource<Arc<String>>>,
}

/// What a name in the usage file must name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    Vpc,
    /// An endpoint service of the VPC named.
    Service,
    Log,
    /// A piece of the blueprint's `access` (`vpn`).
    Access,
}

/// The keys of the usage file's `access`: (piece, key, what its figure counts). A piece
/// that costs by use (a Client VPN's connections; next, a load balancer's capacity units)
/// is a row here and a line of the estimate that reads it with [`Usage::access`].
pub const ACCESS_KEYS: &[(&str, &str, &str)] =
    &[("vpn", "connectionHours", "Client VPN connection-hours a month")];

/// A figure in GB a month.
pub type Gb = f64;

/// The traffic of one VPC.
#[derive(Clone, Debug, Default)]
pub struct VpcUsage {
    /// GB processed by each interface endpoint service.
    pub endpoints: BTreeMap<String, Gb>,
    /// GB the VPC sends into the transit gateway.
    pub transit_gateway: Option<Gb>,
}

/// A mistake in a usage file, at its place: `file:line:col: message`, and as a miette
/// diagnostic the line itself with the place marked. Boxed: errors travel by value.
#[derive(Debug)]
pub struct UsageError(Box<Problem>);

#[derive(Debug)]
struct Problem {
    file: String,
    line: usize,
    column: usize,
    message: String,
    src: NamedSource<Arc<String>>,
    span: SourceSpan,
    label: String,
    help: Option<String>,
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &self.0;
        write!(f, "{}:{}:{}: {}", p.file, p.line, p.column, p.message)
    }
}

impl std::error::Error for UsageError {}

impl miette::Diagnostic for UsageError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("cost::usage"))
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.0.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let l = miette::LabeledSpan::new_primary_with_span(Some(self.0.label.clone()), self.0.span);
        Some(Box::new(std::iter::once(l)))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
}

impl UsageError {
    fn at(
        src: &NamedSource<Arc<String>>,
        span: SourceSpan,
        message: impl Into<String>,
        label: &str,
        help: Option<String>,
    ) -> Self {
        let (line, column) = airgap_blueprint::line_col(src.inner(), span.offset());
        UsageError(Box::new(Problem {
            file: src.name().to_string(),
            line,
            column,
            message: message.into(),
            src: src.clone(),
            span,
            label: label.to_string(),
            help,
        }))
    }

    /// The 1-based line and column of the mistake.
    pub fn line_col(&self) -> (usize, usize) {
        (self.0.line, self.0.column)
    }
}

/// The largest usage file read: a few hundred bytes is usual.
pub const MAX_USAGE_BYTES: usize = 1024 * 1024;

/// At most this deep a nesting (the format needs 4).
const MAX_DEPTH: usize = 16;

#[derive(Debug)]
enum Yaml {
    Scalar(String),
    Seq,
    Map(Vec<(String, SourceSpan, Node)>),
}

#[derive(Debug)]
struct Node {
    yaml: Yaml,
    span: SourceSpan,
}

const HELP: &str = "the usage file gives GB a month: vpcs.<vpc>.endpoints.<service>, \
                    vpcs.<vpc>.transitGateway, egress.firewall, logs.<firewall|cluster>; \
                    and access.vpn.connectionHours (Client VPN connection-hours a month)";

/// What a figure counts, as its error says.
const GB: &str = "GB a month";

impl Usage {
    /// Parses a usage file's text; `name` (the path) is shown in errors.
    pub fn parse(name: &str, text: &str) -> Result<Usage, UsageError> {
        let src = NamedSource::new(name, Arc::new(text.to_string()));
        if text.len() > MAX_USAGE_BYTES {
            return Err(UsageError::at(
                &src,
                (0..0).into(),
                format!("larger than {MAX_USAGE_BYTES} bytes: not a usage file"),
                "here",
                None,
            ));
        }
        let root = tree(&src, text)?;
        let mut u = Usage { source: Some(src.clone()), ..Usage::default() };
        let Some(root) = root else { return Ok(u) };
        for (key, kspan, v) in map(&src, &root, "the usage file")? {
            match key.as_str() {
                "vpcs" => {
                    for (vpc, vspan, body) in map(&src, v, "vpcs")? {
                        u.names.push((Place::Vpc, vpc.clone(), *vspan));
                        let entry = u.vpcs.entry(vpc.clone()).or_default();
                        for (k, kspan, v) in map(&src, body, &format!("vpcs.{vpc}"))? {
                            match k.as_str() {
                                "endpoints" => {
                                    let ctx = format!("vpcs.{vpc}.endpoints");
                                    for (svc, sspan, gb) in map(&src, v, &ctx)? {
                                        u.names.push((
                                            Place::Service,
                                            format!("{vpc}/{svc}"),
                                            *sspan,
                                        ));
                                        entry.endpoints.insert(svc.clone(), number(&src, gb, GB)?);
                                    }
                                }
                                "transitGateway" => {
                                    entry.transit_gateway = Some(number(&src, v, GB)?);
                                }
                                _ => {
                                    return Err(unknown(
                                        &src,
                                        *kspan,
                                        k,
                                        "endpoints, transitGateway",
                                    ))
                                }
                            }
                        }
                    }
                }
                "egress" => {
                    for (k, kspan, v) in map(&src, v, "egress")? {
                        match k.as_str() {
                            "firewall" => u.egress_firewall = Some(number(&src, v, GB)?),
                            _ => return Err(unknown(&src, *kspan, k, "firewall")),
                        }
                    }
                }
                "logs" => {
                    for (source, sspan, v) in map(&src, v, "logs")? {
                        u.names.push((Place::Log, source.clone(), *sspan));
                        u.logs.insert(source.clone(), number(&src, v, GB)?);
                    }
                }
                "access" => {
                    for (piece, pspan, body) in map(&src, v, "access")? {
                        let keys: Vec<_> =
                            ACCESS_KEYS.iter().filter(|(p, ..)| *p == piece.as_str()).collect();
                        if keys.is_empty() {
                            return Err(unknown(&src, *pspan, piece, &access_pieces()));
                        }
                        u.names.push((Place::Access, piece.clone(), *pspan));
                        for (k, kspan, v) in map(&src, body, &format!("access.{piece}"))? {
                            let Some((_, _, what)) =
                                keys.iter().find(|(_, key, _)| *key == k.as_str())
                            else {
                                let known: Vec<&str> = keys.iter().map(|(_, k, _)| *k).collect();
                                return Err(unknown(&src, *kspan, k, &known.join(", ")));
                            };
                            u.access.insert((piece.clone(), k.clone()), number(&src, v, what)?);
                        }
                    }
                }
                _ => return Err(unknown(&src, *kspan, key, "vpcs, egress, logs, access")),
            }
        }
        Ok(u)
    }

    /// The figure of `access.<piece>.<key>`, when the file gives it.
    pub fn access(&self, piece: &str, key: &str) -> Option<f64> {
        self.access.get(&(piece.to_string(), key.to_string())).copied()
    }

    /// Refuses a name the environment does not have: a VPC, an endpoint service of that
    /// VPC, a log source (`firewall` or a cluster), an access piece (`vpn`). A figure for
    /// nothing is a typo that would otherwise go unpriced without a word.
    pub fn check(&self, known: &Known) -> Result<(), UsageError> {
        let Some(src) = &self.source else { return Ok(()) };
        for (place, name, span) in &self.names {
            let (ok, what, list): (bool, &str, Vec<String>) = match place {
                Place::Vpc => (known.vpcs.contains(name), "VPC", known.vpcs.clone()),
                Place::Service => {
                    let (vpc, svc) = name.split_once('/').unwrap_or((name, ""));
                    let services: Vec<String> = known
                        .services
                        .iter()
                        .filter(|(v, _)| v == vpc)
                        .map(|(_, s)| s.clone())
                        .collect();
                    let ok = services.iter().any(|s| s == svc);
                    (ok, "interface endpoint of this VPC", services)
                }
                Place::Log => (known.logs.contains(name), "log source", known.logs.clone()),
                Place::Access => {
                    (known.access.contains(name), "private access", known.access.clone())
                }
            };
            if !ok {
                let shown = name.rsplit('/').next().unwrap_or(name);
                let help = if list.is_empty() {
                    format!("the environment has no {what}")
                } else {
                    format!("the environment's: {}", list.join(", "))
                };
                return Err(UsageError::at(
                    src,
                    *span,
                    format!("{shown:?} is no {what} of the environment"),
                    "not in the plan",
                    Some(help),
                ));
            }
        }
        Ok(())
    }
}

/// The names a usage file may use, from the plan.
#[derive(Clone, Debug, Default)]
pub struct Known {
    pub vpcs: Vec<String>,
    /// (VPC, interface endpoint service).
    pub services: Vec<(String, String)>,
    /// `firewall` when it logs, and the clusters that log.
    pub logs: Vec<String>,
    /// The `access` pieces the plan builds (`vpn`).
    pub access: Vec<String>,
}

/// The pieces `access` may name, for an error's help.
fn access_pieces() -> String {
    let mut pieces: Vec<&str> = ACCESS_KEYS.iter().map(|(p, ..)| *p).collect();
    pieces.dedup();
    pieces.join(", ")
}

fn unknown(src: &NamedSource<Arc<String>>, span: SourceSpan, key: &str, known: &str) -> UsageError {
    UsageError::at(
        src,
        span,
        format!("unknown key {key:?}"),
        "not a usage key",
        Some(format!("expected one of: {known}")),
    )
}

fn map<'a>(
    src: &NamedSource<Arc<String>>,
    n: &'a Node,
    what: &str,
) -> Result<&'a [(String, SourceSpan, Node)], UsageError> {
    match &n.yaml {
        Yaml::Map(entries) => Ok(entries),
        // An empty value (`logs:`) is an empty mapping.
        Yaml::Scalar(s) if s.is_empty() || s == "~" || s == "null" => Ok(&[]),
        _ => Err(UsageError::at(
            src,
            n.span,
            format!("{what} must be a mapping"),
            "expected a mapping",
            Some(HELP.into()),
        )),
    }
}

/// A figure of `what` (`GB a month`): a number, zero or more.
fn number(src: &NamedSource<Arc<String>>, n: &Node, what: &str) -> Result<f64, UsageError> {
    let bad = || {
        let unit = what.split(" a ").next().unwrap_or(what);
        UsageError::at(
            src,
            n.span,
            format!("expected {what}: a number, zero or more"),
            &format!("not a number of {unit}"),
            Some(HELP.into()),
        )
    };
    match &n.yaml {
        Yaml::Scalar(s) => match s.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// The document as a tree of mappings and scalars with spans (sequences are kept only
/// to be refused). Keys are scalars; a duplicate key is refused.
fn tree(src: &NamedSource<Arc<String>>, text: &str) -> Result<Option<Node>, UsageError> {
    // saphyr reports character indices; miette wants byte offsets.
    let mut byte_of: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    byte_of.push(text.len());
    let to_byte = |ci: usize| byte_of.get(ci).copied().unwrap_or(text.len());
    let span_of = |s: &Span| {
        let a = to_byte(s.start.index());
        SourceSpan::from(a..to_byte(s.end.index()).max(a))
    };
    let err = |span: SourceSpan, message: String| {
        UsageError::at(src, span, message, "here", Some(HELP.into()))
    };
    // Open collections: their start, and their items (a mapping's alternate key, value).
    let mut stack: Vec<(usize, bool, Vec<Node>)> = Vec::new();
    let mut root = None;
    for ev in Parser::new_from_str(text) {
        let (event, span) = ev.map_err(|e| {
            let at = to_byte(e.marker().index());
            err((at..at).into(), format!("invalid YAML: {}", e.info()))
        })?;
        let done = match event {
            Event::DocumentStart(_) if root.is_some() => {
                return Err(err(span_of(&span), "a usage file is a single YAML document".into()))
            }
            Event::Alias(_) => {
                return Err(err(span_of(&span), "aliases are not used in a usage file".into()))
            }
            Event::Scalar(v, ..) => {
                Some(Node { yaml: Yaml::Scalar(v.into_owned()), span: span_of(&span) })
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_DEPTH => {
                return Err(err(span_of(&span), format!("nested deeper than {MAX_DEPTH} levels")))
            }
            Event::SequenceStart(..) => {
                stack.push((span_of(&span).offset(), false, Vec::new()));
                None
            }
            Event::MappingStart(..) => {
                stack.push((span_of(&span).offset(), true, Vec::new()));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (start, is_map, items) = stack.pop().expect("balanced events");
                let end = items.last().map_or(start, |n| n.span.offset() + n.span.len());
                let span = SourceSpan::from(start..end.max(start));
                if !is_map {
                    Some(Node { yaml: Yaml::Seq, span })
                } else {
                    let mut entries: Vec<(String, SourceSpan, Node)> = Vec::new();
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        let Yaml::Scalar(key) = k.yaml else {
                            return Err(err(k.span, "a key must be a plain name".into()));
                        };
                        if entries.iter().any(|(e, ..)| *e == key) {
                            return Err(err(k.span, format!("{key:?} is given twice")));
                        }
                        entries.push((key, k.span, v));
                    }
                    Some(Node { yaml: Yaml::Map(entries), span })
                }
            }
            _ => None,
        };
        if let Some(node) = done {
            match stack.last_mut() {
                Some((_, _, items)) => items.push(node),
                None => root = Some(node),
            }
        }
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
vpcs:
  workload:
    endpoints: { ecr.dkr: 300, ecr.api: 2.5 }
    transitGateway: 60
egress:
  firewall: 40
logs:
  firewall: 5
  apps: 20
access:
  vpn:
    connectionHours: 800
";

    #[test]
    fn reads_every_figure() {
        let u = Usage::parse("u.yaml", GOOD).unwrap();
        let w = &u.vpcs["workload"];
        assert_eq!(w.endpoints["ecr.dkr"], 300.0);
        assert_eq!(w.endpoints["ecr.api"], 2.5);
        assert_eq!(w.transit_gateway, Some(60.0));
        assert_eq!(u.egress_firewall, Some(40.0));
        assert_eq!(u.logs["apps"], 20.0);
        assert_eq!(u.access("vpn", "connectionHours"), Some(800.0));
        let none = Usage::parse("u.yaml", "").unwrap();
        assert!(none.vpcs.is_empty());
        assert_eq!(none.access("vpn", "connectionHours"), None);
    }

    fn error(text: &str) -> UsageError {
        Usage::parse("u.yaml", text).unwrap_err()
    }

    #[test]
    fn mistakes_are_reported_at_file_line_column() {
        let e = error(&GOOD.replace("transitGateway: 60", "transitGateway: lots"));
        assert_eq!(e.line_col(), (4, 21), "{e}");
        assert!(e.to_string().starts_with("u.yaml:4:21: expected GB a month"), "{e}");

        let e = error(&GOOD.replace("firewall: 40", "firewal: 40"));
        assert_eq!(e.to_string(), "u.yaml:6:3: unknown key \"firewal\"");

        let e = error(&GOOD.replace("firewall: 5", "firewall: -5"));
        assert_eq!(e.line_col(), (8, 13), "{e}");

        let e = error("vpcs: [a, b]\n");
        assert!(e.to_string().starts_with("u.yaml:1:7: vpcs must be a mapping"), "{e}");

        let e = error("egress:\n  firewall: 1\n  firewall: 2\n");
        assert!(e.to_string().starts_with("u.yaml:3:3: \"firewall\" is given twice"), "{e}");

        let e = error("vpcs: {a: [1, 2\n");
        assert!(e.to_string().contains("invalid YAML"), "{e}");
    }

    #[test]
    fn access_keys_are_checked_like_the_others() {
        let e = error(&GOOD.replace("connectionHours: 800", "connectionHours: many"));
        assert_eq!(
            e.to_string(),
            "u.yaml:12:22: expected Client VPN connection-hours a month: a number, zero or more"
        );
        let e = error(&GOOD.replace("connectionHours: 800", "connectionHours: -1"));
        assert_eq!(e.line_col(), (12, 22), "{e}");

        let e = error(&GOOD.replace("connectionHours", "connections"));
        assert_eq!(e.to_string(), "u.yaml:12:5: unknown key \"connections\"");
        let help = miette::Diagnostic::help(&e).unwrap().to_string();
        assert_eq!(help, "expected one of: connectionHours");

        let e = error(&GOOD.replace("  vpn:", "  vpns:"));
        assert_eq!(e.to_string(), "u.yaml:11:3: unknown key \"vpns\"");
        let help = miette::Diagnostic::help(&e).unwrap().to_string();
        assert_eq!(help, "expected one of: vpn");

        let e = error("access:\n  vpn:\n    connectionHours: 1\n    connectionHours: 2\n");
        assert!(e.to_string().starts_with("u.yaml:4:5: \"connectionHours\" is given twice"), "{e}");
        let e = error("access: [vpn]\n");
        assert!(e.to_string().starts_with("u.yaml:1:9: access must be a mapping"), "{e}");
        // `access:` and `vpn:` left empty say nothing.
        let u = Usage::parse("u.yaml", "access:\n  vpn:\n").unwrap();
        assert_eq!(u.access("vpn", "connectionHours"), None);
    }

    #[test]
    fn names_the_plan_lacks_are_refused_at_their_place() {
        let u = Usage::parse("u.yaml", GOOD).unwrap();
        let known = Known {
            vpcs: vec!["workload".into()],
            services: vec![
                ("workload".into(), "ecr.dkr".into()),
                ("workload".into(), "ecr.api".into()),
            ],
            logs: vec!["firewall".into(), "apps".into()],
            access: vec!["vpn".into()],
        };
        u.check(&known).unwrap();

        let u = Usage::parse("u.yaml", &GOOD.replace("ecr.api: 2.5", "ecr.apj: 2.5")).unwrap();
        let e = u.check(&known).unwrap_err();
        assert_eq!(e.line_col(), (3, 32), "{e}");
        assert!(e.to_string().contains("\"ecr.apj\" is no interface endpoint of this VPC"), "{e}");

        let u = Usage::parse("u.yaml", &GOOD.replace("  apps: 20", "  other: 20")).unwrap();
        let e = u.check(&known).unwrap_err();
        assert_eq!(e.line_col(), (9, 3), "{e}");

        // Connection-hours for a VPN the plan does not build.
        let u = Usage::parse("u.yaml", GOOD).unwrap();
        let e = u.check(&Known { access: Vec::new(), ..known }).unwrap_err();
        assert_eq!(e.to_string(), "u.yaml:11:3: \"vpn\" is no private access of the environment");
        let help = miette::Diagnostic::help(&e).unwrap().to_string();
        assert_eq!(help, "the environment has no private access");
    }
}
