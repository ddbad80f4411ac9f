//! Specs of the ECR repository kind.

use serde::{Deserialize, Serialize};

use super::Id;

/// A private repository, and who outside the owning account may pull from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EcrRepositorySpec {
    pub name: String,
    pub immutable_tags: bool,
    pub scan_on_push: bool,
    pub pull_principals: PullPrincipals,
    /// The lifecycle policy document (compact JSON, keys sorted), `None` for no policy.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lifecycle_policy: Option<String>,
}

/// The principals (role ARNs) the repository policy lets pull. Observed, a policy that
/// is not exactly the pull policy airgapctl writes is its whole canonical document, so
/// it differs from any list and is rewritten.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PullPrincipals {
    Principals(Vec<Id>),
    Other(String),
}

/// The environment's rule in its registry's scanning configuration
/// (PutRegistryScanningConfiguration): the registry's scan type, and a rule of
/// `frequency` whose WILDCARD filters are the environment's repository names. The
/// registry's other rules and filters are not the environment's and are kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EcrRegistryScanningSpec {
    /// `ENHANCED` (Amazon Inspector) or `BASIC`.
    pub scan_type: String,
    /// `CONTINUOUS_SCAN` or `SCAN_ON_PUSH` (RegistryScanningRule.scanFrequency).
    pub frequency: String,
    /// The repository names, sorted: each one filter.
    pub repositories: Vec<String>,
}

// Each spec's catalogue entry.
spec_kinds! {
    EcrRepositorySpec => ECR_REPOSITORY,
    EcrRegistryScanningSpec => ECR_REGISTRY_SCANNING,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;
    use airgap_engine::Value;

    #[test]
    fn principals_are_a_list_and_another_policy_its_text() {
        let mut s = EcrRepositorySpec {
            name: "apps".into(),
            immutable_tags: true,
            scan_on_push: true,
            pull_principals: PullPrincipals::Principals(vec![
                "arn:aws:iam::1:role/a".into(),
                Id::of("cluster/a/node-role", "arn"),
            ]),
            lifecycle_policy: None,
        };
        let a = s.to_attrs();
        assert_eq!(
            a["pullPrincipals"],
            Value::List(vec![
                Value::str("arn:aws:iam::1:role/a"),
                Value::reference("cluster/a/node-role", "arn")
            ])
        );
        assert_eq!(EcrRepositorySpec::from_attrs(&a).unwrap(), s);
        s.pull_principals = PullPrincipals::Other("{}".into());
        assert_eq!(EcrRepositorySpec::from_attrs(&s.to_attrs()).unwrap(), s);
    }
}
