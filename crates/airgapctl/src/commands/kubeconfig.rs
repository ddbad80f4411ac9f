//! `airgapctl kubeconfig`: a kubeconfig for a cluster of the environment, as `eksctl
//! utils write-kubeconfig` writes it: the cluster's endpoint and certificate authority
//! as they exist now, and a user whose token `aws eks get-token` makes. Printed, written
//! to a file, or merged into the user's kubeconfig.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use airgap_engine::{Action, PlanMode, PlannedNode, Value};
use miette::miette;
use serde_json::{json, Map, Value as Json};

use super::{out, plan, similar, Backend, Target};
use crate::cli::{Global, KubeconfigArgs, Output};
use crate::exit::{CmdResult, ExitStatus, Failure};

/// What goes into the kubeconfig for one cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct Access {
    /// The EKS cluster's name (what `aws eks get-token --cluster-name` wants).
    pub eks_name: String,
    pub region: String,
    pub endpoint: String,
    /// Base64 PEM of the cluster's certificate authority.
    pub ca: String,
    /// The last part of the caller's ARN, for the user's and context's names.
    pub user: String,
    /// A role `aws eks get-token` assumes.
    pub role: Option<String>,
    /// The AWS profile airgapctl was given, for the aws CLI to use too.
    pub profile: Option<String>,
}

impl Access {
    /// eksctl's name of the cluster entry: `<cluster>.<region>.eksctl.io`.
    pub fn cluster_entry(&self) -> String {
        format!("{}.{}.eksctl.io", self.eks_name, self.region)
    }

    /// eksctl's name of the user and of the context: `<user>@<cluster entry>`.
    pub fn context(&self) -> String {
        format!("{}@{}", self.user, self.cluster_entry())
    }

    /// The kubeconfig of this cluster alone, current context set.
    pub fn kubeconfig(&self) -> Json {
        let mut args = vec![
            "eks",
            "get-token",
            // A profile whose `output` is text or yaml would otherwise give kubectl no JSON.
            "--output",
            "json",
            "--cluster-name",
            &self.eks_name,
            "--region",
            &self.region,
        ];
        if let Some(role) = &self.role {
            args.extend(["--role-arn", role]);
        }
        // STS's regional endpoint: in an air gap the global one is not reachable.
        let mut env = vec![json!({ "name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional" })];
        if let Some(profile) = &self.profile {
            env.push(json!({ "name": "AWS_PROFILE", "value": profile }));
        }
        let context = self.context();
        json!({
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [{
                "name": self.cluster_entry(),
                "cluster": {
                    "server": self.endpoint,
                    "certificate-authority-data": self.ca,
                },
            }],
            "users": [{
                "name": context,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": args,
                        "env": env,
                        "interactiveMode": "IfAvailable",
                        "provideClusterInfo": false,
                    },
                },
            }],
            "contexts": [{
                "name": context,
                "context": { "cluster": self.cluster_entry(), "user": context },
            }],
            "current-context": context,
        })
    }
}

/// Why a kubeconfig cannot be merged into.
#[derive(Debug, PartialEq)]
pub enum MergeError {
    /// The file is not a kubeconfig: not a mapping, or a list that is not a list.
    NotKubeconfig(String),
}

/// `existing` (a parsed kubeconfig; `Null` for none) with `ours`'s clusters, contexts and
/// users in it: entries of the same name replaced, others kept in their order, and the
/// current context set to `ours`'s; like kubectl's and eksctl's merges.
pub fn merge(existing: Json, ours: &Json) -> Result<Json, MergeError> {
    let mut doc = match existing {
        Json::Null => Map::new(),
        Json::Object(m) => m,
        other => {
            return Err(MergeError::NotKubeconfig(format!(
                "it is {}, not a mapping",
                kind_of(&other)
            )))
        }
    };
    for key in ["clusters", "contexts", "users"] {
        let mut list = match doc.remove(key) {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(items)) => items,
            Some(other) => {
                return Err(MergeError::NotKubeconfig(format!(
                    "its {key} is {}, not a list",
                    kind_of(&other)
                )))
            }
        };
        for entry in ours[key].as_array().into_iter().flatten() {
            let name = &entry["name"];
            match list.iter_mut().find(|e| &e["name"] == name) {
                Some(slot) => *slot = entry.clone(),
                None => list.push(entry.clone()),
            }
        }
        doc.insert(key.to_string(), Json::Array(list));
    }
    doc.entry("apiVersion").or_insert_with(|| json!("v1"));
    doc.entry("kind").or_insert_with(|| json!("Config"));
    doc.entry("preferences").or_insert_with(|| json!({}));
    doc.insert("current-context".into(), ours["current-context"].clone());
    Ok(Json::Object(doc))
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "empty",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

