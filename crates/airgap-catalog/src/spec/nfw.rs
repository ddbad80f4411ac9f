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
}
