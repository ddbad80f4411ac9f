//! `airgapctl output [NAME]`: the values a platform engineer needs from an environment
//! (cluster endpoints and certificate authorities, repository URIs, VPC and subnet ids,
//! firewall endpoints, the transit gateway), read from what exists, the same
//! observation `show` makes. Named after the node they come from (`cluster.apps.endpoint`
//! for `cluster/apps`), so a name stays the same from one environment of a blueprint to
//! the next.

use std::collections::BTreeMap;
use std::fmt::Write;

use airgap_engine::{Action, Plan, PlannedNode, Value};
use miette::miette;
use serde_json::json;

use super::{out, plan, similar, Target};
use crate::cli::{Global, Output, OutputArgs};
use crate::exit::{CmdResult, ExitStatus, Failure};

/// Why an output has no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// The resource it comes from does not exist (yet).
    NotCreated,
    /// The resource exists but the cloud reported no such value (an endpoint of a
    /// cluster still being created; a simulated repository has no URI).
    NotReported,
}

/// One output: its name, the node it comes from and its value (a string, or a list of
/// strings for subnet ids).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub name: String,
    pub node: String,
    pub value: Result<serde_json::Value, Missing>,
}

/// A subnet's AZ letter and its id, if it exists.
type AzSubnet = (String, Option<String>);

