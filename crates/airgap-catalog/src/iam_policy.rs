//! A deployer role's policy, per account, for one environment: the grants
//! ([`crate::iam`]) of the kinds the environment has in that account and of the pieces of
//! airgapctl every account (or the hub) needs, with the placeholders filled, merged into
//! as few statements as their resources and conditions allow, and cut into managed
//! policies within IAM's size limit.

use std::collections::{BTreeMap, BTreeSet};

use airgap_engine::{Graph, Scope};
use serde_json::{json, Map, Value};
use thiserror::Error;

use crate::iam::{self, Cond, Grant, Permissions, Phase};

/// IAM's limit on one managed policy document: 6,144 characters, white space not counted
/// (IAM User Guide, "IAM and AWS STS quotas").
pub const MANAGED_POLICY_MAX: usize = 6_144;
/// Managed policies attached to one role: 10 unless the account asked for more (IAM
/// quotas: "Managed policies attached to an IAM role", adjustable to 20).
pub const ATTACHED_DEFAULT_MAX: usize = 10;
/// The most any account can attach.
pub const ATTACHED_MAX: usize = 20;

/// Kinds whose calls are also made with the credentials of the accounts of the nodes
/// they reference (the RAM invitation accepter reads the owner's share; a Route 53
/// association has the zone's owner authorize the VPC): granted there too.
const CALLS_REFERENCED_ACCOUNTS: &[&str] = &["ram-invitation-accepter", "route53-association"];

/// What the role is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `plan`, `apply`, `destroy`: every phase.
    Deploy,
    /// `plan` and `verify`: reads only.
    ReadOnly,
}

impl Purpose {
    fn phases(self) -> &'static [Phase] {
        match self {
            Purpose::Deploy => &Phase::ALL,
            Purpose::ReadOnly => &[Phase::Observe],
        }
    }
}

/// What to build.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub purpose: Purpose,
    /// Grant `airgapctl adopt` too: it may tag any untagged resource of an adoptable kind
    /// into the environment (whose deletes then reach it), so it is left out unless asked.
    pub adopt: bool,
}

/// One account's policy.
#[derive(Clone, Debug)]
pub struct AccountPolicy {
    pub scope: Scope,
    /// Whether this is the hub account (the lock table, the record, the expiry tag).
    pub hub: bool,
    /// The catalogue kinds granted here.
    pub kinds: Vec<&'static str>,
    /// Managed policy documents, each within [`MANAGED_POLICY_MAX`].
    pub documents: Vec<Value>,
    /// Every action allowed, sorted.
    pub actions: BTreeSet<String>,
    /// Why a statement is no narrower, by statement id (the catalogue's reasons of the
    /// grants merged into it); statements as narrow as AWS allows have none.
    pub reasons: BTreeMap<String, Vec<String>>,
}

impl AccountPolicy {
    /// Each document's size as IAM counts it (characters other than white space).
    pub fn sizes(&self) -> Vec<usize> {
        self.documents.iter().map(size).collect()
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("the graph has a node of kind `{0}`, which has no IAM permissions declared")]
    UnknownKind(String),
    #[error(
        "account {account} needs {documents} managed policies, more than the {ATTACHED_MAX} IAM \
         lets a role attach"
    )]
    TooLarge { account: String, documents: usize },
}

