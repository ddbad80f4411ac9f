//! `registries.lifecycle`: the ECR lifecycle policy every repository of the environment
//! gets, its rules written as ECR's JSON spells them. What ECR would refuse is found here,
//! before any call, by the rules of the ECR user guide's "Lifecycle policy properties"
//! (rulePriority, tagStatus, tagPatternList, tagPrefixList, countType, countUnit,
//! countNumber, action) and PutLifecyclePolicy's limits on the text (API reference:
//! `lifecyclePolicyText`, 100 to 30,720 characters).

use serde_json::{json, Value};

/// PutLifecyclePolicy's `lifecyclePolicyText` length limits (ECR API reference).
pub const TEXT_MIN: usize = 100;
/// See [`TEXT_MIN`].
pub const TEXT_MAX: usize = 30_720;

/// The policy document of `rules`, as sent to PutLifecyclePolicy and compared with what
/// GetLifecyclePolicy returns (compact JSON, keys sorted); `None` without rules.
pub fn policy(rules: &[Value]) -> Option<String> {
    if rules.is_empty() {
        return None;
    }
    Some(airgap_catalog::names::sorted_json(&json!({ "rules": rules })))
}

/// A problem of one rule: its index, what is wrong and how to fix it.
pub struct Problem {
    /// The rule's index in `rules`.
    pub rule: usize,
    /// What ECR would refuse.
    pub message: String,
    /// How to write it instead.
    pub help: &'static str,
}

