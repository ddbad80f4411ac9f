//! The `ecr-registry-scanning` kind: the environment's share of its registry's scanning
//! configuration, for `registries.scanning: enhanced`.
//!
//! A registry (an account and region) has one scanning configuration: a scan type and
//! at most two rules, each a scan frequency with at most 100 WILDCARD repository filters
//! (ECR API reference, PutRegistryScanningConfiguration and RegistryScanningRule). It
//! carries no tags and is shared with every other repository of the account, so this
//! kind owns only filters that name the environment's repositories (found by their
//! tags): it reads the configuration, puts those filters in a rule of its frequency,
//! keeps every other filter and rule, and writes the whole back (the call replaces the
//! configuration). Destroy takes its filters out and leaves the scan type: with enhanced
//! scanning "any repositories not matching an enhanced scanning filter will have scanning
//! disabled" (ECR user guide, "Filters to choose which repositories are scanned"), so
//! switching a shared registry back to basic is not this environment's call.
//!
//! A filter without a wildcard matches every repository name that contains it (same
//! guide, "Filter wildcards"): `mirror/nginx` also covers `mirror/nginx-old`. ECR has no
//! exact match; the repository's full name is the narrowest filter there is.

use std::sync::Arc;

use airgap_catalog::spec::{EcrRegistryScanningSpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_ecr::types::{
    RegistryScanningRule, ScanFrequency, ScanType, ScanningRepositoryFilter,
    ScanningRepositoryFilterType,
};

use crate::ec2::kind_meta;
use crate::ecr::Ecr;
use crate::errors::classify;

pub struct EcrRegistryScanning(pub Arc<Ecr>);

/// RegistryScanningConfiguration.rules: "Maximum number of 2 items"; each rule's
/// repositoryFilters: "Maximum number of 100 items" (ECR API reference).
const MAX_RULES: usize = 2;
const MAX_FILTERS: usize = 100;

/// A registry's configuration as plain data: the scan type and (frequency, filters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub scan_type: String,
    pub rules: Vec<(String, Vec<String>)>,
}

impl Config {
    fn of(
        out: &aws_sdk_ecr::operation::get_registry_scanning_configuration::GetRegistryScanningConfigurationOutput,
    ) -> Config {
        let conf = out.scanning_configuration();
        Config {
            scan_type: conf.and_then(|c| c.scan_type()).map_or("BASIC", |t| t.as_str()).to_string(),
            rules: conf
                .map(|c| c.rules())
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    (
                        r.scan_frequency().as_str().to_string(),
                        r.repository_filters().iter().map(|f| f.filter().to_string()).collect(),
                    )
                })
                .collect(),
        }
    }

    /// The names of `ours` that a rule of `frequency` lists as a filter.
    fn listed(&self, frequency: &str, ours: &[String]) -> Vec<String> {
        let mut out: Vec<String> = ours
            .iter()
            .filter(|n| self.rules.iter().any(|(f, fs)| f == frequency && fs.contains(n)))
            .cloned()
            .collect();
        out.sort();
        out
    }

    /// The frequency of the first rule listing one of `ours`.
    fn frequency_of(&self, ours: &[String]) -> Option<String> {
        self.rules
            .iter()
            .find(|(_, fs)| fs.iter().any(|f| ours.contains(f)))
            .map(|(f, _)| f.clone())
    }
}