/// The policy of each account of `accounts` (the hub first if it is one of them) for
/// environment `env` as `graph` declares it.
pub fn build(
    graph: &Graph,
    env: &str,
    hub: &Scope,
    accounts: &[Scope],
    opts: Options,
) -> Result<Vec<AccountPolicy>, PolicyError> {
    let mut kinds: BTreeMap<&Scope, BTreeSet<&'static str>> = BTreeMap::new();
    for n in graph.nodes() {
        let p = iam::of(&n.kind).ok_or_else(|| PolicyError::UnknownKind(n.kind.clone()))?;
        kinds.entry(&n.scope).or_default().insert(p.name);
        if CALLS_REFERENCED_ACCOUNTS.contains(&p.name) {
            for dep in n.dependencies() {
                if let Some(d) = graph.get(dep) {
                    kinds.entry(&d.scope).or_default().insert(p.name);
                }
            }
        }
    }
    let mut out = Vec::new();
    for scope in accounts {
        let is_hub = scope == hub;
        let mine: Vec<&'static str> =
            kinds.get(scope).map(|k| k.iter().copied().collect()).unwrap_or_default();
        // Observe and delete: every kind, whatever the blueprint has here. A plan observes
        // every kind in every account of the environment (what carries its tag anywhere
        // is its own), and a destroy or an apply deletes what an earlier blueprint made,
        // which the present one may no longer name. Both stay within the environment:
        // reads change nothing, and deletes are scoped to its tag or names.
        // Create and update: only the kinds the blueprint has in this account.
        let mut grants: Vec<&'static Grant> = Vec::new();
        for ph in opts.purpose.phases() {
            let parts: Vec<&'static Permissions> = match ph {
                Phase::Observe | Phase::Delete => iam::KINDS.to_vec(),
                Phase::Create | Phase::Update => mine.iter().filter_map(|k| iam::of(k)).collect(),
            };
            let support = iam::EVERY_SUPPORT
                .iter()
                .copied()
                .filter(|p| opts.adopt || p.name != "adopt")
                .chain(iam::HUB_SUPPORT.iter().copied().filter(|_| is_hub));
            grants.extend(parts.into_iter().chain(support).flat_map(|p| p.phase(*ph)));
        }
        let statements = merge(grants.into_iter(), &Fill { scope, env });
        let actions = statements
            .iter()
            .flat_map(|s| s["Action"].as_array().into_iter().flatten())
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect();
        let mut documents = pack(statements);
        let mut reasons = BTreeMap::new();
        for st in documents.iter_mut().flat_map(|d| d["Statement"].as_array_mut()).flatten() {
            let why = st.as_object_mut().and_then(|o| o.remove(REASONS));
            let why: Vec<String> =
                why.and_then(|w| serde_json::from_value(w).ok()).unwrap_or_default();
            if !why.is_empty() {
                reasons.insert(st["Sid"].as_str().unwrap_or_default().to_string(), why);
            }
        }
        if documents.len() > ATTACHED_MAX {
            return Err(PolicyError::TooLarge {
                account: scope.account.clone(),
                documents: documents.len(),
            });
        }
        out.push(AccountPolicy {
            scope: scope.clone(),
            hub: is_hub,
            kinds: mine,
            documents,
            actions,
            reasons,
        });
    }
    Ok(out)
}

/// The values of the placeholders in one account.
struct Fill<'a> {
    scope: &'a Scope,
    env: &'a str,
}

impl Fill<'_> {
    fn apply(&self, s: &str) -> String {
        s.replace("{partition}", crate::names::partition(&self.scope.region))
            .replace("{region}", &self.scope.region)
            .replace("{account}", &self.scope.account)
            .replace("{env}", self.env)
    }

    /// `{"<op>": {"<key>": [values]}}`, the conditions of one grant together.
    fn conditions(&self, conds: &[Cond]) -> Value {
        let mut ops: BTreeMap<&str, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for c in conds {
            let values = c.values.iter().map(|v| self.apply(v));
            ops.entry(c.op).or_default().entry(self.apply(c.key)).or_default().extend(values);
        }
        // One value as a string, as IAM's own examples write it (some readers, parliament
        // among them, expect a string for `Null` and `Bool`).
        let map: Map<String, Value> = ops
            .into_iter()
            .map(|(op, keys)| {
                let keys: Map<String, Value> = keys
                    .into_iter()
                    .map(|(k, v)| (k, if v.len() == 1 { json!(v[0]) } else { json!(v) }))
                    .collect();
                (op.to_string(), Value::Object(keys))
            })
            .collect();
        Value::Object(map)
    }
}

const REASONS: &str = "_why";

