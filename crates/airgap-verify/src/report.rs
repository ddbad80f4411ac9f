//! Results: one per check, with the evidence that decided it.

use serde::Serialize;

use crate::egress::Path;
use crate::prefix::Prefix;

/// A check's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    /// Nothing to check (no cluster, no registry, ...).
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotApplicable => "n/a",
        }
    }
}

/// One thing wrong, on one resource.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The resource at fault (its node id at plan time).
    pub resource: String,
    pub message: String,
    /// For an egress breach: the destinations affected.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub destinations: Vec<Prefix>,
    /// For an egress breach: the counterexample, hop by hop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Path>,
}

impl Finding {
    pub fn new(resource: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            resource: resource.into(),
            message: message.into(),
            destinations: Vec::new(),
            path: None,
        }
    }
}

/// What a check is, for reports and SARIF rules.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CheckInfo {
    /// Stable: scripts and code-scanning tools key on it.
    pub id: &'static str,
    pub title: &'static str,
    /// What a pass proves.
    pub proves: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    pub id: &'static str,
    pub title: &'static str,
    pub status: Status,
    /// What was looked at and found, in lines.
    pub evidence: Vec<String>,
    pub findings: Vec<Finding>,
}

/// Every check's result, in the order of [`crate::CHECKS`].
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub checks: Vec<CheckResult>,
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    /// No check failed.
    pub fn passed(&self) -> bool {
        self.count(Status::Fail) == 0
    }

    pub fn get(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }
}