/// Every output of the declared resources of `plan`, sorted by name. Resources the
/// blueprint no longer declares have none: they are about to be deleted.
pub fn collect(plan: &Plan) -> Vec<Entry> {
    let declared: Vec<&PlannedNode> =
        plan.nodes.iter().filter(|n| !matches!(n.action, Action::Delete)).collect();
    let mut entries = Vec::new();
    // Subnet ids by VPC and tier, in AZ order (the node ids end in the AZ's letter).
    let mut tiers: BTreeMap<(String, String), Vec<AzSubnet>> = BTreeMap::new();
    for n in &declared {
        let id = n.id.as_str();
        let outputs = n.current.as_ref().map(|c| &c.outputs);
        let get = |key: &str| -> Result<serde_json::Value, Missing> {
            let outputs = outputs.ok_or(Missing::NotCreated)?;
            match outputs.get(key).and_then(Value::as_str) {
                Some(v) if !v.is_empty() => Ok(json!(v)),
                _ => Err(Missing::NotReported),
            }
        };
        let mut add = |name: String, key: &str| {
            entries.push(Entry { name, node: id.to_string(), value: get(key) });
        };
        match n.kind.as_str() {
            "eks-cluster" => {
                let c = id.strip_prefix("cluster/").unwrap_or(id);
                for key in ["endpoint", "ca", "arn", "name"] {
                    add(format!("cluster.{c}.{key}"), key);
                }
            }
            "ecr-repository" => {
                let desired = n.desired.as_ref().and_then(|d| d.get("name")?.as_str());
                let r = desired.unwrap_or_else(|| id.strip_prefix("registry/").unwrap_or(id));
                add(format!("repository.{r}.uri"), "uri");
                add(format!("repository.{r}.arn"), "arn");
            }
            "vpc" => {
                let v = id.strip_prefix("vpc/").unwrap_or(id);
                add(format!("vpc.{v}.id"), "id");
            }
            "transit-gateway" => add(format!("{}.id", id.replace('/', ".")), "id"),
            "firewall" => {
                let prefix = id.replace('/', ".");
                add(format!("{prefix}.arn"), "arn");
                // One endpoint per AZ once the firewall is ready (`endpoint/a`); before
                // that there is nothing to name.
                let region = &n.scope.region;
                for key in outputs.into_iter().flat_map(|o| o.keys()) {
                    if let Some(letter) = key.strip_prefix("endpoint/") {
                        add(format!("{prefix}.endpoint.{region}{letter}"), key);
                    }
                }
            }
            "subnet" => {
                // vpc/<vpc>/subnet/<tier>/<az letter>
                let parts: Vec<&str> = id.split('/').collect();
                if let ["vpc", vpc, "subnet", tier, az] = parts[..] {
                    let subnet = outputs.and_then(|o| o.get("id")?.as_str()).map(str::to_string);
                    tiers
                        .entry((vpc.to_string(), tier.to_string()))
                        .or_default()
                        .push((az.to_string(), subnet));
                }
            }
            _ => {}
        }
    }
    for ((vpc, tier), mut subnets) in tiers {
        subnets.sort();
        // All of a tier or nothing: a partial list would look like the whole tier.
        let ids: Option<Vec<String>> = subnets.into_iter().map(|(_, id)| id).collect();
        entries.push(Entry {
            name: format!("vpc.{vpc}.subnets.{tier}"),
            node: format!("vpc/{vpc}/subnet/{tier}"),
            value: ids.map(|ids| json!(ids)).ok_or(Missing::NotCreated),
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries
}

/// A value as a shell wants it: a string as it is, a list comma separated.
pub fn raw(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(raw).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

fn missing_text(m: Missing) -> &'static str {
    match m {
        Missing::NotCreated => "(not created)",
        Missing::NotReported => "(not reported)",
    }
}

pub async fn run(args: &OutputArgs, global: &Global) -> CmdResult {
    let target = Target::resolve(&args.source, global).await?;
    let plan = plan::make(&target, airgap_engine::PlanMode::Apply).await?;
    let entries = collect(&plan);
    match &args.name {
        Some(name) => one(&entries, name, &target.env, global.output),
        None => {
            all(&entries, &target.env, global.output);
            Ok(ExitStatus::Success)
        }
    }
}

fn all(entries: &[Entry], env: &str, output: Output) {
    match output {
        Output::Json => {
            let map: serde_json::Map<String, serde_json::Value> = entries
                .iter()
                .map(|e| (e.name.clone(), e.value.clone().unwrap_or(serde_json::Value::Null)))
                .collect();
            let doc = json!({ "env": env, "outputs": map });
            out(&format!("{}\n", serde_json::to_string_pretty(&doc).expect("outputs serialize")));
        }
        Output::Text => {
            let w = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
            let mut text = String::new();
            if entries.is_empty() {
                let _ = writeln!(text, "Environment {env} declares nothing with outputs.");
            }
            for e in entries {
                let value = match &e.value {
                    Ok(v) => raw(v),
                    Err(m) => missing_text(*m).to_string(),
                };
                let _ = writeln!(text, "{:<w$}  {value}", e.name);
            }
            out(&text);
        }
    }
}

fn one(entries: &[Entry], name: &str, env: &str, output: Output) -> CmdResult {
    let Some(entry) = entries.iter().find(|e| e.name == name) else {
        let near = similar(name, entries.iter().map(|e| e.name.as_str()));
        let help = if near.is_empty() {
            "`airgapctl output` (with the same -f or --simulate) lists them".to_string()
        } else {
            format!("did you mean {}?", near.join(", "))
        };
        return Err(Failure::invalid(miette!(
            help = help,
            "environment {env} has no output named {name}"
        )));
    };
    match &entry.value {
        Ok(v) => {
            let text = match output {
                Output::Json => serde_json::to_string(v).expect("a value serializes"),
                Output::Text => raw(v),
            };
            out(&format!("{text}\n"));
            Ok(ExitStatus::Success)
        }
        Err(Missing::NotCreated) => Err(Failure::failed(miette!(
            help = "apply the environment first (`airgapctl apply`)",
            "{name} has no value: {} does not exist",
            entry.node
        ))),
        Err(Missing::NotReported) => Err(Failure::failed(miette!(
            help = "a resource still being created reports some of its values only once \
                    it is ready; `airgapctl show {}` shows what it reports",
            "{name} has no value: {} exists but reports none",
            entry.node
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airgap_engine::{Attrs, NodeId, Observed, PlanMode, Scope};

    fn node(id: &str, kind: &str, outputs: Option<&[(&str, &str)]>, action: Action) -> PlannedNode {
        let outputs: Option<Attrs> =
            outputs.map(|o| o.iter().map(|(k, v)| (k.to_string(), Value::str(*v))).collect());
        PlannedNode {
            id: NodeId::from(id),
            kind: kind.to_string(),
            scope: Scope::new("333333333333", "eu-central-1"),
            action,
            desired: None,
            declared: None,
            current: outputs.map(|outputs| Observed {
                id: NodeId::from(id),
                physical_id: "x".into(),
                attrs: Attrs::new(),
                outputs,
                parents: Vec::new(),
            }),
            deps: Vec::new(),
            current_deps: Vec::new(),
        }
    }

    fn plan(nodes: Vec<PlannedNode>) -> Plan {
        Plan {
            env: "demo".into(),
            mode: PlanMode::Apply,
            nodes,
            observations: 0,
            refused: Vec::new(),
        }
    }

    #[test]
    fn outputs_are_named_after_their_nodes() {
        let cluster = [("endpoint", "https://e"), ("ca", "Y2E="), ("arn", "arn:c"), ("id", "n")];
        let p = plan(vec![
            node("cluster/apps", "eks-cluster", Some(&cluster), Action::NoOp),
            node("vpc/w", "vpc", Some(&[("id", "vpc-1")]), Action::NoOp),
            node("vpc/w/subnet/data/b", "subnet", Some(&[("id", "subnet-b")]), Action::NoOp),
            node("vpc/w/subnet/data/a", "subnet", Some(&[("id", "subnet-a")]), Action::NoOp),
            node("vpc/w/subnet/edge/a", "subnet", Some(&[("id", "subnet-e")]), Action::NoOp),
            node("vpc/w/subnet/edge/b", "subnet", None, Action::Create),
            node("firewall", "firewall", Some(&[("endpoint/a", "vpce-a")]), Action::NoOp),
            node("vpc/gone", "vpc", Some(&[("id", "vpc-old")]), Action::Delete),
        ]);
        let got: BTreeMap<String, Result<serde_json::Value, Missing>> =
            collect(&p).into_iter().map(|e| (e.name, e.value)).collect();
        assert_eq!(got["cluster.apps.endpoint"], Ok(json!("https://e")));
        assert_eq!(got["cluster.apps.ca"], Ok(json!("Y2E=")));
        // An output the cloud did not report (a cluster still being created has no CA).
        assert_eq!(got["cluster.apps.name"], Err(Missing::NotReported));
        assert_eq!(got["vpc.w.id"], Ok(json!("vpc-1")));
        assert_eq!(got["vpc.w.subnets.data"], Ok(json!(["subnet-a", "subnet-b"])));
        assert_eq!(got["vpc.w.subnets.edge"], Err(Missing::NotCreated));
        assert_eq!(got["firewall.endpoint.eu-central-1a"], Ok(json!("vpce-a")));
        assert_eq!(got["firewall.arn"], Err(Missing::NotReported));
        assert!(!got.contains_key("vpc.gone.id"), "undeclared resources have no outputs");
        assert_eq!(raw(&json!(["a", "b"])), "a,b");
    }
}
