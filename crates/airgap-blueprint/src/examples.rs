//! The example blueprints of `plans/`, built in: the simulated scenarios
//! (`airgapctl --simulate`), the engine's tests and the scheduling benchmark expand these
//! very files, so what they exercise is what a user applies.

use airgap_engine::GraphBuilder;

use crate::{expand, parse, Blueprint};

/// `plans/hub-spoke.yaml`: three accounts, the firewall, endpoints, a private cluster.
pub const HUB_SPOKE: &str = include_str!("../../../plans/hub-spoke.yaml");
/// `plans/single-account.yaml`.
pub const SINGLE_ACCOUNT: &str = include_str!("../../../plans/single-account.yaml");

/// Every example, by its file name under `plans/`.
pub const ALL: &[(&str, &str)] =
    &[("hub-spoke.yaml", HUB_SPOKE), ("single-account.yaml", SINGLE_ACCOUNT)];

/// The example of that file name, parsed and validated.
pub fn blueprint(file: &str) -> Option<Blueprint> {
    let (name, text) = ALL.iter().find(|(n, _)| *n == file)?;
    Some(parse(&format!("plans/{name}"), text).expect("the example blueprints are valid"))
}

/// The declared graph of an example, for its own environment name.
pub fn graph(file: &str) -> Option<GraphBuilder> {
    blueprint(file).map(|bp| expand(&bp).expect("the example blueprints expand"))
}

/// The declared graph of `plans/hub-spoke.yaml`.
pub fn hub_spoke() -> GraphBuilder {
    graph("hub-spoke.yaml").expect("hub-spoke.yaml is built in")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_example_parses_and_expands() {
        for (file, _) in super::ALL {
            let g = super::graph(file).unwrap();
            assert!(g.len() > 10, "{file}: {} nodes", g.len());
        }
    }
}
