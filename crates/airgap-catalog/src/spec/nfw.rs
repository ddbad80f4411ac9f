//! Specs of the Network Firewall kinds (rule group, policy, firewall) and the log groups they log to.

use serde::{Deserialize, Serialize};

use super::Id;

/// A stateful rule group: a domain allowlist (`domains`, `targetTypes`) or Suricata
/// `rules`; `homeNet` sets HOME_NET; `ruleOrder` must be the policy's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NfwRuleGroupSpec {
    /// `STATEFUL` (the only type the blueprint makes).
    #[serde(rename = "type")]
    pub group_type: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub domains: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub target_types: Vec<String>,
    /// How AWS generates rules from the domains: observed (`ALLOWLIST`, the only kind
    /// airgapctl writes); never declared.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub generated_rules_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub home_net: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rule_order: Option<String>,
    /// Fixed at creation and sized by the kind, so observed only: the diff compares it
    /// with what the declared rules need.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub capacity: Option<i64>,
}

impl NfwRuleGroupSpec {
    /// The most capacity one stateful rule group takes ("Maximum stateful rule group
    /// capacity", 30,000, among the quotas that "can't be changed": AWS Network Firewall
    /// quotas).
    pub const MAX_CAPACITY: i64 = 30_000;
    /// The capacity a firewall policy holds, its rule groups' capacities summed ("When you
    /// reference a rule group from a firewall policy, Network Firewall reserves the rule
    /// group's capacity in the policy": Setting rule group capacity; "Maximum number of
    /// stateful rules per firewall policy", default 30,000: AWS Network Firewall quotas).
    /// The default: an account may have it raised, but nothing here can tell.
    pub const POLICY_CAPACITY: i64 = 30_000;
    /// The target types of a domain list that declares none: both, as AWS defaults them.
    pub const DEFAULT_TARGET_TYPES: [&'static str; 2] = ["TLS_SNI", "HTTP_HOST"];

    /// The target types the domains are matched on: the declared ones, else both.
    pub fn target_types_or_default(&self) -> Vec<String> {
        if self.target_types.is_empty() {
            Self::DEFAULT_TARGET_TYPES.map(String::from).to_vec()
        } else {
            self.target_types.clone()
        }
    }

    /// The capacity the rules need: a stateful group needs one per rule ("the minimum
    /// capacity required is the number of individual rules": CreateRuleGroup, `Capacity`).
    /// A domain list uses one per domain and target type, and more: AWS's answers recorded
    /// in public disagree on how much (one more per target type, measured at
    /// cloudnetworks.io; 3 for the first domain of both types, an AWS best-practices text),
    /// so this counts the larger, one more per target type. Under-counted, the plan would
    /// update in place rules AWS refuses as over capacity instead of replacing the group.
    pub fn needed_capacity(&self) -> i64 {
        let n = if self.domains.is_empty() {
            self.rules.len()
        } else {
            let types = self.target_types_or_default().len();
            self.domains.len() * types + types
        };
        i64::try_from(n).unwrap_or(Self::MAX_CAPACITY).max(1)
    }

    /// The capacity a new group is created with, fixed from then on: room to grow (twice
    /// what it needs, in hundreds, at least 100), but the room at most a third of the
    /// policy's capacity, so the blueprint's three groups still fit one policy together.
    /// A group that needs more than a third gets what it needs, in hundreds.
    pub fn planned_capacity(&self) -> i64 {
        let need = self.needed_capacity();
        let want = (need * 2).min((Self::POLICY_CAPACITY / 3).max(need)).max(100);
        ((want + 99) / 100 * 100).min(Self::MAX_CAPACITY)
    }
}

/// The firewall policy: the stateful rule groups in priority order, the rule order and
/// the default actions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NfwPolicySpec {
    pub rule_groups: Vec<Id>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rule_order: Option<String>,
    pub stateless_default: String,
    /// Always the stateless default: observed, so a change by hand shows.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stateless_fragment_default: Option<String>,
    #[serde(default)]
    pub stateful_default: Vec<String>,
}

/// The firewall: its policy, one subnet per AZ, deletion protection and the log
/// groups (their names) of its ALERT and FLOW logs, absent when not logged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirewallSpec {
    pub policy: Id,
    pub vpc: Id,
    pub subnets: Vec<Id>,
    pub deletion_protection: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub alert_log_group: Option<Id>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flow_log_group: Option<Id>,
}

/// A CloudWatch log group; a retention of 0 keeps the logs forever (AWS shows none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogGroupSpec {
    pub name: String,
    #[serde(default)]
    pub retention_days: Option<i64>,
}

// Each spec's catalogue entry.
spec_kinds! {
    NfwRuleGroupSpec => NFW_RULE_GROUP,
    NfwPolicySpec => NFW_POLICY,
    FirewallSpec => FIREWALL,
    LogGroupSpec => LOG_GROUP,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;
    use airgap_engine::Value;

    #[test]
    fn absent_log_groups_and_observed_only_fields_are_left_out() {
        let fw = FirewallSpec {
            policy: Id::of("firewall/policy", "arn"),
            vpc: Id::of("vpc/inspection", "id"),
            subnets: vec![Id::of("vpc/inspection/subnet/firewall/a", "id")],
            deletion_protection: false,
            alert_log_group: Some(Id::of("firewall/logs/alert", "id")),
            flow_log_group: None,
        }
        .to_attrs();
        assert!(fw.contains_key("alertLogGroup"));
        assert!(!fw.contains_key("flowLogGroup"));
        assert_eq!(fw["deletionProtection"], Value::Bool(false));
        let rg = NfwRuleGroupSpec {
            group_type: "STATEFUL".into(),
            domains: vec![],
            target_types: vec![],
            generated_rules_type: None,
            rules: vec!["pass tcp any any -> any 443 (sid:100;)".into()],
            home_net: vec!["10.0.0.0/16".into()],
            rule_order: Some("STRICT_ORDER".into()),
            capacity: None,
        }
        .to_attrs();
        let keys: Vec<&str> = rg.keys().map(String::as_str).collect();
        assert_eq!(keys, ["homeNet", "ruleOrder", "rules", "type"]);
        let lg = LogGroupSpec { name: "/airgap/x".into(), retention_days: None }.to_attrs();
        assert_eq!(lg["retentionDays"], Value::Null);
    }

    fn domains(n: usize) -> NfwRuleGroupSpec {
        NfwRuleGroupSpec {
            group_type: "STATEFUL".into(),
            domains: (0..n).map(|i| format!("d{i}.example")).collect(),
            target_types: vec![],
            generated_rules_type: None,
            rules: vec![],
            home_net: vec![],
            rule_order: None,
            capacity: None,
        }
    }

    /// Room to grow, but three groups of a policy fit its 30,000 together.
    #[test]
    fn planned_capacity_doubles_within_a_third_of_the_policy() {
        let cases = [(1, 100), (100, 500), (2_400, 9_700), (2_499, 10_000), (5_000, 10_100)];
        for (n, planned) in cases {
            assert_eq!(domains(n).planned_capacity(), planned, "{n} domains");
        }
        // One group past the third gets what it needs, no more; past 30,000, the most.
        assert_eq!(domains(7_500).needed_capacity(), 15_002);
        assert_eq!(domains(7_500).planned_capacity(), 15_100);
        assert_eq!(domains(20_000).planned_capacity(), NfwRuleGroupSpec::MAX_CAPACITY);
        // Three groups each just under a third fill the policy exactly.
        assert_eq!(domains(2_499).planned_capacity() * 3, NfwRuleGroupSpec::POLICY_CAPACITY);
    }
}