/// The configuration with `remove` taken out of every rule (rules left empty dropped) and,
/// with `want`, its scan type set and its repositories added to the rule of its frequency.
/// Fails where ECR would refuse the result: a rule of a frequency the scan type does not
/// take (RegistryScanningRule.scanFrequency: ENHANCED takes CONTINUOUS_SCAN and
/// SCAN_ON_PUSH, BASIC takes SCAN_ON_PUSH and MANUAL), more than two rules, more than 100
/// filters in one.
pub fn merged(
    current: &Config,
    remove: &[String],
    want: Option<&EcrRegistryScanningSpec>,
) -> Result<Config, KindError> {
    let mut rules: Vec<(String, Vec<String>)> = current
        .rules
        .iter()
        .map(|(f, fs)| (f.clone(), fs.iter().filter(|x| !remove.contains(x)).cloned().collect()))
        .filter(|(_, fs): &(String, Vec<String>)| !fs.is_empty())
        .collect();
    let scan_type = want.map_or(current.scan_type.clone(), |w| w.scan_type.clone());
    if let Some(w) = want {
        match rules.iter_mut().find(|(f, _)| *f == w.frequency) {
            Some((_, fs)) => fs.extend(w.repositories.iter().cloned()),
            None => rules.push((w.frequency.clone(), w.repositories.clone())),
        }
    }
    let allowed: &[&str] = if scan_type == "ENHANCED" {
        &["CONTINUOUS_SCAN", "SCAN_ON_PUSH"]
    } else {
        &["SCAN_ON_PUSH", "MANUAL"]
    };
    let refuse = |msg: String| Err(KindError::fatal("RegistryScanningConflict", msg));
    if let Some((f, _)) = rules.iter().find(|(f, _)| !allowed.contains(&f.as_str())) {
        return refuse(format!(
            "the registry has a {f} scanning rule, which the {scan_type} scan type does not \
             take (ECR answers ValidationException); change or remove that rule first \
             (aws ecr get-registry-scanning-configuration)"
        ));
    }
    if rules.len() > MAX_RULES {
        return refuse(format!(
            "the registry's scanning configuration would have {} rules, ECR takes {MAX_RULES}",
            rules.len()
        ));
    }
    if let Some((f, fs)) = rules.iter().find(|(_, fs)| fs.len() > MAX_FILTERS) {
        return refuse(format!(
            "the registry's {f} scanning rule would have {} filters, ECR takes {MAX_FILTERS}",
            fs.len()
        ));
    }
    Ok(Config { scan_type, rules })
}

async fn read(c: &aws_sdk_ecr::Client) -> Result<Config, KindError> {
    let out = c.get_registry_scanning_configuration().send().await.map_err(classify)?;
    Ok(Config::of(&out))
}

async fn write(c: &aws_sdk_ecr::Client, conf: &Config) -> Result<(), KindError> {
    let mut rules = Vec::new();
    for (f, fs) in &conf.rules {
        let mut filters = Vec::new();
        for x in fs {
            filters.push(
                ScanningRepositoryFilter::builder()
                    .filter(x)
                    .filter_type(ScanningRepositoryFilterType::Wildcard)
                    .build()
                    .map_err(|e| KindError::fatal("InvalidFilter", e.to_string()))?,
            );
        }
        rules.push(
            RegistryScanningRule::builder()
                .scan_frequency(ScanFrequency::from(f.as_str()))
                .set_repository_filters(Some(filters))
                .build()
                .map_err(|e| KindError::fatal("InvalidRule", e.to_string()))?,
        );
    }
    c.put_registry_scanning_configuration()
        .scan_type(ScanType::from(conf.scan_type.as_str()))
        .set_rules(Some(rules))
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}

/// The names of the environment's repositories in the scope (by their tags).
async fn env_repositories(c: &aws_sdk_ecr::Client, env: &str) -> Result<Vec<String>, KindError> {
    Ok(crate::ecr::names_of(c, env).await?.into_iter().map(|(_, name)| name).collect())
}

fn outputs(repositories: &[String]) -> Attrs {
    Attrs::from([(
        "repositories".to_string(),
        Value::List(repositories.iter().map(Value::str).collect()),
    )])
}