/// `v` as block-style YAML, read the same by YAML 1.1 (kubectl's) and 1.2 parsers: a
/// string is written plain only when it starts with a letter, has no character YAML
/// gives a meaning and is no boolean or null word; any other is double-quoted with JSON's
/// escapes, which YAML's double-quoted style reads alike.
pub fn to_yaml(v: &Json) -> String {
    let mut s = String::new();
    match v {
        Json::Object(m) if !m.is_empty() => map(&mut s, m, 0),
        Json::Array(items) if !items.is_empty() => seq(&mut s, items, 0),
        other => {
            s.push_str(&scalar(other));
            s.push('\n');
        }
    }
    s
}

fn map(s: &mut String, m: &Map<String, Json>, indent: usize) {
    for (k, v) in m {
        s.push_str(&" ".repeat(indent));
        s.push_str(&string(k));
        s.push(':');
        after_key(s, v, indent);
    }
}

/// A value after `key:` (or `-`): inline when it is a scalar or empty, else on the next
/// lines. A list under a key is not indented further, as kubectl writes it.
fn after_key(s: &mut String, v: &Json, indent: usize) {
    match v {
        Json::Object(m) if !m.is_empty() => {
            s.push('\n');
            map(s, m, indent + 2);
        }
        Json::Array(items) if !items.is_empty() => {
            s.push('\n');
            seq(s, items, indent);
        }
        other => {
            s.push(' ');
            s.push_str(&scalar(other));
            s.push('\n');
        }
    }
}

fn seq(s: &mut String, items: &[Json], indent: usize) {
    for item in items {
        match item {
            // `- first: ...` then the other keys under the first.
            Json::Object(m) if !m.is_empty() => {
                let mut inner = String::new();
                map(&mut inner, m, indent + 2);
                s.push_str(&" ".repeat(indent));
                s.push_str("- ");
                s.push_str(&inner[indent + 2..]);
            }
            Json::Array(items) if !items.is_empty() => {
                s.push_str(&" ".repeat(indent));
                s.push_str("-\n");
                seq(s, items, indent + 2);
            }
            other => {
                s.push_str(&" ".repeat(indent));
                s.push_str("- ");
                s.push_str(&scalar(other));
                s.push('\n');
            }
        }
    }
}

fn scalar(v: &Json) -> String {
    match v {
        Json::String(text) => string(text),
        Json::Object(_) => "{}".into(),
        Json::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

fn string(text: &str) -> String {
    let plain = text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "_./@=+-".contains(c) || c == ':')
        && !text.ends_with(':')
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null"
        );
    if plain {
        text.to_string()
    } else {
        Json::String(text.to_string()).to_string()
    }
}

pub async fn run(args: &KubeconfigArgs, global: &Global) -> CmdResult {
    let target = Target::resolve(&args.source, global).await?;
    let plan = plan::make(&target, PlanMode::Apply).await?;
    let clusters: Vec<&PlannedNode> = plan
        .nodes
        .iter()
        .filter(|n| n.kind == "eks-cluster" && !matches!(n.action, Action::Delete))
        .collect();
    let name_of = |n: &PlannedNode| {
        n.id.as_str().strip_prefix("cluster/").unwrap_or(n.id.as_str()).to_string()
    };
    let names: Vec<String> = clusters.iter().map(|n| name_of(n)).collect();
    let node = match &args.cluster {
        Some(want) => clusters.iter().find(|n| &name_of(n) == want).copied().ok_or_else(|| {
            let near = similar(want, names.iter().map(String::as_str));
            let listed = if names.is_empty() { "none".to_string() } else { names.join(", ") };
            let help = if near.is_empty() {
                format!("its clusters: {listed}")
            } else {
                format!("did you mean {}? Its clusters: {listed}", near.join(", "))
            };
            Failure::invalid(miette!(
                help = help,
                "environment {} declares no cluster {want}",
                target.env
            ))
        })?,
        None => match clusters[..] {
            [only] => only,
            _ => {
                return Err(Failure::invalid(miette!(
                    help = format!(
                        "its clusters: {}",
                        if names.is_empty() { "none".to_string() } else { names.join(", ") }
                    ),
                    "environment {} declares {} clusters: name one with --cluster NAME",
                    target.env,
                    clusters.len()
                )))
            }
        },
    };
    let access = access(node, &name_of(node), &target, args, global)?;
    let ours = access.kubeconfig();
    let (path, doc) = match (&args.write, args.merge) {
        (Some(path), _) => (path.clone(), ours),
        (None, true) => {
            let path = default_path()?;
            let existing = read_kubeconfig(&path)?;
            let merged = merge(existing, &ours).map_err(|MergeError::NotKubeconfig(why)| {
                Failure::invalid(miette!(
                    help = "fix or move it, or write this cluster's own file with --write PATH",
                    "{} is not a kubeconfig airgapctl can merge into: {why}",
                    path.display()
                ))
            })?;
            (path, merged)
        }
        (None, false) => {
            let text = match global.output {
                Output::Json => {
                    format!("{}\n", serde_json::to_string_pretty(&ours).expect("serializes"))
                }
                Output::Text => to_yaml(&ours),
            };
            out(&text);
            return Ok(ExitStatus::Success);
        }
    };
    write_private(&path, &to_yaml(&doc)).map_err(|e| {
        Failure::failed(miette!("cannot write the kubeconfig {}: {e}", path.display()))
    })?;
    let context = access.context();
    match global.output {
        Output::Json => out(&format!(
            "{}\n",
            json!({ "path": path.display().to_string(), "cluster": name_of(node), "context": context })
        )),
        Output::Text => out(&format!(
            "{} the kubeconfig of cluster {} ({}) {} {}; context: {context}\n",
            if args.merge { "Merged" } else { "Wrote" },
            name_of(node),
            access.eks_name,
            if args.merge { "into" } else { "to" },
            path.display()
        )),
    }
    Ok(ExitStatus::Success)
}

