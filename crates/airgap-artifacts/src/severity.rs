//! Scan severities, in ECR's names (ECR API reference, ImageScanFindings
//! .findingSeverityCounts: INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNDEFINED).

use std::fmt;
use std::str::FromStr;

/// A finding's severity, ordered from least to most severe. UNDEFINED (a finding with no
/// score yet) ranks with INFORMATIONAL: the gate does not fail on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Undefined,
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 6] = [
        Severity::Undefined,
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Undefined => "UNDEFINED",
            Severity::Informational => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Whether a finding of this severity fails a gate at `threshold`.
    pub fn fails(self, threshold: Severity) -> bool {
        self != Severity::Undefined && self >= threshold
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let up = s.to_ascii_uppercase();
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == up)
            .ok_or_else(|| format!("`{s}` is not a severity (use LOW, MEDIUM, HIGH or CRITICAL)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_fails_at_and_above_its_threshold_and_never_on_undefined() {
        assert!(Severity::Critical.fails(Severity::High));
        assert!(Severity::High.fails(Severity::High));
        assert!(!Severity::Medium.fails(Severity::High));
        assert!(!Severity::Undefined.fails(Severity::Informational));
        assert_eq!("high".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
    }
}