#[async_trait]
impl Kind for EcrRegistryScanning {
    kind_meta!(ECR_REGISTRY_SCANNING);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let ours = env_repositories(c, env).await?;
        if ours.is_empty() {
            return Ok(Vec::new());
        }
        let conf = read(c).await?;
        // Nothing of the environment's in any rule: not there (a create puts it).
        let Some(frequency) = conf.frequency_of(&ours) else { return Ok(Vec::new()) };
        let repositories = conf.listed(&frequency, &ours);
        let spec = EcrRegistryScanningSpec {
            scan_type: conf.scan_type.clone(),
            frequency,
            repositories: repositories.clone(),
        };
        Ok(vec![Observed {
            id: "ecr/scanning".into(),
            physical_id: format!("{}:{}", scope.account, scope.region),
            attrs: spec.to_attrs(),
            outputs: outputs(&repositories),
            parents: vec![],
        }])
    }

    /// Idempotent by construction: the merge of a configuration that already has the
    /// filters is the same configuration.
    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = EcrRegistryScanningSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let conf = merged(&read(c).await?, &spec.repositories, Some(&spec))?;
        write(c, &conf).await?;
        Ok(Created {
            physical_id: format!("{}:{}", node.scope.account, node.scope.region),
            outputs: outputs(&spec.repositories),
        })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let spec = EcrRegistryScanningSpec::from_attrs(&change.node.attrs)?;
        let c = self.0.client(&change.node.scope)?;
        // The filters it had (a repository dropped from the blueprint) go, the wanted
        // ones are put in the rule of the wanted frequency.
        let mut remove = spec.repositories.clone();
        if let Some(Value::List(had)) = change.current.outputs.get("repositories") {
            remove.extend(had.iter().filter_map(Value::as_str).map(str::to_string));
        }
        let conf = merged(&read(c).await?, &remove, Some(&spec))?;
        write(c, &conf).await?;
        Ok(Updated::done(outputs(&spec.repositories)))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let remove: Vec<String> = match current.outputs.get("repositories") {
            Some(Value::List(had)) => {
                had.iter().filter_map(Value::as_str).map(str::to_string).collect()
            }
            _ => Vec::new(),
        };
        let now = read(c).await?;
        let conf = merged(&now, &remove, None)?;
        if conf != now {
            write(c, &conf).await?;
        }
        Ok(())
    }

    /// PutRegistryScanningConfiguration answers with the configuration in effect: done
    /// when it returns.
    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        Ok(match check.op {
            Op::Delete => Readiness::Gone,
            _ => Readiness::Ready(check.outputs.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(scan_type: &str, rules: &[(&str, &[&str])]) -> Config {
        Config {
            scan_type: scan_type.into(),
            rules: rules
                .iter()
                .map(|(f, fs)| (f.to_string(), fs.iter().map(|x| x.to_string()).collect()))
                .collect(),
        }
    }

    fn spec(repos: &[&str]) -> EcrRegistryScanningSpec {
        EcrRegistryScanningSpec {
            scan_type: "ENHANCED".into(),
            frequency: "CONTINUOUS_SCAN".into(),
            repositories: repos.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn the_environments_filters_join_a_rule_and_others_are_kept() {
        let others = conf("ENHANCED", &[("SCAN_ON_PUSH", &["team/app"])]);
        let repos = ["mirror/nginx".to_string()];
        let got = merged(&others, &repos, Some(&spec(&["mirror/nginx"]))).unwrap();
        assert_eq!(
            got,
            conf(
                "ENHANCED",
                &[("SCAN_ON_PUSH", &["team/app"]), ("CONTINUOUS_SCAN", &["mirror/nginx"])]
            )
        );
        // Again: the same (a retried create adds nothing twice).
        assert_eq!(merged(&got, &repos, Some(&spec(&["mirror/nginx"]))).unwrap(), got);
        // Destroy takes only its own filters out, drops the rule it emptied, keeps the type.
        let gone = merged(&got, &repos, None).unwrap();
        assert_eq!(gone, conf("ENHANCED", &[("SCAN_ON_PUSH", &["team/app"])]));
    }

    #[test]
    fn what_ecr_would_refuse_is_refused_before_the_call() {
        // A basic registry's MANUAL rule cannot stay once the type is ENHANCED.
        let basic = conf("BASIC", &[("MANUAL", &["legacy"])]);
        let e = merged(&basic, &[], Some(&spec(&["a1"]))).unwrap_err();
        assert!(e.message.contains("MANUAL scanning rule"), "{}", e.message);
        // A third rule.
        let full = conf("ENHANCED", &[("SCAN_ON_PUSH", &["x1"]), ("CONTINUOUS_SCAN", &["y1"])]);
        assert!(merged(&full, &[], Some(&spec(&["a1"]))).is_ok());
        let mut want = spec(&["a1"]);
        want.scan_type = "BASIC".into();
        want.frequency = "MANUAL".into();
        let e = merged(&full, &[], Some(&want)).unwrap_err();
        assert!(e.message.contains("CONTINUOUS_SCAN scanning rule"), "{}", e.message);
        // A hundred and first filter.
        let names: Vec<String> = (0..100).map(|i| format!("r{i}")).collect();
        let mut big = conf("ENHANCED", &[]);
        big.rules.push(("CONTINUOUS_SCAN".into(), names));
        let e = merged(&big, &[], Some(&spec(&["a1"]))).unwrap_err();
        assert!(e.message.contains("101 filters"), "{}", e.message);
    }

    #[test]
    fn observe_reports_only_the_environments_filters() {
        let c = conf(
            "ENHANCED",
            &[("SCAN_ON_PUSH", &["team/app"]), ("CONTINUOUS_SCAN", &["mirror/b", "mirror/a"])],
        );
        let ours = vec!["mirror/a".to_string(), "mirror/b".to_string(), "mirror/c".to_string()];
        assert_eq!(c.frequency_of(&ours).as_deref(), Some("CONTINUOUS_SCAN"));
        assert_eq!(c.listed("CONTINUOUS_SCAN", &ours), ["mirror/a", "mirror/b"]);
        assert_eq!(c.frequency_of(&["team/other".to_string()]), None);
    }
}
