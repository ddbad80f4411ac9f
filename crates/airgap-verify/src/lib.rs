//! airgap-verify: proves the air gap of an environment from a model of its network and
//! settings. Pure: no AWS SDK, no printing. The model ([`Topology`]) is built from a
//! plan's resource graph ([`from_graph::topology`]); observed state can build the same
//! model later, and every check runs unchanged on it.
//!
//! The checks and what each proves are in [`CHECKS`] and docs/verify.md.

pub mod checks;
pub mod egress;
pub mod fixture;
pub mod from_graph;
pub mod intent;
pub mod prefix;
pub mod report;
pub mod topology;

pub use checks::CHECKS;
pub use from_graph::BuildError;
pub use intent::Intent;
pub use report::{CheckInfo, CheckResult, Finding, Report, Status};
pub use topology::Topology;

/// Runs every check on a topology.
pub fn verify(t: &Topology, intent: &Intent) -> Report {
    Report { checks: checks::run(t, intent) }
}

/// Verifies what a blueprint's plan will build: its expanded graph, read into a
/// topology, against the blueprint's intent.
pub fn verify_plan(
    graph: &airgap_engine::Graph,
    bp: &airgap_blueprint::Blueprint,
    env: &str,
) -> Result<Report, BuildError> {
    let t = from_graph::topology(graph, &bp.metadata.region.value)?;
    Ok(verify(&t, &Intent::from_blueprint(bp, env)))
}
