//! Saved plans: `plan --out PLANFILE` writes one, `apply PLANFILE` applies it if
//! nothing it was computed from has changed since.
//!
//! The file records what the plan was computed from (the env, the blueprint path and
//! the hash of its text, or the built-in scenario), the mode, every node's action
//! and the fingerprint of what was observed ([`Plan::fingerprint`]). Applying
//! re-derives the target from it, plans again and goes ahead only when the new plan
//! observed the same environment; planning being deterministic, it then has the
//! same actions, which is checked as well.

use std::path::{Path, PathBuf};

use airgap_engine::{NodeId, Plan, PlanMode, Scope};
use miette::miette;
use serde::{Deserialize, Serialize};

use crate::cli::Scenario;
use crate::exit::Failure;

/// The only `format_version` this version writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// A saved plan, as stored (JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanFile {
    pub format_version: u64,
    /// The airgapctl that wrote it; informational.
    pub airgapctl_version: String,
    pub env: String,
    pub mode: PlanMode,
    /// The blueprint the resources came from (`-f`), else the scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blueprint: Option<BlueprintRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Where the plan was made: the simulated cloud or AWS, and through which endpoint.
    /// Absent in files of earlier versions, which are not checked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderRef>,
    /// `--target` addresses the plan was restricted to (absent: everything).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// `--replace` addresses (absent: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<String>,
    /// [`Plan::fingerprint`] as 16 hex digits.
    pub observed_fingerprint: String,
    /// Every node of the plan in plan order: `id`, `kind`, `scope` and `action` as in
    /// `plan --output json`.
    pub actions: Vec<SavedAction>,
}

/// One node of a saved plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedAction {
    pub id: NodeId,
    pub kind: String,
    pub scope: Scope,
    /// As in `plan --output json`: `{"action": "create"}`, `{"action": "update",
    /// "changes": [...]}`, ... Kept as JSON and compared as JSON, so what it holds
    /// need not survive a round trip through the engine's types.
    pub action: serde_json::Value,
}

/// The blueprint a plan was made from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlueprintRef {
    /// As given to `-f`; a relative path is resolved against the current directory.
    pub path: PathBuf,
    /// Overlays given with further `-f`s, in order (absent for one file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overlays: Vec<PathBuf>,
    /// `--set path=value`s, in order (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<String>,
    /// FNV-1a of the file's text (of the texts and settings with overlays:
    /// `airgap_blueprint::layers_hash`), 16 hex digits.
    pub hash: String,
}

/// The cloud a plan was made against. An empty simulated cloud and an empty AWS
/// environment observe alike, so the fingerprint alone would let a plan made with
/// `--simulate` be applied to AWS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderRef {
    pub simulate: bool,
    /// `--endpoint-url` (LocalStack), when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
}

impl ProviderRef {
    /// The simulated cloud ignores `--endpoint-url` (and `AWS_ENDPOINT_URL`).
    pub fn of(simulate: bool, endpoint_url: Option<&String>) -> Self {
        ProviderRef { simulate, endpoint_url: endpoint_url.filter(|_| !simulate).cloned() }
    }

    fn describe(&self) -> String {
        match (self.simulate, &self.endpoint_url) {
            (true, _) => "the simulated cloud (--simulate)".to_string(),
            (false, Some(url)) => format!("AWS through --endpoint-url {url}"),
            (false, None) => "AWS".to_string(),
        }
    }
}

/// Where the resources of a saved plan come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Resources {
    /// The blueprint's files (the first the base, the others overlays), its `--set`s and
    /// the hash of them all.
    Blueprint {
        paths: Vec<PathBuf>,
        sets: Vec<String>,
        hash: u64,
    },
    Scenario(Scenario),
}

/// 16 lowercase hex digits, how hashes are written in plan files.
pub fn hex(h: u64) -> String {
    format!("{h:016x}")
}

/// The actions of `plan` as a saved plan records them.
pub fn actions(plan: &Plan) -> Vec<SavedAction> {
    plan.nodes
        .iter()
        .map(|n| SavedAction {
            id: n.id.clone(),
            kind: n.kind.clone(),
            scope: n.scope.clone(),
            action: serde_json::to_value(&n.action).expect("actions serialize"),
        })
        .collect()
}

impl PlanFile {
    /// How a plan file records blueprint resources (`None` for a scenario).
    fn new_ref(resources: &Resources) -> Option<BlueprintRef> {
        match resources {
            Resources::Blueprint { paths, sets, hash } => Some(BlueprintRef {
                path: paths.first().cloned().unwrap_or_default(),
                overlays: paths.iter().skip(1).cloned().collect(),
                sets: sets.clone(),
                hash: hex(*hash),
            }),
            Resources::Scenario(_) => None,
        }
    }