/// What the kubeconfig needs of `node`, which must exist and serve.
fn access(
    node: &PlannedNode,
    name: &str,
    target: &Target,
    args: &KubeconfigArgs,
    global: &Global,
) -> Result<Access, Failure> {
    let current = node.current.as_ref().ok_or_else(|| {
        Failure::failed(miette!(
            help = "apply the environment first (`airgapctl apply`)",
            "cluster {name} ({}) does not exist",
            node.id
        ))
    })?;
    let output =
        |key: &str| current.outputs.get(key).and_then(Value::as_str).filter(|v| !v.is_empty());
    let (Some(endpoint), Some(ca)) = (output("endpoint"), output("ca")) else {
        return Err(Failure::failed(miette!(
            help = format!(
                "EKS gives them once the cluster is ACTIVE; `airgapctl show {}` shows what it \
                 reports",
                node.id
            ),
            "cluster {name} has no endpoint or certificate authority yet"
        )));
    };
    // The name EKS reports for it (observe maps it into the spec's `name`), else its
    // outputs' or the blueprint's.
    let observed_name = current.attrs.get("name").and_then(Value::as_str);
    let desired_name = node.desired.as_ref().and_then(|d| d.get("name")?.as_str());
    let eks_name = observed_name
        .or(output("name"))
        .or(desired_name)
        .filter(|n| !n.is_empty())
        .unwrap_or(&current.physical_id);
    Ok(Access {
        eks_name: eks_name.to_string(),
        region: node.scope.region.clone(),
        endpoint: endpoint.to_string(),
        ca: ca.to_string(),
        user: user_name(target, &node.scope.account),
        role: args.role.clone(),
        profile: global.profile.clone(),
    })
}

/// eksctl's user name: the last part of the caller's ARN (a user's name, an assumed
/// role's session), here the identity airgapctl checked in the cluster's account.
fn user_name(target: &Target, account: &str) -> String {
    let Backend::Aws(provider) = &target.backend else {
        return "airgapctl".to_string();
    };
    let account_name = target
        .span
        .as_ref()
        .and_then(|s| s.accounts.iter().find(|a| a.id == account))
        .map(|a| a.name.as_str());
    let arn = provider
        .identities()
        .iter()
        .find(|(name, _)| Some(name.as_str()) == account_name)
        .or_else(|| provider.identities().first())
        .map(|(_, arn)| arn.as_str());
    match arn {
        Some(arn) if arn.ends_with(":root") => "iam-root-account".to_string(),
        Some(arn) => arn.rsplit('/').next().unwrap_or(arn).to_string(),
        None => "airgapctl".to_string(),
    }
}

/// The first file of $KUBECONFIG, else ~/.kube/config: where kubectl writes new entries.
fn default_path() -> Result<PathBuf, Failure> {
    if let Some(list) = std::env::var_os("KUBECONFIG") {
        if let Some(first) = std::env::split_paths(&list).find(|p| !p.as_os_str().is_empty()) {
            return Ok(first);
        }
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => Ok(Path::new(&home).join(".kube").join("config")),
        None => Err(Failure::invalid(miette!(
            help = "set KUBECONFIG, or write the file with --write PATH",
            "--merge: neither KUBECONFIG nor HOME is set"
        ))),
    }
}

