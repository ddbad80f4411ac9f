//! Exit statuses. The codes are part of the interface (scripts and CI branch on
//! them), so each has a fixed number documented in docs/cli.md.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// The command did what was asked (a plan without --detailed-exitcode, or no changes).
    Success,
    /// An apply or destroy ran and at least one operation failed.
    Failed,
    /// The plan has changes (only with --detailed-exitcode).
    Changes,
    /// Invalid input: blueprint diagnostics, bad flags, missing confirmation.
    Invalid,
    /// Ctrl-C stopped an apply or destroy after in-flight calls finished.
    Interrupted,
    /// `verify` ran and at least one check failed.
    VerifyFailed,
    /// A second Ctrl-C: exited at once, in-flight calls abandoned.
    Aborted,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failed => 1,
            ExitStatus::Changes => 2,
            ExitStatus::Invalid => 3,
            ExitStatus::Interrupted => 4,
            ExitStatus::VerifyFailed => 5,
            // What a shell reports for a process killed by SIGINT.
            ExitStatus::Aborted => 130,
        }
    }
}

/// An error that ends the command, with the status it ends with.
pub struct Failure {
    pub status: ExitStatus,
    pub error: miette::Report,
}

impl Failure {
    pub fn invalid(error: impl Into<miette::Report>) -> Self {
        Failure { status: ExitStatus::Invalid, error: error.into() }
    }

    pub fn failed(error: impl Into<miette::Report>) -> Self {
        Failure { status: ExitStatus::Failed, error: error.into() }
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {:?}", self.status, self.error)
    }
}

pub type CmdResult = Result<ExitStatus, Failure>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let all = [
            (ExitStatus::Success, 0),
            (ExitStatus::Failed, 1),
            (ExitStatus::Changes, 2),
            (ExitStatus::Invalid, 3),
            (ExitStatus::Interrupted, 4),
            (ExitStatus::VerifyFailed, 5),
            (ExitStatus::Aborted, 130),
        ];
        for (s, c) in all {
            assert_eq!(s.code(), c, "{s:?}");
        }
    }
}