/// What ECR would refuse in `rules`, rule by rule.
pub fn problems(rules: &[Value]) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut say = |rule: usize, message: String, help: &'static str| {
        out.push(Problem { rule, message, help })
    };
    let priority = |r: &Value| r.get("rulePriority").and_then(Value::as_i64);
    let mut untagged_rules = 0;
    for (i, r) in rules.iter().enumerate() {
        let n = i + 1;
        match priority(r) {
            Some(p) if p >= 1 => {
                if rules[..i].iter().any(|o| priority(o) == Some(p)) {
                    say(
                        i,
                        format!("lifecycle rule {n}: rulePriority {p} is used by another rule"),
                        "each rule needs a rulePriority of its own",
                    );
                }
            }
            _ => say(
                i,
                format!("lifecycle rule {n}: rulePriority must be a whole number of 1 or more"),
                "add `rulePriority: N`; rules apply from the lowest number up",
            ),
        }
        let sel = r.get("selection");
        let field = |k: &str| sel.and_then(|s| s.get(k));
        let list = |k: &str| field(k).and_then(Value::as_array).filter(|l| !l.is_empty());
        match field("tagStatus").and_then(Value::as_str) {
            Some("tagged") => {
                if list("tagPatternList").is_none() && list("tagPrefixList").is_none() {
                    say(i, format!("lifecycle rule {n}: tagStatus tagged needs tagPatternList or tagPrefixList"), "add `tagPatternList: [\"v1.*\"]` (or `tagPrefixList`), or use `tagStatus: any`");
                }
            }
            Some("untagged") => {
                untagged_rules += 1;
                if field("tagPatternList").is_some() || field("tagPrefixList").is_some() {
                    say(i, format!("lifecycle rule {n}: tagStatus untagged takes no tagPatternList or tagPrefixList"), "remove the tag lists, or use `tagStatus: tagged`");
                }
                if untagged_rules == 2 {
                    say(
                        i,
                        format!("lifecycle rule {n}: a second rule selects untagged images"),
                        "ECR lets one rule select untagged images: merge the two",
                    );
                }
            }
            Some("any") => {
                let p = priority(r);
                if rules.iter().any(|o| priority(o) > p) {
                    say(
                        i,
                        format!(
                            "lifecycle rule {n}: tagStatus any must have the highest rulePriority"
                        ),
                        "give this rule the highest rulePriority, so it is evaluated last",
                    );
                }
            }
            _ => say(
                i,
                format!("lifecycle rule {n}: selection.tagStatus must be tagged, untagged or any"),
                "add `selection: { tagStatus: untagged, ... }`",
            ),
        }
        if let Some(patterns) = list("tagPatternList") {
            if patterns.iter().any(|p| p.as_str().is_none_or(|p| p.matches('*').count() > 4)) {
                say(
                    i,
                    format!("lifecycle rule {n}: a tagPatternList entry has more than four `*`"),
                    "ECR takes at most four wildcards per pattern",
                );
            }
        }
        let unit = field("countUnit");
        match field("countType").and_then(Value::as_str) {
            Some("imageCountMoreThan") => {
                if unit.is_some() {
                    say(i, format!("lifecycle rule {n}: countType imageCountMoreThan takes no countUnit"), "remove `countUnit`");
                }
            }
            Some("sinceImagePushed" | "sinceImagePulled" | "sinceImageTransitioned") => {
                if unit.and_then(Value::as_str) != Some("days") {
                    say(i, format!("lifecycle rule {n}: an age rule needs `countUnit: days`"), "add `countUnit: days`");
                }
            }
            _ => say(i, format!("lifecycle rule {n}: selection.countType must be imageCountMoreThan, sinceImagePushed, sinceImagePulled or sinceImageTransitioned"), "add `countType: sinceImagePushed` (with `countUnit: days`) or `countType: imageCountMoreThan`"),
        }
        if field("countNumber").and_then(Value::as_i64).is_none_or(|c| c < 1) {
            say(
                i,
                format!(
                    "lifecycle rule {n}: selection.countNumber must be a whole number of 1 or more"
                ),
                "add `countNumber: N` (days or images)",
            );
        }
        match r.get("action").and_then(|a| a.get("type")).and_then(Value::as_str) {
            Some("expire") => {}
            Some("transition") => {
                let target = r["action"].get("targetStorageClass").and_then(Value::as_str);
                if target != Some("archive") {
                    say(
                        i,
                        format!(
                            "lifecycle rule {n}: a transition needs `targetStorageClass: archive`"
                        ),
                        "add `targetStorageClass: archive` to the action",
                    );
                }
            }
            _ => say(
                i,
                format!("lifecycle rule {n}: action.type must be expire or transition"),
                "add `action: { type: expire }`",
            ),
        }
    }
    if let Some(text) = policy(rules) {
        if !(TEXT_MIN..=TEXT_MAX).contains(&text.len()) {
            say(
                0,
                format!(
                    "the lifecycle policy is {} characters; ECR takes {TEXT_MIN} to {TEXT_MAX}",
                    text.len()
                ),
                "fewer or shorter rules (descriptions count)",
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(p: i64, selection: Value) -> Value {
        json!({"rulePriority": p, "selection": selection, "action": {"type": "expire"}})
    }

    fn messages(rules: &[Value]) -> Vec<String> {
        problems(rules).into_iter().map(|p| p.message).collect()
    }

    #[test]
    fn the_user_guides_examples_pass() {
        let rules = [
            rule(
                1,
                json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}),
            ),
            rule(
                2,
                json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "imageCountMoreThan", "countNumber": 10}),
            ),
            rule(
                3,
                json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 100}),
            ),
        ];
        assert!(messages(&rules).is_empty(), "{:?}", messages(&rules));
        let text = policy(&rules).unwrap();
        assert!(
            text.starts_with("{\"rules\":[{\"action\":{\"type\":\"expire\"},\"rulePriority\":1,"),
            "{text}"
        );
        assert_eq!(policy(&[]), None);
    }

    #[test]
    fn what_ecr_refuses_is_found() {
        let any = rule(
            5,
            json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 3}),
        );
        let untagged = |p| {
            rule(
                p,
                json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}),
            )
        };
        // `any` not last; two untagged rules; a duplicate priority.
        let m = messages(&[any.clone(), untagged(6), untagged(6)]);
        assert!(
            m.iter().any(|m| m.contains("rule 1: tagStatus any must have the highest")),
            "{m:?}"
        );
        assert!(
            m.iter().any(|m| m.contains("rule 3: rulePriority 6 is used by another rule")),
            "{m:?}"
        );
        assert!(m.iter().any(|m| m.contains("rule 3: a second rule selects untagged")), "{m:?}");
        let m = messages(&[rule(
            1,
            json!({"tagStatus": "tagged", "countType": "sinceImagePushed", "countNumber": 0}),
        )]);
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(m[0].contains("needs tagPatternList or tagPrefixList"));
        assert!(m[1].contains("countUnit: days"));
        assert!(m[2].contains("countNumber"));
        let m = messages(&[rule(
            1,
            json!({"tagStatus": "untagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countUnit": "days", "countNumber": 2}),
        )]);
        assert_eq!(m.len(), 2, "{m:?}");
        let m = messages(&[
            json!({"rulePriority": 0, "selection": {"tagStatus": "tagged", "tagPatternList": ["a*b*c*d*e*"], "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "transition"}}),
        ]);
        assert!(m.iter().any(|m| m.contains("rulePriority must be")), "{m:?}");
        assert!(m.iter().any(|m| m.contains("more than four")), "{m:?}");
        assert!(m.iter().any(|m| m.contains("targetStorageClass")), "{m:?}");
    }
}