/// Statements, one per distinct (resources, conditions), each with every action granted
/// on exactly those. An action granted on `*` without conditions is dropped from the
/// narrower statements: the wide grant allows it anyway.
fn merge<'g>(grants: impl Iterator<Item = &'g Grant>, fill: &Fill) -> Vec<Value> {
    type Merged = (BTreeSet<&'static str>, BTreeSet<&'static str>);
    let mut by_scope: BTreeMap<(Vec<String>, String), Merged> = BTreeMap::new();
    for g in grants {
        let mut resources: Vec<String> = g.resources.iter().map(|r| fill.apply(r)).collect();
        resources.sort();
        resources.dedup();
        let conditions = fill.conditions(g.conditions).to_string();
        let (actions, whys) = by_scope.entry((resources, conditions)).or_default();
        actions.extend(g.actions.iter().copied());
        if !g.why.is_empty() {
            whys.insert(g.why);
        }
    }
    let anywhere: BTreeSet<&str> = by_scope
        .iter()
        .filter(|((r, c), _)| r == &["*"] && c == "{}")
        .flat_map(|(_, (a, _))| a.iter().copied())
        .collect();
    let mut sids = BTreeMap::<String, usize>::new();
    let mut out = Vec::new();
    for ((resources, conditions), (actions, whys)) in by_scope {
        let wide = resources == ["*"] && conditions == "{}";
        let actions: Vec<&str> =
            actions.into_iter().filter(|a| wide || !anywhere.contains(a)).collect();
        if actions.is_empty() {
            continue;
        }
        let conditions: Value = serde_json::from_str(&conditions).expect("made above");
        let sid = sid(actions[0], &resources, &conditions, &mut sids);
        let mut s = json!({ "Sid": sid, "Effect": "Allow", "Action": actions });
        s["Resource"] = if resources.len() == 1 { json!(resources[0]) } else { json!(resources) };
        if conditions.as_object().is_some_and(|m| !m.is_empty()) {
            s["Condition"] = conditions;
        }
        // Carried until the documents are packed, then moved to `AccountPolicy::reasons`
        // (IAM refuses keys it does not know).
        s[REASONS] = json!(whys);
        out.push(s);
    }
    out
}

/// A readable, unique statement id: service, resource type, how it is scoped
/// (`Ec2VpcTagged`, `Ec2Read`, ...). IAM allows only letters and digits.
fn sid(
    action: &str,
    resources: &[String],
    cond: &Value,
    seen: &mut BTreeMap<String, usize>,
) -> String {
    let title = |s: &str| -> String {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect()
    };
    let service = title(action.split(':').next().unwrap_or("x"));
    let resource = match resources {
        [one] if one == "*" => "Any".to_string(),
        [first, ..] => {
            // arn:partition:service:region:account:type/name or type:name
            let tail = first.splitn(6, ':').nth(5).unwrap_or("");
            title(tail.split(['/', ':']).next().unwrap_or(""))
        }
        [] => String::new(),
    };
    let text = cond.to_string();
    let scoped = if text.contains("aws:RequestTag/airgap:env") {
        "Create"
    } else if text.contains("aws:ResourceTag/airgap:env") {
        "Tagged"
    } else if text == "{}" {
        ""
    } else {
        "When"
    };
    let base = format!("{service}{resource}{scoped}");
    let n = seen.entry(base.clone()).or_insert(0);
    *n += 1;
    if *n == 1 {
        base
    } else {
        format!("{base}{n}")
    }
}

/// The size IAM counts: characters other than white space.
fn size(doc: &Value) -> usize {
    without_reasons(doc).to_string().chars().filter(|c| !c.is_whitespace()).count()
}

/// `v` as IAM will receive it: the reasons carried while packing are not part of it.
fn without_reasons(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k != REASONS)
                .map(|(k, v)| (k.clone(), without_reasons(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_reasons).collect()),
        other => other.clone(),
    }
}