    pub fn new(plan: &Plan, resources: &Resources, provider: ProviderRef) -> Self {
        let blueprint = Self::new_ref(resources);
        let scenario = match resources {
            Resources::Blueprint { .. } => None,
            Resources::Scenario(s) => Some(s.name().to_string()),
        };
        PlanFile {
            format_version: FORMAT_VERSION,
            airgapctl_version: env!("CARGO_PKG_VERSION").to_string(),
            env: plan.env.clone(),
            mode: plan.mode,
            blueprint,
            scenario,
            provider: Some(provider),
            targets: Vec::new(),
            replace: Vec::new(),
            observed_fingerprint: hex(plan.fingerprint()),
            actions: actions(plan),
        }
    }

    /// The plan made with `--target`/`--replace`: applying it plans them again.
    pub fn with_selection(mut self, s: &crate::cli::Selection) -> Self {
        self.targets = s.target.clone();
        self.replace = s.replace.clone();
        self
    }

    /// The `--target`/`--replace` the plan was made with.
    pub fn selection(&self) -> crate::cli::Selection {
        crate::cli::Selection {
            target: self.targets.clone(),
            replace: self.replace.clone(),
            quiet: false,
        }
    }

    /// Writes the file; failing to is exit 1, like failing to save the simulated state.
    pub fn write(&self, path: &Path) -> Result<(), Failure> {
        let text = serde_json::to_string_pretty(self).expect("plan files serialize");
        std::fs::write(path, format!("{text}\n")).map_err(|e| {
            Failure::failed(miette!("cannot write the plan file {}: {e}", path.display()))
        })
    }