/// The kubeconfig at `path` as JSON; `Null` when there is none yet (or it is empty).
fn read_kubeconfig(path: &Path) -> Result<Json, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Json::Null),
        Err(e) => {
            return Err(Failure::invalid(miette!(
                "cannot read the kubeconfig {}: {e}",
                path.display()
            )))
        }
    };
    airgap_blueprint::yaml_to_json(&text)
        .map(Option::unwrap_or_default)
        .map_err(|e| Failure::invalid(miette!("cannot merge into {}: {e}", path.display())))
}

/// Writes `text` to `path` readable by its owner alone, through a file beside it renamed
/// over it, so an interrupted write never leaves half a kubeconfig.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    // A kubeconfig linked from elsewhere (a dotfiles checkout) is written where it is:
    // renaming over the link would replace the link with a file.
    let resolved = std::fs::canonicalize(path).ok();
    let path = resolved.as_deref().unwrap_or(path);
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.airgapctl-{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(role: Option<&str>) -> Access {
        Access {
            eks_name: "demo-apps".into(),
            region: "eu-central-1".into(),
            endpoint: "https://ABC.gr7.eu-central-1.eks.amazonaws.com".into(),
            ca: "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==".into(),
            user: "alice".into(),
            role: role.map(str::to_string),
            profile: None,
        }
    }

    fn parse(yaml: &str) -> Json {
        airgap_blueprint::yaml_to_json(yaml).expect("valid YAML").expect("a document")
    }

    #[test]
    fn the_yaml_reads_back_as_what_was_written() {
        let doc = access(Some("arn:aws:iam::1:role/admin")).kubeconfig();
        assert_eq!(parse(&to_yaml(&doc)), doc);
        let tricky = json!({
            "s": ["yes", "no", "on", "1.30", "0755", "", "-x", "a: b", "a #c", "null", "~",
                  "x:", "tab\there", "\"q\"", "ünï", "multi\nline"],
            "n": 3, "b": true, "z": null, "e": {}, "l": [], "nested": [[1, 2], {"k": [{}]}],
        });
        assert_eq!(parse(&to_yaml(&tricky)), tricky, "{}", to_yaml(&tricky));
    }

    #[test]
    fn the_kubeconfig_is_eksctls() {
        let a = access(Some("arn:aws:iam::1:role/admin"));
        let k = a.kubeconfig();
        assert_eq!(k["current-context"], "alice@demo-apps.eu-central-1.eksctl.io");
        assert_eq!(k["clusters"][0]["name"], "demo-apps.eu-central-1.eksctl.io");
        let exec = &k["users"][0]["user"]["exec"];
        assert_eq!(exec["apiVersion"], "client.authentication.k8s.io/v1beta1");
        let args: Vec<&str> =
            exec["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        assert_eq!(
            args,
            [
                "eks",
                "get-token",
                "--output",
                "json",
                "--cluster-name",
                "demo-apps",
                "--region",
                "eu-central-1",
                "--role-arn",
                "arn:aws:iam::1:role/admin"
            ]
        );
        assert!(!access(None).kubeconfig()["users"][0]["user"]["exec"]["args"]
            .to_string()
            .contains("--role-arn"));
    }

    #[test]
    fn a_merge_replaces_same_names_and_keeps_the_others() {
        let existing = parse(
            "apiVersion: v1\nkind: Config\ncurrent-context: other\nclusters:\n- name: other\n  \
             cluster: {server: 'https://other'}\n- name: demo-apps.eu-central-1.eksctl.io\n  \
             cluster: {server: 'https://old'}\ncontexts:\n- name: other\n  context: {cluster: \
             other, user: other}\nusers:\n- name: other\n  user: {token: abc}\n",
        );
        let ours = access(None).kubeconfig();
        let merged = merge(existing, &ours).unwrap();
        let names = |key: &str| -> Vec<String> {
            merged[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names("clusters"), ["other", "demo-apps.eu-central-1.eksctl.io"]);
        assert_eq!(
            merged["clusters"][1]["cluster"]["server"],
            ours["clusters"][0]["cluster"]["server"]
        );
        assert_eq!(names("contexts"), ["other", "alice@demo-apps.eu-central-1.eksctl.io"]);
        assert_eq!(names("users"), ["other", "alice@demo-apps.eu-central-1.eksctl.io"]);
        assert_eq!(merged["users"][0]["user"]["token"], "abc");
        assert_eq!(merged["current-context"], ours["current-context"]);
        // No file yet: ours alone.
        assert_eq!(merge(Json::Null, &ours).unwrap(), ours);
        assert!(merge(json!(["a"]), &ours).is_err());
        assert!(merge(json!({"users": "x"}), &ours).is_err());
    }
}