fn document(statements: Vec<Value>) -> Value {
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// Statements packed into as few documents within [`MANAGED_POLICY_MAX`] as a first-fit
/// over the statements in order gives; a statement too large alone is split by action.
fn pack(statements: Vec<Value>) -> Vec<Value> {
    let empty = size(&document(Vec::new()));
    let mut pieces = Vec::new();
    for s in statements {
        split_to_fit(s, MANAGED_POLICY_MAX - empty - 1, &mut pieces);
    }
    let mut docs: Vec<(usize, Vec<Value>)> = Vec::new();
    for s in pieces {
        let n = size(&s) + 1; // and a comma
        match docs.iter_mut().find(|(used, _)| used + n <= MANAGED_POLICY_MAX - empty) {
            Some((used, list)) => {
                *used += n;
                list.push(s);
            }
            None => docs.push((n, vec![s])),
        }
    }
    docs.into_iter().map(|(_, list)| document(list)).collect()
}

fn split_to_fit(s: Value, max: usize, out: &mut Vec<Value>) {
    let actions = s["Action"].as_array().cloned().unwrap_or_default();
    if size(&s) <= max || actions.len() < 2 {
        out.push(s);
        return;
    }
    let (a, b) = actions.split_at(actions.len() / 2);
    for (i, half) in [a, b].into_iter().enumerate() {
        let mut part = s.clone();
        part["Action"] = json!(half);
        part["Sid"] = json!(format!("{}{}", s["Sid"].as_str().unwrap_or("S"), i + 1));
        split_to_fit(part, max, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airgap_engine::{GraphBuilder, Node};

    fn graph(nodes: &[(&str, &str, &Scope)]) -> Graph {
        let mut b = GraphBuilder::new();
        for (id, kind, scope) in nodes {
            b.add(Node::new(*id, kind, (*scope).clone()));
        }
        b.seal().unwrap()
    }

    fn deploy() -> Options {
        Options { purpose: Purpose::Deploy, adopt: false }
    }

    #[test]
    fn placeholders_are_filled_and_the_hub_alone_has_the_lock_table() {
        let hub = Scope::new("111111111111", "eu-central-1");
        let spoke = Scope::new("222222222222", "eu-central-1");
        let g = graph(&[("vpc/a", "vpc", &hub), ("vpc/b", "vpc", &spoke)]);
        let p = build(&g, "demo", &hub, &[hub.clone(), spoke.clone()], deploy()).unwrap();
        let text = serde_json::to_string(&p[1].documents).unwrap();
        assert!(text.contains("arn:aws:ec2:eu-central-1:222222222222:vpc/*"), "{text}");
        for placeholder in ["{partition}", "{region}", "{account}", "{env}"] {
            assert!(!text.contains(placeholder), "{placeholder} left in {text}");
        }
        assert!(
            p[0].actions.contains("dynamodb:PutItem") && !p[1].actions.contains("dynamodb:PutItem")
        );
        assert!(p[1].actions.contains("ec2:CreateVpc"));
        assert!(!p[1].actions.contains("eks:CreateCluster"), "no cluster, no cluster creation");
    }

    #[test]
    fn read_only_allows_no_write_of_a_kind() {
        let hub = Scope::new("111111111111", "eu-central-1");
        let g = graph(&[("vpc/a", "vpc", &hub)]);
        let opts = Options { purpose: Purpose::ReadOnly, adopt: false };
        let p = build(&g, "demo", &hub, std::slice::from_ref(&hub), opts).unwrap();
        assert!(p[0].actions.contains("ec2:DescribeVpcs"));
        for a in ["ec2:CreateVpc", "ec2:DeleteVpc", "ec2:CreateTags"] {
            assert!(!p[0].actions.contains(a), "{a} in a read-only policy");
        }
    }

    #[test]
    fn every_kind_fits_in_the_documents_iam_allows() {
        let hub = Scope::new("111111111111", "cn-north-1");
        let nodes: Vec<(String, &str)> =
            crate::ALL.iter().map(|k| (format!("n/{}", k.name), k.name)).collect();
        let refs: Vec<(&str, &str, &Scope)> =
            nodes.iter().map(|(id, k)| (id.as_str(), *k, &hub)).collect();
        let g = graph(&refs);
        let opts = Options { purpose: Purpose::Deploy, adopt: true };
        let p = build(&g, "demo", &hub, std::slice::from_ref(&hub), opts).unwrap();
        assert!(p[0].documents.len() <= ATTACHED_DEFAULT_MAX, "{} documents", p[0].documents.len());
        for (doc, n) in p[0].documents.iter().zip(p[0].sizes()) {
            assert!(n <= MANAGED_POLICY_MAX, "{n} characters");
            let sids: Vec<_> =
                doc["Statement"].as_array().unwrap().iter().map(|s| &s["Sid"]).collect();
            let unique: BTreeSet<_> = sids.iter().map(|s| s.to_string()).collect();
            assert_eq!(unique.len(), sids.len(), "statement ids are unique");
        }
        let text = serde_json::to_string(&p[0].documents).unwrap();
        assert!(text.contains("arn:aws-cn:ec2:cn-north-1:"), "the region's partition");
        assert!(!text.contains(REASONS), "reasons stay out of the documents");
        assert!(!p[0].reasons.is_empty());
    }

    #[test]
    fn a_statement_too_large_is_split_by_action() {
        let actions: Vec<String> = (0..800).map(|i| format!("ec2:Action{i:04}")).collect();
        let s = json!({ "Sid": "Big", "Effect": "Allow", "Action": actions, "Resource": "*" });
        let docs = pack(vec![s]);
        assert!(docs.len() > 1);
        let mut seen = 0;
        for d in &docs {
            assert!(size(d) <= MANAGED_POLICY_MAX);
            for st in d["Statement"].as_array().unwrap() {
                seen += st["Action"].as_array().unwrap().len();
            }
        }
        assert_eq!(seen, 800, "no action lost");
    }
}