    /// Reads and checks a plan file. Unreadable, not a plan file, another format
    /// version: exit 3.
    pub fn read(path: &Path) -> Result<Self, Failure> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::invalid(miette!("cannot read the plan file {}: {e}", path.display()))
        })?;
        Self::parse(&text).map_err(|msg| {
            Failure::invalid(miette!(
                help = "make a plan file with `airgapctl plan --out PLANFILE`",
                "{} {msg}",
                path.display()
            ))
        })
    }

    /// Parses the text of a plan file; the error completes "PLANFILE ...".
    fn parse(text: &str) -> Result<Self, String> {
        let doc: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| format!("is not an airgapctl plan file (not JSON: {e})"))?;
        let version = match doc.get("format_version") {
            Some(v) => v,
            None => return Err("is not an airgapctl plan file (no format_version)".to_string()),
        };
        if version.as_u64() != Some(FORMAT_VERSION) {
            return Err(format!(
                "has plan format_version {version}, which this airgapctl ({}) cannot read; \
                 it reads format_version {FORMAT_VERSION}. Run plan again with this airgapctl",
                env!("CARGO_PKG_VERSION")
            ));
        }
        let file: PlanFile = serde_json::from_value(doc)
            .map_err(|e| format!("is not a valid airgapctl plan file: {e}"))?;
        file.resources()?;
        Ok(file)
    }

    /// Where the plan's resources come from.
    pub fn resources(&self) -> Result<Resources, String> {
        match (&self.blueprint, &self.scenario) {
            (Some(bp), None) => {
                let hash = u64::from_str_radix(&bp.hash, 16)
                    .ok()
                    .filter(|_| bp.hash.len() == 16)
                    .ok_or_else(|| {
                    format!("is not a valid airgapctl plan file: bad blueprint hash {:?}", bp.hash)
                })?;
                let mut paths = vec![bp.path.clone()];
                paths.extend(bp.overlays.iter().cloned());
                Ok(Resources::Blueprint { paths, sets: bp.sets.clone(), hash })
            }
            (None, Some(name)) => {
                Scenario::from_name(name).map(Resources::Scenario).ok_or_else(|| {
                    format!("is not a valid airgapctl plan file: unknown scenario {name:?}")
                })
            }
            _ => Err("is not a valid airgapctl plan file: it needs one of blueprint and scenario"
                .to_string()),
        }
    }

    /// Refuses (exit 3) a plan made against another cloud than `now`'s, before anything
    /// is read from it.
    pub fn check_provider(&self, now: &ProviderRef, path: &Path) -> Result<(), Failure> {
        match &self.provider {
            Some(then) if then != now => Err(Failure::invalid(miette!(
                help = format!(
                    "apply it against {} (give the flags the plan was made with), or make a \
                     plan for {} with `airgapctl plan --out`",
                    then.describe(),
                    now.describe()
                ),
                "the plan {} was made against {}, not {}",
                path.display(),
                then.describe(),
                now.describe()
            ))),
            _ => Ok(()),
        }
    }

    /// Refuses (exit 1) when `fresh`, planned now from the same resources and env, did
    /// not observe what the saved plan observed, or (which would be a change of
    /// airgapctl's planning) decided other actions.
    pub fn check_current(&self, fresh: &Plan, path: &Path) -> Result<(), Failure> {
        let now = hex(fresh.fingerprint());
        if now != self.observed_fingerprint {
            return Err(Failure::failed(miette!(
                help = format!(
                    "the resources observed now differ from those the plan was computed \
                     from (fingerprint {} then, {now} now)",
                    self.observed_fingerprint
                ),
                "the environment changed since the plan {} was made; run plan again",
                path.display()
            )));
        }
        if fresh.mode != self.mode || actions(fresh) != self.actions {
            return Err(Failure::failed(miette!(
                help = format!("the plan file was written by airgapctl {}", self.airgapctl_version),
                "the plan computed now differs from the saved plan {} although the environment \
                 is unchanged; run plan again",
                path.display()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample() -> PlanFile {
        PlanFile {
            format_version: FORMAT_VERSION,
            airgapctl_version: "0.1.0".into(),
            env: "demo".into(),
            mode: PlanMode::Apply,
            blueprint: None,
            scenario: Some("hub-spoke".into()),
            provider: Some(ProviderRef { simulate: true, endpoint_url: None }),
            targets: Vec::new(),
            replace: Vec::new(),
            observed_fingerprint: hex(1),
            actions: vec![SavedAction {
                id: "vpc/a".into(),
                kind: "vpc".into(),
                scope: Scope::new("1", "r"),
                action: json!({ "action": "create" }),
            }],
        }
    }

    #[test]
    fn round_trips() {
        let f = sample();
        let text = serde_json::to_string_pretty(&f).unwrap();
        assert!(text.contains("\"format_version\": 1"), "{text}");
        assert!(!text.contains("blueprint"), "{text}");
        assert_eq!(PlanFile::parse(&text).unwrap(), f);
        assert_eq!(f.resources(), Ok(Resources::Scenario(Scenario::HubSpoke)));

        let mut f = sample();
        f.scenario = None;
        f.blueprint = Some(BlueprintRef {
            path: "plans/x.yaml".into(),
            overlays: Vec::new(),
            sets: Vec::new(),
            hash: hex(0xabc),
        });
        let text = serde_json::to_string(&f).unwrap();
        // One file: the format is what it was before overlays.
        assert!(!text.contains("overlays") && !text.contains("sets"), "{text}");
        let back = PlanFile::parse(&text).unwrap();
        assert_eq!(
            back.resources(),
            Ok(Resources::Blueprint {
                paths: vec!["plans/x.yaml".into()],
                sets: Vec::new(),
                hash: 0xabc
            })
        );
        // Overlays and settings come back in order.
        let layered = Resources::Blueprint {
            paths: vec!["base.yaml".into(), "pr.yaml".into()],
            sets: vec!["metadata.name=pr-1".into()],
            hash: 0xdef,
        };
        let f = PlanFile { blueprint: PlanFile::new_ref(&layered), ..f };
        let back = PlanFile::parse(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(back.resources(), Ok(layered));
    }

    #[test]
    fn a_plan_is_applied_only_to_the_cloud_it_was_made_against() {
        let f = sample();
        let p = Path::new("p.json");
        let sim = ProviderRef { simulate: true, endpoint_url: None };
        assert!(f.check_provider(&sim, p).is_ok());
        let aws = ProviderRef { simulate: false, endpoint_url: None };
        let err = f.check_provider(&aws, p).unwrap_err();
        assert_eq!(err.status, crate::exit::ExitStatus::Invalid);
        assert_eq!(
            err.error.to_string(),
            "the plan p.json was made against the simulated cloud (--simulate), not AWS"
        );
        let ls =
            ProviderRef { simulate: false, endpoint_url: Some("http://127.0.0.1:4566".into()) };
        let mut f = sample();
        f.provider = Some(ls.clone());
        assert!(f.check_provider(&ls, p).is_ok());
        assert!(f.check_provider(&aws, p).is_err());
        assert!(f.check_provider(&sim, p).is_err());
        // A file of an earlier version records no provider: not checked.
        f.provider = None;
        assert!(f.check_provider(&aws, p).is_ok());
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        let err = |text: &str| PlanFile::parse(text).unwrap_err();
        assert!(err("garbage").contains("not an airgapctl plan file (not JSON"));
        assert!(err("{}").contains("no format_version"));
        let mut v = serde_json::to_value(sample()).unwrap();
        v["format_version"] = json!(2);
        assert!(err(&v.to_string()).contains("format_version 2, which this airgapctl"));
        v["format_version"] = json!("1");
        assert!(err(&v.to_string()).contains("format_version \"1\""));
        let mut v = serde_json::to_value(sample()).unwrap();
        v["scenario"] = json!("nope");
        assert!(err(&v.to_string()).contains("unknown scenario \"nope\""));
        let mut v = serde_json::to_value(sample()).unwrap();
        v.as_object_mut().unwrap().remove("scenario");
        assert!(err(&v.to_string()).contains("one of blueprint and scenario"));
        let mut v = serde_json::to_value(sample()).unwrap();
        v.as_object_mut().unwrap().remove("actions");
        assert!(err(&v.to_string()).contains("missing field `actions`"));
    }
}
